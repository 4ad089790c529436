#!/usr/bin/env bash
# Build the test kernel into a cache outside the checkout and print the build directory.
#
#   build-kernel.sh KERNEL_SRC CONFIG_FRAGMENT CACHE_DIR [OVERLAY_FRAGMENT...]
#
# Overlay fragments (qemu/configs/*.config) are merged after the base fragment and win over
# it; a line `# CONFIG_X is not set` in either is checked like a `CONFIG_X=` line.
# The cache key is kernel version + config fragments + rustc version: the same machine reuses
# a build, a fresh machine (or a changed fragment or toolchain) makes a new one. Progress goes
# to stderr, one line per phase and one every 30 s during the compile; the full log is kept in
# the build directory as build.log.
set -euo pipefail

src=${1:?usage: build-kernel.sh KERNEL_SRC CONFIG_FRAGMENT CACHE_DIR [OVERLAY_FRAGMENT...]}
fragment=${2:?}
cache=${3:?}
shift 3
overlays=("$@")
llvm=${LLVM:--19}
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-19/lib}

# A `make -s` above us (make test runs `make -s module`) would silence the kernel build
# through MAKEFLAGS, and the progress lines read the build log.
unset MAKEFLAGS MFLAGS MAKELEVEL

die() { echo "error: $*" >&2; exit 1; }
say() { echo "kernel: $*" >&2; }

[ -f "$src/Makefile" ] || die "no kernel tree at $src; set KERNEL_SRC to a Linux source tree"
kver=$(make -s -C "$src" kernelversion 2>/dev/null) || die "cannot read the kernel version of $src; set KERNEL_SRC to a Linux source tree"
rustc_ver=$(rustc --version)
for f in "$fragment" "${overlays[@]}"; do [ -f "$f" ] || die "no config fragment $f"; done
# Without overlays the key is the one earlier versions computed, so their cache stays valid.
key=$( { echo "$kver"; cat "$fragment" "${overlays[@]}"; echo "$rustc_ver"; echo "$src"; } | sha256sum | cut -c1-12)
out=$cache/kbuild-$kver-$key
mkdir -p "$out"

# One build per output directory at a time: a second caller (another checkout's `make test`)
# waits for the first, then finds its build in the cache.
exec 9>"$out/.lock"
if ! flock -n 9; then
	say "another build of this kernel is running in $out; waiting for it"
	flock 9
fi

if [ -f "$out/.n_rust-built" ] && [ -f "$out/arch/x86/boot/bzImage" ] && [ -f "$out/Module.symvers" ]; then
	say "cached build of Linux $kver at $out"
	echo "$out"
	exit 0
fi

log=$out/build.log
: >"$log"
MAKE=(make -C "$src" O="$out" LLVM="$llvm" ARCH=x86_64)
run() { "${MAKE[@]}" "$@" >>"$log" 2>&1 || { tail -n 40 "$log" >&2; die "kernel build step 'make $*' failed; full log: $log"; }; }

names=$(basename "$fragment"); for f in "${overlays[@]}"; do names+=" + $(basename "$f")"; done
say "Linux $kver, config $names, $rustc_ver"
say "checking the Rust toolchain (make rustavailable)"
run rustavailable
say "tinyconfig + $names"
run tinyconfig
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$fragment" "${overlays[@]}" >>"$log" 2>&1 ||
	die "merge_config failed; see $log"
run olddefconfig
# What the fragments ask for, the last one winning: option -> wanted line.
declare -A wanted
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) wanted[${line%%=*}]=$line ;;
	"# CONFIG_"*" is not set") opt=${line#\# }; wanted[${opt%% *}]="" ;;
	esac
done < <(cat "$fragment" "${overlays[@]}")
missing=0
for opt in "${!wanted[@]}"; do
	if [ -n "${wanted[$opt]}" ]; then
		grep -qxF "${wanted[$opt]}" "$out/.config" || { echo "  not set in .config: ${wanted[$opt]}" >&2; missing=1; }
	elif grep -q "^$opt=" "$out/.config"; then
		echo "  set in .config but asked off: $(grep "^$opt=" "$out/.config")" >&2; missing=1
	fi
done
[ $missing -eq 0 ] || die "the config fragments did not apply (a dependency is missing); see $out/.config"

say "compiling on $(nproc) cores (about 8 minutes on 2; log: $log)"
start=$(date +%s)
"${MAKE[@]}" -j"$(nproc)" >>"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
while kill -0 $pid 2>/dev/null; do
	for _ in $(seq 30); do kill -0 $pid 2>/dev/null || break; sleep 1; done
	kill -0 $pid 2>/dev/null || break
	c=$(grep -c '^  CC ' "$log" || true)
	r=$(grep -c '^  RUSTC ' "$log" || true)
	last=$(grep -E '^  [A-Z]+' "$log" | tail -n1 | sed 's/^ *//' || true)
	say "$(($(date +%s) - start))s: $c C files, $r Rust crates; now: $last"
done
wait $pid || { tail -n 40 "$log" >&2; die "kernel compile failed; full log: $log"; }
trap - EXIT
say "built in $(($(date +%s) - start))s: $out/arch/x86/boot/bzImage"
touch "$out/.n_rust-built"
echo "$out"
