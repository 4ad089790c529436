//! The job-control table: decisions of [`check_job_control`] (`__tty_check_change` as
//! `n_tty_read` uses it, SIGTTIN) as data, run by the host tests and by the kernel's KUnit
//! suite `n_rust_jobctl`, one KUnit case per row. A case added here runs in both places.
//!
//! Every query starts from [`BACKGROUND`] (a reader in a background group of its controlling
//! tty, with nothing else special) and changes what the case is about.
//!
//! Writes are not here: the module checks them with the kernel's own `tty_check_change()`, as
//! `n_tty_write` does, so a table of an engine copy would test code the module never runs.
//! `n_rust-test-jobctl` (`tests/guest/src/jobctl/`) checks them with real processes, on
//! n_rust and N_TTY: SIGTTOU with TOSTOP, written when SIGTTOU is ignored or blocked or
//! TOSTOP is off, EIO for an orphaned group.

use crate::engine::actions::Signal;
use crate::engine::job_control::{check_job_control, Decision, JobControlQuery};
use Decision::{Allow, Eio, SignalGroupAndRestart};

/// One job-control decision.
pub struct JobCtlCase {
    /// Name, for reports.
    pub name: &'static str,
    /// What the glue knows about the reader and the tty.
    pub query: JobControlQuery,
    /// The expected decision.
    pub expected: Decision,
}

impl JobCtlCase {
    /// The decision the engine makes for this case.
    pub const fn decide(&self) -> Decision {
        check_job_control(&self.query)
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

/// A reader in a background group of its controlling tty, with nothing else special.
pub const BACKGROUND: JobControlQuery = JobControlQuery {
    is_controlling_tty: true,
    tty_has_pgrp: true,
    caller_in_foreground: false,
    signal_ignored_or_blocked: false,
    caller_group_orphaned: false,
    redirected: false,
};

const BG_READ: JobControlQuery = BACKGROUND;

/// A case named `name`: the read `query` must decide `expected`.
const fn case(name: &'static str, query: JobControlQuery, expected: Decision) -> JobCtlCase {
    JobCtlCase {
        name,
        query,
        expected,
    }
}

/// The job-control cases.
pub static JOBCTL_CASES: &[JobCtlCase] = &[
    case(
        "background_read_sends_sigttin",
        BG_READ,
        SignalGroupAndRestart(Signal::Ttin),
    ),
    case(
        "foreground_read_allowed",
        JobControlQuery {
            caller_in_foreground: true,
            ..BG_READ
        },
        Allow,
    ),
    case(
        "read_on_other_tty_allowed",
        JobControlQuery {
            is_controlling_tty: false,
            ..BG_READ
        },
        Allow,
    ),
    case(
        "read_without_foreground_group_allowed",
        JobControlQuery {
            tty_has_pgrp: false,
            ..BG_READ
        },
        Allow,
    ),
    case(
        "background_read_sigttin_ignored_is_eio",
        JobControlQuery {
            signal_ignored_or_blocked: true,
            ..BG_READ
        },
        Eio,
    ),
    case(
        "background_read_orphaned_group_is_eio",
        JobControlQuery {
            caller_group_orphaned: true,
            ..BG_READ
        },
        Eio,
    ),
    case(
        "redirected_console_read_allowed",
        JobControlQuery {
            redirected: true,
            ..BG_READ
        },
        Allow,
    ),
];
