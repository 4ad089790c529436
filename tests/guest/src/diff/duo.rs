//! Two pty pairs side by side, one slave on N_TTY and one on n_rust: every operation is
//! applied to both, everything observable is recorded and compared.
//!
//! # Timing
//!
//! Input written to a master reaches the slave's discipline from the flip-buffer worker, a
//! work item that runs later. Nothing is compared while that work may be pending:
//!
//! - Before input is written, the slave has no input available to a reader: the last
//!   `poll` said so (the runner drains or flushes otherwise), and a `poll` that finds no
//!   input waits for the flip work (`tty_buffer_flush_work`) before it answers, in N_TTY and
//!   in n_rust alike. So no earlier input is pending.
//! - After the write, `poll` again: with no input available it waits for the work, so the
//!   chunk has been received. With input available the work has at least started (the chunk
//!   made it available): then `TIOCINQ`, which N_TTY answers under the termios lock taken for
//!   writing and n_rust under its own lock, both held by the receive path for a whole
//!   `receive_buf2` call, waits for it to end. A chunk is at most `MAX_CHUNK` bytes, so it
//!   sits in one flip-buffer page and is received in one call.
//! - The master is read until `EAGAIN`; its reads wait for the master's own flip work in the
//!   same way, so every byte the slave has written to it by then is read.

use crate::scenario::{may_signal, signal_chars, Drain, Op, Scenario, When};
use n_rust_engine::{LFlag, Termios, VMIN, VTIME};
use n_rust_oracle::pty::Pty;
use n_rust_oracle::{diff_bytes, esc};
use std::io;

/// N_TTY's number.
pub const N_TTY: i32 = 0;
/// n_rust's number, as `/init` loads it.
pub const N_RUST: i32 = 29;

/// The discipline of the second side: n_rust, or N_TTY for a self-test of the harness
/// (`--against 0`, which must never diverge, on any Linux).
static AGAINST: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(N_RUST);

/// Puts `disc` on the second side instead of n_rust.
pub fn set_against(disc: i32) {
    AGAINST.store(disc, std::sync::atomic::Ordering::Relaxed);
}
/// Names of the two sides, in order.
pub const NAMES: [&str; 2] = ["n_tty", "n_rust"];

/// What a comparison is about; a divergence is counted under the first one that differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    Read,
    Write,
    Input,
    Ioctl,
    Master,
    Signals,
    Poll,
    Inq,
    Outq,
    Harness,
}

impl Family {
    pub const ALL: [Family; 10] = [
        Family::Read,
        Family::Write,
        Family::Input,
        Family::Ioctl,
        Family::Master,
        Family::Signals,
        Family::Poll,
        Family::Inq,
        Family::Outq,
        Family::Harness,
    ];

    /// The TAP test name.
    pub fn title(self) -> &'static str {
        match self {
            Family::Read => "read results (bytes, return value, errno)",
            Family::Write => "write results on the slave (output processing)",
            Family::Input => "writes to the master (input)",
            Family::Ioctl => "tcsetattr, TCFLSH, TCXONC and TIOCSTI results",
            Family::Master => "every byte on the master (echo and output)",
            Family::Signals => "signals to the foreground process group",
            Family::Poll => "poll masks (0 timeout)",
            Family::Inq => "FIONREAD/TIOCINQ",
            Family::Outq => "TIOCOUTQ",
            Family::Harness => "every scenario runs to its end (no hung read or write)",
        }
    }
}

/// The result of one system call: a return value (with the bytes read, for a read) or an
/// errno.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Res {
    Ok(isize, Vec<u8>),
    Err(i32),
}

impl Res {
    fn of(ret: isize, data: &[u8]) -> Res {
        if ret < 0 {
            Res::Err(io::Error::last_os_error().raw_os_error().unwrap_or(0))
        } else {
            Res::Ok(ret, data.to_vec())
        }
    }

    pub fn show(&self) -> String {
        match self {
            Res::Ok(n, d) if d.is_empty() => format!("{n}"),
            Res::Ok(n, d) => format!("{n} {}", esc(d)),
            Res::Err(e) => format!("-1 {}", errno_name(*e)),
        }
    }
}

fn errno_name(e: i32) -> String {
    let name = match e {
        libc::EAGAIN => "EAGAIN",
        libc::EINTR => "EINTR (hung: the watchdog fired)",
        libc::EIO => "EIO",
        libc::EINVAL => "EINVAL",
        libc::ENOTTY => "ENOTTY",
        libc::EPERM => "EPERM",
        _ => "",
    };
    format!("{name}({e})")
}

/// Everything observed on one side after one operation.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Obs {
    /// The operation's system calls, each with its family.
    pub calls: Vec<(Family, Res)>,
    /// Bytes read from the master after it.
    pub master: Vec<u8>,
    /// Signals the foreground group received (as `n_rust_oracle::pty::REPORTED` bits).
    pub signals: u8,
    /// `poll` revents with a 0 timeout.
    pub poll: i16,
    /// `TIOCINQ`.
    pub inq: Option<Res>,
    /// `TIOCOUTQ`.
    pub outq: Option<Res>,
    /// `poll` was already called after the operation (the mask is final).
    polled: bool,
}

/// What to observe after an operation besides the poll mask and `TIOCINQ`. Every system call
/// costs a lot in the TCG guest with lockdep, so the master is read only after operations that
/// may write to it, signals are collected only after a byte that may be a signal character,
/// and `TIOCOUTQ` (always 0 on a pty) after writes and at the end.
#[derive(Clone, Copy, Default)]
struct Want {
    master: bool,
    signals: bool,
    outq: bool,
}

/// A difference between the two sides.
#[derive(Clone, Debug)]
pub struct Divergence {
    /// The operation after which it showed (`None`: the reset before the first).
    pub op: Option<usize>,
    pub family: Family,
    pub detail: String,
}

/// One side: a pty pair (with the oracle's child that holds the slave as its controlling
/// terminal and reports signals) and the discipline on the slave.
pub struct Side {
    pub pty: Pty,
}

const POLL_EVENTS: i16 = libc::POLLIN | libc::POLLPRI | libc::POLLOUT | libc::POLLRDNORM;

impl Side {
    fn open(disc: i32) -> io::Result<Side> {
        let pty = Pty::open()?;
        // SAFETY: TIOCSETD reads one int from a valid pointer.
        if unsafe { libc::ioctl(pty.slave, libc::TIOCSETD, &disc) } < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut got: libc::c_int = -1;
        // SAFETY: TIOCGETD writes one int to a valid pointer.
        if unsafe { libc::ioctl(pty.slave, libc::TIOCGETD, &mut got) } < 0 || got != disc {
            return Err(io::Error::other(format!("TIOCGETD says {got}, not {disc}")));
        }
        Ok(Side { pty })
    }

    fn fd(&self) -> libc::c_int {
        self.pty.slave
    }

    fn poll(&self) -> i16 {
        let mut p = libc::pollfd {
            fd: self.fd(),
            events: POLL_EVENTS,
            revents: 0,
        };
        // SAFETY: One valid pollfd.
        let n = unsafe { libc::poll(&mut p, 1, 0) };
        if n < 0 {
            -1
        } else {
            p.revents
        }
    }

    fn ioctl_int(&self, req: libc::c_ulong) -> Res {
        let mut v: libc::c_int = -1;
        // SAFETY: TIOCINQ and TIOCOUTQ write one int to a valid pointer.
        let r = unsafe { libc::ioctl(self.fd(), req, &mut v) };
        if r < 0 {
            Res::of(-1, &[])
        } else {
            Res::Ok(v as isize, Vec::new())
        }
    }

    fn ioctl_arg(&self, req: libc::c_ulong, arg: libc::c_int) -> Res {
        // SAFETY: TCFLSH and TCXONC take an integer argument.
        let r = unsafe { libc::ioctl(self.fd(), req, arg as libc::c_ulong) };
        Res::of(r as isize, &[])
    }

    fn sti(&self, b: u8) -> Res {
        // SAFETY: TIOCSTI reads one byte from a valid pointer.
        let r = unsafe { libc::ioctl(self.fd(), libc::TIOCSTI, &b) };
        Res::of(r as isize, &[])
    }

    fn set_nonblocking(&self, on: bool) {
        // SAFETY: fcntl on an fd we own.
        unsafe {
            let fl = libc::fcntl(self.fd(), libc::F_GETFL);
            let fl = if on {
                fl | libc::O_NONBLOCK
            } else {
                fl & !libc::O_NONBLOCK
            };
            libc::fcntl(self.fd(), libc::F_SETFL, fl);
        }
    }

    fn read(&self, size: usize, blocking: bool) -> Res {
        let mut buf = vec![0u8; size];
        if blocking {
            self.set_nonblocking(false);
            watchdog(true);
        }
        // SAFETY: `buf` is valid for writes of `size` bytes.
        let r = unsafe { libc::read(self.fd(), buf.as_mut_ptr().cast(), size) };
        let res = Res::of(r, if r > 0 { &buf[..r as usize] } else { &[] });
        if blocking {
            watchdog(false);
            self.set_nonblocking(true);
        }
        res
    }

    fn write(&self, data: &[u8], blocking: bool) -> Res {
        if blocking {
            self.set_nonblocking(false);
            watchdog(true);
        }
        // SAFETY: `data` is valid for reads of its length.
        let r = unsafe { libc::write(self.fd(), data.as_ptr().cast(), data.len()) };
        let res = Res::of(r, &[]);
        if blocking {
            watchdog(false);
            self.set_nonblocking(true);
        }
        res
    }

    /// Nonblocking reads of `size` until `EAGAIN`, an error, or 0 outside canonical mode.
    fn read_all(&self, size: usize, canonical: bool, out: &mut Vec<(Family, Res)>) {
        for _ in 0..10_000 {
            let r = self.read(size, false);
            let stop = match &r {
                Res::Ok(0, _) => !canonical || size == 0,
                Res::Ok(..) => false,
                Res::Err(_) => true,
            };
            out.push((Family::Read, r));
            if stop {
                return;
            }
        }
        out.push((Family::Harness, Res::Err(libc::E2BIG)));
    }

    fn set_termios(&self, t: &Termios, when: When) -> Res {
        // SAFETY: `termios` is plain data filled by tcgetattr before it is changed and set.
        unsafe {
            let mut k: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(self.fd(), &mut k) < 0 {
                return Res::of(-1, &[]);
            }
            k.c_iflag = t.iflag.bits();
            k.c_oflag = t.oflag.bits();
            k.c_lflag = t.lflag.bits();
            k.c_cc[..t.cc.len()].copy_from_slice(&t.cc);
            let how = match when {
                When::Now => libc::TCSANOW,
                When::Drain => libc::TCSADRAIN,
                When::Flush => libc::TCSAFLUSH,
            };
            Res::of(libc::tcsetattr(self.fd(), how, &k) as isize, &[])
        }
    }

    fn observe(&self, obs: &mut Obs, want: Want) -> io::Result<()> {
        if !obs.polled {
            obs.poll = self.poll();
        }
        obs.inq = Some(self.ioctl_int(libc::TIOCINQ));
        if want.outq {
            obs.outq = Some(self.ioctl_int(libc::TIOCOUTQ));
        }
        if want.master {
            self.pty.drain_master(&mut obs.master)?;
        }
        if want.signals {
            obs.signals = self.pty.take_signals()?;
        }
        Ok(())
    }
}

extern "C" fn on_alarm(_: libc::c_int) {}

/// Installs the SIGALRM handler (without `SA_RESTART`, so a hung read or write returns
/// `EINTR`).
pub fn install_watchdog() {
    // SAFETY: A handler that does nothing is async-signal-safe; `sa` is fully initialised.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_alarm as *const () as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGALRM, &sa, std::ptr::null_mut());
    }
}

/// Arms (3 s) or disarms the watchdog of a blocking call.
fn watchdog(on: bool) {
    let t = libc::itimerval {
        it_interval: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        it_value: libc::timeval {
            tv_sec: if on { 3 } else { 0 },
            tv_usec: 0,
        },
    };
    // SAFETY: Valid itimerval; the old value is not wanted.
    unsafe { libc::setitimer(libc::ITIMER_REAL, &t, std::ptr::null_mut()) };
}

/// The two sides.
pub struct Duo {
    pub sides: [Side; 2],
    /// Time spent per kind of operation (reset, input, read, read all, termios, flush, flow,
    /// write, TIOCSTI) and observing, for `--profile`.
    pub profile: [(u32, std::time::Duration); 10],
}

/// Names of the `Duo::profile` slots.
pub const PROFILE: [&str; 10] = [
    "reset", "input", "read", "read-all", "termios", "flush", "flow", "write", "sti", "observe",
];

fn slot(op: &Op) -> usize {
    match op {
        Op::Input { .. } => 1,
        Op::Read { .. } => 2,
        Op::ReadAll { .. } => 3,
        Op::Termios { .. } => 4,
        Op::Flush(_) => 5,
        Op::Flow(_) => 6,
        Op::Write { .. } => 7,
        Op::Sti(_) => 8,
    }
}

fn canonical(t: &Termios) -> bool {
    t.l(LFlag::ICANON)
}

/// Whether a blocking read of `size` returns at once in the observed state: in canonical
/// mode a line (or end of file) is there; otherwise VMIN/VTIME are met without waiting.
/// Reads that would wait (the VTIME timers) are made nonblocking instead.
fn read_returns_at_once(t: &Termios, size: usize, last: &Obs) -> bool {
    if size == 0 {
        return true;
    }
    if canonical(t) {
        return last.poll & libc::POLLIN != 0;
    }
    let available = match last.inq {
        Some(Res::Ok(n, _)) => n as usize,
        _ => return false,
    };
    let (vmin, vtime) = (t.cc[VMIN] as usize, t.cc[VTIME]);
    let need = if vmin == 0 {
        usize::from(vtime > 0)
    } else {
        vmin.min(size)
    };
    available >= need
}

impl Duo {
    /// Opens the two pairs: the first slave stays on N_TTY, the second gets n_rust.
    pub fn open() -> io::Result<Duo> {
        Ok(Duo {
            sides: [
                Side::open(N_TTY)?,
                Side::open(AGAINST.load(std::sync::atomic::Ordering::Relaxed))?,
            ],
            profile: Default::default(),
        })
    }

    fn observe(&self, obs: &mut [Obs; 2], want: Want) -> Result<(), Divergence> {
        for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
            side.observe(o, want).map_err(|e| Divergence {
                op: None,
                family: Family::Harness,
                detail: format!("observing: {e}"),
            })?;
        }
        Ok(())
    }

    /// Runs `s` on both sides; the first difference is returned.
    pub fn run(&mut self, s: &Scenario) -> Result<(), Divergence> {
        let t0 = std::time::Instant::now();
        let mut obs: [Obs; 2] = Default::default();
        // Reset: output running (TCOOFF then TCOON clears a STOP too), the termios, no input.
        // What that writes to the master is compared too.
        for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
            o.calls
                .push((Family::Ioctl, side.ioctl_arg(libc::TCXONC, libc::TCOOFF)));
            o.calls
                .push((Family::Ioctl, side.ioctl_arg(libc::TCXONC, libc::TCOON)));
            o.calls
                .push((Family::Ioctl, side.set_termios(&s.termios, When::Now)));
            o.calls
                .push((Family::Ioctl, side.ioctl_arg(libc::TCFLSH, libc::TCIFLUSH)));
        }
        let want = Want {
            master: true,
            signals: false,
            outq: true,
        };
        self.observe(&mut obs, want)?;
        self.profile[0].0 += 1;
        self.profile[0].1 += t0.elapsed();
        compare(&obs).map_err(|(family, detail)| Divergence {
            op: None,
            family,
            detail,
        })?;
        let mut cur = s.termios;
        for (i, op) in s.ops.iter().enumerate() {
            let last = std::mem::take(&mut obs[0]);
            obs = Default::default();
            let t0 = std::time::Instant::now();
            let mut want = self.apply(op, &mut cur, &last, &mut obs);
            let t1 = std::time::Instant::now();
            want.outq |= i + 1 == s.ops.len();
            self.observe(&mut obs, want).map_err(|mut d| {
                d.op = Some(i);
                d
            })?;
            let k = slot(op);
            self.profile[k].0 += 1;
            self.profile[k].1 += t1 - t0;
            self.profile[9].0 += 1;
            self.profile[9].1 += t1.elapsed();
            compare(&obs).map_err(|(family, detail)| Divergence {
                op: Some(i),
                family,
                detail,
            })?;
        }
        Ok(())
    }

    /// Applies `op` to both sides, recording the calls in `obs`; returns what to observe.
    fn apply(&self, op: &Op, cur: &mut Termios, last: &Obs, obs: &mut [Obs; 2]) -> Want {
        let canon = canonical(cur);
        let mut sig = Vec::new();
        signal_chars(cur, &mut sig);
        let signal = |data: &[u8]| data.len() == 1 && may_signal(data[0], &sig);
        let quiet = Want::default();
        let output = Want {
            master: true,
            ..Want::default()
        };
        match op {
            Op::Input { data, drain } => {
                if last.poll & libc::POLLIN != 0 {
                    // Take the available input first (see the module documentation).
                    for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
                        match drain {
                            Drain::Read(size) => side.read_all(*size, canon, &mut o.calls),
                            Drain::Flush => o.calls.push((
                                Family::Ioctl,
                                side.ioctl_arg(libc::TCFLSH, libc::TCIFLUSH),
                            )),
                        }
                        if side.poll() & libc::POLLIN != 0 {
                            o.calls.push((
                                Family::Ioctl,
                                side.ioctl_arg(libc::TCFLSH, libc::TCIFLUSH),
                            ));
                            o.calls
                                .push((Family::Poll, Res::Ok(side.poll() as isize, vec![])));
                        }
                    }
                }
                for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
                    let r = match side.pty.write_master(data) {
                        Ok(()) => Res::Ok(data.len() as isize, Vec::new()),
                        Err(e) => Res::Err(e.raw_os_error().unwrap_or(0)),
                    };
                    o.calls.push((Family::Input, r));
                }
                // Wait for the discipline to take the chunk: poll, then TIOCINQ if poll found
                // input (without input, poll has waited for the flip work: its mask is final).
                for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
                    let mask = side.poll();
                    if mask & libc::POLLIN != 0 {
                        side.ioctl_int(libc::TIOCINQ);
                    } else {
                        o.poll = mask;
                        o.polled = true;
                    }
                }
                Want {
                    master: true,
                    signals: signal(data),
                    outq: false,
                }
            }
            Op::Read { size, blocking } => {
                let blocking = *blocking && read_returns_at_once(cur, *size, last);
                for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
                    o.calls.push((Family::Read, side.read(*size, blocking)));
                }
                quiet
            }
            Op::ReadAll { size } => {
                for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
                    side.read_all(*size, canon, &mut o.calls);
                }
                quiet
            }
            Op::Termios { when, termios } => {
                for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
                    o.calls
                        .push((Family::Ioctl, side.set_termios(termios, *when)));
                }
                *cur = *termios;
                output
            }
            Op::Flush(arg) => {
                for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
                    o.calls
                        .push((Family::Ioctl, side.ioctl_arg(libc::TCFLSH, *arg)));
                }
                quiet
            }
            Op::Flow(arg) => {
                for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
                    o.calls
                        .push((Family::Ioctl, side.ioctl_arg(libc::TCXONC, *arg)));
                }
                output
            }
            Op::Write { data, blocking } => {
                let blocking = *blocking && last.poll & libc::POLLOUT != 0;
                for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
                    o.calls.push((Family::Write, side.write(data, blocking)));
                }
                Want {
                    master: true,
                    signals: false,
                    outq: true,
                }
            }
            Op::Sti(b) => {
                for (side, o) in self.sides.iter().zip(obs.iter_mut()) {
                    o.calls.push((Family::Ioctl, side.sti(*b)));
                }
                Want {
                    master: true,
                    signals: signal(&[*b]),
                    outq: false,
                }
            }
        }
    }
}

fn show_calls(calls: &[(Family, Res)]) -> String {
    let v: Vec<String> = calls.iter().take(40).map(|(_, r)| r.show()).collect();
    format!("[{}]", v.join(", "))
}

fn show_poll(m: i16) -> String {
    let mut v = Vec::new();
    for (bit, name) in [
        (libc::POLLIN, "IN"),
        (libc::POLLPRI, "PRI"),
        (libc::POLLOUT, "OUT"),
        (libc::POLLERR, "ERR"),
        (libc::POLLHUP, "HUP"),
        (libc::POLLNVAL, "NVAL"),
        (libc::POLLRDNORM, "RDNORM"),
    ] {
        if m & bit != 0 {
            v.push(name);
        }
    }
    format!("{m:#x} {{{}}}", v.join(","))
}

/// Compares the two observations; the family and a description of the first difference.
fn compare(obs: &[Obs; 2]) -> Result<(), (Family, String)> {
    let [a, b] = obs;
    let n = a.calls.len().max(b.calls.len());
    for k in 0..n {
        let (x, y) = (a.calls.get(k), b.calls.get(k));
        if x != y {
            let family = x.or(y).map_or(Family::Harness, |c| c.0);
            return Err((
                family,
                format!(
                    "call {k} differs\n  {}: {}\n  {}: {}",
                    NAMES[0],
                    show_calls(&a.calls),
                    NAMES[1],
                    show_calls(&b.calls)
                ),
            ));
        }
    }
    // Both sides hung alike (the watchdog fired) or the harness gave up: a failure too.
    if let Some((f, r)) = a
        .calls
        .iter()
        .find(|(f, r)| *f == Family::Harness || *r == Res::Err(libc::EINTR))
    {
        return Err((
            *f,
            format!("both sides: {} in {}", r.show(), show_calls(&a.calls)),
        ));
    }
    if a.master != b.master {
        return Err((
            Family::Master,
            format!("master bytes differ{}", diff_bytes(&a.master, &b.master))
                .replace("kernel", NAMES[0])
                .replace("engine", NAMES[1]),
        ));
    }
    if a.signals != b.signals {
        return Err((
            Family::Signals,
            format!(
                "signal masks {:#x} vs {:#x} (bits: INT, QUIT, TSTP, TTIN, TTOU)",
                a.signals, b.signals
            ),
        ));
    }
    if a.poll != b.poll {
        return Err((
            Family::Poll,
            format!(
                "poll {}: {} / {}: {}",
                NAMES[0],
                show_poll(a.poll),
                NAMES[1],
                show_poll(b.poll)
            ),
        ));
    }
    let show = |r: &Option<Res>| r.as_ref().map_or("-".into(), Res::show);
    if a.inq != b.inq {
        return Err((
            Family::Inq,
            format!(
                "TIOCINQ {}: {} / {}: {}",
                NAMES[0],
                show(&a.inq),
                NAMES[1],
                show(&b.inq)
            ),
        ));
    }
    if a.outq != b.outq {
        return Err((
            Family::Outq,
            format!(
                "TIOCOUTQ {}: {} / {}: {}",
                NAMES[0],
                show(&a.outq),
                NAMES[1],
                show(&b.outq)
            ),
        ));
    }
    Ok(())
}
