//! Guest tests of the n_rust module, run by the test guest's `/init`:
//!
//! ```text
//! n_rust-guest-tests /lib/modules/n_rust.ko
//! ```
//!
//! Each test prints a TAP line; the last line is `guest: N passed, N failed`, and the exit
//! status is non-zero when any test failed.
//!
//! In the takeover guest (`nrust_ntty_ldisc` set, see `disciplines`) the module stays loaded
//! with `takeover=1` for the whole boot: the cases that load or unload it are skipped (with
//! the reason), and the data paths run on default ptys, n_rust without `TIOCSETD`.

use n_rust_guest_tests::disciplines::{disciplines, takeover_ntty};
use n_rust_guest_tests::sys;

use std::os::fd::AsRawFd;
use std::process::Command;
use sys::N_DEVELOPMENT;

/// The result of one test: `Err` carries the reason it failed.
type Outcome = Result<(), String>;

/// Turns any error into the failure reason, prefixed by what was being done.
trait Context<T> {
    fn context(self, what: &str) -> Result<T, String>;
}

impl<T, E: std::fmt::Display> Context<T> for Result<T, E> {
    fn context(self, what: &str) -> Result<T, String> {
        self.map_err(|e| format!("{what}: {e}"))
    }
}

/// Fails with `message` unless `condition` holds.
fn ensure(condition: bool, message: impl Into<String>) -> Outcome {
    if condition {
        Ok(())
    } else {
        Err(message.into())
    }
}

/// Runs the tests in order and counts the results.
/// The cases `main` runs: one per `t.run` (15) and the three N_TTY comparisons. The plan is
/// printed before the first case; `tests/guest-tap.py` fails a run whose results do not
/// match it, so a case that never ran is a failure.
const PLAN: usize = 19;

struct Runner {
    passed: usize,
    failed: usize,
    skipped: usize,
    /// Why the cases that load or unload the module are skipped, if they are.
    skip_module_cases: Option<&'static str>,
}

impl Runner {
    fn run(&mut self, name: &str, test: impl FnOnce() -> Outcome) {
        let number = self.passed + self.failed + self.skipped + 1;
        match test() {
            Ok(()) => {
                self.passed += 1;
                println!("ok {number} - {name}");
            }
            Err(reason) => {
                self.failed += 1;
                println!("not ok {number} - {name}");
                println!("  # {reason}");
            }
        }
    }

    /// Runs a case that loads or unloads the module, or skips it (saying why) where the
    /// module must stay loaded.
    fn run_module_case(&mut self, name: &str, test: impl FnOnce() -> Outcome) {
        match self.skip_module_cases {
            Some(reason) => {
                self.skipped += 1;
                let number = self.passed + self.failed + self.skipped;
                println!("ok {number} - {name} # SKIP {reason}");
            }
            None => self.run(name, test),
        }
    }
}

/// Why the module's load and unload cases do not run in the takeover guest.
const TAKEOVER_SKIP: &str =
    "the takeover guest keeps n_rust loaded with takeover=1 (the console runs it)";

fn module_loaded() -> Result<bool, String> {
    sys::file_contains("/proc/modules", "n_rust ").context("reading /proc/modules")
}

fn ldisc_registered() -> Result<bool, String> {
    sys::file_contains("/proc/tty/ldiscs", "n_rust").context("reading /proc/tty/ldiscs")
}

/// insmod with a bad `ldisc=` value fails with EINVAL and leaves nothing registered.
fn insmod_refuses(module: &str, params: &str) -> Outcome {
    match sys::insmod(module, params) {
        Ok(()) => {
            let _ = sys::rmmod("n_rust");
            Err(format!("insmod {params} succeeded"))
        }
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
            ensure(
                !module_loaded()?,
                "module listed in /proc/modules after a refused insmod",
            )?;
            ensure(
                !ldisc_registered()?,
                "n_rust listed in /proc/tty/ldiscs after a refused insmod",
            )
        }
        Err(e) => Err(format!("insmod {params}: expected EINVAL, got {e}")),
    }
}

/// With the fixture module `ldisc_holder` holding number 20, `insmod n_rust ldisc=20` fails
/// with EBUSY, registers nothing, leaves the holder in its slot, and logs the holder's name.
fn insmod_refused_for_holder(module: &str) -> Outcome {
    const HOLDER: &str = "/lib/modules/fixtures/ldisc_holder.ko";
    sys::insmod(HOLDER, "number=20").context("insmod ldisc_holder number=20")?;
    let outcome = (|| {
        match sys::insmod(module, "ldisc=20") {
            Ok(()) => {
                let _ = sys::rmmod("n_rust");
                return Err("insmod ldisc=20 succeeded over ldisc_holder".into());
            }
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {}
            Err(e) => return Err(format!("insmod ldisc=20: expected EBUSY, got {e}")),
        }
        ensure(!module_loaded()?, "n_rust loaded after a refused insmod")?;
        ensure(
            sys::file_contains("/proc/tty/ldiscs", "ldisc_holder 20")
                .context("reading /proc/tty/ldiscs")?,
            "ldisc_holder no longer listed as 20",
        )?;
        let log = std::process::Command::new("dmesg")
            .output()
            .map_err(|e| format!("running dmesg: {e}"))?;
        ensure(
            String::from_utf8_lossy(&log.stdout).lines().any(|l| {
                l.contains("n_rust: ldisc=20 refused") && l.contains("\"ldisc_holder\" holds it")
            }),
            "no kernel log line naming ldisc_holder as the holder of 20",
        )
    })();
    sys::rmmod("ldisc_holder").context("rmmod ldisc_holder")?;
    outcome
}

/// Puts n_rust's number `disc` on a new pty (`disciplines::put_on_pty`: nothing in the
/// takeover guest, where it is the default).
fn put_on(pty: &sys::Pty, disc: i32) -> Outcome {
    n_rust_guest_tests::disciplines::put_on_pty(pty.master.as_raw_fd(), pty.slave.as_raw_fd(), disc)
        .context("putting n_rust on the pty")
}

/// Sets the termios of `fd` for the loopback test: `raw` or canonical with ICRNL, no echo
/// (a looped-back echo would come back as input), no output processing, CLOCAL.
fn loopback_termios(fd: &std::os::fd::OwnedFd, raw: bool) -> Outcome {
    // SAFETY: `termios` is plain data, filled by tcgetattr before use.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        sys::check(libc::tcgetattr(fd.as_raw_fd(), &mut t) as libc::c_long).context("tcgetattr")?;
        libc::cfmakeraw(&mut t);
        if !raw {
            t.c_lflag |= libc::ICANON;
            t.c_iflag |= libc::ICRNL;
        }
        t.c_cflag |= libc::CLOCAL | libc::CREAD;
        sys::check(libc::tcsetattr(fd.as_raw_fd(), libc::TCSANOW, &t) as libc::c_long)
            .context("tcsetattr")?;
    }
    Ok(())
}

/// n_rust on an 8250 port whose UART loops its output back to its input (MCR LOOP, set with
/// TIOCM_LOOP): the serial receive path, throttling and termios changes, without a peer.
/// `disc` is n_rust's number: 29, or 0 in the takeover guest, where a port opened afresh
/// runs it already (no `TIOCSETD`).
fn serial_loopback(path: &str, disc: i32) -> Outcome {
    const TIOCM_LOOP: libc::c_int = 0x8000;
    let port = sys::open_rw(path, libc::O_NONBLOCK).context("open")?;
    if disc != 0 {
        sys::set_ldisc(&port, disc).context("TIOCSETD")?;
    }
    let got = sys::get_ldisc(&port).context("TIOCGETD")?;
    ensure(got == disc, format!("TIOCGETD says {got}, not {disc}"))?;
    loopback_termios(&port, false)?;
    // SAFETY: TIOCMBIS reads one int from the pointer, valid for the call.
    sys::check(
        unsafe { libc::ioctl(port.as_raw_fd(), libc::TIOCMBIS, &TIOCM_LOOP) } as libc::c_long,
    )
    .context("TIOCMBIS TIOCM_LOOP")?;
    sys::write_all(&port, b"hello\rworld\r").context("write")?;
    let got = sys::read_exact_timeout(&port, 12, 5000).context("read lines")?;
    ensure(got == b"hello\nworld\n", format!("canonical read {got:?}"))?;

    loopback_termios(&port, true)?;
    let data: Vec<u8> = (0..16384u32).map(|i| (i * 13 % 256) as u8).collect();
    let writer_fd = port.try_clone().context("dup")?;
    let sent = data.clone();
    let writer = std::thread::spawn(move || sys::write_all_nonblocking(&writer_fd, &sent));
    let got = sys::read_exact_timeout(&port, data.len(), 5000).context("read raw")?;
    writer
        .join()
        .map_err(|_| "writer panicked".to_string())?
        .context("write raw")?;
    ensure(got == data, "raw data read back differs from data written")?;
    // SAFETY: As above, TIOCMBIC.
    sys::check(
        unsafe { libc::ioctl(port.as_raw_fd(), libc::TIOCMBIC, &TIOCM_LOOP) } as libc::c_long,
    )
    .context("TIOCMBIC TIOCM_LOOP")?;
    Ok(())
}

fn main() {
    let module = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/lib/modules/n_rust.ko".into());
    let takeover = takeover_ntty().is_some();
    // n_rust's number and N_TTY's: 29 and 0, or 0 (the default) and N_TTY's spare number.
    let d = disciplines();
    let mut t = Runner {
        passed: 0,
        failed: 0,
        skipped: 0,
        skip_module_cases: takeover.then_some(TAKEOVER_SKIP),
    };
    println!("TAP version 13");
    println!("1..{PLAN}");

    t.run_module_case("insmod ldisc=0 is refused (0 is N_TTY)", || {
        insmod_refuses(&module, "ldisc=0")
    });
    t.run_module_case("insmod ldisc=31 is refused (NR_LDISCS is 31)", || {
        insmod_refuses(&module, "ldisc=31")
    });
    t.run_module_case("insmod ldisc=-1 is refused", || {
        insmod_refuses(&module, "ldisc=-1")
    });
    t.run_module_case("insmod ldisc=27 is refused (built-in N_NULL)", || {
        insmod_refuses(&module, "ldisc=27")
    });

    t.run_module_case(
        "insmod ldisc=20 is refused (EBUSY) while another module holds 20, naming it",
        || insmod_refused_for_holder(&module),
    );

    t.run("insmod registers n_rust as 29", || {
        if !takeover {
            sys::insmod(&module, "").context("insmod")?;
        }
        let ldiscs =
            std::fs::read_to_string("/proc/tty/ldiscs").context("reading /proc/tty/ldiscs")?;
        ensure(
            ldiscs
                .lines()
                .any(|l| l.split_whitespace().eq(["n_rust", "29"])),
            format!("/proc/tty/ldiscs has no 'n_rust 29':\n{ldiscs}"),
        )
    });

    t.run("TIOCSETD 29 on a pty slave, TIOCGETD reads 29", || {
        let pty = sys::open_pty(libc::O_NOCTTY).context("open pty")?;
        sys::set_ldisc(&pty.slave, N_DEVELOPMENT).context("TIOCSETD 29")?;
        let disc = sys::get_ldisc(&pty.slave).context("TIOCGETD")?;
        ensure(disc == N_DEVELOPMENT, format!("TIOCGETD returned {disc}"))
    });

    t.run("bytes written on the master are read on the slave", || {
        let pty = sys::open_pty(libc::O_NOCTTY).context("open pty")?;
        sys::make_raw(&pty.master).context("raw master")?;
        put_on(&pty, d.n_rust)?;
        sys::write_all(&pty.master, b"hello, n_rust\n").context("write master")?;
        let got = sys::read_exact_timeout(&pty.slave, 14, 5000).context("read slave")?;
        ensure(got == b"hello, n_rust\n", format!("read {got:?}"))
    });

    t.run(
        "64 KiB through a raw slave without loss (backpressure, restart)",
        || {
            let pty = sys::open_pty(libc::O_NOCTTY).context("open pty")?;
            put_on(&pty, d.n_rust)?;
            sys::make_raw(&pty.slave).context("raw slave")?;
            let data: Vec<u8> = (0..65536u32).map(|i| (i * 7 % 251) as u8).collect();
            let master = pty.master.try_clone().context("dup master")?;
            let sent = data.clone();
            let writer = std::thread::spawn(move || sys::write_all(&master, &sent));
            let got =
                sys::read_exact_timeout(&pty.slave, data.len(), 5000).context("read slave")?;
            writer
                .join()
                .map_err(|_| "writer panicked".to_string())?
                .context("write master")?;
            ensure(got == data, "data read differs from data written")
        },
    );

    t.run("bytes written on the slave are read on the master", || {
        let pty = sys::open_pty(libc::O_NOCTTY).context("open pty")?;
        put_on(&pty, d.n_rust)?;
        sys::make_raw(&pty.master).context("raw master")?;
        sys::write_all(&pty.slave, b"out").context("write slave")?;
        let got = sys::read_exact_timeout(&pty.master, 3, 5000).context("read master")?;
        ensure(got == b"out", format!("read {got:?}"))
    });

    t.run(
        "a nonblocking read with nothing buffered fails with EAGAIN",
        || {
            let pty = sys::open_pty(libc::O_NOCTTY | libc::O_NONBLOCK).context("open pty")?;
            put_on(&pty, d.n_rust)?;
            let mut buf = [0u8; 8];
            // SAFETY: `buf` is valid for writes of its length.
            let n =
                unsafe { libc::read(pty.slave.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            let err = std::io::Error::last_os_error();
            ensure(
                n == -1 && err.raw_os_error() == Some(libc::EAGAIN),
                format!("read returned {n} ({err})"),
            )
        },
    );

    t.run_module_case(
        "rmmod fails while a tty uses n_rust, works after close",
        || {
            let pty = sys::open_pty(libc::O_NOCTTY).context("open pty")?;
            sys::set_ldisc(&pty.slave, N_DEVELOPMENT).context("TIOCSETD")?;
            match sys::rmmod("n_rust") {
                Ok(()) => return Err("rmmod succeeded while attached".into()),
                // The kernel answers EWOULDBLOCK (= EAGAIN) for a module in use with O_NONBLOCK.
                Err(e) if matches!(e.raw_os_error(), Some(libc::EBUSY) | Some(libc::EAGAIN)) => {}
                Err(e) => {
                    return Err(format!(
                        "rmmod while attached: expected EBUSY/EWOULDBLOCK, got {e}"
                    ))
                }
            }
            ensure(module_loaded()?, "module gone after a refused rmmod")?;
            drop(pty);
            // The tty layer releases a closed pty pair from a work item, and with it the module
            // reference: allow it a moment.
            let mut last = Ok(());
            for _ in 0..50 {
                last = sys::rmmod("n_rust");
                if last.is_ok() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            last.context("rmmod after close")?;
            ensure(!module_loaded()?, "module still listed after rmmod")
        },
    );

    t.run_module_case("TIOCSETD 29 fails after rmmod", || {
        let pty = sys::open_pty(libc::O_NOCTTY).context("open pty")?;
        match sys::set_ldisc(&pty.slave, N_DEVELOPMENT) {
            Ok(()) => Err("TIOCSETD 29 succeeded with the module unloaded".into()),
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Ok(()),
            Err(e) => Err(format!("expected EINVAL, got {e}")),
        }
    });

    t.run("ldattach attaches n_rust to the 8250 port ttyS1", || {
        if !takeover {
            sys::insmod(&module, "").context("insmod")?;
        }
        let mut child = Command::new("ldattach")
            .args(["-d", "29", "/dev/ttyS1"])
            .spawn()
            .context("spawn ldattach")?;
        let mut result = Err("ldattach did not attach within 5 s".to_string());
        for _ in 0..50 {
            std::thread::sleep(std::time::Duration::from_millis(100));
            let port = sys::open_rw("/dev/ttyS1", libc::O_NONBLOCK).context("open ttyS1")?;
            if sys::get_ldisc(&port).context("TIOCGETD ttyS1")? == N_DEVELOPMENT {
                result = Ok(());
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                result = Err(format!("ldattach exited with {status}"));
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        result
    });

    t.run(
        "8250 ttyS1 in loopback: canonical lines and 16 KiB raw through n_rust",
        || serial_loopback("/dev/ttyS1", d.n_rust),
    );

    for (name, check) in [
        (
            "VMIN/VTIME timers behave as on N_TTY",
            n_rust_guest_tests::timing::vmin_vtime as fn(i32) -> Result<Vec<String>, String>,
        ),
        (
            "reads after the master closes behave as on N_TTY (hangup: end of file)",
            n_rust_guest_tests::timing::other_side_closed,
        ),
        (
            "packet mode on a master running the discipline behaves as on N_TTY",
            n_rust_guest_tests::timing::packet_mode,
        ),
    ] {
        t.run(name, || {
            let n_tty = check(d.n_tty)?;
            let n_rust = check(d.n_rust)?;
            for line in &n_tty {
                println!("  # N_TTY: {line}");
            }
            ensure(
                n_tty == n_rust,
                format!("N_TTY:  {n_tty:?}\n  # n_rust: {n_rust:?}"),
            )
        });
    }

    t.run("the kernel log has no WARNING, BUG or Oops", || {
        let problems = sys::kernel_problems()?;
        ensure(problems.is_empty(), problems.join("\n"))
    });

    if t.passed + t.failed + t.skipped != PLAN {
        println!(
            "# guest: {} cases ran, the plan says {PLAN}",
            t.passed + t.failed + t.skipped
        );
    }
    println!("guest: {} passed, {} failed", t.passed, t.failed);
    std::process::exit(if t.failed == 0 { 0 } else { 1 });
}
