# violations.gp: the violation matrix: one cell per (backend, violation), coloured by verdict
# and labelled with it. Set heading (the title), data ("col row colour label" rows from plots.sh, col and row
# from 0, colour as 0xRRGGBB), backends ("B1 B2 ...", the columns) and violations ("V1 V2
# ...", the rows, top first).
load lib
set title heading
nb = words(backends)
nv = words(violations)
set xrange [-0.5:nb - 0.5]
set yrange [nv - 0.5:-0.5]   # the first violation on top
set xtics () scale 0
set ytics () scale 0
do for [k = 1:nb] { set xtics add (word(backends, k) k - 1) }
do for [k = 1:nv] { set ytics add (word(violations, k) k - 1) }
unset x2tics; unset y2tics
set grid noxtics noytics nomxtics nomytics
set border 0
unset key
set lmargin 20
set style fill solid 1.0 border rgb 'white'
plot data using 1:2:(0.5):(0.5):3 with boxxyerror lc rgb variable, \
	data using 1:2:4 with labels font ',12'
