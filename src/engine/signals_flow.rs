//! Signals and flow control: ISIG with its NOFLSH flush (`isig`,
//! `n_tty_receive_signal_char`), START/STOP with IXON and IXANY
//! (`n_tty_receive_char_flow_ctrl`), the flow-control lookahead of the flip buffer
//! (`n_tty_lookahead_flow_ctrl`) and the closing tty (`n_tty_receive_char_closing`).

use super::actions::{Actions, Signal, TTY_BREAK, TTY_NORMAL};
use super::bulk::contains_any;
use super::state::Engine;
use super::termios::{IFlag, LFlag, Termios};
use super::termios::{VINTR, VQUIT, VSTART, VSTOP, VSUSP};

impl Engine {
    /// Send `sig` to the foreground group and, unless NOFLSH, flush the echoes, the driver's
    /// output and the input (`isig`, with `__isig`).
    pub(super) fn isig(&mut self, sig: Signal, t: &Termios, a: &mut impl Actions) {
        a.signal(sig);
        self.counters.count_signal(sig);
        if t.l(LFlag::NOFLSH) {
            return;
        }
        self.echo_head = 0;
        self.echo_tail = 0;
        self.echo_mark = 0;
        self.echo_commit = 0;
        a.flush_output();
        self.reset_buffer_flags();
        a.input_flushed();
    }

    /// Could receiving `data` (with its `flags`) flush the input: ISIG without NOFLSH and an
    /// INTR, QUIT or SUSP character, or a break with BRKINT? N_TTY makes that flush with
    /// `termios_rwsem` held for writing (`isig`), so it waits for a reader in the middle of a
    /// `read()`; the glue takes that lock before such a receive. It may answer yes for a
    /// receive that will not flush (a character taken literally after LNEXT, a closing tty).
    /// `t` must be the termios last given to [`Engine::open`] or [`Engine::set_termios`]
    /// (in real raw mode, which that termios set, the answer is no at once).
    #[inline]
    pub fn receive_may_flush(&self, t: &Termios, data: &[u8], flags: Option<&[u8]>) -> bool {
        // Real raw mode, set by the last `set_termios` (of `t`), has neither ISIG nor
        // BRKINT without IGNBRK (`set_char_map`): no byte of a `cat` is looked at.
        if self.real_raw || t.l(LFlag::NOFLSH) {
            return false;
        }
        // A keystroke: one byte, no flag (in line, before the receive's lock).
        if let ([c], None) = (data, flags) {
            return t.l(LFlag::ISIG) && Self::signal_chars(t).contains(&Self::preops(*c, t));
        }
        self.buffer_may_flush(t, data, flags)
    }

    /// The INTR, QUIT and SUSP characters (which act with ISIG).
    fn signal_chars(t: &Termios) -> [u8; 3] {
        [t.cc(VINTR), t.cc(VQUIT), t.cc(VSUSP)]
    }

    /// [`Engine::receive_may_flush`] for a buffer: its bytes looked at, eight at a time
    /// where they can be, and its flags.
    #[inline(never)]
    fn buffer_may_flush(&self, t: &Termios, data: &[u8], flags: Option<&[u8]>) -> bool {
        if t.l(LFlag::ISIG) {
            let signals = Self::signal_chars(t);
            let found = if !Self::preops_is_identity(t) {
                data.iter().any(|&c| signals.contains(&Self::preops(c, t)))
            } else if data.len() >= 8 {
                contains_any(data, signals)
            } else {
                data.iter().any(|c| signals.contains(c))
            };
            if found {
                return true;
            }
        }
        t.i(IFlag::BRKINT) && !t.i(IFlag::IGNBRK) && flags.is_some_and(|f| f.contains(&TTY_BREAK))
    }

    /// INTR, QUIT or SUSP with ISIG (`n_tty_receive_signal_char`): the signal and its flush,
    /// then output restarted with IXON and the character echoed with ECHO (else pending echoes
    /// written).
    pub(super) fn receive_signal_char(
        &mut self,
        sig: Signal,
        c: u8,
        t: &Termios,
        a: &mut impl Actions,
    ) {
        self.isig(sig, t, a);
        if t.i(IFlag::IXON) {
            a.start();
        }
        if t.l(LFlag::ECHO) {
            self.echo_char(c, t);
            self.commit_echoes(t, a);
        } else {
            self.process_echoes_to(t, a);
        }
    }

    /// Is `c` the START or STOP character (`n_tty_is_char_flow_ctrl`)?
    fn is_flow_char(c: u8, t: &Termios) -> bool {
        c == t.cc(VSTART) || c == t.cc(VSTOP)
    }

    /// START or STOP with IXON (`n_tty_receive_char_flow_ctrl`): restart output (and write
    /// pending echoes) or stop it, unless `lookahead_done` says `lookahead` already did;
    /// true if `c` was one of them.
    pub(super) fn receive_char_flow_ctrl(
        &mut self,
        c: u8,
        t: &Termios,
        lookahead_done: bool,
        a: &mut impl Actions,
    ) -> bool {
        if !Self::is_flow_char(c, t) {
            return false;
        }
        if lookahead_done {
            return true;
        }
        if c == t.cc(VSTART) {
            a.start();
            self.process_echoes_to(t, a);
            return true;
        }
        a.stop();
        true
    }

    /// With IXON and IXANY, any character restarts output stopped by STOP, not by
    /// `tcflow(TCOOFF)` (the IXANY rule of `n_tty_receive_char` and
    /// `n_tty_receive_char_special`).
    pub(super) fn ixany_restart(&mut self, t: &Termios, a: &mut impl Actions) {
        if a.flow_stopped() && !a.tco_stopped() && t.i(IFlag::IXON) && t.i(IFlag::IXANY) {
            a.start();
            self.process_echoes_to(t, a);
        }
    }

    /// A character while the tty is closing (`n_tty_receive_char_closing`): only START, STOP
    /// and the IXANY restart (a signal character does not restart) are processed.
    pub(super) fn receive_char_closing(
        &mut self,
        c: u8,
        t: &Termios,
        lookahead_done: bool,
        a: &mut impl Actions,
    ) {
        let c = Self::preops(c, t);
        if t.i(IFlag::IXON)
            && !self.receive_char_flow_ctrl(c, t, lookahead_done, a)
            && a.flow_stopped()
            && !a.tco_stopped()
            && t.i(IFlag::IXANY)
            && !Self::signal_chars(t).contains(&c)
        {
            a.start();
            self.process_echoes_to(t, a);
        }
    }

    /// Count `n` bytes as looked ahead at: what [`Engine::lookahead`] does with IXON off,
    /// for the glue, which does that much without the state lock and adds it up here.
    pub fn add_lookahead(&mut self, n: usize) {
        self.lookahead_count = self.lookahead_count.wrapping_add(n);
    }

    /// Process flow-control characters of data the receive path could not take yet
    /// (`n_tty_lookahead_flow_ctrl`, called by the flip-buffer code).
    pub fn lookahead(
        &mut self,
        t: &Termios,
        data: &[u8],
        flags: Option<&[u8]>,
        a: &mut impl Actions,
    ) {
        self.add_lookahead(data.len());
        if !t.i(IFlag::IXON) {
            return;
        }
        for (i, &c) in data.iter().enumerate() {
            let flag = flags.and_then(|f| f.get(i).copied()).unwrap_or(TTY_NORMAL);
            if flag == TTY_NORMAL {
                self.receive_char_flow_ctrl(c, t, false, a);
            }
        }
    }
}
