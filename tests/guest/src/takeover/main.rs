//! `n_rust-test-takeover`: takeover mode, `takeover=1`, in which n_rust also serves line
//! discipline 0 (N_TTY's slot).
//!
//! ```text
//! n_rust-test-takeover /lib/modules/n_rust.ko   (the module not loaded, or unused: it loads
//!                                                and unloads it itself)
//! n_rust-test-takeover                          (in the takeover guest, nrust_ntty_ldisc=N:
//!                                                /init loaded it with takeover=1 ntty_ldisc=N)
//! ```
//!
//! Which discipline a tty runs is seen through the module's reference count
//! (`/sys/module/n_rust/refcnt`): the tty layer takes one per tty whose discipline's table
//! has the module as owner (n_rust's in slot 0 or 29, and N_TTY's copy under its spare
//! number), and none for the kernel's own N_TTY, whose `TIOCGETD` also reads 0. With the
//! module loaded by this program the cases are: the refusals of `ntty_ldisc=`; the listing
//! and parameters after `insmod takeover=1`; a new pty on n_rust at both ends; `rmmod`
//! refused while it is open; N_TTY reached under its spare number; a hangup re-initialising
//! a tty opened before the takeover; `rmmod` once all is closed (one pty moved to N_NULL
//! instead, and back to N_TTY after), giving back N_TTY (a pty opened afterwards works: an oops would show if slot 0 still pointed into the unloaded
//! module); more load/unload cycles; a load where `/dev/ptmx` is a regular file (the probe
//! of slot 0 must not take it for a tty); a clean kernel log. In the takeover guest: the listing,
//! the console (opened by the kernel before the module was loaded) hung up onto n_rust, a
//! new pty on n_rust, `rmmod` refused, N_TTY under its number, a clean kernel log.

mod state;

use n_rust_guest_tests::disciplines::takeover_ntty;
use n_rust_guest_tests::sys;
use n_rust_guest_tests::tap::{ensure, Context, Outcome, Tap};
use state::*;
use std::os::fd::AsRawFd;

/// The spare number N_TTY gets in the cases that load the module here.
const NTTY: i32 = 28;
/// The parameters of those loads.
const TAKEOVER_PARAMS: &str = "takeover=1 ntty_ldisc=28";
/// Load and unload cycles after the first.
const CYCLES: usize = 3;

/// A new pty must run n_rust on both ends: the count rises by 2 from `base` (waited for:
/// ptys closed earlier are released by a work item), both read 0 with `TIOCGETD`, and a
/// canonical line and its echo go through.
fn new_pty_on_n_rust(base: u32) -> Result<sys::Pty, String> {
    wait_refcnt(base)?;
    let before = base;
    let pty = sys::open_pty(libc::O_NOCTTY).context("open pty")?;
    ensure(
        refcnt()? == before + 2,
        format!("refcnt {} after a new pty, {before} before", refcnt()?),
    )?;
    let ends = ends_ldisc(&pty)?;
    ensure(
        ends == (0, 0),
        format!("TIOCGETD (master, slave) = {ends:?}"),
    )?;
    line_through(&pty.master, &pty.slave)?;
    Ok(pty)
}

/// N_TTY under `number`: `TIOCSETD` on a new pty's slave takes it there; a line and its
/// echo go through, and the count stays (N_TTY's copy is owned by n_rust too).
fn ntty_reachable(number: i32, base: u32) -> Outcome {
    let pty = new_pty_on_n_rust(base)?;
    let before = base + 2;
    sys::set_ldisc(&pty.slave, number).context("TIOCSETD")?;
    let disc = sys::get_ldisc(&pty.slave).context("TIOCGETD")?;
    ensure(disc == number, format!("TIOCGETD says {disc}"))?;
    ensure(
        refcnt()? == before,
        format!(
            "refcnt {} after TIOCSETD {number}, {before} before",
            refcnt()?
        ),
    )?;
    line_through(&pty.master, &pty.slave)?;
    // N_NULL (27) is built in: leaving n_rust's discipline drops the slave's reference.
    sys::set_ldisc(&pty.slave, 27).context("TIOCSETD 27")?;
    ensure(
        refcnt()? == before - 1,
        format!("refcnt {} on N_NULL, {before} before", refcnt()?),
    )
}

/// `insmod` with `params` fails with `errno`, leaving nothing loaded.
fn insmod_refused(module: &str, params: &str, errno: i32) -> Outcome {
    match sys::insmod(module, params) {
        Ok(()) => {
            let _ = sys::rmmod("n_rust");
            Err(format!("insmod {params} succeeded"))
        }
        Err(e) if e.raw_os_error() == Some(errno) => ensure(
            !module_loaded()?,
            format!("loaded after a refused insmod {params}"),
        ),
        Err(e) => Err(format!("insmod {params}: got {e}, expected errno {errno}")),
    }
}

/// The log lines of this module's takeover loads.
fn takeover_log() -> Result<(usize, usize), String> {
    let out = std::process::Command::new("dmesg")
        .output()
        .context("running dmesg")?;
    let log = String::from_utf8_lossy(&out.stdout);
    let observed = log
        .lines()
        .filter(|l| {
            l.contains("n_rust: takeover: n_rust serves line discipline 0")
                && l.contains("\"n_tty\"")
        })
        .count();
    let copies = log
        .lines()
        .filter(|l| l.contains("n_rust: takeover: no pty to read slot 0"))
        .count();
    Ok((observed, copies))
}

fn kernel_log_clean() -> Outcome {
    let problems = sys::kernel_problems()?;
    ensure(problems.is_empty(), problems.join("\n"))
}

/// The cases where this program loads the module itself.
fn with_own_loads(module: &str) -> i32 {
    let mut t = Tap::new("takeover", 13);
    if module_loaded().unwrap_or(false) {
        let _ = rmmod_when_free();
    }
    t.run(
        "ntty_ldisc= refused with EINVAL: 31, -1, 27 (N_NULL), 29 (n_rust's own), and without takeover=1",
        || {
            for params in [
                "takeover=1 ntty_ldisc=31",
                "takeover=1 ntty_ldisc=-1",
                "takeover=1 ntty_ldisc=27",
                "takeover=1 ntty_ldisc=29",
                "ntty_ldisc=28",
            ] {
                insmod_refused(module, params, libc::EINVAL)?;
            }
            Ok(())
        },
    );
    t.run(
        "ntty_ldisc=20 refused with EBUSY while the module ldisc_holder holds 20",
        || {
            sys::insmod("/lib/modules/fixtures/ldisc_holder.ko", "number=20")
                .context("insmod ldisc_holder")?;
            let outcome = insmod_refused(module, "takeover=1 ntty_ldisc=20", libc::EBUSY);
            sys::rmmod("ldisc_holder").context("rmmod ldisc_holder")?;
            outcome
        },
    );
    // Opened before the takeover: both ends run the kernel's N_TTY and hold no reference.
    let early = sys::open_pty(libc::O_NOCTTY);
    t.run(
        "insmod takeover=1 ntty_ldisc=28: /proc/tty/ldiscs lists n_rust 0, n_tty 28, n_rust 29; the parameters are in sysfs (0444); a pty opened before holds no reference",
        || {
            ensure(early.is_ok(), "opening the early pty failed")?;
            expect_ldiscs(&[(0, Some("n_tty")), (NTTY, None)])?;
            sys::insmod(module, TAKEOVER_PARAMS).context("insmod")?;
            expect_ldiscs(&[(0, Some("n_rust")), (NTTY, Some("n_tty")), (29, Some("n_rust"))])?;
            expect_param("takeover", "Y")?;
            expect_param("ntty_ldisc", "28")?;
            wait_refcnt(0)
        },
    );
    let mut pty = None;
    t.run(
        "a new pty runs n_rust on both ends: refcnt +2, TIOCGETD 0 on both, a line and its echo",
        || {
            pty = Some(new_pty_on_n_rust(0)?);
            Ok(())
        },
    );
    t.run("rmmod is refused while that pty is open", || {
        ensure(pty.is_some(), "no pty from the case before")?;
        expect_rmmod_refused()?;
        expect_ldiscs(&[(0, Some("n_rust"))])
    });
    drop(pty);
    t.run(
        "TIOCSETD 28 reaches the kernel's N_TTY (ntty_ldisc=28): TIOCGETD 28, a line and its echo; N_NULL then drops the slave's reference",
        || ntty_reachable(NTTY, 0),
    );
    t.run(
        "a hangup re-initialises a tty opened before the takeover to n_rust: TIOCVHANGUP on its slave, the slave opened again holds a reference",
        || {
            let early = early.as_ref().map_err(|e| format!("early pty: {e}"))?;
            let path = slave_path(early)?;
            wait_refcnt(0)?;
            vhangup(&early.slave)?;
            let again = sys::open_rw(&path, 0).context("opening the slave again")?;
            let disc = sys::get_ldisc(&again).context("TIOCGETD")?;
            ensure(disc == 0, format!("TIOCGETD says {disc}"))?;
            ensure(refcnt()? == 1, format!("refcnt {} after the reopen, expected 1", refcnt()?))?;
            sys::make_raw(&early.master).context("raw")?;
            sys::write_all(&early.master, b"x").context("write")?;
            let got = sys::read_exact_timeout(&again, 1, 5000).context("read")?;
            ensure(got == b"x", format!("read {got:?}"))
        },
    );
    drop(early);
    // A tty that stays open across the unload: moved to N_NULL (27, built in, owned by no
    // module) it no longer holds the module.
    let kept = new_pty_on_n_rust(0);
    t.run(
        "with every tty closed or moved to N_NULL rmmod works, and /proc/tty/ldiscs lists n_tty 0 again, nothing at 28 or 29",
        || {
            let kept = kept.as_ref().map_err(|e| e.clone())?;
            sys::set_ldisc(&kept.slave, 27).context("TIOCSETD 27 on the slave")?;
            sys::set_ldisc(&kept.master, 27).context("TIOCSETD 27 on the master")?;
            rmmod_when_free()?;
            expect_ldiscs(&[(0, Some("n_tty")), (NTTY, None), (29, None)])
        },
    );
    t.run(
        "the tty kept open goes back to N_TTY with TIOCSETD 0 after rmmod: a line and its echo",
        || {
            let kept = kept.as_ref().map_err(|e| e.clone())?;
            sys::set_ldisc(&kept.slave, 0).context("TIOCSETD 0 on the slave")?;
            sys::set_ldisc(&kept.master, 0).context("TIOCSETD 0 on the master")?;
            line_through(&kept.master, &kept.slave)
        },
    );
    drop(kept);
    t.run(
        "after rmmod a new pty runs the kernel's N_TTY (slot 0 no longer points into the module): a line and its echo",
        || {
            let pty = sys::open_pty(libc::O_NOCTTY).context("open pty")?;
            line_through(&pty.master, &pty.slave)
        },
    );
    t.run(
        "3 more load/unload cycles with a pty on n_rust each: every load read slot 0 off a pty, none made a copy of N_TTY",
        || {
            for _ in 0..CYCLES {
                sys::insmod(module, TAKEOVER_PARAMS).context("insmod")?;
                drop(new_pty_on_n_rust(0)?);
                rmmod_when_free()?;
                let pty = sys::open_pty(libc::O_NOCTTY).context("open pty after rmmod")?;
                line_through(&pty.master, &pty.slave)?;
            }
            let (observed, copies) = takeover_log()?;
            ensure(
                observed == CYCLES + 1 && copies == 0,
                format!("{observed} loads put back \"n_tty\", {copies} made a copy"),
            )
        },
    );
    t.run(
        "insmod takeover=1 where /dev/ptmx is a regular file (bind-mounted in a private mount namespace): it loads with a copy of N_TTY instead of reading the file as a tty; a pty runs n_rust; rmmod gives n_tty back",
        || {
            let (_, copies_before) = takeover_log()?;
            insmod_with_fake_ptmx(module)?;
            let (_, copies) = takeover_log()?;
            ensure(
                copies == copies_before + 1,
                format!("{} loads made a copy of N_TTY, expected 1", copies - copies_before),
            )?;
            drop(new_pty_on_n_rust(0)?);
            rmmod_when_free()?;
            expect_ldiscs(&[(0, Some("n_tty")), (NTTY, None), (29, None)])?;
            let pty = sys::open_pty(libc::O_NOCTTY).context("open pty after rmmod")?;
            line_through(&pty.master, &pty.slave)
        },
    );
    t.run(
        "the kernel log has no WARNING, BUG or Oops",
        kernel_log_clean,
    );
    t.finish()
}

/// Loads `module` with takeover=1 from a child process in its own mount namespace, where a
/// regular file is bind-mounted over `/dev/ptmx`: what a chroot or container may hold under
/// that name. The module's probe of slot 0 opens `/dev/ptmx` in the loader's view.
fn insmod_with_fake_ptmx(module: &str) -> Outcome {
    const FAKE: &std::ffi::CStr = c"/tmp/n_rust-fake-ptmx";
    std::fs::write("/tmp/n_rust-fake-ptmx", b"not a tty\n").context("creating the fake ptmx")?;
    let file = std::fs::File::open(module).context("opening the module")?;
    let params = std::ffi::CString::new(TAKEOVER_PARAMS).expect("no NUL in the parameters");
    let null = std::ptr::null::<libc::c_char>();
    // SAFETY: The child makes only system calls on memory prepared before the fork, then
    // leaves with _exit.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: Each call gets NUL-terminated strings or null where the call allows it, and
        // an open fd.
        let code = unsafe {
            if libc::unshare(libc::CLONE_NEWNS) != 0 {
                10
            } else if libc::mount(
                null,
                c"/".as_ptr(),
                null,
                libc::MS_REC | libc::MS_PRIVATE,
                null.cast(),
            ) != 0
            {
                11
            } else if libc::mount(
                FAKE.as_ptr(),
                c"/dev/ptmx".as_ptr(),
                null,
                libc::MS_BIND,
                null.cast(),
            ) != 0
            {
                12
            } else if libc::syscall(libc::SYS_finit_module, file.as_raw_fd(), params.as_ptr(), 0)
                != 0
            {
                13
            } else {
                0
            }
        };
        // SAFETY: Leaves the child at once, running nothing of the parent's.
        unsafe { libc::_exit(code) };
    }
    ensure(pid > 0, "fork failed")?;
    let mut status = 0;
    // SAFETY: Waits for the child forked above.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    let _ = std::fs::remove_file("/tmp/n_rust-fake-ptmx");
    ensure(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        format!("the loader: wait status {status:#x} (exit 10 unshare, 11 private mounts, 12 bind mount, 13 finit_module failed; a signal: it died in the module's init)"),
    )
}

/// The cases of the takeover guest, where `/init` loaded the module with takeover=1 and
/// N_TTY under `ntty`.
fn in_takeover_guest(ntty: i32) -> i32 {
    let mut t = Tap::new("takeover", 6);
    // References before the console's hangup: none, unless a tty opened earlier runs n_rust.
    let base = refcnt().unwrap_or(0);
    t.run(
        "/init loaded n_rust with takeover=1 before any tty but the console: /proc/tty/ldiscs lists n_rust 0, n_tty at ntty_ldisc, n_rust 29",
        || {
            expect_ldiscs(&[(0, Some("n_rust")), (ntty, Some("n_tty")), (29, Some("n_rust"))])?;
            expect_param("takeover", "Y")?;
            expect_param("ntty_ldisc", &ntty.to_string())
        },
    );
    t.run(
        "the console, opened by the kernel for init before the module was loaded, runs n_rust after a hangup of /dev/console (re-initialised at once): refcnt +1, TIOCGETD 0",
        || {
            let console = sys::open_rw("/dev/console", 0).context("open /dev/console")?;
            // What is written is sent first: the hangup flushes the driver's buffer.
            // SAFETY: tcdrain on an open fd.
            unsafe { libc::tcdrain(console.as_raw_fd()) };
            wait_refcnt(base)?;
            vhangup(&console)?;
            let disc = sys::get_ldisc(&console).context("TIOCGETD")?;
            ensure(disc == 0, format!("TIOCGETD says {disc}"))?;
            ensure(
                refcnt()? == base + 1,
                format!("refcnt {} after the hangup, {base} before", refcnt()?),
            )
        },
    );
    let mut pty = None;
    t.run(
        "a new pty runs n_rust on both ends: refcnt +2, TIOCGETD 0 on both, a line and its echo",
        || {
            pty = Some(new_pty_on_n_rust(base + 1)?);
            Ok(())
        },
    );
    t.run("rmmod is refused", expect_rmmod_refused);
    drop(pty);
    t.run(
        "TIOCSETD ntty_ldisc reaches the kernel's N_TTY: a line and its echo",
        || ntty_reachable(ntty, base + 1),
    );
    t.run(
        "the kernel log has no WARNING, BUG or Oops",
        kernel_log_clean,
    );
    t.finish()
}

fn main() {
    let status = match takeover_ntty() {
        Some(ntty) => in_takeover_guest(ntty),
        None => {
            let module = std::env::args()
                .nth(1)
                .unwrap_or_else(|| "/lib/modules/n_rust.ko".into());
            with_own_loads(&module)
        }
    };
    std::process::exit(status);
}
