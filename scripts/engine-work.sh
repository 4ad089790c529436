#!/bin/sh
# The engine's instructions per byte on its fast paths, counted by callgrind (repeatable on a
# loaded machine, where timings are not): host/examples/engine_work.rs, one workload per run,
# only inside its work_* function. Prints one line per path: instructions, bytes, per byte.
set -eu
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "engine-work: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
# As the kernel compiles Rust here: CONFIG_CC_OPTIMIZE_FOR_SIZE (opt-level s, which tinyconfig
# selects) and CONFIG_RUST_OVERFLOW_CHECKS; a target directory of its own for that profile.
CARGO_PROFILE_RELEASE_OPT_LEVEL=${ENGINE_WORK_OPT_LEVEL:-s} CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true \
    CARGO_PROFILE_RELEASE_PANIC=abort \
    cargo build --release --quiet --example engine_work -p n_rust_engine --target-dir target/engine-work
bin=target/engine-work/release/examples/engine_work
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '%-14s %14s %10s %10s\n' path instructions bytes per-byte
for path in ${ENGINE_WORK_PATHS:-raw raw-serial canon echo output-opost output-raw}; do
    valgrind --tool=callgrind --callgrind-out-file="$out/$path.cg" \
        --toggle-collect='engine_work::work_*' "$bin" "$path" >"$out/$path.txt" 2>"$out/$path.err" || {
        cat "$out/$path.err" >&2
        exit 1
    }
    ir=$(sed -n 's/^summary: *//p; s/^totals: *//p' "$out/$path.cg" | head -n 1)
    bytes=$(sed -n 's/^[^:]*: \([0-9]*\) bytes in.*/\1/p' "$out/$path.txt")
    awk -v p="$path" -v ir="$ir" -v b="$bytes" \
        'BEGIN { printf "%-14s %14d %10d %10.2f\n", p, ir, b, ir / b }'
done
