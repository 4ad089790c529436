//! Behaviours the differential test leaves out, checked on N_TTY and on n_rust alike:
//! VMIN/VTIME timers, the other end of a pty closing, and packet mode (`TIOCPKT`) on a
//! master whose discipline is the one under test.

use crate::sys;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// Sets raw mode with the given VMIN and VTIME on `fd`.
fn set_vmin_vtime(fd: &OwnedFd, vmin: u8, vtime: u8) -> Result<(), String> {
    // SAFETY: `termios` is plain data, filled by tcgetattr before use.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        sys::check(libc::tcgetattr(fd.as_raw_fd(), &mut t) as libc::c_long)
            .map_err(|e| format!("tcgetattr: {e}"))?;
        libc::cfmakeraw(&mut t);
        t.c_cc[libc::VMIN] = vmin;
        t.c_cc[libc::VTIME] = vtime;
        sys::check(libc::tcsetattr(fd.as_raw_fd(), libc::TCSANOW, &t) as libc::c_long)
            .map_err(|e| format!("tcsetattr: {e}"))?;
    }
    Ok(())
}

/// One blocking `read` of up to `len` bytes: the bytes (or errno) and how long it took.
fn timed_read(fd: &OwnedFd, len: usize) -> (Result<Vec<u8>, i32>, Duration) {
    let mut buf = vec![0u8; len];
    let start = Instant::now();
    // SAFETY: `buf` is valid for writes of its length.
    let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    let took = start.elapsed();
    if n < 0 {
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        return (Err(errno), took);
    }
    buf.truncate(n as usize);
    (Ok(buf), took)
}

/// A fresh pty pair whose slave runs discipline `disc` (`disciplines::put_on_pty`).
fn pty_on(disc: i32) -> Result<sys::Pty, String> {
    let pty =
        sys::open_pty_on(libc::O_NOCTTY, disc).map_err(|e| format!("pty on ldisc {disc}: {e}"))?;
    sys::make_raw(&pty.master).map_err(|e| format!("raw master: {e}"))?;
    Ok(pty)
}

/// What a discipline did in the VMIN/VTIME cases: per case, the read result and whether it
/// returned before, or only after, the timer could have fired. Durations themselves are not
/// compared (TCG timing varies); which side of the timer the read returned on is.
pub fn vmin_vtime(disc: i32) -> Result<Vec<String>, String> {
    let mut seen = Vec::new();
    // VMIN=0, VTIME=15: nothing arrives, the read returns 0 after 1.5 s. (A long timer and
    // a wide margin, so that a stall of the emulated machine cannot flip the data case.)
    let pty = pty_on(disc)?;
    set_vmin_vtime(&pty.slave, 0, 15)?;
    let (r, took) = timed_read(&pty.slave, 16);
    seen.push(format!(
        "vmin0 vtime15 idle: {r:?}, waited {}",
        took >= Duration::from_millis(1000)
    ));
    // VMIN=0, VTIME=15 with a byte already there: returns it at once.
    sys::write_all(&pty.master, b"x").map_err(|e| e.to_string())?;
    sys::wait_readable(&pty.slave, 2000).map_err(|e| e.to_string())?;
    let (r, took) = timed_read(&pty.slave, 16);
    seen.push(format!(
        "vmin0 vtime15 data: {r:?}, waited {}",
        took >= Duration::from_millis(1000)
    ));
    // VMIN=3, VTIME=2: two bytes, then silence: the inter-byte timer returns them.
    set_vmin_vtime(&pty.slave, 3, 2)?;
    sys::write_all(&pty.master, b"ab").map_err(|e| e.to_string())?;
    let (r, took) = timed_read(&pty.slave, 16);
    seen.push(format!(
        "vmin3 vtime2 two bytes: {r:?}, waited {}",
        took >= Duration::from_millis(150)
    ));
    // VMIN=3, VTIME=0: a writer sends 1 byte now and 2 later; the read waits for all 3.
    set_vmin_vtime(&pty.slave, 3, 0)?;
    let master = pty.master.try_clone().map_err(|e| e.to_string())?;
    let writer = std::thread::spawn(move || {
        let _ = sys::write_all(&master, b"1");
        std::thread::sleep(Duration::from_millis(300));
        let _ = sys::write_all(&master, b"23");
    });
    let (r, took) = timed_read(&pty.slave, 16);
    let _ = writer.join();
    seen.push(format!(
        "vmin3 vtime0 split: {r:?}, waited {}",
        took >= Duration::from_millis(250)
    ));
    Ok(seen)
}

/// Reads and poll on a slave after its master closed (the slave is hung up).
pub fn other_side_closed(disc: i32) -> Result<Vec<String>, String> {
    let mut seen = Vec::new();
    let pty = pty_on(disc)?;
    sys::write_all(&pty.master, b"line\n").map_err(|e| e.to_string())?;
    sys::wait_readable(&pty.slave, 2000).map_err(|e| e.to_string())?;
    let sys::Pty { master, slave } = pty;
    drop(master);
    for _ in 0..3 {
        let (r, _) = timed_read(&slave, 64);
        seen.push(format!("{r:?}"));
    }
    let mut pfd = libc::pollfd {
        fd: slave.as_raw_fd(),
        events: libc::POLLIN | libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: One valid pollfd.
    unsafe { libc::poll(&mut pfd, 1, 0) };
    seen.push(format!("poll {:#x}", pfd.revents));
    Ok(seen)
}

/// Packet mode on a master that runs discipline `disc`: what its reader gets when the slave
/// flushes input and output, stops and starts output, and writes data.
pub fn packet_mode(disc: i32) -> Result<Vec<String>, String> {
    let mut seen = Vec::new();
    let pty = sys::open_pty(libc::O_NOCTTY).map_err(|e| format!("open pty: {e}"))?;
    // The default (0) is left as the pair came: in the takeover guest it is n_rust, and
    // N_TTY's side gets N_TTY on the slave too (`disciplines`).
    if disc != 0 {
        sys::set_ldisc(&pty.master, disc)
            .map_err(|e| format!("TIOCSETD {disc} on the master: {e}"))?;
        if crate::disciplines::takeover_ntty().is_some() {
            sys::set_ldisc(&pty.slave, disc)
                .map_err(|e| format!("TIOCSETD {disc} on the slave: {e}"))?;
        }
    }
    sys::make_raw(&pty.master).map_err(|e| format!("raw master: {e}"))?;
    sys::make_raw(&pty.slave).map_err(|e| format!("raw slave: {e}"))?;
    let on: libc::c_int = 1;
    // SAFETY: TIOCPKT reads one int from the pointer, valid for the call.
    sys::check(unsafe { libc::ioctl(pty.master.as_raw_fd(), libc::TIOCPKT, &on) } as libc::c_long)
        .map_err(|e| format!("TIOCPKT: {e}"))?;
    let steps: [(&str, &dyn Fn() -> i32); 4] = [
        // SAFETY: A plain termios call, no pointers, on the slave fd `pty` owns and keeps open.
        ("tcflush(TCIOFLUSH)", &|| unsafe {
            libc::tcflush(pty.slave.as_raw_fd(), libc::TCIOFLUSH)
        }),
        // SAFETY: A plain termios call, no pointers, on the slave fd `pty` owns and keeps open.
        ("tcflow(TCOOFF)", &|| unsafe {
            libc::tcflow(pty.slave.as_raw_fd(), libc::TCOOFF)
        }),
        // SAFETY: A plain termios call, no pointers, on the slave fd `pty` owns and keeps open.
        ("tcflow(TCOON)", &|| unsafe {
            libc::tcflow(pty.slave.as_raw_fd(), libc::TCOON)
        }),
        // SAFETY: `write` reads 2 bytes from the 2-byte static `b"hi"`, on the slave fd `pty`
        // owns and keeps open.
        ("write data", &|| unsafe {
            libc::write(pty.slave.as_raw_fd(), b"hi".as_ptr().cast(), 2) as i32
        }),
    ];
    for (name, step) in steps {
        let rc = step();
        let ready = sys::wait_readable(&pty.master, 2000).map_err(|e| e.to_string())?;
        let (r, _) = if ready {
            timed_read(&pty.master, 64)
        } else {
            (Err(0), Duration::ZERO)
        };
        seen.push(format!("{name} -> {rc}: {r:?}"));
    }
    Ok(seen)
}
