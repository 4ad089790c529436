//! The engine's work per byte on its fast paths, for `valgrind --tool=callgrind` (instruction
//! counts are repeatable where timings are not): `cargo build --release --example
//! engine_work -p n_rust_engine`, then
//! `valgrind --tool=callgrind --toggle-collect='engine_work::work_*' target/release/examples/engine_work PATH`
//! counts only the workload `PATH` (one of [`PATHS`]), and the instructions divided by the
//! bytes it printed are the work per byte. Run without valgrind it just runs the workload.
//!
//! The workloads drive the engine as the module's glue does on a pty: the flip-buffer
//! worker's receives of up to [`FLIP_CHUNK`] bytes, reads as `tty_read` makes them (64 bytes
//! per call of the discipline, with continuations: [`Engine::read`]), writes as `n_tty_write`.

use n_rust_engine::{
    Actions, DriverError, Engine, IFlag, LFlag, OFlag, Signal, Sink, Termios, VMIN, VTIME,
};

/// The largest flip-buffer chunk a pty hands to the discipline (`TTY_BUFFER_PAGE`, 4 KiB
/// pages: 2048 less the buffer header, rounded down to 256).
const FLIP_CHUNK: usize = 1792;
/// Bytes moved by each throughput workload.
const BYTES: usize = 1 << 20;
/// A canonical line, newline included.
const LINE: usize = 80;

/// The workloads: name, and what one run moves.
const PATHS: [&str; 6] = [
    "raw",
    "raw-serial",
    "canon",
    "echo",
    "output-opost",
    "output-raw",
];

/// A driver that takes everything and reports room always (a pty whose master is read).
struct Drain {
    bytes: usize,
}

impl Sink for Drain {
    fn write_room(&mut self) -> usize {
        4096
    }
    fn write(&mut self, data: &[u8]) -> Result<usize, DriverError> {
        self.bytes += data.len();
        Ok(data.len())
    }
}

impl Actions for Drain {
    fn signal(&mut self, _sig: Signal) {}
    fn flush_output(&mut self) {}
    fn stop(&mut self) {}
    fn start(&mut self) {}
    fn flow_stopped(&self) -> bool {
        false
    }
    fn tco_stopped(&self) -> bool {
        false
    }
}

/// A pattern that changes with the offset.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// 80-byte lines of printable bytes ending in `\n`.
fn lines(count: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(count * LINE);
    for k in 0..count {
        for i in 0..LINE - 1 {
            v.push(b'!' + ((k * 7 + i) % 90) as u8);
        }
        v.push(b'\n');
    }
    v
}

fn raw_termios() -> Termios {
    Termios::RAW.with_cc(VMIN, 1).with_cc(VTIME, 0)
}

/// Raw receive and read: chunks in, `read(65536)` out, until `BYTES` went through.
#[inline(never)]
fn work_raw(e: &mut Engine, t: &Termios, data: &[u8], a: &mut Drain) -> usize {
    let mut out = vec![0u8; 65536];
    let mut sum = 0usize;
    let mut off = 0;
    while off < data.len() {
        let end = (off + FLIP_CHUNK).min(data.len());
        // The glue asks first whether the bytes may flush the input (ISIG).
        let may_flush = e.receive_may_flush(t, &data[off..end], None);
        let took = e.receive(t, &data[off..end], None, a);
        off += took + usize::from(may_flush);
        let n = e.read(t, &mut out, a).unwrap_or(0);
        sum = sum.wrapping_add(n).wrapping_add(out[0] as usize);
    }
    while let Ok(n) = e.read(t, &mut out, a) {
        if n == 0 {
            break;
        }
        sum = sum.wrapping_add(n);
    }
    sum
}

/// Canonical lines without echo: receives of up to a flip chunk, one read per line.
#[inline(never)]
fn work_canon(e: &mut Engine, t: &Termios, data: &[u8], a: &mut Drain) -> usize {
    let mut out = vec![0u8; 4096];
    let mut sum = 0usize;
    let mut off = 0;
    while off < data.len() {
        let end = (off + FLIP_CHUNK).min(data.len());
        let may_flush = e.receive_may_flush(t, &data[off..end], None);
        off += e.receive(t, &data[off..end], None, a) + usize::from(may_flush);
        while let Ok(n) = e.read(t, &mut out, a) {
            if n == 0 {
                break;
            }
            sum = sum.wrapping_add(n).wrapping_add(out[n - 1] as usize);
        }
    }
    sum
}

/// Typed lines with echo: one byte per receive, then the line read.
#[inline(never)]
fn work_echo(e: &mut Engine, t: &Termios, data: &[u8], a: &mut Drain) -> usize {
    let mut out = vec![0u8; 4096];
    let mut sum = 0usize;
    for line in data.chunks(LINE) {
        for c in line.chunks(1) {
            let may_flush = e.receive_may_flush(t, c, None);
            e.receive(t, c, None, a);
            sum = sum.wrapping_add(usize::from(may_flush));
        }
        let n = e.read(t, &mut out, a).unwrap_or(0);
        sum = sum.wrapping_add(n);
    }
    sum
}

/// Output: `write()`s of 4 KiB through the output loop.
#[inline(never)]
fn work_output(e: &mut Engine, t: &Termios, data: &[u8], a: &mut Drain) -> usize {
    let mut sum = 0usize;
    for chunk in data.chunks(4096) {
        let mut done = 0;
        while done < chunk.len() {
            done += e.write_output(t, &chunk[done..], a).bytes;
        }
        sum = sum.wrapping_add(done);
    }
    sum
}

fn main() {
    let path = std::env::args().nth(1).unwrap_or_default();
    let mut e = Box::new(Engine::default());
    let mut a = Drain { bytes: 0 };
    let (t, data, sum) = match path.as_str() {
        "raw" => {
            let t = raw_termios();
            e.open(&t, &mut a);
            let data = pattern(BYTES);
            let s = work_raw(&mut e, &t, &data, &mut a);
            (t, data, s)
        }
        "raw-serial" => {
            // A driver without TTY_DRIVER_REAL_RAW: the raw path that looks at flags.
            let t = raw_termios();
            e.set_driver(n_rust_engine::DriverInfo::SERIAL);
            e.open(&t, &mut a);
            let data = pattern(BYTES);
            let s = work_raw(&mut e, &t, &data, &mut a);
            (t, data, s)
        }
        "canon" => {
            let t = Termios::SANE.minus_l(LFlag::ECHO | LFlag::ECHOE | LFlag::ECHOK);
            e.open(&t, &mut a);
            let data = lines(BYTES / LINE);
            let s = work_canon(&mut e, &t, &data, &mut a);
            (t, data, s)
        }
        "echo" => {
            let t = Termios::SANE;
            e.open(&t, &mut a);
            let data = lines(200);
            let s = work_echo(&mut e, &t, &data, &mut a);
            (t, data, s)
        }
        "output-opost" => {
            let t = Termios::SANE;
            e.open(&t, &mut a);
            let data = lines(BYTES / LINE);
            let s = work_output(&mut e, &t, &data, &mut a);
            (t, data, s)
        }
        "output-raw" => {
            let t = raw_termios().minus_o(OFlag::OPOST);
            e.open(&t, &mut a);
            let data = pattern(BYTES);
            let s = work_output(&mut e, &t, &data, &mut a);
            (t, data, s)
        }
        _ => {
            eprintln!("usage: engine_work {}", PATHS.join("|"));
            std::process::exit(2);
        }
    };
    let _ = t.i(IFlag::ICRNL);
    println!(
        "{path}: {} bytes in, {} bytes echoed or written, checksum {sum}",
        data.len(),
        a.bytes
    );
}
