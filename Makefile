# SPDX-License-Identifier: GPL-2.0
#
# n_rust: user-facing targets. Kbuild (the file beside this one) builds the module itself.
#
#   make run      set everything up, boot the test kernel with n_rust loaded, give a shell
#   make test     run every test layer, print a summary per layer and "N passed, N failed"
#   make kunit    boot the guest, run the module's KUnit suites, parse their KTAP strictly
#   make mutants  mutation testing of the engine against the host tests (about 25 minutes)
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
#   MUTANTS_JOBS=, MUTANTS_ARGS=
#                 `make mutants`: parallel jobs (default 2) and more cargo-mutants options,
#                 e.g. MUTANTS_ARGS="--re 'engine/canon\.rs:'" (one file) or "--iterate"

N_RUST_CACHE ?= $(HOME)/.cache/n_rust
LLVM ?= -19
export LLVM N_RUST_CACHE
# A fixed seed for the concurrent test in make test: its random part still finds rare
# divergences (README), which must not make a gate flaky; set N_RUST_CONC_SEED= to explore.
N_RUST_CONC_SEED ?= 0x422dbebc1d5b7262
export N_RUST_DIFF_SCENARIOS N_RUST_DIFF_SEED N_RUST_CONC_SCENARIOS N_RUST_CONC_SEED
MUTANTS_JOBS ?= 2
MUTANTS_ARGS ?=
export LIBCLANG_PATH ?= /usr/lib/llvm-19/lib
export PATH := $(HOME)/.cargo/bin:$(PATH)

BUILD := $(CURDIR)/build

.PHONY: all help setup kernel-src kernel module install guest initramfs run test host-test oracle-long mutants bench \
	guest-test kunit kunit-parse check clean

all: module

help:
	@sed -n '3,23p' Makefile

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

# The guest programs' TAP is checked too: every plan kept, no program missing (tests/guest-tap.py).
guest-test: initramfs
	@rm -f $(BUILD)/guest-console.log
	@qemu/run.sh --test "$$(cat $(BUILD)/kdir.path)" $(BUILD); status=$$?; \
		tests/guest-tap.py $(BUILD)/guest-console.log && exit $$status

# Throughput of n_rust and N_TTY side by side in one guest boot (N_RUST_BENCH_MIB per run).
bench: initramfs
	@qemu/run.sh --bench "$$(cat $(BUILD)/kdir.path)" $(BUILD)

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
