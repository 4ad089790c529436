//! The chaos slots: each opens pty pairs on n_rust one generation after another, with a
//! reader and a writer on each end, and an operator that switches the discipline (N_TTY <->
//! n_rust, on the slave and sometimes the master), changes termios at random (`TCSETS`,
//! `TCSETSW`, `TCSETSF`), flushes, stops and starts output, pushes bytes with `TIOCSTI`,
//! toggles packet mode, sends signals through the tty (`TIOCSIG`, `TIOCSWINSZ`, ISIG
//! characters on slot 0, whose slave is the run's controlling tty), and ends the generation
//! by `TIOCVHANGUP`, by closing the master under the slave's sleepers, or by closing all.
//! Nothing is compared here (every one of those cuts the streams); every call's errno must
//! be one these operations can give, and every thread must end when told.

use crate::counts::{count, Op};
use crate::endpoint::{open_peer, Endpoint, Io, Style};
use crate::workers::{disc, nap, spawn, stop_all, Rng, Worker};
use n_rust_guest_tests::sys;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Errnos a chaos call may give: `EIO` (hung up, or the other end closed), `EAGAIN`,
/// `EINTR`, `EBUSY` (a discipline switch that timed out), `EPERM` (`TIOCSCTTY` while another
/// tty is the controlling one), `ENOTTY` (a hung-up file), `ENXIO`/`ENODEV`.
const EXPECTED: [i32; 8] = [
    libc::EIO,
    libc::EAGAIN,
    libc::EINTR,
    libc::EBUSY,
    libc::EPERM,
    libc::ENOTTY,
    libc::ENXIO,
    libc::ENODEV,
];

/// Counts an accepted errno, or returns the error for another.
fn judge(what: &str, e: i32) -> Result<(), String> {
    if EXPECTED.contains(&e) {
        count(Op::ExpectedErrno);
        Ok(())
    } else {
        Err(format!(
            "{what}: unexpected errno {e} ({})",
            std::io::Error::from_raw_os_error(e)
        ))
    }
}

/// An ioctl whose failure is judged; `arg` is passed as the third argument.
fn ioctl(fd: RawFd, req: libc::c_ulong, arg: usize, what: &str, op: Op) -> Result<(), String> {
    // SAFETY: Every request used here takes an integer or a pointer to a live local that
    // outlives the call (the callers pass its address as `arg`).
    let r = unsafe { libc::ioctl(fd, req, arg) };
    count(op);
    if r < 0 {
        judge(
            what,
            std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
        )
    } else {
        Ok(())
    }
}

/// Bytes the writers send: text, line ends, and every character termios makes special.
fn chaos_bytes(rng: &mut Rng) -> Vec<u8> {
    const SPECIAL: &[u8] = b"\n\r\x03\x1c\x1a\x13\x11\x7f\x15\x04\x17\x12\x16\x0f\x00\xff\t\x1b";
    let max = [8, 64, 1024][rng.below(3) as usize];
    let len = rng.range(1, max);
    (0..len)
        .map(|_| match rng.below(10) {
            0 => SPECIAL[rng.below(SPECIAL.len() as u64) as usize],
            1 => rng.next_u64() as u8,
            _ => b' ' + rng.below(95) as u8,
        })
        .collect()
}

/// A random termios for a chaos slave: any mix of the input, output and local flags.
fn random_termios(fd: RawFd, rng: &mut Rng) -> Option<libc::termios> {
    // SAFETY: `termios` is plain data, filled by tcgetattr before use.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: As above.
    if unsafe { libc::tcgetattr(fd, &mut t) } < 0 {
        return None;
    }
    let pick = |rng: &mut Rng, flags: &[libc::tcflag_t]| {
        flags
            .iter()
            .filter(|_| rng.chance(350))
            .fold(0, |a, f| a | f)
    };
    t.c_iflag = pick(
        rng,
        &[
            libc::ICRNL,
            libc::INLCR,
            libc::IGNCR,
            libc::IXON,
            libc::IXOFF,
            libc::IXANY,
            libc::ISTRIP,
            libc::IUCLC,
            libc::IMAXBEL,
            libc::IUTF8,
            libc::BRKINT,
            libc::PARMRK,
            libc::INPCK,
        ],
    );
    t.c_oflag = pick(
        rng,
        &[
            libc::OPOST,
            libc::ONLCR,
            libc::OCRNL,
            libc::ONOCR,
            libc::ONLRET,
            libc::OLCUC,
            libc::XTABS,
        ],
    );
    t.c_lflag = pick(
        rng,
        &[
            libc::ICANON,
            libc::ECHO,
            libc::ECHOE,
            libc::ECHOK,
            libc::ECHONL,
            libc::ECHOCTL,
            libc::ECHOKE,
            libc::ECHOPRT,
            libc::ISIG,
            libc::IEXTEN,
            libc::NOFLSH,
            libc::TOSTOP,
            libc::XCASE,
            libc::FLUSHO,
        ],
    );
    t.c_cflag = libc::CS8 | libc::CREAD | libc::CLOCAL;
    t.c_cc[libc::VMIN] = rng.below(4) as u8;
    t.c_cc[libc::VTIME] = rng.below(3) as u8;
    Some(t)
}

/// A reader or writer on one end of a chaos pty, until `stop`.
fn churn(end: Endpoint, write: bool, seed: u64, stop: Arc<AtomicBool>) -> Result<(), String> {
    let mut rng = Rng::new(seed);
    let mut buf = vec![0u8; 4096];
    while !stop.load(Ordering::SeqCst) {
        let mut written_len = 0;
        let io = if write {
            let data = chaos_bytes(&mut rng);
            written_len = data.len();
            end.write(&data)
        } else {
            let size = rng.range(1, buf.len());
            end.read(&mut buf[..size])
        };
        match io {
            // A writer cut short by a signal steps back for a millisecond before it writes
            // again. The kernel's `TCSETSW`/`TCSETSF` (`set_termios`) retries
            // `tty_write_lock` in a loop, without sleeping, while its caller has a signal
            // pending; on one CPU, a writer that took the lock back at once whenever a signal
            // freed it (output stopped by `TCOOFF`, so every write sleeps holding the lock)
            // left the operator spinning there for good, on N_TTY as on n_rust.
            Io::Interrupted if write => std::thread::sleep(Duration::from_millis(1)),
            Io::Done(n) if write && n < written_len => std::thread::sleep(Duration::from_millis(1)),
            Io::Done(_) | Io::Idle | Io::Interrupted => {}
            Io::Eof => nap(&mut rng, 3),
            Io::Errno(e) => {
                judge(if write { "write" } else { "read" }, e)?;
                nap(&mut rng, 3);
            }
        }
    }
    Ok(())
}

/// One random operation of the operator on a generation's pty.
fn operate(rng: &mut Rng, slave: RawFd, master: RawFd) -> Result<(), String> {
    match rng.below(12) {
        0 | 1 => {
            let to: libc::c_int = if rng.chance(500) { 0 } else { disc() };
            let fd = if rng.chance(150) { master } else { slave };
            let op = if to == 0 { Op::SetdNtty } else { Op::SetdNrust };
            ioctl(fd, libc::TIOCSETD, &to as *const _ as usize, "TIOCSETD", op)
        }
        2 | 3 => {
            let Some(t) = random_termios(slave, rng) else {
                return Ok(());
            };
            let req = [libc::TCSETS, libc::TCSETSW, libc::TCSETSF][rng.below(3) as usize];
            ioctl(slave, req, &t as *const _ as usize, "TCSETS*", Op::Termios)
        }
        4 => {
            let queue = [libc::TCIFLUSH, libc::TCOFLUSH, libc::TCIOFLUSH][rng.below(3) as usize];
            let fd = if rng.chance(300) { master } else { slave };
            ioctl(fd, libc::TCFLSH, queue as usize, "TCFLSH", Op::Flush)
        }
        5 => {
            let action =
                [libc::TCOOFF, libc::TCOON, libc::TCIOFF, libc::TCION][rng.below(4) as usize];
            ioctl(slave, libc::TCXONC, action as usize, "TCXONC", Op::Xonc)
        }
        6 => {
            let b: u8 = chaos_bytes(rng)[0];
            ioctl(
                slave,
                libc::TIOCSTI,
                &b as *const _ as usize,
                "TIOCSTI",
                Op::Sti,
            )
        }
        7 => {
            let on: libc::c_int = rng.below(2) as libc::c_int;
            ioctl(
                master,
                libc::TIOCPKT,
                &on as *const _ as usize,
                "TIOCPKT",
                Op::Packet,
            )
        }
        8 => {
            let sig = [libc::SIGINT, libc::SIGQUIT, libc::SIGTSTP][rng.below(3) as usize];
            ioctl(
                master,
                libc::TIOCSIG,
                sig as usize,
                "TIOCSIG",
                Op::TtySignal,
            )
        }
        9 => {
            let ws = libc::winsize {
                ws_row: rng.range(1, 100) as u16,
                ws_col: rng.range(1, 300) as u16,
                ws_xpixel: 0,
                ws_ypixel: 0,
            };
            ioctl(
                master,
                libc::TIOCSWINSZ,
                &ws as *const _ as usize,
                "TIOCSWINSZ",
                Op::TtySignal,
            )
        }
        _ => {
            let mut n: libc::c_int = 0;
            let fd = if rng.chance(500) { master } else { slave };
            let req = if rng.chance(500) {
                libc::FIONREAD
            } else {
                libc::TIOCOUTQ
            };
            ioctl(
                fd,
                req,
                &mut n as *mut _ as usize,
                "FIONREAD/TIOCOUTQ",
                Op::Query,
            )
        }
    }
}

fn io_ctx<T>(r: std::io::Result<T>, what: &str) -> Result<T, String> {
    r.map_err(|e| format!("{what}: {e}"))
}

/// A set-up call of a generation, made again while it returns `EINTR` (the signal storm
/// reaches the chaos threads; `TIOCSETD` gives `EINTR` when a signal is pending after
/// `tty_wait_until_sent()`, a tty's open when `tty_lock_interruptible()` is interrupted),
/// until the run is told to stop: then `None`, and the generation ends. Any other error
/// ends the run.
fn setup<T>(
    what: &str,
    stop: &AtomicBool,
    mut call: impl FnMut() -> std::io::Result<T>,
) -> Result<Option<T>, String> {
    loop {
        match call() {
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => {
                count(Op::Interrupted);
                if stop.load(Ordering::SeqCst) {
                    return Ok(None);
                }
            }
            r => return io_ctx(r, what).map(Some),
        }
    }
}

/// Starts a chaos reader or writer on a new open file of the slave (or a dup of the master).
fn start_churn(
    workers: &mut Vec<Worker>,
    name: String,
    fd: OwnedFd,
    style: Style,
    write: bool,
    seed: u64,
    stop: &Arc<AtomicBool>,
) -> Result<(), String> {
    let end = if write {
        io_ctx(Endpoint::writer(fd, style), &name)?
    } else {
        io_ctx(Endpoint::reader(fd, style), &name)?
    };
    let stop = stop.clone();
    workers.push(spawn(name, move || churn(end, write, seed, stop)));
    Ok(())
}

/// One generation of slot `slot`: a new pty, its workers, the operator for a while, an end.
fn generation(slot: usize, rng: &mut Rng, ctty: bool, stop: &AtomicBool) -> Result<(), String> {
    let Some(pty) = setup("open pty", stop, || sys::open_pty(libc::O_NOCTTY))? else {
        return Ok(());
    };
    count(Op::PtyOpen);
    let (slave, master) = (pty.slave.as_raw_fd(), pty.master.as_raw_fd());
    if setup("TIOCSETD 29", stop, || sys::set_ldisc(&pty.slave, disc()))?.is_none() {
        return Ok(());
    }
    count(Op::SetdNrust);
    if rng.chance(200) {
        if setup("TIOCSETD 29 on the master", stop, || {
            sys::set_ldisc(&pty.master, disc())
        })?
        .is_none()
        {
            return Ok(());
        }
        count(Op::SetdNrust);
    }
    if let Some(t) = random_termios(slave, rng) {
        ioctl(
            slave,
            libc::TCSETS,
            &t as *const _ as usize,
            "TCSETS",
            Op::Termios,
        )?;
    }
    if ctty {
        ioctl(slave, libc::TIOCSCTTY, 0, "TIOCSCTTY", Op::Ctty)?;
    }
    let slave_stop = Arc::new(AtomicBool::new(false));
    let master_stop = Arc::new(AtomicBool::new(false));
    let mut slave_side = Vec::new();
    let mut master_side = Vec::new();
    for (i, write) in [(0, false), (1, true)] {
        let style = Style::nth(rng.below(3) as usize);
        // Told to stop meanwhile: the workers started so far are ended below, as always.
        let Some(fd) = setup("open slave", stop, || open_peer(&pty.master))? else {
            break;
        };
        let name = format!("chaos{slot} s{}", if write { "w" } else { "r" });
        start_churn(
            &mut slave_side,
            name,
            fd,
            style,
            write,
            rng.next_u64() ^ i,
            &slave_stop,
        )?;
        let style = if rng.chance(500) {
            Style::Poll
        } else {
            Style::Epoll
        };
        let fd = io_ctx(pty.master.try_clone(), "dup master")?;
        let name = format!("chaos{slot} m{}", if write { "w" } else { "r" });
        start_churn(
            &mut master_side,
            name,
            fd,
            style,
            write,
            rng.next_u64() ^ i,
            &master_stop,
        )?;
    }
    let until = Instant::now() + Duration::from_millis(rng.range(100, 2000) as u64);
    let mut failure = None;
    while Instant::now() < until && failure.is_none() && !stop.load(Ordering::SeqCst) {
        failure = operate(rng, slave, master).err();
        nap(rng, 5);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut errors: Vec<String> = failure.into_iter().collect();
    let ending = rng.below(3);
    if ending == 0 {
        if let Err(e) = ioctl(slave, libc::TIOCVHANGUP, 0, "TIOCVHANGUP", Op::Vhangup) {
            errors.push(e);
        }
    }
    if ctty {
        // Give the controlling tty up (an error after a hangup is expected).
        let _ = ioctl(slave, libc::TIOCNOTTY, 0, "TIOCNOTTY", Op::Ctty);
    }
    master_stop.store(true, Ordering::SeqCst);
    errors.extend(stop_all(master_side, deadline));
    if ending == 1 {
        // The last master file goes while the slave's workers still sleep on it.
        drop(pty.master);
        count(Op::MasterClose);
        count(Op::Close);
        std::thread::sleep(Duration::from_millis(20));
    } else {
        drop(pty.master);
        count(Op::Close);
    }
    slave_stop.store(true, Ordering::SeqCst);
    errors.extend(stop_all(slave_side, deadline));
    drop(pty.slave);
    count(Op::Close);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// Runs generations of slot `slot` until `stop`; slot 0 makes each slave the controlling tty.
pub fn run_slot(slot: usize, seed: u64, stop: Arc<AtomicBool>) -> Result<(), String> {
    let mut rng = Rng::new(seed);
    let mut generations = 0u64;
    while !stop.load(Ordering::SeqCst) {
        generation(slot, &mut rng, slot == 0, &stop)
            .map_err(|e| format!("generation {generations}: {e}"))?;
        generations += 1;
    }
    Ok(())
}
