//! The VMIN/VTIME decision of `n_tty_read`, in the shape of FreeBSD's `tty_ttydisc.c`
//! (`ttydisc_read_canonical`, `_raw_no_timer`, `_raw_read_timer`, `_raw_interbyte_timer`):
//! one [`ReadMode`] per row of POSIX's table, and one function per mode that says what a
//! read does after it has copied what was there. The glue's read loop calls
//! [`ReadMode::timer`] when a `read()` starts and [`ReadMode::after_copy`] (through
//! [`Engine::read_step`]) after each copy; the engine's copy itself is in [`super::read`].
//!
//! [`Engine::read_step`]: super::state::Engine::read_step

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

/// The rule a read follows, from the mode and VMIN/VTIME when the `read()` starts
/// (`n_tty_read` reads them once, under `termios_rwsem`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ReadMode {
    /// ICANON (with or without EXTPROC): a line, or what a continuation has; VMIN and VTIME
    /// are not looked at.
    Canonical,
    /// VMIN = 0, VTIME = 0: whatever is there, possibly nothing, at once.
    Polling,
    /// VMIN = 0, VTIME > 0: whatever is there, waiting at most VTIME for the first byte.
    ReadTimer {
        /// VTIME, tenths of a second.
        vtime: u8,
    },
    /// VMIN > 0, VTIME = 0: wait until VMIN bytes are in.
    Blocking {
        /// VMIN, bytes.
        vmin: u8,
    },
    /// VMIN > 0, VTIME > 0: wait for the first byte, then until VMIN bytes are in or VTIME
    /// passes without a new one.
    InterByteTimer {
        /// VMIN, bytes.
        vmin: u8,
        /// VTIME, tenths of a second.
        vtime: u8,
    },
}

/// What a read does after a copy: the decision of the tail of `n_tty_read`'s loop.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AfterCopy {
    /// The read is complete: return what was copied.
    Return,
    /// Look for more input; if there is none, wait with the timer as it runs.
    LookAgain,
    /// Look for more input; if there is none, wait with the timer started again at this.
    RestartTimer(Timeout),
}

impl ReadMode {
    /// The mode of a read on termios `t` (`icanon`: the engine's canonical mode, which
    /// `n_tty_read` tests rather than the termios flag).
    pub const fn of(t: &Termios, icanon: bool) -> Self {
        if icanon {
            return ReadMode::Canonical;
        }
        match (t.cc(VMIN), t.cc(VTIME)) {
            (0, 0) => ReadMode::Polling,
            (0, vtime) => ReadMode::ReadTimer { vtime },
            (vmin, 0) => ReadMode::Blocking { vmin },
            (vmin, vtime) => ReadMode::InterByteTimer { vmin, vtime },
        }
    }

    /// The bytes a read must have copied before it returns, or before it asks to be called
    /// again to copy more at once (`minimum` in `n_tty_read`).
    pub const fn minimum(self) -> usize {
        match self {
            ReadMode::Canonical => 0,
            ReadMode::Polling | ReadMode::ReadTimer { .. } => 1,
            ReadMode::Blocking { vmin } | ReadMode::InterByteTimer { vmin, .. } => vmin as usize,
        }
    }

    /// The timer a read starts with (`timeout` in `n_tty_read`): it bounds the waits until
    /// something is copied, and is not started again by a wake-up that brings nothing.
    pub const fn timer(self) -> Timeout {
        match self {
            ReadMode::Canonical | ReadMode::Blocking { .. } | ReadMode::InterByteTimer { .. } => {
                Timeout::Forever
            }
            ReadMode::Polling => Timeout::Immediate,
            ReadMode::ReadTimer { vtime } => Timeout::Deciseconds(vtime),
        }
    }

    /// What a read does once it has copied `copied` bytes in all (packet header included),
    /// one function per mode.
    pub const fn after_copy(self, copied: usize) -> AfterCopy {
        match self {
            ReadMode::Canonical => canonical(),
            ReadMode::Polling => polling(copied),
            ReadMode::ReadTimer { .. } => read_timer(copied),
            ReadMode::Blocking { vmin } => blocking(copied, vmin),
            ReadMode::InterByteTimer { vmin, vtime } => inter_byte_timer(copied, vmin, vtime),
        }
    }
}

/// Canonical mode (`ttydisc_read_canonical`): one copy pass returns, with a line, the part
/// of one that fits, or nothing for an end of file.
const fn canonical() -> AfterCopy {
    AfterCopy::Return
}

/// VMIN = 0, VTIME = 0 (the polling half of `ttydisc_read_raw_no_timer`): return what was
/// copied; with nothing, look once more (the timer is zero, so no wait follows).
const fn polling(copied: usize) -> AfterCopy {
    if copied >= 1 {
        AfterCopy::Return
    } else {
        AfterCopy::LookAgain
    }
}

/// VMIN = 0, VTIME > 0 (`ttydisc_read_raw_read_timer`): one byte ends the read; the VTIME
/// timer runs from the start of the read.
const fn read_timer(copied: usize) -> AfterCopy {
    if copied >= 1 {
        AfterCopy::Return
    } else {
        AfterCopy::LookAgain
    }
}

/// VMIN > 0, VTIME = 0 (the blocking half of `ttydisc_read_raw_no_timer`): wait, without a
/// timer, until VMIN bytes are in.
const fn blocking(copied: usize, vmin: u8) -> AfterCopy {
    if copied >= vmin as usize {
        AfterCopy::Return
    } else {
        AfterCopy::LookAgain
    }
}

/// VMIN > 0, VTIME > 0 (`ttydisc_read_raw_interbyte_timer`): no timer before the first
/// byte; after each copy short of VMIN the VTIME timer starts again.
const fn inter_byte_timer(copied: usize, vmin: u8, vtime: u8) -> AfterCopy {
    if copied >= vmin as usize {
        AfterCopy::Return
    } else {
        AfterCopy::RestartTimer(Timeout::Deciseconds(vtime))
    }
}
