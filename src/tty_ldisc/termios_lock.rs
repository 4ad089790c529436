// SPDX-License-Identifier: GPL-2.0

//! The tty's `termios_rwsem`, as N_TTY holds it: for reading across the calls of one
//! `read()` (owned by [`ReadContext`]), for writing to flush the input (`n_tty_flush_buffer`)
//! or to receive a signal character whose flush must not cut into a `read()` (`isig`).
//!
//! The tty layer takes it for writing around `set_termios`, so a discipline that holds it
//! sees no termios change. Lock order, as for N_TTY: the port's buffer lock, then
//! `termios_rwsem`, then the discipline's own state lock.
//!
//! [`ReadContext`]: super::ReadContext

use super::Tty;
use core::ptr::addr_of_mut;
use kernel::bindings;

/// `termios_rwsem` of a tty held for writing; released on drop.
///
/// # Invariants
///
/// The current task holds `tty->termios_rwsem` for writing for as long as the value lives.
pub(crate) struct TermiosWriteGuard<'a> {
    tty: &'a Tty,
}

impl Drop for TermiosWriteGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant this task holds the lock for writing.
        unsafe { bindings::up_write(self.tty.termios_rwsem()) };
    }
}

impl Tty {
    /// `&tty->termios_rwsem`.
    fn termios_rwsem(&self) -> *mut bindings::rw_semaphore {
        // SAFETY: By the type invariant the tty is valid; only the field address is taken.
        unsafe { addr_of_mut!((*self.as_raw()).termios_rwsem) }
    }

    /// Takes `termios_rwsem` for writing until the guard is dropped (`down_write`).
    ///
    /// Context: process context; sleeps. Must not be called with the discipline's state lock
    /// held, nor by a task that holds the lock for reading (a `read()` in progress).
    pub(crate) fn lock_termios_write(&self) -> TermiosWriteGuard<'_> {
        // SAFETY: The rwsem is initialised for the tty's lifetime (`alloc_tty_struct`).
        unsafe { bindings::down_write(self.termios_rwsem()) };
        // INVARIANT: Taken just above.
        TermiosWriteGuard { tty: self }
    }

    /// Takes `termios_rwsem` for reading (`down_read`).
    ///
    /// # Safety
    ///
    /// The caller must release it with [`Tty::unlock_termios_read`] within the same system
    /// call, in this task.
    ///
    /// Context: process context; sleeps.
    pub(super) unsafe fn lock_termios_read(&self) {
        // SAFETY: The rwsem is initialised for the tty's lifetime.
        unsafe { bindings::down_read(self.termios_rwsem()) };
    }

    /// Releases `termios_rwsem` held for reading (`up_read`).
    ///
    /// # Safety
    ///
    /// The current task must hold it for reading ([`Tty::lock_termios_read`]).
    pub(super) unsafe fn unlock_termios_read(&self) {
        // SAFETY: The caller holds the initialised rwsem for reading.
        unsafe { bindings::up_read(self.termios_rwsem()) };
    }
}
