#!/bin/sh
# report.sh: writes RUN/report.md (metadata, tables, hyperfine, plots) from a run folder's files.
# Usage: scripts/report.sh RUN
# POSIX sh and awk only. The JSON files are first flattened to "path<TAB>value" lines
# (run.host, rows.3.median_ns, skipped.0.reason, command.0, ...) that awk reads easily.
set -eu
run=${1:?usage: scripts/report.sh RUN}
[ -r "$run/results.csv" ] && [ -r "$run/results.json" ] ||
	{ echo "report.sh: $run lacks results.csv or results.json" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# flatten FILE: every scalar of a JSON file as "path<TAB>value", strings unquoted.
# Strings hold no raw newline in JSON, so tokens never span lines; the path stack
# (an object's current key, an array's current index) is kept across lines.
flatten() {
	awk '
	function path(   p, i) {
		p = ""
		for (i = 1; i <= depth; i++)
			p = p (i > 1 ? "." : "") (kind[i] == "{" ? key[i] : idx[i])
		return p
	}
	function unquote(s) {
		s = substr(s, 2, length(s) - 2)
		gsub(/\\"/, "\"", s); gsub(/\\\//, "/", s); gsub(/\\\\/, "\\", s)
		return s
	}
	{
		line = $0
		while (line != "") {
			if (match(line, /^[ \t\r]+/)) {
				line = substr(line, RLENGTH + 1)
				continue
			}
			c = substr(line, 1, 1)
			if (c == "{" || c == "[") {
				kind[++depth] = c; idx[depth] = 0; key[depth] = ""; want_key = c == "{"
			} else if (c == "}" || c == "]") {
				depth--
			} else if (c == ",") {
				if (kind[depth] == "[") idx[depth]++; else want_key = 1
			} else if (c == ":") {
				want_key = 0
			} else if (match(line, /^"([^"\\]|\\.)*"/)) {
				if (want_key) key[depth] = unquote(substr(line, 1, RLENGTH))
				else print path() "\t" unquote(substr(line, 1, RLENGTH))
				line = substr(line, RLENGTH + 1)
				continue
			} else if (match(line, /^[-+0-9.eEa-z]+/)) {   # number, true, false, null
				print path() "\t" substr(line, 1, RLENGTH)
				line = substr(line, RLENGTH + 1)
				continue
			} else {
				print "report.sh: bad JSON near: " line > "/dev/stderr"
				exit 2
			}
			line = substr(line, 2)
		}
	}' "$1"
}

flatten "$run/results.json" >"$tmp/results.flat"
: >"$tmp/hyperfine.flat"
[ -r "$run/hyperfine.json" ] && flatten "$run/hyperfine.json" >"$tmp/hyperfine.flat"
# The plots present, the round trip first.
{ ls "$run" | grep '^roundtrip\.svg$'; ls "$run" | grep '\.svg$' | grep -v '^roundtrip\.svg$'; } \
	>"$tmp/plots.txt" || true

# The violation matrix (harness --violations), where the run has one, as a Markdown table:
# a row per violation, a column per backend, each cell the verdict and what came back.
: >"$tmp/violations.md"
if [ -r "$run/violations.csv" ]; then
	awk -F, '
	NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	{
		b = $col["backend"]; v = $col["violation"]
		if (!(b in seenb)) { seenb[b] = 1; bs[++nb] = b }
		if (!(v in seenv)) { seenv[v] = 1; vs[++nv] = v }
		cell[v, b] = $col["verdict"] ($col["detail"] == "" ? "" : " (" $col["detail"] ")")
	}
	END {
		printf "| violation |"; for (j = 1; j <= nb; j++) printf " %s |", bs[j]
		printf "\n|---|";    for (j = 1; j <= nb; j++) printf "---|"
		print ""
		for (i = 1; i <= nv; i++) {
			printf "| %s |", vs[i]
			for (j = 1; j <= nb; j++) printf " %s |", cell[vs[i], bs[j]]
			print ""
		}
	}' "$run/violations.csv" >"$tmp/violations.md"
fi

# The report: one awk program over the flattened JSON (tab-separated) and the CSV.
sysjson=0
[ -r "$run/system.json" ] && sysjson=1
# The folder name without the .tmp that make bench writes it under until it is complete.
name=$(basename "$(cd "$run" && pwd -P)" .tmp)
awk -v name="$name" -v sysjson=$sysjson '
function fmt(ns) { return ns == "" ? "-" : sprintf("%.1f", ns) }
# The header of a table with a column per backend other than none.
function others_header(   j) {
	printf "| workload | size |"; for (j = 1; j <= nb; j++) if (backends[j] != "none") printf " %s |", backends[j]
	printf "\n|---|---:|";       for (j = 1; j <= nb; j++) if (backends[j] != "none") printf "---:|"
	print ""
}
function ratio(a, b) { return a == "" || b == "" || b + 0 <= 0 ? "-" : sprintf("%.2f", a / b) }
FILENAME ~ /results\.flat$/ {
	split($1, p, ".")
	if (p[1] == "run") {
		k = substr($1, 5)
		sub(/\.[0-9]+$/, "", k)   # the command array: one entry, words joined
		if (!(k in meta)) { metakeys[++nmeta] = k; meta[k] = $2 } else meta[k] = meta[k] " " $2
	} else if (p[1] == "skipped") {
		if (p[3] == "backend") sk_backend[p[2]] = $2
		if (p[3] == "reason") sk_reason[p[2]] = $2
		nskipped = p[2] + 1
	} else if (p[1] == "failed") {
		failed[p[2]] = (p[2] in failed ? failed[p[2]] " " : "") $2
		nfailed = p[2] + 1
	}
	next
}
FILENAME ~ /hyperfine\.flat$/ {
	split($1, p, ".")       # results.N.{command,mean,stddev,min,max,times.K,parameters.backend}
	n = p[2]; nhf = n + 1
	if (p[3] == "times") hf[n, "runs"]++
	else if (p[3] == "parameters") hf[n, "label"] = $2
	else hf[n, p[3]] = $2
	next
}
FILENAME ~ /plots\.txt$/ { plots[++nplots] = $0; next }
FILENAME ~ /violations\.md$/ { vmatrix[++nvm] = $0; next }
FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }   # results.csv header
{
	b = $col["backend"]; w = $col["workload"] " " $col["size"]
	if (b == "ref") {
		r = $col["workload"] ($col["size"] + 0 > 0 ? " " $col["size"] : "")
		refs[++nrefs] = r; refmed[r] = $col["median_ns"]
		next
	}
	if (!(b in seenb)) { seenb[b] = 1; backends[++nb] = b }
	if (!(w in seenw)) { seenw[w] = 1; cases[++nw] = w }
	med[b, w] = $col["median_ns"]
}
END {
	printf "# isobench run %s\n\n", name
	print "Per-call times in nanoseconds (median over the batches); ratios compare medians of"
	print "this run only. Data: [results.csv](results.csv), [results.json](results.json)" \
		(sysjson ? ", [system.json](system.json)" : "") "."
	print "\n## Run\n\n| key | value |\n|---|---|"
	for (i = 1; i <= nmeta; i++)
		printf "| %s | %s |\n", metakeys[i], (metakeys[i] == "command" ? "`" meta[metakeys[i]] "`" : meta[metakeys[i]])
	if (nskipped || nfailed)
		print ""
	for (i = 0; i < nskipped; i++)
		printf "- skipped **%s**: %s\n", sk_backend[i], sk_reason[i]
	for (i = 0; i < nfailed; i++)
		printf "- failed: %s\n", failed[i]

	print "\n## Median per call (ns)\n"
	printf "| workload | size |"; for (j = 1; j <= nb; j++) printf " %s |", backends[j]
	printf "\n|---|---:|";       for (j = 1; j <= nb; j++) printf "---:|"
	print ""
	for (i = 1; i <= nw; i++) {
		split(cases[i], c, " ")
		printf "| %s | %s |", c[1], c[2]
		for (j = 1; j <= nb; j++) printf " %s |", fmt(med[backends[j], cases[i]])
		print ""
	}

	print "\n## Ratio to none\n"
	if (!("none" in seenb)) print "No `none` rows in this run (--no-baseline): no ratios."
	else {
		others_header()
		for (i = 1; i <= nw; i++) {
			split(cases[i], c, " ")
			printf "| %s | %s |", c[1], c[2]
			for (j = 1; j <= nb; j++)
				if (backends[j] != "none")
					printf " %s |", ratio(med[backends[j], cases[i]], med["none", cases[i]])
			print ""
		}
	}

	print "\n## process / mpk\n"
	if ("process" in seenb && "mpk" in seenb) {
		print "| workload | size | process / mpk |\n|---|---:|---:|"
		for (i = 1; i <= nw; i++) {
			split(cases[i], c, " ")
			printf "| %s | %s | %s |\n", c[1], c[2], ratio(med["process", cases[i]], med["mpk", cases[i]])
		}
	} else {
		why = ""
		for (i = 0; i < nskipped; i++)
			if (sk_backend[i] == "process" || sk_backend[i] == "mpk")
				why = why sprintf(" %s was skipped: %s.", sk_backend[i], sk_reason[i])
		if (why == "")
			why = " It was not asked for."
		print "Not computed: process and mpk did not both run." why
	}

	if (nrefs) {
		print "\n## Bare references (ns)\n\n| reference | median |\n|---|---:|"
		for (i = 1; i <= nrefs; i++) printf "| %s | %s |\n", refs[i], fmt(refmed[refs[i]])
	}

	# Copying against memcpy: the share of memcpy bandwidth at which each backend
	# moves the data (memcpy time for the bytes moved / the time added over none).
	ncopy = 0
	for (i = 1; i <= nw; i++) {
		split(cases[i], c, " ")
		if ((c[1] == "copy" || c[1] == "copy-in" || c[1] == "copy-out") && ("memcpy " c[2]) in refmed && med["none", cases[i]] != "")
			copyrows[++ncopy] = cases[i]
	}
	if (ncopy) {
		print "\n## Copying against memcpy\n"
		print "The share of memcpy bandwidth (same size, same run) at which a backend moves the"
		print "data: memcpy time for the bytes moved over the time the backend adds to `none`."
		print "`copy-in` and `copy-out` move size bytes once, `copy` moves them in and out (2x)"
		print "and has the domain copy every byte in between. 1.00 is memcpy speed.\n"
		others_header()
		for (i = 1; i <= ncopy; i++) {
			split(copyrows[i], c, " ")
			printf "| %s | %s |", c[1], c[2]
			for (j = 1; j <= nb; j++) {
				if (backends[j] == "none") continue
				extra = med[backends[j], copyrows[i]] - med["none", copyrows[i]]
				moved = (c[1] == "copy" ? 2 : 1) * refmed["memcpy " c[2]]
				printf " %s |", med[backends[j], copyrows[i]] == "" || extra <= 0 ? "-" : sprintf("%.2f", moved / extra)
			}
			print ""
		}
	}
	if ("signal" in refmed) {
		nrw = 0
		for (j = 1; j <= nb; j++)
			if (med[backends[j], "rewind 0"] != "") nrw++
		if (nrw) {
			print "\n## Rewind against one signal delivery\n"
			printf "One signal delivered and returned from: %s ns.\n\n", fmt(refmed["signal"])
			print "| backend | rewind (ns) | / signal |\n|---|---:|---:|"
			for (j = 1; j <= nb; j++)
				if (med[backends[j], "rewind 0"] != "")
					printf "| %s | %s | %s |\n", backends[j], fmt(med[backends[j], "rewind 0"]),
						ratio(med[backends[j], "rewind 0"], refmed["signal"])
		}
	}

	if (nhf) {
		print "\n## Whole harness runs (hyperfine)\n"
		print "Wall time of one harness run (`call-null`, one backend, no baseline): start-up,"
		print "domain creation, warm-up and measurement. Data: [hyperfine.json](hyperfine.json).\n"
		print "| backend | mean (ms) | σ (ms) | min (ms) | max (ms) | runs |\n|---|---:|---:|---:|---:|---:|"
		for (i = 0; i < nhf; i++)
			printf "| %s | %.1f | %.1f | %.1f | %.1f | %d |\n", (hf[i, "label"] != "" ? hf[i, "label"] : hf[i, "command"]),
				hf[i, "mean"] * 1e3, hf[i, "stddev"] * 1e3, hf[i, "min"] * 1e3, hf[i, "max"] * 1e3, hf[i, "runs"]
	}

	if (nvm) {
		print "\n## Violation matrix\n"
		print "Each kind of failure run once inside a domain of each backend, each in a"
		print "subprocess of the harness ([violations.csv](violations.csv)). caught: an error"
		print "came back, trusted memory intact, the domain usable again; contained: the call"
		print "succeeded but changed only the memory of the child process; undetected: nothing"
		print "noticed; missed: trusted memory written or the secret read; crash, hang: the"
		print "whole program.\n"
		for (i = 1; i <= nvm; i++) print vmatrix[i]
	}

	if (nplots) {
		print "\n## Plots\n"
		for (i = 1; i <= nplots; i++) {
			base = plots[i]; sub(/\.svg$/, "", base)
			title = base   # names from plots/plots.sh: roundtrip, WL-time, WL-throughput, WL-overhead,
			               # png-decode-overhead-bars, records-methods
			if (title == "roundtrip") title = "call-null: round trip per backend"
			else if (title == "png-decode-overhead-bars") title = "png-decode: overhead over none per image size"
			else if (title == "records-methods") title = "records: throughput against payload size per serialization method"
			else if (title == "violations") title = "violation matrix: what the caller saw"
			else if (sub(/-time$/, "", title)) title = title ": time per call against payload size"
			else if (sub(/-throughput$/, "", title)) title = title ": throughput against payload size"
			else if (sub(/-overhead$/, "", title)) title = title ": overhead over none against payload size"
			printf "### %s\n\n![%s](%s.svg)\n\n[SVG](%s.svg) · [PNG](%s.png)\n\n", title, title, base, base, base
		}
	}
}' FS='\t' "$tmp/results.flat" "$tmp/hyperfine.flat" FS='\n' "$tmp/plots.txt" "$tmp/violations.md" FS=, "$run/results.csv" \
	>"$run/report.md.tmp"
mv "$run/report.md.tmp" "$run/report.md"   # whole or not at all
