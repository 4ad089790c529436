#!/usr/bin/env bash
# Provide a Linux source tree for the test kernel and print its path on stdout.
#
#   fetch-kernel.sh CACHE_DIR
#
# Order: $KERNEL_SRC (the user's own tree) wins; else Debian's linux-source-7.3 from
# trixie-backports, fetched with a private apt state (the system's sources are left alone);
# else the newest linux-source-7.* offered there (said on stderr); else a kernel.org tarball
# of $KERNEL_VERSION.
set -euo pipefail

cache=${1:?usage: fetch-kernel.sh CACHE_DIR}
want_series=${KERNEL_SERIES:-7.3}
mkdir -p "$cache"

die() { echo "error: $*" >&2; exit 1; }

check_tree() {
	[ -f "$1/Makefile" ] && [ -f "$1/drivers/tty/n_tty.c" ] && [ -d "$1/rust/kernel" ]
}

if [ -n "${KERNEL_SRC:-}" ]; then
	check_tree "$KERNEL_SRC" ||
		die "KERNEL_SRC=$KERNEL_SRC is not a Linux source tree with Rust support (no Makefile, drivers/tty/n_tty.c or rust/kernel); set KERNEL_SRC to one, or unset it to fetch Linux $want_series"
	(cd "$KERNEL_SRC" && pwd)
	exit 0
fi

# Already unpacked?
for d in "$cache"/linux-source-"$want_series" "$cache"/linux-"$want_series"*; do
	if [ -d "$d" ] && check_tree "$d" && [ -f "$d/.n_rust-complete" ]; then
		echo "$d"
		exit 0
	fi
done

apt_dir=$cache/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
cat >"$apt_dir/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie-backports main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main
SRC
APT_OPTS=(
	-o Dir::Etc::SourceList="$apt_dir/sources.list"
	-o Dir::Etc::SourceParts=/nonexistent
	-o Dir::State::Lists="$apt_dir/lists"
	-o Dir::Cache="$apt_dir"
	-o Dir::State::status=/dev/null
	-o APT::Get::List-Cleanup=0
	-o Debug::NoLocking=1
)
unpack_deb() { # deb-file series
	local tmp=$cache/unpack.$$
	rm -rf "$tmp" && mkdir -p "$tmp"
	dpkg-deb -x "$1" "$tmp"
	local tarball
	tarball=$(ls "$tmp"/usr/src/linux-source-*.tar.* | head -n1)
	echo "kernel: unpacking $(basename "$tarball")" >&2
	rm -rf "$cache/linux-source-$2"
	tar -C "$cache" -xf "$tarball"
	rm -rf "$tmp"
	check_tree "$cache/linux-source-$2" || die "unpacked $1 but found no kernel tree"
	touch "$cache/linux-source-$2/.n_rust-complete"
	echo "$cache/linux-source-$2"
}

if command -v apt-get >/dev/null 2>&1; then
	echo "kernel: looking for linux-source-$want_series in Debian trixie-backports" >&2
	if apt-get "${APT_OPTS[@]}" -q update >"$apt_dir/update.log" 2>&1; then
		pkg=linux-source-$want_series
		if ! apt-cache "${APT_OPTS[@]}" show "$pkg" >/dev/null 2>&1; then
			newest=$(apt-cache "${APT_OPTS[@]}" pkgnames linux-source-7. 2>/dev/null | sort -V | tail -n1)
			if [ -n "$newest" ]; then
				echo "kernel: $pkg is no longer in the archive; taking $newest instead" >&2
				pkg=$newest
				want_series=${pkg#linux-source-}
			fi
		fi
		if apt-cache "${APT_OPTS[@]}" show "$pkg" >/dev/null 2>&1; then
			(cd "$apt_dir/archives" && apt-get "${APT_OPTS[@]}" -q download "$pkg" >"$apt_dir/download.log" 2>&1) ||
				die "apt-get download $pkg failed; see $apt_dir/download.log, or set KERNEL_SRC to a Linux tree"
			deb=$(ls -t "$apt_dir/archives/${pkg}"_*.deb | head -n1)
			unpack_deb "$deb" "$want_series"
			exit 0
		fi
	else
		echo "kernel: apt update for trixie-backports failed (see $apt_dir/update.log)" >&2
	fi
fi

version=${KERNEL_VERSION:-7.3.4}
url=https://cdn.kernel.org/pub/linux/kernel/v${version%%.*}.x/linux-$version.tar.xz
echo "kernel: downloading $url" >&2
curl -fsSL -o "$cache/linux-$version.tar.xz" "$url" ||
	die "could not fetch a Linux $want_series tree (Debian or kernel.org); set KERNEL_SRC to a Linux tree with Rust support"
tar -C "$cache" -xf "$cache/linux-$version.tar.xz"
touch "$cache/linux-$version/.n_rust-complete"
echo "$cache/linux-$version"
