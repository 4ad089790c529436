//! One side of the differential test: a pty pair whose slave has a given discipline, and the
//! system calls the test makes on it, each recorded as its result ([`Res`]). Blocking calls
//! run under a watchdog.

use crate::observation::{Family, Obs, Want};
use crate::scenario::When;
use n_rust_engine::testing::{read_until_empty, ReadOnce, ReadsEnded};
use n_rust_engine::Termios;
use n_rust_oracle::esc;
use n_rust_oracle::pty::{put_termios, SignalReportingPty};
use std::convert::Infallible;
use std::io;

/// The result of one system call: a return value (with the bytes read, for a read) or an
/// errno.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Res {
    Ok(isize, Vec<u8>),
    Err(i32),
}

impl Res {
    /// The result of a call that returned `ret` (`errno` when negative), with `data` read.
    pub fn of(ret: isize, data: &[u8]) -> Res {
        if ret < 0 {
            Res::Err(io::Error::last_os_error().raw_os_error().unwrap_or(0))
        } else {
            Res::Ok(ret, data.to_vec())
        }
    }

    /// The result as the report shows it: `3 b"abc"`, `-1 EAGAIN(11)`.
    pub fn show(&self) -> String {
        match self {
            Res::Ok(n, d) if d.is_empty() => format!("{n}"),
            Res::Ok(n, d) => format!("{n} {}", esc(d)),
            Res::Err(e) => format!("-1 {}", errno_name(*e)),
        }
    }
}

fn errno_name(e: i32) -> String {
    let name = match e {
        libc::EAGAIN => "EAGAIN",
        libc::EINTR => "EINTR (hung: the watchdog fired)",
        libc::EIO => "EIO",
        libc::EINVAL => "EINVAL",
        libc::ENOTTY => "ENOTTY",
        libc::EPERM => "EPERM",
        _ => "",
    };
    format!("{name}({e})")
}

/// One side: a pty pair (with the oracle's child that holds the slave as its controlling
/// terminal and reports signals) and the discipline on the slave.
pub struct Side {
    pub pty: SignalReportingPty,
}

const POLL_EVENTS: i16 = libc::POLLIN | libc::POLLPRI | libc::POLLOUT | libc::POLLRDNORM;

impl Side {
    /// Opens a pair (and its signal-reporting child) and puts discipline `disc` on it
    /// (`disciplines::put_on_pty`: on the slave, and in the takeover guest on the master too;
    /// nothing for the default, 0).
    pub fn open(disc: i32) -> io::Result<Side> {
        let pty = SignalReportingPty::open()?;
        n_rust_guest_tests::disciplines::put_on_pty(pty.master, pty.slave, disc)?;
        Ok(Side { pty })
    }

    fn fd(&self) -> libc::c_int {
        self.pty.slave
    }

    /// The slave's `poll` mask with a 0 timeout (-1 if `poll` failed).
    pub fn poll(&self) -> i16 {
        let mut p = libc::pollfd {
            fd: self.fd(),
            events: POLL_EVENTS,
            revents: 0,
        };
        // SAFETY: One valid pollfd.
        let n = unsafe { libc::poll(&mut p, 1, 0) };
        if n < 0 {
            -1
        } else {
            p.revents
        }
    }

    /// An ioctl that returns an int (`TIOCINQ`, `TIOCOUTQ`).
    pub fn ioctl_int(&self, req: libc::c_ulong) -> Res {
        let mut v: libc::c_int = -1;
        // SAFETY: TIOCINQ and TIOCOUTQ write one int to a valid pointer.
        let r = unsafe { libc::ioctl(self.fd(), req, &mut v) };
        if r < 0 {
            Res::of(-1, &[])
        } else {
            Res::Ok(v as isize, Vec::new())
        }
    }

    /// An ioctl that takes an int argument (`TCFLSH`, `TCXONC`).
    pub fn ioctl_arg(&self, req: libc::c_ulong, arg: libc::c_int) -> Res {
        // SAFETY: TCFLSH and TCXONC take an integer argument.
        let r = unsafe { libc::ioctl(self.fd(), req, arg as libc::c_ulong) };
        Res::of(r as isize, &[])
    }

    /// `TIOCSTI` of byte `b`.
    pub fn sti(&self, b: u8) -> Res {
        // SAFETY: TIOCSTI reads one byte from a valid pointer.
        let r = unsafe { libc::ioctl(self.fd(), libc::TIOCSTI, &b) };
        Res::of(r as isize, &[])
    }

    fn set_nonblocking(&self, on: bool) {
        // SAFETY: fcntl on an fd we own.
        unsafe {
            let fl = libc::fcntl(self.fd(), libc::F_GETFL);
            let fl = if on {
                fl | libc::O_NONBLOCK
            } else {
                fl & !libc::O_NONBLOCK
            };
            libc::fcntl(self.fd(), libc::F_SETFL, fl);
        }
    }

    /// One `read(2)` of up to `size` bytes; a blocking one under the watchdog.
    pub fn read(&self, size: usize, blocking: bool) -> Res {
        self.read_into(&mut vec![0u8; size], blocking)
    }

    /// One `read(2)` into `buf`; a blocking one under the watchdog.
    fn read_into(&self, buf: &mut [u8], blocking: bool) -> Res {
        if blocking {
            self.set_nonblocking(false);
            watchdog(true);
        }
        // SAFETY: `buf` is valid for writes of its length.
        let r = unsafe { libc::read(self.fd(), buf.as_mut_ptr().cast(), buf.len()) };
        let res = Res::of(r, if r > 0 { &buf[..r as usize] } else { &[] });
        if blocking {
            watchdog(false);
            self.set_nonblocking(true);
        }
        res
    }

    /// A program's `write(2)` of `data` to the slave; a blocking one under the watchdog.
    pub fn write(&self, data: &[u8], blocking: bool) -> Res {
        if blocking {
            self.set_nonblocking(false);
            watchdog(true);
        }
        // SAFETY: `data` is valid for reads of its length.
        let r = unsafe { libc::write(self.fd(), data.as_ptr().cast(), data.len()) };
        let res = Res::of(r, &[]);
        if blocking {
            watchdog(false);
            self.set_nonblocking(true);
        }
        res
    }

    /// Nonblocking reads of `size` until `EAGAIN`, an error, or 0 outside canonical mode (or
    /// of a 0-byte buffer, which reads 0 every time), each recorded in `out`.
    pub fn read_all(&self, size: usize, canonical: bool, out: &mut Vec<(Family, Res)>) {
        let Ok(ended) = read_until_empty::<Infallible>(
            &mut vec![0u8; size],
            canonical && size > 0,
            10_000,
            |buf| {
                let r = self.read_into(buf, false);
                let once = match &r {
                    Res::Ok(0, _) => ReadOnce::Zero,
                    Res::Ok(n, _) => ReadOnce::Bytes(*n as usize),
                    Res::Err(_) => ReadOnce::Empty,
                };
                out.push((Family::Read, r));
                Ok(once)
            },
            |_| Ok(()),
        );
        if ended == ReadsEnded::AtLimit {
            out.push((Family::Harness, Res::Err(libc::E2BIG)));
        }
    }

    /// `tcsetattr` of `t`'s flags and control characters, applied as `when` says.
    pub fn set_termios(&self, t: &Termios, when: When) -> Res {
        // SAFETY: `termios` is plain data filled by tcgetattr before it is changed and set.
        unsafe {
            let mut k: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(self.fd(), &mut k) < 0 {
                return Res::of(-1, &[]);
            }
            put_termios(&mut k, t);
            let how = match when {
                When::Now => libc::TCSANOW,
                When::Drain => libc::TCSADRAIN,
                When::Flush => libc::TCSAFLUSH,
            };
            Res::of(libc::tcsetattr(self.fd(), how, &k) as isize, &[])
        }
    }

    /// Fills `obs` after an operation: the poll mask (unless already final), `TIOCINQ`, and
    /// what `want` asks for.
    pub fn observe(&self, obs: &mut Obs, want: Want) -> io::Result<()> {
        if !obs.polled {
            obs.poll = self.poll();
        }
        obs.inq = Some(self.ioctl_int(libc::TIOCINQ));
        if want.outq {
            obs.outq = Some(self.ioctl_int(libc::TIOCOUTQ));
        }
        if want.master {
            self.pty.drain_master(&mut obs.master)?;
        }
        if want.signals {
            obs.signals = self.pty.take_signals()?;
        }
        Ok(())
    }
}

extern "C" fn on_alarm(_: libc::c_int) {}

/// Installs the SIGALRM handler (without `SA_RESTART`, so a hung read or write returns
/// `EINTR`).
pub fn install_watchdog() {
    // SAFETY: A handler that does nothing is async-signal-safe; `sa` is fully initialised.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_alarm as *const () as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGALRM, &sa, std::ptr::null_mut());
    }
}

/// Arms (3 s) or disarms the watchdog of a blocking call.
fn watchdog(on: bool) {
    let t = libc::itimerval {
        it_interval: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        it_value: libc::timeval {
            tv_sec: if on { 3 } else { 0 },
            tv_usec: 0,
        },
    };
    // SAFETY: Valid itimerval; the old value is not wanted.
    unsafe { libc::setitimer(libc::ITIMER_REAL, &t, std::ptr::null_mut()) };
}
