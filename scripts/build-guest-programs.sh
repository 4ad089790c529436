#!/usr/bin/env bash
# Build the programs that run inside the guest as static binaries (glibc, crt-static) and
# put them in BUILD_DIR/guest/.
set -euo pipefail
build=${1:?usage: build-guest-programs.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/.." && pwd)
target=x86_64-unknown-linux-gnu
cd "$top"
RUSTFLAGS="-C target-feature=+crt-static" cargo build --quiet --release \
	-p n_rust_guest_tests --target "$target" --target-dir "$top/target/guest"
mkdir -p "$build/guest"
rm -f "$build"/guest/n_rust-*
# Every binary of the crate: n_rust-guest-tests and the n_rust-test-* suites.
for bin in "$top/target/guest/$target/release"/n_rust-*; do
	[ -x "$bin" ] && [ -f "$bin" ] && install -m 0755 "$bin" "$build/guest/"
done
echo "guest programs: $(ls "$build/guest" | tr '\n' ' ')"
