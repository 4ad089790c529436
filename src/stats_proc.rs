// SPDX-License-Identifier: GPL-2.0

//! The per-tty counters in `/proc/tty/n_rust`: one line per tty n_rust runs on, its name,
//! `dev=major:minor` and `name=value` for each counter of [`Counters`], listed when n_rust
//! opens on a tty and taken off when it closes there (as the tty layer's
//! `/proc/tty/driver/<driver>` lists its ports).
//!
//! The kernel crate has no procfs or `seq_file` abstraction, so the file and its list are C in
//! `src/helpers.c` (the counters' names come from `N_RUST_STATS_COUNTERS` in
//! `include/n_rust_tty.h`). A read of the file calls back [`counter_values`] here for each
//! tty, which takes the counters from the discipline state under its lock.
//!
//! A sysfs directory per tty with one file per counter, which this replaced, made 16 kernfs
//! nodes per tty: about 2.5 KiB of kernel memory, and a close of a pty took 5.8 times N_TTY's
//! (the benchmark's "closing a pty pair" row; 180 µs against N_TTY's 179 without them).

use crate::bindings;
use crate::discipline::NRust;
use crate::engine::Counters;
use crate::tty_ldisc::Tty;
use core::ffi::c_void;
use core::ptr::NonNull;
use core::sync::atomic::AtomicPtr;
use core::sync::atomic::Ordering;
use kernel::ffi;
use kernel::prelude::*;

/// The value of each counter, in the order of `N_RUST_STATS_COUNTERS` (their names).
const COUNTER_VALUES: [fn(&Counters) -> u64; 14] = [
    |c| c.received,
    |c| c.read,
    |c| c.written,
    |c| c.echoed,
    |c| c.sigint,
    |c| c.sigquit,
    |c| c.sigtstp,
    |c| c.sigttin,
    |c| c.sigttou,
    |c| c.overruns,
    |c| c.drops,
    |c| c.throttles,
    |c| c.unthrottles,
    |c| c.lines,
];

// One value per name of the C table.
const _: () = assert!(COUNTER_VALUES.len() == bindings::STATS_NR as usize);

/// `/proc/tty/n_rust`, from module load to unload.
pub(crate) struct StatsRoot(());

impl StatsRoot {
    /// Makes `/proc/tty/n_rust`.
    pub(crate) fn create() -> Result<Self> {
        // SAFETY: Called once, at module load, before the discipline is registered (so before
        // any tty is listed); `counter_values` has the C signature.
        kernel::error::to_result(unsafe { bindings::n_rust_stats_init(Some(counter_values)) })?;
        Ok(Self(()))
    }
}

impl Drop for StatsRoot {
    fn drop(&mut self) {
        // The module is unloaded only when no tty runs the discipline (the tty layer holds a
        // module reference for each).
        // SAFETY: `create` succeeded, and every tty has been taken off the list by now.
        unsafe { bindings::n_rust_stats_exit() };
    }
}

/// One tty's line in `/proc/tty/n_rust`, if it could be listed (`None` until
/// [`StatsEntry::add`], and when the list refused it: the discipline works without it).
///
/// # Invariants
///
/// A non-null pointer is an entry made by `n_rust_stats_add` for the [`NRust`] that owns this
/// value, not yet removed.
pub(crate) struct StatsEntry(AtomicPtr<bindings::n_rust_stats_entry>);

impl StatsEntry {
    /// Not listed yet.
    pub(crate) const fn new() -> Self {
        Self(AtomicPtr::new(core::ptr::null_mut()))
    }

    /// Lists `tty`, whose counters are those of `owner`, which owns `self`: taken off the list
    /// when `self` drops, so `owner` must drop `self` before the state the line reads (declare
    /// it first). A failure is logged and lists nothing.
    ///
    /// Context: process context (the discipline's `open`); may sleep.
    pub(crate) fn add(&self, tty: &Tty, owner: &NRust) {
        let name = tty.name();
        let dev = tty.device_number();
        let owner: *const NRust = owner;
        // SAFETY: `name` is a NUL-terminated string valid for the call (the C side copies it);
        // `owner` stays valid while the entry is listed, as this method's contract says.
        let entry = unsafe { bindings::n_rust_stats_add(name.as_char_ptr(), dev, owner.cast()) };
        if entry.is_null() {
            pr_warn!("no counters in /proc/tty/n_rust for {name}\n");
            return;
        }
        // INVARIANT: An entry just made for `owner`; a second `add` replaces none.
        if self
            .0
            .compare_exchange(
                core::ptr::null_mut(),
                entry,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err()
        {
            // SAFETY: `entry` was made just above and is not stored anywhere.
            unsafe { bindings::n_rust_stats_remove(entry) };
        }
    }
}

impl Drop for StatsEntry {
    fn drop(&mut self) {
        if let Some(entry) = NonNull::new(*self.0.get_mut()) {
            // SAFETY: By the type invariant an entry not yet removed; removed once, here.
            // When this returns no reader of the file reads its counters, and none starts.
            unsafe { bindings::n_rust_stats_remove(entry.as_ptr()) };
        }
    }
}

/// Reads the counters of `owner` into `values` (`nr` of them; the C side's
/// `n_rust_stats_values`). Values past the table are left alone.
///
/// # Safety
///
/// `owner` is the [`NRust`] a live [`StatsEntry`] listed: the file reads an entry only while
/// it is listed, and [`StatsEntry`] takes it off before `owner` drops. `values` is valid for
/// writes of `nr` values.
unsafe extern "C" fn counter_values(owner: *const c_void, values: *mut u64, nr: ffi::c_uint) {
    // SAFETY: The caller's promise: `owner` is a live `NRust`.
    let owner = unsafe { &*owner.cast::<NRust>() };
    // SAFETY: The caller's promise: `values` is valid for `nr` writes, and nothing else
    // accesses them during the call.
    let values = unsafe { core::slice::from_raw_parts_mut(values, nr as usize) };
    let counters = owner.counters();
    for (slot, value) in values.iter_mut().zip(COUNTER_VALUES) {
        *slot = value(&counters);
    }
}
