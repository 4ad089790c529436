#!/usr/bin/env bash
# Build n_rust against another kernel configuration and run the guest suites on it.
#
#   test-config.sh NAME            (qemu/configs/NAME.config over qemu/kernel.config)
#   test-config.sh NAME --prepare  only the kernel, module and initramfs; prints the kernel's
#                                  build directory (`make bench` boots it with --bench)
#
# The kernel is built into the cache like the test kernel (cached afterwards). The module is
# built in a copy of the source under build/configs/NAME/tree, so the checkout's own build
# for the test kernel is left alone; it must build without rustc or clippy warnings. Then
# the guest boots that kernel with that module and runs every guest program; the KUnit
# suites are parsed when the configuration has KUnit. The guest differential tests run
# fewer scenarios than on the test kernel (N_RUST_CONFIG_DIFF_SCENARIOS, default 300), and the
# concurrent test only its named cases (N_RUST_CONFIG_CONC_SCENARIOS, default 0: its random
# scenarios depend on timing, and on the uniprocessor kernel scenario 33 of the fixed seed
# diverged once in two runs; see README "Kernel configurations"). The stress run and the
# load/unload cycles run shorter there too: N_RUST_CONFIG_STRESS_SECONDS (10) and
# N_RUST_CONFIG_LIFECYCLE_CYCLES (3), and the syscall fuzzer N_RUST_CONFIG_SYSFUZZ_SECONDS (15),
# unless N_RUST_STRESS_SECONDS / N_RUST_LIFECYCLE_CYCLES / N_RUST_SYSFUZZ_SECONDS
# are set (`make stress` sets them for the debug configuration).
# Prints a line per step and, last, "config NAME: P passed, F failed" (the module build
# counts as one test, then every guest and KUnit case); exits non-zero on any failure.
set -uo pipefail
name=${1:?usage: test-config.sh NAME [--prepare]}
mode=${2:-}
[ -z "$mode" ] || [ "$mode" = --prepare ] || { echo "error: test-config.sh: unknown mode $mode" >&2; exit 2; }
# With --prepare, stdout carries only the kernel's directory (on fd 3); the rest goes to stderr.
if [ "$mode" = --prepare ]; then exec 3>&1 1>&2; fi
top=$(cd "$(dirname "$0")/.." && pwd)
overlay=$top/qemu/configs/$name.config
[ -f "$overlay" ] || { echo "error: no configuration $overlay" >&2; exit 2; }
build=$top/build
cfg=$build/configs/$name
tree=$cfg/tree
cache=${N_RUST_CACHE:-$HOME/.cache/n_rust}
failed=0
passes=0
fails=0
say() { echo "config $name: $*"; }
# Adds the "N passed, M failed" of the last line of file $1 to the totals.
add_counts() {
	local p f
	read -r p f < <(sed -n 's/^[a-z]*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$1" | tail -n1)
	passes=$((passes + ${p:-0}))
	fails=$((fails + ${f:-1}))
}
finish() {
	say "$passes passed, $fails failed"
	[ "$fails" -eq 0 ] && [ "$failed" -eq 0 ]
	exit
}

kdir=$("$top/scripts/build-kernel.sh" "$(cat "$build/kernel-src.path")" "$top/qemu/kernel.config" \
	"$cache" "$overlay") || { say "kernel build FAILED"; fails=1; finish; }

rm -rf "$tree"
mkdir -p "$tree"
(cd "$top" && git ls-files -co --exclude-standard -- Kbuild Makefile include src scripts qemu \
	tests/modules tests/vt/guest | grep -v '\.ko$' | tar -cf - -T -) | (cd "$tree" && tar -xf -)
if "$tree/scripts/build-module.sh" "$kdir" >"$cfg/module.out" 2>&1; then
	passes=$((passes + 1))
	say "module built without warnings ($(grep -c '^CONFIG_' "$kdir/.config") options; $(grep -E '^CONFIG_(SMP|PREEMPT_RT|NR_CPUS|KUNIT|PROVE_LOCKING)=' "$kdir/.config" | tr '\n' ' '))"
else
	cat "$cfg/module.out"
	say "module build FAILED (log: $tree/build/module.log)"
	fails=1
	finish
fi

# The guest programs are user space: the ones built for the test kernel serve every kernel.
[ -d "$build/guest" ] || "$top/scripts/build-guest-programs.sh" "$build" >/dev/null
rm -rf "$cfg/guest"
cp -r "$build/guest" "$cfg/guest"
[ -f "$build/accel" ] && cp "$build/accel" "$cfg/accel"
"$tree/qemu/mkinitramfs.sh" "$kdir" "$cfg" >/dev/null || { say "initramfs FAILED"; fails=$((fails + 1)); finish; }
if [ "$mode" = --prepare ]; then
	echo "$kdir" >&3
	exit 0
fi
rm -f "$cfg/guest-console.log" "$cfg/guest-kmsg.log"
N_RUST_DIFF_SCENARIOS=${N_RUST_CONFIG_DIFF_SCENARIOS:-300} \
	N_RUST_CONC_SCENARIOS=${N_RUST_CONFIG_CONC_SCENARIOS:-0} \
	N_RUST_STRESS_SECONDS=${N_RUST_STRESS_SECONDS:-${N_RUST_CONFIG_STRESS_SECONDS:-10}} \
	N_RUST_LIFECYCLE_CYCLES=${N_RUST_LIFECYCLE_CYCLES:-${N_RUST_CONFIG_LIFECYCLE_CYCLES:-3}} \
	N_RUST_SYSFUZZ_SECONDS=${N_RUST_SYSFUZZ_SECONDS:-${N_RUST_CONFIG_SYSFUZZ_SECONDS:-15}} \
	"$tree/qemu/run.sh" --test "$kdir" "$cfg" >"$cfg/run.out" 2>&1
run_status=$?
if "$top/tests/guest-tap.py" "$cfg/guest-console.log" >"$cfg/guest-tap.out" 2>&1 && [ $run_status -eq 0 ]; then
	say "$(grep -E '^guest: [0-9]+ passed' "$cfg/guest-tap.out" | tail -n1)"
else
	cat "$cfg/run.out" "$cfg/guest-tap.out" | tail -n 40
	grep -a -A3 '^not ok' "$cfg/guest-console.log" | head -n 40
	say "guest FAILED ($(tail -n1 "$cfg/guest-tap.out"); console: $cfg/guest-console.log)"
	failed=1
fi
add_counts "$cfg/guest-tap.out"
if grep -qx 'CONFIG_KUNIT=y' "$kdir/.config"; then
	if "$top/tests/kunit-parse.py" --report "$cfg/kunit-report.txt" "$cfg/guest-kmsg.log" \
		"$cfg/guest-console.log" >"$cfg/kunit.out" 2>&1; then
		say "$(grep -E '^kunit: [0-9]+ passed' "$cfg/kunit.out" | tail -n1)"
	else
		cat "$cfg/kunit.out"
		say "KUnit FAILED (report: $cfg/kunit-report.txt)"
		failed=1
	fi
	add_counts "$cfg/kunit.out"
else
	say "kunit: not in this configuration (CONFIG_KUNIT is off)"
fi
finish
