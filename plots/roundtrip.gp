# roundtrip.gp: the empty call's round trip per backend, beside bare references (log bars).
# Set heading (the title) and data: "x label median_ns p10_ns p90_ns backend flag" rows, from
# plots.sh.  Tic labels slanted so that long backend names do not run into each other; a
# row measured noisy or under contention has a * after its value.
load lib
set title heading
set ylabel 'time per call (log scale)'
set logscale y
set format y '%.0s %cs'
set grid noxtics
set style fill solid 0.9 border rgb '#333333'
set boxwidth 0.6
set offsets 0.6, 0.6, 0, 0
set autoscale xfix
set key top left
set bmargin 7
set xtics rotate by -30 left
# Room above the highest whisker for its label.
stats data using 5 nooutput
set yrange [*:STATS_max * 1e-9 * 4]
# The value above each bar: medians differ by orders of magnitude, tics alone are too coarse.
label(x, flag) = gprintf('%.1s %cs', x * 1e-9) . (flag != 0 ? ' *' : '')
tic(name, backend) = backend eq 'ref' ? name . "\n(ref)" : name
plot data using 1:($3 * 1e-9):(colorint(strcol(6))):xtic(tic(strcol(2), strcol(6))) \
		with boxes lc rgb variable notitle, \
	'' using 1:($4 * 1e-9):(0):(($5 - $4) * 1e-9) with vectors heads size screen 0.008,90 \
		lc rgb 'black' title 'median; whiskers p10-p90; * noisy or contended', \
	'' using 1:($5 * 1e-9):(label($3, $7)) with labels offset 0, 0.8 font ',11' notitle
