//! `n_rust-test-stress`: a bounded stress run of n_rust under everything at once.
//!
//! ```text
//! n_rust-test-stress [MODULE]      (default /lib/modules/n_rust.ko)
//! ```
//!
//! For `nrust_stress_seconds` (environment, from the kernel command line; default 40):
//! checked streams on raw and canonical pty pairs and on ttyS1 in UART loopback
//! (`verified.rs`: byte-exact and line-exact, read blocking, after `poll` and after
//! `epoll_wait`, their termios changing), chaos slots opening pty after pty (`chaos.rs`:
//! discipline switches, termios, flushes, `TIOCSTI`, packet mode, hangups, master closes,
//! signals through the tty), a signal storm at the process group and at single workers, and
//! `rmmod n_rust` attempts, which must all be refused. Then everything stops, every stream is
//! drained and compared to the end, every tty is closed and `rmmod` must succeed, kmemleak
//! scans (when the kernel has it) and the kernel log since the start must hold no report
//! (KASAN, UBSAN, kmemleak, lockdep, debug objects, WARN, BUG, hung task). TAP output; the
//! operation counts per kind as `# count NAME N` lines. `nrust_stress_seed` fixes the seed.

mod chaos;
mod counts;
mod endpoint;
mod uart;
mod verified;
mod workers;

use counts::{count, get, Op};
use n_rust_guest_tests::kernel_watch::{KernelLog, Kmemleak};
use n_rust_guest_tests::run_env::env_num;
use n_rust_guest_tests::sys;
use n_rust_guest_tests::tap::{ensure, Context, Tap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use workers::{nap, poke, spawn, stop_all, Rng, LIVE};

const PLAN: usize = 10;
const RAW_PTYS: usize = 6;
const CANON_PTYS: usize = 3;
const CHAOS_SLOTS: usize = 6;

fn module_loaded() -> bool {
    sys::file_contains("/proc/modules", "n_rust ").unwrap_or(false)
}

/// The signal storm: SIGUSR1 at a random live worker every 0-2 ms, and at the whole process
/// group every 25th time.
fn storm(seed: u64, stop: Arc<AtomicBool>) -> Result<(), String> {
    let mut rng = Rng::new(seed);
    let mut n = 0u64;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        if n.is_multiple_of(25) {
            // SAFETY: Our own process group (setsid made this process its leader).
            unsafe { libc::kill(-libc::getpgrp(), libc::SIGUSR1) };
            count(Op::StormSignal);
        } else {
            let tid = {
                let live = LIVE.lock().unwrap();
                (!live.is_empty()).then(|| live[rng.below(live.len() as u64) as usize])
            };
            if tid.is_some_and(poke) {
                count(Op::StormSignal);
            }
        }
        nap(&mut rng, 2);
    }
    Ok(())
}

/// `rmmod n_rust` every 20-100 ms: refused while the checked ttys hold it.
fn rmmod_attempts(seed: u64, stop: Arc<AtomicBool>) -> Result<(), String> {
    let mut rng = Rng::new(seed);
    while !stop.load(Ordering::SeqCst) {
        match sys::rmmod("n_rust") {
            Ok(()) => return Err("rmmod n_rust succeeded while ttys were attached".into()),
            Err(e) if matches!(e.raw_os_error(), Some(libc::EBUSY | libc::EAGAIN)) => {
                count(Op::RmmodRefused)
            }
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => {}
            Err(e) => return Err(format!("rmmod: expected EBUSY/EAGAIN, got {e}")),
        }
        std::thread::sleep(Duration::from_millis(rng.range(20, 100) as u64));
    }
    Ok(())
}

/// Varies the checked ttys' termios every 5-30 ms until `stop`.
fn termios_changer(
    knobs: Arc<Vec<verified::Knob>>,
    seed: u64,
    stop: Arc<AtomicBool>,
) -> Result<(), String> {
    let mut rng = Rng::new(seed);
    while !stop.load(Ordering::SeqCst) {
        let knob = &knobs[rng.below(knobs.len() as u64) as usize];
        match verified::change_termios(knob, &mut rng) {
            Ok(()) => {}
            // A signal may cut TCSADRAIN's wait.
            Err(e) if e.contains("Interrupted") => count(Op::Interrupted),
            Err(e) => return Err(e),
        }
        std::thread::sleep(Duration::from_millis(rng.range(5, 30) as u64));
    }
    Ok(())
}

fn print_counts(elapsed: Duration) {
    let mut line = String::new();
    for op in Op::ALL {
        println!("# count {} {}", op.name(), get(op));
        line.push_str(&format!(" {}={}", op.name(), get(op)));
    }
    let sigs: Vec<String> = workers::HANDLED
        .iter()
        .map(|&s| {
            format!(
                "{}:{}",
                s,
                workers::SIGNALS_CAUGHT[s as usize].load(Ordering::Relaxed)
            )
        })
        .collect();
    println!("# signals caught (number:count): {}", sigs.join(" "));
    println!(
        "# stress counts after {:.0} s:{line}",
        elapsed.as_secs_f64()
    );
}

fn main() {
    let module = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/lib/modules/n_rust.ko".into());
    let seconds = env_num("nrust_stress_seconds").unwrap_or(40);
    let seed = env_num("nrust_stress_seed").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    let mut t = Tap::new("n_rust-test-stress", PLAN);
    println!("# n_rust-test-stress: {seconds} s, seed {seed:#x} (nrust_stress_seed=)");
    // A session and process group of our own: the storm's group signals and the ISIG
    // characters of slot 0's controlling tty reach only this process.
    // SAFETY: setsid has no arguments; it fails only if we already lead a group.
    unsafe { libc::setsid() };
    workers::install_handlers();
    let kmemleak = Kmemleak::open();
    if let Some(k) = &kmemleak {
        k.baseline_printed();
    }
    let mut log = KernelLog::mark().ok();
    if !module_loaded() {
        let _ = sys::insmod(&module, "");
    }
    // With nrust_stress_disc= another discipline (a check of the harness), no module.
    let on_module = workers::disc() == sys::N_DEVELOPMENT;
    let serial = std::path::Path::new("/dev/ttyS1").exists()
        && env_num("nrust_stress_serial").unwrap_or(1) != 0;
    let start = Instant::now();
    let control = Arc::new(verified::Control::new());
    let mut streams = None;
    t.run(
        "setup: checked streams on n_rust ptys (and ttyS1), chaos, storm, rmmod",
        || {
            ensure(!on_module || module_loaded(), "n_rust is not loaded")?;
            streams = Some(verified::start(
                RAW_PTYS, CANON_PTYS, serial, seed, &control,
            )?);
            Ok(())
        },
    );
    let Some(streams) = streams else {
        for _ in 1..PLAN {
            t.skip("the rest", "setup failed");
        }
        std::process::exit(t.finish());
    };
    let chaos_stop = Arc::new(AtomicBool::new(false));
    let side_stop = Arc::new(AtomicBool::new(false));
    let mut chaos_workers = Vec::new();
    for slot in 0..CHAOS_SLOTS {
        let stop = chaos_stop.clone();
        let s = seed ^ (0xc4a0 + slot as u64);
        chaos_workers.push(spawn(format!("chaos{slot}"), move || {
            chaos::run_slot(slot, s, stop)
        }));
    }
    let knobs = Arc::new(streams.knobs);
    let mut side = Vec::new();
    let (s1, s2, s3) = (side_stop.clone(), side_stop.clone(), side_stop.clone());
    let k = knobs.clone();
    side.push(spawn("termios changer".into(), move || {
        termios_changer(k, seed ^ 7, s1)
    }));
    if on_module {
        side.push(spawn("rmmod attempts".into(), move || {
            rmmod_attempts(seed ^ 9, s2)
        }));
    }
    let storm_worker = spawn("signal storm".into(), move || storm(seed ^ 11, s3));

    let run_for = Duration::from_secs(seconds);
    while start.elapsed() < run_for {
        std::thread::sleep(Duration::from_secs(1).min(run_for.saturating_sub(start.elapsed())));
        if start.elapsed().as_secs().is_multiple_of(30) {
            println!(
                "# {} s: {} raw bytes, {} lines checked; {} ptys opened",
                start.elapsed().as_secs(),
                get(Op::RawBytesChecked),
                get(Op::LinesChecked),
                get(Op::PtyOpen)
            );
        }
    }
    // Stop: the chaos slots and side threads first, the storm last.
    chaos_stop.store(true, Ordering::SeqCst);
    let chaos_errors = stop_all(chaos_workers, Instant::now() + Duration::from_secs(120));
    side_stop.store(true, Ordering::SeqCst);
    let side_errors = stop_all(side, Instant::now() + Duration::from_secs(60));
    let mut stop_errors = stop_all(vec![storm_worker], Instant::now() + Duration::from_secs(10));
    // Drain the checked streams: VMIN back to 1 (a reader waiting for 64 bytes that will
    // never come is woken by the change), writers finish, readers get everything.
    let mut reset_errors = Vec::new();
    for knob in knobs.iter() {
        if let Err(e) = verified::set_base(&knob.fd, knob.kind, 1, 0, libc::TCSANOW) {
            reset_errors.push(e);
        }
    }
    control.stop_writing.store(true, Ordering::SeqCst);
    let drain_ms =
        start.elapsed().as_millis() as u64 + 1000 * env_num("nrust_stress_drain").unwrap_or(120);
    control.drain_deadline_ms.store(drain_ms, Ordering::SeqCst);
    let stream_errors = stop_all(streams.workers, Instant::now() + Duration::from_secs(150));
    let elapsed = start.elapsed();
    // What the UART itself counted on ttyS1: an overrun, break, framing or parity error is a
    // byte lost or a `\0` made before any discipline saw the input.
    let mut uart_errors = String::new();
    for knob in knobs.iter() {
        if let (verified::Kind::Serial, Some(base)) = (knob.kind, &streams.serial_counts) {
            match uart::Icount::of(&knob.fd) {
                Ok(now) => {
                    println!("# ttyS1 UART counts: {}", now.summary_since(base));
                    uart_errors = now.errors_since(base);
                }
                Err(e) => uart_errors = e,
            }
        }
        verified::unloop(knob);
    }
    drop(knobs);

    let (raw_err, rest): (Vec<_>, Vec<_>) =
        stream_errors.iter().partition(|e| e.starts_with("raw"));
    let (canon_err, serial_err): (Vec<_>, Vec<_>) =
        rest.into_iter().partition(|e| e.starts_with("canon"));
    let sum = |prefix: &str| {
        streams
            .streams
            .iter()
            .filter(|s| s.name.starts_with(prefix))
            .map(|s| s.received.load(Ordering::SeqCst))
            .sum::<u64>()
    };
    t.run(
        &format!(
            "raw streams byte-exact ({} streams, {} bytes)",
            RAW_PTYS * 2,
            sum("raw")
        ),
        || {
            ensure(
                raw_err.is_empty(),
                raw_err
                    .iter()
                    .map(|e| e.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        },
    );
    t.run(
        &format!(
            "canonical streams line-exact ({} lines in, {} bytes out)",
            get(Op::LinesChecked),
            sum("canon")
        ),
        || {
            ensure(
                canon_err.is_empty(),
                canon_err
                    .iter()
                    .map(|e| e.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        },
    );
    if serial {
        t.run(
            &format!("ttyS1 loopback stream byte-exact ({} bytes)", sum("ttyS1")),
            || {
                let uart = if uart_errors.is_empty() {
                    String::new()
                } else {
                    format!("\nthe UART counted (TIOCGICOUNT): {uart_errors}")
                };
                ensure(
                    serial_err.is_empty() && uart_errors.is_empty(),
                    serial_err
                        .iter()
                        .map(|e| e.as_str())
                        .collect::<Vec<_>>()
                        .join("\n")
                        + &uart,
                )
            },
        );
    } else {
        let why = if std::path::Path::new("/dev/ttyS1").exists() {
            "nrust_stress_serial=0"
        } else {
            "no /dev/ttyS1"
        };
        t.skip("ttyS1 loopback stream byte-exact", why);
    }
    t.run(
        &format!(
            "chaos: {} ptys, only expected errnos, every thread ended",
            get(Op::PtyOpen)
        ),
        || ensure(chaos_errors.is_empty(), chaos_errors.join("\n")),
    );
    t.run(
        &format!(
            "rmmod refused while attached ({} attempts)",
            get(Op::RmmodRefused)
        ),
        || {
            ensure(side_errors.is_empty(), side_errors.join("\n"))?;
            ensure(
                !on_module || get(Op::RmmodRefused) > 0,
                "no rmmod attempt was made",
            )
        },
    );
    stop_errors.extend(reset_errors);
    t.run("the storm and the termios resets ended cleanly", || {
        ensure(stop_errors.is_empty(), stop_errors.join("\n"))
    });
    t.run("every tty closed: rmmod n_rust succeeds", || {
        if !on_module {
            return Ok(());
        }
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            match sys::rmmod("n_rust") {
                Ok(()) => return ensure(!module_loaded(), "still listed after rmmod"),
                Err(e) if Instant::now() < until => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => return Err(format!("rmmod after closing everything: {e}")),
            }
        }
    });
    let _ = match &kmemleak {
        Some(k) => t.run("kmemleak: no new suspected leak", || {
            let report = k.scan().context("kmemleak scan")?;
            ensure(report.trim().is_empty(), format!("kmemleak:\n{report}"))
        }),
        None => {
            t.skip(
                "kmemleak: no new suspected leak",
                "no kmemleak in this kernel",
            );
            true
        }
    };
    t.run(
        "kernel log: no KASAN, UBSAN, kmemleak, lockdep, WARN, BUG or hung-task report",
        || {
            let log = log.as_mut().ok_or("could not open /dev/kmsg")?;
            let reports = log.reports().context("reading /dev/kmsg")?;
            ensure(reports.is_empty(), reports.join("\n"))
        },
    );
    print_counts(elapsed);
    std::process::exit(t.finish());
}
