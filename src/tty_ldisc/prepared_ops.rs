// SPDX-License-Identifier: GPL-2.0

//! Operations tables made ready to register, so that registering cannot fail.
//!
//! A module's init that fails after `tty_register_ldisc()` has stored a table of the module
//! is a use-after-free: the kernel frees a module whose init failed whatever its reference
//! count, and a tty that took the table in between (`TIOCSETD`, or any new tty once slot 0
//! holds it) keeps pointing into the freed module. So everything that can fail (checking
//! the number, allocating the table) is done here, before any table is registered, and
//! [`PreparedOps::register`] cannot fail: `tty_register_ldisc()` only refuses a number out of
//! `0..NR_LDISCS`.

use crate::bindings;
use kernel::prelude::*;

/// An operations table on the heap whose number is in `0..NR_LDISCS`, not registered yet.
pub(crate) struct PreparedOps(KBox<bindings::tty_ldisc_ops>);

impl PreparedOps {
    /// Checks `ops.num` (`EINVAL` out of range) and moves `ops` to the heap (`ENOMEM`).
    pub(crate) fn new(ops: bindings::tty_ldisc_ops) -> Result<Self> {
        let in_range = usize::try_from(ops.num).is_ok_and(|num| num < bindings::NR_LDISCS as usize);
        if !in_range {
            return Err(EINVAL);
        }
        Ok(Self(KBox::new(ops, GFP_KERNEL)?))
    }

    /// Registers the table under its number and returns the box, which must stay where it
    /// is until the table is unregistered or replaced in its slot. Cannot fail.
    ///
    /// # Safety
    ///
    /// The table's callbacks must be valid for every tty that takes the table, and its
    /// `owner` the module they live in (or null for functions of the kernel image).
    ///
    /// Context: process context; may sleep.
    pub(crate) unsafe fn register(self) -> KBox<bindings::tty_ldisc_ops> {
        // SAFETY: The caller vouches for the table; the box keeps it at one address for as
        // long as the caller keeps the box.
        let result = unsafe { bindings::tty_register_ldisc(&*self.0) };
        // `new` checked the number, the only thing `tty_register_ldisc()` refuses.
        debug_assert_eq!(result, 0);
        self.0
    }
}
