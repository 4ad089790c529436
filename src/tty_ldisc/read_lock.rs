// SPDX-License-Identifier: GPL-2.0

//! The reader lock of a tty: N_TTY's `atomic_read_lock`.
//!
//! One `read()` system call may call the discipline's `read` several times (`tty_read()`
//! hands over 64 bytes at a time and calls again while the discipline says more follows).
//! N_TTY keeps `atomic_read_lock` across those calls, so that a second reader cannot take
//! bytes from the middle of a line another reader is copying. A guard of `kernel::sync::Mutex`
//! cannot outlive the call that took it, so this is a plain kernel mutex that is locked in
//! the first call and unlocked in the last one, by the same task within one system call.
//!
//! The abstraction owns it: there is one per tty, beside the discipline's state, and a
//! discipline takes it through [`ReadContext::lock_readers`]; the `read` adapter releases it
//! after the last call of the `read()`.
//!
//! Beside the lock is the [`ReaderStage`], which belongs to whoever holds the lock: a
//! discipline may set input aside there in the first call of a `read()` and hand it out in
//! the continuation calls without taking its own lock for each 64 bytes. The `read` adapter
//! hands it out itself, without calling the discipline, while more than a call's worth stays
//! set aside ([`ReaderStage::hand_out_ahead`]); the call that would empty the stage goes to
//! the discipline, which takes back what was handed out.
//!
//! [`ReadContext::lock_readers`]: super::ReadContext::lock_readers

use crate::bindings;
use core::cell::UnsafeCell;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::LockClassKey;
use kernel::types::Opaque;

/// The most `tty_read()` hands the discipline per call (its `kernel_buf`): every call of a
/// `read()` but the last asks for this much.
pub(crate) const TTY_READ_CHUNK: usize = 64;

/// Input a discipline set aside for the `read()` that holds the reader lock, to hand out in
/// that `read()`'s continuation calls without its own lock: where the bytes are (they stay
/// where the discipline keeps them, which promises to leave them unchanged until it takes
/// them back: [`ReaderStage::set_aside`]), how many were set aside, how many were handed out,
/// and a mark the discipline keeps with them; and scratch space for the call that takes them.
/// Emptied when the `read()` ends.
///
/// # Invariants
///
/// While `handed_out < len`, the `len` bytes from `bytes` are valid for reads and not written
/// (the promise of [`ReaderStage::set_aside`]'s caller); `handed_out <= len`.
#[derive(pin_init::Zeroable)]
pub(crate) struct ReaderStage {
    bytes: *const u8,
    len: usize,
    handed_out: usize,
    mark: bool,
    scratch: [u8; TTY_READ_CHUNK],
}

impl ReaderStage {
    /// Sets `bytes` aside, with a mark to keep with them ([`ReaderStage::mark`]). What was
    /// set aside before is forgotten.
    ///
    /// # Safety
    ///
    /// Until the stage is cleared ([`ReaderStage::clear`]) or set aside anew, the memory of
    /// `bytes` must stay valid and unchanged: nothing may write it, though others may read
    /// it (the discipline's ring from its read position on, which only this reader moves).
    pub(crate) unsafe fn set_aside(&mut self, bytes: &[u8], mark: bool) {
        self.bytes = bytes.as_ptr();
        self.len = bytes.len();
        self.handed_out = 0;
        self.mark = mark;
    }

    /// The mark the last fill kept with its bytes.
    pub(crate) fn mark(&self) -> bool {
        self.mark
    }

    /// Scratch space of [`TTY_READ_CHUNK`] bytes (for the call that takes the bytes handed
    /// out back from the discipline).
    pub(crate) fn scratch(&mut self) -> &mut [u8] {
        &mut self.scratch
    }

    /// Copies the next bytes of the stage into `out`, as many as fit; returns how many.
    #[inline]
    pub(crate) fn hand_out(&mut self, out: &mut [u8]) -> usize {
        let n = (self.len - self.handed_out).min(out.len());
        if n == 0 {
            return 0;
        }
        // `handed_out < len`, so by the type invariant the `len - handed_out` bytes from
        // `bytes + handed_out` are valid for reads and nobody writes them; `n` is no more
        // than that and than `out`'s length, and `out`, a unique reference, cannot overlap
        // memory that is only read.
        // SAFETY: `handed_out < len` here (`n > 0`): the offset stays within the bytes set aside.
        let src = unsafe { self.bytes.add(self.handed_out) };
        if n == TTY_READ_CHUNK {
            // The usual call: `tty_read()`'s whole 64 bytes, copied by a fixed size (a few
            // moves in line rather than a call of `memcpy`).
            // SAFETY: `n` (`TTY_READ_CHUNK`) bytes from `src` are readable and unwritten and
            // fit in `out`, which cannot overlap them (above).
            unsafe { core::ptr::copy_nonoverlapping(src, out.as_mut_ptr(), TTY_READ_CHUNK) };
        } else {
            // SAFETY: `n` bytes from `src` are readable and unwritten and fit in `out`, which
            // cannot overlap them (above).
            unsafe { core::ptr::copy_nonoverlapping(src, out.as_mut_ptr(), n) };
        }
        self.handed_out += n;
        n
    }

    /// Copies the next bytes of the stage into `out`, filling it, when `out` has room for a
    /// whole call of `tty_read()` and more stays set aside after it: the continuation calls
    /// of a `read()` but the one that empties the stage, which the discipline answers (it
    /// takes back what was handed out). Returns how many bytes were copied, or `None`, with
    /// nothing copied.
    #[inline]
    pub(crate) fn hand_out_ahead(&mut self, out: &mut [u8]) -> Option<usize> {
        if out.len() < TTY_READ_CHUNK || self.len - self.handed_out <= out.len() {
            return None;
        }
        Some(self.hand_out(out))
    }

    /// Whether set-aside bytes are waiting to be handed out.
    pub(crate) fn is_active(&self) -> bool {
        self.handed_out < self.len
    }

    /// How many bytes of the current fill were handed out.
    pub(crate) fn handed_out(&self) -> usize {
        self.handed_out
    }

    /// Forgets what was set aside.
    pub(crate) fn clear(&mut self) {
        self.len = 0;
        self.handed_out = 0;
    }
}

/// A kernel mutex held across the calls of one `read()` system call, and the stage that
/// belongs to its holder.
///
/// # Invariants
///
/// `stage` is accessed only by the task that holds `mutex`, through [`ReadLock::stage`].
#[pin_data]
pub(super) struct ReadLock {
    #[pin]
    mutex: Opaque<bindings::mutex>,
    stage: UnsafeCell<ReaderStage>,
}

// SAFETY: A kernel mutex may be locked and unlocked from any task; the structure is only
// used through the kernel's mutex functions, and the stage only by the lock's holder.
unsafe impl Send for ReadLock {}
// SAFETY: As above: every access goes through the kernel's mutex functions, which are
// thread-safe, and the stage is reached only by the one task that holds the mutex (type
// invariant).
unsafe impl Sync for ReadLock {}

impl ReadLock {
    /// A new, unlocked reader lock, with the lock class `key` for lockdep.
    pub(super) fn new(name: &'static CStr, key: Pin<&'static LockClassKey>) -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `slot` is valid for writes of a `struct mutex` and pinned; `name` and
            // `key` are static, as `__mutex_init` requires.
            mutex <- Opaque::ffi_init(|slot| unsafe {
                bindings::__mutex_init(slot, name.as_char_ptr(), key.as_ptr())
            }),
            // Zeroed in place: an empty stage.
            stage <- pin_init::init_zeroed(),
        })
    }

    /// Takes the lock, sleeping interruptibly (`ERESTARTSYS` when a signal arrives), or
    /// without sleeping (`EAGAIN` when it is taken) for a non-blocking reader.
    ///
    /// Context: process context; may sleep unless `nonblocking`.
    pub(super) fn lock(&self, nonblocking: bool) -> Result {
        let mutex = self.mutex.get();
        if nonblocking {
            // SAFETY: The mutex was initialised in `new` and lives as long as `self`.
            return if unsafe { bindings::mutex_trylock(mutex) } != 0 {
                Ok(())
            } else {
                Err(EAGAIN)
            };
        }
        // SAFETY: As above. With lockdep the interruptible lock is the `_nested` function.
        #[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
        let failed = unsafe { bindings::mutex_lock_interruptible_nested(mutex, 0) };
        // SAFETY: As above.
        #[cfg(not(CONFIG_DEBUG_LOCK_ALLOC))]
        let failed = unsafe { bindings::mutex_lock_interruptible(mutex) };
        if failed != 0 {
            Err(ERESTARTSYS)
        } else {
            Ok(())
        }
    }

    /// Releases the lock.
    ///
    /// # Safety
    ///
    /// The current task must hold the lock (taken with [`ReadLock::lock`] earlier in the same
    /// system call).
    pub(super) unsafe fn unlock(&self) {
        // SAFETY: The caller holds the initialised mutex.
        unsafe { bindings::mutex_unlock(self.mutex.get()) };
    }

    /// The stage of the lock's holder.
    ///
    /// # Safety
    ///
    /// The current task must hold the lock, and no other reference to the stage may be alive
    /// while the returned one is.
    #[allow(clippy::mut_from_ref)]
    pub(super) unsafe fn stage(&self) -> &mut ReaderStage {
        // SAFETY: Only the lock's holder reaches the stage (type invariant), and the caller
        // holds the lock and has no other reference to it.
        unsafe { &mut *self.stage.get() }
    }
}
