#!/bin/sh
# plots.sh: the gnuplot scripts draw every expected, non-empty image from a small results.csv,
# and scripts/report.sh writes a report.md that has the tables and links them.
# Usage: tests/plots.sh   (from the repository root; needs gnuplot-nox)
set -eu
command -v gnuplot >/dev/null ||
	{ echo "tests/plots.sh: gnuplot missing: run scripts/deps.sh test as root" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
check() { # check DESCRIPTION COMMAND...: run the command, report a failure
	what=$1
	shift
	"$@" || { echo "FAIL tests/plots.sh: $what" >&2; fail=1; }
}

# Columns in another order plus one more, as the harness may add; a sized workload at three
# sizes with one overhead missing; call-args at one size only (no curve: no size plots);
# the references; mpk skipped.
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
indirect-call,ref,0,1000,1.5,1.4,1.6,1.7,1.3,,tsc,x
pipe-pingpong,ref,0,100,7000.0,6500.0,9000.0,12000.0,6000.0,,tsc,x
CSV
cat >"$dir/results.json" <<'JSON'
{"run": {"host": "testhost", "command": ["./harness", "--refs"], "tsc_ghz": 2.5},
 "rows": [], "skipped": [{"backend": "mpk", "reason": "CPU lacks PKU"}], "failed": []}
JSON

check "plots/plots.sh ran" plots/plots.sh "$dir"
for name in roundtrip snappy-compress-time snappy-compress-throughput snappy-compress-overhead; do
	check "$name.svg is a non-empty SVG" grep -q '<svg' "$dir/$name.svg"
	check "$name.png is a non-empty PNG" sh -c "head -c 4 '$dir/$name.png' | grep -q PNG"
done
check "no size plot for call-args, measured at one size" \
	sh -c "! ls '$dir' | grep -q '^call-args-'"

check "scripts/report.sh ran" scripts/report.sh "$dir"
for want in 'testhost' 'skipped **mpk**: CPU lacks PKU' '| snappy-compress | 1024 | 900.0 | 1100.0 |' \
	'| call-null | 0 | 22.00 |' 'mpk was skipped: CPU lacks PKU' '(roundtrip.svg)' \
	'(snappy-compress-overhead.png)'; do
	check "report.md has '$want'" grep -qF "$want" "$dir/report.md"
done
[ "$fail" -eq 0 ] && echo "tests/plots.sh: plots and report: ok"
exit "$fail"
