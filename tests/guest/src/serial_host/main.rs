//! `n_rust-test-serial-host`: the guest half of the serial test driven from the host
//! (`qemu/run.sh --serial`, `tests/serial/serial_host.py`). The 8250 port `ttyS1` is a
//! telnet socket on the host; the harness there types, sends BREAKs and pushes bulk data,
//! and reads the echo. This program runs each case on N_TTY (the control) and then on
//! n_rust (`TIOCSETD 29`) and reports what the guest side saw; the host judges both sides.
//!
//! Markers go to `ttyS2`, a file on the host that the harness follows (the console would
//! mix them with kernel messages), one per line:
//! `SERIAL READY <case> <discipline> [key=value...]` when the port is set up and waiting
//! for the host, `SERIAL RESULT <case> <discipline> key=value...` when done (bytes in hex),
//! and `SERIAL END`. Knobs (kernel command line): `nrust_serial_bytes` (bulk size, default
//! 65536), `nrust_serial_read_max` (16), `nrust_serial_pause_every` (1),
//! `nrust_serial_pause_us` (1000).

mod bulk;
mod port;
mod session;

use std::os::fd::OwnedFd;
use std::time::Duration;

use n_rust_guest_tests::run_env::env_num;
use n_rust_guest_tests::sys;

/// Where the markers go.
struct Markers(OwnedFd);

impl Markers {
    fn open() -> Self {
        let fd = sys::open_rw(port::MARKERS, 0).expect("open the marker port ttyS2");
        sys::make_raw(&fd).expect("raw mode on ttyS2");
        Self(fd)
    }

    fn say(&self, line: &str) {
        println!("# {line}");
        let _ = sys::write_all(&self.0, format!("{line}\n").as_bytes());
    }
}

/// One case on one discipline.
pub struct Step<'a> {
    markers: &'a Markers,
    case: &'static str,
    disc_name: &'static str,
    /// The discipline under test: 0 (N_TTY) or 29 (n_rust).
    pub disc: i32,
}

impl Step<'_> {
    /// Tells the host that the port is set up and waiting for it.
    pub fn ready(&self, extra: &str) {
        self.markers
            .say(format!("SERIAL READY {} {} {extra}", self.case, self.disc_name).trim_end());
    }
}

/// Canonical lines typed on the host, with erase, kill, a 0xff byte and an end of file.
fn canonical(step: &Step) -> Result<String, String> {
    let port = port::open_port(step.disc)?;
    port::set_mode(&port, &port::CANONICAL)?;
    step.ready("");
    let chunks = port::read_until(&port, None, Duration::from_secs(60))?;
    port::drain(&port)?;
    let reads: Vec<String> = chunks.iter().map(|c| port::hex(c)).collect();
    Ok(format!("reads={}", reads.join(",")))
}

/// A BREAK in raw mode with `iflag`; the host sends the BREAK, then (for PARMRK) a 0xff,
/// then `x`.
fn break_raw(step: &Step, iflag: libc::tcflag_t) -> Result<String, String> {
    let port = port::open_port(step.disc)?;
    let mode = port::Mode {
        iflag,
        oflag: 0,
        lflag: 0,
        cflag: 0,
    };
    port::set_mode(&port, &mode)?;
    let before = port::icount(&port)?;
    step.ready("");
    let chunks = port::read_until(&port, Some(b"x"), Duration::from_secs(60))?;
    let after = port::icount(&port)?;
    Ok(format!(
        "read={} breaks={}",
        port::hex(&chunks.concat()),
        after.brk - before.brk
    ))
}

type Case = fn(&Step, &bulk::Pace) -> Result<String, String>;

/// The cases, in the order the host expects them.
const CASES: [(&str, Case); 7] = [
    ("canonical", |s, _| canonical(s)),
    ("intr", |s, _| session::signal_case(s, false)),
    ("break-brkint", |s, _| session::signal_case(s, true)),
    ("break-plain", |s, _| break_raw(s, 0)),
    ("break-parmrk", |s, _| break_raw(s, libc::PARMRK)),
    ("break-ignbrk", |s, _| break_raw(s, libc::IGNBRK)),
    ("bulk", bulk::bulk),
];

fn main() {
    let markers = Markers::open();
    let pace = bulk::Pace {
        bytes: env_num("nrust_serial_bytes").unwrap_or(65_536) as usize,
        read_max: env_num("nrust_serial_read_max").unwrap_or(16) as usize,
        pause_every: env_num("nrust_serial_pause_every").unwrap_or(1),
        pause_us: env_num("nrust_serial_pause_us").unwrap_or(1000),
    };
    markers.say(&format!(
        "SERIAL BEGIN bytes={} read_max={} pause_every={} pause_us={}",
        pace.bytes, pace.read_max, pace.pause_every, pace.pause_us
    ));
    let mut errors = 0;
    for (case, run) in CASES {
        for (disc_name, disc) in [("N_TTY", 0), ("n_rust", sys::N_DEVELOPMENT)] {
            let step = Step {
                markers: &markers,
                case,
                disc_name,
                disc,
            };
            let observed = run(&step, &pace).unwrap_or_else(|e| {
                errors += 1;
                format!("error={}", e.replace(['\n', ' '], "_"))
            });
            markers.say(&format!("SERIAL RESULT {case} {disc_name} {observed}"));
        }
    }
    let problems = sys::kernel_problems().unwrap_or_else(|e| vec![e]);
    markers.say(&format!(
        "SERIAL RESULT kernel-log - problems={}",
        problems.len()
    ));
    for line in &problems {
        println!("# kernel: {line}");
    }
    markers.say("SERIAL END");
    std::process::exit(i32::from(errors > 0 || !problems.is_empty()));
}
