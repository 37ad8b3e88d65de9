#!/bin/sh
# examples/run.sh: run each example program on every backend this machine supports.
# Usage: examples/run.sh BIN-DIR HARNESS   (the built examples; ./harness --list says what runs here)
set -eu
bin=$1
harness=$2
backends=$("$harness" --list | awk '/^backends:/ { on = 1; next } /^[^ ]/ { on = 0 } on && $2 == "yes" { print $1 }')
fail=0
for ex in "$bin"/*; do
	[ -x "$ex" ] || continue
	for b in $backends; do
		"$ex" "$b" || { echo "examples: $(basename "$ex") failed on $b"; fail=1; }
	done
done
exit $fail
