#!/bin/sh
# plots.sh: draws a run's plots, SVG and PNG, from RUN/results.csv into RUN (or OUTDIR), and
# lists them with their titles in OUTDIR/plots.tsv ("name<TAB>title", a line a plot, under
# that header), which report.md's Plots section follows (./harness --report).
# Usage: plots/plots.sh RUN [OUTDIR]
# awk splits the CSV (found by column name, so added columns do not matter) into small
# whitespace tables in a temporary folder; the gnuplot scripts beside this file draw them.
# Every sized workload of the run gets its plots: a new one needs no edit here.
set -eu
run=${1:?usage: plots/plots.sh RUN [OUTDIR]}
outdir=${2:-$run}
here=$(dirname "$0")
csv=$run/results.csv
[ -r "$csv" ] || { echo "plots.sh: cannot read $csv" >&2; exit 2; }
tmp=$(mktemp -d)
manifest=$outdir/plots.tsv
trap 'rm -rf "$tmp" "$manifest.tmp"' EXIT

# Two figures of the published evaluation, drawn when the run has their workloads:
# overhead bars per image size for libpng, and the serialization methods side by side
# (every FAMILY-METHOD workload, the methods in the order the run measured them).
bars_workload=png-decode
bars_title='png-decode (libpng): ratio to none per image size'
family=records
family_title='records: throughput against payload size per serialization method'

# Ratios: ratio, ratio_lo, ratio_hi (the 95 % interval) where results.csv has them, else
#   1 + overhead_pct / 100 without an interval (an older harness); a row flagged noisy or
#   contended is marked (flag 1).
# roundtrip.dat: "x label median p10 p90 backend flag" for call-null on every backend,
#   then the bare references (backend ref).
# sized-WL-B.dat: "size median p10 p90 overhead ratio lo hi flag" for workload WL on
#   backend B.
# sized.txt: "WL|backends|backends with an overhead|1 if every overhead is > 0", one
#   line for each workload measured at two sizes or more (a single size makes no curve).
# bars.dat: "group size ratio_B1 lo_B1 hi_B1 flag_B1 ratio_B2 ..." for $bars_workload, one
#   row per image size in ascending order, NaN where a backend lacks that size; bars.txt: "B1 B2 ...",
#   the backends other than none (one bar each).
# family.txt: "method:backend ..." for the $family-METHOD workloads that were measured
#   (their curves are the sized-$family-METHOD-B.dat files above); methods.txt: "M1 M2 ...".
# violations.dat: "column row colour label" from RUN/violations.csv, where there is one.
awk -F, -v tmp="$tmp" -v bars_workload="$bars_workload" -v family="$family" '
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
	flag = ("noisy" in col && $col["noisy"] == 1) || ("contended" in col && $col["contended"] == 1)
	if ("ratio" in col && $col["ratio"] != "" && $col["ratio_lo"] != "")
		ratio = $col["ratio"] " " $col["ratio_lo"] " " $col["ratio_hi"]
	else if (ov != "")
		ratio = (1 + ov / 100) " " (1 + ov / 100) " " (1 + ov / 100)
	else
		ratio = "NaN NaN NaN"
	# Yardsticks for the round-trip plot: calls and ping-pongs, not the 1 MiB memcpy.
	# Names shortened so that eight labels do not run into each other.
	if (b == "ref" && w != "memcpy") {
		sub(/-pingpong$/, "", w)
		sub(/^indirect-call$/, "ind.call", w)
		refs[++nrefs] = w " " t " ref " flag
	} else if (w == "call-null")
		bars[++nbars] = b " " t " " b " " flag
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
	print s, t, (ov == "" ? "NaN" : ov), ratio, flag > f
	if (w == bars_workload) {
		if (!(s in groupseen)) {
			groupseen[s] = 1
			groups[++ngroups] = s
		}
		if (b != "none" && !(b in groupb)) {
			groupb[b] = 1
			groupbackends[++ngroupb] = b
		}
		groupov[s, b] = ratio " " flag
	}
	if (index(w, family "-") == 1) {
		m = substr(w, length(family) + 2)
		if (!(m in fammethod)) {
			fammethod[m] = 1
			fammethods[++nfamm] = m
		}
		fampair[m, b] = 1
		if (!(b in famb)) {
			famb[b] = 1
			fambackends[++nfamb] = b
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
	# The bar groups: image sizes in ascending order (insertion sort: POSIX awk has no asort).
	for (i = 2; i <= ngroups; i++)
		for (j = i; j > 1 && groups[j - 1] + 0 > groups[j] + 0; j--) {
			v = groups[j]; groups[j] = groups[j - 1]; groups[j - 1] = v
		}
	if (ngroups && ngroupb) {
		line = ""
		for (k = 1; k <= ngroupb; k++)
			line = line (k > 1 ? " " : "") groupbackends[k]
		print line > (tmp "/bars.txt")
		for (i = 1; i <= ngroups; i++) {
			line = (i - 1) " " groups[i]
			for (k = 1; k <= ngroupb; k++) {
				v = groupov[groups[i], groupbackends[k]]
				line = line " " (v == "" ? "NaN NaN NaN 0" : v)
			}
			print line > (tmp "/bars.dat")
		}
	}
	line = methods = ""
	for (i = 1; i <= nfamm; i++) {
		methods = methods (i > 1 ? " " : "") fammethods[i]
		for (k = 1; k <= nfamb; k++)
			if ((fammethods[i], fambackends[k]) in fampair)
				line = line (line == "" ? "" : " ") fammethods[i] ":" fambackends[k]
	}
	if (line != "") {
		print line > (tmp "/family.txt")
		print methods > (tmp "/methods.txt")
	}
}' "$csv"

# draw SCRIPT NAME TITLE [gnuplot assignments]: NAME.svg and NAME.png in outdir, titled
# TITLE, and NAME's line in the manifest.
printf 'name\ttitle\n' >"$manifest.tmp"
draw() {
	script=$1 name=$2 heading=$3
	shift 3
	for fmt in svg png; do
		gnuplot -e "fmt='$fmt'; out='$outdir/$name.$fmt'; lib='$here/common.gp'; \
			heading='$heading'; $*" "$here/$script"
	done
	printf '%s\t%s\n' "$name" "$heading" >>"$manifest.tmp"
}

if [ -s "$tmp/roundtrip.dat" ]; then
	draw roundtrip.gp roundtrip 'Empty call (call-null): round trip per backend' \
		"data='$tmp/roundtrip.dat'"
fi
if [ -s "$tmp/sized.txt" ]; then
	while IFS='|' read -r wl backends ovbackends ylog; do
		vars="prefix='$tmp/sized-$wl-'; backends='$backends'"
		draw time.gp "$wl-time" "$wl: time per call against payload size" "$vars"
		draw throughput.gp "$wl-throughput" "$wl: throughput against payload size" "$vars"
		if [ -n "$ovbackends" ]; then
			draw overhead.gp "$wl-overhead" "$wl: ratio to none against payload size" \
				"$vars; backends='$ovbackends'; ylog=$ylog"
		fi
	done <"$tmp/sized.txt"
fi
if [ -s "$tmp/bars.dat" ]; then
	draw pngbars.gp "$bars_workload-overhead-bars" "$bars_title" \
		"data='$tmp/bars.dat'; backends='$(cat "$tmp/bars.txt")'"
fi
if [ -s "$tmp/family.txt" ]; then
	draw records.gp "$family-methods" "$family_title" "prefix='$tmp/sized-$family-'; \
		lines='$(cat "$tmp/family.txt")'; methods='$(cat "$tmp/methods.txt")'"
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
	draw violations.gp violations \
		'violation matrix: what the caller saw for each kind of failure in the domain' \
		"data='$tmp/violations.dat'; backends='$(cat "$tmp/violations-b.txt")'; \
		violations='$(cat "$tmp/violations-v.txt")'"
fi
mv "$manifest.tmp" "$manifest"
