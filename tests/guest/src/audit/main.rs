//! `n_rust-test-audit`: n_rust refuses what it cannot audit.
//!
//! N_TTY records the input a process with TTY auditing on reads from a tty; n_rust cannot
//! (the kernel's TTY audit functions are not exported), so it refuses to be attached by such
//! a process, and refuses its reads where N_TTY would record them (`src/tty_audit.rs`). The
//! program turns TTY auditing on for itself with `AUDIT_TTY_SET` (`netlink.rs`), as
//! `pam_tty_audit` does for a login, and checks both refusals, their log lines, the cases
//! N_TTY does not audit (a pty master; canonical input without echo unless passwords are
//! logged), and N_TTY itself as a control. It runs with n_rust loaded.
//!
//! On a kernel without the audit subsystem (it needs `CONFIG_NET=y` and `CONFIG_AUDIT=y`)
//! every case is skipped, with the reason.

mod netlink;

use n_rust_guest_tests::sys::{self, Pty, N_DEVELOPMENT};
use n_rust_guest_tests::tap::{ensure, Context, Outcome, Tap};
use netlink::{AuditSocket, TtyAuditing};
use std::os::fd::{AsRawFd, OwnedFd};

const OFF: TtyAuditing = TtyAuditing {
    enabled: false,
    log_passwd: false,
};
const ON: TtyAuditing = TtyAuditing {
    enabled: true,
    log_passwd: false,
};
const ON_WITH_PASSWORDS: TtyAuditing = TtyAuditing {
    enabled: true,
    log_passwd: true,
};

/// The cases, in order.
const CASES: [&str; 10] = [
    "AUDIT_TTY_SET turns TTY auditing on for this process (AUDIT_TTY_GET reads it back)",
    "TIOCSETD 29 is refused (EPERM) while TTY auditing is on; the pty keeps N_TTY; logged",
    "a canonical read of an n_rust pty slave is refused (EPERM) while TTY auditing is on; logged; the line is read whole once auditing is off",
    "control: with TTY auditing off, a line is read from an n_rust pty slave",
    "a raw (non-canonical) read is refused too",
    "log_passwd off: canonical input without ECHO is read (N_TTY does not record it)",
    "log_passwd on: canonical input without ECHO is refused",
    "a read of a pty master running n_rust is not refused (N_TTY does not audit masters)",
    "control: an N_TTY pty slave is read with TTY auditing on",
    "the kernel log has no WARNING, BUG or Oops",
];

/// Turns this process's TTY auditing off when dropped, whatever a case left.
struct Auditing(AuditSocket);

impl Auditing {
    fn set(&mut self, setting: TtyAuditing) -> Outcome {
        self.0
            .set_tty(setting)
            .context(&format!("AUDIT_TTY_SET {setting:?}"))
    }
}

impl Drop for Auditing {
    fn drop(&mut self) {
        let _ = self.0.set_tty(OFF);
    }
}

/// A pty pair whose slave runs n_rust, attached with TTY auditing off.
fn n_rust_pty(audit: &mut Auditing) -> Result<Pty, String> {
    audit.set(OFF)?;
    let pty = sys::open_pty(libc::O_NOCTTY).context("open pty")?;
    sys::set_ldisc(&pty.slave, N_DEVELOPMENT).context("TIOCSETD 29 with auditing off")?;
    Ok(pty)
}

/// Sets or clears `ICANON` and `ECHO` on `fd`.
fn set_modes(fd: &OwnedFd, icanon: bool, echo: bool) -> Outcome {
    // SAFETY: `termios` is plain data, filled by tcgetattr before use.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: `t` is valid for the calls.
    unsafe {
        sys::check(libc::tcgetattr(fd.as_raw_fd(), &mut t) as libc::c_long).context("tcgetattr")?;
        for (flag, on) in [(libc::ICANON, icanon), (libc::ECHO, echo)] {
            if on {
                t.c_lflag |= flag;
            } else {
                t.c_lflag &= !flag;
            }
        }
        t.c_cc[libc::VMIN] = 1;
        t.c_cc[libc::VTIME] = 0;
        sys::check(libc::tcsetattr(fd.as_raw_fd(), libc::TCSANOW, &t) as libc::c_long)
            .context("tcsetattr")?;
    }
    Ok(())
}

/// Writes `input` on `from`, waits until `to` is readable, and makes one `read`: its bytes,
/// or the error.
fn write_then_read(
    from: &OwnedFd,
    to: &OwnedFd,
    input: &[u8],
) -> Result<Result<Vec<u8>, i32>, String> {
    sys::write_all(from, input).context("write")?;
    ensure(
        sys::wait_readable(to, 5000).context("poll")?,
        "nothing to read after 5 s",
    )?;
    let mut buf = [0u8; 256];
    // SAFETY: `buf` is valid for writes of its length.
    let n = unsafe { libc::read(to.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        Ok(Err(std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(0)))
    } else {
        Ok(Ok(buf[..n as usize].to_vec()))
    }
}

/// Fails unless the read failed with `EPERM`.
fn expect_eperm(result: Result<Vec<u8>, i32>) -> Outcome {
    match result {
        Err(libc::EPERM) => Ok(()),
        Err(errno) => Err(format!(
            "read failed with {}, not EPERM",
            std::io::Error::from_raw_os_error(errno)
        )),
        Ok(bytes) => Err(format!("read returned {bytes:?}, not EPERM")),
    }
}

/// Fails unless the read returned `expected`.
fn expect_bytes(result: Result<Vec<u8>, i32>, expected: &[u8]) -> Outcome {
    match result {
        Ok(bytes) => ensure(
            bytes == expected,
            format!("read {bytes:?}, expected {expected:?}"),
        ),
        Err(errno) => Err(format!(
            "read failed: {}",
            std::io::Error::from_raw_os_error(errno)
        )),
    }
}

/// Whether the kernel log has a line containing `needle` that names this process (its id
/// and name).
fn kernel_log_has(needle: &str) -> Result<bool, String> {
    let out = std::process::Command::new("dmesg")
        .output()
        .context("running dmesg")?;
    let me = format!("pid {} (n_rust-test-aud)", std::process::id());
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.contains(needle) && l.contains(&me)))
}

fn run_cases(t: &mut Tap, audit: &mut Auditing) {
    t.run(CASES[0], || {
        audit.set(ON)?;
        let got = audit.0.get_tty().context("AUDIT_TTY_GET")?;
        ensure(got == ON, format!("AUDIT_TTY_GET: {got:?}"))
    });
    t.run(CASES[1], || {
        audit.set(ON)?;
        let pty = sys::open_pty(libc::O_NOCTTY).context("open pty")?;
        match sys::set_ldisc(&pty.slave, N_DEVELOPMENT) {
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => {}
            Err(e) => return Err(format!("TIOCSETD 29: {e}, not EPERM")),
            Ok(()) => return Err("TIOCSETD 29 succeeded".into()),
        }
        let disc = sys::get_ldisc(&pty.slave).context("TIOCGETD")?;
        ensure(disc == 0, format!("TIOCGETD: {disc}"))?;
        ensure(
            kernel_log_has("n_rust: refusing to attach to pts")?,
            "no 'refusing to attach' line naming this process in the kernel log",
        )
    });
    t.run(CASES[2], || {
        let pty = n_rust_pty(audit)?;
        sys::write_all(&pty.master, b"secret\n").context("write")?;
        audit.set(ON)?;
        ensure(
            sys::wait_readable(&pty.slave, 5000).context("poll")?,
            "no line after 5 s",
        )?;
        let mut buf = [0u8; 64];
        // SAFETY: `buf` is valid for writes of its length.
        let n = unsafe { libc::read(pty.slave.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        expect_eperm(if n < 0 {
            Err(errno)
        } else {
            Ok(buf[..n as usize].to_vec())
        })?;
        ensure(
            kernel_log_has("n_rust: refusing a read of pts")?,
            "no 'refusing a read' line naming this process in the kernel log",
        )?;
        audit.set(OFF)?;
        // Nothing was consumed.
        let line =
            sys::read_exact_timeout(&pty.slave, 7, 5000).context("read with auditing off")?;
        ensure(
            line == b"secret\n",
            format!("read {line:?} after the refusal"),
        )
    });
    t.run(CASES[3], || {
        let pty = n_rust_pty(audit)?;
        expect_bytes(
            write_then_read(&pty.master, &pty.slave, b"line\n")?,
            b"line\n",
        )
    });
    t.run(CASES[4], || {
        let pty = n_rust_pty(audit)?;
        set_modes(&pty.slave, false, false)?;
        audit.set(ON)?;
        expect_eperm(write_then_read(&pty.master, &pty.slave, b"x")?)
    });
    t.run(CASES[5], || {
        let pty = n_rust_pty(audit)?;
        set_modes(&pty.slave, true, false)?;
        audit.set(ON)?;
        expect_bytes(write_then_read(&pty.master, &pty.slave, b"pw\n")?, b"pw\n")
    });
    t.run(CASES[6], || {
        let pty = n_rust_pty(audit)?;
        set_modes(&pty.slave, true, false)?;
        audit.set(ON_WITH_PASSWORDS)?;
        expect_eperm(write_then_read(&pty.master, &pty.slave, b"pw\n")?)
    });
    t.run(CASES[7], || {
        audit.set(OFF)?;
        let pty = sys::open_pty(libc::O_NOCTTY).context("open pty")?;
        sys::set_ldisc(&pty.master, N_DEVELOPMENT).context("TIOCSETD 29 on the master")?;
        sys::make_raw(&pty.slave).context("raw slave")?;
        audit.set(ON)?;
        expect_bytes(write_then_read(&pty.slave, &pty.master, b"up")?, b"up")
    });
    t.run(CASES[8], || {
        audit.set(ON)?;
        let pty = sys::open_pty(libc::O_NOCTTY).context("open pty")?;
        expect_bytes(
            write_then_read(&pty.master, &pty.slave, b"ntty\n")?,
            b"ntty\n",
        )
    });
    t.run(CASES[9], || {
        let problems = sys::kernel_problems()?;
        ensure(problems.is_empty(), problems.join("\n"))
    });
}

fn main() {
    let mut t = Tap::new("n_rust-test-audit", CASES.len());
    match AuditSocket::open() {
        Err(e) => {
            let reason = format!(
                "no TTY auditing in this kernel (socket(AF_NETLINK, NETLINK_AUDIT): {e}); it needs CONFIG_NET=y and CONFIG_AUDIT=y"
            );
            for name in CASES {
                t.skip(name, &reason);
            }
        }
        Ok(socket) => {
            let mut audit = Auditing(socket);
            run_cases(&mut t, &mut audit);
        }
    }
    std::process::exit(t.finish());
}
