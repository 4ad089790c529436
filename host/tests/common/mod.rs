//! Shared helpers for the rule tests: a recording tty and a one-call driver.
#![allow(dead_code)]

use n_rust_engine::{Actions, DriverInfo, Engine, LFlag, ReadError, Signal, Sink, Termios};

/// A recording tty: what the engine asked for.
#[derive(Default)]
pub struct Rec {
    pub master: Vec<u8>,
    pub signals: Vec<Signal>,
    pub stopped: bool,
    pub tco_stopped: bool,
    pub room: Option<usize>,
    pub output_flushes: usize,
    pub input_flushes: usize,
    pub throttles: usize,
    pub unthrottles: usize,
    pub kicks: usize,
    pub wakeups: usize,
    pub link_wakeups: usize,
    pub starts: usize,
    pub stops: usize,
}

impl Sink for Rec {
    fn write_room(&mut self) -> usize {
        if self.stopped {
            0
        } else {
            self.room.unwrap_or(65536)
        }
    }
    fn write(&mut self, data: &[u8]) -> usize {
        if self.stopped {
            return 0;
        }
        self.master.extend_from_slice(data);
        if let Some(r) = self.room.as_mut() {
            *r = r.saturating_sub(data.len());
        }
        data.len()
    }
}

impl Actions for Rec {
    fn signal(&mut self, sig: Signal) {
        self.signals.push(sig);
    }
    fn flush_output(&mut self) {
        self.output_flushes += 1;
    }
    fn input_flushed(&mut self) {
        self.input_flushes += 1;
    }
    fn stop(&mut self) {
        self.stops += 1;
        self.stopped = true;
    }
    fn start(&mut self) {
        self.starts += 1;
        if !self.tco_stopped {
            self.stopped = false;
        }
    }
    fn flow_stopped(&self) -> bool {
        self.stopped
    }
    fn tco_stopped(&self) -> bool {
        self.tco_stopped
    }
    fn wake_readers(&mut self) {
        self.wakeups += 1;
    }
    fn throttle(&mut self) {
        self.throttles += 1;
    }
    fn unthrottle(&mut self) {
        self.unthrottles += 1;
    }
    fn kick_worker(&mut self) {
        self.kicks += 1;
    }
    fn wake_link_writers(&mut self) {
        self.link_wakeups += 1;
    }
}

/// An engine opened on a pty with termios `t`.
pub fn open(t: &Termios) -> (Box<Engine>, Rec) {
    open_on(t, DriverInfo::PTY)
}

/// An engine opened on `driver` with termios `t`.
pub fn open_on(t: &Termios, driver: DriverInfo) -> (Box<Engine>, Rec) {
    let mut e = Box::new(Engine::new(driver));
    let mut r = Rec::default();
    e.open(t, &mut r);
    (e, r)
}

/// Feed all of `input`; panics if the engine stops taking it.
pub fn feed(e: &mut Engine, t: &Termios, r: &mut Rec, input: &[u8]) {
    let n = e.receive(t, input, None, r);
    assert_eq!(
        n,
        input.len(),
        "engine took only {n} of {} bytes",
        input.len()
    );
}

/// Read with `size`-byte reads until nothing is left: the results (an empty one
/// is a 0-byte read).
pub fn read_all(e: &mut Engine, t: &Termios, r: &mut Rec, size: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; size];
    for _ in 0..10_000 {
        match e.read(t, &mut buf, r) {
            Ok(0) if !t.l(LFlag::ICANON) => break,
            Ok(n) => out.push(buf[..n].to_vec()),
            Err(ReadError::WouldBlock) => break,
        }
    }
    out
}

/// Open with `t`, feed `input`, read everything with 512-byte reads.
pub fn run(t: &Termios, input: &[u8]) -> (Vec<Vec<u8>>, Vec<u8>, Vec<Signal>) {
    let (mut e, mut r) = open(t);
    feed(&mut e, t, &mut r, input);
    let reads = read_all(&mut e, t, &mut r, 512);
    (reads, r.master, r.signals)
}

/// Concatenation of reads.
pub fn cat(v: &[Vec<u8>]) -> Vec<u8> {
    v.concat()
}
