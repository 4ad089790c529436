//! `n_rust-test-jobctl`: job control with real processes on a pty whose slave uses n_rust,
//! and the same on one using N_TTY as a control (the expectations must hold for both).
//!
//! ```text
//! n_rust-test-jobctl [DISC...]     (default: 29 0, i.e. n_rust then N_TTY)
//! ```
//!
//! In the takeover guest (`nrust_ntty_ldisc=N`, see `disciplines`) the default is 0 N: n_rust
//! on default ptys, then N_TTY under number N on both ends.
//!
//! Part 1, one fresh pty and one fresh session per case: a session leader (`setsid`, then
//! the slave opened without `O_NOCTTY`, so it becomes the controlling tty) forks members into
//! foreground and background process groups (`setpgid`, `tcsetpgrp`), acts as the terminal
//! on the master and watches the members with `waitpid(WUNTRACED)` and `/proc/<pid>/stat`.
//! Members and the leader talk over pipes (ready, go, ping, result): no sleep is used as
//! synchronisation. Every case runs under `alarm()`; the test program kills whatever is left
//! of the session afterwards.
//!
//! Part 2, the seed's scenario: busybox `ash -i` with job control on a pty, this program
//! typing on the master (`cat`, ^Z, `bg`, `fg`, ^C, `stty tostop` and a background pipeline
//! that writes) and matching the shell's output with timeouts.
//!
//! TAP on stdout; the exit status is non-zero when any case failed.

mod ash_shell;
mod group_cases;
mod harness;
mod members;
mod session_leader;

use ash_shell::run_ash;
use group_cases::CASES;
use harness::{ensure, Outcome};
use n_rust_guest_tests::disciplines::{self, disciplines};
use n_rust_guest_tests::sys;
use session_leader::run_case;
use std::time::{Duration, Instant};

fn disc_name(disc: i32) -> String {
    disciplines::name(disc)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let discs: Vec<i32> = args.iter().filter_map(|a| a.parse().ok()).collect();
    // For chasing intermittent failures: `--ash-only`, `--repeat=N` (every case N times).
    let ash_only = args.iter().any(|a| a == "--ash-only");
    let repeat: usize = args
        .iter()
        .find_map(|a| a.strip_prefix("--repeat=")?.parse().ok())
        .unwrap_or(1);
    let d = disciplines();
    let discs = if discs.is_empty() {
        vec![d.n_rust, d.n_tty]
    } else {
        discs
    };
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut report = |name: String, outcome: Outcome, took: Duration| {
        let number = passed + failed + 1;
        match outcome {
            Ok(()) => {
                passed += 1;
                println!("ok {number} - {name} ({} ms)", took.as_millis());
            }
            Err(reason) => {
                failed += 1;
                println!("not ok {number} - {name} ({} ms)", took.as_millis());
                for line in reason.lines() {
                    println!("  # {line}");
                }
            }
        }
    };
    println!("TAP version 13");
    // The plan first: each case on each discipline, the shell scenario on each, and the
    // kernel-log check when n_rust is among them.
    let group_cases = if ash_only { 0 } else { CASES.len() };
    let planned = discs.len() * repeat * (group_cases + 1) + usize::from(discs.contains(&d.n_rust));
    println!("1..{planned}");
    for &disc in discs
        .iter()
        .filter(|_| !ash_only)
        .flat_map(|d| std::iter::repeat_n(d, repeat))
    {
        for case in CASES {
            let start = Instant::now();
            let outcome = run_case(disc, case);
            report(
                format!("jobctl {}: {}", disc_name(disc), case.name),
                outcome,
                start.elapsed(),
            );
        }
    }
    for &disc in discs.iter().flat_map(|d| std::iter::repeat_n(d, repeat)) {
        let start = Instant::now();
        let outcome = run_ash(disc);
        report(
            format!(
                "jobctl {}: busybox ash -i: cat, ^Z, bg (SIGTTIN), fg, ^C, tostop pipeline (SIGTTOU), jobs",
                disc_name(disc)
            ),
            outcome,
            start.elapsed(),
        );
    }
    if discs.contains(&d.n_rust) {
        let start = Instant::now();
        let outcome = sys::kernel_problems().and_then(|p| ensure(p.is_empty(), || p.join("\n")));
        report(
            "jobctl: the kernel log has no WARNING, BUG or Oops".into(),
            outcome,
            start.elapsed(),
        );
    }
    println!("jobctl: {passed} passed, {failed} failed");
    std::process::exit(if failed == 0 { 0 } else { 1 });
}
