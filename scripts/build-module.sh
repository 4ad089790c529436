#!/usr/bin/env bash
# Build n_rust.ko against the kernel build directory KDIR (which has Module.symvers).
set -euo pipefail
kdir=${1:?usage: build-module.sh KDIR}
top=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$kdir/Module.symvers" ] || { echo "error: $kdir is not a built kernel (no Module.symvers); run 'make kernel' or set KDIR" >&2; exit 1; }
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-19/lib}
log=$top/build/module.log
mkdir -p "$top/build"
# CLIPPY=1: rustc runs as clippy-driver with the kernel's lint set; any warning fails below.
if ! make -C "$kdir" M="$top" LLVM="${LLVM:--19}" CLIPPY=1 modules >"$log" 2>&1; then
	grep -E '(^|: )(error|warning)' -A12 "$log" | head -n 100 >&2
	echo "error: module build failed; full log: $log" >&2
	exit 1
fi
if grep -qE '^(warning|error)' "$log"; then
	grep -E '^(warning|error)' -A12 "$log" | head -n 80 >&2
	echo "error: the module build printed rustc or clippy warnings; full log: $log" >&2
	exit 1
fi
# The C test fixtures the guest tests load beside n_rust (tests/modules/).
if ! make -C "$kdir" M="$top/tests/modules" LLVM="${LLVM:--19}" W=1 modules >"$log.fixtures" 2>&1 ||
	grep -qE '(^|: )(warning|error)' "$log.fixtures"; then
	grep -E '(^|: )(error|warning)' -A8 "$log.fixtures" | head -n 40 >&2
	echo "error: building the test fixtures in tests/modules failed or warned; full log: $log.fixtures" >&2
	exit 1
fi
echo "module: $top/n_rust.ko (test fixtures: tests/modules/*.ko)"
