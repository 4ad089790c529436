//! The tool on the 8250 port `ttyS1`, whose UART loops its output back to its input (MCR
//! LOOP): attach and show, the counters after traffic, throttling, a killed holder.

use crate::ctl::{self, ctl_ok, expect_moved, holder_pid, set_modes, stats};
use n_rust_guest_tests::sys::{self, N_DEVELOPMENT};
use n_rust_guest_tests::tap::{ensure, Context, Outcome};
use std::os::fd::{AsRawFd, OwnedFd};

const PORT: &str = "/dev/ttyS1";
/// `TIOCM_LOOP`: the UART's loopback bit of the modem control register.
const TIOCM_LOOP: libc::c_int = 0x8000;

/// Turns the UART's loopback on or off.
fn set_loopback(port: &OwnedFd, on: bool) -> Outcome {
    let request = if on { libc::TIOCMBIS } else { libc::TIOCMBIC };
    // SAFETY: TIOCMBIS/TIOCMBIC read one int from the pointer, valid for the call.
    sys::check(unsafe { libc::ioctl(port.as_raw_fd(), request, &TIOCM_LOOP) } as libc::c_long)
        .context("TIOCM_LOOP")?;
    Ok(())
}

/// Attaches n_rust to ttyS1 with the tool, opens the port raw in loopback, runs `f`, then
/// detaches and waits for the holder.
fn with_port(f: impl FnOnce(&OwnedFd) -> Outcome) -> Outcome {
    let ran = ctl_ok(&["attach", "ttyS1", "n_rust"])?;
    let holder = holder_pid(&ran)?;
    let outcome = (|| {
        let port = sys::open_rw(PORT, libc::O_NONBLOCK).context("open ttyS1")?;
        ensure(
            sys::get_ldisc(&port).context("TIOCGETD")? == N_DEVELOPMENT,
            "ttyS1 does not run 29 after attach",
        )?;
        set_modes(&port, true)?;
        set_loopback(&port, true)?;
        let result = f(&port);
        set_loopback(&port, false)?;
        result
    })();
    let detached = ctl_ok(&["detach", PORT]).map(drop);
    let exited = ctl::wait_exit(holder)
        .and_then(|status| ensure(status == 0, format!("the holder exited with {status}")));
    outcome.and(detached).and(exited)
}

/// attach by name, `show`, and 10 bytes through the loopback.
pub fn attach_loopback() -> Outcome {
    with_port(|port| {
        let show = ctl_ok(&["show", "ttyS1"])?;
        ensure(
            show.stdout == "/dev/ttyS1: n_rust (29)\n",
            format!("show printed {:?}", show.stdout),
        )?;
        let before = stats(PORT)?;
        sys::write_all(port, b"0123456789").context("write")?;
        let got = sys::read_exact_timeout(port, 10, 5000).context("read")?;
        ensure(got == b"0123456789", format!("read back {got:?}"))?;
        expect_moved(
            &before,
            &stats(PORT)?,
            &[("received", 10), ("read", 10), ("written", 10)],
        )
    })
}

/// 5,000 bytes through the loopback with nobody reading: the discipline throttles the
/// driver once less than 128 bytes of room are left, and unthrottles it when the reader has
/// taken them; throttle and unthrottle events pair up.
pub fn throttle_events() -> Outcome {
    with_port(|port| {
        let before = stats(PORT)?;
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
        sys::write_all_nonblocking(port, &data).context("write")?;
        ctl::wait_counter(PORT, "received", before["received"] + 4000)?;
        let got = sys::read_exact_timeout(port, data.len(), 5000).context("read")?;
        ensure(got == data, "the bytes read back differ from those written")?;
        let after = stats(PORT)?;
        let moved = |name: &str| after[name] - before[name];
        ensure(
            moved("throttles") >= 1 && moved("throttles") == moved("unthrottles"),
            format!(
                "throttles moved by {}, unthrottles by {}",
                moved("throttles"),
                moved("unthrottles")
            ),
        )?;
        ensure(
            (
                moved("received"),
                moved("read"),
                moved("written"),
                moved("drops"),
            ) == (5000, 5000, 5000, 0),
            format!("after 5,000 bytes: {after:?} (before {before:?})"),
        )
    })
}

/// The daemon holder ends on SIGTERM; with the last file closed the port falls back to
/// N_TTY, and its line in `/proc/tty/n_rust` goes.
pub fn holder_killed() -> Outcome {
    let ran = ctl_ok(&["attach", "ttyS1", "29"])?;
    let holder = holder_pid(&ran)?;
    ensure(
        crate::listed_dev("ttyS1")?.is_some_and(|dev| dev == "4:65"),
        "ttyS1 (4:65) is not listed in /proc/tty/n_rust while attached",
    )?;
    // SAFETY: Signalling the holder, our (adopted) child.
    unsafe { libc::kill(holder, libc::SIGTERM) };
    let status = ctl::wait_exit(holder)?;
    ensure(
        status == -libc::SIGTERM,
        format!("holder ended with {status}"),
    )?;
    ensure(
        crate::listed_dev("ttyS1")?.is_none(),
        "ttyS1 is still listed in /proc/tty/n_rust",
    )?;
    let show = ctl_ok(&["show", PORT])?;
    ensure(
        show.stdout == "/dev/ttyS1: n_tty (0)\n",
        format!("show printed {:?}", show.stdout),
    )
}
