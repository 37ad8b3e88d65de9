#!/bin/sh
# support/mpk-vm.sh: the mpk tests wherever PKU is: natively when this CPU has it, and
# under QEMU (-cpu max has PKU) on each Debian 12 kernel line, as signal delivery and
# PKRU handling differ between them (6.12 changed both).
# Usage: tests/support/mpk-vm.sh [TEST-BINARY [HARNESS]]
#   ISO_VM_KERNELS="6.1 6.12" (the default): the kernel lines booted under QEMU; set it
#   empty to run natively only (where the CPU has PKU).
set -eu
cd "$(dirname "$0")/../.."
tests=${1:-build/tests}
harness=${2:-build/harness}
suites='@(contract|violations|snappy|workloads|inproc|typed|libc|robust|harden|adopt|libc_state|confidential)/*'
kernels=${ISO_VM_KERNELS-6.1 6.12}

# The gate is the only place that may change PKRU: the instruction, or its bytes (and
# the violation matrix, whose wrpkru-jit row is an attack made of them).
if grep -rlIE --include='*.[chS]' '^[[:space:]]*wrpkru|0x0f, *0x01, *0xef' backends bench workloads \
	include tests | grep -v -e '^backends/gate.S$' -e '^bench/violations.c$'; then
	echo "WRPKRU outside backends/gate.S (files above)"
	exit 1
fi

# "workload value" for each mpk row of the CSV on stdin, value from the column named $1
# (under QEMU the harness's stderr comes first, on the same stream).
csv_column() {
	awk -F, -v col="$1" '$1 == "backend" { for (i = 1; i <= NF; i++) at[$i] = i; next }
		("backend" in at) && $at["backend"] == "mpk" { print $at["workload"], $at[col] }'
}

# The suites, a harness run and the violation matrix, each through "$@" (nothing, or
# the QEMU runner); $where names the place in every line printed.
check() {
	where=$1
	shift
	echo "mpk tests: $where"
	"$@" "$tests" --filter "$suites" --jobs="$jobs"

	# The harness end to end on mpk: a positive call-null median.
	out=$("$@" "$harness" --backend=mpk --workload=call-null,switch-bare --iterations=1000 \
		--repetitions=3 --warmup=1 --format=csv --quiet --no-baseline)
	if ! printf '%s\n' "$out" | csv_column median_ns | awk '$1 == "call-null" && $2 > 0 { ok = 1 }
		END { exit !ok }'; then
		printf 'mpk harness run (%s): unexpected output:\n%s\n' "$where" "$out"
		exit 1
	fi
	printf '%s\n' "$out" | csv_column median_ns |
		awk -v w="$where" '{ printf "mpk harness run (%s): ok, %s median %s ns\n", w, $1, $2 }'

	# The violation matrix on mpk, hardened (the default): every kind of failure and
	# every PKU pitfall caught (an error back, trusted memory intact, the domain usable
	# again).
	out=$("$@" "$harness" --violations --backend=mpk --format=csv --quiet --case-limit-ms="$limit")
	if ! printf '%s\n' "$out" | awk -F, 'NR == 1 { next } $1 == "mpk" { n++; if ($3 != "caught") bad++ }
		END { exit !(n >= 20 && !bad) }'; then
		printf 'mpk violation matrix (%s): not every case caught:\n%s\n' "$where" "$out"
		exit 1
	fi
	echo "mpk violation matrix ($where): every case caught"
}

export ISO_TEST_BACKENDS=mpk
if grep -qw pku /proc/cpuinfo; then
	jobs=2 limit=3000 check "native, this CPU has PKU"
elif [ -z "$kernels" ]; then
	kernels=6.1 # no PKU here: QEMU is the only place the mpk tests can run
fi
# The adopt suite dlopens libxml2, which the tests do not link: the VM needs it too.
xml=$(ldconfig -p | awk '$1 == "libxml2.so.2" && /x86-64/ { print "--file " $NF; exit }')
for k in $kernels; do
	jobs=1 limit=60000 check "QEMU -cpu max, Linux $k; timings there mean nothing" \
		scripts/vm/run.sh --kernel "$k" --env ISO_TEST_BACKENDS=mpk --env ISO_TEST_TIMEOUTS=1000 \
		$xml --
done
