#!/usr/bin/env bash
# Boot the test kernel under QEMU.
#   run.sh --interactive KDIR BUILD_DIR   shell on the serial console (leave: exit, or Ctrl-A X)
#   run.sh --test KDIR BUILD_DIR          run the guest tests; exit 0 only if they all passed
#   run.sh --bench KDIR BUILD_DIR         run the N_TTY / n_rust benchmark, print its lines (bench: and
#                                         bench-json:, for scripts/bench-report.py)
#
# The machine: serial console on ttyS0 (stdio), a second 8250 port (ttyS1) on the host
# socket BUILD_DIR/ttyS1.sock, a VGA console with VTs and the PC's PS/2 keyboard, and a
# monitor socket BUILD_DIR/monitor.sock; in --test mode a third port (ttyS2) that receives the
# guest's kernel log, BUILD_DIR/guest-kmsg.log. KVM is used when a short probe boot works,
# else TCG.
# A test guest that does not finish within N_RUST_GUEST_TIMEOUT seconds (default 900; 3600
# for --bench) is
# killed, its console log printed, and the run fails.
# N_RUST_DIFF_SCENARIOS and N_RUST_DIFF_SEED, when set, go on the kernel command line for
# the guest differential test (n_rust-test-diff); N_RUST_CONC_SCENARIOS and N_RUST_CONC_SEED
# for the concurrent one (n_rust-test-concurrent).
set -euo pipefail
mode=${1:?usage: run.sh --interactive|--test|--bench KDIR BUILD_DIR}
kdir=${2:?}
build=${3:?}
kernel=$kdir/arch/x86/boot/bzImage
initrd=$build/initramfs.cpio
# The benchmark runs longer than the tests under TCG (README, "Benchmark").
if [ "$mode" = --bench ]; then timeout_s=${N_RUST_GUEST_TIMEOUT:-3600}; else timeout_s=${N_RUST_GUEST_TIMEOUT:-900}; fi
[ -f "$kernel" ] || { echo "error: no kernel image at $kernel; run 'make kernel'" >&2; exit 1; }
[ -f "$initrd" ] || { echo "error: no initramfs at $initrd; run 'make initramfs'" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null || { echo "error: qemu-system-x86_64 is missing; run 'make setup'" >&2; exit 1; }

machine=(
	-m 512M -smp 2 -no-reboot
	-kernel "$kernel" -initrd "$initrd"
	-vga std -display none
	-monitor "unix:$build/monitor.sock,server=on,wait=off"
)
append="console=ttyS0 loglevel=${N_RUST_LOGLEVEL:-7} panic=-1 kunit.filter_glob=n_rust*"
# Knobs of the guest differential test (n_rust-test-diff): the kernel hands unknown
# name=value parameters to /init as environment variables, and the program reads them.
[ -n "${N_RUST_DIFF_SCENARIOS:-}" ] && append="$append nrust_diff_scenarios=$N_RUST_DIFF_SCENARIOS"
[ -n "${N_RUST_DIFF_SEED:-}" ] && append="$append nrust_diff_seed=$N_RUST_DIFF_SEED"
[ -n "${N_RUST_CONC_SCENARIOS:-}" ] && append="$append nrust_conc_scenarios=$N_RUST_CONC_SCENARIOS"
[ -n "${N_RUST_CONC_SEED:-}" ] && append="$append nrust_conc_seed=$N_RUST_CONC_SEED"
# The syscall fuzzer (n_rust-test-sysfuzz): calls, seed, time limit, second discipline.
[ -n "${N_RUST_SYSFUZZ_CALLS:-}" ] && append="$append nrust_sysfuzz_calls=$N_RUST_SYSFUZZ_CALLS"
[ -n "${N_RUST_SYSFUZZ_SEED:-}" ] && append="$append nrust_sysfuzz_seed=$N_RUST_SYSFUZZ_SEED"
[ -n "${N_RUST_SYSFUZZ_SECONDS:-}" ] && append="$append nrust_sysfuzz_seconds=$N_RUST_SYSFUZZ_SECONDS"
[ -n "${N_RUST_SYSFUZZ_AGAINST:-}" ] && append="$append nrust_sysfuzz_against=$N_RUST_SYSFUZZ_AGAINST"
[ -n "${N_RUST_SYSFUZZ_SELFTEST:-}" ] && append="$append nrust_sysfuzz_selftest=$N_RUST_SYSFUZZ_SELFTEST"
[ -n "${N_RUST_SYSFUZZ_UNTIL:-}" ] && append="$append nrust_sysfuzz_until=$N_RUST_SYSFUZZ_UNTIL"
# N_RUST_GUEST_SUITES=a,b: run only these guest programs (names as in qemu/init), for iterating.
[ -n "${N_RUST_GUEST_SUITES:-}" ] && append="$append nrust_suites=$N_RUST_GUEST_SUITES"
# Knobs of the benchmark (n_rust-bench): N_RUST_BENCH_REPS, _MIB, _LINES, _TYPED, _TRIPS, _PTYS.
for knob in REPS MIB LINES TYPED TRIPS PTYS; do
	var=N_RUST_BENCH_$knob
	if [ -n "${!var:-}" ]; then append="$append nrust_bench_${knob,,}=${!var}"; fi
done

# KVM hung on some of these machines: believe it only after a probe boot has printed.
accel() {
	local cache=$build/accel
	if [ -f "$cache" ]; then cat "$cache"; return; fi
	local choice=tcg
	if [ -w /dev/kvm ]; then
		if timeout 20 qemu-system-x86_64 -accel kvm "${machine[@]}" -serial stdio \
			-append "$append nrust_mode=probe" </dev/null 2>/dev/null | grep -q N_RUST-GUEST-BOOTED; then
			choice=kvm
		fi
	fi
	echo "$choice" >"$cache"
	echo "$choice"
}
acc=$(accel)
accel_opts=(-accel "$acc")
[ "$acc" = tcg ] && accel_opts=(-accel tcg,thread=multi -cpu max)
echo "qemu: accelerator $acc (cached in $build/accel)" >&2

if [ "$mode" = --interactive ]; then
	exec qemu-system-x86_64 "${accel_opts[@]}" "${machine[@]}" \
		-serial mon:stdio -serial "unix:$build/ttyS1.sock,server=on,wait=off" \
		-append "$append loglevel=4 nrust_mode=shell"
fi

log=$build/guest-console.log
# A third port (ttyS2) where the guest's /init writes the whole kernel log (dmesg) at the end:
# on the console the printk thread's lines can land in the middle of user-space output, so
# the KUnit results are read from here (tests/kunit-parse.py).
kmsg=$build/guest-kmsg.log
rm -f "$build/ttyS1.sock" "$kmsg"
set +e
timeout --foreground -k 5 "$timeout_s" qemu-system-x86_64 "${accel_opts[@]}" "${machine[@]}" \
	-serial "file:$log" -serial "unix:$build/ttyS1.sock,server=on,wait=off" \
	-serial "file:$kmsg" \
	-append "$append nrust_mode=${mode#--}" </dev/null
qemu_status=$?
set -e
status=$(grep -a -o 'N_RUST-GUEST-STATUS [0-9]*' "$log" | tail -n1 | cut -d' ' -f2 || true)
if [ $qemu_status -eq 124 ] || [ -z "$status" ]; then
	echo "---- guest console ($log) ----" >&2
	tail -n 200 "$log" >&2
	echo "----" >&2
	if [ $qemu_status -eq 124 ]; then
		echo "error: the guest did not finish within ${timeout_s}s (N_RUST_GUEST_TIMEOUT)" >&2
	else
		echo "error: the guest stopped without reporting a result (qemu exit $qemu_status)" >&2
	fi
	exit 1
fi
# Kernel log lines (they carry a printk timestamp) that mean the kernel saw a problem.
problems='^\[ *[0-9]+\.[0-9]+\] .*(WARNING:|BUG:|Oops|Kernel panic|possible circular locking|possible recursive locking|INFO: task .* blocked|suspicious RCU usage|UBSAN:)'
if grep -a -qE "$problems" "$log"; then
	grep -a -nE -A20 "$problems" "$log" | head -n 60 >&2
	echo "error: the kernel reported a problem during the guest run (see $log)" >&2
	exit 1
fi
if [ "$mode" = --bench ]; then
	grep -a -E '^bench(-json)?:' "$log"
	echo "bench: accelerator: $acc"
	echo "bench: guest clock source: $(grep -a -o 'clocksource=[a-z_]*' "$log" | head -n1 | cut -d= -f2)"
fi
exit "$status"
