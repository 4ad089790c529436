//! `n_rust-test-lifecycle`: load and unload n_rust many times with ttys attached and detached
//! in between.
//!
//! ```text
//! n_rust-test-lifecycle [MODULE]      (default /lib/modules/n_rust.ko)
//! ```
//!
//! Each of `nrust_lifecycle_cycles` cycles (environment, from the kernel command line;
//! default 20): `insmod`; three pty pairs, n_rust on two slaves and one master (and on ttyS1
//! when there is one), bytes through each; `rmmod` must be refused while they are attached
//! and leave the module loaded; then one slave goes back to N_TTY by `TIOCSETD`, one is hung
//! up (`TIOCVHANGUP`), the pty with n_rust on its master is closed while attached, and once
//! everything is closed `rmmod` must succeed. KUnit's runs at each load are turned off for the
//! cycles (`kunit.filter_glob`). At the end kmemleak scans (when the kernel has it) and the
//! kernel log since the start must hold no report. TAP output.

use n_rust_guest_tests::kernel_watch::{KernelLog, Kmemleak, KunitQuiet};
use n_rust_guest_tests::run_env::env_num;
use n_rust_guest_tests::sys::{self, N_DEVELOPMENT};
use n_rust_guest_tests::tap::{ensure, Context, Outcome, Tap};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

fn module_loaded() -> bool {
    sys::file_contains("/proc/modules", "n_rust ").unwrap_or(false)
}

/// `rmmod n_rust`, retried for up to 5 s while the last references go.
fn rmmod_settled() -> Outcome {
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        match sys::rmmod("n_rust") {
            Ok(()) => return ensure(!module_loaded(), "n_rust still listed after rmmod"),
            Err(_) if Instant::now() < until => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("rmmod with nothing attached: {e}")),
        }
    }
}

/// Writes `data` to `from` and reads it back from `to` (both raw).
fn through(from: &std::os::fd::OwnedFd, to: &std::os::fd::OwnedFd, data: &[u8]) -> Outcome {
    sys::write_all(from, data).context("write")?;
    let got = sys::read_exact_timeout(to, data.len(), 5000).context("read")?;
    ensure(got == data, format!("read {got:?}, wrote {data:?}"))
}

/// One cycle; returns whether the serial port took part.
fn cycle(module: &str, n: usize, refused: &mut usize) -> Result<bool, String> {
    sys::insmod(module, "").context("insmod")?;
    let ptys: Vec<sys::Pty> = (0..3)
        .map(|_| sys::open_pty(libc::O_NOCTTY))
        .collect::<Result<_, _>>()
        .context("open pty")?;
    for pty in &ptys {
        sys::make_raw(&pty.master).context("raw master")?;
        sys::make_raw(&pty.slave).context("raw slave")?;
    }
    sys::set_ldisc(&ptys[0].slave, N_DEVELOPMENT).context("TIOCSETD 29 slave 0")?;
    sys::set_ldisc(&ptys[1].slave, N_DEVELOPMENT).context("TIOCSETD 29 slave 1")?;
    sys::set_ldisc(&ptys[2].master, N_DEVELOPMENT).context("TIOCSETD 29 master 2")?;
    sys::make_raw(&ptys[2].master).context("raw master 2 on n_rust")?;
    let msg = format!("cycle {n}\n").into_bytes();
    through(&ptys[0].master, &ptys[0].slave, &msg).context("pty 0 in")?;
    through(&ptys[1].slave, &ptys[1].master, &msg).context("pty 1 out")?;
    through(&ptys[2].slave, &ptys[2].master, &msg).context("pty 2 out (n_rust master)")?;
    let serial = match sys::open_rw("/dev/ttyS1", libc::O_NONBLOCK) {
        Ok(port) => {
            sys::set_ldisc(&port, N_DEVELOPMENT).context("TIOCSETD 29 on ttyS1")?;
            Some(port)
        }
        Err(_) => None,
    };
    match sys::rmmod("n_rust") {
        Ok(()) => return Err("rmmod succeeded while ttys were attached".into()),
        Err(e) if matches!(e.raw_os_error(), Some(libc::EBUSY | libc::EAGAIN)) => *refused += 1,
        Err(e) => {
            return Err(format!(
                "rmmod while attached: expected EBUSY/EAGAIN, got {e}"
            ))
        }
    }
    ensure(module_loaded(), "n_rust gone after a refused rmmod")?;
    // Detach in three ways, then close everything.
    sys::set_ldisc(&ptys[0].slave, 0).context("TIOCSETD 0 slave 0")?;
    ensure(
        sys::get_ldisc(&ptys[0].slave).context("TIOCGETD")? == 0,
        "slave 0 not on N_TTY",
    )?;
    // SAFETY: TIOCVHANGUP takes no argument.
    sys::check(
        unsafe { libc::ioctl(ptys[1].slave.as_raw_fd(), libc::TIOCVHANGUP) } as libc::c_long,
    )
    .context("TIOCVHANGUP slave 1")?;
    if let Some(port) = &serial {
        if n.is_multiple_of(2) {
            sys::set_ldisc(port, 0).context("TIOCSETD 0 on ttyS1")?;
        }
    }
    let had_serial = serial.is_some();
    drop(serial);
    drop(ptys);
    rmmod_settled()?;
    Ok(had_serial)
}

fn main() {
    let module = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/lib/modules/n_rust.ko".into());
    let cycles = env_num("nrust_lifecycle_cycles").unwrap_or(20) as usize;
    let mut t = Tap::new("n_rust-test-lifecycle", 4);
    let kmemleak = Kmemleak::open();
    let quiet = KunitQuiet::new();
    if module_loaded() {
        let _ = rmmod_settled();
    }
    if let Some(k) = &kmemleak {
        k.baseline_printed();
    }
    let mut log = KernelLog::mark().ok();
    let start = Instant::now();
    let mut refused = 0;
    let mut done = 0;
    let mut serial_cycles = 0;
    let result = (0..cycles).try_for_each(|n| {
        let serial = cycle(&module, n, &mut refused).map_err(|e| format!("cycle {n}: {e}"))?;
        done += 1;
        serial_cycles += usize::from(serial);
        Ok::<(), String>(())
    });
    if result.is_err() && module_loaded() {
        let _ = rmmod_settled();
    }
    drop(quiet);
    println!(
        "# {done} cycles in {:.1} s ({serial_cycles} with ttyS1), {refused} rmmods refused while attached",
        start.elapsed().as_secs_f64()
    );
    t.run(
        &format!("{cycles} insmod/rmmod cycles with ptys attached and detached in between"),
        || result.clone(),
    );
    t.run(
        "rmmod refused while attached, module still loaded (every cycle)",
        || {
            ensure(
                refused == done && done == cycles,
                format!("{refused} refusals in {done} of {cycles} cycles"),
            )
        },
    );
    let _ = match &kmemleak {
        Some(k) => t.run("kmemleak: no new suspected leak after the cycles", || {
            let report = k.scan().context("kmemleak scan")?;
            ensure(report.trim().is_empty(), format!("kmemleak:\n{report}"))
        }),
        None => {
            t.skip(
                "kmemleak: no new suspected leak after the cycles",
                "no kmemleak in this kernel",
            );
            true
        }
    };
    t.run("kernel log: no report during the cycles", || {
        let log = log.as_mut().ok_or("could not open /dev/kmsg")?;
        let reports = log.reports().context("reading /dev/kmsg")?;
        ensure(reports.is_empty(), reports.join("\n"))
    });
    std::process::exit(t.finish());
}
