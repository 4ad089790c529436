//! Per-tty counters of what the discipline did since it was opened on the tty ([`Counters`]),
//! kept by the engine where each event happens and read by the glue (the module exports them
//! in `/proc/tty/n_rust`, a line per tty). N_TTY keeps none of these but `num_overrun`.

use super::actions::{Actions, Signal};
use super::state::Engine;

/// What the discipline did on one tty since it was opened there. Every counter only grows
/// (wrapping at 2^64) until the discipline is closed on the tty; opening it again starts
/// from zero.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
#[cfg_attr(CONFIG_RUST, derive(pin_init::Zeroable))]
pub struct Counters {
    /// Bytes taken from the driver (what the receive calls consumed, flagged bytes included).
    pub received: u64,
    /// Bytes copied to readers (packet-mode header bytes not included).
    pub read: u64,
    /// Bytes of writers' data taken for output (what `write()` returns), before OPOST.
    pub written: u64,
    /// Bytes of echo output handed to the driver (after OPOST; `^C` is two).
    pub echoed: u64,
    /// SIGINT asked for (INTR with ISIG, or a break with BRKINT).
    pub sigint: u64,
    /// SIGQUIT asked for (QUIT with ISIG).
    pub sigquit: u64,
    /// SIGTSTP asked for (SUSP with ISIG).
    pub sigtstp: u64,
    /// SIGTTIN sent to a background reader's group.
    pub sigttin: u64,
    /// SIGTTOU sent to a background writer's group (TOSTOP).
    pub sigttou: u64,
    /// Bytes the driver flagged as overrun (`TTY_OVERRUN`: the hardware lost input before
    /// them; N_TTY's `num_overrun`).
    pub overruns: u64,
    /// Received bytes the discipline could not store: overwritten by the next byte of a
    /// canonical line that fills the buffer, a parity-flagged byte in that case, or the
    /// rest of a receive without flow control that found no room.
    pub drops: u64,
    /// Times the discipline asked the driver to stop sending after it last let it send.
    pub throttles: u64,
    /// Times the discipline let the driver send again after it had asked it to stop.
    pub unthrottles: u64,
    /// Canonical lines completed (by NL, EOL, EOL2 or EOF).
    pub lines: u64,
    /// The discipline asked the driver to stop sending and has not let it go on since:
    /// what makes a request an event (N_TTY asks on every receive while the room is low, and
    /// unthrottles after every read that leaves little buffered).
    pub throttled: bool,
}

impl Counters {
    /// All zero, as at open.
    pub const ZERO: Counters = Counters {
        received: 0,
        read: 0,
        written: 0,
        echoed: 0,
        sigint: 0,
        sigquit: 0,
        sigtstp: 0,
        sigttin: 0,
        sigttou: 0,
        overruns: 0,
        drops: 0,
        throttles: 0,
        unthrottles: 0,
        lines: 0,
        throttled: false,
    };

    /// The counter of signal `sig`.
    pub fn signals(&self, sig: Signal) -> u64 {
        match sig {
            Signal::Int => self.sigint,
            Signal::Quit => self.sigquit,
            Signal::Tstp => self.sigtstp,
            Signal::Ttin => self.sigttin,
            Signal::Ttou => self.sigttou,
        }
    }

    /// Counts one `sig`.
    pub(super) fn count_signal(&mut self, sig: Signal) {
        let counter = match sig {
            Signal::Int => &mut self.sigint,
            Signal::Quit => &mut self.sigquit,
            Signal::Tstp => &mut self.sigtstp,
            Signal::Ttin => &mut self.sigttin,
            Signal::Ttou => &mut self.sigttou,
        };
        *counter = counter.wrapping_add(1);
    }
}

/// Adds `n` to `counter`, wrapping.
pub(super) fn add(counter: &mut u64, n: usize) {
    *counter = counter.wrapping_add(n as u64);
}

impl Engine {
    /// What the discipline did on this tty since it was opened.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The glue sent `sig` for the discipline (the job-control signals of a background read
    /// or write, which the tty layer and the glue send, not the engine).
    pub fn count_signal(&mut self, sig: Signal) {
        self.counters.count_signal(sig);
    }

    /// Asks the driver to stop sending, counting it if it had been let go.
    pub(super) fn throttle_driver(&mut self, a: &mut impl Actions) {
        if !self.counters.throttled {
            self.counters.throttled = true;
            add(&mut self.counters.throttles, 1);
        }
        a.throttle();
    }

    /// Lets the driver send again, counting it if it had been asked to stop.
    pub(super) fn unthrottle_driver(&mut self, a: &mut impl Actions) {
        if self.counters.throttled {
            self.counters.throttled = false;
            add(&mut self.counters.unthrottles, 1);
        }
        a.unthrottle();
    }
}
