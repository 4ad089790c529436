//! The job-control cases of part 1, each run by a session leader on a fresh pty: ISIG
//! characters, background reads and writes (SIGTTIN, SIGTTOU, TOSTOP, orphaned groups, `EIO`),
//! a reader of another session, and NOFLSH.

use crate::harness::{
    deadline, ensure, errname, proc_stat, proc_state, read_some, show, wait_until, Outcome, WAIT_MS,
};
use crate::members::{Act, Setup};
use crate::session_leader::Cx;

/// One job-control case: its name and its body, run by a session leader.
pub struct Case {
    pub name: &'static str,
    pub run: fn(&Cx) -> Outcome,
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

/// Every case of part 1, in the order of their TAP lines.
pub const CASES: &[Case] = &[
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
