//! A keystroke: one ordinary byte received on its own, as a terminal delivers typing, taken
//! without the set-up of a whole buffer's processing (`__receive_buf` for a buffer of one
//! byte that needs nothing but `n_tty_receive_char`).

use super::actions::{Actions, TTY_NORMAL};
use super::state::Engine;
use super::termios::{LFlag, Termios};

impl Engine {
    /// The one ordinary character of `data`, when that is all there is, as a terminal
    /// delivers a keystroke: no flag, nothing looked ahead at, not in the character map,
    /// nothing for [`Engine::preops`] to change, no LNEXT pending, neither closing nor
    /// EXTPROC. [`Engine::do_receive_buf`] would take it by [`Engine::receive_char`] (or,
    /// without ECHO, by its plain run, which stores it the same way; in raw mode, which has
    /// no ECHO, IXON or PARMRK, by storing it, the same again, without writing echoes or
    /// calling the driver's `flush_chars` after it).
    pub(super) fn typed_char(&self, t: &Termios, data: &[u8], flags: Option<&[u8]>) -> Option<u8> {
        let [c] = *data else {
            return None;
        };
        let ordinary = flags.is_none_or(|f| f.first().is_none_or(|&flag| flag == TTY_NORMAL))
            && self.lookahead_count == 0
            && !self.closing
            && !self.lnext
            && !t.l(LFlag::EXTPROC)
            && Self::preops_is_identity(t)
            && !self.map_test(c);
        ordinary.then_some(c)
    }

    /// [`Engine::do_receive_buf`] for a [`Engine::typed_char`]: stored (and echoed), the
    /// echo written and the driver asked to send it (not in raw mode), and committed for
    /// readers outside canonical mode. In line in
    /// `receive_common`, ahead of the loop that a whole buffer's processing sets up.
    #[inline]
    pub(super) fn receive_typed_char(&mut self, c: u8, t: &Termios, a: &mut impl Actions) {
        self.receive_char(c, t, a);
        // In raw mode `__receive_buf` neither writes echoes nor asks the driver to send.
        if !self.raw {
            self.flush_echoes(t, a);
            a.flush_chars();
        }
        if !self.icanon {
            self.commit_for_readers(t, a);
        }
    }
}
