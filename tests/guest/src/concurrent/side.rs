//! One side of the differential: a pty pair whose end under test runs one discipline, the
//! scenario's actors on it, and what is observed.

use crate::actor::{quiesce, Activity, Actor, Class, Res};
use crate::obs::{sigio_signal, take_sigio, Obs, F_SETSIG};
use crate::scenario::{Call, Disc, End, Layout, Scenario, Tio};
use n_rust_guest_tests::disciplines::takeover_ntty;
use n_rust_guest_tests::sys;
use std::os::fd::{AsRawFd, IntoRawFd, RawFd};

/// The disciplines of a side: its own and the one `Disc::Other` switches to.
#[derive(Clone, Copy, Debug)]
pub struct Discs {
    pub own: i32,
    pub other: i32,
}

/// A pty pair of one side, its files, and its discipline numbers.
pub struct Side {
    discs: Discs,
    layout: Layout,
    master: RawFd,
    slave: RawFd,
    /// A second file of the slave, `O_NONBLOCK`.
    slave_nb: RawFd,
    /// `/dev/null`, which replaces a closed end's descriptor.
    null: RawFd,
    peer_closed: bool,
    /// Actors that are still running and must be waited for (settling polls among them).
    extra: Vec<Actor>,
}

fn set_tio(fd: RawFd, tio: &Tio, how: i32) -> i64 {
    // SAFETY: `t` is plain data filled by tcgetattr before it is changed and set.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut t) < 0 {
            return -1;
        }
        libc::cfmakeraw(&mut t);
        if tio.icanon {
            t.c_lflag |= libc::ICANON | libc::IEXTEN;
            t.c_iflag |= libc::ICRNL;
        }
        if tio.echo {
            t.c_lflag |= libc::ECHO | libc::ECHOE | libc::ECHOK | libc::ECHOCTL | libc::ECHOKE;
        }
        if tio.isig {
            t.c_lflag |= libc::ISIG;
        }
        if tio.opost {
            t.c_oflag |= libc::OPOST | libc::ONLCR;
        }
        t.c_cc[libc::VMIN] = tio.vmin;
        t.c_cc[libc::VTIME] = tio.vtime;
        i64::from(libc::tcsetattr(fd, how, &t))
    }
}

fn ioctl_int(fd: RawFd, req: libc::c_ulong) -> Res {
    let mut v: libc::c_int = -1;
    // SAFETY: TIOCINQ, TIOCGETD and friends write one int to a valid pointer.
    let r = unsafe { libc::ioctl(fd, req, &mut v) };
    if r < 0 {
        Res::of(-1, &[])
    } else {
        Res::Ok(i64::from(v), Vec::new())
    }
}

fn read_fd(fd: RawFd, size: usize) -> Res {
    let mut buf = vec![0u8; size];
    // SAFETY: `buf` is valid for writes of `size` bytes.
    let r = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), size) } as i64;
    Res::of(r, if r > 0 { &buf[..r as usize] } else { &[] })
}

fn write_fd(fd: RawFd, data: &[u8]) -> Res {
    // SAFETY: `data` is valid for reads of its length.
    let r = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) } as i64;
    Res::of(r, &[])
}

fn poll_fd(fd: RawFd) -> Res {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN | libc::POLLPRI | libc::POLLOUT | libc::POLLRDNORM,
        revents: 0,
    };
    // SAFETY: One valid pollfd.
    let r = unsafe { libc::poll(&mut p, 1, 0) };
    if r < 0 {
        Res::of(-1, &[])
    } else {
        Res::Ok(i64::from(p.revents), Vec::new())
    }
}

impl Side {
    /// A fresh pair with `discs.own` on the end `layout` puts under test.
    pub fn open(discs: Discs, layout: Layout, tio: &Tio) -> Result<Side, String> {
        let pty = sys::open_pty(libc::O_NOCTTY).map_err(|e| format!("open pty: {e}"))?;
        // SAFETY: `ptsname_r` writes a NUL-terminated name into the buffer given.
        let name = unsafe {
            let mut name = [0 as libc::c_char; 64];
            if libc::ptsname_r(pty.master.as_raw_fd(), name.as_mut_ptr(), name.len()) != 0 {
                return Err("ptsname".into());
            }
            std::ffi::CStr::from_ptr(name.as_ptr()).to_owned()
        };
        // SAFETY: `name` is NUL-terminated; the fds are ours from here on.
        let (slave_nb, null) = unsafe {
            (
                libc::open(
                    name.as_ptr(),
                    libc::O_RDWR | libc::O_NOCTTY | libc::O_NONBLOCK,
                ),
                libc::open(c"/dev/null".as_ptr(), libc::O_RDWR),
            )
        };
        let side = Side {
            discs,
            layout,
            master: pty.master.into_raw_fd(),
            slave: pty.slave.into_raw_fd(),
            slave_nb,
            null,
            peer_closed: false,
            extra: Vec::new(),
        };
        if slave_nb < 0 || null < 0 {
            return Err("opening the slave again, or /dev/null".into());
        }
        let target = side.fd(End::Target);
        // The default (0) is left as the pair came. In the takeover guest (n_rust the
        // default, `disciplines`) N_TTY's side gets N_TTY on both ends.
        let mut ends = vec![target];
        if takeover_ntty().is_some() {
            ends.push(side.fd(End::Peer));
        }
        for fd in ends.into_iter().filter(|_| discs.own != 0) {
            if let Res::Err(e) = side.set_ldisc(fd, discs.own) {
                return Err(format!("TIOCSETD {}: errno {e}", discs.own));
            }
        }
        if layout == Layout::MasterPacket {
            let on: libc::c_int = 1;
            // SAFETY: TIOCPKT reads one int from a valid pointer.
            unsafe { libc::ioctl(side.master, libc::TIOCPKT, &on) };
        }
        set_tio(side.fd(End::Peer), &Tio::RAW, libc::TCSANOW);
        if layout == Layout::Slave {
            // The master is only read without blocking (see `Call::Read`); its writes are
            // small enough never to wait.
            // SAFETY: fcntl with integer arguments on our fd.
            unsafe {
                let fl = libc::fcntl(side.master, libc::F_GETFL);
                libc::fcntl(side.master, libc::F_SETFL, fl | libc::O_NONBLOCK);
            }
        }
        set_tio(target, tio, libc::TCSANOW);
        Ok(side)
    }

    fn fd(&self, end: End) -> RawFd {
        match (self.layout, end) {
            (Layout::Slave, End::Target) | (Layout::MasterPacket, End::Peer) => self.slave,
            _ => self.master,
        }
    }

    fn set_ldisc(&self, fd: RawFd, disc: i32) -> Res {
        // SAFETY: TIOCSETD reads one int from a valid pointer.
        let r = unsafe { libc::ioctl(fd, libc::TIOCSETD, &disc) };
        Res::of(i64::from(r), &[])
    }

    /// The work the kernel may still have pending for this pair (the flip-buffer workers,
    /// which `poll` and a read of `TIOCINQ` wait for), run in a thread of its own: it may
    /// have to wait for a discipline change. It is left running if it sleeps.
    ///
    /// Returns what it saw (the poll masks and `TIOCINQ` of both ends), so that a look
    /// before and after a pause can tell whether a worker delivered something in between.
    fn settle(&mut self) -> Option<Res> {
        self.extra.retain_mut(|a| {
            a.join();
            !a.done()
        });
        if self.extra.len() > 4 {
            return None;
        }
        let (slave, master) = (self.slave, self.master);
        let a = Actor::spawn(move || {
            let mut seen = Vec::new();
            for fd in [slave, master] {
                for r in [poll_fd(fd), ioctl_int(fd, libc::TIOCINQ)] {
                    let v = if let Res::Ok(v, _) = r { v } else { -1 };
                    seen.extend_from_slice(&(v as i32).to_le_bytes());
                }
            }
            Res::Ok(0, seen)
        });
        // Until it has done its work or sleeps (a stuck one is left: the scenario's own
        // threads report what is stuck).
        let start = std::time::Instant::now();
        while !matches!(a.activity(), Activity::Done | Activity::Asleep(_))
            && start.elapsed() < std::time::Duration::from_secs(10)
        {
            std::thread::yield_now();
        }
        let seen = a.result();
        self.extra.push(a);
        seen
    }

    /// Starts `call` in a new actor; `Signal` is sent to `first` here instead.
    fn start(&mut self, call: &Call, first: Option<&Actor>) -> Option<Actor> {
        let target = self.fd(End::Target);
        let closed = |end: End| end == End::Peer && self.peer_closed;
        let skip = || Some(Actor::spawn(|| Res::Skipped));
        let a = match call.clone() {
            Call::Read {
                end,
                size,
                nonblock,
            } => {
                if closed(end) {
                    return skip();
                }
                let fd = if nonblock && self.fd(end) == self.slave {
                    self.slave_nb
                } else {
                    self.fd(end)
                };
                Actor::spawn(move || read_fd(fd, size))
            }
            Call::Write { end, data } => {
                if closed(end) {
                    return skip();
                }
                let fd = self.fd(end);
                Actor::spawn(move || write_fd(fd, &data))
            }
            Call::SetLdisc(d) => {
                let disc = match d {
                    Disc::Own => self.discs.own,
                    Disc::Other => self.discs.other,
                };
                Actor::spawn(move || {
                    // SAFETY: TIOCSETD reads one int from a valid pointer.
                    let r = unsafe { libc::ioctl(target, libc::TIOCSETD, &disc) };
                    Res::of(i64::from(r), &[])
                })
            }
            Call::Hangup => Actor::spawn(move || {
                // SAFETY: TIOCVHANGUP takes no argument.
                let r = unsafe { libc::ioctl(target, libc::TIOCVHANGUP) };
                Res::of(i64::from(r), &[])
            }),
            Call::ClosePeer => {
                if self.peer_closed {
                    return skip();
                }
                self.peer_closed = true;
                let (null, fd) = (self.null, self.fd(End::Peer));
                Actor::spawn(move || {
                    // SAFETY: dup2 replaces `fd` (ours) with `/dev/null`: the pty's file is
                    // released once no call holds it, and the number stays taken.
                    let r = unsafe { libc::dup2(null, fd) };
                    Res::of(i64::from(r).min(0), &[])
                })
            }
            Call::Termios { how, tio } => {
                Actor::spawn(move || Res::of(set_tio(target, &tio, how), &[]))
            }
            Call::Flush(q) => Actor::spawn(move || {
                // SAFETY: tcflush takes no pointer.
                let r = unsafe { libc::tcflush(target, q) };
                Res::of(i64::from(r), &[])
            }),
            Call::Flow { end, action } => {
                if closed(end) {
                    return skip();
                }
                let fd = self.fd(end);
                Actor::spawn(move || {
                    // SAFETY: tcflow takes no pointer.
                    let r = unsafe { libc::tcflow(fd, action) };
                    Res::of(i64::from(r), &[])
                })
            }
            Call::Poll => Actor::spawn(move || poll_fd(target)),
            Call::Signal => {
                if let Some(f) = first {
                    f.signal(libc::SIGUSR1);
                }
                return None;
            }
        };
        Some(a)
    }

    /// Waits until the actors have settled (see [`quiesce`]), then classifies the ones that
    /// returned since the last look: `at once` for the one just started (`fresh`), else
    /// after step `step`.
    fn settle_and_classify(
        &mut self,
        actors: &mut [Option<Actor>],
        fresh: Option<usize>,
        step: usize,
    ) -> Result<(), String> {
        let live: Vec<&Actor> = actors.iter().flatten().collect();
        quiesce(&live, false, || self.settle())?;
        for (i, a) in actors.iter_mut().enumerate() {
            if let Some(a) = a {
                if a.class.is_none() && a.done() {
                    a.class = Some(if Some(i) == fresh {
                        Class::AtOnce
                    } else {
                        Class::After(step)
                    });
                }
            }
        }
        Ok(())
    }

    /// Runs `s` on this side.
    pub fn run(mut self, s: &Scenario) -> Obs {
        let mut obs = Obs::default();
        take_sigio();
        if let Err(e) = self.prepare(s) {
            obs.harness = Some(e);
            return obs;
        }
        // Slot 0: the first actor; slot k: step k (None for a signal).
        let mut actors: Vec<Option<Actor>> = Vec::new();
        let first = self.start(&s.first, None);
        actors.push(first);
        let mut failure = self.settle_and_classify(&mut actors, Some(0), 0).err();
        obs.note_sigio(0, &s.first);
        for (k, call) in s.steps.iter().enumerate() {
            if failure.is_some() {
                break;
            }
            let a = self.start(call, actors[0].as_ref());
            actors.push(a);
            failure = self
                .settle_and_classify(&mut actors, Some(k + 1), k + 1)
                .err();
            obs.note_sigio(k + 1, call);
        }
        // Whatever still sleeps is blocked; a signal frees it (a TIOCSETD waits for the
        // ldisc lock without one: up to its 5 s timeout).
        let release = std::time::Instant::now();
        while actors.iter().flatten().any(|a| !a.done())
            && release.elapsed() < std::time::Duration::from_secs(8)
        {
            for a in actors.iter().flatten() {
                a.signal(libc::SIGUSR1);
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        for (k, a) in actors.iter_mut().enumerate() {
            let Some(a) = a else { continue };
            a.join();
            let class = a.class.unwrap_or(Class::Blocked);
            match a.result() {
                Some(r) => obs.calls.push((k, class, r)),
                None => {
                    obs.calls.push((k, class, Res::Skipped));
                    failure.get_or_insert_with(|| "a call never returned, even to a signal".into());
                }
            }
        }
        if let Some(e) = failure {
            obs.harness = Some(e);
            for a in actors.iter_mut().flatten() {
                a.abandon();
            }
            self.abandon();
            return obs;
        }
        obs.state = self.state();
        self.close();
        obs
    }

    fn prepare(&mut self, s: &Scenario) -> Result<(), String> {
        let target = self.fd(End::Target);
        if s.async_io {
            // SAFETY: fcntl on our fd with integer arguments.
            unsafe {
                libc::fcntl(target, libc::F_SETOWN, libc::getpid());
                libc::fcntl(target, F_SETSIG, sigio_signal());
                let fl = libc::fcntl(target, libc::F_GETFL);
                libc::fcntl(target, libc::F_SETFL, fl | libc::O_ASYNC);
            }
        }
        if s.layout == Layout::MasterPacket {
            // Setting the slave raw left a status byte (TIOCPKT_NOSTOP) for the master: take it.
            // SAFETY: fcntl with integer arguments; no other thread uses the file yet.
            unsafe {
                let fl = libc::fcntl(target, libc::F_GETFL);
                libc::fcntl(target, libc::F_SETFL, fl | libc::O_NONBLOCK);
                while matches!(read_fd(target, 4096), Res::Ok(n, _) if n > 0) {}
                libc::fcntl(target, libc::F_SETFL, fl);
            }
        }
        if !s.prefill.is_empty() {
            if let Res::Err(e) = write_fd(self.fd(End::Peer), &s.prefill) {
                return Err(format!("writing the input first: errno {e}"));
            }
        }
        // The first input's echo (the flip worker writes it) before output is stopped.
        quiesce(&[], false, || self.settle())?;
        if s.stopped {
            // SAFETY: tcflow takes no pointer.
            unsafe { libc::tcflow(target, libc::TCOOFF) };
        }
        quiesce(&[], false, || self.settle())
    }

    /// The state after the scenario, as lines: the discipline (own or other), termios, the
    /// poll mask, `TIOCINQ`, and what is left to read on either end.
    fn state(&mut self) -> Vec<String> {
        let _ = quiesce(&[], false, || self.settle());
        let target = self.fd(End::Target);
        let mut v = Vec::new();
        let disc = match ioctl_int(target, libc::TIOCGETD) {
            Res::Ok(n, _) if n == i64::from(self.discs.own) => "own".to_string(),
            Res::Ok(n, _) if n == i64::from(self.discs.other) => "other".to_string(),
            r => r.show(),
        };
        v.push(format!("discipline {disc}"));
        // SAFETY: `t` is plain data that tcgetattr fills.
        let tio = unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(target, &mut t) < 0 {
                "tcgetattr failed".to_string()
            } else {
                format!(
                    "iflag {:#o} oflag {:#o} lflag {:#o} vmin {} vtime {}",
                    t.c_iflag,
                    t.c_oflag,
                    t.c_lflag,
                    t.c_cc[libc::VMIN],
                    t.c_cc[libc::VTIME]
                )
            }
        };
        v.push(tio);
        v.push(format!("poll {}", poll_fd(target).show()));
        v.push(format!(
            "TIOCINQ {}",
            ioctl_int(target, libc::TIOCINQ).show()
        ));
        for (end, name) in [(End::Target, "target"), (End::Peer, "peer")] {
            if end == End::Peer && self.peer_closed {
                continue;
            }
            let fd = self.fd(end);
            // SAFETY: fcntl with integer arguments; no thread uses the file any more.
            unsafe {
                let fl = libc::fcntl(fd, libc::F_GETFL);
                libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK);
            }
            let mut reads = Vec::new();
            for _ in 0..8 {
                let r = read_fd(fd, 4096);
                let last = !matches!(r, Res::Ok(n, _) if n > 0);
                reads.push(r.show());
                if last {
                    break;
                }
            }
            v.push(format!("{name} reads {}", reads.join(", ")));
        }
        v
    }

    fn close(&mut self) {
        let start = std::time::Instant::now();
        while self.extra.iter().any(|a| !a.done())
            && start.elapsed() < std::time::Duration::from_secs(10)
        {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        if self.extra.iter().any(|a| !a.done()) {
            // Stuck in the kernel: leave the files open and the thread alone.
            self.abandon();
            return;
        }
        for a in &mut self.extra {
            a.join();
        }
        for fd in [self.master, self.slave, self.slave_nb, self.null] {
            // SAFETY: Our own fds, closed once; every thread that used them has ended.
            unsafe { libc::close(fd) };
        }
    }

    /// Leaves the fds open and the threads running: something is stuck in the kernel.
    fn abandon(&mut self) {
        for a in &mut self.extra {
            a.abandon();
        }
    }
}
