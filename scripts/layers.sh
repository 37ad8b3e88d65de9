#!/bin/sh
# layers.sh: fails when the object files of one layer use each other in a cycle.
# Usage: scripts/layers.sh NAME OBJECT...   (e.g. backends build/obj/backends/*.o)
# An edge a -> b: a.o leaves undefined a symbol that b.o defines (nm).  tsort finds
# the cycles; --graph prints the edges instead, for a reader.
set -eu

graph=0
[ "${1:-}" = --graph ] && { graph=1; shift; }
[ $# -ge 2 ] || { echo "usage: layers.sh [--graph] NAME OBJECT..." >&2; exit 2; }
name=$1
shift

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for o in "$@"; do
	[ -f "$o" ] || { echo "layers.sh: $o: no such object file" >&2; exit 2; }
	b=$(basename "$o" .o)
	nm -g --defined-only "$o" | awk -v b="$b" 'NF == 3 { print $3, b }' >>"$tmp/defs"
	nm -u "$o" | awk -v b="$b" '{ print b, $NF }' >>"$tmp/uses"
done
# Every object is a node (an edge to itself), then user -> definer for each symbol.
awk 'NR == FNR { def[$1] = $2; next }
	{ print $1, $1 }
	($2 in def) && def[$2] != $1 { print $1, def[$2] }' "$tmp/defs" "$tmp/uses" |
	sort -u >"$tmp/edges"
if [ $graph = 1 ]; then
	awk '$1 != $2 { print "  " $1 " -> " $2 }' "$tmp/edges"
	exit 0
fi
if ! tsort "$tmp/edges" >/dev/null 2>"$tmp/err"; then
	echo "layers: $name: its object files use each other in a cycle:" >&2
	# tsort names each loop it breaks, then its members one a line.
	awk '/input contains a loop/ { printf "%s  cycle:", sep; sep = "\n"; next }
		{ sub(/^tsort: /, ""); printf " %s", $0 } END { print "" }' "$tmp/err" >&2
	echo "  (scripts/layers.sh --graph $name OBJECTS... prints every edge)" >&2
	exit 1
fi
echo "layers: $name: $(wc -l <"$tmp/edges" | tr -d ' ') edges, no cycle"
