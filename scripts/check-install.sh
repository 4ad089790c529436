#!/usr/bin/env bash
# Try the two ways n_rust is installed, on scratch trees (nothing outside them is touched):
#   1. `make install` (scripts/install-module.sh) with INSTALL_MOD_PATH=<scratch>: the module
#      lands in lib/modules/<release>/updates/, depmod lists it and its tty-ldisc alias;
#   2. DKMS (dkms.conf): add, build and install a copy of the source for the kernel KDIR,
#      with private DKMS, source and install trees.
# Prints one "ok"/"not ok" line per check and exits non-zero on any failure.
#   check-install.sh KDIR
set -uo pipefail
kdir=${1:?usage: check-install.sh KDIR}
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$PATH:/usr/sbin:/sbin
scratch=$(mktemp -d /tmp/n_rust-install.XXXXXX)
[ -n "${KEEP_SCRATCH:-}" ] || trap 'rm -rf "$scratch"' EXIT
release=$(cat "$kdir/include/config/kernel.release")
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
failed=0
check() { # name, command...
	local name=$1; shift
	if "$@" >"$scratch/log" 2>&1; then echo "ok - install: $name"; else
		echo "not ok - install: $name"; tail -n 20 "$scratch/log" | sed 's/^/  # /'; failed=1; fi
}
# A modules directory of the kernel KDIR as its own modules_install would leave it (the
# built-in module lists depmod reads), for the module to be installed into.
kernel_moddir() {
	mkdir -p "$1"
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		if [ -f "$kdir/$f" ]; then cp "$kdir/$f" "$1/"; else : >"$1/$f"; fi
	done
}

# 1. make install into a scratch root, from a copy so the checkout's build is not disturbed.
src1=$scratch/checkout
mkdir -p "$src1"
(cd "$top" && git ls-files -co --exclude-standard -- Kbuild Makefile dkms.conf include src scripts |
	tar -cf - -T -) | (cd "$src1" && tar -xf -)
kernel_moddir "$scratch/root/lib/modules/$release"
check "make install into a scratch root" \
	make -s -C "$src1" install KDIR="$kdir" INSTALL_MOD_PATH="$scratch/root"
moddir=$scratch/root/lib/modules/$release
check "n_rust.ko installed under updates/" test -f "$moddir/updates/n_rust.ko"
check "depmod lists it in modules.dep" grep -q '^updates/n_rust.ko:' "$moddir/modules.dep"
check "modules.alias maps tty-ldisc-29 to n_rust" \
	grep -Eq '^alias tty[-_]ldisc[-_]29 n_rust$' "$moddir/modules.alias"
check "modprobe resolves tty-ldisc-29 to it" \
	sh -c "modprobe -d '$scratch/root' -S '$release' --show-depends tty-ldisc-29 | grep -q 'updates/n_rust.ko'"

# 2. DKMS with private trees: source copy, dkms add, build, install.
src2=$scratch/src/n_rust-$version
mkdir -p "$src2" "$scratch/dkms"
cp -r "$src1"/. "$src2"/
rm -f "$src2"/*.ko "$src2"/*.o
# The install tree is <root>/lib/modules so that depmod -b <root> reads it (DKMS's own depmod
# would look in /lib/modules/<release> of this machine, hence --no-depmod).
kernel_moddir "$scratch/dkmsroot/lib/modules/$release"
dkms_opts=(--dkmstree "$scratch/dkms" --sourcetree "$scratch/src" --installtree "$scratch/dkmsroot/lib/modules")
check "dkms add" dkms add -m n_rust -v "$version" "${dkms_opts[@]}"
check "dkms build for $release" dkms build -m n_rust -v "$version" -k "$release" \
	--kernelsourcedir "$kdir" "${dkms_opts[@]}"
check "dkms install for $release" dkms install -m n_rust -v "$version" -k "$release" \
	--kernelsourcedir "$kdir" "${dkms_opts[@]}" --no-depmod --force
check "dkms installed n_rust.ko under updates/dkms" \
	sh -c "ls '$scratch/dkmsroot/lib/modules/$release'/updates/dkms/n_rust.ko*"
check "depmod of the DKMS tree lists it" \
	sh -c "depmod -b '$scratch/dkmsroot' -a '$release' &&
		grep -q '^updates/dkms/n_rust.ko' '$scratch/dkmsroot/lib/modules/$release/modules.dep'"
exit $failed
