//! The cases of the conformance table ([`CASES`]), one file per group of rules; see
//! [`super::conformance`] for what a case does and how it is checked. A case added to a
//! group runs in every place the table runs.

use super::conformance::Case;
use super::read_until_empty::ReadsEnded;
use crate::engine::actions::Signal;
use crate::engine::termios::{IFlag, LFlag, OFlag, Termios, VEOL, VEOL2, VINTR, VMIN, VTIME};

mod line_editing;
mod output_reads_modes;
mod signals_input_flags;

const SANE: Termios = Termios::SANE;
const RAW: Termios = Termios::RAW;

/// `N` bytes of `b`, the last one `last`.
const fn fill<const N: usize>(b: u8, last: u8) -> [u8; N] {
    let mut a = [b; N];
    if N > 0 {
        a[N - 1] = last;
    }
    a
}

/// 5000 'a' and a newline: a canonical line past the 4095-character limit.
const LONG_INPUT: [u8; 5001] = fill(b'a', b'\n');
/// What a reader gets of it: 4095 'a' and the newline.
const LONG_LINE: [u8; 4096] = fill(b'a', b'\n');
const HUNDRED: [u8; 100] = fill(b'x', b'x');
const X64: [u8; 64] = fill(b'x', b'x');
const X36: [u8; 36] = fill(b'x', b'x');

/// A case with termios `termios` and driver input `input`, expecting nothing: no read
/// result, no driver output, no signal; the builders below add expectations.
const fn case(name: &'static str, termios: Termios, input: &'static [u8]) -> Case {
    Case {
        name,
        termios,
        input,
        flags: None,
        switch_to: None,
        input2: b"",
        read_size: 512,
        reads: &[],
        reads_end: ReadsEnded::Again,
        write: b"",
        written: 0,
        master: b"",
        signals: &[],
    }
}

/// Expect the read results `reads` and the driver bytes `master`.
const fn expect(mut c: Case, reads: &'static [&'static [u8]], master: &'static [u8]) -> Case {
    c.reads = reads;
    c.master = master;
    c
}

/// Expect the last read to return 0 (outside canonical mode with VMIN = VTIME = 0), not
/// `EAGAIN`.
const fn ends_with_zero(mut c: Case) -> Case {
    c.reads_end = ReadsEnded::Zero;
    c
}

/// Expect the signals `s`.
const fn sigs(mut c: Case, s: &'static [Signal]) -> Case {
    c.signals = s;
    c
}

/// Give the input per-byte `TTY_*` flags `f`.
const fn flagged(mut c: Case, f: &'static [u8]) -> Case {
    c.flags = Some(f);
    c
}

/// Write `w` after the reads, expecting `written` bytes taken.
const fn writes(mut c: Case, w: &'static [u8], written: usize) -> Case {
    c.write = w;
    c.written = written;
    c
}

/// Read with `read(2)` calls of `n` bytes.
const fn rsize(mut c: Case, n: usize) -> Case {
    c.read_size = n;
    c
}

/// Switch to termios `t` after the input, then receive `input2`.
const fn switch(mut c: Case, t: Termios, input2: &'static [u8]) -> Case {
    c.switch_to = Some(t);
    c.input2 = input2;
    c
}

const OPOST_ONLY: Termios = RAW.with_oflag(OFlag::OPOST);
const RAW_VMIN0: Termios = RAW.with_cc(VMIN, 0);
const RAW_WAIT: Termios = RAW.with_cc(VMIN, 255);

/// The groups, in table order.
const GROUPS: [&[Case]; 3] = [
    line_editing::CASES,
    signals_input_flags::CASES,
    output_reads_modes::CASES,
];

/// Number of cases in all groups.
const COUNT: usize = GROUPS[0].len() + GROUPS[1].len() + GROUPS[2].len();

/// The groups one after the other, as one array (KUnit takes the table as one array of
/// parameters).
const fn concat<const N: usize>(groups: [&[Case]; 3]) -> [Case; N] {
    let mut all = [case("", SANE, b""); N];
    let mut k = 0;
    let mut g = 0;
    while g < groups.len() {
        let mut i = 0;
        while i < groups[g].len() {
            all[k] = groups[g][i];
            k += 1;
            i += 1;
        }
        g += 1;
    }
    all
}

/// Every case, in one array.
static ALL: [Case; COUNT] = concat(GROUPS);

/// The conformance cases.
pub static CASES: &[Case] = &ALL;
