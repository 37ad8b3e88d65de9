#!/usr/bin/env bash
# Runs one program inside a throwaway QEMU (TCG, -cpu max, so PKU is there) VM and exits with its status.
set -euo pipefail

usage() {
    cat >&2 <<'EOF'
usage: run.sh [--timeout SEC] [--kernel LINE] [--file PATH]... [--env NAME=VALUE]... [--cwd DIR] -- PROGRAM [ARGS...]
  Boots PROGRAM (with its shared libraries and every --file, at their host paths) as
  the only job of a QEMU VM whose CPU has PKU. Its stdout/stderr come out on stdout;
  the exit status is the program's (128+N for signal N), 125 if the VM itself failed.
  --cwd defaults to the current directory. ISO_VM_DEBUG=1 shows the kernel console.
  --kernel: the Debian kernel line to boot, 6.1 (default, or $ISO_VM_KERNEL) or 6.12.
EOF
    exit 125
}

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
cache=${ISO_VM_CACHE:-${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}/isobench/vm}
qemu=${ISO_VM_QEMU:-qemu-system-x86_64}
timeout=300
kline=${ISO_VM_KERNEL:-6.1}
cwd=$PWD
files=()
envs=()
tmp=
qpid=

die() { echo "run.sh: $*" >&2; exit 125; }

# shellcheck disable=SC2317  # only ever called from the EXIT trap
cleanup() {
    [[ -z $qpid ]] || kill "$qpid" 2>/dev/null || true
    [[ -z $tmp ]] || rm -rf -- "$tmp"
}
trap cleanup EXIT
# timeout(1) moves qemu out of our process group, so a Ctrl-C must be passed on by hand.
trap 'exit 130' INT
trap 'exit 143' TERM

while [[ $# -gt 0 ]]; do
    case $1 in
        --timeout) [[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || usage; timeout=$2; shift 2 ;;
        --kernel) [[ $# -ge 2 ]] || usage; kline=$2; shift 2 ;;
        --file) [[ $# -ge 2 ]] || usage; files+=("$2"); shift 2 ;;
        --env) [[ $# -ge 2 && $2 == [A-Za-z_]*=* ]] || usage; envs+=("$2"); shift 2 ;;
        --cwd) [[ $# -ge 2 ]] || usage; cwd=$2; shift 2 ;;
        --) shift; break ;;
        *) usage ;;
    esac
done
[[ $# -ge 1 ]] || usage

command -v "$qemu" >/dev/null || die "$qemu not found (apt-get install qemu-system-x86)"
command -v cpio >/dev/null || die "cpio not found (apt-get install cpio)"
command -v cc >/dev/null || die "cc not found, needed to build the VM's init"

# PATH lookup as exec does it, but a bare name of a file here also works.
prog=$1
shift
if [[ $prog != */* ]]; then
    if found=$(type -P -- "$prog"); then
        prog=$found
    elif [[ -f $prog ]]; then
        prog=./$prog
    else
        die "$prog: not found"
    fi
fi
[[ -f $prog && -x $prog ]] || die "$prog: not an executable file"
prog=$(realpath -s -- "$prog")
[[ $cwd == /* ]] || cwd=$(realpath -s -- "$cwd")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/isobench-vm.XXXXXX" 2>/dev/null) || die "cannot create a temp directory"

if ! kernel=$("$here/kernel.sh" "$kline" 2>"$tmp/kernel.err"); then
    msg=$(head -n 1 "$tmp/kernel.err")
    die "no kernel: ${msg#kernel.sh: }"
fi

# init is built once per version of init.c (a static binary needs nothing else in the
# VM); a read-only cache only costs a rebuild each run.
init_id=$(sha256sum <"$here/init.c" | cut -c1-16)
init=$cache/init-$init_id
if [[ ! -x $init ]]; then
    cc -static -O2 -Wall -Wextra -Werror -o "$tmp/init" "$here/init.c" 2>"$tmp/cc.log" ||
        die "cannot build init: $(head -n 1 "$tmp/cc.log")"
    part=$cache/.init-$init_id.part.$$
    if cp -- "$tmp/init" "$part" 2>/dev/null && mv -f -- "$part" "$init"; then :; else
        rm -f -- "$part"
        init=$tmp/init
    fi
fi

# The VM sees host paths unchanged: every symlink on the way to a file is recreated
# (merged /usr makes /lib and /lib64 links), parents always precede children.
declare -A seen=()
entries=()
emit() {
    if [[ -z ${seen[$1]+x} ]]; then
        seen[$1]=1
        entries+=("${1#/}")
    fi
}

add_path() {
    local path cur="" i target rest
    local -a comps
    path=$(realpath -s -- "$1")
    [[ $path != / ]] || return 0
    IFS=/ read -r -a comps <<<"${path#/}"
    for i in "${!comps[@]}"; do
        cur+=/${comps[i]}
        if [[ -L $cur ]]; then
            emit "$cur"
            target=$(readlink -- "$cur")
            [[ $target == /* ]] || target=$(dirname -- "$cur")/$target
            rest=$(IFS=/; echo "${comps[*]:i+1}")
            add_path "$target${rest:+/$rest}"
            return 0
        fi
        [[ -e $cur ]] || die "$1: $cur does not exist"
        emit "$cur"
    done
}

is_elf() {
    local magic=
    LC_ALL=C IFS= read -r -n 4 magic <"$1" 2>/dev/null || true
    [[ $magic == $'\x7fELF' ]]
}

# Follows the whole library closure (ldd gives it transitively), loader included;
# a script's interpreter is treated like a program.
add_binary() {
    local f=$1 line lib interp
    add_path "$f"
    if is_elf "$f"; then
        while IFS= read -r line; do
            [[ $line != *'=> not found'* ]] || die "$f needs ${line%% =>*} which ldd cannot find"
            lib=$(sed -n 's/^[^/]*\(\/[^ ]*\) (0x[0-9a-f]*)$/\1/p' <<<"$line")
            [[ -n $lib ]] || continue
            add_path "$lib"
            # glibc dlopens libgcc_s for pthread_exit, pthread_cancel and backtrace().
            if [[ $lib == */libc.so.6 && -e ${lib%/*}/libgcc_s.so.1 ]]; then
                add_path "${lib%/*}/libgcc_s.so.1"
                [[ ! -e /etc/ld.so.cache ]] || add_path /etc/ld.so.cache
            fi
        done < <(LC_ALL=C ldd "$f" 2>/dev/null || true)
    elif [[ $(head -c 2 "$f" 2>/dev/null) == '#!' ]]; then
        read -r interp _ < <(head -n 1 "$f" | cut -c3-)
        [[ -n $interp ]] || die "$f: empty #! line"
        add_binary "$interp"
    fi
}

add_binary "$prog"
for f in "${files[@]}"; do
    [[ -e $f || -L $f ]] || die "--file $f does not exist"
    f=$(realpath -s -- "$f")
    if [[ -d $f ]]; then
        while IFS= read -r -d '' e; do
            if [[ -f $e && ! -L $e ]]; then add_binary "$e"; else add_path "$e"; fi
        done < <(find -H "$f" -print0)
    elif [[ -f $f ]]; then
        add_binary "$f"
    else
        add_path "$f"
    fi
done

stage=$tmp/stage
mkdir -p "$stage/vm"
cp -- "$init" "$stage/init"
printf '%s\0' "$prog" "$@" >"$stage/vm/argv"
[[ ${#envs[@]} -eq 0 ]] || printf '%s\0' "${envs[@]}" >"$stage/vm/env"
printf '%s\n' "$cwd" >"$stage/vm/cwd"
# Enough of /etc for getpwuid(), getgrgid() and "localhost"; a --file of the same name wins.
mkdir -p "$stage/etc"
[[ -n ${seen[/etc/passwd]+x} ]] || echo 'root:x:0:0:root:/root:/bin/sh' >"$stage/etc/passwd"
[[ -n ${seen[/etc/group]+x} ]] || echo 'root:x:0:' >"$stage/etc/group"
[[ -n ${seen[/etc/hosts]+x} ]] || printf '127.0.0.1 localhost\n::1 localhost\n' >"$stage/etc/hosts"
# The kernel unpacks concatenated archives in order: host files, then init and /vm.
(cd / && printf '%s\0' "${entries[@]}" | cpio -o -0 -H newc -R 0:0 --quiet) >"$tmp/initrd" 2>"$tmp/cpio.log" ||
    die "cpio failed: $(head -n 1 "$tmp/cpio.log")"
(cd "$stage" && find . -mindepth 1 -print0 | cpio -o -0 -H newc -R 0:0 --quiet) >>"$tmp/initrd" 2>"$tmp/cpio.log" ||
    die "cpio failed: $(head -n 1 "$tmp/cpio.log")"

# ttyS0 carries the kernel console and init's markers into a file; ttyS1 carries the
# program's output straight to our stdout, so no kernel noise needs filtering out.
console=$tmp/console.log
: >"$console"
timeout -k 5 "$timeout" "$qemu" \
    -accel tcg -cpu max -m "${ISO_VM_MEM:-1G}" -smp "${ISO_VM_SMP:-1}" \
    -nodefaults -no-user-config -display none -no-reboot \
    -kernel "$kernel" -initrd "$tmp/initrd" \
    -append "console=ttyS0 quiet panic=-1 ${ISO_VM_APPEND:-}" \
    -chardev "file,id=con,path=${console//,/,,}" -serial chardev:con \
    -serial stdio </dev/null 2>"$tmp/qemu.err" &
qpid=$!
rc=0
wait "$qpid" || rc=$?
qpid=

[[ ${ISO_VM_DEBUG:-0} == 0 ]] || cat -- "$console" "$tmp/qemu.err" | tr -d '\r' >&2

marker=$(tr -d '\r' <"$console" | grep -a -o -E '^ISO-VM-(EXIT (status|signal)=[0-9]+|ERROR .*)$' | tail -n 1 || true)
case $marker in
    'ISO-VM-EXIT status='*) exit "${marker#*=}" ;;
    'ISO-VM-EXIT signal='*) exit $((128 + ${marker#*=})) ;;
    'ISO-VM-ERROR '*) die "VM init failed: ${marker#ISO-VM-ERROR }" ;;
esac
[[ $rc -ne 124 && $rc -ne 137 ]] || die "VM timed out after ${timeout}s (raise --timeout; TCG is slow)"
if [[ $rc -ne 0 ]]; then
    die "$qemu failed (rc=$rc): $(grep -v '^$' "$tmp/qemu.err" | tail -n 1)"
fi
why=$(tr -d '\r' <"$console" | grep -a -E 'Kernel panic|Oops|BUG:' | head -n 1 || true)
[[ -n $why ]] || why=$(tr -d '\r' <"$console" | grep -a -v '^[[:space:]]*$' | tail -n 1 || true)
[[ -z $why ]] || why="console: $why"
[[ -n $why ]] || why="the kernel printed nothing, so it may not have started: ISO_VM_MEM too small?"
die "VM ended without an exit marker ($why)"
