#!/bin/sh
# deps.sh: the one list of Debian packages isobench needs; checks them, installs what is missing.
# Usage: scripts/deps.sh build|test|bench   (each group includes build)
set -eu

build="gcc make libjemalloc-dev libjansson-dev libpfm4-dev libsnappy-dev libpng-dev libmsgpack-dev zlib1g-dev libexpat1-dev libxml2-dev libjpeg62-turbo-dev libsqlite3-dev"
test="libcriterion-dev qemu-system-x86 cpio gnuplot-nox pkgconf"
bench="gnuplot-nox hyperfine"

case "${1:-build}" in
build) want="$build" ;;
test) want="$build $test" ;;
bench) want="$build $bench" ;;
*) echo "deps.sh: unknown group '$1' (build, test or bench)" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "missing Debian packages; run: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "installing missing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists; an old list may lack the candidate.
apt-get install -y --no-install-recommends $missing >/dev/null 2>&1 ||
	{ apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing; }
