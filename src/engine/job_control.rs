//! Job control as a pure decision (`__tty_check_change` in
//! `drivers/tty/tty_jobctrl.c`, as `n_tty_read` and `n_tty_write` use it).

use super::actions::Signal;

/// The operation being checked.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum JobOp {
    /// A read (`job_control` in `n_tty_read`: SIGTTIN).
    Read,
    /// A write; only checked when `TOSTOP` is set (`n_tty_write`: SIGTTOU).
    Write,
}

/// What the glue knows about the caller and the tty.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct JobControlQuery {
    /// The tty is the caller's controlling tty (`current->signal->tty == tty`).
    pub is_controlling_tty: bool,
    /// The tty has a foreground process group (`tty->ctrl.pgrp != NULL`).
    pub tty_has_pgrp: bool,
    /// The caller's process group is the tty's foreground group.
    pub caller_in_foreground: bool,
    /// The signal (SIGTTIN or SIGTTOU) is blocked or ignored by the caller.
    pub signal_ignored_or_blocked: bool,
    /// The caller's process group is orphaned.
    pub caller_group_orphaned: bool,
    /// The operation.
    pub op: JobOp,
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

/// Decide as `__tty_check_change(tty, SIGTTIN/SIGTTOU)` does.
///
/// For a write, call this only when `TOSTOP` is set (or use
/// [`check_write`]); a read is always checked.
pub const fn check_job_control(q: &JobControlQuery) -> Decision {
    if q.redirected || !q.is_controlling_tty {
        return Decision::Allow;
    }
    if !q.tty_has_pgrp || q.caller_in_foreground {
        return Decision::Allow;
    }
    let sig = match q.op {
        JobOp::Read => Signal::Ttin,
        JobOp::Write => Signal::Ttou,
    };
    if q.signal_ignored_or_blocked {
        return match q.op {
            JobOp::Read => Decision::Eio,
            JobOp::Write => Decision::Allow,
        };
    }
    if q.caller_group_orphaned {
        return Decision::Eio;
    }
    Decision::SignalGroupAndRestart(sig)
}

/// The write-side check of `n_tty_write`: only with `TOSTOP`.
pub const fn check_write(tostop: bool, q: &JobControlQuery) -> Decision {
    if !tostop {
        return Decision::Allow;
    }
    check_job_control(q)
}
