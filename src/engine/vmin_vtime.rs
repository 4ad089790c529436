//! The VMIN/VTIME decision of `n_tty_read`: how long a blocking read waits and when it
//! returns (POSIX's table of the four VMIN/VTIME cases, and canonical mode).

use super::state::Engine;
use super::termios::{Termios, VMIN, VTIME};

/// How long a read may wait.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Timeout {
    /// Wait until woken.
    Forever,
    /// Do not wait at all.
    Immediate,
    /// Wait at most this many tenths of a second.
    Deciseconds(u8),
}

/// The VMIN/VTIME decision of `n_tty_read`: what a blocking read waits for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ReadPolicy {
    /// Return once at least this many bytes were copied (0: after any copy, canonical).
    pub minimum: usize,
    /// Timeout while nothing has been copied yet.
    pub first: Timeout,
    /// Timeout after some bytes were copied but fewer than `minimum` (inter-byte timer).
    pub next: Timeout,
}

impl ReadPolicy {
    /// Should the read return now, with `copied` bytes and `timed_out` set if the
    /// current wait expired? (`n_tty_read` / `n_tty_wait_for_input`.)
    pub const fn done(&self, copied: usize, timed_out: bool) -> bool {
        if copied > 0 && copied >= self.minimum {
            return true;
        }
        if copied == 0 && self.minimum == 0 {
            return false;
        }
        let t = if copied == 0 { self.first } else { self.next };
        match t {
            Timeout::Immediate => true,
            Timeout::Forever => false,
            Timeout::Deciseconds(_) => timed_out,
        }
    }
}

impl Engine {
    /// The VMIN/VTIME rules of `n_tty_read` for termios `t` in the current mode.
    pub fn read_policy(&self, t: &Termios) -> ReadPolicy {
        read_policy(t, self.icanon)
    }
}

/// The VMIN/VTIME decision of `n_tty_read` for termios `t` (`icanon`: canonical mode).
pub const fn read_policy(t: &Termios, icanon: bool) -> ReadPolicy {
    if icanon {
        return ReadPolicy {
            minimum: 0,
            first: Timeout::Forever,
            next: Timeout::Forever,
        };
    }
    let vmin = t.cc(VMIN);
    let vtime = t.cc(VTIME);
    if vmin > 0 {
        ReadPolicy {
            minimum: vmin as usize,
            first: Timeout::Forever,
            next: if vtime > 0 {
                Timeout::Deciseconds(vtime)
            } else {
                Timeout::Forever
            },
        }
    } else {
        let first = if vtime > 0 {
            Timeout::Deciseconds(vtime)
        } else {
            Timeout::Immediate
        };
        ReadPolicy {
            minimum: 1,
            first,
            next: first,
        }
    }
}
