//! Running `n_rustctl` from the tests, reading its counters, and the ttys the tests give it.

use n_rust_guest_tests::sys::{self, Pty};
use n_rust_guest_tests::tap::{ensure, Context, Outcome};
use std::collections::BTreeMap;
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The tool in the guest (`N_RUSTCTL` overrides it).
pub fn tool_path() -> String {
    std::env::var("N_RUSTCTL").unwrap_or_else(|_| "/bin/n_rustctl".into())
}

/// What one run of the tool gave.
pub struct Ran {
    /// Its exit status (-1 if a signal ended it).
    pub status: i32,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

impl Ran {
    /// The run as a line for failure messages.
    pub fn describe(&self) -> String {
        format!(
            "status {}, stdout {:?}, stderr {:?}",
            self.status, self.stdout, self.stderr
        )
    }
}

/// Runs `n_rustctl args...`.
pub fn ctl(args: &[&str]) -> Result<Ran, String> {
    let out = Command::new(tool_path())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .context("running n_rustctl")?;
    Ok(Ran {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Runs the tool and expects status 0.
pub fn ctl_ok(args: &[&str]) -> Result<Ran, String> {
    let ran = ctl(args)?;
    ensure(
        ran.status == 0,
        format!("n_rustctl {}: {}", args.join(" "), ran.describe()),
    )?;
    Ok(ran)
}

/// Expects the tool to fail with `status` and one line on stderr naming the problem
/// (`needle`), nothing on stdout.
pub fn expect_failure(args: &[&str], status: i32, needle: &str) -> Outcome {
    let ran = ctl(args)?;
    let one_line = ran.stderr.lines().count() == 1 && ran.stderr.starts_with("n_rustctl: ");
    ensure(
        ran.status == status && one_line && ran.stderr.contains(needle) && ran.stdout.is_empty(),
        format!(
            "n_rustctl {}: want status {status} and one line with {needle:?}; got {}",
            args.join(" "),
            ran.describe()
        ),
    )
}

/// The counters `n_rustctl stats` prints for `tty`.
pub fn stats(tty: &str) -> Result<BTreeMap<String, u64>, String> {
    let ran = ctl_ok(&["stats", tty])?;
    let mut counters = BTreeMap::new();
    for line in ran.stdout.lines() {
        let mut words = line.split_whitespace();
        let (Some(name), Some(value), None) = (words.next(), words.next(), words.next()) else {
            return Err(format!("stats line {line:?}"));
        };
        let value = value.parse().context(&format!("stats line {line:?}"))?;
        counters.insert(name.to_string(), value);
    }
    ensure(
        counters.len() == 14,
        format!("stats printed {} counters: {}", counters.len(), ran.stdout),
    )?;
    Ok(counters)
}

/// Checks that the counters moved from `before` to `after` by exactly `moved` (the others
/// by nothing).
pub fn expect_moved(
    before: &BTreeMap<String, u64>,
    after: &BTreeMap<String, u64>,
    moved: &[(&str, u64)],
) -> Outcome {
    let mut wrong = Vec::new();
    for (name, value) in after {
        let want = moved
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0, |(_, by)| *by);
        let by = value.wrapping_sub(before.get(name).copied().unwrap_or(0));
        if by != want {
            wrong.push(format!("{name} moved by {by}, want {want}"));
        }
    }
    ensure(wrong.is_empty(), wrong.join("; "))
}

/// A pty pair and the slave's path.
pub fn pty() -> Result<(Pty, String), String> {
    let pair = sys::open_pty(libc::O_NOCTTY | libc::O_NONBLOCK).context("open pty")?;
    let mut number: libc::c_uint = 0;
    // SAFETY: TIOCGPTN writes one unsigned int to the pointer, valid for the call.
    sys::check(
        unsafe { libc::ioctl(pair.master.as_raw_fd(), libc::TIOCGPTN, &mut number) }
            as libc::c_long,
    )
    .context("TIOCGPTN")?;
    Ok((pair, format!("/dev/pts/{number}")))
}

/// Sets the termios of `fd`: raw (`cfmakeraw`), or sane (canonical, ISIG, ECHO, ECHOCTL,
/// ICRNL, OPOST|ONLCR); CLOCAL and CREAD either way.
pub fn set_modes(fd: &OwnedFd, raw: bool) -> Outcome {
    // SAFETY: `termios` is plain data, filled by tcgetattr before use.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        sys::check(libc::tcgetattr(fd.as_raw_fd(), &mut t) as libc::c_long).context("tcgetattr")?;
        libc::cfmakeraw(&mut t);
        if !raw {
            t.c_iflag |= libc::ICRNL;
            t.c_oflag |= libc::OPOST | libc::ONLCR;
            t.c_lflag |= libc::ICANON
                | libc::ISIG
                | libc::ECHO
                | libc::ECHOE
                | libc::ECHOK
                | libc::ECHOCTL
                | libc::ECHOKE
                | libc::IEXTEN;
        }
        t.c_cflag |= libc::CLOCAL | libc::CREAD;
        sys::check(libc::tcsetattr(fd.as_raw_fd(), libc::TCSANOW, &t) as libc::c_long)
            .context("tcsetattr")?;
    }
    Ok(())
}

/// Makes this process the reaper of its orphaned descendants, so that the holder an
/// `attach` forks (whose parent, the tool, exits at once) can be waited for here.
pub fn become_subreaper() -> Outcome {
    // SAFETY: PR_SET_CHILD_SUBREAPER takes an integer argument.
    sys::check(unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1) } as libc::c_long)
        .context("PR_SET_CHILD_SUBREAPER")?;
    Ok(())
}

/// Waits up to 5 s for child `pid` (a holder, reparented here) to exit; its status.
pub fn wait_exit(pid: i32) -> Result<i32, String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut status = 0;
        // SAFETY: `status` is valid for writes.
        let rc = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if rc == pid {
            return Ok(if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                -libc::WTERMSIG(status)
            });
        }
        if rc < 0 {
            return Err(format!(
                "waitpid {pid}: {}",
                std::io::Error::last_os_error()
            ));
        }
        if Instant::now() >= deadline {
            return Err(format!("process {pid} still runs after 5 s"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The pid an `attach` printed.
pub fn holder_pid(ran: &Ran) -> Result<i32, String> {
    ran.stdout
        .trim()
        .parse()
        .context(&format!("attach printed {:?}", ran.stdout))
}

/// Polls `stats` of `tty` until `counter` reaches `at_least` (5 s at most).
pub fn wait_counter(tty: &str, counter: &str, at_least: u64) -> Outcome {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let value = stats(tty)?.get(counter).copied().unwrap_or(0);
        if value >= at_least {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!("{counter} is {value} after 5 s, want {at_least}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs a session leader whose controlling tty is `path` (its foreground group is its own),
/// asleep in `pause()`; once it is ready, calls `act`, then waits up to 5 s for it to end.
/// Returns its exit status, or minus the signal that ended it.
pub fn run_in_session(path: &str, act: impl FnOnce() -> Outcome) -> Result<i32, String> {
    let cpath = std::ffi::CString::new(path).context("path")?;
    let mut pipe = [0; 2];
    // SAFETY: `pipe` is valid for two fds.
    sys::check(unsafe { libc::pipe(pipe.as_mut_ptr()) } as libc::c_long).context("pipe")?;
    // SAFETY: The child makes only async-signal-safe calls (setsid, open, ioctl, write, pause,
    // _exit) before it dies.
    let child = unsafe { libc::fork() };
    if child == 0 {
        // SAFETY: As above; every argument is valid.
        unsafe {
            libc::close(pipe[0]);
            libc::setsid();
            // Without O_NOCTTY the session leader's first tty becomes its controlling tty,
            // with its own group in the foreground.
            let fd = libc::open(cpath.as_ptr(), libc::O_RDWR);
            if fd < 0 || libc::tcgetpgrp(fd) != libc::getpid() {
                libc::_exit(3);
            }
            libc::write(pipe[1], b"r".as_ptr().cast(), 1);
            loop {
                libc::pause();
            }
        }
    }
    // SAFETY: Closing our copy of the write end.
    unsafe { libc::close(pipe[1]) };
    let mut byte = 0u8;
    // SAFETY: `byte` is valid for one byte; the read end is ours.
    let got = unsafe { libc::read(pipe[0], (&mut byte as *mut u8).cast(), 1) };
    // SAFETY: Closing the read end.
    unsafe { libc::close(pipe[0]) };
    if child < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    let acted = if got == 1 {
        act()
    } else {
        Err("the session leader did not get the tty".into())
    };
    if acted.is_err() {
        // SAFETY: Killing our own child.
        unsafe { libc::kill(child, libc::SIGKILL) };
    }
    let status = wait_exit(child)?;
    acted.map(|()| status)
}
