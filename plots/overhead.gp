# overhead.gp: one sized workload's overhead over `none` against payload size, per backend.
# Set heading, backends (without none), prefix as for time.gp, and ylog (1: every overhead > 0).
load lib
set title heading
eval size_axis
set format y '%.0f %%'
# Overheads span orders of magnitude from small payloads to large: log when we may.
if (ylog) {
	set logscale y 10
	set ylabel 'overhead of the median over none (log scale)'
} else {
	set ylabel 'overhead of the median over none'
	set xzeroaxis lt -1
}
set key top right
plot for [b in backends] prefix . b . '.dat' using 1:5 with linespoints lw 2 pt 7 \
	lc rgb color(b) title b
