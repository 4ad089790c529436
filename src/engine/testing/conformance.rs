//! The conformance table: N_TTY behaviours as data, run by the host tests, by the
//! kernel's KUnit suite and checked against the host kernel by the oracle
//! (`n_rust_oracle --check-table`).
//!
//! A case opens the engine with `termios`, receives `input` (with per-byte
//! `flags`, if any), optionally switches to `switch_to` and receives `input2`,
//! then reads with `read(2)` calls of `read_size` bytes until nothing is left
//! (`-EAGAIN`, or 0 in non-canonical mode), then writes `write` as a program
//! would. Expected: the read results in order (an empty entry is a 0-byte read,
//! end-of-file in canonical mode), how the reads ended (`EAGAIN` or 0), every byte
//! that reached the driver (echo and output processing), the signals sent and how
//! much of `write` was taken.

use super::read_until_empty::{read_until_empty, ReadOnce, ReadsEnded};
use super::recorder::Recorder;
use crate::engine::actions::{DriverInfo, Signal};
use crate::engine::state::Engine;
use crate::engine::termios::Termios;

pub use super::conformance_cases::CASES;

/// One behaviour.
#[derive(Clone, Copy)]
pub struct Case {
    /// Name, for reports.
    pub name: &'static str,
    /// Termios at open.
    pub termios: Termios,
    /// Bytes from the driver.
    pub input: &'static [u8],
    /// Per-byte `TTY_*` flags for `input` (none: all normal). Cases with flags cannot
    /// be checked on a pty.
    pub flags: Option<&'static [u8]>,
    /// Termios set after `input` (N_TTY's `set_termios` mid-stream).
    pub switch_to: Option<Termios>,
    /// Bytes from the driver after the switch.
    pub input2: &'static [u8],
    /// Size of each `read(2)`.
    pub read_size: usize,
    /// Expected read results, in order.
    pub reads: &'static [&'static [u8]],
    /// How the last read ended: `EAGAIN` ([`ReadsEnded::Again`]) or, outside canonical mode
    /// with VMIN = VTIME = 0, 0 ([`ReadsEnded::Zero`]).
    pub reads_end: ReadsEnded,
    /// Bytes a program writes after the reads.
    pub write: &'static [u8],
    /// Expected number of `write` bytes taken.
    pub written: usize,
    /// Expected bytes at the driver (the pty master), echo then output.
    pub master: &'static [u8],
    /// Expected signals, in order.
    pub signals: &'static [Signal],
}

/// What differed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MismatchKind {
    /// Read number `index` returned other bytes (or other length).
    Read,
    /// More reads returned data than expected.
    ExtraRead,
    /// Fewer reads returned data than expected.
    MissingRead,
    /// The reads ended otherwise (`EAGAIN` against 0; `index` 0: `EAGAIN`, 1: 0, 2: no end).
    ReadEnd,
    /// The driver bytes differ at `index`.
    Master,
    /// The signals differ at `index`.
    Signals,
    /// The count of written bytes differs.
    Written,
    /// The input was not all consumed.
    Input,
}

/// A failed case.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Mismatch {
    /// The case name.
    pub case: &'static str,
    /// What differed.
    pub kind: MismatchKind,
    /// Where (read number, byte offset or signal number).
    pub index: usize,
}

/// Largest `read_size` a case may use.
pub const READ_CAP: usize = 4096;
/// Everything a case run needs, allocated once by the caller (about 28 KiB:
/// keep it off the kernel stack). All fields are plain data (integers, `bool`s,
/// enums, arrays of them; nothing to drop, no pointers): a bitwise copy of a fresh
/// bench is a fresh bench.
pub struct Bench {
    /// The engine under test.
    pub engine: Engine,
    /// The recording tty.
    pub rec: Recorder,
    /// Read buffer.
    pub buf: [u8; READ_CAP],
}

impl Bench {
    /// A fresh bench on a pty-like driver.
    pub const fn new() -> Self {
        Bench {
            engine: Engine::new(DriverInfo::PTY),
            rec: Recorder::new(),
            buf: [0; READ_CAP],
        }
    }
}

impl Default for Bench {
    fn default() -> Self {
        Self::new()
    }
}

/// Receive all of `data` as the flip buffer would, chunk after chunk; false if the engine
/// stops taking it.
fn feed(b: &mut Bench, t: &Termios, data: &[u8], flags: Option<&[u8]>) -> bool {
    let mut off = 0;
    while off < data.len() {
        let f = flags.map(|f| f.get(off..).unwrap_or(&[]));
        let n = b
            .engine
            .receive(t, data.get(off..).unwrap_or(&[]), f, &mut b.rec);
        if n == 0 {
            return false;
        }
        off += n;
    }
    true
}

/// Open the engine of `bench` for `case` and receive its input: `input`, then, if the case
/// switches termios, the switch and `input2`. `after_input` is called with the termios and
/// the engine after each of the two (the oracle asks what `TIOCINQ` should say). Returns
/// the termios in force, or the input the engine did not take all of (0 or 1).
pub fn receive_inputs(
    case: &Case,
    bench: &mut Bench,
    mut after_input: impl FnMut(&Termios, &Engine),
) -> Result<Termios, usize> {
    bench.rec.clear();
    bench.engine.set_driver(DriverInfo::PTY);
    let mut t = case.termios;
    bench.engine.open(&t, &mut bench.rec);
    if !feed(bench, &t, case.input, case.flags) {
        return Err(0);
    }
    after_input(&t, &bench.engine);
    if let Some(t2) = case.switch_to {
        bench.engine.set_termios(Some(&t), &t2, &mut bench.rec);
        t = t2;
        if !feed(bench, &t, case.input2, None) {
            return Err(1);
        }
        after_input(&t, &bench.engine);
    }
    Ok(t)
}

/// Run one case on `bench`.
pub fn run(case: &Case, bench: &mut Bench) -> Result<(), Mismatch> {
    let fail = |kind, index| {
        Err(Mismatch {
            case: case.name,
            kind,
            index,
        })
    };
    let t = match receive_inputs(case, bench, |_, _| {}) {
        Ok(t) => t,
        Err(which) => return fail(MismatchKind::Input, which),
    };
    let size = case.read_size.clamp(1, READ_CAP);
    let mut nread = 0usize;
    let canonical = bench.engine.icanon();
    let Bench { engine, rec, buf } = bench;
    let ended = read_until_empty(
        buf.get_mut(..size).unwrap_or(&mut []),
        canonical,
        4 * READ_CAP + 1,
        |chunk| Ok(ReadOnce::from(engine.read(&t, chunk, rec))),
        |got| {
            let Some(want) = case.reads.get(nread) else {
                return fail(MismatchKind::ExtraRead, nread);
            };
            if got != *want {
                return fail(MismatchKind::Read, nread);
            }
            nread += 1;
            Ok(())
        },
    )?;
    if nread != case.reads.len() {
        return fail(MismatchKind::MissingRead, nread);
    }
    if ended != case.reads_end {
        let index = match ended {
            ReadsEnded::Again => 0,
            ReadsEnded::Zero => 1,
            ReadsEnded::AtLimit => 2,
        };
        return fail(MismatchKind::ReadEnd, index);
    }
    let written = bench.engine.write(&t, case.write, &mut bench.rec).bytes;
    if written != case.written {
        return fail(MismatchKind::Written, written);
    }
    let m = bench.rec.master_bytes();
    if m != case.master {
        let at = m
            .iter()
            .zip(case.master.iter())
            .position(|(x, y)| x != y)
            .unwrap_or(m.len().min(case.master.len()));
        return fail(MismatchKind::Master, at);
    }
    let sent = bench.rec.signals();
    if sent.len() != case.signals.len() {
        return fail(MismatchKind::Signals, sent.len());
    }
    if let Some(i) = sent.iter().zip(case.signals).position(|(x, y)| x != y) {
        return fail(MismatchKind::Signals, i);
    }
    Ok(())
}

/// Run every case of [`CASES`]; returns the number run, or the first mismatch.
pub fn run_all(bench: &mut Bench) -> Result<usize, Mismatch> {
    for c in CASES {
        run(c, bench)?;
    }
    Ok(CASES.len())
}
