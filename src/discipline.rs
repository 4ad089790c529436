// SPDX-License-Identifier: GPL-2.0

//! The n_rust line discipline attached to a tty.
//!
//! First version: input passes through unprocessed. Received bytes are kept in a per-tty
//! buffer of [`INPUT_BUFFER_SIZE`] bytes until read; when it is full the flip buffer keeps
//! the rest (nothing is dropped) and reading restarts delivery. Writes go to the driver as
//! they are. The N_TTY engine (`crate::engine`) replaces this in the discipline issue.

use crate::bindings;
use crate::ldisc::{wait_interruptible, LineDiscipline, PollTable, ReadChunk, Tty, TtyFile};
use core::pin::Pin;
use kernel::new_spinlock;
use kernel::prelude::*;
use kernel::sync::SpinLock;

/// Size of the per-tty input buffer, as N_TTY's `N_TTY_BUF_SIZE`.
pub(crate) const INPUT_BUFFER_SIZE: usize = 4096;

/// A byte ring of [`INPUT_BUFFER_SIZE`] bytes.
struct InputRing {
    bytes: [u8; INPUT_BUFFER_SIZE],
    /// Index of the oldest byte.
    head: usize,
    /// Number of bytes held.
    len: usize,
}

impl InputRing {
    /// Appends as much of `data` as fits; returns how much that was.
    fn push(&mut self, data: &[u8]) -> usize {
        let taken = data.len().min(INPUT_BUFFER_SIZE - self.len);
        for (i, &byte) in data[..taken].iter().enumerate() {
            self.bytes[(self.head + self.len + i) % INPUT_BUFFER_SIZE] = byte;
        }
        self.len += taken;
        taken
    }

    /// Moves up to `out.len()` of the oldest bytes into `out`; returns how many.
    fn pop(&mut self, out: &mut [u8]) -> usize {
        let taken = out.len().min(self.len);
        for (i, slot) in out[..taken].iter_mut().enumerate() {
            *slot = self.bytes[(self.head + i) % INPUT_BUFFER_SIZE];
        }
        self.head = (self.head + taken) % INPUT_BUFFER_SIZE;
        self.len -= taken;
        taken
    }
}

/// Per-tty state of the n_rust discipline.
#[pin_data]
pub(crate) struct NRust {
    #[pin]
    input: SpinLock<InputRing>,
}

impl LineDiscipline for NRust {
    fn open(_tty: &Tty) -> Result<Pin<KBox<Self>>> {
        KBox::pin_init(
            pin_init!(Self {
                input <- new_spinlock!(InputRing {
                    bytes: [0; INPUT_BUFFER_SIZE],
                    head: 0,
                    len: 0,
                }),
            }),
            GFP_KERNEL,
        )
    }

    fn flush_buffer(&self, _tty: &Tty) {
        let mut input = self.input.lock();
        input.head = 0;
        input.len = 0;
    }

    fn read(
        &self,
        tty: &Tty,
        file: &TtyFile,
        buf: &mut [u8],
        continuation: bool,
    ) -> Result<ReadChunk> {
        if buf.is_empty() {
            return Ok(ReadChunk {
                copied: 0,
                more: false,
            });
        }
        let take = |buf: &mut [u8]| {
            let mut input = self.input.lock();
            let copied = input.pop(buf);
            (copied, input.len > 0)
        };
        let (copied, more) = if continuation {
            take(buf)
        } else {
            wait_interruptible(tty.read_wait(), || {
                let (copied, more) = take(buf);
                if copied > 0 {
                    return Ok(Some((copied, more)));
                }
                if tty.other_side_closed() {
                    return Err(EIO);
                }
                if file.is_nonblocking() {
                    return Err(EAGAIN);
                }
                Ok(None)
            })?
        };
        if copied > 0 {
            tty.restart_input();
            if tty.is_pty() {
                tty.wake_link_writer();
            }
        }
        Ok(ReadChunk { copied, more })
    }

    fn write(&self, tty: &Tty, file: &TtyFile, buf: &[u8]) -> Result<usize> {
        wait_interruptible(tty.write_wait(), || {
            let written = tty.driver_write(buf)?;
            if written > 0 || buf.is_empty() {
                return Ok(Some(written));
            }
            if file.is_nonblocking() {
                return Err(EAGAIN);
            }
            Ok(None)
        })
    }

    fn poll(&self, tty: &Tty, _file: &TtyFile, table: &PollTable) -> u32 {
        table.wait_on(tty.read_wait());
        table.wait_on(tty.write_wait());
        let mut mask = 0;
        if self.input.lock().len > 0 {
            mask |= bindings::EPOLLIN | bindings::EPOLLRDNORM;
        }
        if tty.other_side_closed() {
            mask |= bindings::EPOLLHUP;
        }
        if tty.write_room() > 0 {
            mask |= bindings::EPOLLOUT | bindings::EPOLLWRNORM;
        }
        mask
    }

    fn receive(&self, tty: &Tty, data: &[u8], _flags: Option<&[u8]>) -> usize {
        let taken = self.input.lock().push(data);
        if taken > 0 {
            tty.wake_readers();
        }
        taken
    }

    fn write_wakeup(&self, tty: &Tty) {
        tty.wake_writers();
    }
}
