//! One direction of one open tty file in one style: a blocking `read`/`write`, or a
//! non-blocking one after `poll`, or after `epoll_wait`. Waits are short (50 ms) so a worker
//! sees its stop flag; every call's outcome is counted.

use crate::counts::{count, Op};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// How a worker waits for its file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// A blocking file: the call itself sleeps.
    Blocking,
    /// A non-blocking file, `poll` before each call.
    Poll,
    /// A non-blocking file, `epoll_wait` before each call.
    Epoll,
}

impl Style {
    /// The style for index `i`: the three in turn.
    pub fn nth(i: usize) -> Style {
        [Style::Blocking, Style::Poll, Style::Epoll][i % 3]
    }
}

/// What one call did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Io {
    /// Moved this many bytes (more than zero).
    Done(usize),
    /// `read` returned 0.
    Eof,
    /// Nothing yet: a wait timed out or the call returned `EAGAIN`.
    Idle,
    /// A signal arrived (`EINTR`).
    Interrupted,
    /// Any other errno.
    Errno(i32),
}

/// One direction (reading or writing) of one open file, in one style.
pub struct Endpoint {
    fd: OwnedFd,
    style: Style,
    epoll: Option<OwnedFd>,
    events: i16,
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

impl Endpoint {
    /// Reads from `fd` in `style`; sets or clears `O_NONBLOCK` on its open file to match.
    pub fn reader(fd: OwnedFd, style: Style) -> std::io::Result<Self> {
        Self::new(fd, style, libc::POLLIN)
    }

    /// Writes to `fd` in `style`, as [`Endpoint::reader`].
    pub fn writer(fd: OwnedFd, style: Style) -> std::io::Result<Self> {
        Self::new(fd, style, libc::POLLOUT)
    }

    fn new(fd: OwnedFd, style: Style, events: i16) -> std::io::Result<Self> {
        let raw = fd.as_raw_fd();
        // SAFETY: fcntl on an fd we own.
        unsafe {
            let flags = libc::fcntl(raw, libc::F_GETFL);
            let flags = if style == Style::Blocking {
                flags & !libc::O_NONBLOCK
            } else {
                flags | libc::O_NONBLOCK
            };
            if libc::fcntl(raw, libc::F_SETFL, flags) < 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        let epoll = if style == Style::Epoll {
            // SAFETY: epoll_create1 returns a new fd or -1.
            let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
            if ep < 0 {
                return Err(std::io::Error::last_os_error());
            }
            // SAFETY: `ep` was just created and is ours alone.
            let ep = unsafe { OwnedFd::from_raw_fd(ep as RawFd) };
            let mut ev = libc::epoll_event {
                events: events as u32,
                u64: 0,
            };
            // SAFETY: Both fds are open; `ev` is valid for the call.
            if unsafe { libc::epoll_ctl(ep.as_raw_fd(), libc::EPOLL_CTL_ADD, raw, &mut ev) } < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Some(ep)
        } else {
            None
        };
        Ok(Self {
            fd,
            style,
            epoll,
            events,
        })
    }

    /// The file descriptor, for ioctls.
    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Waits up to 50 ms for the file to be ready (poll styles); `Some` is the outcome when
    /// it is not ready.
    fn wait(&self) -> Option<Io> {
        let n = match self.style {
            Style::Blocking => return None,
            Style::Poll => {
                let mut pfd = libc::pollfd {
                    fd: self.fd(),
                    events: self.events,
                    revents: 0,
                };
                // SAFETY: One valid pollfd.
                unsafe { libc::poll(&mut pfd, 1, 50) }
            }
            Style::Epoll => {
                let mut ev = libc::epoll_event { events: 0, u64: 0 };
                let ep = self.epoll.as_ref().expect("epoll fd of an Epoll endpoint");
                // SAFETY: One valid event slot.
                unsafe { libc::epoll_wait(ep.as_raw_fd(), &mut ev, 1, 50) }
            }
        };
        match n {
            0 => {
                count(Op::WaitIdle);
                Some(Io::Idle)
            }
            n if n > 0 => None,
            _ => Some(Self::failed(errno())),
        }
    }

    fn failed(e: i32) -> Io {
        match e {
            libc::EINTR => {
                count(Op::Interrupted);
                Io::Interrupted
            }
            libc::EAGAIN => {
                count(Op::WouldBlock);
                Io::Idle
            }
            e => Io::Errno(e),
        }
    }

    /// One `read` into `buf` (after the style's wait).
    pub fn read(&self, buf: &mut [u8]) -> Io {
        if let Some(io) = self.wait() {
            return io;
        }
        // SAFETY: `buf` is valid for writes of its length.
        let n = unsafe { libc::read(self.fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n > 0 {
            count(match self.style {
                Style::Blocking => Op::ReadBlocking,
                Style::Poll => Op::ReadPoll,
                Style::Epoll => Op::ReadEpoll,
            });
            Io::Done(n as usize)
        } else if n == 0 {
            Io::Eof
        } else {
            Self::failed(errno())
        }
    }

    /// One `write` of `data` (after the style's wait).
    pub fn write(&self, data: &[u8]) -> Io {
        if let Some(io) = self.wait() {
            return io;
        }
        // SAFETY: `data` is valid for reads of its length.
        let n = unsafe { libc::write(self.fd(), data.as_ptr().cast(), data.len()) };
        if n > 0 {
            count(Op::Write);
            Io::Done(n as usize)
        } else if n == 0 {
            Io::Idle
        } else {
            Self::failed(errno())
        }
    }
}

/// Opens the slave of the pty whose master is `master` again (`TIOCGPTPEER`: a new open file,
/// so its `O_NONBLOCK` is its own, of this very pty whatever devpts instance `/dev/pts` is).
pub fn open_peer(master: &OwnedFd) -> std::io::Result<OwnedFd> {
    // SAFETY: TIOCGPTPEER takes open flags by value and returns a new fd, owned by the result.
    let fd = unsafe {
        libc::ioctl(
            master.as_raw_fd(),
            libc::TIOCGPTPEER,
            libc::O_RDWR | libc::O_NOCTTY,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned to us.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}
