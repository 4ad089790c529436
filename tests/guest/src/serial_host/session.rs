//! The signal cases: a session whose controlling terminal is the port. A child of the test
//! program calls `setsid` and `TIOCSCTTY` on the port (its group is then the foreground
//! group) and starts two more processes: a member of its group and one in a group of its
//! own (a background group of the same session). The host types `^C`, or sends a BREAK with
//! BRKINT set; each process counts the SIGINTs it gets, the leader reads the line typed
//! after it, and all three report through a pipe.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::port::{self, Mode, CANONICAL};
use super::Step;

/// SIGINTs this process received (each process has its own copy after `fork`).
static SIGINTS: AtomicU32 = AtomicU32::new(0);

extern "C" fn count_sigint(_: libc::c_int) {
    SIGINTS.fetch_add(1, Ordering::SeqCst);
}

/// The line the host types after the signal: its arrival shows that the signal's input was
/// processed, and that the characters before it were flushed.
pub const AFTER: &[u8] = b"after\n";

fn pipe() -> Result<(OwnedFd, OwnedFd), String> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` has room for the two descriptors pipe writes.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(format!("pipe: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: Both descriptors were just created and are ours.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn write_fd(fd: RawFd, text: &[u8]) {
    // SAFETY: `text` is valid for reads of its length; a short or failed write shows up as a
    // missing report in the parent.
    unsafe { libc::write(fd, text.as_ptr().cast(), text.len()) };
}

/// Reads `fd` until end of file, or `Err` after `timeout_ms` without data.
fn read_to_end(fd: &OwnedFd, timeout_ms: i32) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        match n_rust_guest_tests::sys::wait_readable(fd, timeout_ms) {
            Ok(true) => {}
            Ok(false) => return Err(format!("nothing for {timeout_ms} ms; so far {out:?}")),
            // The SIGINT being tested interrupts poll, SA_RESTART or not.
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.to_string()),
        }
        let mut buf = [0u8; 256];
        // SAFETY: `buf` is valid for writes of its length.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        match n {
            0 => return Ok(out),
            n if n > 0 => out.extend_from_slice(&buf[..n as usize]),
            _ if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) => {}
            _ => return Err(format!("read: {}", std::io::Error::last_os_error())),
        }
    }
}

/// Counts SIGINT from now on, restarting interrupted system calls.
fn count_sigints() {
    // SAFETY: `action` is plain data, set before use; the handler only touches an atomic.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = count_sigint as *const () as usize;
        action.sa_flags = libc::SA_RESTART;
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
    }
}

/// The pipes between the test program and the session's processes.
struct Pipes {
    ready: (OwnedFd, OwnedFd),
    report: (OwnedFd, OwnedFd),
    go: (OwnedFd, OwnedFd),
}

/// A process of the session other than the leader: says it is ready, waits for the test
/// program to close `go`, reports its SIGINT count as `role=N`, exits.
fn member(pipes: &Pipes, role: &str, own_group: bool) -> ! {
    if own_group {
        // SAFETY: setpgid on ourselves; a failure leaves us in the foreground group, which
        // the report then shows as a SIGINT where none is expected.
        unsafe { libc::setpgid(0, 0) };
    }
    write_fd(pipes.ready.1.as_raw_fd(), &role.as_bytes()[..1]);
    let _ = read_to_end(&pipes.go.0, 120_000);
    write_fd(
        pipes.report.1.as_raw_fd(),
        format!("{role}={} ", SIGINTS.load(Ordering::SeqCst)).as_bytes(),
    );
    // SAFETY: Ends this forked child without running the parent's exit handlers.
    unsafe { libc::_exit(0) }
}

/// The session leader: new session, the port as controlling terminal, two more processes,
/// then the line after the signal.
fn leader(pipes: &Pipes) -> ! {
    let fail = |what: &str| -> ! {
        let err = std::io::Error::last_os_error();
        let reason = format!("{what}:{err}").replace(' ', "_");
        write_fd(
            pipes.report.1.as_raw_fd(),
            format!("leader_error={reason} line=none ").as_bytes(),
        );
        write_fd(pipes.ready.1.as_raw_fd(), b"lmb");
        // SAFETY: Ends this forked child.
        unsafe { libc::_exit(1) }
    };
    // The test program's end of `go`: closed here (and so in the members forked below), so
    // that its close reaches everyone as end of file.
    // SAFETY: Closes a descriptor this forked child inherited and never uses; the `OwnedFd`
    // holding it is never dropped here (the child ends with `_exit`).
    unsafe { libc::close(pipes.go.1.as_raw_fd()) };
    // SAFETY: Plain syscalls in the forked child; the path is NUL-terminated.
    let tty = unsafe {
        if libc::setsid() < 0 {
            fail("setsid");
        }
        let fd = libc::open(c"/dev/ttyS1".as_ptr(), libc::O_RDWR | libc::O_NOCTTY);
        if fd < 0 {
            fail("open");
        }
        if libc::ioctl(fd, libc::TIOCSCTTY, 0) != 0 {
            fail("TIOCSCTTY");
        }
        OwnedFd::from_raw_fd(fd)
    };
    let mut children = Vec::new();
    for (role, own_group) in [("member", false), ("bg", true)] {
        // SAFETY: This process is single-threaded; the child only runs `member`.
        match unsafe { libc::fork() } {
            0 => member(pipes, role, own_group),
            pid if pid > 0 => children.push(pid),
            _ => fail("fork"),
        }
    }
    write_fd(pipes.ready.1.as_raw_fd(), b"l");
    let line = match port::read_until(&tty, Some(AFTER), Duration::from_secs(60)) {
        Ok(chunks) => port::hex(&chunks.concat()),
        Err(e) => format!("none({})", e.replace(' ', "_")),
    };
    write_fd(
        pipes.report.1.as_raw_fd(),
        format!("leader={} line={line} ", SIGINTS.load(Ordering::SeqCst)).as_bytes(),
    );
    let _ = read_to_end(&pipes.go.0, 120_000);
    for pid in children {
        // SAFETY: Reaps our own child.
        unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
    }
    // SAFETY: Ends this forked child; its exit hangs up the port (it leads the session).
    unsafe { libc::_exit(0) }
}

/// One signal case on `disc`: canonical mode, plus BRKINT when `brkint`.
pub fn signal_case(step: &Step, brkint: bool) -> Result<String, String> {
    let port = port::open_port(step.disc)?;
    let mode = Mode {
        iflag: CANONICAL.iflag | if brkint { libc::BRKINT } else { 0 },
        ..CANONICAL
    };
    port::set_mode(&port, &mode)?;
    let pipes = Pipes {
        ready: pipe()?,
        report: pipe()?,
        go: pipe()?,
    };
    count_sigints();
    // SAFETY: The test program is single-threaded here; the child only runs `leader`.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        leader(&pipes);
    }
    if pid < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    let Pipes { ready, report, go } = pipes;
    drop(ready.1);
    drop(report.1);
    drop(go.0);
    let mut ready_bytes = Vec::new();
    while ready_bytes.len() < 3 {
        if !n_rust_guest_tests::sys::wait_readable(&ready.0, 20_000).map_err(|e| e.to_string())? {
            break;
        }
        let mut buf = [0u8; 3];
        // SAFETY: `buf` is valid for writes of its length.
        let n = unsafe { libc::read(ready.0.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            break;
        }
        ready_bytes.extend_from_slice(&buf[..n as usize]);
    }
    step.ready("");
    // The leader's report comes once it has read the line after the signal; then the echo
    // is drained to the host before the members are let go (the leader's exit hangs up the
    // port).
    let mut text = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&text).contains("line=") {
        if !n_rust_guest_tests::sys::wait_readable(&report.0, 90_000).map_err(|e| e.to_string())? {
            break;
        }
        // SAFETY: `buf` is valid for writes of its length.
        let n = unsafe { libc::read(report.0.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            break;
        }
        text.extend_from_slice(&buf[..n as usize]);
    }
    let drained = port::drain(&port);
    drop(go.1);
    text.extend(read_to_end(&report.0, 30_000)?);
    // SAFETY: Reaps our own child, then kills whatever is left of its (foreground) group,
    // so that no process keeps the port as its controlling terminal into the next case.
    unsafe {
        libc::waitpid(pid, std::ptr::null_mut(), 0);
        libc::kill(-pid, libc::SIGKILL);
    }
    drained?;
    let mut fields: Vec<String> = String::from_utf8_lossy(&text)
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    fields.sort();
    Ok(fields.join(" "))
}
