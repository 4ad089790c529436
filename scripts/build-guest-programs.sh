#!/usr/bin/env bash
# Build the programs that run inside the guest as static binaries (glibc, crt-static) and
# put them in BUILD_DIR/guest/: the test programs and the n_rustctl tool.
set -euo pipefail
build=${1:?usage: build-guest-programs.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/.." && pwd)
target=x86_64-unknown-linux-gnu
cd "$top"
RUSTFLAGS="-C target-feature=+crt-static" cargo build --quiet --release \
	-p n_rust_guest_tests -p n_rustctl --target "$target" --target-dir "$top/target/guest"
mkdir -p "$build/guest"
rm -f "$build"/guest/n_rust-* "$build"/guest/n_rustctl
# Every binary of the crate (n_rust-guest-tests and the n_rust-test-* suites) and the tool.
for bin in "$top/target/guest/$target/release"/n_rust-* "$top/target/guest/$target/release/n_rustctl"; do
	[ -x "$bin" ] && [ -f "$bin" ] && install -m 0755 "$bin" "$build/guest/"
done
echo "guest programs: $(ls "$build/guest" | tr '\n' ' ')"
