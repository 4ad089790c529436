//! Thin wrappers over the system calls the guest tests use, returning `io::Result`.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// `N_DEVELOPMENT`, the default number n_rust registers.
pub const N_DEVELOPMENT: i32 = 29;

/// Turns a `-1` return into the current `errno`.
pub fn check(ret: libc::c_long) -> io::Result<libc::c_long> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Loads the module file at `path` with the parameter string `params` (`finit_module`).
pub fn insmod(path: &str, params: &str) -> io::Result<()> {
    let file = File::open(path)?;
    let params = CString::new(params).expect("no NUL in module parameters");
    // SAFETY: The fd is open for the call and `params` is a NUL-terminated string.
    check(unsafe { libc::syscall(libc::SYS_finit_module, file.as_raw_fd(), params.as_ptr(), 0) })?;
    Ok(())
}

/// Unloads the module `name` without waiting (`delete_module` with `O_NONBLOCK`, as rmmod).
pub fn rmmod(name: &str) -> io::Result<()> {
    let name = CString::new(name).expect("no NUL in module name");
    // SAFETY: `name` is a NUL-terminated string.
    check(unsafe { libc::syscall(libc::SYS_delete_module, name.as_ptr(), libc::O_NONBLOCK) })?;
    Ok(())
}

/// A pty pair: the master and the slave, both open read-write.
pub struct Pty {
    /// The master (`/dev/ptmx`) side: what a terminal emulator holds.
    pub master: OwnedFd,
    /// The slave (`/dev/pts/N`) side: what the program in the terminal holds.
    pub slave: OwnedFd,
}

/// Opens a new pty pair; `flags` are extra `open` flags for the slave (e.g. `O_NOCTTY`).
pub fn open_pty(slave_flags: libc::c_int) -> io::Result<Pty> {
    // SAFETY: Plain syscalls on fds we own; `ptsname_r` writes into our buffer.
    unsafe {
        let master =
            check(libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY) as libc::c_long)? as RawFd;
        let master = OwnedFd::from_raw_fd(master);
        check(libc::grantpt(master.as_raw_fd()) as libc::c_long)?;
        check(libc::unlockpt(master.as_raw_fd()) as libc::c_long)?;
        let mut name = [0 as libc::c_char; 64];
        let rc = libc::ptsname_r(master.as_raw_fd(), name.as_mut_ptr(), name.len());
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        let slave =
            check(libc::open(name.as_ptr(), libc::O_RDWR | slave_flags) as libc::c_long)? as RawFd;
        Ok(Pty {
            master,
            slave: OwnedFd::from_raw_fd(slave),
        })
    }
}

/// Opens a device node read-write without making it the controlling tty.
pub fn open_rw(path: &str, extra: libc::c_int) -> io::Result<OwnedFd> {
    let path = CString::new(path).expect("no NUL in path");
    // SAFETY: `path` is NUL-terminated; the returned fd is owned by the result.
    let fd = check(
        unsafe { libc::open(path.as_ptr(), libc::O_RDWR | libc::O_NOCTTY | extra) } as libc::c_long,
    )?;
    // SAFETY: `fd` was just opened and is ours.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// `ioctl(fd, TIOCSETD, &disc)`.
pub fn set_ldisc(fd: &OwnedFd, disc: i32) -> io::Result<()> {
    set_ldisc_fd(fd.as_fd(), disc)
}

/// `ioctl(fd, TIOCSETD, &disc)` on a borrowed fd.
pub fn set_ldisc_fd(fd: BorrowedFd<'_>, disc: i32) -> io::Result<()> {
    // SAFETY: TIOCSETD reads one int from the pointer, which is valid for the call.
    check(unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCSETD, &disc) } as libc::c_long)?;
    Ok(())
}

/// `ioctl(fd, TIOCGETD, &disc)`.
pub fn get_ldisc(fd: &OwnedFd) -> io::Result<i32> {
    get_ldisc_fd(fd.as_fd())
}

/// `ioctl(fd, TIOCGETD, &disc)` on a borrowed fd.
pub fn get_ldisc_fd(fd: BorrowedFd<'_>) -> io::Result<i32> {
    let mut disc: libc::c_int = -1;
    // SAFETY: TIOCGETD writes one int to the pointer, which is valid for the call.
    check(unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCGETD, &mut disc) } as libc::c_long)?;
    Ok(disc)
}

/// A new pty pair (slave opened with `slave_flags`) on discipline `disc`, as
/// [`crate::disciplines::put_on_pty`] puts it there.
pub fn open_pty_on(slave_flags: libc::c_int, disc: i32) -> io::Result<Pty> {
    let pty = open_pty(slave_flags)?;
    crate::disciplines::put_on_pty(pty.master.as_raw_fd(), pty.slave.as_raw_fd(), disc)?;
    Ok(pty)
}

/// Sets raw mode (`cfmakeraw`) on a tty so N_TTY passes bytes through unchanged.
pub fn make_raw(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: `termios` is plain data, filled by tcgetattr before use.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        check(libc::tcgetattr(fd.as_raw_fd(), &mut t) as libc::c_long)?;
        libc::cfmakeraw(&mut t);
        check(libc::tcsetattr(fd.as_raw_fd(), libc::TCSANOW, &t) as libc::c_long)?;
    }
    Ok(())
}

/// Writes all of `data`.
pub fn write_all(fd: &OwnedFd, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        // SAFETY: `data` is valid for reads of its length.
        let n = check(
            unsafe { libc::write(fd.as_raw_fd(), data.as_ptr().cast(), data.len()) }
                as libc::c_long,
        )?;
        data = &data[n as usize..];
    }
    Ok(())
}

/// Writes all of `data` to a non-blocking fd, waiting for `POLLOUT` when it is full.
pub fn write_all_nonblocking(fd: &OwnedFd, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        // SAFETY: `data` is valid for reads of its length.
        let n = unsafe { libc::write(fd.as_raw_fd(), data.as_ptr().cast(), data.len()) };
        if n >= 0 {
            data = &data[n as usize..];
            continue;
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EAGAIN) {
            return Err(err);
        }
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLOUT,
            revents: 0,
        };
        // SAFETY: One valid pollfd.
        if check(unsafe { libc::poll(&mut pfd, 1, 5000) } as libc::c_long)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no write room for 5 s",
            ));
        }
    }
    Ok(())
}

/// Waits up to `timeout_ms` for `fd` to become readable; `Ok(false)` on timeout.
pub fn wait_readable(fd: &OwnedFd, timeout_ms: i32) -> io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: One valid pollfd.
    let n = check(unsafe { libc::poll(&mut pfd, 1, timeout_ms) } as libc::c_long)?;
    Ok(n > 0)
}

/// Reads exactly `len` bytes, waiting at most `timeout_ms` for each chunk.
pub fn read_exact_timeout(fd: &OwnedFd, len: usize, timeout_ms: i32) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(len);
    let mut buf = [0u8; 4096];
    while out.len() < len {
        if !wait_readable(fd, timeout_ms)? {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "read {} of {} bytes, then nothing for {timeout_ms} ms",
                    out.len(),
                    len
                ),
            ));
        }
        let want = (len - out.len()).min(buf.len());
        // SAFETY: `buf` is valid for writes of `want` bytes.
        let n = check(
            unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), want) } as libc::c_long,
        )?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "end of file"));
        }
        out.extend_from_slice(&buf[..n as usize]);
    }
    Ok(out)
}

/// Whether `needle` occurs in the text file at `path`.
pub fn file_contains(path: &str, needle: &str) -> io::Result<bool> {
    Ok(std::fs::read_to_string(path)?.contains(needle))
}

/// Kernel log lines that mean something went wrong in the kernel (the same patterns as the
/// host's check of the console log in `qemu/run.sh`).
pub fn kernel_problems() -> Result<Vec<String>, String> {
    const PROBLEMS: [&str; 8] = [
        "WARNING:",
        "BUG:",
        "Oops",
        "possible circular locking",
        "possible recursive locking",
        "suspicious RCU usage",
        "blocked for more than",
        "UBSAN:",
    ];
    let out = std::process::Command::new("dmesg")
        .output()
        .map_err(|e| format!("running dmesg: {e}"))?;
    let log = String::from_utf8_lossy(&out.stdout);
    Ok(log
        .lines()
        .filter(|l| PROBLEMS.iter().any(|p| l.contains(p)))
        .map(str::to_owned)
        .collect())
}
