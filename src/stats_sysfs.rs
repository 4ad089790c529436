// SPDX-License-Identifier: GPL-2.0

//! The per-tty counters in sysfs: `/sys/kernel/n_rust/<tty name>/<counter>`, one read-only
//! file per counter of [`Counters`] plus `dev` (the tty's `major:minor`), made when n_rust
//! opens on a tty and removed when it closes there.
//!
//! The kernel crate has no kobject or sysfs abstraction, so the directory and its files are
//! made by C in `src/helpers.c` (a kset `n_rust` under `/sys/kernel`, one kobject per tty with
//! a static attribute table named by `N_RUST_STATS_COUNTERS` in `include/n_rust_tty.h`). A
//! read of a file calls back [`counter_value`] here, which takes the counters from the
//! discipline state under its lock.

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

/// The value of each file, in the order of `N_RUST_STATS_COUNTERS` (the file names).
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

// One value per file of the C table.
const _: () = assert!(COUNTER_VALUES.len() == bindings::STATS_NR as usize);

/// `/sys/kernel/n_rust`, from module load to unload.
pub(crate) struct StatsRoot(());

impl StatsRoot {
    /// Makes `/sys/kernel/n_rust`.
    pub(crate) fn create() -> Result<Self> {
        // SAFETY: Called once, at module load, before the discipline is registered (so before
        // any directory of a tty is added); `counter_value` has the C signature.
        kernel::error::to_result(unsafe { bindings::n_rust_stats_init(Some(counter_value)) })?;
        Ok(Self(()))
    }
}

impl Drop for StatsRoot {
    fn drop(&mut self) {
        // The module is unloaded only when no tty runs the discipline (the tty layer holds a
        // module reference for each).
        // SAFETY: `create` succeeded, and every tty's directory has been removed by now.
        unsafe { bindings::n_rust_stats_exit() };
    }
}

/// The counters' directory of one tty, if it could be made (`None` until [`StatsDir::add`],
/// and when sysfs refused it: the discipline works without it).
///
/// # Invariants
///
/// A non-null pointer is a directory made by `n_rust_stats_dir_add` for the [`NRust`] that
/// owns this value, not yet removed.
pub(crate) struct StatsDir(AtomicPtr<bindings::n_rust_stats_dir>);

impl StatsDir {
    /// No directory yet.
    pub(crate) const fn new() -> Self {
        Self(AtomicPtr::new(core::ptr::null_mut()))
    }

    /// Adds the directory of `tty` whose files read the counters of `owner`, which owns
    /// `self`: it is removed when `self` drops, so `owner` must drop `self` before the state
    /// the files read (declare it first). A failure is logged and leaves no directory.
    ///
    /// Context: process context (the discipline's `open`); may sleep.
    pub(crate) fn add(&self, tty: &Tty, owner: &NRust) {
        let name = tty.name();
        let dev = tty.device_number();
        let owner: *const NRust = owner;
        // SAFETY: `name` is a NUL-terminated string valid for the call (the C side copies it);
        // `owner` stays valid while the directory exists, as this method's contract says.
        let dir = unsafe { bindings::n_rust_stats_dir_add(name.as_char_ptr(), dev, owner.cast()) };
        if dir.is_null() {
            pr_warn!("no counters in sysfs for {name}\n");
            return;
        }
        // INVARIANT: A directory just made for `owner`; a second `add` replaces none.
        if self
            .0
            .compare_exchange(
                core::ptr::null_mut(),
                dir,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err()
        {
            // SAFETY: `dir` was made just above and is not stored anywhere.
            unsafe { bindings::n_rust_stats_dir_remove(dir) };
        }
    }
}

impl Drop for StatsDir {
    fn drop(&mut self) {
        if let Some(dir) = NonNull::new(*self.0.get_mut()) {
            // SAFETY: By the type invariant a directory not yet removed; removed once, here.
            // When this returns no read of its files runs (sysfs drains them), and none starts.
            unsafe { bindings::n_rust_stats_dir_remove(dir.as_ptr()) };
        }
    }
}

/// Reads counter `index` for a file of the directory of `owner` (the C side's
/// `n_rust_stats_value`). An index past the table reads as zero.
///
/// # Safety
///
/// `owner` is the [`NRust`] a live [`StatsDir`] added the directory for: sysfs calls the file's
/// read only while the directory exists, and [`StatsDir`] removes it before `owner` drops.
unsafe extern "C" fn counter_value(owner: *const c_void, index: ffi::c_uint) -> u64 {
    // SAFETY: The caller's promise: `owner` is a live `NRust`.
    let owner = unsafe { &*owner.cast::<NRust>() };
    let counters = owner.counters();
    COUNTER_VALUES
        .get(index as usize)
        .map_or(0, |value| value(&counters))
}
