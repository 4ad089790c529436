// SPDX-License-Identifier: GPL-2.0

//! Serving the N_TTY slot (number 0): every tty the kernel sets up afterwards gets the
//! discipline there (`tty_ldisc_init()` asks for N_TTY, so do `tty_ldisc_reinit()` after a
//! hangup and the fallback of a failed `TIOCSETD`, and a virtual console admits no other
//! number), and giving the slot back on unload.
//!
//! # What slot 0 holds, and for how long
//!
//! `tty_register_ldisc()` stores a pointer to the operations table, and
//! `tty_unregister_ldisc()` stores NULL; the kernel copies nothing. Three tables meet here:
//!
//! - [`SlotZero`]'s own table: the discipline's adapters, `owner` this module. Every tty on
//!   it holds a reference on the module (`get_ldops()` takes one with `try_module_get(owner)`
//!   and `put_ldops()` drops it), so the module, and the table, cannot go while a tty runs
//!   it: `rmmod` answers `EBUSY`.
//! - [`PermanentOps`]: what is put back on unload. Slot 0 must never be empty (a tty opened
//!   then fails with `EAGAIN`, and `tty_ldisc_reinit(tty, N_TTY)` ends in `BUG_ON`), so the
//!   unload replaces the table in one `tty_register_ldisc()` instead of unregistering. The
//!   table put back has no owner and must outlive this module: nothing counts who uses it.
//!   It is the table slot 0 held when the module was loaded, read off a pty opened for the
//!   purpose (the kernel's own `n_tty_ops`, in the kernel image); where no pty can be opened,
//!   a copy made by `n_tty_inherit_ops()` on the heap, which is never freed (see
//!   [`PermanentOps::leak_copy_of_n_tty`]).
//! - [`NttyRegistration`]: N_TTY under another number, for comparing with it while slot 0
//!   is taken. Its functions are N_TTY's, in the kernel image, but its `owner` is this
//!   module, so ttys on it hold the module too, and the table can live in the module's heap
//!   and be unregistered and freed on unload.
//!
//! A gap the kernel leaves: `rmmod` marks the module as going before it calls the module's
//! exit, and from then until the exit has put N_TTY back, `try_module_get()` on it fails, so
//! a tty opened then fails with `EAGAIN`, and a hung-up tty reopened or a console hung up
//! then (a VT logout: `tty_vhangup_session()`; both `tty_ldisc_reinit(tty, N_TTY)`) hits the
//! `BUG_ON`. The window is short only if the exit gives the slot back before anything slow:
//! n_rust's exit does it first, before it prints anything (a message on a serial console
//! takes milliseconds). Nothing runs n_rust at that point (the module's count is 0), so only
//! ttys that meet slot 0 in that window are concerned.

use super::vtable::LdiscVTable;
use super::LineDiscipline;
use super::PreparedOps;
use crate::bindings;
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::ffi;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::ThisModule;

/// A `tty_ldisc_ops` for N_TTY (number 0) that no module owns and that is never freed.
///
/// # Invariants
///
/// The table is valid for the rest of the kernel's life, its `num` is 0 and its `owner` is
/// null.
pub(crate) struct PermanentOps(NonNull<bindings::tty_ldisc_ops>);

// SAFETY: The table is immutable and lives forever (type invariant); the tty layer shares it
// between threads itself.
unsafe impl Send for PermanentOps {}
// SAFETY: See above.
unsafe impl Sync for PermanentOps {}

/// The pty master opened to see what slot 0 holds.
const PTMX: &CStr = c"/dev/ptmx";

impl PermanentOps {
    /// The table slot 0 holds now, read from the discipline of a pty master opened (and
    /// closed) for the purpose: `tty_ldisc_init()` gave it the slot's table. Fails when no
    /// pty can be opened or `/dev/ptmx` is not the tty layer's ptmx (character device 5:2
    /// opened through its cdev: in a chroot or container the name may be any file), and with `EBUSY` when a module owns the table (another discipline
    /// serves slot 0: putting its table back after that module is gone would leave slot 0
    /// pointing into freed memory).
    ///
    /// Context: process context (module init); may sleep. Opens `/dev/ptmx` in the caller's
    /// view of the file system.
    pub(crate) fn observe_slot_zero() -> Result<Self> {
        let flags = bindings::O_RDWR | bindings::O_NOCTTY;
        // SAFETY: The path is a NUL-terminated string; filp_open returns a file or an ERR_PTR.
        let file = kernel::error::from_err_ptr(unsafe {
            bindings::filp_open(PTMX.as_char_ptr(), flags as ffi::c_int, 0)
        })?;
        // `n_rust_ptmx_tty()` returns the file's tty only if the file is a pty master opened by
        // the tty layer's `ptmx_open()` (see `src/helpers.c`), else null. `tty_ldisc_ref()`
        // returns the tty's discipline with its semaphore held for reading, or null.
        // SAFETY: `file` is open, so its tty is valid; while the ldisc reference is held its
        // table cannot change or go, and number and owner are read before `tty_ldisc_deref()`.
        let observed = unsafe {
            let tty = bindings::n_rust_ptmx_tty(file);
            let ld = if tty.is_null() {
                core::ptr::null_mut()
            } else {
                bindings::tty_ldisc_ref(tty)
            };
            if ld.is_null() {
                None
            } else {
                let ops = (*ld).ops;
                let seen = (ops, (*ops).num, (*ops).owner);
                bindings::tty_ldisc_deref(ld);
                Some(seen)
            }
        };
        // SAFETY: `file` came from filp_open and is closed once, here; it was never installed
        // in a file table, so no owner id is needed.
        unsafe { bindings::filp_close(file, core::ptr::null_mut()) };
        let (ops, num, owner) = observed.ok_or(EIO)?;
        let ops = NonNull::new(ops.cast_mut()).ok_or(EIO)?;
        if num != 0 || !owner.is_null() {
            return Err(EBUSY);
        }
        // INVARIANT: Number 0, no owner: the table is in the kernel image (`n_tty_ops`,
        // registered by `n_tty_init()` at boot, its owner null because n_tty is built in) or
        // a copy an earlier load of this module leaked on purpose; both are never freed.
        Ok(Self(ops))
    }

    /// A copy of N_TTY's operations (`n_tty_inherit_ops()`: number 0, no owner) on the heap,
    /// leaked: once in slot 0 it must outlive this module, and nothing can tell when the last
    /// tty stops using it. One such copy (about 140 bytes) is left per load where
    /// [`Self::observe_slot_zero`] failed; a later load observes it and puts it back instead
    /// of making another.
    pub(crate) fn leak_copy_of_n_tty() -> Result<Self> {
        let mut copy = KBox::new(bindings::tty_ldisc_ops::default(), GFP_KERNEL)?;
        // SAFETY: `copy` is a valid table to overwrite.
        unsafe { bindings::n_tty_inherit_ops(&mut *copy) };
        copy.num = 0;
        // INVARIANT: Leaked, so never freed; number 0; `n_tty_inherit_ops()` cleared the owner.
        Ok(Self(NonNull::from(KBox::leak(copy))))
    }

    /// The table's name (`n_tty` for the kernel's), for the log.
    pub(crate) fn name(&self) -> &CStr {
        // SAFETY: The table is valid (type invariant) and its name a NUL-terminated string
        // that lives as long (the kernel's is a literal; a copy shares it).
        unsafe { CStr::from_char_ptr(self.0.as_ref().name) }
    }
}

/// `T` registered in slot 0 in place of N_TTY. Dropping it puts [`PermanentOps`] back.
///
/// # Invariants
///
/// `_ops` is registered in slot 0 from creation until drop, and never moves (it is boxed);
/// nothing reads it here, the tty layer does.
pub(crate) struct SlotZero<T: LineDiscipline> {
    _ops: KBox<bindings::tty_ldisc_ops>,
    restore: PermanentOps,
    _discipline: PhantomData<T>,
}

// SAFETY: As for `Registration`: only immutable tables shared with the tty layer.
unsafe impl<T: LineDiscipline> Send for SlotZero<T> {}
// SAFETY: See above.
unsafe impl<T: LineDiscipline> Sync for SlotZero<T> {}

/// `T`'s table for slot 0, allocated, not registered yet (see [`PreparedOps`]).
pub(crate) struct PreparedSlotZero<T: LineDiscipline> {
    ops: PreparedOps,
    restore: PermanentOps,
    _discipline: PhantomData<T>,
}

impl<T: LineDiscipline> SlotZero<T> {
    /// Prepares `T` for number 0 under `name`; `restore` goes back on drop. Nothing is
    /// registered yet.
    pub(crate) fn prepare(
        name: &'static CStr,
        module: &'static ThisModule,
        restore: PermanentOps,
    ) -> Result<PreparedSlotZero<T>> {
        let ops = PreparedOps::new(bindings::tty_ldisc_ops {
            name: name.as_char_ptr().cast_mut(),
            num: bindings::N_TTY as ffi::c_int,
            owner: module.as_ptr(),
            ..LdiscVTable::<T>::VTABLE
        })?;
        Ok(PreparedSlotZero {
            ops,
            restore,
            _discipline: PhantomData,
        })
    }

    /// The name of the table that goes back on drop, for the log.
    pub(crate) fn restore_name(&self) -> &CStr {
        self.restore.name()
    }
}

impl<T: LineDiscipline> PreparedSlotZero<T> {
    /// Registers the table in slot 0; cannot fail. From here every new tty takes it, and a
    /// module reference, so module init must not fail after this.
    ///
    /// Context: process context (module init); may sleep.
    pub(crate) fn take(self) -> SlotZero<T> {
        // SAFETY: A complete table whose callbacks are valid for `T`, owned by the module
        // they are in; `SlotZero` keeps the box until `drop` has replaced it in the slot.
        let ops = unsafe { self.ops.register() };
        // INVARIANT: Registered just above; replaced in `drop`.
        SlotZero {
            _ops: ops,
            restore: self.restore,
            _discipline: PhantomData,
        }
    }
}

impl<T: LineDiscipline> Drop for SlotZero<T> {
    /// Puts `restore` in slot 0 whatever the slot holds by then. If another module registered
    /// slot 0 after this one, its table is replaced too (its ttys keep it and hold that
    /// module; new ttys get N_TTY). Nothing exported tells what a slot holds without a
    /// lookup, and a lookup here (a pty opened) would widen the window in which slot 0 fails
    /// (see the module documentation); such a module would be replacing n_rust's table
    /// without a word anyway, as `tty_register_ldisc()` allows.
    fn drop(&mut self) {
        // Registering `restore` replaces `self.ops` in one store under the tty layer's lock,
        // so slot 0 is never empty. No tty uses `self._ops` (each would hold a module
        // reference, and the module is going away with none), and a lookup racing with this
        // store fails its `try_module_get()` on the going module without keeping the pointer,
        // so the box can be freed after this.
        // SAFETY: `restore` is a complete table for number 0 that outlives the kernel.
        let result = unsafe { bindings::tty_register_ldisc(self.restore.0.as_ptr()) };
        if result != 0 {
            // Only a number out of range fails, and 0 is not.
            pr_err!("putting N_TTY back in slot 0 failed ({result})\n");
        }
    }
}

/// N_TTY's operations registered under another number, owned by this module. Dropping it
/// unregisters them.
///
/// # Invariants
///
/// `ops` is registered under `ops.num` from creation until drop, and never moves.
pub(crate) struct NttyRegistration {
    ops: KBox<bindings::tty_ldisc_ops>,
}

// SAFETY: As for `Registration`.
unsafe impl Send for NttyRegistration {}
// SAFETY: See above.
unsafe impl Sync for NttyRegistration {}

/// N_TTY's operations for a spare number, allocated, not registered yet (see
/// [`PreparedOps`]).
pub(crate) struct PreparedNtty(PreparedOps);

impl NttyRegistration {
    /// Prepares N_TTY's operations (`n_tty_inherit_ops()`) as number `number`, named
    /// `n_tty`, owned by `module`; nothing is registered yet. `number` must already be
    /// validated.
    pub(crate) fn prepare(number: u32, module: &'static ThisModule) -> Result<PreparedNtty> {
        let mut ops = bindings::tty_ldisc_ops::default();
        // SAFETY: `ops` is a valid table to overwrite.
        unsafe { bindings::n_tty_inherit_ops(&mut ops) };
        ops.num = number as ffi::c_int;
        // The functions are the kernel's, but the table is this module's memory: every tty
        // on it must hold the module, which `get_ldops()` does through `owner`.
        ops.owner = module.as_ptr();
        Ok(PreparedNtty(PreparedOps::new(ops)?))
    }
}

impl PreparedNtty {
    /// Registers the table; cannot fail.
    ///
    /// Context: process context (module init); may sleep.
    pub(crate) fn register(self) -> NttyRegistration {
        // `NttyRegistration` keeps the box until `drop` unregisters it.
        // SAFETY: A complete table of N_TTY's functions (in the kernel image), owned by this
        // module, whose memory it is.
        let ops = unsafe { self.0.register() };
        // INVARIANT: Registered just above; unregistered in `drop`.
        NttyRegistration { ops }
    }
}

impl Drop for NttyRegistration {
    fn drop(&mut self) {
        // SAFETY: `ops` is registered (type invariant) and no tty uses it: each holds a module
        // reference, and none is left when the module goes away.
        unsafe { bindings::tty_unregister_ldisc(&*self.ops) };
    }
}
