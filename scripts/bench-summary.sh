#!/bin/sh
# bench-summary.sh: a few lines about a run folder for `make bench`: rows, how many differ
# from the baseline, noisy and contended rows, and the empty call's ratios.
# Usage: scripts/bench-summary.sh RUN
set -eu
run=${1:?usage: scripts/bench-summary.sh RUN}
awk -F, '
function x(v) { return v < 9.995 ? sprintf("%.2f", v) : v < 99.95 ? sprintf("%.1f", v) : sprintf("%.0f", v) }
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
{
	rows++
	noisy += $col["noisy"] == 1
	contended += $col["contended"] == 1
	lo = $col["ratio_lo"]; hi = $col["ratio_hi"]
	if (lo != "" && hi != "" && lo < hi) {
		ratios++
		if (lo > 1 || hi < 1)
			differ++
	}
	if ($col["workload"] == "call-null" && lo != "" && lo < hi)
		calls = calls sprintf("  call-null %-16s %8sx the baseline (95%% %s-%s)\n",
				      $col["backend"], x($col["ratio"]), x(lo), x(hi))
}
END {
	printf "%d rows: %d with a ratio, %d of them clear of 1; %d noisy, %d measured under contention\n",
	       rows, ratios, differ, noisy, contended
	printf "%s", calls
}' "$run/results.csv"
grep -q '"contended": true' "$run/system.json" 2>/dev/null &&
	echo "contended: other processes competed for the CPUs when the run started (system.json: load)"
exit 0
