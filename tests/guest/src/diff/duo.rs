//! Two pty pairs side by side, one slave on N_TTY and one on n_rust: every operation is
//! applied to both, everything observable is recorded and compared.
//!
//! # Timing
//!
//! Input written to a master reaches the slave's discipline from the flip-buffer worker, a
//! work item that runs later. Nothing is compared while that work may be pending:
//!
//! - Before input is written, the slave has no input available to a reader: the last
//!   `poll` said so (the runner drains or flushes otherwise), and a `poll` that finds no
//!   input waits for the flip work (`tty_buffer_flush_work`) before it answers, in N_TTY and
//!   in n_rust alike. So no earlier input is pending.
//! - After the write, `poll` again: with no input available it waits for the work, so the
//!   chunk has been received. With input available the work has at least started (the chunk
//!   made it available): then `TIOCINQ`, which N_TTY answers under the termios lock taken for
//!   writing and n_rust under its own lock, both held by the receive path for a whole
//!   `receive_buf2` call, waits for it to end. A chunk is at most `MAX_CHUNK` bytes, so it
//!   sits in one flip-buffer page and is received in one call.
//! - The master is read until `EAGAIN`; its reads wait for the master's own flip work in the
//!   same way, so every byte the slave has written to it by then is read.

use crate::observation::{compare, Divergence, Family, Obs, Want};
use crate::scenario::{Drain, Op, Scenario, When};
use crate::side::{Res, Side};
use n_rust_engine::{LFlag, Termios, VMIN, VTIME};
use n_rust_guest_tests::disciplines::disciplines;
use n_rust_oracle::gen::{may_signal, signal_chars};
use n_rust_oracle::shrink::Lockstep;
use std::io;

/// The discipline of the second side when `--against` was given: N_TTY for a self-test of
/// the harness (`--against 0`, which must never diverge, on any Linux). -1: n_rust.
static AGAINST: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

/// Puts `disc` on the second side instead of n_rust.
pub fn set_against(disc: i32) {
    AGAINST.store(disc, std::sync::atomic::Ordering::Relaxed);
}

/// The two sides' disciplines: N_TTY's number and n_rust's in this guest (29 and 0, or 0
/// and N_TTY's spare number in the takeover guest: `disciplines`), or `--against`'s.
fn side_disciplines() -> [i32; 2] {
    let d = disciplines();
    match AGAINST.load(std::sync::atomic::Ordering::Relaxed) {
        -1 => [d.n_tty, d.n_rust],
        against => [d.n_tty, against],
    }
}
/// Names of the two sides, in order.
pub const NAMES: [&str; 2] = ["n_tty", "n_rust"];

/// The two sides.
pub struct Duo {
    pub sides: [Side; 2],
    /// Time spent per kind of operation (reset, input, read, read all, termios, flush, flow,
    /// write, TIOCSTI) and observing, for `--profile`.
    pub profile: [(u32, std::time::Duration); 10],
}

/// Names of the `Duo::profile` slots.
pub const PROFILE: [&str; 10] = [
    "reset", "input", "read", "read-all", "termios", "flush", "flow", "write", "sti", "observe",
];

fn slot(op: &Op) -> usize {
    match op {
        Op::Input { .. } => 1,
        Op::Read { .. } => 2,
        Op::ReadAll { .. } => 3,
        Op::Termios { .. } => 4,
        Op::Flush(_) => 5,
        Op::Flow(_) => 6,
        Op::Write { .. } => 7,
        Op::Sti(_) => 8,
    }
}

fn canonical(t: &Termios) -> bool {
    t.l(LFlag::ICANON)
}

/// Whether a blocking read of `size` returns at once in the observed state: in canonical
/// mode a line (or end of file) is there; otherwise VMIN/VTIME are met without waiting.
/// Reads that would wait (the VTIME timers) are made nonblocking instead.
fn read_returns_at_once(t: &Termios, size: usize, last: &Obs) -> bool {
    if size == 0 {
        return true;
    }
    if canonical(t) {
        return last.poll & libc::POLLIN != 0;
    }
    let available = match last.inq {
        Some(Res::Ok(n, _)) => n as usize,
        _ => return false,
    };
    let (vmin, vtime) = (t.cc[VMIN] as usize, t.cc[VTIME]);
    let need = if vmin == 0 {
        usize::from(vtime > 0)
    } else {
        vmin.min(size)
    };
    available >= need
}

impl Duo {
    /// Opens the two pairs: the first on N_TTY, the second on n_rust.
    pub fn open() -> io::Result<Duo> {
        let [n_tty, against] = side_disciplines();
        Ok(Duo {
            sides: [Side::open(n_tty)?, Side::open(against)?],
            profile: Default::default(),
        })
    }

    fn observe(&self, obs: &mut [Obs; 2], want: Want) -> Result<(), Divergence> {
        for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
            side.observe(o, want).map_err(|e| Divergence {
                op: None,
                family: Family::Harness,
                detail: format!("observing: {e}"),
            })?;
        }
        Ok(())
    }

    /// Runs `s` on both sides; the first difference is returned.
    pub fn run(&mut self, s: &Scenario) -> Result<(), Divergence> {
        let t0 = std::time::Instant::now();
        let mut obs: [Obs; 2] = Default::default();
        // Reset: output running (TCOOFF then TCOON clears a STOP too), the termios, no input.
        // What that writes to the master is compared too.
        for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
            o.calls
                .push((Family::Ioctl, side.ioctl_arg(libc::TCXONC, libc::TCOOFF)));
            o.calls
                .push((Family::Ioctl, side.ioctl_arg(libc::TCXONC, libc::TCOON)));
            o.calls
                .push((Family::Ioctl, side.set_termios(&s.termios, When::Now)));
            o.calls
                .push((Family::Ioctl, side.ioctl_arg(libc::TCFLSH, libc::TCIFLUSH)));
        }
        let want = Want {
            master: true,
            signals: false,
            outq: true,
        };
        self.observe(&mut obs, want)?;
        self.profile[0].0 += 1;
        self.profile[0].1 += t0.elapsed();
        compare(&obs).map_err(|(family, detail)| Divergence {
            op: None,
            family,
            detail,
        })?;
        let mut cur = s.termios;
        for (i, op) in s.ops.iter().enumerate() {
            let last = std::mem::take(&mut obs[0]);
            obs = Default::default();
            let t0 = std::time::Instant::now();
            let mut want = self.apply(op, &mut cur, &last, &mut obs);
            let t1 = std::time::Instant::now();
            // At the end of a scenario: the output queue, and the signals sent since the
            // last sample, so that a signal after a byte that cannot be a signal character
            // (or after any other operation) is seen too.
            let last_op = i + 1 == s.ops.len();
            want.outq |= last_op;
            want.signals |= last_op;
            self.observe(&mut obs, want).map_err(|mut d| {
                d.op = Some(i);
                d
            })?;
            let k = slot(op);
            self.profile[k].0 += 1;
            self.profile[k].1 += t1 - t0;
            self.profile[9].0 += 1;
            self.profile[9].1 += t1.elapsed();
            compare(&obs).map_err(|(family, detail)| Divergence {
                op: Some(i),
                family,
                detail,
            })?;
        }
        Ok(())
    }

    /// Applies `op` to both sides, recording the calls in `obs`; returns what to observe.
    fn apply(&self, op: &Op, cur: &mut Termios, last: &Obs, obs: &mut [Obs; 2]) -> Want {
        let canon = canonical(cur);
        let mut sig = Vec::new();
        signal_chars(cur, &mut sig);
        let signal = |data: &[u8]| data.len() == 1 && may_signal(data[0], &sig);
        let quiet = Want::default();
        let output = Want {
            master: true,
            ..Want::default()
        };
        match op {
            Op::Input { data, drain } => {
                if last.poll & libc::POLLIN != 0 {
                    // Take the available input first (see the module documentation).
                    for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
                        match drain {
                            Drain::Read(size) => side.read_all(*size, canon, &mut o.calls),
                            Drain::Flush => o.calls.push((
                                Family::Ioctl,
                                side.ioctl_arg(libc::TCFLSH, libc::TCIFLUSH),
                            )),
                        }
                        if side.poll() & libc::POLLIN != 0 {
                            o.calls.push((
                                Family::Ioctl,
                                side.ioctl_arg(libc::TCFLSH, libc::TCIFLUSH),
                            ));
                            o.calls
                                .push((Family::Poll, Res::Ok(side.poll() as isize, vec![])));
                        }
                    }
                }
                for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
                    let r = match side.pty.write_master(data) {
                        Ok(()) => Res::Ok(data.len() as isize, Vec::new()),
                        Err(e) => Res::Err(e.raw_os_error().unwrap_or(0)),
                    };
                    o.calls.push((Family::Input, r));
                }
                // Wait for the discipline to take the chunk: poll, then TIOCINQ if poll found
                // input (without input, poll has waited for the flip work: its mask is final).
                for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
                    let mask = side.poll();
                    if mask & libc::POLLIN != 0 {
                        side.ioctl_int(libc::TIOCINQ);
                    } else {
                        o.poll = mask;
                        o.polled = true;
                    }
                }
                Want {
                    master: true,
                    signals: signal(data),
                    outq: false,
                }
            }
            Op::Read { size, blocking } => {
                let blocking = *blocking && read_returns_at_once(cur, *size, last);
                for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
                    o.calls.push((Family::Read, side.read(*size, blocking)));
                }
                quiet
            }
            Op::ReadAll { size } => {
                for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
                    side.read_all(*size, canon, &mut o.calls);
                }
                quiet
            }
            Op::Termios { when, termios } => {
                for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
                    o.calls
                        .push((Family::Ioctl, side.set_termios(termios, *when)));
                }
                *cur = *termios;
                output
            }
            Op::Flush(arg) => {
                for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
                    o.calls
                        .push((Family::Ioctl, side.ioctl_arg(libc::TCFLSH, *arg)));
                }
                quiet
            }
            Op::Flow(arg) => {
                for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
                    o.calls
                        .push((Family::Ioctl, side.ioctl_arg(libc::TCXONC, *arg)));
                }
                output
            }
            Op::Write { data, blocking } => {
                let blocking = *blocking && last.poll & libc::POLLOUT != 0;
                for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
                    o.calls.push((Family::Write, side.write(data, blocking)));
                }
                Want {
                    master: true,
                    signals: false,
                    outq: true,
                }
            }
            Op::Sti(b) => {
                for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
                    o.calls.push((Family::Ioctl, side.sti(*b)));
                }
                Want {
                    master: true,
                    signals: signal(&[*b]),
                    outq: false,
                }
            }
        }
    }
}

impl Lockstep for Duo {
    type Case = Scenario;
    type Divergence = Divergence;
    type Kind = Family;

    fn fresh() -> Result<Duo, Divergence> {
        Duo::open().map_err(|e| Divergence {
            op: None,
            family: Family::Harness,
            detail: format!("opening pty pairs: {e}"),
        })
    }

    fn run(&mut self, s: &Scenario) -> Result<(), Divergence> {
        Duo::run(self, s)
    }

    fn kind(d: &Divergence) -> Family {
        d.family
    }
}
