//! `n_rust-test-jobctl`: job control with real processes on a pty whose slave uses n_rust,
//! and the same on one using N_TTY as a control (the expectations must hold for both).
//!
//! ```text
//! n_rust-test-jobctl [DISC...]     (default: 29 0, i.e. n_rust then N_TTY)
//! ```
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

use n_rust_guest_tests::sys;
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

type Outcome = Result<(), String>;

/// Seconds a job-control case may take before its session leader is killed by `alarm()`.
const CASE_SECONDS: u32 = 30;
/// Milliseconds to wait for a single expected event.
const WAIT_MS: u64 = 10_000;

/// The write end of the result pipe, in the session leader: members close it.
static RESULT_FD: AtomicI32 = AtomicI32::new(-1);
/// Signals the session leader received (bit n = signal n): it must receive none.
static LEADER_GOT: AtomicU64 = AtomicU64::new(0);

extern "C" fn record_signal(sig: libc::c_int) {
    LEADER_GOT.fetch_or(1 << sig, Ordering::SeqCst);
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn os_err(what: &str) -> String {
    format!("{what}: {}", std::io::Error::last_os_error())
}

fn ensure(condition: bool, message: impl FnOnce() -> String) -> Outcome {
    if condition {
        Ok(())
    } else {
        Err(message())
    }
}

fn signame(sig: i32) -> String {
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

fn errname(e: i32) -> String {
    match e {
        0 => "0".into(),
        libc::EIO => "EIO".into(),
        libc::EINTR => "EINTR".into(),
        libc::EAGAIN => "EAGAIN".into(),
        _ => format!("errno {e}"),
    }
}

/// A `waitpid` status in words.
fn describe(status: i32) -> String {
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

fn deadline(ms: u64) -> Instant {
    Instant::now() + Duration::from_millis(ms)
}

fn remaining_ms(deadline: Instant) -> i32 {
    deadline
        .saturating_duration_since(Instant::now())
        .as_millis()
        .min(i32::MAX as u128) as i32
}

fn pipe() -> Result<(OwnedFd, OwnedFd), String> {
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
fn read_some(fd: RawFd, deadline: Instant) -> Vec<u8> {
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

fn write_bytes(fd: RawFd, mut data: &[u8]) -> Outcome {
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
fn show(data: &[u8]) -> String {
    data.escape_ascii().to_string()
}

/// The fields of `/proc/<pid>/stat` the tests look at.
#[derive(Debug)]
struct Stat {
    comm: String,
    state: char,
    ppid: i32,
    pgrp: i32,
    session: i32,
    tpgid: i32,
}

fn proc_stat(pid: i32) -> Option<Stat> {
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

fn proc_state(pid: i32) -> char {
    proc_stat(pid).map_or('?', |s| s.state)
}

/// Every process whose `/proc/<pid>/stat` matches `keep`.
fn processes(keep: impl Fn(&Stat) -> bool) -> Vec<(i32, Stat)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| Some((pid, proc_stat(pid)?)))
        .filter(|(_, s)| keep(s))
        .collect()
}

/// SIGKILLs every process of session `sid` (the members a case leaves behind).
fn kill_session(sid: i32) {
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
fn wait_child(pid: i32, ms: u64) -> Result<i32, String> {
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
fn wait_until(ms: u64, mut cond: impl FnMut() -> bool) -> bool {
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

// ---------------------------------------------------------------------------------------
// Part 1: members of process groups in a session, driven by the session leader.

/// How a member sets up its signals before acting.
#[derive(Clone, Copy)]
enum Setup {
    Default,
    IgnoreTtin,
    BlockTtin,
    IgnoreTtou,
    BlockTtou,
    /// A session of its own: the tty is then not its controlling tty.
    NewSession,
}

/// What a member does once it is ready.
#[derive(Clone, Copy)]
enum Act {
    /// Answers each byte on its control pipe with `a` (a ping proves it alive and unsignalled).
    Idle,
    /// On `g`, reads the tty once and reports `R <ret> <errno> <hex bytes>`.
    Read,
    /// On `g`, writes these bytes to the tty and reports `W <ret> <errno>`.
    Write(&'static [u8]),
    /// Forks a grandchild into its own group, reports `G <pid>` and exits: the grandchild's
    /// group is then orphaned. On `g`, the grandchild reads (or writes these bytes to) the
    /// tty and reports as `Read` (`Write`).
    Orphan(Option<&'static [u8]>),
}

/// A member: a child of the session leader, with a control pipe and a report pipe.
struct Member {
    pid: i32,
    ctl: OwnedFd,
    out: OwnedFd,
    buf: Vec<u8>,
}

impl Member {
    /// The next report line (without the newline), waiting up to `ms`.
    fn recv(&mut self, ms: u64) -> Result<String, String> {
        let end = deadline(ms);
        loop {
            if let Some(nl) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=nl).collect();
                return Ok(String::from_utf8_lossy(&line[..nl]).into_owned());
            }
            let chunk = read_some(self.out.as_raw_fd(), end);
            if chunk.is_empty() {
                return Err(format!(
                    "process {}: no report within {ms} ms (/proc state {})",
                    self.pid,
                    proc_state(self.pid)
                ));
            }
            self.buf.extend_from_slice(&chunk);
        }
    }

    fn send(&self, byte: u8) -> Outcome {
        write_bytes(self.ctl.as_raw_fd(), &[byte])
    }

    /// Tells a `Read`/`Write`/`Orphan` member to act.
    fn go(&self) -> Outcome {
        self.send(b'g')
    }

    /// The member answers a ping (so it is alive and got no signal that kills or stops it).
    fn ping(&mut self) -> Outcome {
        self.send(b'p')?;
        let answer = self
            .recv(WAIT_MS)
            .map_err(|e| format!("ping: {e} (waitpid: {})", self.peek()))?;
        ensure(answer == "a", || format!("ping answered {answer:?}"))
    }

    /// What `waitpid(WNOHANG | WUNTRACED)` says now.
    fn peek(&self) -> String {
        let mut status = 0;
        // SAFETY: Plain syscall.
        let r = unsafe { libc::waitpid(self.pid, &mut status, libc::WUNTRACED | libc::WNOHANG) };
        if r == self.pid {
            describe(status)
        } else {
            "no change".into()
        }
    }

    /// The `R`/`W` report: return value, errno and the bytes read.
    fn report(&mut self) -> Result<(i64, i32, Vec<u8>), String> {
        let line = self.recv(WAIT_MS)?;
        let mut parts = line.split(' ');
        let kind = parts.next().unwrap_or("");
        let ret = parts.next().and_then(|v| v.parse().ok());
        let err = parts.next().and_then(|v| v.parse().ok());
        let data = parts.next().map(unhex).unwrap_or_default();
        match (kind, ret, err) {
            ("R" | "W", Some(ret), Some(err)) => Ok((ret, err, data)),
            _ => Err(format!("bad report {line:?}")),
        }
    }

    /// Waits for the member to stop, and checks that it stopped with `sig` and shows `T`.
    fn expect_stopped(&self, sig: i32) -> Outcome {
        let status = wait_child(self.pid, WAIT_MS)?;
        ensure(
            libc::WIFSTOPPED(status) && libc::WSTOPSIG(status) == sig,
            || {
                format!(
                    "process {} {}, expected stopped by {}",
                    self.pid,
                    describe(status),
                    signame(sig)
                )
            },
        )?;
        let state = proc_state(self.pid);
        ensure(state == 'T', || {
            format!("process {} stopped, but /proc state is {state}", self.pid)
        })
    }

    /// Waits for the member to die, and checks that `sig` killed it.
    fn expect_killed(&self, sig: i32) -> Outcome {
        let status = wait_child(self.pid, WAIT_MS)?;
        ensure(
            libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == sig,
            || {
                format!(
                    "process {} {}, expected killed by {}",
                    self.pid,
                    describe(status),
                    signame(sig)
                )
            },
        )
    }
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// Writes one report line from a member (a single `write`, so lines do not interleave).
fn member_say(out: RawFd, line: &str) {
    let _ = write_bytes(out, format!("{line}\n").as_bytes());
}

/// Reads one byte from the control pipe (`None` at end of file).
fn member_wait(ctl: RawFd) -> Option<u8> {
    let mut b = 0u8;
    loop {
        // SAFETY: One byte into `b`.
        let n = unsafe { libc::read(ctl, (&mut b as *mut u8).cast(), 1) };
        if n == 1 {
            return Some(b);
        }
        if n == 0 || errno() != libc::EINTR {
            return None;
        }
    }
}

fn member_read(tty: RawFd, out: RawFd) {
    let mut buf = [0u8; 64];
    // SAFETY: `buf` is valid for writes of its length.
    let n = unsafe { libc::read(tty, buf.as_mut_ptr().cast(), buf.len()) };
    let e = if n < 0 { errno() } else { 0 };
    let data = if n > 0 { &buf[..n as usize] } else { &[][..] };
    member_say(out, &format!("R {n} {e} {}", hex(data)));
}

fn member_write(tty: RawFd, out: RawFd, data: &[u8]) {
    // SAFETY: `data` is valid for reads of its length.
    let n = unsafe { libc::write(tty, data.as_ptr().cast(), data.len()) };
    let e = if n < 0 { errno() } else { 0 };
    member_say(out, &format!("W {n} {e}"));
}

/// The body of a member process; never returns.
fn member_main(tty: RawFd, pgid: i32, setup: Setup, act: Act, ctl: RawFd, out: RawFd) -> ! {
    // SAFETY: Plain syscalls in a single-threaded child; the sigset and rlimit are local.
    unsafe {
        let result = RESULT_FD.load(Ordering::SeqCst);
        if result >= 0 {
            libc::close(result);
        }
        // A member that makes a session of its own must not lead a group first.
        if !matches!(setup, Setup::NewSession) {
            libc::setpgid(0, pgid);
        }
        for sig in [
            libc::SIGINT,
            libc::SIGQUIT,
            libc::SIGTSTP,
            libc::SIGTTIN,
            libc::SIGTTOU,
            libc::SIGHUP,
            libc::SIGCONT,
        ] {
            libc::signal(sig, libc::SIG_DFL);
        }
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
        let no_core = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &no_core);
        match setup {
            Setup::Default => {}
            Setup::IgnoreTtin => {
                libc::signal(libc::SIGTTIN, libc::SIG_IGN);
            }
            Setup::IgnoreTtou => {
                libc::signal(libc::SIGTTOU, libc::SIG_IGN);
            }
            Setup::BlockTtin => {
                libc::sigaddset(&mut set, libc::SIGTTIN);
                libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            }
            Setup::BlockTtou => {
                libc::sigaddset(&mut set, libc::SIGTTOU);
                libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            }
            Setup::NewSession => {
                libc::setsid();
            }
        }
    }
    member_say(out, "r");
    match act {
        Act::Idle => {
            while member_wait(ctl).is_some() {
                member_say(out, "a");
            }
        }
        Act::Read => {
            if member_wait(ctl).is_some() {
                member_read(tty, out);
            }
        }
        Act::Write(data) => {
            if member_wait(ctl).is_some() {
                member_write(tty, out, data);
            }
        }
        Act::Orphan(write) => {
            // SAFETY: Plain fork in a single-threaded process.
            let child = unsafe { libc::fork() };
            if child == 0 {
                if member_wait(ctl).is_some() {
                    match write {
                        None => member_read(tty, out),
                        Some(data) => member_write(tty, out, data),
                    }
                }
                // SAFETY: Plain syscall.
                unsafe { libc::_exit(0) };
            }
            member_say(out, &format!("G {child}"));
        }
    }
    // SAFETY: Plain syscall.
    unsafe { libc::_exit(0) }
}

/// What a case works with, inside the session leader.
struct Cx {
    /// The slave, the leader's controlling tty.
    tty: RawFd,
    /// The master: the leader types on it as the terminal.
    master: RawFd,
}

impl Cx {
    /// Forks a member into group `pgid` (0: a new group of its own) and waits until it is ready.
    fn spawn(&self, pgid: i32, setup: Setup, act: Act) -> Result<Member, String> {
        let (ctl_r, ctl_w) = pipe()?;
        let (out_r, out_w) = pipe()?;
        // SAFETY: Plain fork in a single-threaded process.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(os_err("fork"));
        }
        if pid == 0 {
            member_main(
                self.tty,
                pgid,
                setup,
                act,
                ctl_r.as_raw_fd(),
                out_w.as_raw_fd(),
            );
        }
        // Both sides set the group, as shells do, so neither order races.
        if !matches!(setup, Setup::NewSession) {
            // SAFETY: Plain syscall.
            unsafe { libc::setpgid(pid, if pgid == 0 { pid } else { pgid }) };
        }
        let mut m = Member {
            pid,
            ctl: ctl_w,
            out: out_r,
            buf: Vec::new(),
        };
        let ready = m.recv(WAIT_MS)?;
        ensure(ready == "r", || format!("member said {ready:?}, not ready"))?;
        Ok(m)
    }

    fn set_foreground(&self, pgid: i32) -> Outcome {
        // SAFETY: Plain syscall (the leader ignores SIGTTOU, as a shell does).
        if unsafe { libc::tcsetpgrp(self.tty, pgid) } != 0 {
            return Err(os_err(&format!("tcsetpgrp {pgid}")));
        }
        Ok(())
    }

    fn set_lflag(&self, flag: libc::tcflag_t, on: bool) -> Outcome {
        // SAFETY: `t` is filled by tcgetattr before use.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(self.tty, &mut t) != 0 {
                return Err(os_err("tcgetattr"));
            }
            if on {
                t.c_lflag |= flag;
            } else {
                t.c_lflag &= !flag;
            }
            if libc::tcsetattr(self.tty, libc::TCSANOW, &t) != 0 {
                return Err(os_err("tcsetattr"));
            }
        }
        Ok(())
    }

    /// Types `data` on the terminal.
    fn type_in(&self, data: &[u8]) -> Outcome {
        write_bytes(self.master, data)
    }

    /// What the terminal shows within `ms` (read until it is quiet for `ms`).
    fn screen(&self, ms: u64) -> Vec<u8> {
        let mut all = Vec::new();
        loop {
            let chunk = read_some(self.master, deadline(ms));
            if chunk.is_empty() {
                return all;
            }
            all.extend_from_slice(&chunk);
        }
    }

    /// Waits until the terminal shows `needle`.
    fn expect_screen(&self, needle: &[u8]) -> Outcome {
        let end = deadline(WAIT_MS);
        let mut all = Vec::new();
        while !all.windows(needle.len()).any(|w| w == needle) {
            let chunk = read_some(self.master, end);
            if chunk.is_empty() {
                return Err(format!(
                    "the terminal did not show \"{}\"; it showed \"{}\"",
                    show(needle),
                    show(&all)
                ));
            }
            all.extend_from_slice(&chunk);
        }
        Ok(())
    }

    /// Bytes buffered for reading on the slave (`FIONREAD`, which does no job control).
    fn pending_input(&self) -> i32 {
        let mut n: libc::c_int = -1;
        // SAFETY: FIONREAD writes one int.
        unsafe { libc::ioctl(self.tty, libc::FIONREAD, &mut n) };
        n
    }
}

/// One job-control case: its name and its body, run by a session leader.
struct Case {
    name: &'static str,
    run: fn(&Cx) -> Outcome,
}

/// An ISIG character: every member of the foreground group gets `sig` (and dies, or stops
/// for `stops`); the background member and the leader get nothing.
fn isig_case(cx: &Cx, key: u8, sig: i32, stops: bool) -> Outcome {
    // One foreground member sleeps in a read of the tty (the signal must end the sleep),
    // the other in a read of its pipe.
    let a1 = cx.spawn(0, Setup::Default, Act::Read)?;
    let a2 = cx.spawn(a1.pid, Setup::Default, Act::Idle)?;
    let mut b = cx.spawn(0, Setup::Default, Act::Idle)?;
    cx.set_foreground(a1.pid)?;
    a1.go()?;
    // Best effort: the reader asleep (in the tty's read, right after the pipe's).
    wait_until(WAIT_MS, || proc_state(a1.pid) == 'S');
    cx.type_in(&[key])?;
    for a in [&a1, &a2] {
        if stops {
            a.expect_stopped(sig)?;
        } else {
            a.expect_killed(sig)?;
        }
    }
    b.ping().map_err(|e| format!("background member: {e}"))?;
    // ECHO and ECHOCTL (the defaults) echo the character as ^X.
    cx.expect_screen(&[b'^', key ^ 0x40])
}

fn case_intr(cx: &Cx) -> Outcome {
    isig_case(cx, 0x03, libc::SIGINT, false)
}

fn case_quit(cx: &Cx) -> Outcome {
    isig_case(cx, 0x1c, libc::SIGQUIT, false)
}

fn case_susp(cx: &Cx) -> Outcome {
    isig_case(cx, 0x1a, libc::SIGTSTP, true)
}

/// A background read stops the reader's whole group with SIGTTIN; in the foreground and
/// continued, the read restarts and returns the line.
fn case_bg_read(cx: &Cx) -> Outcome {
    let mut f = cx.spawn(0, Setup::Default, Act::Idle)?;
    let mut r = cx.spawn(0, Setup::Default, Act::Read)?;
    let i = cx.spawn(r.pid, Setup::Default, Act::Idle)?;
    cx.set_foreground(f.pid)?;
    r.go()?;
    r.expect_stopped(libc::SIGTTIN)?;
    i.expect_stopped(libc::SIGTTIN)?;
    f.ping().map_err(|e| format!("foreground member: {e}"))?;
    cx.set_foreground(r.pid)?;
    // SAFETY: Plain syscall.
    unsafe { libc::kill(-r.pid, libc::SIGCONT) };
    cx.type_in(b"resume\n")?;
    let (n, e, data) = r.report()?;
    ensure(n == 7 && data == b"resume\n", || {
        format!(
            "after fg and SIGCONT the read returned {n} ({}) \"{}\"",
            errname(e),
            show(&data)
        )
    })
}

/// A background read (or, with TOSTOP, a write) whose group is orphaned fails with EIO and
/// stops nobody.
fn orphan_case(cx: &Cx, write: Option<&'static [u8]>) -> Outcome {
    if write.is_some() {
        cx.set_lflag(libc::TOSTOP, true)?;
    }
    let f = cx.spawn(0, Setup::Default, Act::Idle)?;
    cx.set_foreground(f.pid)?;
    let mut c = cx.spawn(0, Setup::Default, Act::Orphan(write))?;
    let line = c.recv(WAIT_MS)?;
    let g: i32 = line
        .strip_prefix("G ")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("orphan maker said {line:?}"))?;
    // The group's only other member exits (left a zombie, as N_TTY's check skips dead ones).
    let exited = wait_until(WAIT_MS, || {
        // SAFETY: `info` is plain data filled by waitid.
        unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(
                libc::P_PID,
                c.pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            ) == 0
                && info.si_pid() == c.pid
        }
    });
    ensure(exited, || "the orphan maker did not exit".into())?;
    let st = proc_stat(g).ok_or_else(|| format!("no /proc/{g}/stat"))?;
    ensure(st.pgrp == c.pid && st.ppid != c.pid, || {
        format!("grandchild {g}: pgrp {} ppid {}", st.pgrp, st.ppid)
    })?;
    c.go()?;
    let (n, e, _) = c.report()?;
    ensure(n == -1 && e == libc::EIO, || {
        format!(
            "{} from the orphaned group returned {n} ({}), expected EIO; /proc state {}",
            if write.is_some() { "write" } else { "read" },
            errname(e),
            proc_state(g)
        )
    })
}

fn case_orphan_read(cx: &Cx) -> Outcome {
    orphan_case(cx, None)
}

fn case_orphan_write(cx: &Cx) -> Outcome {
    orphan_case(cx, Some(b"bgout\n"))
}

/// A process for which the pty is not the controlling tty (another session) reads it
/// without job control, though the tty's foreground group is not its own.
fn case_not_ctty_read(cx: &Cx) -> Outcome {
    let f = cx.spawn(0, Setup::Default, Act::Idle)?;
    cx.set_foreground(f.pid)?;
    let mut r = cx.spawn(0, Setup::NewSession, Act::Read)?;
    r.go()?;
    cx.type_in(b"free\n")?;
    let (n, e, data) = r
        .report()
        .map_err(|err| format!("{err}; waitpid: {}", r.peek()))?;
    ensure(n == 5 && data == b"free\n", || {
        format!("read returned {n} ({}) \"{}\"", errname(e), show(&data))
    })
}

/// A background read with SIGTTIN ignored or blocked fails with EIO.
fn eio_read(cx: &Cx, setup: Setup) -> Outcome {
    let f = cx.spawn(0, Setup::Default, Act::Idle)?;
    cx.set_foreground(f.pid)?;
    let mut r = cx.spawn(0, setup, Act::Read)?;
    r.go()?;
    let (n, e, _) = r
        .report()
        .map_err(|err| format!("{err}; waitpid: {}", r.peek()))?;
    ensure(n == -1 && e == libc::EIO, || {
        format!("read returned {n} ({}), expected EIO", errname(e))
    })
}

fn case_ttin_ignored(cx: &Cx) -> Outcome {
    eio_read(cx, Setup::IgnoreTtin)
}

fn case_ttin_blocked(cx: &Cx) -> Outcome {
    eio_read(cx, Setup::BlockTtin)
}

/// With TOSTOP a background write stops the writer's group with SIGTTOU and writes nothing;
/// in the foreground and continued, the write completes.
fn case_tostop(cx: &Cx) -> Outcome {
    cx.set_lflag(libc::TOSTOP, true)?;
    let f = cx.spawn(0, Setup::Default, Act::Idle)?;
    cx.set_foreground(f.pid)?;
    let mut w = cx.spawn(0, Setup::Default, Act::Write(b"bgout\n"))?;
    let i = cx.spawn(w.pid, Setup::Default, Act::Idle)?;
    w.go()?;
    w.expect_stopped(libc::SIGTTOU)?;
    i.expect_stopped(libc::SIGTTOU)?;
    let shown = cx.screen(100);
    ensure(!shown.windows(5).any(|x| x == b"bgout"), || {
        format!(
            "the stopped writer's bytes reached the terminal: \"{}\"",
            show(&shown)
        )
    })?;
    cx.set_foreground(w.pid)?;
    // SAFETY: Plain syscall.
    unsafe { libc::kill(-w.pid, libc::SIGCONT) };
    let (n, e, _) = w.report()?;
    ensure(n == 6, || {
        format!("write after fg returned {n} ({})", errname(e))
    })?;
    cx.expect_screen(b"bgout\r\n")
}

/// A background write is written: without TOSTOP, or with TOSTOP and SIGTTOU ignored.
fn bg_write_passes(cx: &Cx, tostop: bool, setup: Setup) -> Outcome {
    cx.set_lflag(libc::TOSTOP, tostop)?;
    let f = cx.spawn(0, Setup::Default, Act::Idle)?;
    cx.set_foreground(f.pid)?;
    let mut w = cx.spawn(0, setup, Act::Write(b"bgout\n"))?;
    w.go()?;
    let (n, e, _) = w
        .report()
        .map_err(|err| format!("{err}; waitpid: {}", w.peek()))?;
    ensure(n == 6, || {
        format!("background write returned {n} ({})", errname(e))
    })?;
    cx.expect_screen(b"bgout\r\n")
}

fn case_no_tostop(cx: &Cx) -> Outcome {
    bg_write_passes(cx, false, Setup::Default)
}

fn case_tostop_ignored(cx: &Cx) -> Outcome {
    bg_write_passes(cx, true, Setup::IgnoreTtou)
}

fn case_tostop_blocked(cx: &Cx) -> Outcome {
    bg_write_passes(cx, true, Setup::BlockTtou)
}

/// A complete line is pending when ^C comes: with NOFLSH it is still read afterwards,
/// without it is flushed.
fn noflsh_case(cx: &Cx, noflsh: bool) -> Outcome {
    cx.set_lflag(libc::NOFLSH, noflsh)?;
    let a = cx.spawn(0, Setup::Default, Act::Idle)?;
    cx.set_foreground(a.pid)?;
    cx.type_in(b"abc\n")?;
    ensure(wait_until(WAIT_MS, || cx.pending_input() == 4), || {
        format!("FIONREAD is {}, expected 4", cx.pending_input())
    })?;
    cx.type_in(&[0x03])?;
    a.expect_killed(libc::SIGINT)?;
    // The leader takes the foreground and reads what is left, up to a marker line.
    // SAFETY: Plain syscall.
    cx.set_foreground(unsafe { libc::getpgrp() })?;
    cx.type_in(b"x\n")?;
    let mut lines = Vec::new();
    let end = deadline(WAIT_MS);
    loop {
        let chunk = read_some(cx.tty, end);
        if chunk.is_empty() {
            return Err(format!("no marker line; read {lines:?}"));
        }
        if chunk == b"x\n" {
            break;
        }
        lines.push(show(&chunk));
    }
    let expected: Vec<String> = if noflsh {
        vec!["abc\\n".into()]
    } else {
        vec![]
    };
    ensure(lines == expected, || {
        format!("lines before the marker: {lines:?}, expected {expected:?}")
    })
}

fn case_noflsh_off(cx: &Cx) -> Outcome {
    noflsh_case(cx, false)
}

fn case_noflsh_on(cx: &Cx) -> Outcome {
    noflsh_case(cx, true)
}

const CASES: &[Case] = &[
    Case {
        name: "^C: SIGINT to every foreground member, none to the background or the leader",
        run: case_intr,
    },
    Case {
        name: "^\\: SIGQUIT to every foreground member, none to the background or the leader",
        run: case_quit,
    },
    Case {
        name: "^Z: SIGTSTP stops the foreground group, not the background",
        run: case_susp,
    },
    Case {
        name: "background read: SIGTTIN stops the group; after fg and SIGCONT it reads",
        run: case_bg_read,
    },
    Case {
        name: "background read from an orphaned group: EIO",
        run: case_orphan_read,
    },
    Case {
        name: "background write with TOSTOP from an orphaned group: EIO",
        run: case_orphan_write,
    },
    Case {
        name: "read by a process of another session (not its controlling tty): no job control",
        run: case_not_ctty_read,
    },
    Case {
        name: "background read with SIGTTIN ignored: EIO",
        run: case_ttin_ignored,
    },
    Case {
        name: "background read with SIGTTIN blocked: EIO",
        run: case_ttin_blocked,
    },
    Case {
        name: "background write with TOSTOP: SIGTTOU stops the group; after fg it is written",
        run: case_tostop,
    },
    Case {
        name: "background write with TOSTOP and SIGTTOU ignored: written",
        run: case_tostop_ignored,
    },
    Case {
        name: "background write with TOSTOP and SIGTTOU blocked: written",
        run: case_tostop_blocked,
    },
    Case {
        name: "background write without TOSTOP: written",
        run: case_no_tostop,
    },
    Case {
        name: "^C without NOFLSH flushes a pending line",
        run: case_noflsh_off,
    },
    Case {
        name: "^C with NOFLSH keeps a pending line",
        run: case_noflsh_on,
    },
];

/// A pty whose slave uses discipline `disc`, and the slave's path.
fn pty_with(disc: i32) -> Result<(sys::Pty, CString), String> {
    let pty = sys::open_pty(libc::O_NOCTTY).map_err(|e| format!("open pty: {e}"))?;
    sys::set_ldisc(&pty.slave, disc).map_err(|e| format!("TIOCSETD {disc}: {e}"))?;
    let got = sys::get_ldisc(&pty.slave).map_err(|e| format!("TIOCGETD: {e}"))?;
    ensure(got == disc, || format!("TIOCGETD says {got}, not {disc}"))?;
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

/// The session leader of a case: a new session with the slave as controlling tty.
fn leader_main(path: &CString, master: RawFd, result: RawFd, case: &Case) -> ! {
    let outcome = (|| -> Outcome {
        // SAFETY: Plain syscalls; the handler only touches an atomic.
        unsafe {
            if libc::setsid() < 0 {
                return Err(os_err("setsid"));
            }
            let tty = libc::open(path.as_ptr(), libc::O_RDWR);
            if tty < 0 {
                return Err(os_err("open slave"));
            }
            let mut sid: libc::pid_t = 0;
            if libc::ioctl(tty, libc::TIOCGSID, &mut sid) != 0 || sid != libc::getpid() {
                return Err(os_err("the slave did not become the controlling tty"));
            }
            // As a shell: tcsetpgrp and tcsetattr from the background without SIGTTOU.
            libc::signal(libc::SIGTTOU, libc::SIG_IGN);
            let handler = record_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            for sig in [
                libc::SIGINT,
                libc::SIGQUIT,
                libc::SIGTSTP,
                libc::SIGTTIN,
                libc::SIGHUP,
            ] {
                libc::signal(sig, handler);
            }
            libc::alarm(CASE_SECONDS);
            (case.run)(&Cx { tty, master })?;
        }
        let got = LEADER_GOT.load(Ordering::SeqCst);
        let names: Vec<String> = (1..64)
            .filter(|s| got & (1 << s) != 0)
            .map(signame)
            .collect();
        ensure(names.is_empty(), || {
            format!("the session leader received {}", names.join(", "))
        })
    })();
    let mut message = outcome.err().unwrap_or_default().into_bytes();
    message.push(0);
    let _ = write_bytes(result, &message);
    // SAFETY: Plain syscall.
    unsafe { libc::_exit(0) }
}

/// Runs one case on a fresh pty with discipline `disc`, in a fresh session.
fn run_case(disc: i32, case: &Case) -> Outcome {
    let (pty, path) = pty_with(disc)?;
    let (result_r, result_w) = pipe()?;
    // SAFETY: Plain fork; this program is single-threaded.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(os_err("fork"));
    }
    if pid == 0 {
        drop(result_r);
        RESULT_FD.store(result_w.as_raw_fd(), Ordering::SeqCst);
        leader_main(&path, pty.master.as_raw_fd(), result_w.as_raw_fd(), case);
    }
    drop(result_w);
    let end = deadline(u64::from(CASE_SECONDS + 5) * 1000);
    let mut message = Vec::new();
    while message.last() != Some(&0) {
        let chunk = read_some(result_r.as_raw_fd(), end);
        if chunk.is_empty() {
            break;
        }
        message.extend_from_slice(&chunk);
    }
    kill_session(pid);
    let status = wait_child(pid, 5000);
    match message.pop() {
        Some(0) if message.is_empty() => Ok(()),
        Some(0) => Err(String::from_utf8_lossy(&message).into_owned()),
        _ => Err(format!(
            "no result from the session leader ({})",
            status.map_or_else(|e| e, describe)
        )),
    }
}

// ---------------------------------------------------------------------------------------
// Part 2: busybox ash with job control, this program acting as the terminal.

const PROMPT: &str = "NRSH$ ";

/// The terminal side of an interactive shell on a pty.
struct Terminal {
    master: RawFd,
    ash: i32,
    seen: Vec<u8>,
    /// Where the next match starts.
    pos: usize,
    /// Prompts lost to ash's SIGCHLD race, after which `command` resynchronised.
    resyncs: usize,
}

impl Terminal {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.seen).into_owned()
    }

    fn type_in(&self, s: &str) -> Outcome {
        write_bytes(self.master, s.as_bytes())
    }

    /// Reads until the output after `pos` contains `needle`; returns the text between `pos`
    /// and the end of `needle`, and moves `pos` past it.
    fn expect(&mut self, needle: &str, ms: u64) -> Result<String, String> {
        let end = deadline(ms);
        loop {
            if let Some(at) = self.text()[self.pos..].find(needle) {
                let stop = self.pos + at + needle.len();
                let got = self.text()[self.pos..stop].to_string();
                self.pos = stop;
                return Ok(got);
            }
            let chunk = read_some(self.master, end);
            if chunk.is_empty() {
                return Err(format!("no {:?} within {ms} ms", needle));
            }
            // Keep the transcript valid UTF-8 for matching (busybox only writes ASCII here).
            self.seen
                .extend(chunk.iter().map(|&b| if b < 0x80 { b } else { b'?' }));
        }
    }

    /// Types a command line and returns what the shell printed up to its next prompt.
    ///
    /// busybox ash catches SIGCHLD without `SA_RESTART`: when a background job stops or ends
    /// just as the shell writes its prompt, the write fails with `EINTR` (N_TTY and n_rust
    /// alike check for a pending signal before writing anything) and stdio drops the prompt.
    /// When no prompt comes within a few seconds, this types a command whose output cannot
    /// be its own echo and waits for that output and the prompt after it.
    fn command(&mut self, line: &str) -> Result<String, String> {
        self.type_in(&format!("{line}\n"))?;
        let first = self.expect(PROMPT, 3000);
        if first.is_ok() {
            return first;
        }
        let start = self.pos;
        self.resyncs += 1;
        let n = self.resyncs;
        self.type_in(&format!("echo @@sync$(({n}+1000))@@\n"))?;
        let marker = format!("\n@@sync{}@@\r\n", n + 1000);
        self.expect(&marker, WAIT_MS)
            .and_then(|_| self.expect(PROMPT, WAIT_MS))
            .map_err(|e| format!("command {line:?}: no prompt in 3 s, then after a resync: {e}"))?;
        Ok(self.text()[start..self.pos].to_string())
    }

    /// The terminal's foreground process group, as the shell's `/proc` entry says.
    fn foreground(&self) -> i32 {
        proc_stat(self.ash).map_or(-1, |s| s.tpgid)
    }

    /// Waits until the foreground group is not the shell's (a job took the terminal).
    fn wait_job_foreground(&self) -> Result<i32, String> {
        let mut fg = -1;
        let ok = wait_until(WAIT_MS, || {
            fg = self.foreground();
            fg > 0 && fg != self.ash
        });
        ensure(ok, || format!("no job took the foreground (tpgid {fg})"))?;
        Ok(fg)
    }

    /// Waits until every process of group `pgid` is in `/proc` state `state`.
    fn wait_group_state(&self, pgid: i32, state: char) -> Outcome {
        let mut seen = Vec::new();
        let ok = wait_until(WAIT_MS, || {
            let members = processes(|s| s.pgrp == pgid);
            seen = members
                .iter()
                .map(|(pid, s)| format!("{pid} {} {}", s.comm, s.state))
                .collect();
            !members.is_empty() && members.iter().all(|(_, s)| s.state == state)
        });
        ensure(ok, || {
            format!("group {pgid} not all in state {state}: {seen:?}")
        })
    }

    /// Types `jobs` until its output satisfies `want` (the shell learns of a job's change
    /// asynchronously); returns the last output.
    fn jobs_until(&mut self, what: &str, want: impl Fn(&str) -> bool) -> Result<String, String> {
        let end = deadline(WAIT_MS * 2);
        loop {
            let out = self.command("jobs")?;
            if want(&out) {
                return Ok(out);
            }
            if Instant::now() >= end {
                return Err(format!("jobs never showed {what}; last: {:?}", out));
            }
            // Not synchronisation: only spaces out the polls of the shell's job table.
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The shell's job list of one `jobs` command: its output lines, without the echo.
fn job_lines(out: &str) -> Vec<String> {
    out.split('\n')
        .skip(1)
        .map(|l| l.trim_end_matches('\r').to_string())
        .filter(|l| l.starts_with('['))
        .collect()
}

/// The `jobs` output lists exactly one job (`[1]`), possibly on more than one line (the
/// shell may report a change of state after the list).
fn one_job(out: &str) -> bool {
    let lines = job_lines(out);
    !lines.is_empty() && lines.iter().all(|l| l.starts_with("[1]"))
}

fn ash_script(t: &mut Terminal) -> Outcome {
    t.expect(PROMPT, WAIT_MS * 3)?;
    // cat in the foreground: a line typed is echoed by the tty, then written back by cat.
    t.type_in("cat\n")?;
    let cat = t.wait_job_foreground()?;
    t.type_in("hello\n")?;
    t.expect("hello\r\nhello\r\n", WAIT_MS)?;
    // ^Z stops it; the shell says so and prompts again.
    t.type_in("\x1a")?;
    let out = t.expect(PROMPT, WAIT_MS)?;
    ensure(out.contains("Stopped") && out.contains("cat"), || {
        format!("after ^Z the shell said {out:?}")
    })?;
    t.wait_group_state(cat, 'T')?;
    let out = t.command("jobs")?;
    let lines = job_lines(&out);
    ensure(
        lines.len() == 1 && lines[0].contains("Stopped") && lines[0].ends_with("cat"),
        || format!("jobs after ^Z: {lines:?}"),
    )?;
    // bg: cat runs in the background, reads, and stops again on SIGTTIN.
    t.command("bg")?;
    let out = t.jobs_until("Stopped (tty input)", |o| {
        job_lines(o)
            .iter()
            .any(|l| l.contains("Stopped (tty input)") && l.ends_with("cat"))
    })?;
    ensure(one_job(&out), || format!("jobs after bg: {out:?}"))?;
    t.wait_group_state(cat, 'T')?;
    // fg: cat has the terminal again and echoes a line.
    t.type_in("fg\n")?;
    let fg = t.wait_job_foreground()?;
    ensure(fg == cat, || {
        format!("fg gave the terminal to {fg}, not {cat}")
    })?;
    t.type_in("line two\n")?;
    t.expect("line two\r\nline two\r\n", WAIT_MS)?;
    // ^C ends it.
    t.type_in("\x03")?;
    t.expect(PROMPT, WAIT_MS)?;
    ensure(
        wait_until(WAIT_MS, || {
            processes(|s| s.pgrp == cat && s.state != 'Z').is_empty()
        }),
        || "cat survived ^C".into(),
    )?;
    let out = t.command("jobs")?;
    ensure(job_lines(&out).is_empty(), || {
        format!("jobs after ^C: {out:?}")
    })?;
    // TOSTOP: a background pipeline that writes stops on SIGTTOU until fg.
    t.command("stty tostop")?;
    let out = t.command("stty")?;
    ensure(out.contains("tostop"), || format!("stty says {out:?}"))?;
    t.command("(sleep 1; echo hi) | cat &")?;
    let out = t.jobs_until("Stopped (tty output)", |o| {
        job_lines(o)
            .iter()
            .any(|l| l.contains("Stopped (tty output)"))
    })?;
    ensure(one_job(&out), || format!("jobs with tostop: {out:?}"))?;
    ensure(!t.text().contains("\nhi\r\n"), || {
        "the stopped pipeline's output reached the terminal".into()
    })?;
    t.type_in("fg\n")?;
    t.expect("\nhi\r\n", WAIT_MS)?;
    t.expect(PROMPT, WAIT_MS)?;
    let out = t.command("jobs")?;
    ensure(job_lines(&out).is_empty(), || {
        format!("jobs after the pipeline: {out:?}")
    })?;
    t.command("stty -tostop")?;
    t.type_in("exit\n")?;
    let status = wait_child(t.ash, WAIT_MS)?;
    ensure(libc::WIFEXITED(status), || {
        format!("ash {} after exit", describe(status))
    })
}

/// Runs the ash scenario on a pty with discipline `disc`.
fn run_ash(disc: i32) -> Outcome {
    let (pty, path) = pty_with(disc)?;
    let ws = libc::winsize {
        ws_row: 24,
        ws_col: 200,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one winsize.
    unsafe { libc::ioctl(pty.master.as_raw_fd(), libc::TIOCSWINSZ, &ws) };
    let busybox = ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .ok_or("no busybox")?;
    let prog = CString::new(busybox).unwrap();
    let argv = [c"ash".as_ptr(), c"-i".as_ptr(), std::ptr::null()];
    let env = [
        c"PS1=NRSH$ ".as_ptr(),
        c"PATH=/bin:/sbin:/usr/bin:/usr/sbin".as_ptr(),
        c"HOME=/".as_ptr(),
        c"TERM=dumb".as_ptr(),
        std::ptr::null(),
    ];
    // SAFETY: Plain fork; this program is single-threaded.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(os_err("fork"));
    }
    if pid == 0 {
        // SAFETY: Plain syscalls in the child, then exec.
        unsafe {
            libc::setsid();
            let tty = libc::open(path.as_ptr(), libc::O_RDWR);
            if tty >= 0 {
                for fd in 0..3 {
                    libc::dup2(tty, fd);
                }
                for fd in 3..256 {
                    libc::close(fd);
                }
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut set);
                libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
                libc::execve(prog.as_ptr(), argv.as_ptr(), env.as_ptr());
            }
            libc::_exit(127);
        }
    }
    let mut t = Terminal {
        master: pty.master.as_raw_fd(),
        ash: pid,
        seen: Vec::new(),
        pos: 0,
        resyncs: 0,
    };
    let result = ash_script(&mut t).map_err(|e| format!("{e}\n{}", session_report(pid, &pty)));
    kill_session(pid);
    let _ = wait_child(pid, 5000);
    if t.resyncs > 0 {
        println!(
            "  # ash lost {} prompt(s) to a SIGCHLD during the prompt's write (EINTR); resynchronised",
            t.resyncs
        );
    }
    if std::env::var_os("JOBCTL_TRANSCRIPT").is_some() {
        println!("  # transcript: \"{}\"", show(&t.seen));
    }
    let disc_after = sys::get_ldisc(&pty.slave).map_err(|e| format!("TIOCGETD: {e}"))?;
    result
        .and_then(|()| {
            ensure(disc_after == disc, || {
                format!("the slave's discipline is {disc_after} now")
            })
        })
        .map_err(|e| format!("{e}\n  # transcript: \"{}\"", show(&t.seen)))
}

/// The processes of session `sid` (state, wait channel, kernel stack) and the tty's modes:
/// what a failure report needs to tell a hang from a wrong answer.
fn session_report(sid: i32, pty: &sys::Pty) -> String {
    let mut out = String::new();
    for (pid, st) in processes(|s| s.session == sid) {
        let wchan = std::fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
        let stack = std::fs::read_to_string(format!("/proc/{pid}/stack")).unwrap_or_default();
        out += &format!(
            "process {pid} ({}) state {} pgrp {} tpgid {} wchan {wchan}\n",
            st.comm, st.state, st.pgrp, st.tpgid
        );
        for line in stack.lines() {
            out += &format!("    {line}\n");
        }
    }
    // SAFETY: `t` is filled by tcgetattr before use; FIONREAD writes one int.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        let mut inq: libc::c_int = -1;
        libc::tcgetattr(pty.slave.as_raw_fd(), &mut t);
        libc::ioctl(pty.slave.as_raw_fd(), libc::FIONREAD, &mut inq);
        out += &format!(
            "slave: iflag {:#o} oflag {:#o} lflag {:#o} FIONREAD {inq}",
            t.c_iflag, t.c_oflag, t.c_lflag
        );
    }
    out
}

fn disc_name(disc: i32) -> String {
    match disc {
        sys::N_DEVELOPMENT => "n_rust".into(),
        0 => "N_TTY (control)".into(),
        d => format!("ldisc {d}"),
    }
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
    let discs = if discs.is_empty() {
        vec![sys::N_DEVELOPMENT, 0]
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
    if discs.contains(&sys::N_DEVELOPMENT) {
        let start = Instant::now();
        let outcome = sys::kernel_problems().and_then(|p| ensure(p.is_empty(), || p.join("\n")));
        report(
            "jobctl: the kernel log has no WARNING, BUG or Oops".into(),
            outcome,
            start.elapsed(),
        );
    }
    println!("1..{}", passed + failed);
    println!("jobctl: {passed} passed, {failed} failed");
    std::process::exit(if failed == 0 { 0 } else { 1 });
}
