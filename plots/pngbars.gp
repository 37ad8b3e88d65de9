# pngbars.gp: png-decode's ratio to none per image size, one point with its 95 % interval per
# backend (side by side in each group), on a log axis; a point measured noisy or under
# contention is circled.  Set heading (the title), data ("group size r_B1 lo_B1 hi_B1 flag_B1
# r_B2 ..." rows, from plots.sh) and backends ("B1 B2 ...", in column order; not none).
load lib
set title heading
set xlabel 'image size (file bytes)'
set ylabel 'ratio to none (log scale; whiskers: 95 % interval)'
set logscale y 10
set format y '%gx'
set grid noxtics
set key top right
set bmargin 4
# Image sizes as 5.5 KiB, 64 KiB, ...: three significant digits, not rounded to whole KiB.
imgsize(n) = n >= 2**20 ? sprintf('%.3g MiB', n / 2.0**20) : \
	n >= 2**10 ? sprintf('%.3g KiB', n / 2.0**10) : sprintf('%d B', n)
stats data using 1 nooutput
ngroups = STATS_records
set xrange [-0.5:ngroups - 0.5]
set xtics ()
do for [g = 0:ngroups - 1] {
	stats data every ::g::g using 2 nooutput
	set xtics add (imgsize(STATS_max) g)
}
set arrow from graph 0, first 1 to graph 1, first 1 nohead lt 0 lw 2
n = words(backends)
bw = 0.8 / n
x(g, k) = g + (k - (n + 1) / 2.0) * bw
c(k, i) = column(2 + 4 * (k - 1) + i)
label(v) = v != v ? '' : v < 9.995 ? sprintf('%.2fx', v) : sprintf('%.3gx', v)
plot for [k = 1:n] data using (x($1, k)):(c(k, 1)):(c(k, 2)):(c(k, 3)) with yerrorbars \
		pt 7 ps 1.5 lw 2 lc rgb color(word(backends, k)) title word(backends, k), \
	for [k = 1:n] data using (x($1, k)):(c(k, 4) != 0 ? c(k, 1) : NaN) with points pt 6 ps 3 \
		lc rgb 'black' notitle, \
	for [k = 1:n] data using (x($1, k)):(c(k, 3)):(label(c(k, 1))) with labels \
		offset 0, 0.9 font ',11' notitle, \
	NaN with points pt 6 ps 3 lc rgb 'black' title 'noisy or contended'
