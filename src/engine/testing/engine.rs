//! Engine calls only tests make: a whole `read(2)` as the tty core drives the discipline,
//! output and echo processing into a slice, and the state a test inspects.

use super::recorder::SliceSink;
use crate::engine::actions::{Actions, DriverInfo, ReadError};
use crate::engine::state::{Engine, N_TTY_BUF_SIZE};
use crate::engine::termios::Termios;

impl Engine {
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
        let consumed = self.write_only(t, input, &mut sink);
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
    /// drives the line discipline (64-byte chunks with continuation).
    pub fn read(
        &mut self,
        t: &Termios,
        out: &mut [u8],
        a: &mut impl Actions,
    ) -> Result<usize, ReadError> {
        let mut cookie = false;
        let mut offset = 0usize;
        let mut guard = 0usize;
        loop {
            guard += 1;
            let count = out.len().saturating_sub(offset);
            let size = count.min(64);
            let chunk = out.get_mut(offset..offset + size).unwrap_or(&mut []);
            match self.ldisc_read(t, chunk, &mut cookie, a) {
                Ok(0) => break,
                Ok(n) => offset += n,
                Err(e) => {
                    if offset == 0 {
                        return Err(e);
                    }
                    break;
                }
            }
            if !cookie || guard > 4 * N_TTY_BUF_SIZE {
                break;
            }
        }
        Ok(offset)
    }
}
