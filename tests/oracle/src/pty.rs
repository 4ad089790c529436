//! The host side: a pty pair whose slave is the controlling terminal of a child
//! process that reports the signals N_TTY sends to its foreground group.

use n_rust_engine::testing::{read_until_empty, ReadOnce};
use n_rust_engine::Termios;
use std::io;
use std::time::{Duration, Instant};

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// How long [`SignalReportingPty::wait_inq`] waits for the kernel to take the input: far
/// more than the receive work needs (microseconds) on a loaded machine.
pub const INPUT_WAIT: Duration = Duration::from_secs(2);

/// Signals the child can report, as bits of a mask.
pub const REPORTED: [libc::c_int; 5] = [
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGTSTP,
    libc::SIGTTIN,
    libc::SIGTTOU,
];

/// Puts `t`'s flags and control characters into the kernel's termios `k`; its other fields
/// (line speed, `c_line`) stay as they are.
pub fn put_termios(k: &mut libc::termios, t: &Termios) {
    k.c_iflag = t.iflag.bits();
    k.c_oflag = t.oflag.bits();
    k.c_lflag = t.lflag.bits();
    for (slot, c) in k.c_cc.iter_mut().zip(t.cc) {
        *slot = c;
    }
}

/// A pty pair whose slave is the controlling terminal of a child process that reports the
/// signals sent to its foreground group ([`REPORTED`], collected by
/// [`take_signals`](Self::take_signals)).
pub struct SignalReportingPty {
    /// The master (the terminal side), nonblocking.
    pub master: libc::c_int,
    /// The slave, nonblocking; the child's controlling terminal.
    pub slave: libc::c_int,
    child: libc::pid_t,
    cmd_w: libc::c_int,
    resp_r: libc::c_int,
    base: libc::termios,
}

impl SignalReportingPty {
    /// Open a pair and start the child.
    pub fn open() -> io::Result<SignalReportingPty> {
        // SAFETY: libc gets fds opened here and pointers to live locals or C strings of the sizes
        // given; all-zero `termios`/`sigset_t` are valid; the child is fork-safe (see below).
        unsafe {
            let m = cvt(libc::posix_openpt(
                libc::O_RDWR | libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_CLOEXEC,
            ))?;
            cvt(libc::grantpt(m))?;
            cvt(libc::unlockpt(m))?;
            let mut name = [0 as libc::c_char; 128];
            let r = libc::ptsname_r(m, name.as_mut_ptr(), name.len());
            if r != 0 {
                return Err(io::Error::from_raw_os_error(r));
            }
            let s = cvt(libc::open(
                name.as_ptr(),
                libc::O_RDWR | libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_CLOEXEC,
            ))?;
            let mut base: libc::termios = std::mem::zeroed();
            cvt(libc::tcgetattr(s, &mut base))?;

            let mut cmd = [0; 2];
            let mut resp = [0; 2];
            cvt(libc::pipe2(cmd.as_mut_ptr(), libc::O_CLOEXEC))?;
            cvt(libc::pipe2(resp.as_mut_ptr(), libc::O_CLOEXEC))?;
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for s in REPORTED {
                libc::sigaddset(&mut set, s);
            }
            libc::sigaddset(&mut set, libc::SIGHUP);
            libc::sigaddset(&mut set, libc::SIGCONT);
            let zero = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            let pid = libc::fork();
            if pid < 0 {
                return Err(io::Error::last_os_error());
            }
            if pid == 0 {
                // Child: only async-signal-safe calls from here on.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                // Do not hold the parent's output pipes open.
                let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
                if null >= 0 {
                    libc::dup2(null, 0);
                    libc::dup2(null, 1);
                    libc::dup2(null, 2);
                }
                libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
                libc::setsid();
                if libc::ioctl(s, libc::TIOCSCTTY, 0) < 0 {
                    libc::_exit(3);
                }
                let mut b = [b'R'];
                libc::write(resp[1], b.as_ptr().cast(), 1);
                loop {
                    if libc::read(cmd[0], b.as_mut_ptr().cast(), 1) != 1 {
                        libc::_exit(0);
                    }
                    let mut mask = 0u8;
                    loop {
                        let sig = libc::sigtimedwait(&set, std::ptr::null_mut(), &zero);
                        if sig < 0 {
                            break;
                        }
                        let mut i = 0;
                        while i < REPORTED.len() {
                            if REPORTED[i] == sig {
                                mask |= 1 << i;
                            }
                            i += 1;
                        }
                    }
                    let out = [mask];
                    libc::write(resp[1], out.as_ptr().cast(), 1);
                }
            }
            libc::close(cmd[0]);
            libc::close(resp[1]);
            let p = SignalReportingPty {
                master: m,
                slave: s,
                child: pid,
                cmd_w: cmd[1],
                resp_r: resp[0],
                base,
            };
            let mut b = [0u8];
            if libc::read(p.resp_r, b.as_mut_ptr().cast(), 1) != 1 {
                return Err(io::Error::other("signal child did not start"));
            }
            Ok(p)
        }
    }

    /// Pending signals of the foreground group since the last call, as a mask.
    pub fn take_signals(&self) -> io::Result<u8> {
        // SAFETY: `write` and `read` get one-byte local arrays with length 1, on the pipe fds
        // this pty owns.
        unsafe {
            let b = [b'Q'];
            if libc::write(self.cmd_w, b.as_ptr().cast(), 1) != 1 {
                return Err(io::Error::last_os_error());
            }
            let mut m = [0u8];
            if libc::read(self.resp_r, m.as_mut_ptr().cast(), 1) != 1 {
                return Err(io::Error::other("signal child gone"));
            }
            Ok(m[0])
        }
    }

    /// Set the slave's termios (flags and control characters of `t`).
    pub fn set_termios(&self, t: &Termios) -> io::Result<()> {
        let mut k = self.base;
        put_termios(&mut k, t);
        // SAFETY: `tcsetattr`/`tcgetattr` get the slave fd this pty owns and pointers to live
        // local `termios` values; an all-zero `termios` is a valid one to overwrite.
        unsafe {
            cvt(libc::tcsetattr(self.slave, libc::TCSANOW, &k))?;
            let mut back: libc::termios = std::mem::zeroed();
            cvt(libc::tcgetattr(self.slave, &mut back))?;
            if back.c_iflag != k.c_iflag
                || back.c_oflag != k.c_oflag
                || back.c_lflag != k.c_lflag
                || back.c_cc[..19] != k.c_cc[..19]
            {
                return Err(io::Error::other("termios not taken as set"));
            }
        }
        Ok(())
    }

    /// The slave's termios as the kernel holds it, as a [`Termios`] (flags and control
    /// characters).
    pub fn termios(&self) -> io::Result<Termios> {
        // SAFETY: `tcgetattr` gets the slave fd this pty owns and a pointer to a live local
        // `termios`; an all-zero `termios` is a valid one to overwrite.
        let k = unsafe {
            let mut k: libc::termios = std::mem::zeroed();
            cvt(libc::tcgetattr(self.slave, &mut k))?;
            k
        };
        let mut t = Termios::RAW;
        t.iflag = n_rust_engine::IFlag::from_bits(k.c_iflag);
        t.oflag = n_rust_engine::OFlag::from_bits(k.c_oflag);
        t.lflag = n_rust_engine::LFlag::from_bits(k.c_lflag);
        for (c, slot) in t.cc.iter_mut().zip(k.c_cc) {
            *c = slot;
        }
        Ok(t)
    }

    /// tcflow(TCOOFF) then tcflow(TCOON): output runs again.
    pub fn restart_output(&self) -> io::Result<()> {
        // SAFETY: `tcflow` takes no pointers; `self.slave` is the slave fd this pty owns.
        unsafe {
            cvt(libc::tcflow(self.slave, libc::TCOOFF))?;
            cvt(libc::tcflow(self.slave, libc::TCOON))?;
        }
        Ok(())
    }

    /// tcflush(TCIFLUSH).
    pub fn flush_input(&self) -> io::Result<()> {
        // SAFETY: `tcflush` takes no pointers; `self.slave` is the slave fd this pty owns.
        unsafe { cvt(libc::tcflush(self.slave, libc::TCIFLUSH)).map(|_| ()) }
    }

    fn rd(fd: libc::c_int, buf: &mut [u8]) -> io::Result<ReadOnce> {
        // SAFETY: `buf` is an exclusively borrowed buffer, writable for `buf.len()` bytes.
        let r = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if r > 0 {
            Ok(ReadOnce::Bytes(r as usize))
        } else if r == 0 {
            Ok(ReadOnce::Zero)
        } else {
            let e = io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EAGAIN) {
                Ok(ReadOnce::Empty)
            } else {
                Err(e)
            }
        }
    }

    /// One non-blocking read of the slave.
    pub fn read_slave(&self, buf: &mut [u8]) -> io::Result<ReadOnce> {
        Self::rd(self.slave, buf)
    }

    /// Everything the master can read now (the master's read flushes the
    /// pending flip-buffer work before it reports `EAGAIN`).
    pub fn drain_master(&self, out: &mut Vec<u8>) -> io::Result<()> {
        read_until_empty(
            &mut [0u8; 8192],
            false,
            usize::MAX,
            |buf| Self::rd(self.master, buf),
            |got| {
                out.extend_from_slice(got);
                Ok(())
            },
        )
        .map(|_| ())
    }

    /// Write all of `data` to the master (input to the slave's line discipline).
    pub fn write_master(&self, data: &[u8]) -> io::Result<()> {
        let mut off = 0;
        let mut spins = 0;
        while off < data.len() {
            // SAFETY: `data[off..]` is a borrowed slice, readable for `data.len() - off` bytes.
            let r =
                unsafe { libc::write(self.master, data[off..].as_ptr().cast(), data.len() - off) };
            if r < 0 {
                let e = io::Error::last_os_error();
                if e.raw_os_error() == Some(libc::EAGAIN) && spins < 1000 {
                    spins += 1;
                    std::thread::yield_now();
                    continue;
                }
                return Err(e);
            }
            off += r as usize;
        }
        Ok(())
    }

    /// A program's write to the slave; `Ok(0)` for `EAGAIN`.
    pub fn write_slave(&self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        // SAFETY: `data` is a borrowed slice, readable for `data.len()` bytes.
        let r = unsafe { libc::write(self.slave, data.as_ptr().cast(), data.len()) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EAGAIN) {
                return Ok(0);
            }
            return Err(e);
        }
        Ok(r as usize)
    }

    /// What `TIOCINQ` (`FIONREAD`) says of the slave: the bytes a reader can have now.
    pub fn inq(&self) -> io::Result<usize> {
        let mut n: libc::c_int = 0;
        // SAFETY: `TIOCINQ` writes one int through the pointer, to the live local `n`.
        cvt(unsafe { libc::ioctl(self.slave, libc::TIOCINQ, &mut n) })?;
        Ok(n as usize)
    }

    /// Waits until the slave's line discipline has taken the input written to the master as
    /// far as `TIOCINQ` reaching `want` shows (what the engine holds for a reader after the
    /// same input), at most [`INPUT_WAIT`]; returns what `TIOCINQ` said last.
    ///
    /// A read alone does not wait for input still in the flip buffer when some input is
    /// already there (`n_tty_read` flushes the receive work only when nothing is available),
    /// so a reader racing the work sees a split that depends on timing.
    pub fn wait_inq(&self, want: usize) -> io::Result<usize> {
        let start = Instant::now();
        loop {
            let n = self.inq()?;
            if n == want || start.elapsed() > INPUT_WAIT {
                return Ok(n);
            }
            std::thread::yield_now();
        }
    }

    /// Wait for the slave's pending input processing without reading: `poll`
    /// flushes the receive work when no input is reported available.
    pub fn poll_slave(&self) {
        let mut p = libc::pollfd {
            fd: self.slave,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: `p` is one live, writable `pollfd`, and `poll` is told there is one.
        unsafe {
            libc::poll(&mut p, 1, 0);
        }
    }
}

impl Drop for SignalReportingPty {
    fn drop(&mut self) {
        // SAFETY: `child` is this pty's own child and `st` a live int; the fds are the ones this
        // pty owns, closed once here as it is dropped only once.
        unsafe {
            libc::kill(self.child, libc::SIGKILL);
            let mut st = 0;
            libc::waitpid(self.child, &mut st, 0);
            libc::close(self.cmd_w);
            libc::close(self.resp_r);
            libc::close(self.slave);
            libc::close(self.master);
        }
    }
}
