//! The session leader of a job-control case: a fresh session on a fresh pty, the case run
//! inside it with its members, and the verdict sent back to the test program.

use crate::group_cases::Case;
use crate::harness::{
    deadline, describe, ensure, kill_session, os_err, pipe, pty_with, read_some, show, signame,
    wait_child, write_bytes, Outcome, CASE_SECONDS, WAIT_MS,
};
use crate::members::{member_main, Act, Member, Setup};
use std::ffi::CString;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

/// The write end of the result pipe, in the session leader: members close it.
pub static RESULT_FD: AtomicI32 = AtomicI32::new(-1);
/// Signals the session leader received (bit n = signal n): it must receive none.
static LEADER_GOT: AtomicU64 = AtomicU64::new(0);

extern "C" fn record_signal(sig: libc::c_int) {
    LEADER_GOT.fetch_or(1 << sig, Ordering::SeqCst);
}

/// What a case works with, inside the session leader.
pub struct Cx {
    /// The slave, the leader's controlling tty.
    pub tty: RawFd,
    /// The master: the leader types on it as the terminal.
    pub master: RawFd,
}

impl Cx {
    /// Forks a member into group `pgid` (0: a new group of its own) and waits until it is ready.
    pub fn spawn(&self, pgid: i32, setup: Setup, act: Act) -> Result<Member, String> {
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

    /// Makes `pgid` the tty's foreground group (`tcsetpgrp`).
    pub fn set_foreground(&self, pgid: i32) -> Outcome {
        // SAFETY: Plain syscall (the leader ignores SIGTTOU, as a shell does).
        if unsafe { libc::tcsetpgrp(self.tty, pgid) } != 0 {
            return Err(os_err(&format!("tcsetpgrp {pgid}")));
        }
        Ok(())
    }

    /// Sets or clears the local-mode `flag` of the tty.
    pub fn set_lflag(&self, flag: libc::tcflag_t, on: bool) -> Outcome {
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
    pub fn type_in(&self, data: &[u8]) -> Outcome {
        write_bytes(self.master, data)
    }

    /// What the terminal shows within `ms` (read until it is quiet for `ms`).
    pub fn screen(&self, ms: u64) -> Vec<u8> {
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
    pub fn expect_screen(&self, needle: &[u8]) -> Outcome {
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
    pub fn pending_input(&self) -> i32 {
        let mut n: libc::c_int = -1;
        // SAFETY: FIONREAD writes one int.
        unsafe { libc::ioctl(self.tty, libc::FIONREAD, &mut n) };
        n
    }
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
pub fn run_case(disc: i32, case: &Case) -> Outcome {
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
