//! What the module shows about itself: its reference count, its parameters in sysfs, the
//! listing of registered disciplines, and pty pairs opened and closed around them.

use n_rust_guest_tests::sys;
use n_rust_guest_tests::tap::{ensure, Context, Outcome};
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// The module's reference count: in takeover mode, one per tty whose discipline is
/// n_rust's (in slot 0 or 29) or N_TTY's copy under its spare number; the kernel's own
/// N_TTY holds none.
pub fn refcnt() -> Result<u32, String> {
    let text = std::fs::read_to_string("/sys/module/n_rust/refcnt")
        .context("reading /sys/module/n_rust/refcnt")?;
    text.trim()
        .parse()
        .map_err(|e| format!("refcnt {text:?}: {e}"))
}

/// Waits up to 5 s for the count to be `want` (a closed pty pair is released by a work
/// item, and its module references with it).
pub fn wait_refcnt(want: u32) -> Outcome {
    let end = Instant::now() + Duration::from_secs(5);
    loop {
        let now = refcnt()?;
        if now == want {
            return Ok(());
        }
        if Instant::now() >= end {
            return Err(format!("refcnt is {now}, expected {want}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The lines of `/proc/tty/ldiscs` as (name, number).
pub fn ldiscs() -> Result<Vec<(String, i32)>, String> {
    let text = std::fs::read_to_string("/proc/tty/ldiscs").context("reading /proc/tty/ldiscs")?;
    Ok(text
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some((w.next()?.to_string(), w.next()?.parse().ok()?))
        })
        .collect())
}

/// Checks that `/proc/tty/ldiscs` lists exactly `want` for the numbers in `numbers`
/// (`None`: nothing registered there).
pub fn expect_ldiscs(want: &[(i32, Option<&str>)]) -> Outcome {
    let listed = ldiscs()?;
    for &(number, name) in want {
        let got = listed
            .iter()
            .find(|(_, n)| *n == number)
            .map(|(s, _)| s.as_str());
        ensure(
            got == name,
            format!("/proc/tty/ldiscs: number {number} is {got:?}, expected {name:?}; listing {listed:?}"),
        )?;
    }
    Ok(())
}

/// Checks a parameter file of the module in sysfs: its text and its mode (0444).
pub fn expect_param(name: &str, want: &str) -> Outcome {
    use std::os::unix::fs::PermissionsExt;
    let path = format!("/sys/module/n_rust/parameters/{name}");
    let text = std::fs::read_to_string(&path).context(&format!("reading {path}"))?;
    let mode = std::fs::metadata(&path)
        .context(&path)?
        .permissions()
        .mode()
        & 0o777;
    ensure(
        text.trim() == want && mode == 0o444,
        format!(
            "{path}: {:?} mode {mode:o}, expected {want:?} mode 444",
            text.trim()
        ),
    )
}

/// Whether the module is loaded.
pub fn module_loaded() -> Result<bool, String> {
    sys::file_contains("/proc/modules", "n_rust ").context("reading /proc/modules")
}

/// `rmmod n_rust` refused with EBUSY (or EWOULDBLOCK, the kernel's answer with O_NONBLOCK),
/// the module still loaded.
pub fn expect_rmmod_refused() -> Outcome {
    match sys::rmmod("n_rust") {
        Ok(()) => Err("rmmod n_rust succeeded".into()),
        Err(e) if matches!(e.raw_os_error(), Some(libc::EBUSY) | Some(libc::EAGAIN)) => {
            ensure(module_loaded()?, "the module is gone after a refused rmmod")
        }
        Err(e) => Err(format!("rmmod: expected EBUSY/EWOULDBLOCK, got {e}")),
    }
}

/// `rmmod n_rust`, retried for 5 s while the last ttys are released.
pub fn rmmod_when_free() -> Outcome {
    let mut last = Ok(());
    for _ in 0..50 {
        last = sys::rmmod("n_rust");
        if last.is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    last.context("rmmod n_rust")?;
    ensure(!module_loaded()?, "the module is still listed after rmmod")
}

/// A canonical line through a pty: typed on the master, read on the slave, echoed back.
pub fn line_through(master: &OwnedFd, slave: &OwnedFd) -> Outcome {
    sys::write_all(master, b"hello\n").context("write on the master")?;
    let got = sys::read_exact_timeout(slave, 6, 5000).context("read on the slave")?;
    ensure(got == b"hello\n", format!("the slave read {got:?}"))?;
    let echo = sys::read_exact_timeout(master, 7, 5000).context("read the echo")?;
    ensure(
        echo == b"hello\r\n",
        format!("the master read the echo {echo:?}"),
    )
}

/// `TIOCGETD` of both ends of a pty.
pub fn ends_ldisc(pty: &sys::Pty) -> Result<(i32, i32), String> {
    Ok((
        sys::get_ldisc(&pty.master).context("TIOCGETD master")?,
        sys::get_ldisc(&pty.slave).context("TIOCGETD slave")?,
    ))
}

/// The path of a pty's slave.
pub fn slave_path(pty: &sys::Pty) -> Result<String, String> {
    let mut name = [0 as libc::c_char; 64];
    // SAFETY: `name` is valid for writes of its length.
    let rc = unsafe { libc::ptsname_r(pty.master.as_raw_fd(), name.as_mut_ptr(), name.len()) };
    if rc != 0 {
        return Err(format!("ptsname: errno {rc}"));
    }
    // SAFETY: ptsname_r wrote a NUL-terminated string.
    Ok(unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) }
        .to_string_lossy()
        .into_owned())
}

/// `TIOCVHANGUP` on `fd` (a virtual hangup of its tty, as `vhangup()` does).
pub fn vhangup(fd: &OwnedFd) -> Outcome {
    // SAFETY: TIOCVHANGUP takes no argument.
    sys::check(unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCVHANGUP) } as libc::c_long)
        .context("TIOCVHANGUP")?;
    Ok(())
}
