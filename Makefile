# SPDX-License-Identifier: GPL-2.0
#
# n_rust: user-facing targets. Kbuild (the file beside this one) builds the module itself.
#
#   make run      set everything up, boot the test kernel with n_rust loaded, give a shell
#   make test     run every test layer, print a summary per layer and "N passed, N failed"
#   make kunit    boot the guest, run the module's KUnit suites, parse their KTAP strictly
#   make vt-test  type on a shell on a virtual console (QEMU sendkey), check its screen (tests/vt/)
#   make mutants  mutation testing of the engine against the host tests (about 25 minutes)
#   make fuzz     the engine fuzzer (cargo-fuzz), 10 million executions (about 35 minutes)
#   make fuzz-short  the engine fuzzer for FUZZ_SHORT_SECONDS (45 s after its build)
#   make stress   the stress run and 100 load/unload cycles on the debug kernel (KASAN, kmemleak,
#                 UBSAN, lockdep; qemu/configs/debug.config), STRESS_SECONDS (600) of stress
#   make fuzz-guest  the guest syscall fuzzer alone (n_rust-test-sysfuzz), FUZZ_GUEST_CALLS calls
#   make bench    N_TTY and n_rust timed alternately in one guest boot (README, "Benchmark")
#   make bench-profile  that guest sampled through QEMU's monitor: where each workload's time goes
#   make bench-insns    that guest's instructions counted per function (a TCG plugin), per workload
#
# Variables:
#   KERNEL_SRC=   your own Linux tree (with Rust support); else Linux 7.3 is fetched
#   KDIR=         an already built kernel to build the module against (skips the test kernel)
#   N_RUST_CACHE= where kernel sources and builds are cached (default ~/.cache/n_rust)
#   LLVM=-19      the LLVM suffix the kernel is built with
#   N_RUST_DIFF_SCENARIOS=, N_RUST_DIFF_SEED=
#                 scenarios and seed of the guest differential test (default 2000, random)
#   N_RUST_CONC_SCENARIOS=, N_RUST_CONC_SEED=
#                 scenarios and seed of the concurrent differential test (default 300, seed 0x422dbebc1d5b7262)
#   N_RUST_GUEST_SUITES=n_rust-test-jobctl,...
#                 `make guest-test`: run only these guest programs (all by default)
#   N_RUST_NTTY_LDISC=
#                 `make guest-takeover`: the number N_TTY keeps in the takeover guest (28)
#   N_RUST_VT_LDISCS=
#                 `make vt-test` and the vt layer: which runs (default "ntty takeover")
#   N_RUST_BENCH_REPS=, N_RUST_BENCH_MIB=
#                 `make bench`: repetitions per discipline (default 7), MiB per raw run (16)
#   N_RUST_BENCH_ROWS=, N_RUST_BENCH_CPUS=
#                 `make bench`: only these workloads (e.g. raw_m2s,canon_lines; default all),
#                 where the work runs (all: every vCPU, the default; cpu0: one vCPU)
#   BENCH_CONFIG= `make bench`: the kernel, qemu/configs/NAME.config over the test kernel's
#                 (default bench: no lockdep); empty: the test kernel itself
#   N_RUST_BENCH_ICOUNT=
#                 `make bench` under TCG: the guest clock counts instructions, 2^N ns each
#                 (default 0); off: the host's clock (real time, noisy)
#   MUTANTS_JOBS=, MUTANTS_ARGS=
#                 `make mutants`: parallel jobs (default 2) and more cargo-mutants options,
#                 e.g. MUTANTS_ARGS="--re 'engine/canon\.rs:'" (one file) or "--iterate"
#   FUZZ_RUNS=, FUZZ_SECONDS=
#                 `make fuzz`: executions (default 10000000), or a time limit in seconds instead
#   STRESS_SECONDS=, STRESS_CYCLES=, STRESS_MEM=
#                 `make stress`: seconds of stress (600), insmod/rmmod cycles (100), guest memory (1G);
#                 N_RUST_STRESS_SECONDS=, N_RUST_LIFECYCLE_CYCLES= set them for make test's guest
#                 run (default 40 s and 20 cycles; 10 s and 3 cycles on the up and rt kernels)
#   FUZZ_GUEST_CALLS=, FUZZ_GUEST_SECONDS=, FUZZ_GUEST_SEED=, FUZZ_GUEST_SELFTEST=
#                 `make fuzz-guest`: calls (default 1000000), time limit (default 5400 s), seed
#                 (default random), seconds of N_TTY against itself first (default 120);
#                 N_RUST_SYSFUZZ_CALLS=, _SECONDS=, _SEED= set the short run in make test

N_RUST_CACHE ?= $(HOME)/.cache/n_rust
LLVM ?= -19
export LLVM N_RUST_CACHE
# A fixed seed for the concurrent test in make test: its random part still finds rare
# divergences (README), which must not make a gate flaky; set N_RUST_CONC_SEED= to explore.
N_RUST_CONC_SEED ?= 0x422dbebc1d5b7262
export N_RUST_DIFF_SCENARIOS N_RUST_DIFF_SEED N_RUST_CONC_SCENARIOS N_RUST_CONC_SEED N_RUST_GUEST_SUITES N_RUST_NTTY_LDISC
export N_RUST_SERIAL_BYTES N_RUST_SERIAL_READ_MAX N_RUST_SERIAL_PAUSE_EVERY N_RUST_SERIAL_PAUSE_US
export N_RUST_STRESS_SECONDS N_RUST_STRESS_SEED N_RUST_LIFECYCLE_CYCLES
export N_RUST_SYSFUZZ_CALLS N_RUST_SYSFUZZ_SEED N_RUST_SYSFUZZ_SECONDS N_RUST_SYSFUZZ_AGAINST
export N_RUST_SYSFUZZ_SELFTEST N_RUST_SYSFUZZ_UNTIL
export N_RUST_BENCH_REPS N_RUST_BENCH_MIB N_RUST_BENCH_LINES N_RUST_BENCH_TYPED N_RUST_BENCH_TRIPS N_RUST_BENCH_PTYS \
	N_RUST_BENCH_ROWS N_RUST_BENCH_CPUS N_RUST_BENCH_ICOUNT
N_RUST_VT_LDISCS ?= ntty takeover
export N_RUST_VT_LDISCS
MUTANTS_JOBS ?= 2
MUTANTS_ARGS ?=
FUZZ_RUNS ?= 10000000
FUZZ_SECONDS ?=
FUZZ_SHORT_SECONDS ?= 45
STRESS_SECONDS ?= 600
STRESS_CYCLES ?= 100
STRESS_MEM ?= 1G
FUZZ_GUEST_CALLS ?= 1000000
FUZZ_GUEST_SECONDS ?= 5400
FUZZ_GUEST_SEED ?=
FUZZ_GUEST_SELFTEST ?= 120
export LIBCLANG_PATH ?= /usr/lib/llvm-19/lib
export PATH := $(HOME)/.cargo/bin:$(PATH)

BUILD := $(CURDIR)/build

.PHONY: all help setup kernel-src kernel module install guest initramfs run test host-test oracle-long mutants bench bench-profile bench-insns engine-work \
	fuzz fuzz-short fuzz-guest serial-test stress \
	guest-test guest-takeover vt-test kunit kunit-parse check clean

all: module

help:
	@sed -n '3,/^$$/p' Makefile

setup:
	@scripts/setup-toolchain.sh

# The kernel tree and build directory are recorded in build/ so later steps need not ask again.
$(BUILD):
	@mkdir -p $@

kernel-src: setup | $(BUILD)
	@scripts/fetch-kernel.sh $(N_RUST_CACHE) > $(BUILD)/kernel-src.path

kernel: kernel-src
	@if [ -n "$(KDIR)" ]; then \
		[ -f "$(KDIR)/Module.symvers" ] || { echo "error: KDIR=$(KDIR) is not a built kernel (no Module.symvers); set KDIR to one, or unset it to build the test kernel" >&2; exit 1; }; \
		echo "$(KDIR)" > $(BUILD)/kdir.path; \
	else \
		scripts/build-kernel.sh "$$(cat $(BUILD)/kernel-src.path)" qemu/kernel.config $(N_RUST_CACHE) > $(BUILD)/kdir.path; \
	fi

module: kernel
	@scripts/build-module.sh "$$(cat $(BUILD)/kdir.path)"

guest: setup | $(BUILD)
	@scripts/build-guest-programs.sh $(BUILD)

initramfs: module guest
	@qemu/mkinitramfs.sh "$$(cat $(BUILD)/kdir.path)" $(BUILD)

run: initramfs
	@qemu/run.sh --interactive "$$(cat $(BUILD)/kdir.path)" $(BUILD)

test: setup
	@tests/run-all.sh

# Install into the running kernel (or KDIR=, INSTALL_MOD_PATH=): modules_install + depmod.
install: setup
	@scripts/install-module.sh "$(or $(KDIR),/lib/modules/$(shell uname -r)/build)"

host-test:
	@cargo test --workspace --quiet

oracle-long:
	@cargo run --release --quiet -p n_rust_oracle -- --cases 1000000

# Mutation testing of the engine: every cargo-mutants mutant of src/engine/*.rs (not
# testing/) against the host tests of n_rust_engine (.cargo/mutants.toml). About 25 minutes
# with 2 jobs; results in build/mutants.out/ (missed.txt, caught.txt, ...). See README.md.
mutants:
	@command -v cargo-mutants >/dev/null || { echo "mutants: cargo-mutants is missing: cargo install cargo-mutants --locked" >&2; exit 1; }
	@mkdir -p $(BUILD)
	@cargo mutants -j $(MUTANTS_JOBS) --timeout 30 --build-timeout 180 -o $(BUILD) $(MUTANTS_ARGS)

# The engine fuzzer: fuzz/ (target engine_ops), one libFuzzer process, corpus in
# fuzz/corpus/engine_ops; installs cargo-fuzz if missing. See README.md, "Fuzzing the engine".
fuzz:
	@FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz-engine.sh

fuzz-short:
	@FUZZ_SECONDS=$(FUZZ_SHORT_SECONDS) scripts/fuzz-engine.sh

# The stress run on the debug kernel (qemu/configs/debug.config over qemu/kernel.config, built
# into the cache like the other configurations, 15-30 minutes the first time): only the guest
# programs n_rust-test-stress and n_rust-test-lifecycle, then KUnit's results of the loads.
# See README.md, "Stress run".
stress: kernel-src guest
	@N_RUST_GUEST_SUITES=n_rust-test-stress,n_rust-test-lifecycle \
		N_RUST_STRESS_SECONDS=$(STRESS_SECONDS) N_RUST_LIFECYCLE_CYCLES=$(STRESS_CYCLES) \
		N_RUST_GUEST_MEM=$(STRESS_MEM) N_RUST_GUEST_TIMEOUT=$$(($(STRESS_SECONDS) + 2400)) \
		scripts/test-config.sh debug
# The guest syscall fuzzer alone, long (README, "Fuzzing"): one guest boot running only
# n_rust-test-sysfuzz; the console log is build/guest-console.log.
fuzz-guest: initramfs
	@rm -f $(BUILD)/guest-console.log
	@N_RUST_GUEST_SUITES=n_rust-test-sysfuzz N_RUST_SYSFUZZ_CALLS=$(FUZZ_GUEST_CALLS) \
		N_RUST_SYSFUZZ_SECONDS=$(FUZZ_GUEST_SECONDS) N_RUST_SYSFUZZ_SEED=$(FUZZ_GUEST_SEED) \
		N_RUST_SYSFUZZ_SELFTEST=$(FUZZ_GUEST_SELFTEST) \
		N_RUST_GUEST_TIMEOUT=$$(($(FUZZ_GUEST_SECONDS) + $(FUZZ_GUEST_SELFTEST) + 600)) \
		qemu/run.sh --test "$$(cat $(BUILD)/kdir.path)" $(BUILD); status=$$?; \
		grep -a '^# sysfuzz:' $(BUILD)/guest-console.log; \
		tests/guest-tap.py $(BUILD)/guest-console.log && exit $$status

# The guest programs' TAP is checked too: every plan kept, no program missing (tests/guest-tap.py).
guest-test: initramfs
	@rm -f $(BUILD)/guest-console.log
	@qemu/run.sh --test "$$(cat $(BUILD)/kdir.path)" $(BUILD); status=$$?; \
		tests/guest-tap.py $(BUILD)/guest-console.log && exit $$status

# The whole guest on n_rust: the module loaded with takeover=1 (it serves N_TTY's slot)
# before any tty is opened, then the guest suites on default ttys (README, "Takeover mode").
# The VT test: a shell on tty2 typed on with QEMU's sendkey, its screen read from /dev/vcs2,
# on N_TTY and on n_rust in takeover mode (N_RUST_VT_LDISCS="ntty takeover"); tests/vt/.
vt-test: initramfs
	@status=0; for ldisc in $(N_RUST_VT_LDISCS); do \
		qemu/run.sh --vt "$$(cat $(BUILD)/kdir.path)" $(BUILD) $$ldisc || status=1; \
	done; exit $$status

guest-takeover: initramfs
	@rm -f $(BUILD)/guest-console-takeover.log
	@qemu/run.sh --takeover "$$(cat $(BUILD)/kdir.path)" $(BUILD); status=$$?; \
		tests/guest-tap.py $(BUILD)/guest-console-takeover.log && exit $$status
# The serial test driven from the host: tests/serial/serial_host.py types, sends BREAKs and
# pushes bulk data into ttyS1 while the guest runs n_rust-test-serial-host (README, "Serial
# from the host side"). N_RUST_SERIAL_BYTES= sets the bulk size.
serial-test: initramfs
	@qemu/run.sh --serial "$$(cat $(BUILD)/kdir.path)" $(BUILD)

# N_TTY and n_rust measured alternately in one guest boot (README, "Benchmark"); the table
# goes to bench/last.json and bench/last.svg, compared first with the last saved result.
# The engine's instructions per byte on its fast paths, under callgrind (host only).
engine-work:
	@scripts/engine-work.sh

# The kernel the benchmark boots: qemu/configs/$(BENCH_CONFIG).config over the test kernel's
# configuration, built into the cache with n_rust built for it (scripts/test-config.sh
# --prepare). The default, bench, is the test kernel without lockdep, as users run it;
# BENCH_CONFIG= boots the test kernel itself (lockdep on).
BENCH_CONFIG ?= bench
BENCH_BOOT = if [ -n "$(BENCH_CONFIG)" ]; then \
		kdir=$$(scripts/test-config.sh $(BENCH_CONFIG) --prepare) || exit 1; \
		dir=$(BUILD)/configs/$(BENCH_CONFIG); ko=$$dir/tree/n_rust.ko; \
	else kdir=$$(cat $(BUILD)/kdir.path); dir=$(BUILD); ko=$(CURDIR)/n_rust.ko; fi
BENCH_DEPS = $(if $(BENCH_CONFIG),kernel-src guest,initramfs)

bench: $(BENCH_DEPS)
	@mkdir -p $(BUILD)/bench
	@$(BENCH_BOOT); \
	{ qemu/run.sh --bench "$$kdir" "$$dir"; echo $$? >$(BUILD)/bench/status; } | tee $(BUILD)/bench/run.txt
	@status=$$(cat $(BUILD)/bench/status); [ "$$status" = 0 ] || { echo "bench: FAILED (exit $$status)" >&2; exit 1; }
	@scripts/bench-report.py $(BUILD)/bench/run.txt bench

# The benchmark guest sampled from the host through QEMU's monitor (scripts/guest-profile.py):
# where each workload spends its time on N_TTY and on n_rust, side by side. The knobs are the
# benchmark's (N_RUST_BENCH_ROWS=raw_m2s ...); bench/last.json is left alone.
bench-profile: $(BENCH_DEPS)
	@mkdir -p $(BUILD)/bench
	@$(BENCH_BOOT); \
	rm -f "$$dir/guest-console.log" "$$dir/monitor.sock"; \
	scripts/guest-profile.py --monitor "$$dir/monitor.sock" --console "$$dir/guest-console.log" \
		--system-map "$$kdir/System.map" --module "$$ko" --out $(BUILD)/bench/profile.txt \
		--samples $(BUILD)/bench/profile-samples.txt & \
	profiler=$$!; \
	qemu/run.sh --bench "$$kdir" "$$dir" > $(BUILD)/bench/profile-run.txt; status=$$?; \
	wait $$profiler || status=1; \
	[ $$status = 0 ] || { echo "bench-profile: FAILED (see $(BUILD)/bench/profile-run.txt)" >&2; exit 1; }

# The benchmark guest with its instructions counted by the TCG plugin scripts/insn-count (per
# translated block, in segments the benchmark marks at each workload's start and end; exact,
# where bench-profile samples host time): report in $(BUILD)/bench/insns.txt. The knobs are
# the benchmark's.
bench-insns: $(BENCH_DEPS)
	@mkdir -p $(BUILD)/bench
	@clang$(LLVM) -O2 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden \
		-o $(BUILD)/insn-count.so scripts/insn-count/insn-count.c -lpthread
	@$(BENCH_BOOT); \
	rm -f "$$dir/guest-console.log" "$$dir/monitor.sock" $(BUILD)/bench/insn-counts.txt; \
	scripts/guest-profile.py --monitor "$$dir/monitor.sock" --console "$$dir/guest-console.log" \
		--system-map "$$kdir/System.map" --module "$$ko" --out $(BUILD)/bench/insns.txt \
		--insns $(BUILD)/bench/insn-counts.txt & \
	profiler=$$!; \
	N_RUST_QEMU_PLUGIN=$(BUILD)/insn-count.so,out=$(BUILD)/bench/insn-counts.txt \
		qemu/run.sh --bench "$$kdir" "$$dir" > $(BUILD)/bench/insns-run.txt; status=$$?; \
	[ $$status = 0 ] || kill $$profiler 2>/dev/null; \
	wait $$profiler || status=1; \
	[ $$status = 0 ] || { echo "bench-insns: FAILED (see $(BUILD)/bench/insns-run.txt)" >&2; exit 1; }

# The module's KUnit suites run when the guest tests load it: boot the guest, then parse the
# KTAP strictly (a failed guest test is reported, but the verdict here is KUnit's).
kunit: initramfs
	@qemu/run.sh --test "$$(cat $(BUILD)/kdir.path)" $(BUILD) || \
		echo "kunit: note: the guest tests failed (see $(BUILD)/guest-console.log)"
	@$(MAKE) -s kunit-parse

# Parse the KTAP of the last guest run again, without booting.
kunit-parse:
	@tests/kunit-parse.py --report $(BUILD)/kunit-report.txt \
		$(BUILD)/guest-kmsg.log $(BUILD)/guest-console.log

check:
	@cargo fmt --all --check
	@cargo clippy --workspace --all-targets --quiet -- -D warnings

clean:
	@if [ -f $(BUILD)/kdir.path ]; then $(MAKE) -s -C "$$(cat $(BUILD)/kdir.path)" M=$(CURDIR) LLVM=$(LLVM) clean; fi
	@rm -rf $(BUILD) target
