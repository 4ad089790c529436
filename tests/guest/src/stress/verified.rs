//! The checked streams: pty pairs on n_rust that no hangup, flush or discipline switch cuts,
//! each carrying a seeded stream both ways while everything else runs. Raw pairs carry any
//! byte and must arrive byte-exact (every byte compared, and the count); canonical pairs carry
//! lines in, which must arrive line-exact (no read past a newline, no short read of a
//! complete line, every line equal), and the same lines out through `OPOST|ONLCR`. ttyS1 in
//! UART loopback carries a raw stream through the 8250 driver. Their termios changes too
//! (VMIN/VTIME, speed, flags no byte depends on) and the signal storm hits their workers.

use crate::counts::{add, count, Op};
use crate::endpoint::{open_peer, Endpoint, Io, Style};
use crate::uart::{self, Icount, Pacer};
use crate::workers::{disc, spawn, Rng, Worker};
use n_rust_guest_tests::sys;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// How a checked tty is set up, and what its termios changer may vary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A pty slave in raw mode.
    Raw,
    /// A pty slave in canonical mode with `OPOST|ONLCR`, no echo, no signals.
    Canonical,
    /// ttyS1, raw, in UART loopback.
    Serial,
}

/// The progress of one stream, shared by its writer, its reader and the run.
#[derive(Default)]
pub struct Stream {
    /// What the stream is, for messages.
    pub name: String,
    /// Bytes written so far.
    pub sent: AtomicU64,
    /// Set by the writer once it has written its last byte.
    pub writer_done: AtomicBool,
    /// Bytes read and compared so far.
    pub received: AtomicU64,
}

/// What the run tells the checked streams.
pub struct Control {
    /// Writers finish their line (canonical) and stop.
    pub stop_writing: AtomicBool,
    /// Readers give up at this many milliseconds after `start` (0: no limit yet).
    pub drain_deadline_ms: AtomicU64,
    /// When the run started.
    pub start: Instant,
}

impl Control {
    /// Running, from now on.
    pub fn new() -> Self {
        Self {
            stop_writing: AtomicBool::new(false),
            drain_deadline_ms: AtomicU64::new(0),
            start: Instant::now(),
        }
    }

    /// Whether the drain deadline has passed.
    pub fn past_deadline(&self) -> bool {
        let limit = self.drain_deadline_ms.load(Ordering::SeqCst);
        limit != 0 && self.start.elapsed().as_millis() as u64 > limit
    }
}

/// A tty whose termios the changer varies: a file of it, and its kind.
pub struct Knob {
    /// An open file of the tty (for `tcsetattr`).
    pub fd: OwnedFd,
    /// What may change.
    pub kind: Kind,
    /// The master of a pty, kept open while the streams run.
    pub _master: Option<OwnedFd>,
}

/// The bytes of stream `seed`: raw bytes, or lines `"NNNNNNNN text\n"` of printable ASCII
/// (with `crlf`, each newline as `"\r\n"`, as `ONLCR` turns it).
struct Source {
    rng: Rng,
    lines: bool,
    crlf: bool,
    seq: u64,
}

impl Source {
    fn new(seed: u64, lines: bool, crlf: bool) -> Self {
        Self {
            rng: Rng::new(seed),
            lines,
            crlf,
            seq: 0,
        }
    }

    /// The next piece of the stream (a line, or up to 4 KiB of raw bytes).
    fn next_piece(&mut self) -> Vec<u8> {
        if !self.lines {
            let len = self.rng.range(1, 4096);
            return (0..len).map(|_| self.rng.next_u64() as u8).collect();
        }
        self.seq += 1;
        let len = self.rng.range(0, 240);
        let mut line = format!("{:08} ", self.seq).into_bytes();
        line.extend((0..len).map(|_| b' ' + self.rng.below(95) as u8));
        if self.crlf {
            line.push(b'\r');
        }
        line.push(b'\n');
        line
    }
}

/// Writes stream `seed` to `out` until told to stop (a canonical writer ends its line first);
/// with a `pacer` (ttyS1), each write waits for the UART to be idle (see [`crate::uart`]).
fn write_stream(
    out: Endpoint,
    seed: u64,
    lines: bool,
    stream: Arc<Stream>,
    control: Arc<Control>,
    pacer: Option<Pacer>,
) -> Result<(), String> {
    let mut source = Source::new(seed, lines, false);
    let mut rng = Rng::new(seed ^ 0x5eed);
    let mut pending: Vec<u8> = Vec::new();
    let mut at = 0;
    loop {
        if at == pending.len() {
            if control.stop_writing.load(Ordering::SeqCst) {
                break;
            }
            pending = source.next_piece();
            at = 0;
        }
        let mut len = rng.range(1, pending.len() - at);
        if let Some(pacer) = &pacer {
            if !pacer.wait_idle(&stream, &control)? {
                break; // told to stop: a raw writer may stop in the middle of its piece
            }
            len = len.min(uart::MAX_WRITE);
        }
        match out.write(&pending[at..at + len]) {
            Io::Done(n) => {
                at += n;
                stream.sent.fetch_add(n as u64, Ordering::SeqCst);
            }
            Io::Idle | Io::Interrupted => {
                // A raw writer may stop in the middle of its piece.
                if !lines && control.stop_writing.load(Ordering::SeqCst) {
                    break;
                }
                if control.past_deadline() {
                    return Err(format!(
                        "could not write the rest of its line by the drain deadline ({} bytes written)",
                        stream.sent.load(Ordering::SeqCst)
                    ));
                }
            }
            Io::Eof => return Err("write returned 0".into()),
            Io::Errno(e) => return Err(format!("write: errno {e}")),
        }
    }
    stream.writer_done.store(true, Ordering::SeqCst);
    Ok(())
}

/// Reads stream `seed` from `input` until everything written has arrived, comparing every
/// byte; `canonical` adds the line rules.
fn read_stream(
    input: Endpoint,
    seed: u64,
    source: Source,
    canonical: bool,
    stream: Arc<Stream>,
    control: Arc<Control>,
    unit: Op,
) -> Result<(), String> {
    let mut expected = source;
    let mut rng = Rng::new(seed ^ 0xbead);
    let mut want: Vec<u8> = Vec::new();
    let mut at = 0;
    let mut buf = vec![0u8; 4096];
    let mut offset: u64 = 0;
    let mut line_left = 0usize; // canonical: bytes of the current line not yet read
    loop {
        if stream.writer_done.load(Ordering::SeqCst) && offset == stream.sent.load(Ordering::SeqCst)
        {
            return Ok(());
        }
        if control.past_deadline() {
            return Err(format!(
                "{} bytes of {} arrived before the drain deadline (writer done: {})",
                offset,
                stream.sent.load(Ordering::SeqCst),
                stream.writer_done.load(Ordering::SeqCst)
            ));
        }
        let max = [1, 16, 700, 4096][rng.below(4) as usize];
        let size = rng.range(1, max);
        let n = match input.read(&mut buf[..size]) {
            Io::Done(n) => n,
            Io::Idle | Io::Interrupted => continue,
            Io::Eof => return Err(format!("read returned 0 at byte {offset}")),
            Io::Errno(e) => return Err(format!("read: errno {e} at byte {offset}")),
        };
        let got = &buf[..n];
        for (i, &b) in got.iter().enumerate() {
            if at == want.len() {
                want = expected.next_piece();
                at = 0;
                if canonical {
                    line_left = want.len();
                }
            }
            if b != want[at] {
                let from = at.saturating_sub(8);
                return Err(format!(
                    "byte {} differs: got {:?}, expected {:?} (context: expected {:?}, got {:?})",
                    offset + i as u64,
                    b as char,
                    want[at] as char,
                    String::from_utf8_lossy(&want[from..(at + 8).min(want.len())]),
                    String::from_utf8_lossy(got)
                ));
            }
            at += 1;
            if canonical {
                line_left -= 1;
                if b == b'\n' {
                    count(unit);
                    if i + 1 != n {
                        return Err(format!(
                            "a canonical read of {size} returned {n} bytes, past a newline at {i}"
                        ));
                    }
                }
            }
        }
        if canonical && line_left > 0 && n < size {
            return Err(format!(
                "a canonical read of {size} returned {n} bytes of a complete line ({line_left} left)"
            ));
        }
        if !canonical {
            add(unit, n as u64);
        }
        // The writer counts the bytes it wrote; the '\r' that ONLCR adds is not one of them.
        let counted = if expected.crlf {
            got.iter().filter(|&&b| b != b'\r').count()
        } else {
            n
        };
        offset += counted as u64;
        stream.received.store(offset, Ordering::SeqCst);
    }
}

/// Sets the speed bits of `c_cflag` (what `TCSETS` reads; glibc's `cfsetspeed` does not link
/// statically here).
fn set_speed(t: &mut libc::termios, speed: libc::speed_t) {
    t.c_cflag = (t.c_cflag & !libc::CBAUD) | speed;
}

/// Sets `fd` to the base termios of `kind`, with `vmin` and `vtime`.
pub fn set_base(fd: &OwnedFd, kind: Kind, vmin: u8, vtime: u8, when: i32) -> Result<(), String> {
    // SAFETY: `termios` is plain data, filled by tcgetattr before use.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd.as_raw_fd(), &mut t) < 0 {
            return Err(format!("tcgetattr: {}", std::io::Error::last_os_error()));
        }
        libc::cfmakeraw(&mut t);
        t.c_cflag |= libc::CLOCAL | libc::CREAD;
        if kind == Kind::Canonical {
            t.c_lflag |= libc::ICANON;
            t.c_oflag |= libc::OPOST | libc::ONLCR;
        }
        if kind == Kind::Serial {
            set_speed(&mut t, libc::B115200);
        }
        t.c_cc[libc::VMIN] = vmin;
        t.c_cc[libc::VTIME] = vtime;
        if libc::tcsetattr(fd.as_raw_fd(), when, &t) < 0 {
            return Err(format!("tcsetattr: {}", std::io::Error::last_os_error()));
        }
    }
    count(Op::Termios);
    Ok(())
}

/// One step of the termios changer on `knob`: VMIN 1..64 and VTIME 0..3 (the line rules of
/// canonical mode ignore them), and on ptys a speed and flags no byte depends on (`ECHOE`,
/// `ECHOK`, `ECHOCTL` with echo off, `TOSTOP`); now or after the output drained.
pub fn change_termios(knob: &Knob, rng: &mut Rng) -> Result<(), String> {
    let vmin = [1u8, 2, 7, 64][rng.below(4) as usize];
    let vtime = rng.below(4) as u8;
    let when = if rng.chance(300) {
        libc::TCSADRAIN
    } else {
        libc::TCSANOW
    };
    set_base(&knob.fd, knob.kind, vmin, vtime, when)?;
    if knob.kind == Kind::Serial {
        return Ok(());
    }
    // SAFETY: As in set_base.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(knob.fd.as_raw_fd(), &mut t) < 0 {
            return Err(format!("tcgetattr: {}", std::io::Error::last_os_error()));
        }
        for flag in [libc::ECHOE, libc::ECHOK, libc::ECHOCTL, libc::TOSTOP] {
            if rng.chance(500) {
                t.c_lflag |= flag;
            }
        }
        let speed = [libc::B9600, libc::B38400, libc::B115200][rng.below(3) as usize];
        set_speed(&mut t, speed);
        if libc::tcsetattr(knob.fd.as_raw_fd(), libc::TCSANOW, &t) < 0 {
            return Err(format!("tcsetattr: {}", std::io::Error::last_os_error()));
        }
    }
    count(Op::Termios);
    Ok(())
}

const TIOCM_LOOP: libc::c_int = 0x8000;

/// Takes the UART of a serial knob out of loopback (for the programs that run later).
pub fn unloop(knob: &Knob) {
    if knob.kind == Kind::Serial {
        // SAFETY: TIOCMBIC reads one int from the pointer, valid for the call.
        unsafe { libc::ioctl(knob.fd.as_raw_fd(), libc::TIOCMBIC, &TIOCM_LOOP) };
    }
}

/// What setting up the checked streams gives the run.
pub struct Streams {
    /// Writers and readers.
    pub workers: Vec<Worker>,
    /// Every stream, for the final check.
    pub streams: Vec<Arc<Stream>>,
    /// The ttys the termios changer varies.
    pub knobs: Vec<Knob>,
    /// ttyS1's UART counts when its stream started.
    pub serial_counts: Option<Icount>,
}

fn ctx<T>(r: std::io::Result<T>, what: &str) -> Result<T, String> {
    r.map_err(|e| format!("{what}: {e}"))
}

/// What a stream carries and how its reader checks it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Raw bytes, compared byte by byte.
    Raw,
    /// Lines into a canonical slave: compared byte by byte, with the line rules.
    LinesIn,
    /// Lines out of a canonical slave (`ONLCR`), read raw from the master.
    LinesOut,
}

/// Starts one stream: `ends.0` written (paced by `pacer`, if any), `ends.1` read; counted
/// under `unit`.
#[allow(clippy::too_many_arguments)]
fn start_stream(
    s: &mut Streams,
    name: String,
    ends: (Endpoint, Endpoint),
    seed: u64,
    shape: Shape,
    unit: Op,
    control: &Arc<Control>,
    pacer: Option<Pacer>,
) {
    let (out, input) = ends;
    let lines = shape != Shape::Raw;
    let stream = Arc::new(Stream {
        name: name.clone(),
        ..Default::default()
    });
    s.streams.push(stream.clone());
    let (st, c) = (stream.clone(), control.clone());
    s.workers.push(spawn(format!("{name} writer"), move || {
        write_stream(out, seed, lines, st, c, pacer)
    }));
    let (st, c) = (stream, control.clone());
    let source = Source::new(seed, lines, shape == Shape::LinesOut);
    s.workers.push(spawn(format!("{name} reader"), move || {
        read_stream(input, seed, source, shape == Shape::LinesIn, st, c, unit)
    }));
}

/// Opens `raw` raw and `canon` canonical pty pairs on n_rust (and ttyS1 when `serial`), and
/// starts a stream each way on each. Stream `i` reads in style `i mod 3`.
pub fn start(
    raw: usize,
    canon: usize,
    serial: bool,
    seed: u64,
    control: &Arc<Control>,
) -> Result<Streams, String> {
    let mut s = Streams {
        workers: Vec::new(),
        streams: Vec::new(),
        knobs: Vec::new(),
        serial_counts: None,
    };
    for i in 0..raw + canon {
        let kind = if i < raw { Kind::Raw } else { Kind::Canonical };
        let pty = ctx(sys::open_pty(libc::O_NOCTTY), "open pty")?;
        count(Op::PtyOpen);
        ctx(sys::set_ldisc(&pty.slave, disc()), "TIOCSETD 29")?;
        ctx(sys::make_raw(&pty.master), "raw master")?;
        set_base(&pty.slave, kind, 1, 0, libc::TCSANOW)?;
        let lines = kind == Kind::Canonical;
        let unit = if lines {
            Op::LinesChecked
        } else {
            Op::RawBytesChecked
        };
        let tag = if lines { "canon" } else { "raw" };
        let seed_in = seed ^ ((i as u64) << 32) ^ 1;
        let seed_out = seed ^ ((i as u64) << 32) ^ 2;
        // In: master (non-blocking, poll) -> slave (style i).
        let m_out = ctx(
            Endpoint::writer(ctx(pty.master.try_clone(), "dup")?, Style::Poll),
            "master writer",
        )?;
        let s_in = ctx(
            Endpoint::reader(ctx(open_peer(&pty.master), "open slave")?, Style::nth(i)),
            "slave reader",
        )?;
        start_stream(
            &mut s,
            format!("{tag}{i} in"),
            (m_out, s_in),
            seed_in,
            if lines { Shape::LinesIn } else { Shape::Raw },
            unit,
            control,
            None,
        );
        // Out: slave (style i+1) -> master (the master's file is non-blocking: poll or epoll).
        let s_out = ctx(
            Endpoint::writer(
                ctx(open_peer(&pty.master), "open slave")?,
                Style::nth(i + 1),
            ),
            "slave writer",
        )?;
        let m_style = if i % 2 == 0 {
            Style::Poll
        } else {
            Style::Epoll
        };
        let m_in = ctx(
            Endpoint::reader(ctx(pty.master.try_clone(), "dup")?, m_style),
            "master reader",
        )?;
        // The master reads the lines' bytes as a raw stream (with "\r\n" for "\n").
        start_stream(
            &mut s,
            format!("{tag}{i} out"),
            (s_out, m_in),
            seed_out,
            if lines { Shape::LinesOut } else { Shape::Raw },
            Op::RawBytesChecked,
            control,
            None,
        );
        // The master stays open until the end: its last close would hang the slave up.
        s.knobs.push(Knob {
            fd: pty.slave,
            kind,
            _master: Some(pty.master),
        });
    }
    if serial {
        // nrust_stress_serial_pace=0: the writer unpaced. nrust_stress_serial_probe=1: the
        // port opened on the CPU of its interrupt, then an overrun provoked on N_TTY and on
        // n_rust (what makes the UART overrun on PREEMPT_RT, see crate::uart).
        let knob = |name: &str, default: u64| {
            n_rust_guest_tests::run_env::env_num(name).unwrap_or(default) != 0
        };
        let paced = knob("nrust_stress_serial_pace", 1);
        let probe = knob("nrust_stress_serial_probe", 0);
        let port = if probe {
            let (port, cpu) = uart::open_on_irq_cpu("ttyS1", || sys::open_rw("/dev/ttyS1", 0));
            println!("# ttyS1 opened on CPU 0, its interrupt on CPU {cpu:?}");
            port
        } else {
            sys::open_rw("/dev/ttyS1", 0)
        };
        let port = ctx(port, "open /dev/ttyS1")?;
        if probe {
            // The overrun on purpose, on N_TTY and on n_rust: a UART's doing, or not.
            for d in [0, sys::N_DEVELOPMENT] {
                ctx(sys::set_ldisc(&port, d), "TIOCSETD on ttyS1")?;
                set_base(&port, Kind::Serial, 1, 0, libc::TCSANOW)?;
                // SAFETY: TIOCMBIS reads one int from the pointer, valid for the call.
                unsafe { libc::ioctl(port.as_raw_fd(), libc::TIOCMBIS, &TIOCM_LOOP) };
                match uart::provoke_overrun(&port) {
                    Ok(what) => println!("# ttyS1 overrun probe, discipline {d}: {what}"),
                    Err(e) => println!("# ttyS1 overrun probe, discipline {d}: {e}"),
                }
            }
        }
        ctx(sys::set_ldisc(&port, disc()), "TIOCSETD 29 on ttyS1")?;
        set_base(&port, Kind::Serial, 1, 0, libc::TCSANOW)?;
        // SAFETY: TIOCMBIS reads one int from the pointer, valid for the call.
        if unsafe { libc::ioctl(port.as_raw_fd(), libc::TIOCMBIS, &TIOCM_LOOP) } < 0 {
            return Err(format!(
                "TIOCMBIS TIOCM_LOOP: {}",
                std::io::Error::last_os_error()
            ));
        }
        let out = ctx(
            Endpoint::writer(
                ctx(sys::open_rw("/dev/ttyS1", 0), "open ttyS1")?,
                Style::Blocking,
            ),
            "ttyS1 writer",
        )?;
        let input = ctx(
            Endpoint::reader(
                ctx(sys::open_rw("/dev/ttyS1", 0), "open ttyS1")?,
                Style::Poll,
            ),
            "ttyS1 reader",
        )?;
        let seed_s = seed ^ 0x5e71a1;
        s.serial_counts = Some(Icount::of(&port)?);
        let pacer = if paced {
            Some(Pacer::new(ctx(port.try_clone(), "dup ttyS1")?)?)
        } else {
            None
        };
        start_stream(
            &mut s,
            "ttyS1 loop".into(),
            (out, input),
            seed_s,
            Shape::Raw,
            Op::SerialBytesChecked,
            control,
            pacer,
        );
        s.knobs.push(Knob {
            fd: port,
            kind: Kind::Serial,
            _master: None,
        });
    }
    Ok(s)
}
