#!/bin/sh
# support/install.sh: make install into a temporary prefix, then, with pkg-config alone, build out of tree a fault test against libiso.so and libiso.a, every example and the harness plugin, and run each on every supported backend.
# Usage: tests/support/install.sh [BUILD-DIR]   (run by make test)
set -eu
cd "$(dirname "$0")/../.."
build=${1:-build}
tree=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "install: $*" >&2; exit 1; }
cflags="-O2 -g -Wall -Wextra -Werror"
started=$(date +%s)

# DESTDIR stages the files under the prefix; uninstall removes every one of them.
make -s --no-print-directory install DESTDIR="$tmp/stage" PREFIX=/usr/local >/dev/null
for f in include/iso.h include/isobench/workload.h lib/libiso.a lib/libiso.so \
	lib/libiso.so.0 lib/pkgconfig/isobench.pc lib/pkgconfig/isobench-static.pc \
	bin/isobench-harness; do
	[ -e "$tmp/stage/usr/local/$f" ] || fail "make install DESTDIR=... did not install $f"
done
grep -q '^prefix=/usr/local$' "$tmp/stage/usr/local/lib/pkgconfig/isobench.pc" ||
	fail "isobench.pc does not name PREFIX (DESTDIR must not show in it)"
make -s --no-print-directory uninstall DESTDIR="$tmp/stage" PREFIX=/usr/local
left=$(find "$tmp/stage" ! -type d)
[ -z "$left" ] || fail "make uninstall left: $left"

prefix=$tmp/prefix
make -s --no-print-directory install PREFIX="$prefix" >/dev/null
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig" PATH="$prefix/bin:$PATH"
export LD_LIBRARY_PATH="$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# libiso.so exports iso.h and every function libiso takes over from the C library: each
# global of libiso.a that is not internal (named after its file, heap_, route_ ...).
for f in backends/*.[cS]; do b=${f##*/}; printf '^%s_\n' "${b%.*}"; done > "$tmp/internal"
have=$(nm -D --defined-only "$prefix/lib/libiso.so" | awk '{ print $3 }')
missing=$(nm -g --defined-only "$prefix/lib/libiso.a" | awk 'NF == 3 { print $3 }' | sort -u |
	grep -v -f "$tmp/internal" | while read -r s; do
	printf '%s\n' "$have" | grep -qxF "$s" || printf ' %s' "$s"; done)
[ -z "$missing" ] || fail "libiso.so does not export:$missing (backends/libiso.map)"

backends=$(isobench-harness --list | awk '/^backends:/ { on = 1; next } /^[^ ]/ { on = 0 }
	on && $2 == "yes" { print $1 }')
[ -n "$backends" ] || fail "isobench-harness --list shows no supported backend"

# One program, linked against libiso.so and against libiso.a: a fault isolated either way.
mkdir "$tmp/fault" && cp tests/support/install/fault.c "$tmp/fault/"
cd "$tmp/fault"
cc $cflags fault.c -o fault-shared $(pkg-config --cflags --libs isobench)
cc $cflags fault.c -o fault-static $(pkg-config --cflags --libs isobench-static)
readelf -d fault-shared | grep -q 'NEEDED.*libiso\.so\.0' || fail "fault-shared: no libiso.so.0"
! readelf -d fault-static | grep -q 'libiso\.so' || fail "fault-static: linked libiso.so"
# A program that finds another malloc first (jemalloc's, linked before libiso) would
# have no domain heaps: the in-process backends refuse it, saying why.
cc $cflags fault.c -o fault-misordered -ljemalloc $(pkg-config --cflags --libs isobench)
for b in mpk mprotect; do
	if ./fault-misordered "$b" >/dev/null 2>"$tmp/err" || ! grep -q "malloc is not libiso's" "$tmp/err"; then
		fail "jemalloc linked before libiso.so, $b: not refused: $(cat "$tmp/err")"
	fi
done
for b in $backends; do
	./fault-shared "$b" >/dev/null || fail "libiso.so: fault test on $b failed"
	./fault-static "$b" >/dev/null || fail "libiso.a: fault test on $b failed"
done

# Every example, copied out of the tree: examples/NAME/ is built by its Makefile and run
# as ./run BACKEND if it has one, else ./NAME BACKEND; examples/NAME.c is built alone
# with pkg-config (plus the packages on a ` * pkg-config: PKG...` line) and run as
# ./NAME BACKEND.  Each exits 0 when its good and bad inputs behaved.
cd "$tree"
n=0
for e in examples/*/ examples/*.c; do
	[ -e "$e" ] || continue
	name=$(basename "$e" .c)
	dir=$tmp/examples/$name
	mkdir -p "$dir"
	if [ -d "$e" ]; then
		cp -R "$e". "$dir/"
		make -s --no-print-directory -C "$dir" CFLAGS="$cflags" >/dev/null ||
			fail "$e: out-of-tree build failed"
	else
		cp "$e" "$dir/"
		pkgs=$(sed -n 's/^ \* pkg-config: *//p' "$e" | head -1)
		(cd "$dir" && cc $cflags "$name.c" -o "$name" $(pkg-config --cflags --libs isobench $pkgs)) ||
			fail "$e: out-of-tree build failed"
	fi
	run=$dir/$name
	[ -x "$dir/run" ] && run=$dir/run
	for b in $backends; do
		out=$("$run" "$b" 2>&1) || fail "$e on $b: $(printf '%s\n' "$out" | tail -3)"
	done
	n=$((n + 1))
done

# The plugin: --list shows its workload, every output names it, errors are one line.
plugin=$tmp/examples/plugin/plugin.so
[ -f "$plugin" ] || fail "examples/plugin was not built"
isobench-harness --plugin="$plugin" --list | grep -q '^  example-reverse ' ||
	fail "--list does not show the plugin's workload"
isobench-harness --plugin="$plugin" --backend=process --workload=example-reverse --size=128 \
	--iterations=50 --repetitions=3 --warmup=1 --rounds=2 --events=task-clock --quiet \
	--outdir="$tmp/run" >/dev/null || fail "the plugin's run with --outdir, --rounds, --events failed"
awk -F, 'NR > 1 && $2 == "example-reverse" && $3 == 128 && $5 > 0 { row[$1]++ }
	END { exit !(row["process"] == 1 && row["none"] == 1) }' "$tmp/run/results.csv" ||
	fail "results.csv lacks the plugin's rows: $(cat "$tmp/run/results.csv")"
grep -q '"example-reverse"' "$tmp/run/results.json" || fail "results.json lacks the plugin's rows"
head -1 "$tmp/run/results.csv" | grep -q 'task-clock' || fail "--events: no column for the plugin"

expect_refused() { # what, expected text, harness arguments
	what=$1 text=$2 status=0
	shift 2
	isobench-harness "$@" --list >/dev/null 2>"$tmp/err" || status=$?
	[ "$status" -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "$text" "$tmp/err" ||
		fail "$what: exit $status, expected 2 and one line with '$text': $(cat "$tmp/err")"
}
expect_refused "a missing plugin" "cannot open shared object" --plugin="$tmp/none.so"
printf 'int workload_plugin_abi = 1;\n' > "$tmp/nosym.c"
cc -shared -fPIC -o "$tmp/nosym.so" "$tmp/nosym.c"
expect_refused "a plugin without workload_plugin" "no symbol workload_plugin" --plugin="$tmp/nosym.so"
cc $cflags -shared -fPIC -o "$tmp/own.so" examples/plugin/plugin.c $(pkg-config --cflags --libs isobench)
expect_refused "a plugin linking libiso" "its own libiso" --plugin="$tmp/own.so"
cp "$plugin" "$tmp/again.so"
expect_refused "a workload name taken" "'example-reverse' is already known" \
	--plugin="$plugin" --plugin="$tmp/again.so"

echo "install: make install, uninstall; fault test on libiso.so and .a; $n examples out of tree;" \
	"the plugin; backends $(echo $backends | tr ' ' ,): ok in $(($(date +%s) - started)) s"
