// SPDX-License-Identifier: GPL-2.0

//! Job control for reads: SIGTTIN or `EIO` for a reader outside the foreground group, which
//! is what `__tty_check_change(tty, SIGTTIN)` does, from exported pieces.
//!
//! `n_tty_read` calls the unexported `__tty_check_change()` with SIGTTIN. The decision itself
//! is the engine's pure [`check_job_control`]; this file gathers its inputs about the calling
//! task (`crate::task`, `tty_get_pgrp()`, `get_task_pid()`) and carries the outcome out.

use crate::bindings;
use crate::engine::check_job_control;
use crate::engine::Decision;
use crate::engine::JobControlQuery;
use crate::task::Pid;
use crate::task::TaskPtr;
use crate::tty_ldisc::Tty;
use crate::tty_ldisc::TtyFile;
use kernel::prelude::*;

/// Checks a read by the current task on `tty` (`job_control()` in `n_tty.c`).
///
/// Returns `ERESTARTSYS` after sending SIGTTIN to the caller's group, `EIO` when the group
/// is orphaned or ignores or blocks SIGTTIN, and `Ok` otherwise.
///
/// Context: process context, in the reading task; does not sleep. Walks the caller's process
/// group under `rcu_read_lock()`, only for a caller in the background.
pub(crate) fn check_read(tty: &Tty, file: &TtyFile) -> Result {
    if file.is_console() || !tty.is_current_controlling_tty() {
        return Ok(());
    }
    let tty_pgrp = tty.foreground_pgrp();
    let own_pgrp = Pid::current_pgrp();
    // In the foreground, or no foreground group: nothing more to look at (the group walk
    // below is the costly part, and `__tty_check_change` makes it only for a background
    // caller that does not ignore the signal).
    if tty_pgrp.is_none() || tty_pgrp == own_pgrp {
        return Ok(());
    }
    let current = TaskPtr::current();
    let sigttin = bindings::SIGTTIN as i32;
    let signal_ignored_or_blocked = current.blocks_or_ignores(sigttin);
    let query = JobControlQuery {
        is_controlling_tty: true,
        tty_has_pgrp: true,
        caller_in_foreground: false,
        signal_ignored_or_blocked,
        caller_group_orphaned: !signal_ignored_or_blocked
            && own_pgrp.as_ref().is_some_and(Pid::group_is_orphaned),
        redirected: false,
    };
    match check_job_control(&query) {
        Decision::Allow => Ok(()),
        Decision::Eio => Err(EIO),
        Decision::SignalGroupAndRestart(_) => {
            if let Some(own_pgrp) = &own_pgrp {
                own_pgrp.kill_group(sigttin);
            }
            current.set_sigpending();
            Err(ERESTARTSYS)
        }
    }
}
