#!/usr/bin/env bash
# Install what building n_rust and its test kernel needs, on Debian 12.
# Idempotent: prints one line and exits when everything is already there.
set -euo pipefail

BINDGEN_VERSION=${BINDGEN_VERSION:-0.73.2}
APT_PACKAGES=(
	clang-19 lld-19 llvm-19 libclang-19-dev
	flex bison bc libelf-dev libssl-dev cpio xz-utils
	qemu-system-x86 busybox-static util-linux
	python3 socat kmod dkms
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

need_src=0
rustup component list --installed 2>/dev/null | grep -q '^rust-src' || need_src=1

need_bindgen=0
if ! command -v bindgen >/dev/null 2>&1 ||
	! bindgen --version 2>/dev/null | grep -q " ${BINDGEN_VERSION}\$"; then
	need_bindgen=1
fi

if [ ${#missing[@]} -eq 0 ] && [ $need_src -eq 0 ] && [ $need_bindgen -eq 0 ]; then
	echo "toolchain: ready (clang-19, rust-src, bindgen ${BINDGEN_VERSION}, qemu)"
	exit 0
fi

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

if [ ${#missing[@]} -gt 0 ]; then
	echo "toolchain: apt-get install ${missing[*]}"
	$SUDO apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ $need_src -eq 1 ]; then
	echo "toolchain: rustup component add rust-src"
	rustup component add rust-src >/dev/null
fi
if [ $need_bindgen -eq 1 ]; then
	echo "toolchain: cargo install bindgen-cli ${BINDGEN_VERSION} (about 2 minutes)"
	LIBCLANG_PATH=/usr/lib/llvm-19/lib cargo install --quiet --locked bindgen-cli --version "${BINDGEN_VERSION}"
fi
echo "toolchain: ready"
