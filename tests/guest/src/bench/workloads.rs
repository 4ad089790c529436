//! The measured workloads. Each sets up fresh ptys whose slave runs the discipline under
//! measure, moves bytes, checks every byte that arrived, and returns its measurements; a
//! byte out of place or a stall (nothing for [`STALL_MS`]) is an error.

use crate::kernel_stats;
use n_rust_guest_tests::sys;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::{mpsc, Arc, Barrier};
use std::time::{Duration, Instant};

/// How long a reader waits for the next byte before the run counts as stuck.
const STALL_MS: i32 = 20_000;
/// The size of each write of the throughput workloads.
const WRITE_SIZE: usize = 4096;
/// The length of a line of the canonical workloads, newline included.
const LINE: usize = 80;

/// The byte at `offset` of a transfer: changes with the offset and with the 4 KiB block, so
/// a lost, repeated or reordered block shows.
fn pattern(offset: usize) -> u8 {
    ((offset % 251) + offset / WRITE_SIZE) as u8
}

/// Line `k` of the canonical workloads: 79 printable bytes that depend on `k`, then `\n`.
fn line(k: usize) -> [u8; LINE] {
    let mut l = [0u8; LINE];
    for (i, b) in l.iter_mut().enumerate().take(LINE - 1) {
        *b = b'!' + ((k * 7 + i) % 90) as u8;
    }
    l[LINE - 1] = b'\n';
    l
}

fn err(what: &str) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// A pty pair with the slave on `disc`, raw when `raw`, else cooked with `echo` deciding
/// ECHO. The master is left alone: its termios calls act on the slave's termios (Linux
/// redirects them), and its own N_TTY is raw from the start.
pub fn pty_on(disc: i32, raw: bool, echo: bool) -> Result<sys::Pty, String> {
    let pty = sys::open_pty(libc::O_NOCTTY).map_err(err("open pty"))?;
    sys::set_ldisc(&pty.slave, disc).map_err(|e| format!("TIOCSETD {disc}: {e}"))?;
    if raw {
        sys::make_raw(&pty.slave).map_err(err("raw slave"))?;
    } else if !echo {
        set_lflag(
            &pty.slave,
            0,
            libc::ECHO | libc::ECHOE | libc::ECHOK | libc::ECHONL,
        )?;
    }
    Ok(pty)
}

/// Sets and clears `c_lflag` bits of `fd`'s termios.
fn set_lflag(fd: &OwnedFd, set: libc::tcflag_t, clear: libc::tcflag_t) -> Result<(), String> {
    // SAFETY: `termios` is plain data, filled by tcgetattr before use.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        sys::check(libc::tcgetattr(fd.as_raw_fd(), &mut t) as libc::c_long)
            .map_err(err("tcgetattr"))?;
        t.c_lflag = (t.c_lflag | set) & !clear;
        t.c_cc[libc::VMIN] = 1;
        t.c_cc[libc::VTIME] = 0;
        sys::check(libc::tcsetattr(fd.as_raw_fd(), libc::TCSANOW, &t) as libc::c_long)
            .map_err(err("tcsetattr"))?;
    }
    Ok(())
}

/// One `read` of up to `buf.len()` bytes, waiting at most [`STALL_MS`].
fn read_some(fd: &OwnedFd, buf: &mut [u8], what: &str) -> Result<usize, String> {
    if !sys::wait_readable(fd, STALL_MS).map_err(err(what))? {
        return Err(format!("{what}: nothing to read for {STALL_MS} ms"));
    }
    // SAFETY: `buf` is valid for writes of its length.
    let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    match n {
        0 => Err(format!("{what}: end of file")),
        n if n < 0 => Err(format!("{what}: {}", std::io::Error::last_os_error())),
        n => Ok(n as usize),
    }
}

/// Writes `bytes` of [`pattern`] to `fd` in [`WRITE_SIZE`] writes.
fn write_pattern(fd: &OwnedFd, bytes: usize) -> Result<(), String> {
    let mut chunk = vec![0u8; WRITE_SIZE];
    let mut offset = 0;
    while offset < bytes {
        let len = WRITE_SIZE.min(bytes - offset);
        for (i, b) in chunk[..len].iter_mut().enumerate() {
            *b = pattern(offset + i);
        }
        sys::write_all(fd, &chunk[..len]).map_err(err("write"))?;
        offset += len;
    }
    Ok(())
}

/// Reads `bytes` from `fd` and checks each against [`pattern`]; returns how many `read()`
/// calls it took.
fn read_pattern(fd: &OwnedFd, bytes: usize) -> Result<usize, String> {
    let mut buf = vec![0u8; 65536];
    let mut offset = 0;
    let mut reads = 0;
    while offset < bytes {
        let n = read_some(fd, &mut buf, "read")?;
        reads += 1;
        if offset + n > bytes {
            return Err(format!("{} bytes arrived, {bytes} were sent", offset + n));
        }
        if let Some(i) = (0..n).find(|&i| buf[i] != pattern(offset + i)) {
            return Err(format!(
                "byte {} is {:#04x}, not {:#04x}",
                offset + i,
                buf[i],
                pattern(offset + i)
            ));
        }
        offset += n;
    }
    Ok(reads)
}

/// Sends `bytes` from `writer` (on a thread of its own) to `reader`, checking every byte;
/// returns how long it took and how many `read()` calls the reader made.
fn transfer(writer: OwnedFd, reader: &OwnedFd, bytes: usize) -> Result<(Duration, usize), String> {
    let start = Instant::now();
    let sender = std::thread::spawn(move || write_pattern(&writer, bytes));
    // On a bad byte the writer may be blocked for good: return without waiting for it (the
    // program ends on the first error).
    let reads = read_pattern(reader, bytes)?;
    let elapsed = start.elapsed();
    sender.join().map_err(|_| "writer panicked".to_string())??;
    Ok((elapsed, reads))
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Raw master→slave: MiB/s, the kernel's system time per MiB, milliseconds, from
/// `/proc/stat` (every CPU: the receive kworkers included) and from `getrusage` (this
/// process's threads), the bytes a `read()` returned on average, and the context switches
/// and wake-up IPIs per MiB (every CPU).
pub fn raw_to_slave(disc: i32, bytes: usize) -> Result<[f64; 6], String> {
    let pty = pty_on(disc, true, false)?;
    let writer = pty.master.try_clone().map_err(err("dup"))?;
    let (stat0, rusage0) = (
        kernel_stats::proc_stat_system_s()?,
        kernel_stats::rusage_system_s(),
    );
    let (switches0, ipis0) = (
        kernel_stats::context_switches()?,
        kernel_stats::wakeup_ipis()?,
    );
    let (elapsed, reads) = transfer(writer, &pty.slave, bytes)?;
    let switches = kernel_stats::context_switches()? - switches0;
    let ipis = kernel_stats::wakeup_ipis()? - ipis0;
    let stat = kernel_stats::proc_stat_system_s()? - stat0;
    let rusage = kernel_stats::rusage_system_s() - rusage0;
    let m = mib(bytes);
    Ok([
        m / elapsed.as_secs_f64(),
        stat * 1000.0 / m,
        rusage * 1000.0 / m,
        bytes as f64 / reads.max(1) as f64,
        switches as f64 / m,
        ipis as f64 / m,
    ])
}

/// Raw slave→master (the discipline's write side): MiB/s.
pub fn raw_to_master(disc: i32, bytes: usize) -> Result<f64, String> {
    let pty = pty_on(disc, true, false)?;
    let writer = pty.slave.try_clone().map_err(err("dup"))?;
    Ok(mib(bytes) / transfer(writer, &pty.master, bytes)?.0.as_secs_f64())
}

/// Checks that `got` is line `k`.
fn check_line(got: &[u8], k: usize, what: &str) -> Result<(), String> {
    if got != line(k) {
        return Err(format!(
            "{what} {k}: read {:?}, not the line",
            String::from_utf8_lossy(got)
        ));
    }
    Ok(())
}

/// Canonical lines without echo: the master writes `lines` 80-byte lines (51 a write), the
/// slave reads them and each read must return exactly one line. Lines per second.
pub fn canonical_lines(disc: i32, lines: usize) -> Result<f64, String> {
    let pty = pty_on(disc, false, false)?;
    let writer = pty.master.try_clone().map_err(err("dup"))?;
    let start = Instant::now();
    let sender = std::thread::spawn(move || -> Result<(), String> {
        let mut batch = Vec::with_capacity(51 * LINE);
        for k in 0..lines {
            batch.extend_from_slice(&line(k));
            if batch.len() == 51 * LINE || k + 1 == lines {
                sys::write_all(&writer, &batch).map_err(err("write"))?;
                batch.clear();
            }
        }
        Ok(())
    });
    let mut buf = [0u8; 4096];
    let mut received = Ok(());
    for k in 0..lines {
        received = read_some(&pty.slave, &mut buf, "read line")
            .and_then(|n| check_line(&buf[..n], k, "line"));
        if received.is_err() {
            break;
        }
    }
    let elapsed = start.elapsed();
    drop(pty);
    sender.join().map_err(|_| "writer panicked".to_string())??;
    received?;
    Ok(lines as f64 / elapsed.as_secs_f64())
}

/// Canonical with echo, as a terminal types: each line is written to the master one byte a
/// write; then its echo (the line with ONLCR's `\r\n`) is read back on the master and the
/// line read on the slave. Lines per second.
pub fn canonical_typed(disc: i32, lines: usize) -> Result<f64, String> {
    let pty = pty_on(disc, false, true)?;
    let mut buf = [0u8; 4096];
    let start = Instant::now();
    for k in 0..lines {
        let l = line(k);
        for b in &l {
            sys::write_all(&pty.master, std::slice::from_ref(b)).map_err(err("type"))?;
        }
        let mut want = l[..LINE - 1].to_vec();
        want.extend_from_slice(b"\r\n");
        let mut echo = Vec::with_capacity(want.len());
        while echo.len() < want.len() {
            let n = read_some(
                &pty.master,
                &mut buf[..want.len() - echo.len()],
                "read echo",
            )?;
            echo.extend_from_slice(&buf[..n]);
        }
        if echo != want {
            return Err(format!(
                "echo of line {k}: {:?}",
                String::from_utf8_lossy(&echo)
            ));
        }
        let n = read_some(&pty.slave, &mut buf, "read line")?;
        check_line(&buf[..n], k, "typed line")?;
    }
    Ok(lines as f64 / start.elapsed().as_secs_f64())
}

/// Echo round trip: one byte typed on the master until its echo can be read there (slave
/// non-canonical with ECHO), `trips` times. Returns p50 and p99 in microseconds. The slave's
/// input is drained between trips, outside the timed part, and counted.
pub fn echo_round_trip(disc: i32, trips: usize) -> Result<[f64; 2], String> {
    let pty = pty_on(disc, false, true)?;
    set_lflag(&pty.slave, libc::ECHO, libc::ICANON)?;
    let mut times = Vec::with_capacity(trips);
    let mut buf = [0u8; 4096];
    let mut drained = 0;
    for i in 0..trips {
        let b = b'a' + (i % 26) as u8;
        let start = Instant::now();
        sys::write_all(&pty.master, &[b]).map_err(err("type"))?;
        let n = read_some(&pty.master, &mut buf[..1], "read echo")?;
        times.push(start.elapsed().as_secs_f64() * 1e6);
        if n != 1 || buf[0] != b {
            return Err(format!("trip {i}: echo {:?}, typed {b:#04x}", &buf[..n]));
        }
        while drained <= i
            && sys::wait_readable(&pty.slave, if i + 1 == trips { STALL_MS } else { 0 })
                .map_err(err("poll"))?
        {
            drained += read_some(&pty.slave, &mut buf, "drain slave")?;
        }
    }
    if drained != trips {
        return Err(format!("the slave read {drained} bytes of {trips} typed"));
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    Ok([at(0.50), at(0.99)])
}

/// `count` ptys in parallel, raw master→slave, `bytes` in all (a writer and a reader thread
/// per pty, started together). Aggregate MiB/s.
pub fn parallel(disc: i32, count: usize, bytes: usize) -> Result<f64, String> {
    let each = bytes / count;
    let barrier = Arc::new(Barrier::new(2 * count + 1));
    // Results come back on a channel, so that the first error ends the run even when other
    // threads stay blocked.
    let (done, results) = mpsc::channel();
    for _ in 0..count {
        let pty = pty_on(disc, true, false)?;
        let writer = pty.master.try_clone().map_err(err("dup"))?;
        let (gate, tx) = (barrier.clone(), done.clone());
        std::thread::spawn(move || {
            gate.wait();
            let _ = tx.send(write_pattern(&writer, each).map(|()| None));
        });
        let (gate, tx) = (barrier.clone(), done.clone());
        std::thread::spawn(move || {
            // The whole pair moves here, the master too (a closure captures only the fields
            // it names): when the writer's copy closes, the master stays open until this
            // reader is done, so the slave is not hung up under it. The pair goes back with
            // the result and is closed after the clock stops: closing is not a transfer, and
            // it costs the two disciplines differently (the "closing" row measures it).
            let pty = pty;
            gate.wait();
            let result = read_pattern(&pty.slave, each);
            let _ = tx.send(result.map(|_| Some(pty)));
        });
    }
    barrier.wait();
    let start = Instant::now();
    let mut finished = Vec::with_capacity(count);
    for _ in 0..2 * count {
        let pair = results
            .recv()
            .map_err(|_| "a thread ended without a result".to_string())??;
        finished.extend(pair);
    }
    let elapsed = start.elapsed();
    drop(finished);
    Ok(mib(each * count) / elapsed.as_secs_f64())
}
