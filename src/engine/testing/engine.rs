//! Engine calls only tests make: a whole `read(2)` as the tty core drives the discipline,
//! output and echo processing into a slice, and the state a test inspects.

use super::recorder::SliceSink;
use crate::engine::actions::{Actions, DriverInfo, Sink};
use crate::engine::output::Written;
use crate::engine::read::ReadStep;
use crate::engine::state::{Engine, N_TTY_BUF_SIZE};
use crate::engine::termios::Termios;
use crate::engine::vmin_vtime::{AfterCopy, Timeout};

/// Error of a non-blocking read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ReadError {
    /// Nothing to read now (`-EAGAIN`).
    WouldBlock,
}

/// The size of the tty layer's buffer for one call of the discipline's `read`.
const CHUNK: usize = 64;

impl Engine {
    /// A `write()` that fits, as `n_tty_write` does it: pending echoes first, then the
    /// output loop ([`Engine::write_output`]). The module's write does the same in its glue,
    /// around its sleeps.
    pub fn write(&mut self, t: &Termios, data: &[u8], s: &mut impl Sink) -> Written {
        self.process_echoes_to(t, s);
        self.write_output(t, data, s)
    }

    /// Reset the state in place, as a fresh open for termios `t`, without actions
    /// (`n_tty_open` without the tty).
    pub fn reset(&mut self, t: &Termios) {
        self.clear();
        self.set_termios_state(None, t);
    }

    /// The driver description given at construction.
    pub fn driver(&self) -> DriverInfo {
        self.driver
    }

    /// Current output column (`ldata->column`).
    pub fn column(&self) -> u32 {
        self.column
    }

    /// The room left after the last receive (`tty->receive_room`).
    pub fn receive_room(&self) -> usize {
        self.receive_room
    }

    /// True if the last receive stopped for lack of room (`ldata->no_room`).
    pub fn no_room(&self) -> bool {
        self.no_room
    }

    /// The byte in slot `i` of the read ring (`read_buf[MASK(i)]`), taken by a reader or
    /// not: what `zero_buffer` leaves behind.
    pub fn read_buf_byte(&self, i: usize) -> u8 {
        self.rb(i)
    }

    /// True if echo bytes are waiting to be written (`echo_head != echo_tail`).
    pub fn echoes_pending(&self) -> bool {
        self.echo_head != self.echo_tail
    }

    /// Output processing of `input` into `out`, at most `room` bytes (the output loop of
    /// `n_tty_write`: `process_output_block` + `process_output`). Returns (consumed,
    /// produced).
    pub fn process_output(
        &mut self,
        t: &Termios,
        input: &[u8],
        room: usize,
        out: &mut [u8],
    ) -> (usize, usize) {
        let mut sink = SliceSink::new(out, room);
        let consumed = self.write_output(t, input, &mut sink).bytes;
        (consumed, sink.len())
    }

    /// Write pending echoes into `out`, at most `room` bytes (`process_echoes`); returns
    /// bytes produced.
    pub fn process_echoes(&mut self, t: &Termios, room: usize, out: &mut [u8]) -> usize {
        let mut sink = SliceSink::new(out, room);
        self.process_echoes_to(t, &mut sink);
        sink.len()
    }

    /// A whole non-blocking `read(2)` of up to `out.len()` bytes, as the tty core
    /// drives the line discipline (64-byte chunks with continuation) and the glue drives the
    /// engine's steps, on a tty whose flip-buffer worker has nothing pending.
    pub fn read(
        &mut self,
        t: &Termios,
        out: &mut [u8],
        a: &mut impl Actions,
    ) -> Result<usize, ReadError> {
        self.read_as(t, out, false, a)
    }

    /// [`Engine::read`] by a pty master in packet mode if `packet`: a raw read's data then
    /// starts with a `TIOCPKT_DATA` header byte, counted in the result.
    pub fn read_as(
        &mut self,
        t: &Termios,
        out: &mut [u8],
        packet: bool,
        a: &mut impl Actions,
    ) -> Result<usize, ReadError> {
        let first = out.get_mut(..out.len().min(CHUNK)).unwrap_or(&mut []);
        let mut read = self.read_begin(t, packet);
        let mut timer = read.mode().timer();
        let mut more = false;
        let mut guard = 0usize;
        while read.copied() < first.len() && guard <= 2 * N_TTY_BUF_SIZE {
            guard += 1;
            match self.read_step(t, &mut read, first, a) {
                ReadStep::MoreToRead => {
                    more = true;
                    break;
                }
                ReadStep::Copied(AfterCopy::Return) => break,
                ReadStep::Copied(AfterCopy::LookAgain) => {}
                ReadStep::Copied(AfterCopy::RestartTimer(next)) => timer = next,
                // `n_tty_wait_for_input` for a non-blocking file.
                ReadStep::Empty if timer == Timeout::Immediate || read.copied() > 0 => break,
                ReadStep::Empty => return Err(ReadError::WouldBlock),
            }
        }
        let mut offset = read.copied();
        if !more {
            self.read_end(&read, a);
            return Ok(offset);
        }
        // The continuation calls as the module's glue makes them (`discipline::staged_read`):
        // what they would copy is peeked into a stage, handed out 64 bytes a call, and taken
        // by the call that empties the stage or whose buffer is short; without a stage (none
        // peeked), call by call.
        let mut stage = [0u8; STAGE];
        // Nothing set aside that one call takes (it would take the lock anyway).
        let (mut staged, mut ends_line) = self.stage_peeked(t, &mut stage);
        let mut handed = 0;
        while more && guard <= 4 * N_TTY_BUF_SIZE {
            guard += 1;
            let size = out.len().saturating_sub(offset).min(CHUNK);
            let chunk = out.get_mut(offset..offset + size).unwrap_or(&mut []);
            let (n, again) = if handed < staged {
                let n = size.min(staged - handed);
                chunk
                    .get_mut(..n)
                    .unwrap_or(&mut [])
                    .copy_from_slice(stage.get(handed..handed + n).unwrap_or(&[]));
                handed += n;
                if size == CHUNK && handed < staged {
                    (n, true)
                } else {
                    let window = if ends_line { size } else { n };
                    let again = self.take_handed_out(t, &mut stage, (handed - n, n, window), a);
                    (staged, handed) = (0, 0);
                    // As the glue: a call with less than a chunk's room met the end of the
                    // user's buffer, and the next call only ends the read.
                    if again && size == CHUNK {
                        (staged, ends_line) = self.stage_peeked(t, &mut stage);
                    }
                    (n, again)
                }
            } else {
                self.read_continue(t, chunk, a)
            };
            offset += n;
            more = again;
            // `tty_read()` stops at a call that returns nothing.
            if n == 0 {
                break;
            }
        }
        Ok(offset)
    }
}

impl Engine {
    /// What [`Engine::peek_read`] shows, copied into `stage` as far as it fits (the glue
    /// hands it out from the ring itself; a copy of a prefix here, so that the tests also
    /// see stages that run out within one `read()`). Returns the bytes staged and whether
    /// they run to the end of a line (not when only a prefix fits).
    fn stage_peeked(&self, t: &Termios, stage: &mut [u8; STAGE]) -> (usize, bool) {
        let (bytes, ends_line) = self.peek_read(t, CHUNK);
        let n = bytes.len().min(STAGE);
        if let (Some(dst), Some(src)) = (stage.get_mut(..n), bytes.get(..n)) {
            dst.copy_from_slice(src);
        }
        (n, ends_line && n == bytes.len())
    }
}

/// The size of the stage here: less than the glue's (which hands out from the ring as far as
/// the end of its array), so that the tests also see stages that run out within one
/// `read()`, and a small array on a KUnit test's kernel stack.
const STAGE: usize = 512;
