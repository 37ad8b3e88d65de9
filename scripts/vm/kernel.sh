#!/usr/bin/env bash
# Prints the path of a Debian cloud vmlinuz with PKU support, downloading it only if not cached.
# Usage: kernel.sh [LINE]   LINE: a kernel line Debian 12 ships, 6.1 (the default, or
# $ISO_VM_KERNEL) or 6.12; the newest of that line is used.
set -euo pipefail

line=${1:-${ISO_VM_KERNEL:-6.1}}
[[ $line =~ ^[0-9]+\.[0-9]+$ ]] || { echo "kernel.sh: '$line' is not a kernel line such as 6.1 or 6.12" >&2; exit 1; }

cache=${ISO_VM_CACHE:-${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}/isobench/vm}
tmp=

die() { echo "kernel.sh: $*" >&2; exit 1; }
cleanup() { [[ -z $tmp ]] || rm -rf -- "$tmp"; }
trap cleanup EXIT

newest_cached() {
    local f
    f=$(find "$cache" -maxdepth 1 -name "vmlinuz-$line.*" -type f 2>/dev/null | sort -V | tail -n 1)
    [[ -n $f ]] && printf '%s\n' "$f"
}

# The common case must not touch apt or the network at all.
newest_cached && exit 0

mkdir -p -- "$cache" 2>/dev/null || die "cannot create cache directory $cache"
# Parallel test jobs on a cold cache would otherwise all download the same package.
{ exec 9>"$cache/.lock"; } 2>/dev/null || die "cannot open lock file $cache/.lock"
flock 9 || die "cannot lock $cache/.lock"
newest_cached && exit 0

# The newest cloud flavour of the line (6.1.0-57-cloud, 6.12.117+deb12-cloud); the
# config check below guards PKU.
candidate() {
    apt-cache search --names-only "^linux-image-${line//./\\.}\\.[0-9]+[-+][^ ]*-cloud-amd64-unsigned\$" 2>/dev/null |
        cut -d' ' -f1 | sort -V | tail -n 1
}

apt_update() {
    [[ $(id -u) -eq 0 ]] || die "no usable kernel package in the apt cache; run 'apt-get update' as root"
    apt-get -qq update >"$tmp/update.log" 2>&1 ||
        die "apt-get update failed: $(tail -n 1 "$tmp/update.log")"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/isobench-kernel.XXXXXX" 2>/dev/null) || die "cannot create a temp directory"
pkg=$(candidate)
if [[ -z $pkg ]]; then
    apt_update
    pkg=$(candidate)
    [[ -n $pkg ]] || die "apt offers no linux-image-$line.*-cloud-amd64-unsigned package"
fi

# As root, apt drops to the _apt user, which cannot write into our private temp dir.
sandbox=()
[[ $(id -u) -ne 0 ]] || sandbox=(-o APT::Sandbox::User=root)
download() { (cd "$tmp" && apt-get -qq "${sandbox[@]}" download "$pkg") >"$tmp/download.log" 2>&1; }
if ! download; then
    # A stale package index points at files the mirror has already dropped.
    [[ $(id -u) -eq 0 ]] || die "apt-get download $pkg failed: $(tail -n 1 "$tmp/download.log")"
    apt_update
    pkg=$(candidate)
    [[ -n $pkg ]] || die "apt offers no linux-image-$line.*-cloud-amd64-unsigned package"
    download || die "apt-get download $pkg failed: $(tail -n 1 "$tmp/download.log")"
fi

deb=$(find "$tmp" -maxdepth 1 -name '*.deb' | head -n 1)
[[ -n $deb ]] || die "apt-get download $pkg produced no .deb"
dpkg -x "$deb" "$tmp/root" || die "dpkg -x $deb failed"
vmlinuz=$(find "$tmp/root/boot" -maxdepth 1 -name 'vmlinuz-*' -type f | head -n 1)
config=$(find "$tmp/root/boot" -maxdepth 1 -name 'config-*' -type f | head -n 1)
[[ -n $vmlinuz ]] || die "$pkg contains no boot/vmlinuz-*"
if [[ -n $config ]] && ! grep -qx 'CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS=y' "$config"; then
    die "$pkg is built without CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS"
fi

# Write then rename, so a reader never sees a half-copied kernel.
dest=$cache/$(basename -- "$vmlinuz")
part=$cache/.$(basename -- "$vmlinuz").part.$$
cp -- "$vmlinuz" "$part" || die "cannot write $part"
mv -f -- "$part" "$dest" || die "cannot rename $part to $dest"
printf '%s\n' "$dest"
