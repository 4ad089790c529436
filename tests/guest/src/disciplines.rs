//! Which discipline numbers the guest programs compare, and how a new pty gets one.
//!
//! In the ordinary test guest n_rust is number 29 (loaded by `/init`) and N_TTY number 0,
//! the default of every new tty: a test puts 29 on a slave with `TIOCSETD`. In the takeover
//! guest (`nrust_mode=takeover`, `/init` loads the module with `takeover=1 ntty_ldisc=N`
//! before anything opens a tty) the default is n_rust, on both ends of every new pty, and the
//! kernel's N_TTY is reachable only as number N: `/init` passes N on as `nrust_ntty_ldisc`
//! (from the kernel command line). Then the programs leave n_rust's ptys alone (no
//! `TIOCSETD`), and put N on both ends of the ptys of N_TTY's side.

use crate::sys;
use std::io;
use std::os::fd::{BorrowedFd, RawFd};

/// The environment variable that says the guest runs in takeover mode, and where N_TTY is.
pub const NTTY_LDISC_ENV: &str = "nrust_ntty_ldisc";

/// The numbers of the two disciplines under comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Disciplines {
    /// n_rust: 29, or 0 (the default) in takeover mode.
    pub n_rust: i32,
    /// N_TTY: 0, or the number `ntty_ldisc=` gave it in takeover mode.
    pub n_tty: i32,
}

/// In the takeover guest, the number N_TTY is registered under; `None` otherwise.
pub fn takeover_ntty() -> Option<i32> {
    std::env::var(NTTY_LDISC_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n| n > 0)
}

/// The disciplines of this guest.
pub fn disciplines() -> Disciplines {
    match takeover_ntty() {
        Some(n_tty) => Disciplines { n_rust: 0, n_tty },
        None => Disciplines {
            n_rust: sys::N_DEVELOPMENT,
            n_tty: 0,
        },
    }
}

/// Puts discipline `disc` on a new pty pair and checks it with `TIOCGETD` on the slave.
/// The default (0) is left as the pair came (no `TIOCSETD`: a new pty already runs it);
/// another number goes on the slave, and in takeover mode on the master too, so that
/// N_TTY's side of a comparison is N_TTY on both ends as n_rust's is n_rust on both.
pub fn put_on_pty(master: RawFd, slave: RawFd, disc: i32) -> io::Result<()> {
    // SAFETY: The caller's fds are open for the duration of the call.
    let (master, slave) = unsafe {
        (
            BorrowedFd::borrow_raw(master),
            BorrowedFd::borrow_raw(slave),
        )
    };
    if disc != 0 {
        sys::set_ldisc_fd(slave, disc)?;
        if takeover_ntty().is_some() {
            sys::set_ldisc_fd(master, disc)?;
        }
    }
    let got = sys::get_ldisc_fd(slave)?;
    if got != disc {
        return Err(io::Error::other(format!("TIOCGETD says {got}, not {disc}")));
    }
    Ok(())
}

/// The name of `disc` for test names: `n_rust`, `N_TTY (control)` or the number.
pub fn name(disc: i32) -> String {
    let d = disciplines();
    if disc == d.n_rust {
        "n_rust".into()
    } else if disc == d.n_tty {
        "N_TTY (control)".into()
    } else {
        format!("ldisc {disc}")
    }
}
