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
//! [`ReadContext::lock_readers`]: super::ReadContext::lock_readers

use crate::bindings;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::LockClassKey;
use kernel::types::Opaque;

/// A kernel mutex held across the calls of one `read()` system call.
#[pin_data]
pub(super) struct ReadLock {
    #[pin]
    mutex: Opaque<bindings::mutex>,
}

// SAFETY: A kernel mutex may be locked and unlocked from any task; the structure is only
// used through the kernel's mutex functions.
unsafe impl Send for ReadLock {}
// SAFETY: As above: every access goes through the kernel's mutex functions, which are
// thread-safe.
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
}
