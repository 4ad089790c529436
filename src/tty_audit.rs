// SPDX-License-Identifier: GPL-2.0

//! TTY auditing: what n_rust refuses because it cannot record input for the audit log.
//!
//! N_TTY records the input a process reads from a tty for the audit subsystem when that
//! process has TTY auditing on (`current->signal->audit_tty`, set by `pam_tty_audit` or an
//! `AUDIT_TTY_SET` netlink message): `tty_audit_add_data()` in its copies to the reader,
//! `tty_audit_push()` at the end of a canonical line. Neither function is exported, nor is
//! the per-process buffer they fill (`signal->tty_audit_buf`, whose type is private to
//! `drivers/tty/tty_audit.c`), so a module cannot add to that record. Rather than let a
//! process leave its audit trail by switching its tty to n_rust, n_rust refuses, with a log
//! line (rate-limited, as any user can cause it):
//!
//! - to be attached by a process with TTY auditing on ([`check_attach`], `EPERM` from
//!   `TIOCSETD`);
//! - a read by a process with TTY auditing on ([`check_read`], `EPERM`), whoever attached
//!   n_rust, where N_TTY would have recorded the input: not on a pty master, and, unless
//!   the process also logs passwords, not canonical input without echo.
//!
//! Without `CONFIG_AUDIT` there is no TTY auditing and nothing is refused.

use crate::tty_ldisc::Tty;
use kernel::prelude::*;

/// The current process's TTY auditing, when it is on.
#[cfg(CONFIG_AUDIT)]
fn current_auditing() -> Option<Auditing> {
    let bits = crate::task::TaskPtr::current().audit_tty();
    (bits & crate::bindings::AUDIT_TTY_ENABLE != 0).then_some(Auditing {
        log_passwd: bits & crate::bindings::AUDIT_TTY_LOG_PASSWD != 0,
    })
}

/// The kernel has no TTY auditing.
#[cfg(not(CONFIG_AUDIT))]
fn current_auditing() -> Option<Auditing> {
    None
}

/// TTY auditing of a process that has it on.
struct Auditing {
    /// Canonical input read without echo (passwords) is recorded too (`AUDIT_TTY_LOG_PASSWD`).
    log_passwd: bool,
}

/// The current process, for a log line: its id and name.
#[cfg(CONFIG_AUDIT)]
fn log_current(what: core::fmt::Arguments<'_>, tty: &Tty) {
    let task = crate::task::TaskPtr::current();
    let comm = task.comm();
    let name = kernel::str::CStr::from_bytes_until_nul(&comm).unwrap_or(c"?");
    pr_warn!(
        "refusing {what} {}: TTY auditing is on for pid {} ({name}), and n_rust cannot record input for the audit log\n",
        tty.name(),
        task.process_id()
    );
}

/// Never called: without `CONFIG_AUDIT` nothing is refused.
#[cfg(not(CONFIG_AUDIT))]
fn log_current(_what: core::fmt::Arguments<'_>, _tty: &Tty) {}

/// Whether the kernel lets this log line through its printk rate limit.
fn log_allowed() -> bool {
    // SAFETY: `__printk_ratelimit` only uses the NUL-terminated name to report what it
    // suppressed.
    unsafe { crate::bindings::__printk_ratelimit(c"n_rust".as_char_ptr()) != 0 }
}

/// Refuses (`EPERM`) to attach n_rust to `tty` for a process with TTY auditing on.
///
/// Called from the discipline's `open`, which runs in the process that asked for the change
/// (`TIOCSETD`), or in the one that hangs the tty up: the tty layer then falls back to N_TTY.
pub(crate) fn check_attach(tty: &Tty) -> Result {
    if current_auditing().is_none() {
        return Ok(());
    }
    if log_allowed() {
        log_current(format_args!("to attach to"), tty);
    }
    Err(EPERM)
}

/// Refuses (`EPERM`) a read of `tty` by a process with TTY auditing on, where N_TTY would
/// record what it reads (`tty_audit_add_data`): not on a pty master, and not canonical input
/// without echo unless the process logs passwords too. Called at the start of a `read()`,
/// with `termios_rwsem` held for reading, so the modes it looks at hold for the whole read.
pub(crate) fn check_read(tty: &Tty) -> Result {
    let Some(auditing) = current_auditing() else {
        return Ok(());
    };
    if tty.is_pty() && !tty.is_pty_slave() {
        return Ok(());
    }
    let termios = tty.termios();
    let icanon = termios.c_lflag & crate::bindings::ICANON != 0;
    let echo = termios.c_lflag & crate::bindings::ECHO != 0;
    if icanon && !echo && !auditing.log_passwd {
        return Ok(());
    }
    if log_allowed() {
        log_current(format_args!("a read of"), tty);
    }
    Err(EPERM)
}
