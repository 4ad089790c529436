//! Scenarios of the concurrent differential test: a pty pair set up one way, a first actor
//! that calls `read` or `write` (usually to sleep there), then steps made by further actors
//! while it may sleep. Drawn from a seed with the oracle's generator.

use n_rust_oracle::esc;
use n_rust_oracle::gen::Rng;
use std::fmt::Write as _;

/// Where the discipline under test sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// On the slave; the master is the terminal.
    Slave,
    /// On the master, in packet mode (`TIOCPKT`); the slave is the program's side.
    MasterPacket,
}

/// One end of the pair: the one running the discipline under test, or the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Target,
    Peer,
}

/// A discipline, relative to the side: its own (N_TTY on one side, n_rust on the other) or
/// the other side's. Switching to `Other` is a real change on both sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disc {
    Own,
    Other,
}

/// The termios of the end under test: raw (`cfmakeraw`) plus these. (Set through a master,
/// it is its slave's: a pty master's own termios stays raw.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tio {
    pub icanon: bool,
    pub echo: bool,
    pub isig: bool,
    pub opost: bool,
    pub vmin: u8,
    pub vtime: u8,
}

impl Tio {
    /// Raw, VMIN = 1, VTIME = 0.
    pub const RAW: Tio = Tio {
        icanon: false,
        echo: false,
        isig: false,
        opost: false,
        vmin: 1,
        vtime: 0,
    };

    /// As a few words.
    pub fn show(&self) -> String {
        let mut v = Vec::new();
        for (on, name) in [
            (self.icanon, "icanon"),
            (self.echo, "echo"),
            (self.isig, "isig"),
            (self.opost, "opost onlcr"),
        ] {
            if on {
                v.push(name.to_string());
            }
        }
        if !self.icanon {
            v.push(format!("vmin={} vtime={}", self.vmin, self.vtime));
        }
        if v.is_empty() {
            "raw".into()
        } else {
            v.join(" ")
        }
    }
}

/// One system call an actor makes (or, for `Signal`, the harness on its behalf).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    /// `read` of `size` bytes; `nonblock` reads through a second, `O_NONBLOCK` file of the
    /// slave (a master cannot be opened twice). The peer is always read without blocking (a
    /// master peer is `O_NONBLOCK` itself): a reader asleep there could wake in the middle of
    /// a write that output processing splits into several pieces, when on either discipline
    /// the scheduler alone decides what it gets.
    Read {
        end: End,
        size: usize,
        nonblock: bool,
    },
    /// `write` of `data` (blocking).
    Write { end: End, data: Vec<u8> },
    /// `TIOCSETD` on the end under test.
    SetLdisc(Disc),
    /// `TIOCVHANGUP` on the end under test.
    Hangup,
    /// The last close of the peer (the master when the slave is under test): made by
    /// replacing its descriptor with `/dev/null`, so that the number is never reused.
    ClosePeer,
    /// `tcsetattr` on the end under test (`TCSANOW`, `TCSADRAIN` or `TCSAFLUSH`).
    Termios { how: i32, tio: Tio },
    /// `tcflush` on the end under test.
    Flush(i32),
    /// `tcflow` (`TCOOFF`, `TCOON`, ...) on `end`.
    Flow { end: End, action: i32 },
    /// `poll` with a zero timeout on the end under test; the mask is the result.
    Poll,
    /// `pthread_kill` of the first actor with a handler installed without `SA_RESTART`.
    Signal,
}

/// A scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    pub layout: Layout,
    pub tio: Tio,
    /// `O_ASYNC` on the end under test: the SIGIOs it sends are counted.
    pub async_io: bool,
    /// Written to the peer first: input for the end under test.
    pub prefill: Vec<u8>,
    /// `tcflow(TCOOFF)` on the end under test before the first actor starts.
    pub stopped: bool,
    /// The first actor's call.
    pub first: Call,
    /// The other actors' calls, one thread each, in order.
    pub steps: Vec<Call>,
}

fn gen_bytes(r: &mut Rng, len: usize, tio: &Tio) -> Vec<u8> {
    let alphabet: &[u8] = if tio.icanon {
        b"abcdefgh\n\n\x04\x7f"
    } else {
        b"abcdefghij\n\r"
    };
    (0..len).map(|_| r.pick(alphabet)).collect()
}

fn gen_tio(r: &mut Rng) -> Tio {
    Tio {
        icanon: r.pct(35),
        echo: r.pct(25),
        isig: r.pct(10),
        opost: r.pct(50),
        vmin: r.pick(&[0, 1, 1, 1, 2, 5, 40, 64, 65, 100, 255]),
        // Never a timer that may run out while the scenario runs: the classes come from the
        // order of events only.
        vtime: if r.pct(15) { 250 } else { 0 },
    }
}

fn gen_size(r: &mut Rng) -> usize {
    r.pick(&[0, 1, 1, 2, 10, 63, 64, 65, 100, 129, 1000, 5000])
}

fn gen_step(r: &mut Rng, tio: &mut Tio, layout: Layout) -> Call {
    match r.below(100) {
        0..=11 => Call::SetLdisc(if r.pct(80) { Disc::Other } else { Disc::Own }),
        12..=15 => Call::Hangup,
        16..=19 => Call::ClosePeer,
        20..=34 => {
            match r.below(4) {
                0 | 1 => tio.icanon = !tio.icanon,
                2 => tio.vmin = r.pick(&[0, 1, 3, 40, 65]),
                _ => tio.echo = !tio.echo,
            }
            Call::Termios {
                how: r.pick(&[
                    libc::TCSANOW,
                    libc::TCSANOW,
                    libc::TCSADRAIN,
                    libc::TCSAFLUSH,
                ]),
                tio: *tio,
            }
        }
        35..=42 => Call::Flush(r.pick(&[
            libc::TCIFLUSH,
            libc::TCIFLUSH,
            libc::TCOFLUSH,
            libc::TCIOFLUSH,
        ])),
        43..=52 => Call::Flow {
            end: if layout == Layout::MasterPacket && r.pct(60) {
                End::Peer
            } else {
                End::Target
            },
            action: r.pick(&[libc::TCOOFF, libc::TCOON, libc::TCOON]),
        },
        53..=72 => {
            let len = r.pick(&[1, 1, 5, 30, 64, 200]);
            Call::Write {
                end: End::Peer,
                data: gen_bytes(r, len, tio),
            }
        }
        73..=77 => {
            let len = 1 + r.below(20);
            Call::Write {
                end: End::Target,
                data: gen_bytes(r, len, tio),
            }
        }
        78..=83 => {
            let end = if r.pct(60) { End::Target } else { End::Peer };
            Call::Read {
                end,
                size: gen_size(r),
                nonblock: end == End::Peer || r.pct(50),
            }
        }
        84..=88 => Call::Poll,
        _ => Call::Signal,
    }
}

/// The scenario of seed `seed`.
pub fn gen_scenario(seed: u64) -> Scenario {
    let mut r = Rng::new(seed);
    let layout = if r.pct(25) {
        Layout::MasterPacket
    } else {
        Layout::Slave
    };
    let mut tio = gen_tio(&mut r);
    if layout == Layout::MasterPacket {
        // A master's termios calls set its slave's termios (`tty_mode_ioctl`): the master
        // itself stays raw, and output processing on the slave would split each write into
        // pieces, any of which may wake the master's reader (then the scheduler alone decides
        // what it reads, on either discipline).
        tio.opost = false;
    }
    let mut cur = tio;
    let prefill = if r.pct(40) {
        let len = r.pick(&[1, 5, 30, 100, 300]);
        gen_bytes(&mut r, len, &tio)
    } else {
        Vec::new()
    };
    let reads = r.pct(70);
    let first = if reads {
        Call::Read {
            end: End::Target,
            size: 1 + gen_size(&mut r),
            nonblock: false,
        }
    } else {
        let len = r.pick(&[1, 10, 100, 3000]);
        Call::Write {
            end: End::Target,
            data: gen_bytes(&mut r, len, &tio),
        }
    };
    let stopped = !reads && r.pct(80);
    let n = 1 + r.below(5);
    let steps = (0..n).map(|_| gen_step(&mut r, &mut cur, layout)).collect();
    Scenario {
        layout,
        tio,
        async_io: r.pct(15),
        prefill,
        stopped,
        first,
        steps,
    }
}

fn end_name(end: End) -> &'static str {
    match end {
        End::Target => "target",
        End::Peer => "peer",
    }
}

fn flush_name(q: i32) -> &'static str {
    match q {
        libc::TCIFLUSH => "TCIFLUSH",
        libc::TCOFLUSH => "TCOFLUSH",
        _ => "TCIOFLUSH",
    }
}

fn flow_name(a: i32) -> &'static str {
    match a {
        libc::TCOOFF => "TCOOFF",
        libc::TCOON => "TCOON",
        libc::TCIOFF => "TCIOFF",
        _ => "TCION",
    }
}

fn how_name(h: i32) -> &'static str {
    match h {
        libc::TCSANOW => "TCSANOW",
        libc::TCSADRAIN => "TCSADRAIN",
        _ => "TCSAFLUSH",
    }
}

/// A call as one line.
pub fn show_call(c: &Call) -> String {
    match c {
        Call::Read {
            end,
            size,
            nonblock,
        } => format!(
            "read {size} from the {}{}",
            end_name(*end),
            if *nonblock { " (O_NONBLOCK)" } else { "" }
        ),
        Call::Write { end, data } => format!("write {} to the {}", esc(data), end_name(*end)),
        Call::SetLdisc(Disc::Own) => "TIOCSETD: its own discipline".into(),
        Call::SetLdisc(Disc::Other) => "TIOCSETD: the other side's discipline".into(),
        Call::Hangup => "TIOCVHANGUP".into(),
        Call::ClosePeer => "close the peer".into(),
        Call::Termios { how, tio } => format!("tcsetattr {} {}", how_name(*how), tio.show()),
        Call::Flush(q) => format!("tcflush {}", flush_name(*q)),
        Call::Flow { end, action } => {
            format!("tcflow {} on the {}", flow_name(*action), end_name(*end))
        }
        Call::Poll => "poll".into(),
        Call::Signal => "signal the first actor (SIGUSR1, no SA_RESTART)".into(),
    }
}

/// A scenario, one line per part.
pub fn show_scenario(s: &Scenario) -> String {
    let mut out = format!(
        "    {} under test{}, {}{}\n",
        match s.layout {
            Layout::Slave => "slave",
            Layout::MasterPacket => "master in packet mode (termios: the slave's)",
        },
        if s.async_io { ", O_ASYNC" } else { "" },
        s.tio.show(),
        if s.stopped { ", output stopped" } else { "" }
    );
    if !s.prefill.is_empty() {
        let _ = writeln!(out, "    input first: {}", esc(&s.prefill));
    }
    let _ = writeln!(out, "    actor 1: {}", show_call(&s.first));
    for (i, c) in s.steps.iter().enumerate() {
        let _ = writeln!(out, "    step {}: {}", i + 1, show_call(c));
    }
    out
}
