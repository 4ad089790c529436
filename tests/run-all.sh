#!/usr/bin/env bash
# Run every n_rust test layer and print a summary per layer, then "N passed, N failed".
# Exits non-zero when any test fails or a layer cannot run.
#
# Layers: style (rustfmt, clippy), host (engine unit and conformance tests), oracle
# (differential test against the host kernel's N_TTY), module (builds n_rust.ko against the
# test kernel without warnings), guest (tests inside the QEMU guest), kunit (the module's
# KUnit suites, run when the guest loads it; their KTAP parsed strictly by tests/kunit-parse.py),
# takeover (the guest suites again in a guest whose every tty runs n_rust: the module loaded
# with takeover=1 before any tty is opened; qemu/init nrust_mode=takeover), vt (a shell on a
# virtual console typed on through the emulated PS/2 keyboard, on N_TTY and on n_rust in
# takeover mode; tests/vt/), serial (ttyS1 driven from the host by
# tests/serial/serial_host.py, qemu/run.sh --serial), install (make install and DKMS on
# scratch trees), and one layer per other kernel
# configuration in N_RUST_TEST_CONFIGS (default "up rt": qemu/configs/*.config, each built
# into the cache, the module built against it and the guest suites run on it).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=$top/build
logs=$build/test-logs
mkdir -p "$logs"
export PATH=$HOME/.cargo/bin:$PATH
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-19/lib}
ORACLE_CASES=${ORACLE_CASES:-20000}

declare -a names=() passes=() fails=() notes=()
record() { names+=("$1"); passes+=("$2"); fails+=("$3"); notes+=("${4:-}"); }
t0=$(date +%s)
stamp() { echo "== $* ($(($(date +%s) - t0))s)"; }

# cargo test prints "test result: ok. N passed; M failed; ..." per test binary.
cargo_counts() { # log -> "passed failed"
	awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;/) p += $(i-1); if ($(i) ~ /^failed;/) f += $(i-1) } }
		END { print p + 0, f + 0 }' "$1"
}

# guest_tap CONSOLE TAPLOG STATUS: checks a guest console's TAP (every program's plan against
# its results, no program missing: tests/guest-tap.py), shows what failed, and sets p and f to
# the counts; a run that exited non-zero with no failed case counts one failure.
guest_tap() {
	local console=$1 taplog=$2 status=$3
	tests/guest-tap.py "$console" >"$taplog" 2>&1
	grep -v '^guest: [0-9]* passed' "$taplog"
	read -r p f < <(sed -n 's/^guest: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' \
		"$taplog" | tail -n1)
	p=${p:-0}
	f=${f:-1}
	[ -f "$console" ] && grep -a -A3 '^not ok' "$console" | head -n 40
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	return 0
}

# The VT test (tests/vt/vt-keys.py through qemu/run.sh --vt): a shell on tty2 typed on with the
# monitor's sendkey, its screen read from /dev/vcs2; once on the kernel's N_TTY (the control),
# once with n_rust in takeover mode (N_RUST_VT_LDISCS chooses, default "ntty takeover"). Each
# run prints TAP and "vt-LDISC: N passed, M failed"; a run that says nothing counts as failed.
run_vt_layer() {
	local ldisc p f vt_p=0 vt_f=0 note=
	stamp "vt: a shell on a VT, typed on through the PS/2 keyboard (${N_RUST_VT_LDISCS-ntty takeover})"
	for ldisc in ${N_RUST_VT_LDISCS-ntty takeover}; do
		qemu/run.sh --vt "$(cat "$build/kdir.path")" "$build" "$ldisc" >"$logs/vt-$ldisc.log" 2>&1
		local vt_status=$?
		read -r p f < <(sed -n "s/^vt-$ldisc: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p" \
			"$logs/vt-$ldisc.log" | tail -n1)
		p=${p:-0}
		f=${f:-1}
		if [ "$vt_status" -ne 0 ]; then
			grep -a -E -A12 '^not ok|^error|^# vt' "$logs/vt-$ldisc.log" | head -n 60
			[ "$f" -gt 0 ] || f=1
		fi
		vt_p=$((vt_p + p))
		vt_f=$((vt_f + f))
		note="$note$ldisc $p/$((p + f)), "
	done
	record vt "$vt_p" "$vt_f" "${note}see $logs/vt-*.log"
}

stamp "style: rustfmt and clippy"
style_fail=0
{ cargo fmt --all --check && rustfmt --edition 2021 --check src/n_rust.rs; } >"$logs/fmt.log" 2>&1 ||
	{ style_fail=$((style_fail + 1)); cat "$logs/fmt.log"; }
cargo clippy --workspace --all-targets --quiet -- -D warnings >"$logs/clippy.log" 2>&1 ||
	{ style_fail=$((style_fail + 1)); tail -n 40 "$logs/clippy.log"; }
record style $((2 - style_fail)) "$style_fail" "rustfmt, clippy -D warnings"

stamp "host: cargo test (engine unit and conformance tests, the oracle crate's tests)"
# The oracle crate's tests include the conformance table checked against the host kernel
# (n_rust_oracle --check-table) and a short differential run.
if cargo test --workspace --exclude n_rust_guest_tests >"$logs/host.log" 2>&1; then
	read -r p f < <(cargo_counts "$logs/host.log")
	record host "$p" "$f"
else
	read -r p f < <(cargo_counts "$logs/host.log")
	grep -E '^test .* FAILED|panicked|^error' "$logs/host.log" | head -n 40
	[ "$f" -gt 0 ] || f=1
	record host "$p" "$f" "see $logs/host.log"
fi

stamp "oracle: the conformance table and $ORACLE_CASES differential cases against the host kernel's N_TTY"
oracle_p=0
oracle_f=0
if cargo run --release --quiet -p n_rust_oracle -- --check-table >"$logs/oracle-table.log" 2>&1; then
	oracle_p=$((oracle_p + 1))
else
	grep -E 'MISMATCH|^table:|panicked' "$logs/oracle-table.log" | head -n 20
	oracle_f=$((oracle_f + 1))
fi
if cargo run --release --quiet -p n_rust_oracle -- --cases "$ORACLE_CASES" >"$logs/oracle.log" 2>&1; then
	oracle_p=$((oracle_p + 1))
else
	tail -n 30 "$logs/oracle.log"
	oracle_f=$((oracle_f + 1))
fi
record oracle "$oracle_p" "$oracle_f" "$(tail -n1 "$logs/oracle-table.log" | cut -c1-60); $(tail -n1 "$logs/oracle.log")"

# The serial test driven from the host (qemu/run.sh --serial): ttyS1's socket in telnet mode,
# tests/serial/serial_host.py typing, sending BREAKs and pushing N_RUST_SERIAL_BYTES (64 KiB
# here; README, "Serial from the host side") while the guest runs each case on N_TTY and n_rust.
export N_RUST_SERIAL_BYTES=${N_RUST_SERIAL_BYTES:-65536}
run_serial_layer() {
	stamp "serial: ttyS1 driven from the host, $N_RUST_SERIAL_BYTES bytes of bulk data"
	make -s serial-test >"$logs/serial.log" 2>&1
	local status=$? p f
	read -r p f < <(sed -n 's/^serial: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' \
		"$logs/serial.log" | tail -n1)
	p=${p:-0}
	f=${f:-1}
	if [ "$status" -ne 0 ]; then
		grep -A6 '^not ok' "$logs/serial.log" | head -n 60
		# No summary: the guest did not boot or the harness died; run.sh printed the console.
		grep -q '^serial: [0-9]* passed' "$logs/serial.log" || tail -n 60 "$logs/serial.log"
		[ "$f" -gt 0 ] || f=1
	fi
	record serial "$p" "$f" "log: $logs/serial.log"
}

stamp "module: test kernel and n_rust.ko"
if make -s module; then
	record module 1 0 "built without warnings"
	stamp "guest: tests in QEMU"
	if make -s initramfs >"$logs/initramfs.log" 2>&1; then
		console=$build/guest-console.log
		# Never count the results of an earlier run: the logs go before this one starts.
		rm -f "$console" "$build/guest-kmsg.log"
		make -s guest-test
		guest_tap "$console" "$logs/guest-tap.log" $?
		record guest "$p" "$f" "console log: $console"
		stamp "kunit: KTAP of the module's KUnit suites from the guest run"
		tests/kunit-parse.py --report "$logs/kunit.log" "$build/guest-kmsg.log" "$console" \
			>"$logs/kunit-summary.log" 2>&1
		kunit_status=$?
		grep -v -e '^kunit: [0-9]* passed' -e '^kunit: parser report' "$logs/kunit-summary.log"
		read -r p f < <(sed -n 's/^kunit: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' \
			"$logs/kunit-summary.log" | tail -n1)
		p=${p:-0}
		f=${f:-0}
		if [ "$kunit_status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
		record kunit "$p" "$f" "KTAP report: $logs/kunit.log"
		stamp "takeover: the guest suites with every tty on n_rust (takeover=1 from boot)"
		takeover_console=$build/guest-console-takeover.log
		rm -f "$takeover_console" "$build/guest-kmsg-takeover.log"
		# Fewer random scenarios than the test guest, to keep this boot short under TCG.
		N_RUST_DIFF_SCENARIOS=${N_RUST_TAKEOVER_DIFF_SCENARIOS:-1000} \
			N_RUST_CONC_SCENARIOS=${N_RUST_TAKEOVER_CONC_SCENARIOS:-120} \
			qemu/run.sh --takeover "$(cat "$build/kdir.path")" "$build" >"$logs/takeover-run.log" 2>&1
		takeover_status=$?
		guest_tap "$takeover_console" "$logs/takeover-tap.log" "$takeover_status"
		[ "$takeover_status" -ne 0 ] && tail -n 20 "$logs/takeover-run.log"
		record takeover "$p" "$f" "console log: $takeover_console"
		run_vt_layer
		run_serial_layer
	else
		cat "$logs/initramfs.log"
		record guest 0 1 "initramfs build failed"
		record kunit 0 1 "not run: no guest"
		record takeover 0 1 "not run: no guest"
		record vt 0 1 "not run: no guest"
		record serial 0 1 "not run: no guest"
	fi
else
	record module 0 1 "see build/module.log"
	record guest 0 1 "not run: no module"
	record kunit 0 1 "not run: no module"
	record takeover 0 1 "not run: no module"
	record vt 0 1 "not run: no module"
	record serial 0 1 "not run: no module"
fi

stamp "install: make install and DKMS on scratch trees"
if [ -f "$build/kdir.path" ]; then
	scripts/check-install.sh "$(cat "$build/kdir.path")" >"$logs/install.log" 2>&1
	grep -v '^ok ' "$logs/install.log"
	record install "$(grep -c '^ok ' "$logs/install.log")" "$(grep -c '^not ok ' "$logs/install.log")"
else
	record install 0 1 "not run: no test kernel"
fi

for config in ${N_RUST_TEST_CONFIGS-up rt}; do
	stamp "config $config: qemu/configs/$config.config (kernel, module, guest suites)"
	scripts/test-config.sh "$config" >"$logs/config-$config.log" 2>&1
	config_status=$?
	grep -E "^config $config: " "$logs/config-$config.log" | sed '$d'
	read -r p f < <(sed -n "s/^config $config: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p" \
		"$logs/config-$config.log" | tail -n1)
	p=${p:-0}
	f=${f:-1}
	if [ "$config_status" -ne 0 ]; then
		grep -v -E "^config $config: " "$logs/config-$config.log" | tail -n 30
		[ "$f" -gt 0 ] || f=1
	fi
	record "$config" "$p" "$f" "see $logs/config-$config.log"
done

echo
echo "Summary ($(($(date +%s) - t0))s):"
total_p=0
total_f=0
for i in "${!names[@]}"; do
	printf '  layer %-8s %5d passed %3d failed   %s\n' "${names[$i]}" "${passes[$i]}" "${fails[$i]}" "${notes[$i]}"
	total_p=$((total_p + passes[i]))
	total_f=$((total_f + fails[i]))
done
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
