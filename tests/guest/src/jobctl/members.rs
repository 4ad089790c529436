//! Members of the process groups in a case's session: children of the session leader that
//! set up their signals, then read or write the tty when told, and report over a pipe.

use crate::harness::{
    deadline, describe, ensure, errno, proc_state, read_some, signame, wait_child, write_bytes,
    Outcome, WAIT_MS,
};
use crate::session_leader::RESULT_FD;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::Ordering;

/// How a member sets up its signals before acting.
#[derive(Clone, Copy)]
pub enum Setup {
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
pub enum Act {
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
pub struct Member {
    pub pid: i32,
    pub ctl: OwnedFd,
    pub out: OwnedFd,
    pub buf: Vec<u8>,
}

impl Member {
    /// The next report line (without the newline), waiting up to `ms`.
    pub fn recv(&mut self, ms: u64) -> Result<String, String> {
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
    pub fn go(&self) -> Outcome {
        self.send(b'g')
    }

    /// The member answers a ping (so it is alive and got no signal that kills or stops it).
    pub fn ping(&mut self) -> Outcome {
        self.send(b'p')?;
        let answer = self
            .recv(WAIT_MS)
            .map_err(|e| format!("ping: {e} (waitpid: {})", self.peek()))?;
        ensure(answer == "a", || format!("ping answered {answer:?}"))
    }

    /// What `waitpid(WNOHANG | WUNTRACED)` says now.
    pub fn peek(&self) -> String {
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
    pub fn report(&mut self) -> Result<(i64, i32, Vec<u8>), String> {
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
    pub fn expect_stopped(&self, sig: i32) -> Outcome {
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
    pub fn expect_killed(&self, sig: i32) -> Outcome {
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
pub fn member_main(tty: RawFd, pgid: i32, setup: Setup, act: Act, ctl: RawFd, out: RawFd) -> ! {
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
