// SPDX-License-Identifier: GPL-2.0

//! A safe abstraction over TTY line disciplines (`struct tty_ldisc_ops`).
//!
//! C header: [`include/linux/tty_ldisc.h`](srctree/include/linux/tty_ldisc.h)
//!
//! It follows the shape of `kernel::miscdevice`: a [`LineDiscipline`] trait whose methods are
//! the operations, marked `#[vtable]` so that only the operations a discipline implements are
//! installed; a [`Registration`] that registers the operations table and unregisters it when
//! dropped; and a `const` table of `unsafe extern "C"` adapters (`registration.rs`). The
//! adapters and the methods of [`Tty`], [`TtyFile`], [`Waiter`] and [`PollTable`] are the only
//! places where raw tty pointers are touched; a discipline itself is safe Rust.
//!
//! The abstraction also owns what N_TTY keeps for the tty layer's `read` protocol: the
//! continuation cookie, the reader lock (`atomic_read_lock`) and the hold of `termios_rwsem`
//! for reading across the calls of one `read()`, which a discipline reaches through the
//! [`ReadContext`] of each call.
//!
//! # Context
//!
//! Every operation runs in process context and may sleep, except
//! [`LineDiscipline::write_wakeup`], which may run in interrupt context. Each method's
//! documentation says which locks the tty layer holds when it calls it.

mod prepared_ops;
mod read_lock;
mod registration;
mod slot_zero;
mod termios_lock;
mod tty;
mod tty_driver;
mod tty_file;
mod vtable;
mod wait;

use kernel::error::VTABLE_DEFAULT_ERROR;
use kernel::prelude::*;
use read_lock::ReadLock;

pub(crate) use prepared_ops::PreparedOps;
pub(crate) use read_lock::{ReaderStage, TTY_READ_CHUNK};
pub(crate) use registration::Registration;
pub(crate) use slot_zero::NttyRegistration;
pub(crate) use slot_zero::PermanentOps;
pub(crate) use slot_zero::{PreparedNtty, PreparedSlotZero, SlotZero};
pub(crate) use tty::OpeningTty;
pub(crate) use tty::Tty;
pub(crate) use tty_file::TtyFile;
pub(crate) use wait::PollTable;
pub(crate) use wait::TtyWaitQueue;
pub(crate) use wait::Waiter;

/// The operations of a line discipline, per tty.
///
/// A value of the implementing type is created by [`LineDiscipline::open`] when the
/// discipline is attached to a tty, lives (pinned) behind `tty->disc_data` until it is
/// detached, and is then dropped after [`LineDiscipline::close`]. The tty layer may call the
/// operations concurrently (a reader, a writer and the flip-buffer worker at once), so they
/// take `&self` and the type does its own locking.
///
/// `open`, `read`, `write` and `receive` are required; every other operation is installed
/// only when the implementation provides it (`T::HAS_*`).
#[vtable]
pub(crate) trait LineDiscipline: Sized + Send + Sync + 'static {
    /// Called when the discipline is attached to `tty`; initialises the per-tty state.
    ///
    /// Context: process context, may sleep; the tty layer holds `tty_lock` and the tty's
    /// `ldisc_sem` for writing, so no other operation runs on the tty (for the slave of a new
    /// pty pair, which `tty_ldisc_setup()` opens with its master, nothing else reaches it yet).
    fn open(tty: &OpeningTty) -> impl PinInit<Self, Error> + '_;

    /// Called when the discipline is detached from `tty`; the state is dropped right after.
    ///
    /// Context: process context, may sleep; no other operation runs on the tty.
    fn close(&self, _tty: &Tty) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Discard pending input (`TCIFLUSH`, and on hangup).
    ///
    /// Context: process context, may sleep; the tty layer may hold the port's buffer lock.
    fn flush_buffer(&self, _tty: &Tty) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Read into the kernel buffer `buf`; `tty_read()` copies it to user space. Returns how
    /// many bytes were placed at the start of `buf`.
    ///
    /// `tty_read()` hands over at most 64 bytes at a time. When the discipline has more to
    /// give at once it says so with [`ReadContext::call_again`], and `tty_read()` calls again
    /// within the same `read()` with [`ReadContext::is_continuation`] set (possibly with an
    /// empty `buf` when the user's buffer is full, so the discipline can finish).
    ///
    /// Context: process context; the first call of a `read()` may sleep, a continuation must
    /// not. The tty layer holds the tty's `ldisc_sem` for reading.
    fn read(
        &self,
        tty: &Tty,
        file: &TtyFile,
        buf: &mut [u8],
        read: &mut ReadContext<'_>,
    ) -> Result<usize>;

    /// Write from the kernel buffer `buf`; returns how many bytes were taken.
    ///
    /// Context: process context, may sleep; the tty layer holds the tty's write lock
    /// (`atomic_write_lock`) and `ldisc_sem` for reading.
    fn write(&self, tty: &Tty, file: &TtyFile, buf: &[u8]) -> Result<usize>;

    /// A discipline-specific ioctl. `ENOIOCTLCMD` lets the tty layer handle `cmd` itself.
    ///
    /// Context: process context, may sleep; the tty layer holds `ldisc_sem` for reading.
    fn ioctl(&self, _tty: &Tty, _cmd: u32, _arg: usize) -> Result<i32> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The termios of `tty` changed; `old` is the previous one.
    ///
    /// Context: process context, may sleep; the tty layer holds `termios_rwsem` for writing.
    fn set_termios(&self, _tty: &Tty, _old: &crate::bindings::ktermios) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Report readiness of `tty` for `file`, registering on the wait queues through `table`.
    ///
    /// Context: process context, may sleep; the tty layer holds `ldisc_sem` for reading.
    fn poll(&self, _tty: &Tty, _file: &TtyFile, _table: &PollTable<'_>) -> u32 {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Bytes arrived from the driver (`receive_buf2`), with per-byte `TTY_*` flags when
    /// `flags` is `Some`. Returns how many bytes were taken; the rest stays in the flip buffer
    /// until the discipline asks for it again with [`Tty::restart_input`].
    ///
    /// Context: the flip-buffer worker (process context, may sleep); it holds the port's
    /// buffer lock.
    fn receive(&self, tty: &Tty, data: &[u8], flags: Option<&[u8]>) -> usize;

    /// Bytes handed over by `receive_buf` rather than `receive_buf2`: `TIOCSTI` pushes its
    /// byte this way. There is no flow control: what does not fit is dropped.
    ///
    /// Context: process context, may sleep.
    fn receive_unflowed(&self, _tty: &Tty, _data: &[u8], _flags: Option<&[u8]>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Bytes the discipline could not take yet, offered for a look at flow-control
    /// characters; they are offered again through [`LineDiscipline::receive`] later.
    ///
    /// Context: as for [`LineDiscipline::receive`].
    fn lookahead(&self, _tty: &Tty, _data: &[u8], _flags: Option<&[u8]>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The driver has room for output again.
    ///
    /// Context: any, including interrupt context: must not sleep or take a sleeping lock.
    fn write_wakeup(&self, _tty: &Tty) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// What `tty->disc_data` points to while a discipline of type `T` is open on a tty: the
/// discipline's state and the abstraction's reader lock.
#[pin_data]
struct TtyLdiscData<T> {
    /// Held from the first to the last call of one `read()` (see [`ReadContext`]).
    #[pin]
    read_lock: ReadLock,
    #[pin]
    discipline: T,
}

impl<T: LineDiscipline> TtyLdiscData<T> {
    /// Opens the discipline on `tty`.
    fn new(tty: &OpeningTty) -> impl PinInit<Self, Error> + '_ {
        try_pin_init!(Self {
            read_lock <- ReadLock::new(c"tty_ldisc::read_lock", kernel::static_lock_class!()),
            discipline <- T::open(tty),
        })
    }
}

/// What one `read()` system call keeps across the calls of [`LineDiscipline::read`]: whether
/// this call continues an earlier one, and the locks N_TTY holds from the first to the last
/// call: the tty's reader lock (`atomic_read_lock`) and `termios_rwsem` for reading, so that
/// no termios change and no input flush (which take it for writing) falls in the middle of
/// one `read()`.
///
/// The `read` adapter creates it for each call from the tty layer's cookie and, after the
/// call, sets the cookie again or releases the locks.
pub(crate) struct ReadContext<'a> {
    lock: &'a ReadLock,
    tty: &'a Tty,
    continuation: bool,
    locked: bool,
    call_again: bool,
}

impl ReadContext<'_> {
    /// Whether this call continues a `read()` whose previous call asked to be called again.
    /// A continuation must not sleep.
    pub(crate) fn is_continuation(&self) -> bool {
        self.continuation
    }

    /// Takes the tty's reader lock for the rest of this `read()`, so that a second reader
    /// cannot take bytes from the middle of what this one copies, and then `termios_rwsem`
    /// for reading (`n_tty_read`). The reader lock without sleeping when `file` is
    /// non-blocking (`EAGAIN` when another reader holds it), else interruptibly
    /// (`ERESTARTSYS` on a signal). Does nothing when this `read()` holds them already.
    ///
    /// Both are released after the last call of the `read()`: the first that does not ask to
    /// be called again, or fails.
    ///
    /// Context: process context; may sleep. Must not be called with a lock held that another
    /// reader holds while it waits (the discipline's state lock).
    pub(crate) fn lock_readers(&mut self, file: &TtyFile) -> Result {
        if !self.locked {
            self.lock.lock(file.is_nonblocking())?;
            // SAFETY: Released in `release` (or around `f` in `unlocked`), in this task and
            // this system call: the adapter calls `release` after the last call.
            unsafe { self.tty.lock_termios_read() };
            self.locked = true;
        }
        Ok(())
    }

    /// Runs `f` with `termios_rwsem` released, as `n_tty_read` does around sleeping and
    /// around waiting for the flip-buffer worker (which may take it for writing). The reader
    /// lock stays held.
    ///
    /// Context: process context; may sleep.
    pub(crate) fn unlocked<R>(&mut self, f: impl FnOnce() -> R) -> R {
        if !self.locked {
            return f();
        }
        // SAFETY: `locked`: this task holds it for reading (`lock_readers`).
        unsafe { self.tty.unlock_termios_read() };
        let result = f();
        // SAFETY: Taken again for the rest of the `read()`, released as in `lock_readers`.
        unsafe { self.tty.lock_termios_read() };
        result
    }

    /// Asks `tty_read()` to call again within this `read()`: more can be returned without
    /// waiting. The locks, when held, stay held until that call. Ignored when the call fails
    /// or returns nothing (`tty_read()` does not call again then).
    pub(crate) fn call_again(&mut self) {
        self.call_again = true;
    }

    /// The reader's stage ([`ReaderStage`]), while this `read()` holds the reader lock
    /// ([`ReadContext::lock_readers`]); `None` otherwise. It is emptied when the `read()` ends.
    pub(crate) fn stage(&mut self) -> Option<&mut ReaderStage> {
        if !self.locked {
            return None;
        }
        // SAFETY: `locked`: this task holds the reader lock, and the stage is reached only
        // through this `&mut self`, so no other reference to it is alive.
        Some(unsafe { self.lock.stage() })
    }

    /// Releases the locks after the last call of a `read()`.
    ///
    /// # Safety
    ///
    /// No further call of this `read()` follows (the cookie is left null).
    unsafe fn release(&mut self) {
        if self.locked {
            // Nothing set aside outlives the `read()`.
            if let Some(stage) = self.stage() {
                stage.clear();
            }
            self.locked = false;
            // SAFETY: `locked`: this task holds `termios_rwsem` for reading and the reader
            // lock, taken in this `read()` (`lock_readers`).
            unsafe {
                self.tty.unlock_termios_read();
                self.lock.unlock();
            }
        }
    }
}
