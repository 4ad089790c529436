//! What every job-control case and the shell scenario use: errors as text, deadlines and
//! waits with timeouts, pipes and reads that retry after signals, `/proc/<pid>/stat`, and a
//! pty whose slave has a given discipline.

use n_rust_guest_tests::sys;
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

/// A check's result: `Err` says what went wrong.
pub type Outcome = Result<(), String>;

/// Seconds a job-control case may take before its session leader is killed by `alarm()`.
pub const CASE_SECONDS: u32 = 30;
/// Milliseconds to wait for a single expected event.
pub const WAIT_MS: u64 = 10_000;

/// The calling thread's `errno`.
pub fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// `what` failed, with the `errno` in words.
pub fn os_err(what: &str) -> String {
    format!("{what}: {}", std::io::Error::last_os_error())
}

/// Fails with `message` unless `condition` holds.
pub fn ensure(condition: bool, message: impl FnOnce() -> String) -> Outcome {
    if condition {
        Ok(())
    } else {
        Err(message())
    }
}

/// A signal's name (`SIGINT`), or its number.
pub fn signame(sig: i32) -> String {
    let name = match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGKILL => "SIGKILL",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGCONT => "SIGCONT",
        libc::SIGSTOP => "SIGSTOP",
        libc::SIGTSTP => "SIGTSTP",
        libc::SIGTTIN => "SIGTTIN",
        libc::SIGTTOU => "SIGTTOU",
        _ => return format!("signal {sig}"),
    };
    name.into()
}

/// An `errno` value's name where a case expects it, else the number.
pub fn errname(e: i32) -> String {
    match e {
        0 => "0".into(),
        libc::EIO => "EIO".into(),
        libc::EINTR => "EINTR".into(),
        libc::EAGAIN => "EAGAIN".into(),
        _ => format!("errno {e}"),
    }
}

/// A `waitpid` status in words.
pub fn describe(status: i32) -> String {
    if libc::WIFEXITED(status) {
        format!("exited with {}", libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        format!("killed by {}", signame(libc::WTERMSIG(status)))
    } else if libc::WIFSTOPPED(status) {
        format!("stopped by {}", signame(libc::WSTOPSIG(status)))
    } else {
        format!("status {status:#x}")
    }
}

/// The instant `ms` milliseconds from now.
pub fn deadline(ms: u64) -> Instant {
    Instant::now() + Duration::from_millis(ms)
}

fn remaining_ms(deadline: Instant) -> i32 {
    deadline
        .saturating_duration_since(Instant::now())
        .as_millis()
        .min(i32::MAX as u128) as i32
}

/// A close-on-exec pipe: (read end, write end).
pub fn pipe() -> Result<(OwnedFd, OwnedFd), String> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(os_err("pipe"));
    }
    // SAFETY: Both descriptors were just created and are ours.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Waits until `fd` is readable or `deadline` passes (`false`), retrying after signals.
fn wait_readable(fd: RawFd, deadline: Instant) -> bool {
    loop {
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: One valid pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, remaining_ms(deadline)) };
        if n > 0 {
            return true;
        }
        if n == 0 || errno() != libc::EINTR {
            return false;
        }
    }
}

/// Reads what is there once `fd` is readable; empty on timeout or end of file.
pub fn read_some(fd: RawFd, deadline: Instant) -> Vec<u8> {
    if !wait_readable(fd, deadline) {
        return Vec::new();
    }
    let mut buf = [0u8; 4096];
    loop {
        // SAFETY: `buf` is valid for writes of its length.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            return buf[..n as usize].to_vec();
        }
        if errno() != libc::EINTR {
            return Vec::new();
        }
    }
}

/// Writes all of `data` to `fd`, retrying after signals.
pub fn write_bytes(fd: RawFd, mut data: &[u8]) -> Outcome {
    while !data.is_empty() {
        // SAFETY: `data` is valid for reads of its length.
        let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if n < 0 {
            if errno() == libc::EINTR {
                continue;
            }
            return Err(os_err("write"));
        }
        data = &data[n as usize..];
    }
    Ok(())
}

/// Bytes as readable text (`\r`, `\n`, control characters and non-ASCII escaped).
pub fn show(data: &[u8]) -> String {
    data.escape_ascii().to_string()
}

/// The fields of `/proc/<pid>/stat` the tests look at.
#[derive(Debug)]
pub struct Stat {
    pub comm: String,
    pub state: char,
    pub ppid: i32,
    pub pgrp: i32,
    pub session: i32,
    pub tpgid: i32,
}

/// Process `pid`'s `/proc/<pid>/stat`, if it still exists.
pub fn proc_stat(pid: i32) -> Option<Stat> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = s.find('(')?;
    let close = s.rfind(')')?;
    let rest: Vec<&str> = s.get(close + 2..)?.split_whitespace().collect();
    let num = |i: usize| rest.get(i).and_then(|v| v.parse::<i32>().ok());
    Some(Stat {
        comm: s[open + 1..close].to_string(),
        state: rest.first()?.chars().next()?,
        ppid: num(1)?,
        pgrp: num(2)?,
        session: num(3)?,
        tpgid: num(5)?,
    })
}

/// Process `pid`'s state letter in `/proc` (`?` when it is gone).
pub fn proc_state(pid: i32) -> char {
    proc_stat(pid).map_or('?', |s| s.state)
}

/// Every process whose `/proc/<pid>/stat` matches `keep`.
pub fn processes(keep: impl Fn(&Stat) -> bool) -> Vec<(i32, Stat)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| Some((pid, proc_stat(pid)?)))
        .filter(|(_, s)| keep(s))
        .collect()
}

/// SIGKILLs every process of session `sid` (the members a case leaves behind).
pub fn kill_session(sid: i32) {
    for _ in 0..5 {
        let left = processes(|s| s.session == sid && s.state != 'Z');
        if left.is_empty() {
            return;
        }
        for (pid, _) in left {
            // SAFETY: Plain syscall.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits up to `ms` for a state change of child `pid` (`waitpid(WUNTRACED)`).
pub fn wait_child(pid: i32, ms: u64) -> Result<i32, String> {
    let end = deadline(ms);
    loop {
        let mut status = 0;
        // SAFETY: Plain syscall with a valid status pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WUNTRACED | libc::WNOHANG) };
        if r == pid {
            return Ok(status);
        }
        if r < 0 && errno() != libc::EINTR {
            return Err(os_err(&format!("waitpid {pid}")));
        }
        if Instant::now() >= end {
            return Err(format!(
                "process {pid}: no state change within {ms} ms (/proc state {})",
                proc_state(pid)
            ));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Waits up to `ms` until `cond` holds, checking every few milliseconds.
pub fn wait_until(ms: u64, mut cond: impl FnMut() -> bool) -> bool {
    let end = deadline(ms);
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A pty whose slave uses discipline `disc` (see `disciplines::put_on_pty`), and the
/// slave's path.
pub fn pty_with(disc: i32) -> Result<(sys::Pty, CString), String> {
    let pty =
        sys::open_pty_on(libc::O_NOCTTY, disc).map_err(|e| format!("pty on ldisc {disc}: {e}"))?;
    let mut name = [0 as libc::c_char; 64];
    // SAFETY: `name` is valid for writes of its length.
    let rc = unsafe { libc::ptsname_r(pty.master.as_raw_fd(), name.as_mut_ptr(), name.len()) };
    if rc != 0 {
        return Err(format!("ptsname: errno {rc}"));
    }
    // SAFETY: ptsname_r wrote a NUL-terminated string.
    let path = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) }.to_owned();
    Ok((pty, path))
}
