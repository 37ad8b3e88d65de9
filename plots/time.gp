# time.gp: one sized workload's time per call against payload size, per backend (log-log).
# Set heading (the title), backends (names) and prefix (prefix.B.'.dat': "size median p10 p90
# overhead").
load lib
set title heading
eval size_axis
set ylabel 'time per call: median, p10-p90 (log scale)'
set logscale y 10
set format y '%.0s %cs'
plot for [b in backends] prefix . b . '.dat' using 1:($2 * 1e-9):($3 * 1e-9):($4 * 1e-9) \
	with yerrorlines lw 2 pt 7 lc rgb color(b) title b
