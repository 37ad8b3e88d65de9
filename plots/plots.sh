#!/bin/sh
# plots.sh: draws a run's plots, SVG and PNG, from RUN/results.csv into RUN (or OUTDIR).
# Usage: plots/plots.sh RUN [OUTDIR]
# awk splits the CSV (found by column name, so added columns do not matter) into small
# whitespace tables in a temporary folder; the gnuplot scripts beside this file draw them.
set -eu
run=${1:?usage: plots/plots.sh RUN [OUTDIR]}
outdir=${2:-$run}
here=$(dirname "$0")
csv=$run/results.csv
[ -r "$csv" ] || { echo "plots.sh: cannot read $csv" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# roundtrip.dat: "x label median p10 p90 backend" for call-null on every backend, then
#   the bare references (backend ref).
# sized-WL-B.dat: "size median p10 p90 overhead" for workload WL on backend B.
# sized.txt: "WL|backends|backends with an overhead|1 if every overhead is > 0", one
#   line for each workload measured at two sizes or more (a single size makes no curve).
# pngbars.dat: "group size overhead_B1 overhead_B2 ..." for png-decode, one row per image
#   size in ascending order, NaN where a backend lacks that size; pngbars.txt: "B1 B2 ...",
#   the backends other than none (one bar each).
# records.txt: "method:backend ..." for the records-METHOD workloads (raw, msgpack, inplace)
#   that were measured; their curves are the sized-records-METHOD-B.dat files above.
# violations.dat: "column row colour label" from RUN/violations.csv, where there is one.
awk -F, -v tmp="$tmp" '
NR == 1 {
	for (i = 1; i <= NF; i++)
		col[$i] = i
	split("backend workload size median_ns p10_ns p90_ns overhead_pct", need, " ")
	for (i in need)
		if (!(need[i] in col)) {
			print "plots.sh: results.csv lacks column " need[i] > "/dev/stderr"
			bad = 1
			exit 2
		}
	next
}
{
	b = $col["backend"]; w = $col["workload"]; s = $col["size"]; ov = $col["overhead_pct"]
	t = $col["median_ns"] " " $col["p10_ns"] " " $col["p90_ns"]
	# Yardsticks for the round-trip plot: calls and ping-pongs, not the 1 MiB memcpy.
	# Names shortened so that eight labels do not run into each other.
	if (b == "ref" && w != "memcpy") {
		sub(/-pingpong$/, "", w)
		sub(/^indirect-call$/, "ind.call", w)
		refs[++nrefs] = w " " t " ref"
	} else if (w == "call-null")
		bars[++nbars] = b " " t " " b
	if (b == "ref" || s + 0 <= 0)   # size 0 has no place on a log axis
		next
	if (!((w, s) in seen)) {
		seen[w, s] = 1
		if (++nsizes[w] == 1)
			order[++nwl] = w
	}
	if (!((w, b) in has)) {
		has[w, b] = 1
		backends[w] = backends[w] " " b
	}
	if (b != "none" && ov != "") {
		if (!((w, b) in hasov)) {
			hasov[w, b] = 1
			ovbackends[w] = ovbackends[w] " " b
		}
		if (ov + 0 <= 0)
			ovnonpos[w] = 1
	}
	f = tmp "/sized-" w "-" b ".dat"
	print s, t, (ov == "" ? "NaN" : ov) > f
	if (w == "png-decode") {
		if (!(s in pngseen)) {
			pngseen[s] = 1
			pngsizes[++npng] = s
		}
		if (b != "none" && !(b in pngb)) {
			pngb[b] = 1
			pngbackends[++npngb] = b
		}
		pngov[s, b] = ov == "" ? "NaN" : ov
	}
	if (w ~ /^records-(raw|msgpack|inplace)$/) {
		m = substr(w, 9)
		if (!((m, b) in recpair))
			recpair[m, b] = 1
		if (!(b in recb)) {
			recb[b] = 1
			recbackends[++nrecb] = b
		}
	}
}
END {
	if (bad)
		exit 2
	x = 0
	for (i = 1; i <= nbars; i++)
		print x++, bars[i] > (tmp "/roundtrip.dat")
	for (i = 1; i <= nrefs; i++)
		print x++, refs[i] > (tmp "/roundtrip.dat")
	for (i = 1; i <= nwl; i++) {
		w = order[i]
		if (nsizes[w] >= 2)
			print w "|" backends[w] "|" ovbackends[w] "|" !(w in ovnonpos) > (tmp "/sized.txt")
	}
	# png-decode: image sizes in ascending order (insertion sort: POSIX awk has no asort).
	for (i = 2; i <= npng; i++)
		for (j = i; j > 1 && pngsizes[j - 1] + 0 > pngsizes[j] + 0; j--) {
			v = pngsizes[j]; pngsizes[j] = pngsizes[j - 1]; pngsizes[j - 1] = v
		}
	if (npng && npngb) {
		line = ""
		for (k = 1; k <= npngb; k++)
			line = line (k > 1 ? " " : "") pngbackends[k]
		print line > (tmp "/pngbars.txt")
		for (i = 1; i <= npng; i++) {
			line = (i - 1) " " pngsizes[i]
			for (k = 1; k <= npngb; k++) {
				v = pngov[pngsizes[i], pngbackends[k]]
				line = line " " (v == "" ? "NaN" : v)
			}
			print line > (tmp "/pngbars.dat")
		}
	}
	line = ""
	split("raw msgpack inplace", methods, " ")
	for (i = 1; i <= 3; i++)
		for (k = 1; k <= nrecb; k++)
			if ((methods[i], recbackends[k]) in recpair)
				line = line (line == "" ? "" : " ") methods[i] ":" recbackends[k]
	if (line != "")
		print line > (tmp "/records.txt")
}' "$csv"

# draw SCRIPT NAME [gnuplot assignments]: NAME.svg and NAME.png in outdir.
draw() {
	script=$1 name=$2
	shift 2
	for fmt in svg png; do
		gnuplot -e "fmt='$fmt'; out='$outdir/$name.$fmt'; lib='$here/common.gp'; $*" \
			"$here/$script"
	done
}

if [ -s "$tmp/roundtrip.dat" ]; then
	draw roundtrip.gp roundtrip "data='$tmp/roundtrip.dat'"
fi
if [ -s "$tmp/sized.txt" ]; then
	while IFS='|' read -r wl backends ovbackends ylog; do
		vars="wl='$wl'; prefix='$tmp/sized-$wl-'; backends='$backends'"
		draw time.gp "$wl-time" "$vars"
		draw throughput.gp "$wl-throughput" "$vars"
		if [ -n "$ovbackends" ]; then
			draw overhead.gp "$wl-overhead" "$vars; backends='$ovbackends'; ylog=$ylog"
		fi
	done <"$tmp/sized.txt"
fi
if [ -s "$tmp/pngbars.dat" ]; then
	draw pngbars.gp png-decode-overhead-bars \
		"data='$tmp/pngbars.dat'; backends='$(cat "$tmp/pngbars.txt")'"
fi
# The violation matrix (harness --violations), where the run has one: one cell per
# backend and violation, in the CSV's order.
if [ -s "$run/violations.csv" ]; then
	awk -F, -v tmp="$tmp" '
	NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	{
		b = $col["backend"]; v = $col["violation"]; verdict = $col["verdict"]
		if (!(b in bx)) { bx[b] = nb++; bl = bl (bl == "" ? "" : " ") b }
		if (!(v in vy)) { vy[v] = nv++; vl = vl (vl == "" ? "" : " ") v }
		c = verdict == "caught" ? "0x66bb6a" : verdict == "contained" ? "0xc5e1a5" : \
		    verdict == "caught-unusable" ? "0xfff176" : verdict == "undetected" ? "0xffcc80" : \
		    verdict == "missed" ? "0xef5350" : verdict == "crash" ? "0xc62828" : \
		    verdict == "hang" ? "0x9575cd" : "0xbdbdbd"
		label = verdict ($col["detail"] == "" ? "" : "\\n" $col["detail"])
		printf "%d %d %d \"%s\"\n", bx[b], vy[v], c, label > (tmp "/violations.dat")
	}
	END { print bl > (tmp "/violations-b.txt"); print vl > (tmp "/violations-v.txt") }
	' "$run/violations.csv"
	draw violations.gp violations "data='$tmp/violations.dat'; \
		backends='$(cat "$tmp/violations-b.txt")'; violations='$(cat "$tmp/violations-v.txt")'"
fi
if [ -s "$tmp/records.txt" ]; then
	draw records.gp records-methods "prefix='$tmp/sized-records-'; lines='$(cat "$tmp/records.txt")'"
fi
