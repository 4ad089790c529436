//! Bytes the driver flagged (`n_tty_receive_char_flagged` and below): a break, a parity or
//! framing error, an overrun.

use super::actions::{Actions, Signal, TTY_BREAK, TTY_FRAME, TTY_OVERRUN, TTY_PARITY};
use super::counters;
use super::state::Engine;
use super::termios::{IFlag, Termios};

impl Engine {
    /// A byte the driver flagged (`n_tty_receive_char_flagged`): a break or a parity/framing
    /// error; overruns and unknown flags are only logged by N_TTY, so ignored here.
    pub(super) fn receive_char_flagged(
        &mut self,
        c: u8,
        flag: u8,
        t: &Termios,
        a: &mut impl Actions,
    ) {
        match flag {
            TTY_BREAK => self.receive_break(t, a),
            TTY_PARITY | TTY_FRAME => self.receive_parity_error(c, t),
            // Overrun is only counted and logged by N_TTY; unknown flags are logged.
            TTY_OVERRUN => counters::add(&mut self.counters.overruns, 1),
            _ => {}
        }
    }

    /// A break (`n_tty_receive_break`): ignored with IGNBRK, SIGINT with BRKINT, else a 0 byte
    /// (`\377 \0 \0` with PARMRK).
    fn receive_break(&mut self, t: &Termios, a: &mut impl Actions) {
        if t.i(IFlag::IGNBRK) {
            return;
        }
        if t.i(IFlag::BRKINT) {
            self.isig(Signal::Int, t, a);
            return;
        }
        if t.i(IFlag::PARMRK) {
            self.put_tty_queue(0xff);
            self.put_tty_queue(0);
        }
        self.put_tty_queue(0);
    }

    /// A parity or framing error on `c` (`n_tty_receive_parity_error`): with INPCK ignored
    /// (IGNPAR), marked `\377 \0 c` (PARMRK) or read as 0; without INPCK `c` itself.
    fn receive_parity_error(&mut self, c: u8, t: &Termios) {
        if t.i(IFlag::INPCK) {
            if t.i(IFlag::IGNPAR) {
                return;
            }
            if t.i(IFlag::PARMRK) {
                self.put_tty_queue(0xff);
                self.put_tty_queue(0);
                self.put_tty_queue(c);
            } else {
                self.put_tty_queue(0);
            }
        } else {
            self.put_tty_queue(c);
        }
    }
}
