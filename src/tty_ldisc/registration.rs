// SPDX-License-Identifier: GPL-2.0

//! The registration of a line discipline under its number: the operations table of
//! [`LdiscVTable`] with the name, number and owner filled in, registered with the tty layer
//! and unregistered on drop.

use super::vtable::LdiscVTable;
use super::LineDiscipline;
use super::PreparedOps;
use crate::bindings;
use core::marker::PhantomData;
use kernel::ffi;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::ThisModule;

/// A registered line discipline. Dropping it unregisters the discipline.
///
/// # Invariants
///
/// `ops` is registered with the tty layer under `ops.num` from creation until drop, and
/// never moves (it is boxed).
pub(crate) struct Registration<T: LineDiscipline> {
    ops: KBox<bindings::tty_ldisc_ops>,
    _discipline: PhantomData<T>,
}

// SAFETY: The registration only holds the operations table, which is immutable after
// registration and shared with the tty layer, which may use it from any thread.
unsafe impl<T: LineDiscipline> Send for Registration<T> {}
// SAFETY: See above; `&Registration` gives no access to anything mutable.
unsafe impl<T: LineDiscipline> Sync for Registration<T> {}

/// `T`'s table for one number, allocated and checked, not registered yet (see
/// [`PreparedOps`]).
pub(crate) struct PreparedRegistration<T: LineDiscipline> {
    ops: PreparedOps,
    _discipline: PhantomData<T>,
}

impl<T: LineDiscipline> Registration<T> {
    /// Prepares `T` as line discipline number `number` under `name`; nothing is registered
    /// yet. `number` must already be validated: `tty_register_ldisc()` replaces whatever
    /// holds the slot.
    pub(crate) fn prepare(
        name: &'static CStr,
        number: u32,
        module: &'static ThisModule,
    ) -> Result<PreparedRegistration<T>> {
        // The number is a module parameter, so the registered table is a copy of the `const`
        // one with the name, number and owner filled in.
        let ops = PreparedOps::new(bindings::tty_ldisc_ops {
            name: name.as_char_ptr().cast_mut(),
            num: number as ffi::c_int,
            owner: module.as_ptr(),
            ..LdiscVTable::<T>::VTABLE
        })?;
        Ok(PreparedRegistration {
            ops,
            _discipline: PhantomData,
        })
    }
}

impl<T: LineDiscipline> PreparedRegistration<T> {
    /// Registers the table; cannot fail. From here a tty may take it, and a module reference.
    ///
    /// Context: process context (module init); may sleep.
    pub(crate) fn register(self) -> Registration<T> {
        // SAFETY: A complete operations table whose callbacks are valid for `T`, owned by the
        // module they are in; `Registration` keeps the box until `drop` unregisters it.
        let ops = unsafe { self.ops.register() };
        // INVARIANT: Registered just above; unregistered in `drop`.
        Registration {
            ops,
            _discipline: PhantomData,
        }
    }
}

impl<T: LineDiscipline> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: `ops` is registered (type invariant), and no tty uses it: each one holds a
        // module reference, so none is left when the module, and this registration, goes away.
        unsafe { bindings::tty_unregister_ldisc(&*self.ops) };
    }
}
