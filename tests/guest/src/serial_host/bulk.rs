//! Backpressure: the host pushes a seeded byte stream at the port while this side reads it
//! slowly (a few bytes a read, with pauses), in raw mode with CRTSCTS and IXOFF. Every byte
//! is checked against the same generator the host uses, and the 8250's counters are read
//! before and after.
//!
//! QEMU's 16550A does not act on RTS (it forwards the modem lines only to a host tty), so a
//! socket peer never sees the RTS drop of a CRTSCTS throttle; with IXOFF the serial core
//! also sends STOP and START characters on throttle and unthrottle, which the host harness
//! obeys. A sampler thread counts how often RTS was seen low, as evidence of the CRTSCTS
//! side of the same throttle.

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use n_rust_guest_tests::sys;

use super::port::{self, Mode};
use super::Step;

/// The generator's seed (the host uses the same, read from the READY marker).
pub const SEED: u32 = 0x2545_f491;

/// xorshift32; each step's low byte is the next byte of the stream.
pub struct Stream(u32);

impl Stream {
    /// A stream from `seed` (not zero).
    pub fn new(seed: u32) -> Self {
        Self(seed)
    }

    /// The next byte.
    pub fn next_byte(&mut self) -> u8 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x as u8
    }
}

/// How the reader paces itself.
pub struct Pace {
    /// Bytes to receive.
    pub bytes: usize,
    /// The largest read, in bytes; reads cycle through 1..=this.
    pub read_max: usize,
    /// Pause after every `pause_every` reads.
    pub pause_every: u64,
    /// The pause, in microseconds (0: none).
    pub pause_us: u64,
}

/// Counts samples of the port's modem lines with RTS low, until `stop`.
fn sample_rts(port: OwnedFd, stop: Arc<AtomicBool>) -> (u64, u64) {
    let (mut low, mut total) = (0u64, 0u64);
    while !stop.load(Ordering::Relaxed) {
        let mut lines: libc::c_int = 0;
        // SAFETY: TIOCMGET writes one int to the pointer, valid for the call.
        if unsafe { libc::ioctl(port.as_raw_fd(), libc::TIOCMGET, &mut lines) } == 0 {
            total += 1;
            if lines & libc::TIOCM_RTS == 0 {
                low += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    (low, total)
}

/// The backpressure case on `step.disc`.
pub fn bulk(step: &Step, pace: &Pace) -> Result<String, String> {
    let port = port::open_port(step.disc)?;
    let mode = Mode {
        iflag: libc::IXOFF,
        oflag: 0,
        lflag: 0,
        cflag: libc::CRTSCTS,
    };
    port::set_mode(&port, &mode)?;
    let before = port::icount(&port)?;
    let proc_before = port::proc_serial_line();
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let fd = port.try_clone().map_err(|e| format!("dup: {e}"))?;
        let stop = stop.clone();
        std::thread::spawn(move || sample_rts(fd, stop))
    };
    step.ready(&format!("bytes={} seed={SEED:#x}", pace.bytes));
    let start = Instant::now();
    let result = read_slowly(&port, pace);
    let seconds = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let (rts_low, samples) = sampler.join().unwrap_or((0, 0));
    let after = port::icount(&port)?;
    let proc_after = port::proc_serial_line();
    let (received, mismatches, first_bad, fnv) = result?;
    Ok(format!(
        "received={received} mismatches={mismatches} first_bad={first_bad} fnv={fnv:016x} \
         overrun_delta={} buf_overrun_delta={} rx_delta={} rts_low={rts_low}/{samples} \
         seconds={seconds:.1} proc_before={proc_before} proc_after={proc_after}",
        after.overrun - before.overrun,
        after.buf_overrun - before.buf_overrun,
        after.rx - before.rx,
    ))
}

/// Reads `pace.bytes` bytes as `pace` says; returns (bytes, mismatches, first bad offset or
/// -1, FNV-1a 64 of what was read).
fn read_slowly(port: &OwnedFd, pace: &Pace) -> Result<(usize, u64, i64, u64), String> {
    let mut expected = Stream::new(SEED);
    let (mut got, mut mismatches, mut first_bad) = (0usize, 0u64, -1i64);
    let mut fnv: u64 = 0xcbf2_9ce4_8422_2325;
    let mut buf = vec![0u8; pace.read_max.max(1)];
    let (mut size, mut reads) = (1usize, 0u64);
    while got < pace.bytes {
        if !sys::wait_readable(port, 30_000).map_err(|e| format!("poll: {e}"))? {
            return Err(format!("no data for 30 s after {got} bytes"));
        }
        let want = size.min(pace.bytes - got);
        // SAFETY: `buf` is valid for writes of `want` <= its length bytes.
        let n = unsafe { libc::read(port.as_raw_fd(), buf.as_mut_ptr().cast(), want) };
        if n <= 0 {
            return Err(format!("read returned {n} after {got} bytes"));
        }
        for (i, &byte) in buf[..n as usize].iter().enumerate() {
            if byte != expected.next_byte() {
                mismatches += 1;
                if first_bad < 0 {
                    first_bad = (got + i) as i64;
                }
            }
            fnv = (fnv ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        got += n as usize;
        size = size % pace.read_max.max(1) + 1;
        reads += 1;
        if pace.pause_us > 0 && reads % pace.pause_every.max(1) == 0 {
            std::thread::sleep(Duration::from_micros(pace.pause_us));
        }
    }
    Ok((got, mismatches, first_bad, fnv))
}
