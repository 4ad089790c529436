//! Echo (`n_tty.c`'s echo buffer): echoes are queued as bytes and ops while input is
//! received (`add_echo_byte`, `echo_char`, the `ECHO_OP_*` ops), committed per character
//! (`commit_echoes`) and written out by `__process_echoes`, which replays the ops against the
//! output column.

use super::actions::Sink;
use super::counters;
use super::ctype::iscntrl;
use super::state::{Engine, MASK, N_TTY_BUF_SIZE};
use super::termios::{LFlag, OFlag, Termios};

/// Starts an op in the echo ring; doubled, it is a literal 0xff (`ECHO_OP_START`).
const ECHO_OP_START: u8 = 0xff;
/// Op: the column moves back one (`ECHO_OP_MOVE_BACK_COL`).
const ECHO_OP_MOVE_BACK_COL: u8 = 0x80;
/// Op: the input line's echo starts at the current column (`ECHO_OP_SET_CANON_COL`).
const ECHO_OP_SET_CANON_COL: u8 = 0x81;
/// Op: back over an erased tab; one byte of argument follows (`ECHO_OP_ERASE_TAB`).
const ECHO_OP_ERASE_TAB: u8 = 0x82;
/// Echoes written out once this much is uncommitted (`ECHO_COMMIT_WATERMARK`).
const ECHO_COMMIT_WATERMARK: usize = 256;
/// Granularity of those writes (`ECHO_BLOCK`).
const ECHO_BLOCK: usize = 256;
/// Echoes beyond this much are discarded at the tail (`ECHO_DISCARD_WATERMARK`).
const ECHO_DISCARD_WATERMARK: usize = N_TTY_BUF_SIZE - (ECHO_BLOCK + 32);

impl Engine {
    /// Append `c` to the echo ring (`add_echo_byte`), over the oldest unwritten byte when the
    /// ring is full (as N_TTY does; counted in `echo_overruns`).
    pub(super) fn add_echo_byte(&mut self, c: u8) {
        if self.echo_head.wrapping_sub(self.echo_tail) >= N_TTY_BUF_SIZE {
            self.echo_overruns = self.echo_overruns.wrapping_add(1);
        }
        if let Some(s) = self.echo_buf.get_mut(self.echo_head & MASK) {
            *s = c;
        }
        self.echo_head = self.echo_head.wrapping_add(1);
    }
    /// Queue the op that moves the output column back by one (`echo_move_back_col`).
    pub(super) fn echo_move_back_col(&mut self) {
        self.add_echo_byte(ECHO_OP_START);
        self.add_echo_byte(ECHO_OP_MOVE_BACK_COL);
    }
    /// Queue the op that records the column where the input line's echo begins
    /// (`echo_set_canon_col`).
    pub(super) fn echo_set_canon_col(&mut self) {
        self.add_echo_byte(ECHO_OP_START);
        self.add_echo_byte(ECHO_OP_SET_CANON_COL);
    }
    /// Queue the op that backs over an erased tab: `num_chars` columns since the previous
    /// tab (`after_tab`) or the line's start (`echo_erase_tab`).
    pub(super) fn echo_erase_tab(&mut self, num_chars: u32, after_tab: bool) {
        self.add_echo_byte(ECHO_OP_START);
        self.add_echo_byte(ECHO_OP_ERASE_TAB);
        let mut n = (num_chars & 7) as u8;
        if after_tab {
            n |= 0x80;
        }
        self.add_echo_byte(n);
    }
    /// Echo `c` as it is (`echo_char_raw`; the op byte doubled).
    pub(super) fn echo_char_raw(&mut self, c: u8) {
        if c == ECHO_OP_START {
            self.add_echo_byte(ECHO_OP_START);
        }
        self.add_echo_byte(c);
    }
    /// Echo `c` as the user typed it: control characters as `^X` with ECHOCTL, except tab
    /// (`echo_char`).
    pub(super) fn echo_char(&mut self, c: u8, t: &Termios) {
        if c == ECHO_OP_START {
            self.add_echo_byte(ECHO_OP_START);
            self.add_echo_byte(ECHO_OP_START);
        } else {
            if t.l(LFlag::ECHOCTL) && iscntrl(c) && c != b'\t' {
                self.add_echo_byte(ECHO_OP_START);
            }
            self.add_echo_byte(c);
        }
    }
    /// Close an ECHOPRT erase with `/` (`finish_erasing`).
    pub(super) fn finish_erasing(&mut self) {
        if self.erasing {
            self.echo_char_raw(b'/');
            self.erasing = false;
        }
    }

    /// One op of the echo ring at `tail`, the `ECHO_OP_START` branch of `__process_echoes`:
    /// `Ok(space left)`; `Err(true)` if the op is not all committed yet, `Err(false)` if it
    /// does not fit in `space`.
    fn process_echo_op(
        &mut self,
        t: &Termios,
        s: &mut impl Sink,
        tail: &mut usize,
        space: usize,
    ) -> Result<usize, bool> {
        let _ = t;
        let mut space = space;
        if self.echo_commit & MASK == tail.wrapping_add(1) & MASK {
            return Err(true);
        }
        let op = self.eb(tail.wrapping_add(1));
        match op {
            ECHO_OP_ERASE_TAB => {
                if self.echo_commit & MASK == tail.wrapping_add(2) & MASK {
                    return Err(true);
                }
                let mut num_chars = u32::from(self.eb(tail.wrapping_add(2)));
                if num_chars & 0x80 == 0 {
                    num_chars = num_chars.wrapping_add(self.canon_column);
                }
                let num_bs = 8 - (num_chars & 7) as usize;
                if num_bs > space {
                    return Err(false);
                }
                space -= num_bs;
                for _ in 0..num_bs {
                    s.put(&[8]);
                    if self.column > 0 {
                        self.column -= 1;
                    }
                }
                *tail = tail.wrapping_add(3);
            }
            ECHO_OP_SET_CANON_COL => {
                self.canon_column = self.column;
                *tail = tail.wrapping_add(2);
            }
            ECHO_OP_MOVE_BACK_COL => {
                if self.column > 0 {
                    self.column -= 1;
                }
                *tail = tail.wrapping_add(2);
            }
            ECHO_OP_START => {
                if space == 0 {
                    return Err(false);
                }
                s.put(&[ECHO_OP_START]);
                self.column = self.column.wrapping_add(1);
                space -= 1;
                *tail = tail.wrapping_add(2);
            }
            _ => {
                if space < 2 {
                    return Err(false);
                }
                s.put(b"^");
                s.put(&[op ^ 0o100]);
                self.column = self.column.wrapping_add(2);
                space -= 2;
                *tail = tail.wrapping_add(2);
            }
        }
        Ok(space)
    }

    /// Write the committed echoes the driver has room for, with OPOST processing of plain
    /// bytes, and discard old ones if the ring is nearly full (`__process_echoes`); returns
    /// the bytes written.
    fn do_process_echoes(&mut self, t: &Termios, s: &mut impl Sink) -> usize {
        let old_space = s.write_room();
        let mut space = old_space;
        let mut tail = self.echo_tail;
        let mut stored = true;
        while self.echo_commit & MASK != tail & MASK {
            let c = self.eb(tail);
            if c == ECHO_OP_START {
                match self.process_echo_op(t, s, &mut tail, space) {
                    Ok(sp) => space = sp,
                    Err(true) => {
                        stored = false;
                        break;
                    }
                    Err(false) => break,
                }
            } else {
                if t.o(OFlag::OPOST) {
                    match self.do_output_char(c, t, s, space) {
                        Some(n) => space = space.saturating_sub(n),
                        None => break,
                    }
                } else {
                    if space == 0 {
                        break;
                    }
                    s.put(&[c]);
                    space -= 1;
                }
                tail = tail.wrapping_add(1);
            }
        }
        if stored {
            // Nearly full: discard at the tail so the next commit cannot overrun.
            while self.echo_commit > tail
                && self.echo_commit.wrapping_sub(tail) >= ECHO_DISCARD_WATERMARK
            {
                if self.eb(tail) == ECHO_OP_START {
                    if self.eb(tail.wrapping_add(1)) == ECHO_OP_ERASE_TAB {
                        tail = tail.wrapping_add(3);
                    } else {
                        tail = tail.wrapping_add(2);
                    }
                } else {
                    tail = tail.wrapping_add(1);
                }
            }
        }
        self.echo_tail = tail;
        let echoed = old_space.saturating_sub(space);
        counters::add(&mut self.counters.echoed, echoed);
        echoed
    }

    /// A character was echoed: commit the echo ring up to here (`echo_mark`), and write it
    /// out once enough has built up since the last write (`commit_echoes`).
    pub(super) fn commit_echoes(&mut self, t: &Termios, s: &mut impl Sink) {
        let head = self.echo_head;
        self.echo_mark = head;
        let old = self.echo_commit.wrapping_sub(self.echo_tail);
        let nr = head.wrapping_sub(self.echo_tail);
        if nr < ECHO_COMMIT_WATERMARK || (nr % ECHO_BLOCK > old % ECHO_BLOCK) {
            return;
        }
        self.echo_commit = head;
        let echoed = self.do_process_echoes(t, s);
        if echoed > 0 {
            s.flush_chars();
        }
    }

    /// Write pending echoes to the driver (`process_echoes`, as `n_tty_write` and
    /// the START character do). In line: most calls (every `write()`) find none.
    #[inline(always)]
    pub fn process_echoes_to(&mut self, t: &Termios, s: &mut impl Sink) {
        if self.echo_mark == self.echo_tail {
            return;
        }
        self.echo_commit = self.echo_mark;
        let echoed = self.do_process_echoes(t, s);
        if echoed > 0 {
            s.flush_chars();
        }
    }

    /// Write every echo queued, committed or not, when the receive path finishes a buffer
    /// (`flush_echoes`).
    pub(super) fn flush_echoes(&mut self, t: &Termios, s: &mut impl Sink) {
        if (!t.l(LFlag::ECHO) && !t.l(LFlag::ECHONL)) || self.echo_commit == self.echo_head {
            return;
        }
        self.echo_commit = self.echo_head;
        self.do_process_echoes(t, s);
    }
}
