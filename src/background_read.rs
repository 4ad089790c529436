// SPDX-License-Identifier: GPL-2.0

//! Job control for reads: SIGTTIN or `EIO` for a reader outside the foreground group, which
//! is what `__tty_check_change(tty, SIGTTIN)` does, from exported pieces.
//!
//! `n_tty_read` calls the unexported `__tty_check_change()` with SIGTTIN. The decision itself
//! is the engine's pure [`check_job_control`]; this file gathers its inputs about the calling
//! task (`crate::task`, `tty_get_pgrp()`, `get_task_pid()`) and carries the outcome out.

use crate::bindings;
use crate::engine::{check_job_control, Decision, JobControlQuery, JobOp};
use crate::task::{group_is_orphaned, TaskPtr};
use crate::tty_ldisc::{Tty, TtyFile};
use kernel::prelude::*;

/// A counted reference to a `struct pid` (or null), dropped with `put_pid`.
struct PidRef(*mut bindings::pid);

impl Drop for PidRef {
    fn drop(&mut self) {
        // SAFETY: The pointer came from a function that returned a counted reference or null,
        // which `put_pid` accepts.
        unsafe { bindings::put_pid(self.0) };
    }
}

/// Checks a read by the current task on `tty` (`job_control()` in `n_tty.c`).
///
/// Returns `ERESTARTSYS` after sending SIGTTIN to the caller's group, `EIO` when the group
/// is orphaned or ignores or blocks SIGTTIN, and `Ok` otherwise.
pub(crate) fn check_read(tty: &Tty, file: &TtyFile) -> Result {
    if file.is_console() {
        return Ok(());
    }
    let current = TaskPtr::current();
    if !tty.is(current.controlling_tty()) {
        return Ok(());
    }
    // SAFETY: `tty` is valid; `tty_get_pgrp` returns a counted reference or null.
    let tty_pgrp = PidRef(unsafe { bindings::tty_get_pgrp(tty.as_raw()) });
    // SAFETY: The current task is valid; `get_task_pid` returns a counted reference or null.
    let own_pgrp = PidRef(unsafe {
        bindings::get_task_pid(
            kernel::task::Task::current_raw(),
            bindings::pid_type_PIDTYPE_PGID,
        )
    });
    let sigttin = bindings::SIGTTIN as i32;
    let query = JobControlQuery {
        is_controlling_tty: true,
        tty_has_pgrp: !tty_pgrp.0.is_null(),
        caller_in_foreground: tty_pgrp.0 == own_pgrp.0,
        signal_ignored_or_blocked: current.blocks_or_ignores(sigttin),
        caller_group_orphaned: !own_pgrp.0.is_null() && group_is_orphaned(own_pgrp.0),
        op: JobOp::Read,
        redirected: false,
    };
    match check_job_control(&query) {
        Decision::Allow => Ok(()),
        Decision::Eio => Err(EIO),
        Decision::SignalGroupAndRestart(_) => {
            // SAFETY: `own_pgrp` is a counted reference to a valid pid.
            unsafe { bindings::kill_pgrp(own_pgrp.0, sigttin, 1) };
            current.set_sigpending();
            Err(ERESTARTSYS)
        }
    }
}
