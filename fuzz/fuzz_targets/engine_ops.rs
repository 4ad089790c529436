//! libFuzzer target on the n_rust engine: each input is decoded by `arbitrary` into a list of
//! operations (termios changes, receives with flags, reads, writes, flushes, driver room,
//! flow control), run on a fresh engine with the invariants checked after each
//! (`n_rust_fuzz::run`). Run it with `make fuzz`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use n_rust_fuzz::ops::Input;

fuzz_target!(|input: Input| {
    n_rust_fuzz::run(&input);
});
