//! Keeping a line open after `attach`, as util-linux `ldattach` does: a tty falls back to its
//! default discipline when its last file is closed, so something must hold it open.
//!
//! The holder checks the tty's discipline every [`POLL`] and exits when it is no longer the
//! one attached (after `n_rustctl detach`, another `TIOCSETD`, or a hangup, which makes
//! `TIOCGETD` fail), or on SIGTERM, SIGINT or SIGHUP.

use crate::failure::{Failure, Kind, Outcome};
use crate::tty::Tty;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::time::Duration;

/// How often the holder looks at the tty's discipline.
pub const POLL: Duration = Duration::from_millis(200);

/// Holds `tty` open while it runs discipline `number`. In the foreground, prints this
/// process's pid and returns when the hold ends; else forks a holder that leaves the session
/// (its pid printed), and returns at once.
pub fn hold(tty: Tty, number: i32, foreground: bool) -> Outcome {
    if foreground {
        print_pid(std::process::id())?;
        watch(&tty, number);
        return Ok(());
    }
    // SAFETY: fork in a single-threaded program; the child only makes system calls and runs
    // `watch` before it exits.
    match unsafe { libc::fork() } {
        -1 => Err(Failure::new(
            Kind::Other,
            format!("fork: {}", std::io::Error::last_os_error()),
        )),
        0 => {
            detach_from_session(&tty);
            watch(&tty, number);
            std::process::exit(0);
        }
        child => print_pid(child as u32),
    }
}

/// Prints the holder's pid on stdout (what a script keeps to stop it).
fn print_pid(pid: u32) -> Outcome {
    let mut out = std::io::stdout();
    writeln!(out, "{pid}")
        .and_then(|()| out.flush())
        .map_err(|e| Failure::new(Kind::Other, format!("stdout: {e}")))
}

/// The daemon's set-up: a session of its own, `/` as its directory, standard files on
/// `/dev/null`, and no other file of the parent but the tty.
fn detach_from_session(tty: &Tty) {
    // SAFETY: Plain system calls on this process; their failures leave it usable.
    unsafe {
        libc::setsid();
        libc::chdir(c"/".as_ptr());
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            for fd in 0..3 {
                libc::dup2(null, fd);
            }
            if null > 2 {
                libc::close(null);
            }
        }
    }
    let keep = tty.file.as_raw_fd();
    for fd in 3..1024 {
        if fd != keep {
            // SAFETY: Closing a file this process will not use; EBADF is harmless.
            unsafe { libc::close(fd) };
        }
    }
}

/// Waits while the tty runs `number`.
fn watch(tty: &Tty, number: i32) {
    while matches!(tty.discipline(), Ok(n) if n == number) {
        std::thread::sleep(POLL);
    }
}
