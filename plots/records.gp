# records.gp: the records sweep per serialization method: payload throughput against size,
# one line per (method, backend); colour by backend as in every plot, dash and point by method.
# Set heading (the title), prefix (prefix.M.'-'.B.'.dat': "size median p10 p90 overhead", as
# for time.gp), lines ("M:B ...", the method:backend pairs measured) and methods ("M1 M2 ...",
# in the order their dash and point go to them).
load lib
set title heading
eval size_axis
set ylabel 'payload bytes per second: median (log scale)'
set logscale y 10
set format y '%.0s %cB/s'
# Nine curves cross the whole plot: the key goes above it, a column per method.
set key outside top center vertical maxrows 3 width 1
bps(size, ns) = size / (ns * 1e-9)
method(l) = l[1:strstrt(l, ':') - 1]
backend(l) = l[strstrt(l, ':') + 1:]
# Dash k and the k-th point for the k-th of methods (raw, msgpack, inplace: 1/7, 2/5, 3/9).
nth(m) = sum [k = 1:words(methods)] (word(methods, k) eq m ? k : 0)
dash(m) = nth(m)
point(m) = word('7 5 9 11 13 4 6 8', (nth(m) - 1) % 8 + 1) + 0
plot for [l in lines] prefix . method(l) . '-' . backend(l) . '.dat' using 1:(bps($1, $2)) \
	with linespoints lw 2 dt dash(method(l)) pt point(method(l)) lc rgb color(backend(l)) \
	title method(l) . ' / ' . backend(l)
