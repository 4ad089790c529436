// SPDX-License-Identifier: GPL-2.0

//! The file through which user space reads, writes or polls a tty.
//!
//! C header: [`include/linux/fs.h`](srctree/include/linux/fs.h)

use crate::bindings;
use core::ptr::addr_of;
use kernel::types::Opaque;

/// The file through which user space reads, writes or polls a tty.
///
/// # Invariants
///
/// The file is valid for the lifetime of the reference.
#[repr(transparent)]
pub(crate) struct TtyFile(Opaque<bindings::file>);

impl TtyFile {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct file` for `'a`.
    pub(super) unsafe fn from_raw<'a>(ptr: *mut bindings::file) -> &'a Self {
        // INVARIANT: The caller's promise.
        // SAFETY: Transparent wrapper of `struct file`.
        unsafe { &*ptr.cast() }
    }

    /// The raw `struct file` pointer, for calls into the kernel.
    pub(super) fn as_raw(&self) -> *mut bindings::file {
        self.0.get()
    }

    /// Whether the file was opened or set `O_NONBLOCK`.
    pub(crate) fn is_nonblocking(&self) -> bool {
        // SAFETY: By the type invariant the file is valid; `f_flags` is read as the tty layer
        // itself does (`tty_io_nonblock()`).
        let flags = unsafe { core::ptr::read_volatile(addr_of!((*self.as_raw()).f_flags)) };
        flags & bindings::O_NONBLOCK != 0
    }

    /// `tty_hung_up_p(file)`: the file belongs to a tty that was hung up.
    pub(crate) fn hung_up(&self) -> bool {
        // SAFETY: By the type invariant the file is valid.
        unsafe { bindings::tty_hung_up_p(self.as_raw()) != 0 }
    }

    /// Whether the file is `/dev/console` (5:1). N_TTY exempts console writes and reads from
    /// job control by comparing `f_op->write_iter` with `redirected_tty_write`, which is not
    /// exported; the device number of the file's inode says the same.
    pub(crate) fn is_console(&self) -> bool {
        // SAFETY: By the type invariant the file is valid, and so is its inode (field offsets
        // checked in `crate::layout`).
        let rdev = unsafe { (*(*self.as_raw()).f_inode).i_rdev };
        rdev == (bindings::TTYAUX_MAJOR << 20) | 1
    }
}
