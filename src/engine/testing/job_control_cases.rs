//! The job-control table: decisions of [`check_job_control`] and [`check_write`]
//! (`__tty_check_change` as `n_tty_read` and `n_tty_write` use it) as data, run by
//! the host tests and by the kernel's KUnit suite `n_rust_jobctl`, one KUnit case
//! per row. A case added here runs in both places.
//!
//! Every query starts from [`BACKGROUND`] (a caller in a background group of its
//! controlling tty, with nothing else special) and changes what the case is about.

use crate::engine::actions::Signal;
use crate::engine::job_control::{
    check_job_control, check_write, Decision, JobControlQuery, JobOp,
};
use Decision::{Allow, Eio, SignalGroupAndRestart};
use JobCheck::{JobControl, Write};

/// Which check a case calls.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum JobCheck {
    /// [`check_job_control`], as a read (and a write with `TOSTOP`) is checked.
    JobControl,
    /// [`check_write`] with `TOSTOP` set (`true`) or clear (`false`).
    Write(bool),
}

/// One job-control decision.
pub struct JobCtlCase {
    /// Name, for reports.
    pub name: &'static str,
    /// What the glue knows about the caller and the tty.
    pub query: JobControlQuery,
    /// The check called.
    pub check: JobCheck,
    /// The expected decision.
    pub expected: Decision,
}

impl JobCtlCase {
    /// The decision the engine makes for this case.
    pub const fn decide(&self) -> Decision {
        match self.check {
            JobCheck::JobControl => check_job_control(&self.query),
            JobCheck::Write(tostop) => check_write(tostop, &self.query),
        }
    }

    /// `Ok` if the engine decides as expected, else the decision it made.
    pub fn run(&self) -> Result<(), Decision> {
        let got = self.decide();
        if got == self.expected {
            Ok(())
        } else {
            Err(got)
        }
    }
}

/// A caller in a background group of its controlling tty, with nothing else special.
pub const BACKGROUND: JobControlQuery = JobControlQuery {
    is_controlling_tty: true,
    tty_has_pgrp: true,
    caller_in_foreground: false,
    signal_ignored_or_blocked: false,
    caller_group_orphaned: false,
    op: JobOp::Read,
    redirected: false,
};

const BG_READ: JobControlQuery = BACKGROUND;
const BG_WRITE: JobControlQuery = JobControlQuery {
    op: JobOp::Write,
    ..BACKGROUND
};

/// A case named `name`: `check` on `query` must decide `expected`.
const fn case(
    name: &'static str,
    query: JobControlQuery,
    check: JobCheck,
    expected: Decision,
) -> JobCtlCase {
    JobCtlCase {
        name,
        query,
        check,
        expected,
    }
}

/// The job-control cases.
pub static JOBCTL_CASES: &[JobCtlCase] = &[
    case(
        "background_read_sends_sigttin",
        BG_READ,
        JobControl,
        SignalGroupAndRestart(Signal::Ttin),
    ),
    case(
        "foreground_read_allowed",
        JobControlQuery {
            caller_in_foreground: true,
            ..BG_READ
        },
        JobControl,
        Allow,
    ),
    case(
        "read_on_other_tty_allowed",
        JobControlQuery {
            is_controlling_tty: false,
            ..BG_READ
        },
        JobControl,
        Allow,
    ),
    case(
        "read_without_foreground_group_allowed",
        JobControlQuery {
            tty_has_pgrp: false,
            ..BG_READ
        },
        JobControl,
        Allow,
    ),
    case(
        "background_read_sigttin_ignored_is_eio",
        JobControlQuery {
            signal_ignored_or_blocked: true,
            ..BG_READ
        },
        JobControl,
        Eio,
    ),
    case(
        "background_read_orphaned_group_is_eio",
        JobControlQuery {
            caller_group_orphaned: true,
            ..BG_READ
        },
        JobControl,
        Eio,
    ),
    case(
        "redirected_console_read_allowed",
        JobControlQuery {
            redirected: true,
            ..BG_READ
        },
        JobControl,
        Allow,
    ),
    case(
        "redirected_console_write_with_tostop_allowed",
        JobControlQuery {
            redirected: true,
            ..BG_WRITE
        },
        Write(true),
        Allow,
    ),
    case(
        "background_write_with_tostop_sends_sigttou",
        BG_WRITE,
        Write(true),
        SignalGroupAndRestart(Signal::Ttou),
    ),
    case(
        "background_write_without_tostop_allowed",
        BG_WRITE,
        Write(false),
        Allow,
    ),
    case(
        "foreground_write_with_tostop_allowed",
        JobControlQuery {
            caller_in_foreground: true,
            ..BG_WRITE
        },
        Write(true),
        Allow,
    ),
    // Unlike a read, an ignored or blocked SIGTTOU lets the write through.
    case(
        "background_write_sigttou_ignored_allowed",
        JobControlQuery {
            signal_ignored_or_blocked: true,
            ..BG_WRITE
        },
        JobControl,
        Allow,
    ),
    case(
        "background_write_orphaned_group_is_eio",
        JobControlQuery {
            caller_group_orphaned: true,
            ..BG_WRITE
        },
        JobControl,
        Eio,
    ),
    case(
        "background_write_with_tostop_orphaned_group_is_eio",
        JobControlQuery {
            caller_group_orphaned: true,
            ..BG_WRITE
        },
        Write(true),
        Eio,
    ),
    // The ignored check comes first in `__tty_check_change`: an ignored or blocked
    // SIGTTOU lets the write through even from an orphaned group.
    case(
        "ignored_sigttou_wins_over_orphaned_group",
        JobControlQuery {
            signal_ignored_or_blocked: true,
            caller_group_orphaned: true,
            ..BG_WRITE
        },
        JobControl,
        Allow,
    ),
    case(
        "ignored_sigttou_wins_over_orphaned_group_with_tostop",
        JobControlQuery {
            signal_ignored_or_blocked: true,
            caller_group_orphaned: true,
            ..BG_WRITE
        },
        Write(true),
        Allow,
    ),
];
