#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The engine fuzzer (fuzz/, target engine_ops): libFuzzer through cargo-fuzz, one process.
#   scripts/fuzz-engine.sh            FUZZ_RUNS executions (default 10,000,000)
#   FUZZ_SECONDS=45 scripts/...       at most that many seconds
# The corpus grows in fuzz/corpus/engine_ops (not in git); fuzz/seeds (in git) is read too.
# libFuzzer's output goes to build/fuzz-engine.log as well; a crash is written to
# fuzz/artifacts/engine_ops/ and the script fails.
#
# libFuzzer's instrumentation needs nightly flags: the stable toolchain is told to accept
# them (RUSTC_BOOTSTRAP=1). Set FUZZ_TOOLCHAIN=nightly to use a nightly toolchain instead.
# No sanitizer: the engine has no unsafe code; debug assertions and overflow checks are on,
# so any panic, an arithmetic overflow included, is a crash.
set -eu
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
runs=${FUZZ_RUNS:-10000000}
seconds=${FUZZ_SECONDS:-}

if ! cargo fuzz --version >/dev/null 2>&1; then
	echo "fuzz: installing cargo-fuzz (cargo install cargo-fuzz --locked)" >&2
	cargo install cargo-fuzz --locked
fi

if [ -n "${FUZZ_TOOLCHAIN:-}" ]; then
	cargo="cargo +$FUZZ_TOOLCHAIN"
else
	cargo=cargo
	export RUSTC_BOOTSTRAP=1
fi

# Whichever comes first: FUZZ_RUNS executions or FUZZ_SECONDS seconds.
limit="-runs=$runs"
if [ -n "$seconds" ]; then
	limit="$limit -max_total_time=$seconds"
fi

mkdir -p build fuzz/corpus/engine_ops
cd fuzz
echo "fuzz: engine_ops, $limit, $(date -u '+%Y-%m-%d %H:%M:%S UTC')" | tee ../build/fuzz-engine.log
start=$(date +%s)
rm -rf artifacts/engine_ops
status=0
$cargo fuzz run --sanitizer none --debug-assertions engine_ops corpus/engine_ops seeds \
	-- $limit -print_final_stats=1 2>&1 | tee -a ../build/fuzz-engine.log
# tee hides cargo's status in plain sh: a crash, timeout or OOM leaves an artifact.
if [ -n "$(ls -A artifacts/engine_ops 2>/dev/null)" ]; then
	status=1
	echo "fuzz: failing input in fuzz/artifacts/engine_ops/" | tee -a ../build/fuzz-engine.log
fi
end=$(date +%s)
echo "fuzz: $((end - start)) s wall (build included), status $status" | tee -a ../build/fuzz-engine.log
grep -E '^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec' \
	../build/fuzz-engine.log || true
exit $status
