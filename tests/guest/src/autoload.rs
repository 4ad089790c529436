//! `n_rust-test-autoload`: the kernel loads n_rust on demand, by its module alias.
//!
//! When `TIOCSETD` names a discipline number nothing has registered, the tty layer asks for
//! the module `tty-ldisc-<number>` (`request_module` in `tty_ldisc.c`), which runs
//! `/sbin/modprobe`; the module's alias `tty-ldisc-29`, in `modules.alias` after `depmod`,
//! names n_rust. The test guest's initramfs has n_rust under `/lib/modules/$(uname -r)/`
//! with the `depmod` files and busybox as `/sbin/modprobe` (`qemu/mkinitramfs.sh`); `/init`
//! runs this program first and removes `/sbin/modprobe` afterwards, so that the later suites
//! see n_rust only when they load it.
//!
//! Every case fails when the module did not get loaded; the program leaves it unloaded.

use n_rust_guest_tests::sys::{self, N_DEVELOPMENT};
use n_rust_guest_tests::tap::{ensure, Context, Outcome, Tap};
use std::process::Command;
use std::time::{Duration, Instant};

fn module_loaded() -> Result<bool, String> {
    sys::file_contains("/proc/modules", "n_rust ").context("reading /proc/modules")
}

/// Whether `/proc/tty/ldiscs` lists `n_rust 29`.
fn registered_as_29() -> Result<bool, String> {
    let ldiscs = std::fs::read_to_string("/proc/tty/ldiscs").context("reading /proc/tty/ldiscs")?;
    Ok(ldiscs
        .lines()
        .any(|l| l.split_whitespace().eq(["n_rust", "29"])))
}

/// Unloads n_rust, retrying for 5 s: a closed tty gives its module reference back from a
/// work item.
fn unload() -> Outcome {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match sys::rmmod("n_rust") {
            Ok(()) => return ensure(!module_loaded()?, "n_rust still listed after rmmod"),
            Err(e) if Instant::now() >= deadline => return Err(format!("rmmod n_rust: {e}")),
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// The kernel release (`uname -r`).
fn kernel_release() -> Result<String, String> {
    // SAFETY: `utsname` is plain data that `uname` fills.
    let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `uts` is valid for writes.
    sys::check(unsafe { libc::uname(&mut uts) } as libc::c_long).context("uname")?;
    // SAFETY: `uname` NUL-terminates `release`.
    let release = unsafe { std::ffi::CStr::from_ptr(uts.release.as_ptr()) };
    Ok(release.to_string_lossy().into_owned())
}

/// What to say when the module was not loaded: what modprobe would need.
fn why_not_loaded() -> String {
    let modprobe = std::path::Path::new("/sbin/modprobe").exists();
    format!(
        "n_rust was not loaded on demand (/sbin/modprobe {}; /proc/modules has no n_rust)",
        if modprobe { "exists" } else { "is missing" }
    )
}

/// `ldattach 29 /dev/ttyS1` with n_rust unloaded: the discipline is attached, so the kernel
/// loaded the module.
fn ldattach_loads() -> Outcome {
    let mut child = Command::new("ldattach")
        .args(["-d", "29", "/dev/ttyS1"])
        .spawn()
        .context("spawn ldattach")?;
    let mut result = Err(format!(
        "ttyS1 not on discipline 29 within 10 s: {}",
        why_not_loaded()
    ));
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        let port = sys::open_rw("/dev/ttyS1", libc::O_NONBLOCK).context("open ttyS1")?;
        if sys::get_ldisc(&port).context("TIOCGETD ttyS1")? == N_DEVELOPMENT {
            result = ensure(module_loaded()?, why_not_loaded())
                .and_then(|()| ensure(registered_as_29()?, "/proc/tty/ldiscs has no 'n_rust 29'"));
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            result = Err(format!(
                "ldattach exited with {status}: {}",
                why_not_loaded()
            ));
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    result
}

/// `TIOCSETD 29` on a pty slave with n_rust unloaded succeeds and loads the module.
fn tiocsetd_loads() -> Outcome {
    let pty = sys::open_pty(libc::O_NOCTTY).context("open pty")?;
    sys::set_ldisc(&pty.slave, N_DEVELOPMENT)
        .map_err(|e| format!("TIOCSETD 29: {e}: {}", why_not_loaded()))?;
    let disc = sys::get_ldisc(&pty.slave).context("TIOCGETD")?;
    ensure(disc == N_DEVELOPMENT, format!("TIOCGETD returned {disc}"))?;
    ensure(module_loaded()?, why_not_loaded())
}

fn main() {
    let mut t = Tap::new("n_rust-test-autoload", 5);
    t.run("n_rust is not loaded at the start", || {
        if module_loaded()? {
            unload()?;
        }
        ensure(!module_loaded()?, "n_rust is loaded")
    });
    t.run(
        "modules.alias of the running kernel maps tty-ldisc-29 to n_rust",
        || {
            let path = format!("/lib/modules/{}/modules.alias", kernel_release()?);
            let aliases = std::fs::read_to_string(&path).context(&path)?;
            ensure(
                aliases
                    .lines()
                    .any(|l| l.split_whitespace().eq(["alias", "tty-ldisc-29", "n_rust"])),
                format!("{path} has no 'alias tty-ldisc-29 n_rust':\n{aliases}"),
            )
        },
    );
    t.run("ldattach 29 /dev/ttyS1 loads n_rust on demand", || {
        ensure(!module_loaded()?, "n_rust was loaded before ldattach")?;
        ldattach_loads()
    });
    t.run("TIOCSETD 29 on a pty slave loads n_rust on demand", || {
        if module_loaded()? {
            unload()?;
        }
        tiocsetd_loads()
    });
    t.run("n_rust is not loaded at the end", || {
        if module_loaded()? {
            unload()?;
        }
        ensure(!module_loaded()?, "n_rust is loaded")
    });
    std::process::exit(t.finish());
}
