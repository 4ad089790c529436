//! Output processing and the write side (`n_tty_write` with OPOST: `process_output_block`,
//! `process_output`, `do_output_char`), and the column it keeps.

use super::actions::{DriverError, Sink};
use super::counters;
use super::ctype::{iscntrl, toupper};
use super::state::{is_continuation, Engine};
use super::termios::{OFlag, Termios};

impl Engine {
    /// One character with OPOST processing into `space` bytes of room (`do_output_char`):
    /// the bytes written, 0 for a CR dropped by ONOCR, `None` if it does not fit.
    pub(super) fn do_output_char(
        &mut self,
        c: u8,
        t: &Termios,
        s: &mut impl Sink,
        space: usize,
    ) -> Option<usize> {
        if space == 0 {
            return None;
        }
        let mut c = c;
        match c {
            b'\n' => {
                if t.o(OFlag::ONLRET) {
                    self.column = 0;
                }
                if t.o(OFlag::ONLCR) {
                    if space < 2 {
                        return None;
                    }
                    self.column = 0;
                    self.canon_column = 0;
                    s.put(b"\r\n");
                    return Some(2);
                }
                self.canon_column = self.column;
            }
            b'\r' => {
                if t.o(OFlag::ONOCR) && self.column == 0 {
                    return Some(0);
                }
                if t.o(OFlag::OCRNL) {
                    c = b'\n';
                    if t.o(OFlag::ONLRET) {
                        self.column = 0;
                        self.canon_column = 0;
                    }
                } else {
                    self.column = 0;
                    self.canon_column = 0;
                }
            }
            b'\t' => {
                let spaces = 8 - (self.column & 7);
                if t.xtabs() {
                    if space < spaces as usize {
                        return None;
                    }
                    self.column = self.column.wrapping_add(spaces);
                    let blanks = [b' '; 8];
                    s.put(blanks.get(..spaces as usize).unwrap_or(&blanks));
                    return Some(spaces as usize);
                }
                self.column = self.column.wrapping_add(spaces);
            }
            8 => {
                if self.column > 0 {
                    self.column -= 1;
                }
            }
            _ => {
                if !iscntrl(c) {
                    if t.o(OFlag::OLCUC) {
                        c = toupper(c);
                    }
                    if !is_continuation(c, t) {
                        self.column = self.column.wrapping_add(1);
                    }
                }
            }
        }
        s.put(&[c]);
        Some(1)
    }

    /// Write the leading run of `buf` that needs no translation, as much as the driver has
    /// room for, keeping the column (`process_output_block`); returns how much the driver
    /// took, or its error.
    fn process_output_block(
        &mut self,
        t: &Termios,
        buf: &[u8],
        s: &mut impl Sink,
    ) -> Result<usize, DriverError> {
        let space = s.write_room();
        if space == 0 {
            return Ok(0);
        }
        let nr = buf.len().min(space);
        let olcuc = t.o(OFlag::OLCUC);
        let mut i = 0;
        while i < nr {
            if !olcuc {
                // A run of printable ASCII: one column each, nothing else to look at.
                let run = buf
                    .get(i..nr)
                    .unwrap_or(&[])
                    .iter()
                    .take_while(|&&c| (b' '..0x7f).contains(&c))
                    .count();
                self.column = self.column.wrapping_add(run as u32);
                i += run;
                if i >= nr {
                    break;
                }
            }
            let c = buf.get(i).copied().unwrap_or(0);
            match c {
                b'\n' => {
                    if t.o(OFlag::ONLRET) {
                        self.column = 0;
                    }
                    if t.o(OFlag::ONLCR) {
                        break;
                    }
                    self.canon_column = self.column;
                }
                b'\r' => {
                    if t.o(OFlag::ONOCR) && self.column == 0 {
                        break;
                    }
                    if t.o(OFlag::OCRNL) {
                        break;
                    }
                    self.column = 0;
                    self.canon_column = 0;
                }
                b'\t' => break,
                8 => {
                    if self.column > 0 {
                        self.column -= 1;
                    }
                }
                _ => {
                    if !iscntrl(c) {
                        if t.o(OFlag::OLCUC) {
                            break;
                        }
                        if !is_continuation(c, t) {
                            self.column = self.column.wrapping_add(1);
                        }
                    }
                }
            }
            i += 1;
        }
        if i == 0 {
            return Ok(0);
        }
        s.write(buf.get(..i).unwrap_or(&[]))
    }

    /// The output loop of `n_tty_write`, without the echoes (what a writer does after it has
    /// slept, as `n_tty_write` writes pending echoes only once, before its loop): with OPOST,
    /// runs of simple characters by `process_output_block` and each other character by
    /// `process_output` (`do_output_char`), then `tty->ops->flush_chars`; without,
    /// `tty->ops->write` until it takes nothing or, after taking part, reports no room. A
    /// driver error ends the pass (with OPOST, `EAGAIN` only ends it as a full buffer does).
    pub fn write_output(&mut self, t: &Termios, data: &[u8], s: &mut impl Sink) -> Written {
        let mut b = 0usize;
        if t.o(OFlag::OPOST) {
            while b < data.len() {
                let rest = data.get(b..).unwrap_or(&[]);
                match self.process_output_block(t, rest, s) {
                    Ok(num) => b += num,
                    Err(DriverError::WOULD_BLOCK) => break,
                    Err(e) => return self.written_failed(b, e),
                }
                if b >= data.len() {
                    break;
                }
                let c = data.get(b).copied().unwrap_or(0);
                let room = s.write_room();
                if self.do_output_char(c, t, s, room).is_none() {
                    break;
                }
                b += 1;
            }
            s.flush_chars();
        } else {
            while b < data.len() {
                match s.write(data.get(b..).unwrap_or(&[])) {
                    Ok(0) => break,
                    Ok(num) => b += num,
                    Err(e) => return self.written_failed(b, e),
                }
                // A driver that took only part is asked for its room before it is offered
                // the rest: a full one would only take nothing (on a pty, at the cost of
                // the port lock and a flip-buffer request), and the writer sleeps either
                // way. N_TTY offers the rest at once; with OPOST it, too, trusts a room of 0.
                if b < data.len() && s.write_room() == 0 {
                    break;
                }
            }
        }
        counters::add(&mut self.counters.written, b);
        Written {
            bytes: b,
            error: None,
        }
    }

    /// A pass that the driver's `error` ended after `bytes`, counted as written.
    fn written_failed(&mut self, bytes: usize, error: DriverError) -> Written {
        counters::add(&mut self.counters.written, bytes);
        Written::failed(bytes, error)
    }
}

/// What one pass of a write did.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Written {
    /// The bytes of the caller's data consumed.
    pub bytes: usize,
    /// The driver's error that ended the pass, if any: `n_tty_write` returns it unless some
    /// bytes were written.
    pub error: Option<DriverError>,
}

impl Written {
    /// A pass that `error` ended after `bytes`.
    const fn failed(bytes: usize, error: DriverError) -> Self {
        Written {
            bytes,
            error: Some(error),
        }
    }
}
