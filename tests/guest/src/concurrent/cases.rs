//! Named cases, one or more per item of issue 9: each runs on both sides and must agree, and
//! its N_TTY side must show the behaviour the case is about (else the case proves nothing).

use crate::actor::{quiesce, Actor, Res};
use crate::scenario::{Call, Disc, End, Layout, Scenario, Tio};
use crate::side::{Discs, Side};
use crate::uffd::Uffd;
use n_rust_guest_tests::sys;
use std::os::fd::{AsRawFd, OwnedFd};

/// What a case does on one side: its observations as lines, or why it could not run
/// (`Err`), or why it does not apply here (`Ok(None)`: skipped).
type Run = fn(Discs) -> Result<Option<Vec<String>>, String>;

/// A named case.
pub struct Case {
    /// The item of issue 9 and what is done.
    pub name: &'static str,
    pub run: Run,
    /// Lines the N_TTY side must contain.
    pub expect: &'static [&'static str],
}

const RAW: Tio = Tio::RAW;

fn scenario(s: Scenario, discs: Discs) -> Result<Option<Vec<String>>, String> {
    let side = Side::open(discs, s.layout, &s.tio)?;
    let obs = side.run(&s);
    match &obs.harness {
        Some(h) => Err(h.clone()),
        None => Ok(Some(obs.lines())),
    }
}

fn base(layout: Layout, tio: Tio, first: Call, steps: Vec<Call>) -> Scenario {
    Scenario {
        layout,
        tio,
        async_io: false,
        prefill: Vec::new(),
        stopped: false,
        first,
        steps,
    }
}

fn read(size: usize) -> Call {
    Call::Read {
        end: End::Target,
        size,
        nonblock: false,
    }
}

fn write(end: End, data: &[u8]) -> Call {
    Call::Write {
        end,
        data: data.to_vec(),
    }
}

/// Every named case.
pub const CASES: &[Case] = &[
    Case {
        name: "1: a reader asleep, TIOCSETD: the change is made at once, the reader gets EAGAIN",
        run: |d| scenario(base(Layout::Slave, RAW, read(100), vec![Call::SetLdisc(Disc::Other)]), d),
        expect: &["actor 1: after step 1: -1 EAGAIN(11)", "step 1: at once: 0", "discipline other"],
    },
    Case {
        name: "1: a writer asleep (output stopped), TIOCSETD: the change is made at once, the writer gets EAGAIN",
        run: |d| {
            let mut s = base(Layout::Slave, RAW, write(End::Target, b"0123456789"), vec![Call::SetLdisc(Disc::Other)]);
            s.stopped = true;
            scenario(s, d)
        },
        expect: &["actor 1: after step 1: -1 EAGAIN(11)", "step 1: at once: 0", "discipline other"],
    },
    Case {
        name: "1: a reader asleep, TIOCVHANGUP: the hangup is made at once, the reader gets 0",
        run: |d| scenario(base(Layout::Slave, RAW, read(100), vec![Call::Hangup]), d),
        expect: &["actor 1: after step 1: 0", "step 1: at once: 0"],
    },
    Case {
        name: "1: a writer asleep (output stopped), TIOCVHANGUP: the hangup is made at once, the writer gets EIO",
        run: |d| {
            let mut s = base(Layout::Slave, RAW, write(End::Target, b"0123456789"), vec![Call::Hangup]);
            s.stopped = true;
            scenario(s, d)
        },
        expect: &["actor 1: after step 1: -1 EIO(5)", "step 1: at once: 0"],
    },
    Case {
        name: "1: a reader asleep, the master closed: the reader gets EIO",
        run: |d| scenario(base(Layout::Slave, RAW, read(100), vec![Call::ClosePeer]), d),
        expect: &["actor 1: after step 1: -1 EIO(5)"],
    },
    Case {
        name: "2: twenty 1-byte master writes, each followed by a VMIN=0 VTIME=0 read of the slave",
        run: twenty_reads,
        expect: &["bytes read in 20 rounds: 20"],
    },
    Case {
        name: "3: VMIN=40: 30 bytes, the reader asleep in read(1000), 200 more: one read returns 230",
        run: |d| {
            let tio = Tio { vmin: 40, ..RAW };
            let mut s = base(Layout::Slave, tio, read(1000), vec![write(End::Peer, &[b'b'; 200])]);
            s.prefill = vec![b'a'; 30];
            scenario(s, d)
        },
        expect: &["actor 1: after step 1: 230 "],
    },
    Case {
        name: "4: packet mode: a master reader asleep, TCOOFF on the slave: the status byte TIOCPKT_STOP",
        run: |d| {
            let s = base(Layout::MasterPacket, RAW, read(100), vec![Call::Flow { end: End::Peer, action: libc::TCOOFF }]);
            scenario(s, d)
        },
        expect: &["actor 1: after step 1: 1 b\"\\x04\"", "step 1: at once: 0"],
    },
    Case {
        name: "4: packet mode: a zero-length read leaves a pending status byte",
        run: |d| {
            let s = base(
                Layout::MasterPacket,
                RAW,
                Call::Flow { end: End::Peer, action: libc::TCOOFF },
                vec![read(0), read(100)],
            );
            scenario(s, d)
        },
        expect: &["step 1: at once: 0", "step 2: at once: 1 b\"\\x04\""],
    },
    Case {
        name: "4: packet mode: a one-byte read waits for data and returns the header",
        run: |d| {
            let s = base(Layout::MasterPacket, RAW, read(1), vec![write(End::Peer, b"x")]);
            scenario(s, d)
        },
        expect: &["actor 1: after step 1: 1 b\"\\x00\""],
    },
    Case {
        name: "5: O_ASYNC on the slave, five tcsetattr: no SIGIO",
        run: |d| {
            let set = |icanon| Call::Termios { how: libc::TCSANOW, tio: Tio { icanon, ..RAW } };
            let mut s = base(Layout::Slave, RAW, set(true), vec![set(false), set(true), set(false), set(true)]);
            s.async_io = true;
            scenario(s, d)
        },
        expect: &["SIGIO during steps []"],
    },
    Case {
        name: "6: TCIFLUSH while a canonical read is held in copy_to_user (userfaultfd): the read is whole, the flush waits",
        run: |d| parked_read(d, ParkedAction::Flush),
        expect: &["other actor: after the release: 0", "reader: 151 "],
    },
    Case {
        name: "6: ICANON off while a canonical read is held in copy_to_user (userfaultfd): the change waits",
        run: |d| parked_read(d, ParkedAction::RawMode),
        expect: &["other actor: after the release: 0", "reader: 151 "],
    },
    Case {
        name: "8: poll while a writer holds the write lock (held in copy_from_user by userfaultfd): no POLLOUT",
        run: parked_writer_poll,
        expect: &["poll while the writer holds the lock: 0x0", "writer: 1000"],
    },
];

/// Item 7 (a driver's write error) cannot be reached from user space on a pty or an 8250
/// port: their `write` never fails.
pub const UNREACHABLE: &str = "7: a driver write error: a pty's and an 8250 port's write never fail, so no user-space test can reach it";

fn pty_on(disc: i32, tio: &Tio) -> Result<sys::Pty, String> {
    let pty =
        sys::open_pty_on(libc::O_NOCTTY, disc).map_err(|e| format!("pty on ldisc {disc}: {e}"))?;
    sys::make_raw(&pty.master).map_err(|e| format!("raw master: {e}"))?;
    set_tio(&pty.slave, tio)?;
    Ok(pty)
}

fn set_tio(fd: &OwnedFd, tio: &Tio) -> Result<(), String> {
    // SAFETY: `t` is plain data filled by tcgetattr before it is changed and set.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        libc::tcgetattr(fd.as_raw_fd(), &mut t);
        libc::cfmakeraw(&mut t);
        if tio.icanon {
            t.c_lflag |= libc::ICANON;
        }
        t.c_cc[libc::VMIN] = tio.vmin;
        t.c_cc[libc::VTIME] = tio.vtime;
        if libc::tcsetattr(fd.as_raw_fd(), libc::TCSANOW, &t) < 0 {
            return Err(format!("tcsetattr: {}", std::io::Error::last_os_error()));
        }
    }
    Ok(())
}

fn twenty_reads(d: Discs) -> Result<Option<Vec<String>>, String> {
    let pty = pty_on(d.own, &Tio { vmin: 0, ..RAW })?;
    // A real-time thread on the CPU of the flip-buffer worker (the test guest runs its
    // workqueues on CPU 0, and so does this process): the worker, woken by the master's
    // write, runs only when the reader sleeps, so a read that does not wait for it finds
    // nothing. (Without real-time scheduling the worker usually runs first and hides that.)
    let total = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let param = libc::sched_param { sched_priority: 1 };
                // SAFETY: `param` is a valid sched_param; 0 is the calling thread.
                unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) };
                let mut total = 0;
                for _ in 0..20 {
                    if sys::write_all(&pty.master, b"z").is_err() {
                        return -1;
                    }
                    let mut buf = [0u8; 16];
                    // SAFETY: `buf` is valid for writes of its length.
                    let n = unsafe {
                        libc::read(pty.slave.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len())
                    };
                    total += n.max(0);
                }
                total
            })
            .join()
            .unwrap_or(-1)
    });
    Ok(Some(vec![format!("bytes read in 20 rounds: {total}")]))
}

enum ParkedAction {
    Flush,
    RawMode,
}

fn parked_read(d: Discs, action: ParkedAction) -> Result<Option<Vec<String>>, String> {
    let uffd = match Uffd::new() {
        Ok(u) => u,
        Err(_) => return Ok(None),
    };
    let pty = pty_on(
        d.own,
        &Tio {
            icanon: true,
            ..RAW
        },
    )?;
    let mut line = vec![b'x'; 150];
    line.push(b'\n');
    sys::write_all(&pty.master, &line).map_err(|e| e.to_string())?;
    sys::wait_readable(&pty.slave, 5000).map_err(|e| e.to_string())?;
    let slave = pty.slave.as_raw_fd();
    let buf = uffd.buffer(64);
    let reader = Actor::spawn(move || {
        // SAFETY: `buf` is ours for 1000 bytes (64 in the first page, the rest in the
        // second), kept mapped until the reader has returned.
        let r = unsafe { libc::read(slave, buf as *mut _, 1000) };
        Res::of(r as i64, &[])
    });
    if !uffd.wait_fault(10_000) {
        return Err(format!(
            "the read did not stop in copy_to_user: {:?}",
            reader.result()
        ));
    }
    let other = Actor::spawn(move || match action {
        ParkedAction::Flush => {
            // SAFETY: tcflush takes no pointer.
            let r = unsafe { libc::tcflush(slave, libc::TCIFLUSH) };
            Res::of(i64::from(r), &[])
        }
        ParkedAction::RawMode => {
            // SAFETY: `t` is plain data filled by tcgetattr before it is changed and set.
            let r = unsafe {
                let mut t: libc::termios = std::mem::zeroed();
                libc::tcgetattr(slave, &mut t);
                t.c_lflag &= !libc::ICANON;
                libc::tcsetattr(slave, libc::TCSANOW, &t)
            };
            Res::of(i64::from(r), &[])
        }
    });
    quiesce(&[&reader, &other], true, || {})?;
    let before = other.done();
    uffd.release().map_err(|e| format!("UFFDIO_COPY: {e}"))?;
    quiesce(&[&reader, &other], true, || {})?;
    let mut v = vec![format!(
        "other actor: {}: {}",
        if before {
            "at once"
        } else if other.done() {
            "after the release"
        } else {
            "still blocked"
        },
        other.result().map_or("-".into(), |r| r.show())
    )];
    let got = match reader.result() {
        Some(Res::Ok(n, _)) => {
            format!("{n} {}", n_rust_oracle::esc(&uffd.bytes(buf, n as usize)))
        }
        r => format!("{r:?}"),
    };
    v.push(format!("reader: {got}"));
    v.push(format!("TIOCINQ {}", inq(&pty.slave)));
    Ok(Some(v))
}

fn inq(fd: &OwnedFd) -> String {
    let mut n: libc::c_int = -1;
    // SAFETY: TIOCINQ writes one int to a valid pointer.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCINQ, &mut n) };
    if r < 0 {
        "failed".into()
    } else {
        n.to_string()
    }
}

fn parked_writer_poll(d: Discs) -> Result<Option<Vec<String>>, String> {
    let uffd = match Uffd::new() {
        Ok(u) => u,
        Err(_) => return Ok(None),
    };
    let pty = pty_on(d.own, &RAW)?;
    let slave = pty.slave.as_raw_fd();
    let buf = uffd.buffer(64);
    let writer = Actor::spawn(move || {
        // SAFETY: `buf` is ours for 1000 bytes, kept mapped until the writer has returned.
        let r = unsafe { libc::write(slave, buf as *const _, 1000) };
        Res::of(r as i64, &[])
    });
    if !uffd.wait_fault(10_000) {
        return Err(format!(
            "the write did not stop in copy_from_user: {:?}",
            writer.result()
        ));
    }
    let mut p = libc::pollfd {
        fd: slave,
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: One valid pollfd.
    unsafe { libc::poll(&mut p, 1, 0) };
    uffd.release().map_err(|e| format!("UFFDIO_COPY: {e}"))?;
    quiesce(&[&writer], true, || {})?;
    let mut out = Vec::new();
    let _ = sys::read_exact_timeout(&pty.master, 1000, 5000).map(|b| out = b);
    Ok(Some(vec![
        format!("poll while the writer holds the lock: {:#x}", p.revents),
        format!(
            "writer: {}",
            writer.result().map_or("-".into(), |r| r.show())
        ),
        format!("master got {} bytes", out.len()),
    ]))
}
