# throughput.gp: one sized workload's payload bytes per second against size, per backend.
# Set heading, backends and prefix as for time.gp.
load lib
set title heading
eval size_axis
set ylabel 'payload bytes per second: median, p10-p90 (log scale)'
set logscale y 10
set format y '%.0s %cB/s'
# The fastest call (p10) gives the highest throughput.
bps(size, ns) = size / (ns * 1e-9)
plot for [b in backends] prefix . b . '.dat' using 1:(bps($1, $2)):(bps($1, $4)):(bps($1, $3)) \
	with yerrorlines lw 2 pt 7 lc rgb color(b) title b
