#!/bin/sh
# harness/plots.sh: the gnuplot scripts draw every expected, non-empty image from a small results.csv,
# and harness --report writes a report.md that has the tables and links them.
# Usage: tests/harness/plots.sh [HARNESS]   (from the repository root; needs gnuplot-nox)
set -eu
harness=${1:-build/harness}
command -v gnuplot >/dev/null ||
	{ echo "tests/harness/plots.sh: gnuplot missing: run scripts/deps.sh test as root" >&2; exit 1; }
dir=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
fail=0
check() { # check DESCRIPTION COMMAND...: run the command, report a failure
	what=$1
	shift
	"$@" || { echo "FAIL tests/harness/plots.sh: $what" >&2; fail=1; }
}

# Columns in another order plus one more, as the harness may add; a sized workload at three
# sizes with one overhead missing; call-args at one size only (no curve: no size plots);
# png-decode at four image sizes, mprotect missing one and one overhead negative; the records
# sweep with each method on a different set of backends (msgpack on none only, inplace
# on process only, without overheads, cbor a method no script names); zstd-compress, a
# workload no script names; the references; mpk skipped.
cat >"$dir/results.csv" <<'CSV'
workload,backend,size,calls,median_ns,p10_ns,p90_ns,p99_ns,min_ns,overhead_pct,counter,extra
call-null,none,0,1000,5.0,4.5,5.5,6.0,4.0,0.00,tsc,x
call-null,process,0,1000,110.0,100.0,130.0,150.0,95.0,2100.00,tsc,x
snappy-compress,none,1,1000,20.0,19.0,21.0,22.0,18.0,0.00,tsc,x
snappy-compress,process,1,1000,150.0,140.0,160.0,170.0,130.0,650.00,tsc,x
snappy-compress,none,1024,1000,900.0,880.0,950.0,990.0,870.0,0.00,tsc,x
snappy-compress,process,1024,1000,1100.0,1050.0,1200.0,1300.0,1000.0,22.22,tsc,x
snappy-compress,none,2097152,10,1900000.0,1850000.0,1950000.0,1990000.0,1800000.0,0.00,tsc,x
snappy-compress,process,2097152,10,2000000.0,1950000.0,2100000.0,2200000.0,1900000.0,,tsc,x
call-args,none,32,1000,10.0,9.0,11.0,12.0,8.0,0.00,tsc,x
call-args,process,32,1000,150.0,140.0,160.0,170.0,130.0,1400.00,tsc,x
png-decode,none,5632,1000,40000.0,39000.0,41000.0,42000.0,38000.0,0.00,tsc,x
png-decode,process,5632,1000,42000.0,41000.0,43000.0,44000.0,40000.0,5.00,tsc,x
png-decode,mprotect,5632,1000,80000.0,79000.0,81000.0,82000.0,78000.0,100.00,tsc,x
png-decode,none,65536,100,530000.0,520000.0,540000.0,550000.0,510000.0,0.00,tsc,x
png-decode,process,65536,100,570000.0,560000.0,580000.0,590000.0,550000.0,7.55,tsc,x
png-decode,none,389120,10,3080000.0,3050000.0,3110000.0,3150000.0,3000000.0,0.00,tsc,x
png-decode,process,389120,10,3270000.0,3250000.0,3290000.0,3300000.0,3200000.0,-1.50,tsc,x
png-decode,mprotect,389120,10,3240000.0,3200000.0,3280000.0,3300000.0,3100000.0,5.19,tsc,x
png-decode,none,916480,10,7300000.0,7240000.0,7320000.0,7400000.0,7200000.0,0.00,tsc,x
png-decode,process,916480,10,7450000.0,7420000.0,7640000.0,7700000.0,7400000.0,2.05,tsc,x
png-decode,mprotect,916480,10,7620000.0,7580000.0,7660000.0,7700000.0,7500000.0,4.38,tsc,x
records-raw,none,64,1000,43.0,42.0,45.0,46.0,42.0,0.00,tsc,x
records-raw,process,64,1000,200.0,190.0,210.0,220.0,185.0,365.12,tsc,x
records-raw,none,1048576,10,1090000.0,1080000.0,1100000.0,1110000.0,1070000.0,0.00,tsc,x
records-raw,process,1048576,10,1270000.0,1260000.0,1280000.0,1290000.0,1250000.0,16.51,tsc,x
records-msgpack,none,64,1000,460.0,455.0,465.0,470.0,450.0,0.00,tsc,x
records-msgpack,none,1048576,10,6380000.0,6300000.0,6450000.0,6500000.0,6200000.0,0.00,tsc,x
records-inplace,process,64,1000,155.0,150.0,160.0,165.0,148.0,,tsc,x
records-inplace,process,1048576,10,1220000.0,1200000.0,1230000.0,1240000.0,1190000.0,,tsc,x
records-cbor,none,64,1000,300.0,290.0,310.0,320.0,280.0,0.00,tsc,x
records-cbor,none,1048576,10,4000000.0,3900000.0,4100000.0,4200000.0,3800000.0,0.00,tsc,x
zstd-compress,none,4096,1000,8000.0,7900.0,8100.0,8200.0,7800.0,0.00,tsc,x
zstd-compress,process,4096,1000,9000.0,8900.0,9100.0,9200.0,8800.0,12.50,tsc,x
zstd-compress,none,65536,100,90000.0,89000.0,91000.0,92000.0,88000.0,0.00,tsc,x
zstd-compress,process,65536,100,95000.0,94000.0,96000.0,97000.0,93000.0,5.56,tsc,x
copy-in,none,1048576,100,1000.0,990.0,1010.0,1020.0,980.0,0.00,tsc,x
copy-in,process,1048576,100,3000.0,2990.0,3010.0,3020.0,2980.0,200.00,tsc,x
copy,none,1048576,100,2000.0,1990.0,2010.0,2020.0,1980.0,0.00,tsc,x
copy,process,1048576,100,10000.0,9990.0,10010.0,10020.0,9980.0,400.00,tsc,x
rewind,mprotect,0,100,27000.0,26000.0,28000.0,29000.0,25000.0,,tsc,x
rewind-once,mprotect,0,1,54000.0,50000.0,60000.0,61000.0,49000.0,,tsc,x
indirect-call,ref,0,1000,1.5,1.4,1.6,1.7,1.3,,tsc,x
memcpy,ref,1048576,100,1000.0,990.0,1010.0,1020.0,980.0,,tsc,x
signal,ref,0,100,2700.0,2690.0,2710.0,2720.0,2680.0,,tsc,x
pipe-pingpong,ref,0,100,7000.0,6500.0,9000.0,12000.0,6000.0,,tsc,x
CSV
cat >"$dir/violations.csv" <<'CSV'
backend,violation,verdict,detail,trusted_intact,domain_usable,ns
none,write-global,missed,OK,0,1,50
none,endless-loop,hang,,0,0,
mprotect,write-global,caught,EFAULT,1,1,20000
mprotect,endless-loop,caught,ETIMEDOUT,1,1,300000000
CSV
# results.json: the same rows (the fields report.md reads), as the harness writes them.
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	{
		printf "%s{\"backend\": \"%s\", \"workload\": \"%s\", \"size\": %d, \"median_ns\": %s}",
			(NR > 2 ? ",\n  " : ""), $col["backend"], $col["workload"], $col["size"], $col["median_ns"]
	}
	BEGIN { print "{\"run\": {\"host\": \"testhost\", \"command\": [\"./harness\", \"--refs\"], \"tsc_ghz\": 2.5},"
		printf " \"rows\": [" }
	END { print "],\n \"skipped\": [{\"backend\": \"mpk\", \"reason\": \"CPU lacks PKU\"}], \"failed\": []}" }
' "$dir/results.csv" >"$dir/results.json"

check "plots/plots.sh ran" plots/plots.sh "$dir"
for name in roundtrip snappy-compress-time snappy-compress-throughput snappy-compress-overhead \
	png-decode-overhead-bars records-methods violations zstd-compress-time \
	zstd-compress-throughput zstd-compress-overhead; do
	check "$name.svg is a non-empty SVG" grep -q '<svg' "$dir/$name.svg"
	check "$name.png is a non-empty PNG" sh -c "head -c 4 '$dir/$name.png' | grep -q PNG"
done
# The bars carry their values; the records plot has a curve for each (method, backend) measured.
for want in '5.5 KiB' '64 KiB' '380 KiB' '895 KiB' '2.00x' '1.05x' 'process' 'mprotect'; do
	check "png-decode-overhead-bars.svg shows '$want'" grep -qF -e "$want" "$dir/png-decode-overhead-bars.svg"
done
check "png-decode-overhead-bars.svg has no bar for none" \
	sh -c "! grep -q '>none<' '$dir/png-decode-overhead-bars.svg'"
for want in 'raw / none' 'raw / process' 'msgpack / none' 'inplace / process' 'cbor / none'; do
	check "records-methods.svg has the curve '$want'" grep -qF "$want" "$dir/records-methods.svg"
done
check "records-methods.svg has no curve not measured" \
	sh -c "! grep -q 'msgpack / process' '$dir/records-methods.svg'"
for want in 'missed' 'caught' 'hang' 'EFAULT' 'write-global' 'endless-loop' 'none' 'mprotect'; do
	check "violations.svg shows '$want'" grep -qF -e "$want" "$dir/violations.svg"
done
check "no size plot for call-args, measured at one size" \
	sh -c "! ls '$dir' | grep -q '^call-args-'"

# The manifest: a line a plot, its title as the plot has it.
check "plots.tsv lists zstd-compress-time with its title" \
	grep -qxF "$(printf 'zstd-compress-time\tzstd-compress: time per call against payload size')" \
	"$dir/plots.tsv"
check "plots.tsv lists every plot drawn" \
	test "$(($(wc -l <"$dir/plots.tsv") - 1))" -eq "$(ls "$dir" | grep -c '\.svg$')"

check "harness --report ran" "$harness" --report "$dir"
for want in 'testhost' 'skipped **mpk**: CPU lacks PKU' '| snappy-compress | 1024 | 900.0 | 1100.0 |' \
	'| call-null | 0 | 22.00 |' 'mpk was skipped: CPU lacks PKU' '(roundtrip.svg)' \
	'(snappy-compress-overhead.png)' '(png-decode-overhead-bars.svg)' '(records-methods.png)' \
	'### png-decode (libpng): ratio to none per image size' '| memcpy 1048576 | 1000.0 |' \
	'| copy-in | 1048576 | 0.50 | - |' '| copy | 1048576 | 0.25 | - |' \
	'| mprotect | 27000.0 | 10.00 | 54000.0 | 20.00 |' '| write-global | missed (OK) | caught (EFAULT) |' \
	'| endless-loop | hang | caught (ETIMEDOUT) |' '(violations.svg)' 'undetected: nothing noticed' \
	'| zstd-compress | 65536 | 90000.0 | 95000.0 |' '| zstd-compress | 4096 | 1.12 |' \
	'### zstd-compress: throughput against payload size' '(zstd-compress-overhead.svg)' \
	'| records-cbor | 64 | 300.0 | - |'; do
	check "report.md has '$want'" grep -qF -e "$want" "$dir/report.md"
done

# A run of this harness: ratios with intervals (one clear of 1, one holding it), a noisy
# and contended row, a contended start, a copy share above 1 (a noisy memcpy reference).
iv=$dir/intervals
mkdir "$iv"
cat >"$iv/results.json" <<'JSON'
{"run": {"host": "testhost", "baseline": "none",
  "load": {"loadavg_1min": 3.5, "before": {"other_cpus": 1.2, "steal_cpus": 0.0},
           "during": {"other_cpus": 0.9, "steal_cpus": 0.0}, "contended": true,
           "contended_rows": 1}},
 "rows": [
  {"backend": "none", "workload": "call-null", "size": 0, "median_ns": 5.0, "ratio": 1,
   "ratio_lo": 1, "ratio_hi": 1, "cpu_ns": 5.0},
  {"backend": "process", "workload": "call-null", "size": 0, "median_ns": 5.2, "ratio": 1.04,
   "ratio_lo": 1.02, "ratio_hi": 1.06, "cpu_ns": 10.4, "noisy": true, "contended": true},
  {"backend": "mprotect", "workload": "call-null", "size": 0, "median_ns": 5.1, "ratio": 1.01,
   "ratio_lo": 0.97, "ratio_hi": 1.05, "cpu_ns": 5.1},
  {"backend": "none", "workload": "copy-in", "size": 1048576, "median_ns": 1000.0},
  {"backend": "process", "workload": "copy-in", "size": 1048576, "median_ns": 1500.0},
  {"backend": "ref", "workload": "memcpy", "size": 1048576, "median_ns": 700.0}],
 "skipped": [], "failed": []}
JSON
check "harness --report ran on a run with intervals" "$harness" --report "$iv"
for want in '**Contended:** other processes used 1.2 CPUs' '| call-null | 0 | 1.04x (1.02-1.06) \* † |' \
	'~1x (no difference; 0.97-1.05)' '| call-null | 0 | 5.0 / 5.0 | 5.2 / 10.4 |' \
	'| copy-in | 1048576 | not a result (1.40 > 1'; do
	check "report.md of a run with intervals has '$want'" grep -qF -e "$want" "$iv/report.md"
done

# A run folder whose results.json is missing or broken: status non-zero, one line saying
# which file and why, and no report.md.
bad=$dir/bad
mkdir "$bad"
for case in missing broken; do
	[ $case = broken ] && printf '{"run": {}, "rows": [{"backend": "none",\n' >"$bad/results.json"
	check "harness --report fails on a $case results.json" \
		sh -c "! '$harness' --report '$bad' 2>'$dir/err'"
	check "harness --report says what and why on one line ($case)" \
		sh -c "[ \$(wc -l <'$dir/err') -eq 1 ] && grep -q 'results.json' '$dir/err'"
	check "no report.md from a $case results.json" sh -c "! ls '$bad' | grep -q report"
done
[ "$fail" -eq 0 ] && echo "tests/harness/plots.sh: plots and report: ok"
exit "$fail"
