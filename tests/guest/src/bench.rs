//! Throughput of n_rust against N_TTY, side by side in the same guest boot.
//!
//! ```text
//! n_rust-bench [MIB]
//! ```
//!
//! For each workload, a pty pair is set up twice, once with the slave on N_TTY (0) and once on
//! n_rust (29), and the same bytes go through; the best of three rounds counts. Each line
//! gives both rates and the ratio n_rust / N_TTY (above 1: n_rust is faster). Timing only:
//! nothing here passes or fails.

use n_rust_guest_tests::sys;

use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use sys::N_DEVELOPMENT;

/// How the slave is set up and which way the bytes go.
#[derive(Clone, Copy)]
struct Workload {
    name: &'static str,
    /// Raw (`cfmakeraw`) instead of the default cooked termios with echo.
    raw: bool,
    /// Bytes go from the slave to the master (output processing) instead of master to slave.
    output: bool,
}

const WORKLOADS: [Workload; 3] = [
    Workload {
        name: "input, raw",
        raw: true,
        output: false,
    },
    Workload {
        name: "input, canonical lines with echo",
        raw: false,
        output: false,
    },
    Workload {
        name: "output, OPOST|ONLCR",
        raw: false,
        output: true,
    },
];

/// 80-column lines of printable text.
fn payload(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| {
            if i % 80 == 79 {
                b'\n'
            } else {
                b'a' + (i % 26) as u8
            }
        })
        .collect()
}

/// Reads and discards everything `fd` delivers until `len` bytes came, `stop` is set, or
/// 60 s pass.
fn drain(fd: &std::os::fd::OwnedFd, len: usize, stop: &AtomicBool) -> std::io::Result<usize> {
    let mut buf = vec![0u8; 65536];
    let mut got = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while got < len && Instant::now() < deadline && !stop.load(Ordering::Relaxed) {
        if !sys::wait_readable(fd, 100)? {
            continue;
        }
        // SAFETY: `buf` is valid for writes of its length.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n > 0 {
            got += n as usize;
        }
    }
    Ok(got)
}

/// One run: returns MiB/s, or why it failed.
fn run(w: Workload, disc: i32, data: &[u8]) -> Result<f64, String> {
    let pty = sys::open_pty(libc::O_NOCTTY).map_err(|e| format!("open pty: {e}"))?;
    sys::set_ldisc(&pty.slave, disc).map_err(|e| format!("TIOCSETD {disc}: {e}"))?;
    sys::make_raw(&pty.master).map_err(|e| format!("raw master: {e}"))?;
    if w.raw {
        sys::make_raw(&pty.slave).map_err(|e| format!("raw slave: {e}"))?;
    }
    let (writer_fd, reader_fd) = if w.output {
        (&pty.slave, &pty.master)
    } else {
        (&pty.master, &pty.slave)
    };
    let writer_fd = writer_fd.try_clone().map_err(|e| e.to_string())?;
    let sent = data.to_vec();
    // The clock stops when as many bytes as were written have arrived (for output, ONLCR may
    // add a '\r' per line after that point). Echo of input goes to the master, which nobody
    // reads here: keep it drained so it never blocks.
    let expected = data.len();
    let echo = if !w.output && !w.raw {
        Some(pty.master.try_clone().map_err(|e| e.to_string())?)
    } else {
        None
    };
    let echo_len = data.len() + data.len() / 80;
    // N_TTY drops echoes it cannot write (a pty holds 8 KiB towards the master), so the echo
    // reader stops when the measured transfer is done rather than at a byte count.
    let done = Arc::new(AtomicBool::new(false));
    let echo_done = done.clone();
    let echo_drain = echo.map(|fd| std::thread::spawn(move || drain(&fd, echo_len, &echo_done)));
    let start = Instant::now();
    // A stuck run is ended by the guest's timeout (qemu/run.sh).
    let writer = std::thread::spawn(move || sys::write_all(&writer_fd, &sent));
    let got = drain(reader_fd, expected, &AtomicBool::new(false)).map_err(|e| e.to_string())?;
    let elapsed = start.elapsed();
    done.store(true, Ordering::Relaxed);
    writer
        .join()
        .map_err(|_| "writer panicked")?
        .map_err(|e| e.to_string())?;
    drop(pty);
    if let Some(handle) = echo_drain {
        let _ = handle.join();
    }
    if got < expected {
        return Err(format!("only {got} of {expected} bytes arrived"));
    }
    Ok(data.len() as f64 / (1024.0 * 1024.0) / elapsed.as_secs_f64())
}

fn main() {
    let mib: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(4);
    let data = payload(mib * 1024 * 1024);
    println!("n_rust benchmark: {mib} MiB per run, best of 3, MiB/s");
    for w in WORKLOADS {
        let best = |disc| -> Result<f64, String> {
            let mut best: f64 = 0.0;
            for _ in 0..3 {
                best = best.max(run(w, disc, &data)?);
            }
            Ok(best)
        };
        match (best(0), best(N_DEVELOPMENT)) {
            (Ok(n_tty), Ok(n_rust)) => println!(
                "bench: {:<34} N_TTY {n_tty:8.2}  n_rust {n_rust:8.2}  ratio {:.2}",
                w.name,
                n_rust / n_tty
            ),
            (a, b) => println!("bench: {:<34} failed: N_TTY {a:?}, n_rust {b:?}", w.name),
        }
    }
}
