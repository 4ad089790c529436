//! A termios change (`n_tty_set_termios`): the canonical-mode switch, the map of special
//! characters and the raw modes.

use super::actions::Actions;
use super::state::{Engine, DISABLED_CHAR};
use super::termios::{IFlag, LFlag, Termios};
use super::termios::{
    VEOF, VEOL, VEOL2, VERASE, VINTR, VKILL, VLNEXT, VQUIT, VREPRINT, VSTART, VSTOP, VSUSP, VWERASE,
};

impl Engine {
    /// Termios changed from `old` (None: at open) to `new` (`n_tty_set_termios`): update
    /// the state, restart output if IXON was turned off while output was stopped by a STOP
    /// character, and wake readers and writers.
    pub fn set_termios(&mut self, old: Option<&Termios>, new: &Termios, a: &mut impl Actions) {
        self.set_termios_state(old, new);
        if !new.i(IFlag::IXON) && old.is_some_and(|o| o.i(IFlag::IXON)) && !a.tco_stopped() {
            a.start();
            self.process_echoes_to(new, a);
        }
        a.wake_writers();
        a.wake_readers();
    }

    /// The state part of `n_tty_set_termios`, without effects on the tty: the mode switch,
    /// `icanon`, and the character map or the raw modes.
    pub(super) fn set_termios_state(&mut self, old: Option<&Termios>, t: &Termios) {
        let switch = match old {
            None => true,
            Some(o) => (o.lflag.0 ^ t.lflag.0) & (LFlag::ICANON.0 | LFlag::EXTPROC.0) != 0,
        };
        if switch {
            self.switch_canon_mode(t);
        }
        self.icanon = t.l(LFlag::ICANON);
        self.set_char_map(t);
    }

    /// ICANON or EXTPROC changed (or the tty opens), the first block of `n_tty_set_termios`:
    /// the line ends are forgotten; entering canonical mode with bytes buffered makes them
    /// one line that a read returns without a terminator (`push`).
    fn switch_canon_mode(&mut self, t: &Termios) {
        self.read_flags.fill(0);
        self.line_start = self.read_tail;
        if !t.l(LFlag::ICANON) || self.read_cnt() == 0 {
            self.canon_head = self.read_tail;
            self.push = false;
        } else {
            self.flag_set(self.read_head.wrapping_sub(1));
            self.canon_head = self.read_head;
            self.push = true;
        }
        self.commit_head = self.read_head;
        self.erasing = false;
        self.lnext = false;
    }

    /// The character map of `n_tty_set_termios`: with any input processing on, mark the
    /// characters `n_tty_receive_char_special` handles (never `_POSIX_VDISABLE`); with
    /// none, the raw mode, and the real raw mode when the driver reports no events that
    /// would need processing.
    fn set_char_map(&mut self, t: &Termios) {
        let i = |f: IFlag| t.i(f);
        let l = |f: LFlag| t.l(f);
        if i(IFlag::ISTRIP)
            || i(IFlag::IUCLC)
            || i(IFlag::IGNCR)
            || i(IFlag::ICRNL)
            || i(IFlag::INLCR)
            || l(LFlag::ICANON)
            || i(IFlag::IXON)
            || l(LFlag::ISIG)
            || l(LFlag::ECHO)
            || i(IFlag::PARMRK)
        {
            self.char_map.fill(0);
            if i(IFlag::IGNCR) || i(IFlag::ICRNL) {
                self.map_set(b'\r');
            }
            if i(IFlag::INLCR) {
                self.map_set(b'\n');
            }
            if l(LFlag::ICANON) {
                self.map_set(t.cc(VERASE));
                self.map_set(t.cc(VKILL));
                self.map_set(t.cc(VEOF));
                self.map_set(b'\n');
                self.map_set(t.cc(VEOL));
                if l(LFlag::IEXTEN) {
                    self.map_set(t.cc(VWERASE));
                    self.map_set(t.cc(VLNEXT));
                    self.map_set(t.cc(VEOL2));
                    if l(LFlag::ECHO) {
                        self.map_set(t.cc(VREPRINT));
                    }
                }
            }
            if i(IFlag::IXON) {
                self.map_set(t.cc(VSTART));
                self.map_set(t.cc(VSTOP));
            }
            if l(LFlag::ISIG) {
                self.map_set(t.cc(VINTR));
                self.map_set(t.cc(VQUIT));
                self.map_set(t.cc(VSUSP));
            }
            self.map_clear(DISABLED_CHAR);
            self.raw = false;
            self.real_raw = false;
        } else {
            self.raw = true;
            self.real_raw = (i(IFlag::IGNBRK) || (!i(IFlag::BRKINT) && !i(IFlag::PARMRK)))
                && (i(IFlag::IGNPAR) || !i(IFlag::INPCK))
                && self.driver.real_raw;
        }
    }
}
