#!/bin/sh
# support/mpk-vm.sh: the mpk tests where PKU is: natively when the CPU has it, else under QEMU (-cpu max has PKU).
# Usage: tests/support/mpk-vm.sh [TEST-BINARY [HARNESS]]
set -eu
cd "$(dirname "$0")/../.."
tests=${1:-build/tests}
harness=${2:-build/harness}
suites='@(contract|violations|snappy|workloads|inproc|harden)/*'

# The gate is the only place that may change PKRU: the instruction, or its bytes (and
# the violation matrix, whose wrpkru-jit row is an attack made of them).
if grep -rlIE --include='*.[chS]' '^[[:space:]]*wrpkru|0x0f, *0x01, *0xef' backends bench workloads \
	include tests | grep -v -e '^backends/gate.S$' -e '^bench/violations.c$'; then
	echo "WRPKRU outside backends/gate.S (files above)"
	exit 1
fi

if grep -qw pku /proc/cpuinfo; then
	echo "mpk tests: native (this CPU has PKU)"
	ISO_TEST_BACKENDS=mpk "$tests" --filter "$suites" --jobs=2
	run() { "$@"; }
else
	echo "mpk tests: under QEMU -cpu max, as this CPU lacks PKU (timings there mean nothing)"
	scripts/vm/run.sh --env ISO_TEST_BACKENDS=mpk -- "$tests" --filter "$suites" --jobs=1
	run() { scripts/vm/run.sh -- "$@"; }
fi

# The harness end to end on mpk: a CSV with a positive call-null median.
out=$(run "$harness" --backend=mpk --workload=call-null,switch-bare --iterations=1000 \
	--repetitions=3 --warmup=1 --format=csv --quiet --no-baseline)
if ! printf '%s\n' "$out" | awk -F, 'NR == 1 && $1 == "backend" { head = 1 }
	$1 == "mpk" && $2 == "call-null" && $5 > 0 { row = 1 }
	END { exit !(head && row) }'; then
	printf 'mpk harness run: unexpected output:\n%s\n' "$out"
	exit 1
fi
printf '%s\n' "$out" | awk -F, '$1 == "mpk" { printf "mpk harness run: ok, %s median %s ns\n", $2, $5 }'

# The violation matrix on mpk, hardened (the default): every kind of failure and every
# PKU pitfall caught (an error back, trusted
# memory intact, the domain usable again).
out=$(run "$harness" --violations --backend=mpk --format=csv --quiet)
if ! printf '%s\n' "$out" | awk -F, 'NR == 1 { next } $1 == "mpk" { n++; if ($3 != "caught") bad++ }
	END { exit !(n >= 20 && !bad) }'; then
	printf 'mpk violation matrix: not every case caught:\n%s\n' "$out"
	exit 1
fi
echo "mpk violation matrix: every case caught"
