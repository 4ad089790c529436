#!/usr/bin/env bash
# Run kbuild for n_rust from DKMS: `dkms-make.sh KERNEL_SOURCE_DIR TARGET`, in the copy of
# the source DKMS builds in. A Rust kernel module must be built with the LLVM toolchain that
# built the kernel, so LLVM= is derived from the kernel's CONFIG_CLANG_VERSION: `-<major>`
# when only a versioned clang (clang-19) has that major version, `1` for a plain `clang`.
set -euo pipefail
kdir=${1:?usage: dkms-make.sh KERNEL_SOURCE_DIR TARGET}
target=${2:?}
die() { echo "n_rust dkms: $*" >&2; exit 1; }
[ -f "$kdir/.config" ] || die "no kernel configuration in $kdir"
grep -qx 'CONFIG_RUST=y' "$kdir/.config" || die "the kernel in $kdir has no Rust support (CONFIG_RUST=y is needed)"
version=$(sed -n 's/^CONFIG_CLANG_VERSION=//p' "$kdir/.config")
[ -n "$version" ] && [ "$version" != 0 ] || die "the kernel in $kdir was not built with clang (CONFIG_CLANG_VERSION); n_rust needs an LLVM-built kernel"
major=$((version / 10000))
if command -v "clang-$major" >/dev/null; then
	llvm=-$major
elif command -v clang >/dev/null && clang --version | grep -q "version $major\."; then
	llvm=1
else
	die "the kernel was built with clang $major, which is not installed (clang-$major)"
fi
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-$major/lib}
exec make -C "$kdir" M="$PWD" LLVM="$llvm" "$target"
