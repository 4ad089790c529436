//! Scenarios of the guest differential test: a termios and a sequence of operations, drawn
//! from a seed with the oracle's generator (`n_rust_oracle::gen`).

use n_rust_engine::{IFlag, LFlag, OFlag, Termios, VMIN, VTIME};
use n_rust_oracle::gen::{
    gen_cc_value, gen_termios, may_signal, push_byte, signal_chars, Rng, SPECIAL,
};
use n_rust_oracle::{esc, show_termios};
use std::fmt::Write as _;

/// Most input one scenario writes to the masters. With this bound neither N_TTY's 4 KiB read
/// buffer (a third of it with PARMRK) nor the master's read buffer fills, so input is never
/// held back in a flip buffer and no echo is cut short (see `README.md`, "Exclusions").
pub const MAX_INPUT: usize = 600;
/// Largest single input chunk: it fits one flip-buffer page, so the slave's discipline
/// receives it in one `receive_buf2` call.
pub const MAX_CHUNK: usize = 200;
/// Largest write to a slave (output processing expands it at most eightfold).
pub const MAX_WRITE: usize = 200;

/// How `tcsetattr` applies a termios: `TCSETS`, `TCSETSW` or `TCSETSF`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    Now,
    Drain,
    Flush,
}

/// How input that is available to a reader is taken before more is written to the master:
/// the sync protocol needs the slave without available input (see `duo.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drain {
    /// Nonblocking reads of this size until none is left.
    Read(usize),
    /// `TCIFLUSH`.
    Flush,
}

/// One operation, applied identically to both slaves (or their masters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Bytes written to the master: input for the slave's discipline.
    Input { data: Vec<u8>, drain: Drain },
    /// One `read(2)` of the slave; blocking only where it cannot wait (else nonblocking).
    Read { size: usize, blocking: bool },
    /// Nonblocking reads of `size` until `EAGAIN` (or 0 outside canonical mode).
    ReadAll { size: usize },
    /// `tcsetattr` on the slave.
    Termios { when: When, termios: Termios },
    /// `TCFLSH` with `TCIFLUSH`, `TCOFLUSH` or `TCIOFLUSH`.
    Flush(i32),
    /// `TCXONC` with `TCOOFF`, `TCOON`, `TCIOFF` or `TCION`.
    Flow(i32),
    /// A program's `write(2)` to the slave; blocking only when output can run (else
    /// nonblocking).
    Write { data: Vec<u8>, blocking: bool },
    /// `TIOCSTI`: one byte pushed into the input as if typed.
    Sti(u8),
}

/// A scenario: the termios set first, then the operations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    pub termios: Termios,
    pub ops: Vec<Op>,
}

fn gen_size(r: &mut Rng) -> usize {
    match r.below(12) {
        0 => 0,
        1..=3 => 1 + r.below(8),
        4..=6 => 1 + r.below(100),
        7 => 60 + r.below(10),
        8 => r.pick(&[127, 128, 255, 256, 511, 1000, 4095, 4096, 5000]),
        _ => 1 + r.below(600),
    }
}

fn gen_drain(r: &mut Rng) -> Drain {
    if r.pct(20) {
        Drain::Flush
    } else {
        Drain::Read(1 + gen_size(r))
    }
}

/// A termios change from `cur`: a few flags or characters, or a new termios altogether.
fn gen_change(r: &mut Rng, cur: &Termios) -> Termios {
    if r.pct(20) {
        return gen_termios(r);
    }
    let mut t = *cur;
    for _ in 0..1 + r.below(3) {
        match r.below(14) {
            0..=2 => t.lflag.0 ^= LFlag::ICANON.0,
            3 => t.lflag.0 ^= LFlag::ECHO.0,
            4 => t.lflag.0 ^= LFlag::ISIG.0,
            5 => t.lflag.0 ^= LFlag::IEXTEN.0,
            6 => t.lflag.0 ^= LFlag::EXTPROC.0,
            7 => t.iflag.0 ^= IFlag::IXON.0,
            8 => t.oflag.0 ^= r.pick(&[OFlag::OPOST.0, OFlag::ONLCR.0, OFlag::OCRNL.0]),
            9 => {
                t.lflag.0 ^= r.pick(&[
                    LFlag::ECHOE.0,
                    LFlag::ECHOK.0,
                    LFlag::ECHONL.0,
                    LFlag::ECHOCTL.0,
                    LFlag::ECHOPRT.0,
                    LFlag::ECHOKE.0,
                    LFlag::NOFLSH.0,
                ])
            }
            10 => {
                t.iflag.0 ^= r.pick(&[
                    IFlag::ICRNL.0,
                    IFlag::INLCR.0,
                    IFlag::IGNCR.0,
                    IFlag::ISTRIP.0,
                    IFlag::IUCLC.0,
                    IFlag::IXANY.0,
                    IFlag::PARMRK.0,
                    IFlag::IUTF8.0,
                ])
            }
            11 => t.cc[VMIN] = r.pick(&[0, 1, 1, 2, 5, 64, 255]),
            12 => t.cc[VTIME] = r.pick(&[0, 0, 1, 5]),
            _ => {
                let idx = r.pick(&SPECIAL);
                t.cc[idx] = gen_cc_value(r);
            }
        }
    }
    t
}

/// Splits every input chunk before and after a byte that may act as a signal character
/// under any termios of the scenario. N_TTY's signal flush drops the lock it holds while
/// receiving and throws away what the master has not yet taken, so only a chunk of its own
/// keeps the result independent of timing (the oracle does the same, `DIVERGENCES.md`).
pub fn isolate_signal_chars(s: &mut Scenario) {
    let mut sig = Vec::new();
    signal_chars(&s.termios, &mut sig);
    for op in &s.ops {
        if let Op::Termios { termios, .. } = op {
            signal_chars(termios, &mut sig);
        }
    }
    if sig.is_empty() {
        return;
    }
    let mut ops = Vec::with_capacity(s.ops.len());
    for op in s.ops.drain(..) {
        match op {
            Op::Input { data, drain } => {
                let mut cur = Vec::new();
                for b in data {
                    if may_signal(b, &sig) {
                        if !cur.is_empty() {
                            ops.push(Op::Input {
                                data: std::mem::take(&mut cur),
                                drain,
                            });
                        }
                        ops.push(Op::Input {
                            data: vec![b],
                            drain,
                        });
                    } else {
                        cur.push(b);
                    }
                }
                if !cur.is_empty() {
                    ops.push(Op::Input { data: cur, drain });
                }
            }
            other => ops.push(other),
        }
    }
    s.ops = ops;
}

fn gen_bytes(r: &mut Rng, t: &Termios, len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(len + 4);
    while v.len() < len {
        push_byte(r, t, &mut v);
    }
    v.truncate(len);
    v
}

/// The scenario of seed `seed`.
pub fn gen_scenario(seed: u64) -> Scenario {
    let mut r = Rng::new(seed);
    let termios = gen_termios(&mut r);
    let mut cur = termios;
    let mut budget = MAX_INPUT;
    let mut ops = Vec::new();
    let most = if r.pct(20) { 40 } else { 12 };
    let n = 2 + r.below(most);
    for _ in 0..n {
        let op = match r.below(100) {
            0..=29 => {
                if budget == 0 {
                    continue;
                }
                let len = match r.below(10) {
                    0..=5 => 1 + r.below(12),
                    6..=8 => 1 + r.below(60),
                    _ => 1 + r.below(MAX_CHUNK),
                }
                .min(budget);
                budget -= len;
                Op::Input {
                    data: gen_bytes(&mut r, &cur, len),
                    drain: gen_drain(&mut r),
                }
            }
            30..=49 => Op::Read {
                size: gen_size(&mut r),
                blocking: r.pct(30),
            },
            50..=54 => Op::ReadAll {
                size: 1 + gen_size(&mut r),
            },
            55..=64 => {
                cur = gen_change(&mut r, &cur);
                Op::Termios {
                    when: r.pick(&[When::Now, When::Now, When::Drain, When::Flush]),
                    termios: cur,
                }
            }
            65..=69 => Op::Flush(r.pick(&[libc::TCIFLUSH, libc::TCOFLUSH, libc::TCIOFLUSH])),
            70..=74 => Op::Flow(r.pick(&[libc::TCOOFF, libc::TCOON, libc::TCIOFF, libc::TCION])),
            75..=91 => {
                let len = if r.pct(70) {
                    r.below(20)
                } else {
                    r.below(MAX_WRITE + 1)
                };
                Op::Write {
                    data: gen_bytes(&mut r, &cur, len),
                    blocking: r.pct(30),
                }
            }
            _ => {
                let mut v = Vec::new();
                push_byte(&mut r, &cur, &mut v);
                Op::Sti(v[0])
            }
        };
        ops.push(op);
    }
    // Let held output run and take what is left, so that it is compared too.
    ops.push(Op::Flow(libc::TCOON));
    ops.push(Op::ReadAll {
        size: 1 + gen_size(&mut r),
    });
    let mut s = Scenario { termios, ops };
    isolate_signal_chars(&mut s);
    s
}

fn flush_name(arg: i32) -> &'static str {
    match arg {
        libc::TCIFLUSH => "TCIFLUSH",
        libc::TCOFLUSH => "TCOFLUSH",
        _ => "TCIOFLUSH",
    }
}

fn flow_name(arg: i32) -> &'static str {
    match arg {
        libc::TCOOFF => "TCOOFF",
        libc::TCOON => "TCOON",
        libc::TCIOFF => "TCIOFF",
        _ => "TCION",
    }
}

/// An operation as one line.
pub fn show_op(op: &Op) -> String {
    match op {
        Op::Input { data, drain } => format!("input {} (drain first: {drain:?})", esc(data)),
        Op::Read { size, blocking } => {
            format!("read {size}{}", if *blocking { " (blocking)" } else { "" })
        }
        Op::ReadAll { size } => format!("read {size} until none is left"),
        Op::Termios { when, termios } => {
            format!("tcsetattr {when:?} {}", show_termios(termios))
        }
        Op::Flush(a) => format!("tcflush {}", flush_name(*a)),
        Op::Flow(a) => format!("tcflow {}", flow_name(*a)),
        Op::Write { data, blocking } => format!(
            "write {}{}",
            esc(data),
            if *blocking { " (blocking)" } else { "" }
        ),
        Op::Sti(b) => format!("TIOCSTI {}", esc(&[*b])),
    }
}

/// A scenario, one operation per line.
pub fn show_scenario(s: &Scenario) -> String {
    let mut out = format!("    termios {}\n", show_termios(&s.termios));
    for (i, op) in s.ops.iter().enumerate() {
        let _ = writeln!(out, "    op {i}: {}", show_op(op));
    }
    out
}
