# pngbars.gp: png-decode's overhead over none per image size, one bar per backend (grouped bars).
# Set heading (the title), data ("group size overhead_B1 overhead_B2 ..." rows, from plots.sh) and backends
# ("B1 B2 ...", the overhead columns in order; none is not among them).
load lib
set title heading
set xlabel 'image size (file bytes)'
set ylabel 'overhead of the median over none'
set format y '%.0f %%'
set grid noxtics
set xzeroaxis lt -1
set style fill solid 0.9 border rgb '#333333'
set key top right
set bmargin 4
# Image sizes as 5.5 KiB, 64 KiB, ...: three significant digits, not rounded to whole KiB.
imgsize(n) = n >= 2**20 ? sprintf('%.3g MiB', n / 2.0**20) : \
	n >= 2**10 ? sprintf('%.3g KiB', n / 2.0**10) : sprintf('%d B', n)
stats data using 1 nooutput
ngroups = STATS_records
set xrange [-0.5:ngroups - 0.5]
set xtics ()
# Tics from the data's size column: one labelled tic under the middle of each group.
do for [g = 0:ngroups - 1] {
	stats data every ::g::g using 2 nooutput
	set xtics add (imgsize(STATS_max) g)
}
# Room above the tallest bar (and below the lowest, if any is negative) for the value labels.
ymax = 0; ymin = 0
do for [k = 1:words(backends)] {
	stats data using (column(2 + k)) nooutput
	if (STATS_records > 0) {
		ymax = STATS_max > ymax ? STATS_max : ymax
		ymin = STATS_min < ymin ? STATS_min : ymin
	}
}
span = ymax - ymin > 0 ? ymax - ymin : 1
set yrange [ymin < 0 ? ymin - 0.12 * span : 0 : ymax + 0.12 * span]
# k-th of n bars in a group of width 0.8 centred on the group's tic.
n = words(backends)
bw = 0.8 / n
set boxwidth bw
x(g, k) = g + (k - (n + 1) / 2.0) * bw
label(v) = sprintf('%.1f %%', v)
# The value just past the bar's end: above a positive bar, below a negative one.
labely(v) = v + (v < 0 ? -0.045 : 0.045) * span
plot for [k = 1:n] data using (x($1, k)):(column(2 + k)) with boxes \
		lc rgb color(word(backends, k)) title word(backends, k), \
	for [k = 1:n] data using (x($1, k)):(labely(column(2 + k))):(label(column(2 + k))) \
		with labels font ',12' notitle
