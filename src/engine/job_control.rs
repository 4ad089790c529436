//! Job control of a read as a pure decision: `__tty_check_change(tty, SIGTTIN)` in
//! `drivers/tty/tty_jobctrl.c`, as `n_tty_read` calls it through `job_control()`.
//!
//! Only the read side is decided here. `__tty_check_change` is not exported, so the module
//! gathers its inputs and takes this decision (`src/background_read.rs`). The write side
//! (`TOSTOP`, SIGTTOU) is not: `n_tty_write` calls the exported `tty_check_change()`, and the
//! module calls that same kernel function, so there is no second copy of it to test here;
//! the guest's job-control program checks it with real processes on n_rust and N_TTY.

use super::actions::Signal;

/// What the glue knows about the reader and the tty.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct JobControlQuery {
    /// The tty is the caller's controlling tty (`current->signal->tty == tty`).
    pub is_controlling_tty: bool,
    /// The tty has a foreground process group (`tty->ctrl.pgrp != NULL`).
    pub tty_has_pgrp: bool,
    /// The caller's process group is the tty's foreground group.
    pub caller_in_foreground: bool,
    /// SIGTTIN is blocked or ignored by the caller.
    pub signal_ignored_or_blocked: bool,
    /// The caller's process group is orphaned.
    pub caller_group_orphaned: bool,
    /// The file was opened through the console redirect (`redirected_tty_write`): never stopped.
    pub redirected: bool,
}

/// The outcome of the check.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// Send the signal to the caller's process group and fail with `-ERESTARTSYS`.
    SignalGroupAndRestart(Signal),
    /// Fail with `-EIO`.
    Eio,
}

/// Decide as `__tty_check_change(tty, SIGTTIN)` does for a read.
pub const fn check_job_control(q: &JobControlQuery) -> Decision {
    if q.redirected || !q.is_controlling_tty {
        return Decision::Allow;
    }
    if !q.tty_has_pgrp || q.caller_in_foreground {
        return Decision::Allow;
    }
    if q.signal_ignored_or_blocked {
        return Decision::Eio;
    }
    if q.caller_group_orphaned {
        return Decision::Eio;
    }
    Decision::SignalGroupAndRestart(Signal::Ttin)
}
