//! The receive path (`n_tty_receive_buf_common` and below): the room in the read buffer
//! and its overflow, the dispatch of each character (a flagged byte's own handling is in
//! `flagged.rs`, a keystroke's in `keystroke.rs`), PARMRK's escape, and the throttle
//! thresholds.

use super::actions::{Actions, Signal, TTY_NORMAL, TTY_PARITY};
use super::counters;
use super::ctype::tolower;
use super::state::{Engine, N_TTY_BUF_SIZE};
use super::termios::{IFlag, LFlag, Termios};
use super::termios::{VINTR, VQUIT, VSUSP};

/// Throttle when less than this much room is left (`TTY_THRESHOLD_THROTTLE`).
pub const TTY_THRESHOLD_THROTTLE: usize = 128;
/// Unthrottle when at most this much is buffered (`TTY_THRESHOLD_UNTHROTTLE`).
pub const TTY_THRESHOLD_UNTHROTTLE: usize = 128;

impl Engine {
    /// Receive bytes from the driver (`n_tty_receive_buf2`, flow control on):
    /// `flags`, if given, holds one `TTY_*` flag per byte. Returns how many bytes
    /// were consumed; fewer than `data.len()` means no room (call again after a read).
    pub fn receive(
        &mut self,
        t: &Termios,
        data: &[u8],
        flags: Option<&[u8]>,
        a: &mut impl Actions,
    ) -> usize {
        self.receive_common(t, data, flags, true, a)
    }

    /// Like [`Engine::receive`] but as `n_tty_receive_buf` (no flow control; the
    /// excess is dropped by the caller).
    pub fn receive_noflow(
        &mut self,
        t: &Termios,
        data: &[u8],
        flags: Option<&[u8]>,
        a: &mut impl Actions,
    ) -> usize {
        let taken = self.receive_common(t, data, flags, false, a);
        counters::add(&mut self.counters.drops, data.len().saturating_sub(taken));
        taken
    }

    /// The loop of `n_tty_receive_buf_common`: take chunks as long as there is room (see
    /// [`Engine::room_to_receive`]) and no discipline change is pending
    /// ([`Actions::ldisc_changing`]), process each by `__receive_buf` (a parity-flagged byte
    /// in the one slot overflow keeps is dropped), then throttle the driver (on a pty:
    /// unthrottle after an overflow instead) and restart a stalled receive path if the
    /// reader has emptied the buffer. Returns the bytes consumed.
    fn receive_common(
        &mut self,
        t: &Termios,
        data: &[u8],
        flags: Option<&[u8]>,
        flow: bool,
        a: &mut impl Actions,
    ) -> usize {
        // A keystroke with room for it, outside real raw mode: the loop's first pass would
        // take it whole (the room it finds has no side effect when positive), its second
        // finds nothing left, and none follows while the discipline is being changed. In
        // line, before the loop's set-up.
        if !self.real_raw {
            if let Some(c) = self.typed_char(t, data, flags) {
                let room = self.free_room(t);
                if room > 0 {
                    self.receive_typed_char(c, t, a);
                    if a.ldisc_changing() {
                        return self.finish_receive(1, room, false, a);
                    }
                    let (room, overflow) = self.room_to_receive(t, flow);
                    return self.finish_receive(1, room, overflow, a);
                }
            }
        }
        self.receive_buffer(t, data, flags, flow, a)
    }

    /// [`Engine::receive_common`] for a buffer: the loop. Real raw mode (a pty in raw mode,
    /// the bulk of a `cat`) has its own copy, with each chunk stored at once, so that it does
    /// not set up what the other modes' processing needs for each flip buffer.
    #[inline(never)]
    fn receive_buffer(
        &mut self,
        t: &Termios,
        data: &[u8],
        flags: Option<&[u8]>,
        flow: bool,
        a: &mut impl Actions,
    ) -> usize {
        if self.real_raw {
            self.receive_chunks(t, data, flags, flow, a, Self::receive_buf_real_raw)
        } else {
            self.receive_chunks(t, data, flags, flow, a, Self::do_receive_buf)
        }
    }

    /// [`Engine::receive_common`]'s loop, with `process` for each chunk that fits.
    #[inline(always)]
    fn receive_chunks<A: Actions>(
        &mut self,
        t: &Termios,
        data: &[u8],
        flags: Option<&[u8]>,
        flow: bool,
        a: &mut A,
        process: impl Fn(&mut Self, &Termios, &[u8], Option<&[u8]>, &mut A),
    ) -> usize {
        let mut rcvd = 0usize;
        let mut room: i64;
        let mut overflow;
        loop {
            (room, overflow) = self.room_to_receive(t, flow);
            let count = data.len().saturating_sub(rcvd);
            let n = count.min(room.max(0) as usize);
            if n == 0 {
                break;
            }
            let chunk = data.get(rcvd..rcvd + n).unwrap_or(&[]);
            let fchunk = flags.map(|f| f.get(rcvd..).unwrap_or(&[]));
            let first_flag = fchunk.and_then(|f| f.first().copied());
            if !overflow || first_flag != Some(TTY_PARITY) {
                process(self, t, chunk, fchunk, a);
            } else {
                counters::add(&mut self.counters.drops, n);
            }
            rcvd += n;
            if a.ldisc_changing() {
                break;
            }
        }
        self.finish_receive(rcvd, room, overflow, a)
    }

    /// The end of `n_tty_receive_buf_common`, once `rcvd` bytes are taken and the last pass
    /// found `room` (an `overflow`, [`Engine::room_to_receive`]): the legacy receive room,
    /// the driver throttled (on a pty: unthrottled after an overflow), and the worker
    /// restarted if the reader emptied the buffer while it stalled. Returns `rcvd`.
    #[inline(always)]
    fn finish_receive(
        &mut self,
        rcvd: usize,
        room: i64,
        overflow: bool,
        a: &mut impl Actions,
    ) -> usize {
        counters::add(&mut self.counters.received, rcvd);
        self.receive_room = room.max(0) as usize;
        if self.driver.pty {
            if overflow {
                self.unthrottle_driver(a);
            }
        } else {
            self.check_throttle(a);
        }
        if self.no_room && self.chars_in_buffer() == 0 {
            self.kick_worker(a);
        }
        rcvd
    }

    /// The room for received bytes (the head of `n_tty_receive_buf_common`'s loop): free
    /// slots less one, a third of them with PARMRK (a byte may become three). Without room,
    /// a canonical line that fills the buffer is an overflow: one byte is still taken (the
    /// last slot reused) so a newline can end the line; else the receive path stops
    /// (`no_room`, with `flow`). Returns the room and whether it is an overflow.
    fn room_to_receive(&mut self, t: &Termios, flow: bool) -> (i64, bool) {
        let room = self.free_room(t);
        if room > 0 {
            return (room, false);
        }
        let tail = self.read_tail;
        let overflow = self.icanon && self.canon_head == tail;
        if overflow && room < 0 {
            self.read_head = self.read_head.wrapping_sub(1);
            counters::add(&mut self.counters.drops, 1);
        }
        let room = i64::from(overflow);
        self.no_room = flow && room == 0;
        (room, overflow)
    }

    /// The free slots of the read buffer less one, a third of them with PARMRK (a byte may
    /// become three): [`Engine::room_to_receive`] before it looks at an overflow.
    fn free_room(&self, t: &Termios) -> i64 {
        // `size_t` arithmetic read as `ssize_t`, as N_TTY computes it: with ICANON and
        // EXTPROC a reader can take the byte the overflow case stepped `read_head` back over,
        // leaving `read_tail` one past `read_head`, and the room is then one more than the
        // buffer (no stall: the next byte goes behind the tail and the ring is whole again).
        let mut room = N_TTY_BUF_SIZE.wrapping_sub(self.read_head.wrapping_sub(self.read_tail))
            as isize as i64;
        if t.i(IFlag::PARMRK) {
            room = room.saturating_add(2) / 3;
        }
        room - 1
    }

    /// Process `data`, which fits (`__receive_buf`; real raw mode has its own,
    /// [`Engine::receive_buf_real_raw`]): in raw mode (or EXTPROC without ISTRIP/IUCLC), only
    /// the flagged bytes processed; only flow control while closing; otherwise character by character, the
    /// part `lookahead` has seen first. Then the echoes are written and, outside canonical
    /// mode, the bytes committed for readers.
    #[inline(never)]
    fn do_receive_buf(
        &mut self,
        t: &Termios,
        data: &[u8],
        flags: Option<&[u8]>,
        a: &mut impl Actions,
    ) {
        let preops = t.i(IFlag::ISTRIP) || (t.i(IFlag::IUCLC) && t.l(LFlag::IEXTEN));
        let extproc = t.l(LFlag::EXTPROC);
        let la_count = self.lookahead_count.min(data.len());
        let (la, rest) = data.split_at(la_count);
        let (fla, frest) = match flags {
            Some(f) => {
                let (x, y) = f.split_at(la_count.min(f.len()));
                (Some(x), Some(y))
            }
            None => (None, None),
        };
        if self.raw || (extproc && !preops) {
            self.receive_buf_raw(t, data, flags, a);
        } else if self.closing && !extproc {
            for (part, fpart, done) in [(la, fla, true), (rest, frest, false)] {
                for (i, &c) in part.iter().enumerate() {
                    let flag = fpart.and_then(|f| f.get(i).copied()).unwrap_or(TTY_NORMAL);
                    if flag == TTY_NORMAL {
                        self.receive_char_closing(c, t, done, a);
                    }
                }
            }
        } else {
            if !la.is_empty() {
                self.receive_buf_standard(t, la, fla, true, a);
            }
            if !rest.is_empty() {
                self.receive_buf_standard(t, rest, frest, false, a);
            }
            self.flush_echoes(t, a);
            a.flush_chars();
        }
        self.lookahead_count = self.lookahead_count.wrapping_sub(la_count);
        if self.icanon && !extproc {
            return;
        }
        self.commit_for_readers(t, a);
    }

    /// The end of `__receive_buf` outside canonical mode: what was received is committed
    /// for readers, who are told of it.
    pub(super) fn commit_for_readers(&mut self, t: &Termios, a: &mut impl Actions) {
        self.commit_head = self.read_head;
        if self.read_cnt() > 0 {
            a.input_arrived(|| self.input_available(t, true));
        }
    }

    /// Character by character (`n_tty_receive_buf_standard`): the literal-next character,
    /// flagged bytes, ISTRIP/IUCLC, EXTPROC, then the special characters of the map or an
    /// ordinary one (runs of them stored at once: `bulk.rs`); `lookahead_done` says flow
    /// control was done ahead.
    fn receive_buf_standard(
        &mut self,
        t: &Termios,
        data: &[u8],
        flags: Option<&[u8]>,
        lookahead_done: bool,
        a: &mut impl Actions,
    ) {
        let plain_ok = Self::plain_runs_allowed(t);
        let mut i = 0;
        while i < data.len() {
            if plain_ok && !self.lnext {
                let frest = flags.map(|f| f.get(i..).unwrap_or(&[]));
                let run = self.receive_plain_run(t, data.get(i..).unwrap_or(&[]), frest, a);
                if run > 0 {
                    i += run;
                    continue;
                }
            }
            let c = data.get(i).copied().unwrap_or(0);
            let flag = flags.and_then(|f| f.get(i).copied()).unwrap_or(TTY_NORMAL);
            i += 1;
            if self.lnext {
                self.receive_char_lnext(c, flag, t, a);
                continue;
            }
            if flag != TTY_NORMAL {
                self.receive_char_flagged(c, flag, t, a);
                continue;
            }
            let c = Self::preops(c, t);
            if t.l(LFlag::EXTPROC) {
                self.put_tty_queue(c);
                continue;
            }
            if self.map_test(c) {
                self.receive_char_special(c, t, lookahead_done, a);
            } else {
                self.receive_char(c, t, a);
            }
        }
    }

    /// A character of the special map (`n_tty_receive_char_special`): flow control, the
    /// ISIG characters, IXANY, the CR/NL mappings (IGNCR, ICRNL, INLCR), canonical line
    /// editing, else an ordinary character (echoed, 0xff doubled with PARMRK).
    fn receive_char_special(
        &mut self,
        c: u8,
        t: &Termios,
        lookahead_done: bool,
        a: &mut impl Actions,
    ) {
        let mut c = c;
        if t.i(IFlag::IXON) && self.receive_char_flow_ctrl(c, t, lookahead_done, a) {
            return;
        }
        if t.l(LFlag::ISIG) {
            if c == t.cc(VINTR) {
                self.receive_signal_char(Signal::Int, c, t, a);
                return;
            } else if c == t.cc(VQUIT) {
                self.receive_signal_char(Signal::Quit, c, t, a);
                return;
            } else if c == t.cc(VSUSP) {
                self.receive_signal_char(Signal::Tstp, c, t, a);
                return;
            }
        }
        self.ixany_restart(t, a);
        if c == b'\r' {
            if t.i(IFlag::IGNCR) {
                return;
            }
            if t.i(IFlag::ICRNL) {
                c = b'\n';
            }
        } else if c == b'\n' && t.i(IFlag::INLCR) {
            c = b'\r';
        }
        if self.icanon && self.receive_char_canon(c, t, a) {
            return;
        }
        if t.l(LFlag::ECHO) {
            self.finish_erasing();
            if c == b'\n' {
                self.echo_char_raw(b'\n');
            } else {
                if self.canon_head == self.read_head {
                    self.echo_set_canon_col();
                }
                self.echo_char(c, t);
            }
            self.commit_echoes(t, a);
        }
        self.store_char(c, t);
    }

    /// An ordinary character (`n_tty_receive_char`): IXANY restart, echo, stored (0xff
    /// doubled with PARMRK).
    pub(super) fn receive_char(&mut self, c: u8, t: &Termios, a: &mut impl Actions) {
        self.ixany_restart(t, a);
        if t.l(LFlag::ECHO) {
            self.finish_erasing();
            if self.canon_head == self.read_head {
                self.echo_set_canon_col();
            }
            self.echo_char(c, t);
            self.commit_echoes(t, a);
        }
        self.store_char(c, t);
    }

    /// Store a received character in the read buffer, doubling 0xff with PARMRK so that a
    /// reader can tell it from the `\377 \0` marks (the tail of `n_tty_receive_char` and
    /// `n_tty_receive_char_special`).
    pub(super) fn store_char(&mut self, c: u8, t: &Termios) {
        self.store_parmrk_escape(c, t);
        self.put_tty_queue(c);
    }

    /// The first 0xff of a doubled 0xff under PARMRK, stored before the character itself
    /// (the "PARMRK doubling check" of N_TTY's receive paths).
    pub(super) fn store_parmrk_escape(&mut self, c: u8, t: &Termios) {
        if c == 0xff && t.i(IFlag::PARMRK) {
            self.put_tty_queue(c);
        }
    }

    /// ISTRIP, and IUCLC with IEXTEN (`n_tty_receive_char_inline`'s preprocessing:
    /// `n_tty_receive_buf_standard`).
    pub(super) fn preops(c: u8, t: &Termios) -> u8 {
        let mut c = c;
        if t.i(IFlag::ISTRIP) {
            c &= 0x7f;
        }
        if t.i(IFlag::IUCLC) && t.l(LFlag::IEXTEN) {
            c = tolower(c);
        }
        c
    }

    /// The character after LNEXT (`n_tty_receive_char_lnext`): ordinary whatever it is, or
    /// handled by its flag.
    fn receive_char_lnext(&mut self, c: u8, flag: u8, t: &Termios, a: &mut impl Actions) {
        self.lnext = false;
        if flag == TTY_NORMAL {
            let c = Self::preops(c, t);
            self.receive_char(c, t, a);
        } else {
            self.receive_char_flagged(c, flag, t, a);
        }
    }

    /// Throttle the driver when less than `TTY_THRESHOLD_THROTTLE` of room is left, unless a
    /// canonical reader waits for a line that cannot end (`n_tty_check_throttle`).
    fn check_throttle(&mut self, a: &mut impl Actions) {
        if self.icanon && self.canon_head == self.read_tail {
            return;
        }
        if N_TTY_BUF_SIZE.saturating_sub(self.read_cnt()) < TTY_THRESHOLD_THROTTLE {
            self.throttle_driver(a);
        }
    }

    /// After a read: unthrottle the driver if enough was taken (`n_tty_check_unthrottle`).
    pub(super) fn check_unthrottle(&mut self, a: &mut impl Actions) {
        if self.chars_in_buffer() > TTY_THRESHOLD_UNTHROTTLE {
            return;
        }
        self.kick_worker(a);
        if self.driver.pty {
            a.wake_link_writers();
        } else {
            self.unthrottle_driver(a);
        }
    }
}
