//! The read side (`n_tty_read` without its sleeping): availability (`input_available_p`),
//! `TIOCINQ`, the raw and canonical copies to the reader, and one `read()` as steps the
//! glue drives ([`Engine::read_begin`], [`Engine::read_step`], [`Engine::read_end`],
//! [`Engine::read_continue`]) around its sleeping. The VMIN/VTIME decision is in
//! [`super::vmin_vtime`].

use super::actions::Actions;
use super::counters;
use super::state::{Engine, DISABLED_CHAR, MASK, N_TTY_BUF_SIZE};
use super::termios::{LFlag, Termios, VEOF, VMIN, VTIME};
use super::vmin_vtime::{AfterCopy, ReadMode};

impl Engine {
    /// Is there something for a reader (`input_available_p`)? `poll` selects the
    /// VMIN rule of `poll()`.
    pub fn input_available(&self, t: &Termios, poll: bool) -> bool {
        let amt = if poll && t.cc(VTIME) == 0 && t.cc(VMIN) != 0 {
            t.cc(VMIN) as usize
        } else {
            1
        };
        if self.icanon && !t.l(LFlag::EXTPROC) {
            self.canon_head != self.read_tail
        } else {
            self.commit_head.wrapping_sub(self.read_tail) >= amt
        }
    }

    /// Bytes FIONREAD/TIOCINQ reports (`n_tty_ioctl`): complete lines without
    /// their EOF markers in canonical mode.
    pub fn inq(&self, t: &Termios) -> usize {
        if t.l(LFlag::ICANON) && !t.l(LFlag::EXTPROC) {
            if self.canon_head == self.read_tail {
                return 0;
            }
            let head = self.canon_head;
            let mut tail = self.read_tail;
            let mut nr = head.wrapping_sub(tail);
            let mut guard = 0;
            while head & MASK != tail & MASK && guard < N_TTY_BUF_SIZE {
                if self.flag_test(tail) && self.rb(tail) == DISABLED_CHAR {
                    nr = nr.saturating_sub(1);
                }
                tail = tail.wrapping_add(1);
                guard += 1;
            }
            nr
        } else {
            self.read_cnt()
        }
    }

    /// Clear the bytes just copied to the reader when ICANON is set without ECHO, so a
    /// password typed does not linger in the buffer (`zero_buffer`).
    fn zero_buffer(&mut self, t: &Termios, from: usize, n: usize) {
        if t.l(LFlag::ICANON) && !t.l(LFlag::ECHO) {
            self.zero_ring(from, n);
        }
    }

    /// Raw-mode copy (`copy_from_read_buf`): returns (bytes copied, more to copy).
    pub(super) fn copy_from_read_buf(&mut self, t: &Termios, out: &mut [u8]) -> (usize, bool) {
        let head = self.commit_head;
        let tail = self.read_tail & MASK;
        let n = head
            .wrapping_sub(self.read_tail)
            .min(N_TTY_BUF_SIZE - tail)
            .min(out.len());
        if n == 0 {
            return (0, false);
        }
        self.copy_out_of_ring(tail, out.get_mut(..n).unwrap_or(&mut []));
        let is_eof = n == 1 && self.rb(tail) == t.cc(VEOF);
        self.zero_buffer(t, tail, n);
        self.read_tail = self.read_tail.wrapping_add(n);
        if t.l(LFlag::EXTPROC) && self.icanon && is_eof && head == self.read_tail {
            return (0, false);
        }
        (n, head != self.read_tail)
    }

    /// Canonical-mode copy of (part of) one line (`canon_copy_from_read_buf`):
    /// returns (bytes copied, more of this line to copy).
    pub(super) fn canon_copy_from_read_buf(
        &mut self,
        t: &Termios,
        out: &mut [u8],
    ) -> (usize, bool) {
        if out.is_empty() {
            return (0, false);
        }
        let canon_head = self.canon_head;
        let avail = canon_head.wrapping_sub(self.read_tail).min(N_TTY_BUF_SIZE);
        let n0 = out.len().min(avail);
        let tail = self.read_tail;
        let eol = self.next_line_end(tail, n0);
        let (mut n, c, found) = match eol {
            Some(i) => (i, i + 1, true),
            None => (n0, n0, false),
        };
        if !found || self.rb(tail.wrapping_add(n)) != DISABLED_CHAR {
            n = c;
        }
        self.copy_out_of_ring(tail, out.get_mut(..n).unwrap_or(&mut []));
        self.zero_buffer(t, tail, n);
        if found {
            self.flag_clear(tail.wrapping_add(c - 1));
        }
        self.read_tail = self.read_tail.wrapping_add(c);
        if found {
            if !self.push {
                self.line_start = self.read_tail;
            } else {
                self.push = false;
            }
            return (n, false);
        }
        (n, self.read_tail != canon_head)
    }

    /// After a canonical read filled the user buffer exactly: eat an EOF marker
    /// sitting at the read position (`canon_skip_eof`).
    pub(super) fn canon_skip_eof(&mut self) {
        let tail = self.read_tail;
        if tail == self.canon_head {
            return;
        }
        if !self.flag_test(tail) || self.rb(tail) != DISABLED_CHAR {
            return;
        }
        self.flag_clear(tail);
        self.read_tail = self.read_tail.wrapping_add(1);
    }

    /// Starts one `read()` (the set-up of `n_tty_read`, with the reader lock and
    /// `termios_rwsem` held by the caller): the [`ReadMode`] from termios `t`, and whether
    /// the tty is a pty master in packet mode.
    pub fn read_begin(&self, t: &Termios, packet: bool) -> ReadProgress {
        ReadProgress {
            mode: ReadMode::of(t, self.icanon),
            packet,
            copied: 0,
            old_tail: self.read_tail,
        }
    }

    /// One pass of `n_tty_read`'s loop in the first call of a `read()`: copies what is
    /// available into `out` (the buffer of this call) after the `read.copied()` bytes already
    /// there, a raw read in packet mode starting with `TIOCPKT_DATA`, and says what the read
    /// does next. With nothing available it copies nothing and returns [`ReadStep::Empty`].
    pub fn read_step(
        &mut self,
        t: &Termios,
        read: &mut ReadProgress,
        out: &mut [u8],
        a: &mut impl Actions,
    ) -> ReadStep {
        if !self.input_available(t, false) {
            return ReadStep::Empty;
        }
        if self.icanon && !t.l(LFlag::EXTPROC) {
            let rest = out.get_mut(read.copied..).unwrap_or(&mut []);
            let (n, more) = self.canon_copy_from_read_buf(t, rest);
            counters::add(&mut self.counters.read, n);
            read.copied += n;
            if more {
                return ReadStep::MoreToRead;
            }
        } else {
            // A data packet starts with its header; only a raw read has one.
            if read.packet && read.copied == 0 {
                if let Some(header) = out.first_mut() {
                    *header = TIOCPKT_DATA;
                    read.copied = 1;
                }
            }
            let rest = out.get_mut(read.copied..).unwrap_or(&mut []);
            let (n, more) = self.copy_from_read_buf(t, rest);
            counters::add(&mut self.counters.read, n);
            read.copied += n;
            if more && read.copied >= read.mode.minimum() {
                return ReadStep::MoreToRead;
            }
        }
        self.check_unthrottle(a);
        ReadStep::Copied(read.mode.after_copy(read.copied))
    }

    /// The end of the first call of a `read()` that does not ask to be called again:
    /// restart a receive path that stopped for room if the read took anything (the tail of
    /// `n_tty_read`).
    pub fn read_end(&mut self, read: &ReadProgress, a: &mut impl Actions) {
        if read.old_tail != self.read_tail {
            self.kick_worker(a);
        }
    }

    /// A continuation call of a `read()` whose earlier call returned
    /// [`ReadStep::MoreToRead`] (`n_tty_continue_cookie`): copies more of the line (or of
    /// the raw input) into `out`; an empty `out` (the user's buffer is full) eats an end of
    /// file that sits right there. Returns the bytes copied and whether to call again; the
    /// last call restarts the receive path and unthrottles.
    pub fn read_continue(
        &mut self,
        t: &Termios,
        out: &mut [u8],
        a: &mut impl Actions,
    ) -> (usize, bool) {
        let (n, more) = if self.icanon && !t.l(LFlag::EXTPROC) {
            if out.is_empty() {
                self.canon_skip_eof();
                (0, false)
            } else {
                self.canon_copy_from_read_buf(t, out)
            }
        } else {
            self.copy_from_read_buf(t, out)
        };
        counters::add(&mut self.counters.read, n);
        if !more {
            self.kick_worker(a);
            self.check_unthrottle(a);
        }
        (n, more)
    }
}

impl Engine {
    /// For a `read()` that goes on after its first call: what the continuation calls of
    /// [`Engine::read_continue`] would copy next, *without taking it* (nothing changes), as
    /// the ring's own bytes: raw input up to the commit head, or in canonical mode the rest
    /// of the line (its end-of-file marker left out, as those calls leave it out), from the
    /// read position to the end of the ring's array at most (what follows is shown by the next
    /// peek, once these are taken). Returns the bytes and whether they run to the end of a
    /// line; nothing when they would be no more than `more_than` (what one call takes anyway).
    ///
    /// The glue hands these bytes out in `tty_read()`'s continuation calls without the state
    /// lock, copying them from the ring, then takes them with [`Engine::take_handed_out`];
    /// they cannot change meanwhile (only the reader, which holds the reader lock, moves the
    /// read position; flushes and termios changes wait for the `read()`; the receive path
    /// writes only at the read head and past it, into room it computes from the read
    /// position, and N_TTY's reader copies out of its ring without a lock by the same rule;
    /// the canonical overflow steps the read head back only over a line no one may read).
    /// Nothing is peeked in canonical mode with EXTPROC, whose reads drop an end-of-file
    /// byte only when it comes alone, nor with ICANON and without ECHO, whose reads wipe what
    /// they take (`zero_buffer`), one call at a time, nor while the read position is past
    /// the read head (an overflow with ICANON and EXTPROC can leave it one past, and then
    /// the receive path's room takes in slots a reader could be shown).
    pub fn peek_read(&self, t: &Termios, more_than: usize) -> (&[u8], bool) {
        // Input read with ICANON and without ECHO (a password) is wiped from the ring as it
        // is taken (`zero_buffer`), by the calls that take it.
        if t.l(LFlag::ICANON) && !t.l(LFlag::ECHO) {
            return (&[], false);
        }
        let tail = self.read_tail;
        // What the ring holds from the read position to the read head: the receive path
        // writes from the head on, never below it, while this is at most the ring.
        let filled = self.read_head.wrapping_sub(tail);
        if filled > N_TTY_BUF_SIZE {
            return (&[], false);
        }
        let to_array_end = N_TTY_BUF_SIZE - (tail & MASK);
        let (n, ends_line) = if !self.icanon {
            let avail = self.commit_head.wrapping_sub(tail).min(filled);
            (avail.min(to_array_end), false)
        } else if !t.l(LFlag::EXTPROC) {
            let avail = self.canon_head.wrapping_sub(tail).min(filled);
            let window = avail.min(to_array_end);
            match self.next_line_end(tail, window) {
                Some(i) if self.rb(tail.wrapping_add(i)) == DISABLED_CHAR => (i, true),
                Some(i) => (i + 1, true),
                None => (window, false),
            }
        } else {
            (0, false)
        };
        if n <= more_than {
            return (&[], false);
        }
        (self.ring_run(tail, n), ends_line)
    }

    /// Takes the bytes [`Engine::peek_read`] showed and the glue handed out, by the calls of
    /// [`Engine::read_continue`] that would have copied them, into `scratch` (at least 64
    /// bytes): `before` bytes in earlier calls of 64, then `last` bytes in the call at hand,
    /// whose buffer gave it `last_window` bytes of room (at least `last`). Pass the call's
    /// room only when the peeked bytes run to the end of a line, where it decides whether an
    /// end-of-file marker right after is eaten; else pass `last`, so that no byte is taken
    /// that was not handed out. Returns what the last call returned: whether the `read()`
    /// goes on. (In raw mode the bytes are taken at once: those calls differ only in the
    /// last one.)
    pub fn take_handed_out(
        &mut self,
        t: &Termios,
        scratch: &mut [u8],
        (before, last, last_window): (usize, usize, usize),
        a: &mut impl Actions,
    ) -> bool {
        if !self.icanon {
            // A raw copy has no effect of its own but the read position, the count and, in
            // the last call, the restart and unthrottling: all at once, without copying.
            let n = (before + last).min(self.commit_head.wrapping_sub(self.read_tail));
            self.read_tail = self.read_tail.wrapping_add(n);
            counters::add(&mut self.counters.read, n);
            // A call with no room (the user's buffer is full) ends the read.
            let more = last_window > 0 && self.commit_head != self.read_tail;
            if !more {
                self.kick_worker(a);
                self.check_unthrottle(a);
            }
            return more;
        }
        let mut call = |engine: &mut Self, window: usize| {
            engine.read_continue(t, scratch.get_mut(..window).unwrap_or(&mut []), a)
        };
        let mut done = 0;
        while done < before {
            let (n, more) = call(self, (before - done).min(READ_CHUNK));
            done += n;
            if n == 0 || !more {
                return more;
            }
        }
        call(self, last_window.max(last)).1
    }
}

/// The bytes `tty_read()` hands the discipline per call.
const READ_CHUNK: usize = 64;

/// The header byte of a data packet in packet mode (`TIOCPKT_DATA`).
pub const TIOCPKT_DATA: u8 = 0;

/// One `read()` in progress: the locals of `n_tty_read` that outlive a pass of its loop.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ReadProgress {
    /// The VMIN/VTIME case of this read, fixed at its start.
    mode: ReadMode,
    /// A pty master in packet mode: raw reads start with `TIOCPKT_DATA`.
    packet: bool,
    /// Bytes copied so far by the whole read, the packet header included (`kb - kbuf`).
    copied: usize,
    /// The read tail when the read started (`tail` in `n_tty_read`): if the read moved it,
    /// the receive worker is kicked at the end.
    old_tail: usize,
}

impl ReadProgress {
    /// The rule this read follows.
    pub fn mode(&self) -> ReadMode {
        self.mode
    }

    /// The bytes placed in the first call's buffer so far, a packet header or status byte
    /// included (`kb - kbuf`).
    pub fn copied(&self) -> usize {
        self.copied
    }

    /// The caller placed a packet-mode status byte at the start of the buffer (the status
    /// check of `n_tty_read`, which the glue makes: the status is the tty's); the read ends.
    pub fn took_status_byte(&mut self) {
        self.copied += 1;
    }
}

/// What the first call of a `read()` does after one pass of [`Engine::read_step`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ReadStep {
    /// Nothing was available: let the flip-buffer worker deliver what it holds and look
    /// again, then wait as `n_tty_wait_for_input` does (the timer, hangup, `EAGAIN`, signals).
    Empty,
    /// More can be copied at once: return what was copied and ask to be called again
    /// ([`Engine::read_continue`]), holding the locks.
    MoreToRead,
    /// Copied what was there; the mode says whether the read is complete.
    Copied(AfterCopy),
}
