# common.gp: terminal, output and style shared by the plots; set fmt ('svg'|'png') and out first.
# Times are plotted in seconds and sizes in bytes, so gnuplot's %c/%B tic formats add
# the SI and binary prefixes (ns, µs; KiB, MiB) and no axis needs a unit conversion.
set encoding utf8
set micro   # %c writes µ, not u
if (fmt eq 'svg') {
	set terminal svg size 960,600 dynamic font 'Sans,14' background rgb 'white'
} else {
	set terminal pngcairo size 1200,750 font 'Sans,14' background rgb 'white'
}
set output out
set termoption noenhanced   # workload names like call_small would be read as subscripts
set grid ytics mytics xtics lc rgb '#dddddd'
set border 3
set tics nomirror
set key top left box opaque
set pointsize 1.2

# One colour per backend in every plot, so a backend is recognised at a glance.
color(b) = b eq 'none' ? '#555555' : b eq 'process' ? '#1f77b4' : b eq 'mpk' ? '#2ca02c' : \
	b eq 'mprotect' ? '#ff7f0e' : b eq 'ref' ? '#bbbbbb' : '#9467bd'
# As an integer, for `lc rgb variable`.
colorint(b) = int('0x'.color(b)[2:7])

# Payload size axis: log base 2, a tic every factor of 4, labelled 1 B, 4 B, ..., 1 KiB (gnuplot's
# own %B pads the prefix with spaces). Used as `eval size_axis`.
bytes(n) = n >= 2**30 ? sprintf('%d GiB', n / 2**30) : n >= 2**20 ? sprintf('%d MiB', n / 2**20) : \
	n >= 2**10 ? sprintf('%d KiB', n / 2**10) : sprintf('%d B', n)
size_tics = ''
do for [i = 0:40:2] {
	size_tics = size_tics . sprintf("%s'%s' %.0f", i ? ', ' : '', bytes(2**i), 2.0**i)
}
size_axis = "set offsets graph 0.03, graph 0.03, 0, 0; set logscale x 2; set xlabel 'payload size (log scale)'; set xtics (" . size_tics . ")"
