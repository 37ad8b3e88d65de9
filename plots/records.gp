# records.gp: the records sweep per serialization method: payload throughput against size,
# one line per (method, backend); colour by backend as in every plot, dash and point by method.
# Set prefix (prefix.M.'-'.B.'.dat': "size median p10 p90 overhead", as for time.gp) and
# lines ("M:B ...", the method:backend pairs measured).
load lib
set title 'records: throughput against payload size per serialization method'
eval size_axis
set ylabel 'payload bytes per second: median (log scale)'
set logscale y 10
set format y '%.0s %cB/s'
# Nine curves cross the whole plot: the key goes above it, a column per method.
set key outside top center vertical maxrows 3 width 1
bps(size, ns) = size / (ns * 1e-9)
method(l) = l[1:strstrt(l, ':') - 1]
backend(l) = l[strstrt(l, ':') + 1:]
dash(m) = m eq 'raw' ? 1 : m eq 'msgpack' ? 2 : 3
point(m) = m eq 'raw' ? 7 : m eq 'msgpack' ? 5 : 9
plot for [l in lines] prefix . method(l) . '-' . backend(l) . '.dat' using 1:(bps($1, $2)) \
	with linespoints lw 2 dt dash(method(l)) pt point(method(l)) lc rgb color(backend(l)) \
	title method(l) . ' / ' . backend(l)
