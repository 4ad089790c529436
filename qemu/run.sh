#!/usr/bin/env bash
# Boot the test kernel under QEMU.
#   run.sh --interactive KDIR BUILD_DIR   shell on the serial console (leave: exit, or Ctrl-A X)
#   run.sh --test KDIR BUILD_DIR          run the guest tests; exit 0 only if they all passed
#   run.sh --vt KDIR BUILD_DIR [ntty|takeover]
#                                         the VT test: type on a VT's shell through the monitor's
#                                         sendkey, read its screen (tests/vt/vt-keys.py, TAP)
#   run.sh --takeover KDIR BUILD_DIR      the same with n_rust in N_TTY's slot from the start
#                                         (takeover=1; N_TTY as N_RUST_NTTY_LDISC, default 28);
#                                         logs BUILD_DIR/guest-console-takeover.log
#   run.sh --bench KDIR BUILD_DIR         run the N_TTY / n_rust benchmark, print its lines (bench: and
#                                         bench-json:, for scripts/bench-report.py)
#   run.sh --serial KDIR BUILD_DIR        the serial test driven from the host: ttyS1's socket in
#                                         telnet mode, tests/serial/serial_host.py driving it while
#                                         the guest runs n_rust-test-serial-host (markers on ttyS2,
#                                         BUILD_DIR/serial-markers.log); its TAP on stdout, the
#                                         console in BUILD_DIR/guest-console-serial.log
#
# The machine: serial console on ttyS0 (stdio), a second 8250 port (ttyS1) on the host
# socket BUILD_DIR/ttyS1.sock, a VGA console with VTs and the PC's PS/2 keyboard, and a
# monitor socket BUILD_DIR/monitor.sock; in --test mode a third port (ttyS2) that receives the
# guest's kernel log, BUILD_DIR/guest-kmsg.log. KVM is used when a short probe boot works,
# else TCG.
# N_RUST_GUEST_MEM: the guest's memory (default 512M; `make stress` gives the KASAN kernel 1G).
# A test guest that does not finish within N_RUST_GUEST_TIMEOUT seconds (default 900; 3600
# for --bench) is
# killed, its console log printed, and the run fails.
# N_RUST_DIFF_SCENARIOS and N_RUST_DIFF_SEED, when set, go on the kernel command line for
# the guest differential test (n_rust-test-diff); N_RUST_CONC_SCENARIOS and N_RUST_CONC_SEED
# for the concurrent one (n_rust-test-concurrent).
set -euo pipefail
mode=${1:?usage: run.sh --interactive|--test|--takeover|--vt|--bench KDIR BUILD_DIR [ntty|takeover]}
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
	-m "${N_RUST_GUEST_MEM:-512M}" -smp 2 -no-reboot
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
# Knobs of the stress run (n_rust-test-stress) and of the load/unload cycles (n_rust-test-lifecycle).
[ -n "${N_RUST_STRESS_SECONDS:-}" ] && append="$append nrust_stress_seconds=$N_RUST_STRESS_SECONDS"
[ -n "${N_RUST_STRESS_SEED:-}" ] && append="$append nrust_stress_seed=$N_RUST_STRESS_SEED"
[ -n "${N_RUST_STRESS_SERIAL:-}" ] && append="$append nrust_stress_serial=$N_RUST_STRESS_SERIAL"
# N_RUST_STRESS_SERIAL_PACE=0: ttyS1's writer unpaced; N_RUST_STRESS_SERIAL_PROBE=1: ttyS1 opened
# on its interrupt's CPU and an overrun provoked (PREEMPT_RT; README "Stress run");
# N_RUST_STRESS_DISC=0: the same load on N_TTY (a control of the harness).
[ -n "${N_RUST_STRESS_SERIAL_PACE:-}" ] && append="$append nrust_stress_serial_pace=$N_RUST_STRESS_SERIAL_PACE"
[ -n "${N_RUST_STRESS_SERIAL_PROBE:-}" ] && append="$append nrust_stress_serial_probe=$N_RUST_STRESS_SERIAL_PROBE"
[ -n "${N_RUST_STRESS_DISC:-}" ] && append="$append nrust_stress_disc=$N_RUST_STRESS_DISC"
[ -n "${N_RUST_LIFECYCLE_CYCLES:-}" ] && append="$append nrust_lifecycle_cycles=$N_RUST_LIFECYCLE_CYCLES"
# The syscall fuzzer (n_rust-test-sysfuzz): calls, seed, time limit, second discipline.
[ -n "${N_RUST_SYSFUZZ_CALLS:-}" ] && append="$append nrust_sysfuzz_calls=$N_RUST_SYSFUZZ_CALLS"
[ -n "${N_RUST_SYSFUZZ_SEED:-}" ] && append="$append nrust_sysfuzz_seed=$N_RUST_SYSFUZZ_SEED"
[ -n "${N_RUST_SYSFUZZ_SECONDS:-}" ] && append="$append nrust_sysfuzz_seconds=$N_RUST_SYSFUZZ_SECONDS"
[ -n "${N_RUST_SYSFUZZ_AGAINST:-}" ] && append="$append nrust_sysfuzz_against=$N_RUST_SYSFUZZ_AGAINST"
[ -n "${N_RUST_SYSFUZZ_SELFTEST:-}" ] && append="$append nrust_sysfuzz_selftest=$N_RUST_SYSFUZZ_SELFTEST"
[ -n "${N_RUST_SYSFUZZ_UNTIL:-}" ] && append="$append nrust_sysfuzz_until=$N_RUST_SYSFUZZ_UNTIL"
# N_RUST_GUEST_SUITES=a,b: run only these guest programs (names as in qemu/init), for iterating.
[ -n "${N_RUST_GUEST_SUITES:-}" ] && append="$append nrust_suites=$N_RUST_GUEST_SUITES"
# Knobs of the benchmark (n_rust-bench): N_RUST_BENCH_REPS, _MIB, _LINES, _TYPED, _TRIPS, _PTYS,
# _ROWS (which workloads, comma-separated), _CPUS (all or cpu0).
for knob in REPS MIB LINES TYPED TRIPS PTYS ROWS CPUS; do
	var=N_RUST_BENCH_$knob
	if [ -n "${!var:-}" ]; then append="$append nrust_bench_${knob,,}=${!var}"; fi
done
# Knobs of the serial test (n_rust-test-serial-host): N_RUST_SERIAL_BYTES, _READ_MAX,
# _PAUSE_EVERY, _PAUSE_US.
for knob in BYTES READ_MAX PAUSE_EVERY PAUSE_US; do
	var=N_RUST_SERIAL_$knob
	if [ -n "${!var:-}" ]; then append="$append nrust_serial_${knob,,}=${!var}"; fi
done

# The takeover guest: where N_TTY stays reachable; KUnit off there (its suites run in the
# test guest; here their N_TTY controls would be n_rust, the discipline of slot 0).
if [ "$mode" = --takeover ]; then
	append="$append nrust_ntty_ldisc=${N_RUST_NTTY_LDISC:-28} kunit.enable=0"
fi
# The VT test: KUnit off too (its suites run in the test guest), on N_TTY and on n_rust alike.
[ "$mode" = --vt ] && append="$append kunit.enable=0"

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
# kernel_problems LOG WHAT: fails, printing the reports, when LOG holds kernel log lines (they
# carry a printk timestamp) that mean the kernel saw a problem. KASAN reports start with
# "BUG: KASAN:"; debug objects' with "ODEBUG:". kmemleak is judged by the programs that scan
# (n_rust-test-stress, n_rust-test-lifecycle: the debug kernel has no automatic scans): each
# first scans and clears what was there before it (boot-time suspects, reported in its output
# but not failed), then fails on a new suspect.
kernel_problems() {
	local problems='^\[ *[0-9]+\.[0-9]+\] .*(WARNING:|BUG:|Oops|Kernel panic|possible circular locking|possible recursive locking|inconsistent lock state|possible irq lock inversion|INFO: task .* blocked|suspicious RCU usage|UBSAN:|KASAN:|ODEBUG:|list_(add|del) corruption)'
	grep -a -qE "$problems" "$1" || return 0
	grep -a -nE -A20 "$problems" "$1" | head -n 60 >&2
	echo "error: the kernel reported a problem during $2 (see $1)" >&2
	return 1
}

acc=$(accel)
accel_opts=(-accel "$acc")
[ "$acc" = tcg ] && accel_opts=(-accel tcg,thread=multi -cpu max)
# N_RUST_BENCH_ICOUNT=N (the benchmark under TCG; 0 unless set, "off" for the host's clock):
# the guest's clock counts instructions, 2^N ns each (QEMU's -icount, which runs the vCPUs in
# turn on one host thread), so a workload's time is the guest work it took, whatever else the
# host does (README, "Benchmark").
icount=
bench_icount=${N_RUST_BENCH_ICOUNT:-}
[ "$mode" = --bench ] && [ "$acc" = tcg ] && [ -z "$bench_icount" ] && bench_icount=0
[ "$bench_icount" = off ] && bench_icount=
if [ "$mode" = --bench ] && [ -n "$bench_icount" ]; then
	[[ "$bench_icount" =~ ^[0-9]+$ ]] && [ "$bench_icount" -le 10 ] ||
		{ echo "error: N_RUST_BENCH_ICOUNT=$bench_icount: want a shift of 0 to 10, or off" >&2; exit 2; }
	[ "$acc" = tcg ] || { echo "error: N_RUST_BENCH_ICOUNT needs TCG, and the accelerator is $acc" >&2; exit 2; }
	icount="shift=$bench_icount,sleep=off"
	accel_opts=(-accel tcg,thread=single -cpu max -icount "$icount")
fi
echo "qemu: accelerator $acc${icount:+, -icount $icount} (cached in $build/accel)" >&2

if [ "$mode" = --interactive ]; then
	exec qemu-system-x86_64 "${accel_opts[@]}" "${machine[@]}" \
		-serial mon:stdio -serial "unix:$build/ttyS1.sock,server=on,wait=off" \
		-append "$append loglevel=4 nrust_mode=shell"
fi

if [ "$mode" = --vt ]; then
	# The VT test: the guest's agent on ttyS2 (a host socket; ttyS1 stays as in the other modes),
	# driven with the monitor's sendkey by tests/vt/vt-keys.py, which prints TAP; the guest
	# powers off when the harness says bye. LDISC: ntty (the control) or takeover.
	ldisc=${4:-ntty}
	log=$build/vt-console-$ldisc.log
	agent=$build/vt-agent.sock
	top=$(cd "$(dirname "$0")/.." && pwd)
	rm -f "$build/ttyS1.sock" "$agent" "$build/monitor.sock" "$log"
	vt_timeout=${N_RUST_VT_TIMEOUT:-420}
	timeout -k 5 "$vt_timeout" qemu-system-x86_64 "${accel_opts[@]}" "${machine[@]}" \
		-serial "file:$log" -serial "unix:$build/ttyS1.sock,server=on,wait=off" \
		-serial "unix:$agent,server=on,wait=off" \
		-append "$append nrust_mode=vt nrust_vt=$ldisc" </dev/null &
	qemu_pid=$!
	set +e
	timeout -k 5 "$vt_timeout" "$top/tests/vt/vt-keys.py" --monitor "$build/monitor.sock" \
		--agent "$agent" --ldisc "$ldisc" --boot-timeout "${N_RUST_VT_BOOT_TIMEOUT:-240}"
	status=$?
	# The harness said bye: the guest powers off by itself; a guest that does not is stopped.
	for _ in $(seq 60); do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 0.5; done
	kill "$qemu_pid" 2>/dev/null
	wait "$qemu_pid" 2>/dev/null
	set -e
	kernel_problems "$log" "the VT run" || status=1
	if [ "$status" -ne 0 ]; then
		echo "---- guest console ($log) ----" >&2
		tail -n 60 "$log" >&2
		echo "----" >&2
	fi
	exit "$status"
fi

# The takeover and serial guests keep their own console logs, beside the test guest's (which
# a later layer of make test must not overwrite: it is the evidence of a failure).
tag=
[ "$mode" = --takeover ] && tag=-takeover
[ "$mode" = --serial ] && tag=-serial
log=$build/guest-console$tag.log
# A third port (ttyS2) where the guest's /init writes the whole kernel log (dmesg) at the end:
# on the console the printk thread's lines can land in the middle of user-space output, so
# the KUnit results are read from here (tests/kunit-parse.py).
kmsg=$build/guest-kmsg$tag.log
# --serial: telnet mode on ttyS1, so that the harness's IAC BREAK reaches the UART as a break.
ttys1="unix:$build/ttyS1.sock,server=on,wait=off"
[ "$mode" = --serial ] && { ttys1="$ttys1,telnet=on"; kmsg=$build/serial-markers.log; }
rm -f "$build/ttyS1.sock" "$kmsg"
[ "$mode" = --serial ] && { "$(dirname "$0")/../tests/serial/serial_host.py" --socket "$build/ttyS1.sock" \
	--markers "$kmsg" --monitor "$build/monitor.sock" & harness=$!; }
# N_RUST_QEMU_PLUGIN=SO,ARGS (--bench only): a TCG plugin for the benchmark's boot, as
# `make bench-insns` runs scripts/insn-count.
plugin=()
if [ -n "${N_RUST_QEMU_PLUGIN:-}" ]; then
	[ "$mode" = --bench ] && [ "$acc" = tcg ] ||
		{ echo "error: N_RUST_QEMU_PLUGIN needs --bench under TCG (mode $mode, accelerator $acc)" >&2; exit 2; }
	plugin=(-plugin "$N_RUST_QEMU_PLUGIN")
fi
set +e
timeout --foreground -k 5 "$timeout_s" qemu-system-x86_64 "${accel_opts[@]}" "${machine[@]}" "${plugin[@]}" \
	-serial "file:$log" -serial "$ttys1" \
	-serial "file:$kmsg" \
	-append "$append nrust_mode=${mode#--}" </dev/null
qemu_status=$?
harness_status=0
[ "$mode" = --serial ] && { wait "$harness" || harness_status=1; }
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
kernel_problems "$log" "the guest run" || exit 1
if [ "$mode" = --bench ]; then
	grep -a -E '^bench(-json)?:' "$log"
	echo "bench: accelerator: $acc"
	if [ -n "$icount" ]; then echo "bench: timing: guest instructions (-icount $icount)"; else echo "bench: timing: host clock"; fi
	# At boot; the program waits for the final one before it measures ("bench: clock source").
	echo "bench: guest clock source at boot: $(grep -a -o 'clocksource=[a-z_-]*' "$log" | head -n1 | cut -d= -f2)"
fi
[ "$harness_status" -eq 0 ] || { echo "error: the serial host harness reported failures" >&2; exit 1; }
exit "$status"
