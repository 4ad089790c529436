//! Part 2, the seed's scenario: busybox `ash -i` with job control on a pty, this program
//! acting as the terminal and matching the shell's output with timeouts.

use crate::harness::{
    deadline, describe, ensure, kill_session, os_err, proc_stat, processes, pty_with, read_some,
    show, wait_child, wait_until, write_bytes, Outcome, WAIT_MS,
};
use n_rust_guest_tests::sys;
use std::ffi::CString;
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

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
    /// The transcript so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.seen).into_owned()
    }

    /// Types `s` on the terminal.
    pub fn type_in(&self, s: &str) -> Outcome {
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
    pub fn foreground(&self) -> i32 {
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
pub fn run_ash(disc: i32) -> Outcome {
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
