#!/usr/bin/env bash
# Build n_rust.ko against a kernel and install it the way out-of-tree modules are installed:
# `modules_install` into <INSTALL_MOD_PATH>/lib/modules/<release>/updates/, then depmod, so
# that `modprobe n_rust` finds it and the kernel can load it on demand (TIOCSETD 29 asks for
# "tty-ldisc-29").
#
#   install-module.sh KDIR        (make install; KDIR defaults to the running kernel's build)
#
# INSTALL_MOD_PATH= installs under another root (a scratch tree, an image being built).
set -euo pipefail
kdir=${1:?usage: install-module.sh KDIR}
top=$(cd "$(dirname "$0")/.." && pwd)
llvm=${LLVM:--19}
die() { echo "error: $*" >&2; exit 1; }

[ -f "$kdir/Module.symvers" ] ||
	die "no built kernel at $kdir (no Module.symvers): install the running kernel's headers (linux-headers-\$(uname -r)) or set KDIR to a kernel build directory"
grep -qx 'CONFIG_RUST=y' "$kdir/.config" ||
	die "the kernel at $kdir is built without Rust support (CONFIG_RUST); n_rust needs a kernel with CONFIG_RUST=y (README: What a kernel needs)"
release=$(cat "$kdir/include/config/kernel.release")
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-19/lib}

echo "install: building n_rust for Linux $release ($kdir)"
make -s -C "$kdir" M="$top" LLVM="$llvm" modules
echo "install: modules_install into ${INSTALL_MOD_PATH:-}/lib/modules/$release/updates"
make -s -C "$kdir" M="$top" LLVM="$llvm" INSTALL_MOD_DIR=updates modules_install
depmod_args=()
[ -z "${INSTALL_MOD_PATH:-}" ] || depmod_args=(-b "$INSTALL_MOD_PATH")
command -v depmod >/dev/null || PATH=$PATH:/usr/sbin:/sbin
depmod -a "${depmod_args[@]}" "$release"
echo "install: done; 'modprobe n_rust' loads it$( [ -z "${INSTALL_MOD_PATH:-}" ] || echo " (once $INSTALL_MOD_PATH is the root)")"
