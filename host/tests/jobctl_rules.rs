//! Job control decisions (`__tty_check_change`), one test per rule.
use n_rust_engine::*;

fn q(op: JobOp) -> JobControlQuery {
    JobControlQuery {
        is_controlling_tty: true,
        tty_has_pgrp: true,
        caller_in_foreground: false,
        signal_ignored_or_blocked: false,
        caller_group_orphaned: false,
        op,
        redirected: false,
    }
}

#[test]
fn not_controlling_tty_is_allowed() {
    let mut x = q(JobOp::Read);
    x.is_controlling_tty = false;
    assert_eq!(check_job_control(&x), Decision::Allow);
}

#[test]
fn foreground_group_is_allowed() {
    let mut x = q(JobOp::Read);
    x.caller_in_foreground = true;
    assert_eq!(check_job_control(&x), Decision::Allow);
}

#[test]
fn tty_without_pgrp_is_allowed() {
    let mut x = q(JobOp::Read);
    x.tty_has_pgrp = false;
    assert_eq!(check_job_control(&x), Decision::Allow);
}

#[test]
fn background_read_gets_sigttin_and_restart() {
    assert_eq!(
        check_job_control(&q(JobOp::Read)),
        Decision::SignalGroupAndRestart(Signal::Ttin)
    );
}

#[test]
fn background_write_gets_sigttou_and_restart() {
    assert_eq!(
        check_write(true, &q(JobOp::Write)),
        Decision::SignalGroupAndRestart(Signal::Ttou)
    );
}

#[test]
fn background_write_without_tostop_is_allowed() {
    assert_eq!(check_write(false, &q(JobOp::Write)), Decision::Allow);
}

#[test]
fn ignored_sigttin_read_is_eio() {
    let mut x = q(JobOp::Read);
    x.signal_ignored_or_blocked = true;
    assert_eq!(check_job_control(&x), Decision::Eio);
}

#[test]
fn ignored_sigttou_write_is_allowed() {
    let mut x = q(JobOp::Write);
    x.signal_ignored_or_blocked = true;
    assert_eq!(check_job_control(&x), Decision::Allow);
}

#[test]
fn orphaned_group_is_eio() {
    let mut r = q(JobOp::Read);
    r.caller_group_orphaned = true;
    assert_eq!(check_job_control(&r), Decision::Eio);
    let mut w = q(JobOp::Write);
    w.caller_group_orphaned = true;
    assert_eq!(check_job_control(&w), Decision::Eio);
}

#[test]
fn ignored_signal_wins_over_orphaned_group() {
    let mut w = q(JobOp::Write);
    w.caller_group_orphaned = true;
    w.signal_ignored_or_blocked = true;
    assert_eq!(check_job_control(&w), Decision::Allow);
}

#[test]
fn redirected_console_write_is_allowed() {
    let mut x = q(JobOp::Read);
    x.redirected = true;
    assert_eq!(check_job_control(&x), Decision::Allow);
}
