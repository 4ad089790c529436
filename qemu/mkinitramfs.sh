#!/usr/bin/env bash
# Build the guest's initramfs: busybox, the module, the guest test programs, ldattach.
#   mkinitramfs.sh KDIR BUILD_DIR
set -euo pipefail
kdir=${1:?usage: mkinitramfs.sh KDIR BUILD_DIR}
build=${2:?}
top=$(cd "$(dirname "$0")/.." && pwd)
root=$build/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,lib/modules,lib64,lib/x86_64-linux-gnu,proc,sys,dev,tmp,etc}

# busybox-static installs /bin/busybox, a static binary that runs without a libc.
[ -x /bin/busybox ] || { echo "error: busybox-static is not installed; run 'make setup'" >&2; exit 1; }
cp /bin/busybox "$root/bin/busybox"
install -m 0755 "$top/qemu/init" "$root/init"
# n_rust installed as `make install` does, in updates/ under the kernel's release, with
# depmod's files (modules.alias maps tty-ldisc-29 to it), and busybox as the kernel's
# modprobe (CONFIG_MODPROBE_PATH, /sbin/modprobe), so TIOCSETD 29 loads it on demand. The
# tests load it by the shorter path /lib/modules/n_rust.ko.
release=$(cat "$kdir/include/config/kernel.release")
mkdir -p "$root/lib/modules/$release/updates"
install -m 0644 "$top/n_rust.ko" "$root/lib/modules/$release/updates/n_rust.ko"
ln -s "$release/updates/n_rust.ko" "$root/lib/modules/n_rust.ko"
/bin/busybox depmod -b "$root" "$release"
ln -s ../bin/busybox "$root/sbin/modprobe"
mkdir -p "$root/lib/modules/fixtures"
install -m 0644 "$top"/tests/modules/*.ko "$root/lib/modules/fixtures/"
for prog in "$build"/guest/*; do install -m 0755 "$prog" "$root/bin/"; done
# The guest half of the VT test (tests/vt/): its agent, screen reader, reader and shell starter.
for prog in "$top"/tests/vt/guest/n_rust-vt-*; do install -m 0755 "$prog" "$root/bin/"; done

# util-linux ldattach is dynamically linked against libc only: bring libc and the loader.
ldattach=$(command -v ldattach || echo /usr/sbin/ldattach)
[ -x "$ldattach" ] || { echo "error: ldattach (util-linux) is not installed; run 'make setup'" >&2; exit 1; }
install -m 0755 "$ldattach" "$root/sbin/ldattach"
for lib in $(ldd "$ldattach" | grep -o '/[^ ]*'); do
	cp -L "$lib" "$root$lib" 2>/dev/null || { mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; }
done
echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"

(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) >"$build/initramfs.cpio"
echo "initramfs: $build/initramfs.cpio ($(du -h "$build/initramfs.cpio" | cut -f1))"
