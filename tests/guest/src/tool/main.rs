//! `n_rust-test-tool`: the `n_rustctl` tool and the per-tty counters n_rust lists in
//! `/proc/tty/n_rust` (a line per tty), on a pty and on the 8250 `ttyS1` (in UART loopback).
//!
//! Every exit status of the tool is checked, and the counters after known traffic: 10
//! bytes written and read, a canonical line with its echo, ^C/^\/^Z, a line that overflows,
//! a write, throttling on the serial port. Runs with n_rust loaded; unloads it for the "not
//! loaded" cases and loads it again (`/lib/modules/n_rust.ko`) at the end.

mod ctl;
mod serial;

use ctl::{ctl_ok, expect_failure, expect_moved, holder_pid, pty, set_modes, stats};
use n_rust_guest_tests::sys::{self, N_DEVELOPMENT};
use n_rust_guest_tests::tap::{ensure, Context, Outcome, Tap};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

const PLAN: usize = 22;
const MODULE: &str = "/lib/modules/n_rust.ko";

/// Where n_rust lists the ttys it runs on, a line each.
const COUNTERS_FILE: &str = "/proc/tty/n_rust";

/// The name n_rust lists a tty path under (`/dev/pts/3` is `pts3`).
fn listed_name(path: &str) -> String {
    path.trim_start_matches("/dev/").replace('/', "")
}

/// The `dev=` of the line `/proc/tty/n_rust` has for the tty named `name`, if it has one.
pub(crate) fn listed_dev(name: &str) -> Result<Option<String>, String> {
    let text = std::fs::read_to_string(COUNTERS_FILE).context(COUNTERS_FILE)?;
    Ok(text.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        if words.next()? != name {
            return None;
        }
        words.next()?.strip_prefix("dev=").map(str::to_string)
    }))
}

/// attach by name on a pty, then what the kernel and `/proc/tty/n_rust` say.
fn attach_pty_by_name() -> Outcome {
    let (pair, path) = pty()?;
    let ran = ctl_ok(&["attach", &path, "n_rust"])?;
    let holder = holder_pid(&ran)?;
    ensure(
        sys::get_ldisc(&pair.slave).context("TIOCGETD")? == N_DEVELOPMENT,
        "TIOCGETD is not 29 after attach",
    )?;
    let dev = listed_dev(&listed_name(&path))?.unwrap_or_default();
    // The pty slaves' major is 136.
    ensure(
        dev.starts_with("136:"),
        format!("{path}: dev {dev:?} in {COUNTERS_FILE}"),
    )?;
    let show = ctl_ok(&["show", &path])?;
    ensure(
        show.stdout == format!("{path}: n_rust (29)\n"),
        format!("show printed {:?}", show.stdout),
    )?;
    let zero = stats(&path)?;
    ensure(
        zero.values().all(|v| *v == 0),
        format!("counters at attach: {zero:?}"),
    )?;
    ctl_ok(&["detach", &path])?;
    ensure(
        ctl::wait_exit(holder)? == 0,
        "the holder did not exit with 0 after detach",
    )?;
    ensure(
        sys::get_ldisc(&pair.slave).context("TIOCGETD")? == 0,
        "TIOCGETD is not 0 after detach",
    )?;
    ensure(
        listed_dev(&listed_name(&path))?.is_none(),
        format!("{path} is still listed in {COUNTERS_FILE} after detach"),
    )?;
    let show = ctl_ok(&["show", &path])?;
    ensure(
        show.stdout == format!("{path}: n_tty (0)\n"),
        format!("show after detach printed {:?}", show.stdout),
    )
}

/// A pty whose slave runs n_rust (attached in the foreground mode, by number), with the
/// test's own traffic; detached at the end.
fn with_attached_pty(f: impl FnOnce(&sys::Pty, &str) -> Outcome) -> Outcome {
    let (pair, path) = pty()?;
    let mut holder = std::process::Command::new(ctl::tool_path())
        .args(["attach", "--foreground", &path, "29"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("spawn n_rustctl attach --foreground")?;
    let mut line = String::new();
    let stdout = holder.stdout.take().ok_or("no stdout")?;
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)
        .context("reading the holder's pid")?;
    let outcome = (|| {
        ensure(
            line.trim() == holder.id().to_string(),
            format!("attach -f printed {line:?}, its pid is {}", holder.id()),
        )?;
        ensure(
            sys::get_ldisc(&pair.slave).context("TIOCGETD")? == N_DEVELOPMENT,
            "TIOCGETD is not 29",
        )?;
        f(&pair, &path)
    })();
    let detached = ctl_ok(&["detach", &path]).map(drop);
    let exited = ctl::wait_exit(holder.id() as i32).and_then(|status| {
        ensure(
            status == 0,
            format!("the foreground holder exited with {status}"),
        )
    });
    outcome.and(detached).and(exited)
}

/// Raw mode: 10 bytes typed, 10 read.
fn raw_bytes(pair: &sys::Pty, path: &str) -> Outcome {
    set_modes(&pair.slave, true)?;
    let before = stats(path)?;
    sys::write_all(&pair.master, b"0123456789").context("write master")?;
    let got = sys::read_exact_timeout(&pair.slave, 10, 5000).context("read slave")?;
    ensure(got == b"0123456789", format!("read {got:?}"))?;
    expect_moved(&before, &stats(path)?, &[("received", 10), ("read", 10)])
}

/// A canonical line with echo: one line, its 10 bytes, 11 echoed (CR LF for the newline).
fn canonical_line(pair: &sys::Pty, path: &str) -> Outcome {
    set_modes(&pair.slave, false)?;
    let before = stats(path)?;
    sys::write_all(&pair.master, b"abcdefghi\n").context("write master")?;
    let got = sys::read_exact_timeout(&pair.slave, 10, 5000).context("read slave")?;
    ensure(got == b"abcdefghi\n", format!("read {got:?}"))?;
    let echo = sys::read_exact_timeout(&pair.master, 11, 5000).context("read echo")?;
    ensure(echo == b"abcdefghi\r\n", format!("echo {echo:?}"))?;
    expect_moved(
        &before,
        &stats(path)?,
        &[("received", 10), ("read", 10), ("echoed", 11), ("lines", 1)],
    )
}

/// ^C, ^\ and ^Z with ISIG: one signal of each kind asked for, each echoed as two bytes.
/// Typed one at a time, each echo read before the next: a signal character flushes the echo
/// not yet written and the output (N_TTY too), so typed together only the last echo stays.
fn signal_characters(pair: &sys::Pty, path: &str) -> Outcome {
    set_modes(&pair.slave, false)?;
    let before = stats(path)?;
    for (typed, echo) in [(b"\x03", b"^C"), (b"\x1c", b"^\\"), (b"\x1a", b"^Z")] {
        sys::write_all(&pair.master, typed).context("write master")?;
        let got = sys::read_exact_timeout(&pair.master, 2, 5000).context("read echo")?;
        ensure(got == echo, format!("echo {got:?}, want {echo:?}"))?;
    }
    expect_moved(
        &before,
        &stats(path)?,
        &[
            ("received", 3),
            ("echoed", 6),
            ("sigint", 1),
            ("sigquit", 1),
            ("sigtstp", 1),
        ],
    )
}

/// Written on the slave: the writer's bytes (5), not the CR LF expansion.
fn written_bytes(pair: &sys::Pty, path: &str) -> Outcome {
    set_modes(&pair.slave, false)?;
    let before = stats(path)?;
    sys::write_all(&pair.slave, b"hi\nx\n").context("write slave")?;
    let got = sys::read_exact_timeout(&pair.master, 7, 5000).context("read master")?;
    ensure(got == b"hi\r\nx\r\n", format!("master read {got:?}"))?;
    expect_moved(&before, &stats(path)?, &[("written", 5)])
}

/// A canonical line of 4,200 bytes without a newline: 105 bytes past the 4,095 of room are
/// dropped (each overwrites the last slot); the newline still ends the line.
fn canonical_overflow(pair: &sys::Pty, path: &str) -> Outcome {
    set_modes(&pair.slave, false)?;
    // SAFETY: `termios` is plain data, filled by tcgetattr before use.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        sys::check(libc::tcgetattr(pair.slave.as_raw_fd(), &mut t) as libc::c_long)
            .context("tcgetattr")?;
        t.c_lflag &= !libc::ECHO;
        sys::check(libc::tcsetattr(pair.slave.as_raw_fd(), libc::TCSANOW, &t) as libc::c_long)
            .context("tcsetattr")?;
    }
    let before = stats(path)?;
    sys::write_all_nonblocking(&pair.master, &[b'a'; 4200]).context("write master")?;
    ctl::wait_counter(path, "received", before["received"] + 4200)?;
    sys::write_all(&pair.master, b"\n").context("write newline")?;
    let got = sys::read_exact_timeout(&pair.slave, 4096, 5000).context("read slave")?;
    ensure(
        got.last() == Some(&b'\n'),
        "the line does not end in a newline",
    )?;
    expect_moved(
        &before,
        &stats(path)?,
        &[
            ("received", 4201),
            ("read", 4096),
            ("drops", 105),
            ("lines", 1),
        ],
    )
}

/// ^C kills the foreground process of a session whose controlling tty is the slave.
fn sigint_delivered(pair: &sys::Pty, path: &str) -> Outcome {
    set_modes(&pair.slave, false)?;
    let before = stats(path)?;
    let status = ctl::run_in_session(path, || {
        sys::write_all(&pair.master, b"\x03").context("write ^C")
    })?;
    ensure(
        status == -libc::SIGINT,
        format!("the foreground process ended with {status}, not SIGINT"),
    )?;
    let after = stats(path)?;
    ensure(
        after["sigint"] == before["sigint"] + 1,
        format!("sigint {} -> {}", before["sigint"], after["sigint"]),
    )
}

/// The guest kernel has no `CONFIG_MULTIUSER` (no `setuid`: everything runs as root), so
/// the refusal comes from a device node on a `nodev` mount, which `open` refuses with
/// `EACCES` even to root: ttyS1's node (4:65) made on a ramfs mounted `nodev`.
fn permission_denied() -> Outcome {
    let dir = "/tmp/n_rust-nodev";
    std::fs::create_dir_all(dir).context("mkdir")?;
    let cdir = std::ffi::CString::new(dir).context("path")?;
    // SAFETY: NUL-terminated strings; a ramfs takes no data.
    sys::check(unsafe {
        libc::mount(
            c"ramfs".as_ptr(),
            cdir.as_ptr(),
            c"ramfs".as_ptr(),
            libc::MS_NODEV,
            std::ptr::null(),
        )
    } as libc::c_long)
    .context("mount ramfs nodev")?;
    let node = format!("{dir}/ttyS1");
    let outcome = (|| {
        let cnode = std::ffi::CString::new(node.as_str()).context("path")?;
        // SAFETY: A NUL-terminated path; makedev of ttyS1's numbers.
        sys::check(unsafe {
            libc::mknod(cnode.as_ptr(), libc::S_IFCHR | 0o600, libc::makedev(4, 65))
        } as libc::c_long)
        .context("mknod")?;
        expect_failure(&["show", &node], 5, "permission denied")?;
        expect_failure(&["attach", &node, "n_rust"], 5, "permission denied")
    })();
    // SAFETY: A NUL-terminated path.
    unsafe { libc::umount(cdir.as_ptr()) };
    outcome
}

/// Unloads n_rust, retrying for 5 s (a closed tty gives its module reference back late).
fn unload() -> Outcome {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match sys::rmmod("n_rust") {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() >= deadline => return Err(format!("rmmod n_rust: {e}")),
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// The failures that need a tty: run on a fresh pty (N_TTY).
fn failures_on_a_pty(cases: &[(&str, i32, &str)]) -> Outcome {
    let (_pair, path) = pty()?;
    for (disc, status, needle) in cases {
        expect_failure(&["attach", &path, disc], *status, needle)?;
    }
    Ok(())
}

fn main() {
    let mut t = Tap::new("n_rust-test-tool", PLAN);
    let ready = ctl::become_subreaper();
    t.run("n_rustctl --help: usage and the exit statuses", || {
        ready.clone()?;
        let ran = ctl_ok(&["--help"])?;
        ensure(
            ran.stdout.contains("usage: n_rustctl attach") && ran.stdout.contains("exit status"),
            format!("--help printed {:?}", ran.stdout),
        )
    });
    t.run(
        "attach by name on a pty, show, stats at zero, detach (holder exits)",
        attach_pty_by_name,
    );
    t.run(
        "pty, raw: 10 bytes typed and read: received 10, read 10",
        || with_attached_pty(raw_bytes),
    );
    t.run(
        "pty, canonical: a line of 10: read 10, echoed 11, lines 1",
        || with_attached_pty(canonical_line),
    );
    t.run(
        "pty: ^C ^\\ ^Z with ISIG: sigint, sigquit, sigtstp 1 each",
        || with_attached_pty(signal_characters),
    );
    t.run("pty: 5 bytes written on the slave: written 5", || {
        with_attached_pty(written_bytes)
    });
    t.run("pty: a canonical line of 4,200 bytes: drops 105", || {
        with_attached_pty(canonical_overflow)
    });
    t.run("pty: ^C kills the foreground process; sigint 1", || {
        with_attached_pty(sigint_delivered)
    });
    t.run(
        "ttyS1: attach, show, 10 bytes in loopback: received 10, read 10, written 10",
        serial::attach_loopback,
    );
    t.run(
        "ttyS1: 5,000 bytes unread: throttled, unthrottled when read",
        serial::throttle_events,
    );
    t.run(
        "exit 2: no command, an unknown one, attach with one operand",
        || {
            expect_failure(&[], 2, "no command")?;
            expect_failure(&["frob"], 2, "unknown command")?;
            expect_failure(&["attach", "/dev/ttyS1"], 2, "attach takes")
        },
    );
    t.run("exit 3: no such device (/dev/nonexistent, ttyNONE)", || {
        expect_failure(&["show", "/dev/nonexistent"], 3, "no such device")?;
        expect_failure(&["stats", "ttyNONE"], 3, "/dev/ttyNONE: no such device")
    });
    t.run("exit 4: not a tty (/dev/null, /init, /proc)", || {
        expect_failure(&["show", "/dev/null"], 4, "not a tty")?;
        expect_failure(&["stats", "/init"], 4, "not a tty")?;
        expect_failure(&["detach", "/proc"], 4, "not a tty")
    });
    t.run(
        "exit 5: permission denied (ttyS1's node on a nodev mount)",
        permission_denied,
    );
    t.run("exit 7: discipline number out of range (31, -1)", || {
        failures_on_a_pty(&[("31", 7, "out of range"), ("-1", 7, "out of range")])
    });
    t.run("exit 8: stats of a tty on N_TTY", || {
        let (_pair, path) = pty()?;
        expect_failure(
            &["stats", &path],
            8,
            "does not run n_rust (it runs n_tty, 0)",
        )
    });
    t.run(
        "exit 9: no such discipline (name frobnicate, number 5)",
        || {
            failures_on_a_pty(&[
                ("frobnicate", 9, "no line discipline named"),
                ("5", 9, "no line discipline number 5"),
            ])
        },
    );
    t.run("exit 6: n_rust not loaded (stats, attach by name)", || {
        unload()?;
        let (_pair, path) = pty()?;
        let outcome = expect_failure(&["stats", &path], 6, "n_rust is not loaded")
            .and_then(|()| expect_failure(&["attach", &path, "n_rust"], 6, "not loaded"));
        let loaded = sys::insmod(MODULE, "").context("insmod n_rust again");
        outcome.and(loaded)
    });
    t.run(
        "after insmod: show and stats work again on a fresh pty",
        || {
            let (_pair, path) = pty()?;
            let ran = ctl_ok(&["attach", &path, "n_rust"])?;
            let holder = holder_pid(&ran)?;
            let zero = stats(&path)?;
            ctl_ok(&["detach", &path])?;
            ensure(ctl::wait_exit(holder)? == 0, "holder did not exit with 0")?;
            ensure(zero.values().all(|v| *v == 0), format!("{zero:?}"))
        },
    );
    t.run(
        "a holder killed with SIGTERM releases the line (ttyS1 back on N_TTY)",
        serial::holder_killed,
    );
    t.run("no tty left listed in /proc/tty/n_rust", || {
        let text = std::fs::read_to_string(COUNTERS_FILE).context(COUNTERS_FILE)?;
        ensure(text.is_empty(), format!("left: {text:?}"))
    });
    t.run("kernel log: no warning, bug or lockdep report", || {
        let problems = sys::kernel_problems()?;
        ensure(problems.is_empty(), problems.join("\n"))
    });
    std::process::exit(t.finish());
}
