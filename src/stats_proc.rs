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
use core::pin::Pin;
use core::sync::atomic::AtomicBool;
use core::sync::atomic::Ordering;
use kernel::ffi;
use kernel::prelude::*;
use kernel::types::Opaque;

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

/// One tty's line in `/proc/tty/n_rust`: the C list's entry, kept in the tty's [`NRust`]
/// (whose pages are pinned, so the list can link to it) rather than allocated on its own, and
/// listed by [`StatsEntry::add`] if it could be (the discipline works without it).
///
/// # Invariants
///
/// Outside [`StatsEntry::add`] (which holds a shared reference, so no drop overlaps it),
/// `listed` is true exactly when `entry` is on the list, for the [`NRust`] that holds this
/// value; it stays there until this value drops.
pub(crate) struct StatsEntry {
    entry: Opaque<bindings::n_rust_stats_entry>,
    listed: AtomicBool,
}

// SAFETY: `entry` is written only by `n_rust_stats_add` and `n_rust_stats_remove` and read by
// the file's reader, all under the list's mutex on the C side; `listed` is atomic.
unsafe impl Send for StatsEntry {}
// SAFETY: As for `Send`: a shared reference gives no unsynchronised access to `entry`.
unsafe impl Sync for StatsEntry {}

impl StatsEntry {
    /// Not listed yet.
    pub(crate) const fn new() -> Self {
        Self {
            entry: Opaque::uninit(),
            listed: AtomicBool::new(false),
        }
    }

    /// Lists `owner`'s tty in `/proc/tty/n_rust` by `owner`'s own entry, which is taken off
    /// the list when it drops (before the state the line reads: `NRust` declares it first). A
    /// failure is logged and lists nothing; a second call does nothing.
    ///
    /// Context: process context (the discipline's `open`); may sleep.
    pub(crate) fn add(owner: Pin<&NRust>, tty: &Tty) {
        let this = &owner.stats_entry;
        if this
            .listed
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        let name = tty.name();
        let dev = tty.device_number();
        let owner: *const NRust = &*owner;
        // The entry stays at its address while listed: it is in `owner`, which is pinned, and
        // its drop takes it off the list first. `owner` outlives the listing: it holds the entry.
        // SAFETY: `entry` and `owner` are valid while listed (above); `name` is a NUL-terminated
        // string valid for the call (the C side copies it).
        let ret = unsafe {
            bindings::n_rust_stats_add(this.entry.get(), name.as_char_ptr(), dev, owner.cast())
        };
        if ret != 0 {
            this.listed.store(false, Ordering::Release);
            pr_warn!("no counters in /proc/tty/n_rust for {name}\n");
        }
        // INVARIANT: `listed` is true again only when `ret` is 0: listed, for the `NRust` that
        // holds `this`.
    }
}

impl Drop for StatsEntry {
    fn drop(&mut self) {
        if *self.listed.get_mut() {
            // SAFETY: By the type invariant `entry` is on the list; taken off once, here. When
            // this returns no reader of the file reads its counters, and none starts.
            unsafe { bindings::n_rust_stats_remove(self.entry.get()) };
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
