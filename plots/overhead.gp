# overhead.gp: one sized workload's ratio to `none` against payload size, per backend, on a
# log axis (a 37,000 % overhead does not flatten the 5 % ones), whiskers the 95 % interval;
# a point measured noisy or under contention is circled.
# Set heading, backends (without none), prefix as for time.gp ("size median p10 p90 overhead
# ratio lo hi flag" rows); ylog is ignored (ratios are always positive).
load lib
set title heading
eval size_axis
set logscale y 10
set format y '%gx'
set ylabel 'ratio to none (log scale; whiskers: 95 % interval)'
set arrow from graph 0, first 1 to graph 1, first 1 nohead lt 0 lw 2
set key top right
plot for [b in backends] prefix . b . '.dat' using 1:6:7:8 with yerrorlines lw 2 pt 7 \
		lc rgb color(b) title b, \
	for [b in backends] prefix . b . '.dat' using 1:($9 != 0 ? $6 : NaN) with points pt 6 ps 3 \
		lc rgb 'black' notitle, \
	NaN with points pt 6 ps 3 lc rgb 'black' title 'noisy or contended'
