//! Shared helpers for the rule tests: a recording tty and a one-call driver.
#![allow(dead_code)]

pub use n_rust_engine::testing::Room;
use n_rust_engine::testing::{read_until_empty, ReadOnce, Recorder};
use n_rust_engine::{DriverInfo, Engine, LFlag, Signal, Termios};
use std::convert::Infallible;

/// Bytes of driver output a test may record.
pub const REC_CAP: usize = 65536;

/// What the recording tty reports as `write_room`, however much was written.
pub const ROOM: Room = Room::Fixed(65536);

/// A recording tty: what the engine asked for (the engine's own recorder).
pub type Rec = Recorder<REC_CAP>;

/// A fresh recording tty reporting [`ROOM`].
pub fn rec() -> Rec {
    Recorder::with_room(ROOM)
}

/// An engine opened on a pty with termios `t`.
pub fn open(t: &Termios) -> (Box<Engine>, Rec) {
    open_on(t, DriverInfo::PTY)
}

/// An engine opened on `driver` with termios `t`.
pub fn open_on(t: &Termios, driver: DriverInfo) -> (Box<Engine>, Rec) {
    let mut e = Box::new(Engine::new(driver));
    let mut r = rec();
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
    let Ok(_) = read_until_empty::<Infallible>(
        &mut vec![0u8; size],
        t.l(LFlag::ICANON),
        10_000,
        |buf| Ok(ReadOnce::from(e.read(t, buf, r))),
        |got| {
            out.push(got.to_vec());
            Ok(())
        },
    );
    out
}

/// Open with `t`, feed `input`, read everything with 512-byte reads.
pub fn run(t: &Termios, input: &[u8]) -> (Vec<Vec<u8>>, Vec<u8>, Vec<Signal>) {
    let (mut e, mut r) = open(t);
    feed(&mut e, t, &mut r, input);
    let reads = read_all(&mut e, t, &mut r, 512);
    (reads, r.master_bytes().to_vec(), r.signals().to_vec())
}

/// Concatenation of reads.
pub fn cat(v: &[Vec<u8>]) -> Vec<u8> {
    v.concat()
}
