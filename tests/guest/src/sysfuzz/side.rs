//! One side of the syscall fuzzer: a pty pair whose slave has a given discipline, an arena
//! for pointer arguments (writable pages followed by a `PROT_NONE` page), and the execution
//! of a [`Call`] on it, recorded as results ([`Res`]) that the two sides compare.

use crate::call::{Call, Disc, KTermios, Ptr, Target};
use crate::settle::await_receive;
use n_rust_guest_tests::sys::{check, get_ldisc, open_pty, set_ldisc};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// N_TTY's number.
pub const N_TTY: i32 = 0;
/// n_rust's number, as `/init` loads it.
pub const N_RUST: i32 = 29;

/// Writable bytes of the arena (a good pointer has this much room).
const ARENA: usize = 3 * 4096;
/// A kernel address no user access may reach.
const KERNEL_ADDR: usize = 0xffff_8880_0000_0000;
/// How many bytes before the `PROT_NONE` page a straddling object starts.
const STRADDLE: usize = 3;

/// One result: a return value (with the bytes the call wrote to user memory, when they are
/// compared) or an errno.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Res {
    Ok(i64, Vec<u8>),
    Err(i32),
}

impl Res {
    /// The result of a call that returned `ret` (`errno` when negative), with `data`.
    fn of(ret: i64, data: &[u8]) -> Res {
        if ret < 0 {
            Res::Err(io::Error::last_os_error().raw_os_error().unwrap_or(0))
        } else {
            Res::Ok(ret, data.to_vec())
        }
    }
}

/// Results for a report: data longer than 24 bytes cut, with its length.
pub fn show(results: &[Res]) -> String {
    let one = |r: &Res| match r {
        Res::Ok(n, d) if d.len() > 24 => format!("Ok({n}, {:?}... ({} bytes))", &d[..24], d.len()),
        r => format!("{r:?}"),
    };
    format!(
        "[{}]",
        results.iter().map(one).collect::<Vec<_>>().join(", ")
    )
}

/// How a side makes its calls (the same on both sides).
#[derive(Clone, Copy, Debug)]
pub struct SideOpts {
    /// Where a [`Disc::Cycle`] of an N_TTY tty goes and comes back from (n_rust's number;
    /// N_NULL's on a host without n_rust). A tty on another discipline cycles through N_TTY.
    pub cycle_via: i32,
    /// Microseconds between the samples of [`await_receive`].
    pub settle_us: u32,
}

/// One side: the pair, its second slave descriptor and the arena.
pub struct Side {
    /// The slave's discipline.
    pub own: i32,
    opts: SideOpts,
    /// The slave's discipline as this side's calls have left it (`own` at first).
    slave_disc: i32,
    /// The slave's `c_line` as this side's calls have left it: what a reopen after a hangup
    /// makes its discipline (see [`Side::own_of`]).
    c_line: u8,
    /// The slave has been hung up and not opened again: it has no discipline.
    slave_dead: bool,
    pub master: OwnedFd,
    pub slave: OwnedFd,
    pub extra: Option<OwnedFd>,
    path: std::ffi::CString,
    arena: *mut u8,
}

fn set_nonblocking(fd: &OwnedFd) {
    // SAFETY: fcntl on an fd we own.
    unsafe {
        let fl = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
}

impl Side {
    /// A new pair with `disc` on the slave, both ends nonblocking.
    pub fn open(disc: i32, opts: SideOpts) -> io::Result<Side> {
        let pty = open_pty(libc::O_NOCTTY | libc::O_NONBLOCK)?;
        set_nonblocking(&pty.master);
        set_ldisc(&pty.slave, disc)?;
        let got = get_ldisc(&pty.slave)?;
        if got != disc {
            return Err(io::Error::other(format!("TIOCGETD says {got}, not {disc}")));
        }
        let mut name = [0 as libc::c_char; 64];
        // SAFETY: `name` is valid for writes of its length.
        let rc = unsafe { libc::ptsname_r(pty.master.as_raw_fd(), name.as_mut_ptr(), name.len()) };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        // SAFETY: ptsname_r wrote a NUL-terminated string into `name`.
        let path = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) }.to_owned();
        // SAFETY: An anonymous private mapping; the result is checked.
        let arena = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                ARENA + 4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if arena == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: The last page of the mapping just made.
        check(
            unsafe { libc::mprotect(arena.cast::<u8>().add(ARENA).cast(), 4096, libc::PROT_NONE) }
                as libc::c_long,
        )?;
        Ok(Side {
            own: disc,
            opts,
            slave_disc: disc,
            c_line: disc as u8,
            slave_dead: false,
            master: pty.master,
            slave: pty.slave,
            extra: None,
            path,
            arena: arena.cast(),
        })
    }

    /// The slave's termios now (`TCGETS`), if it can be read.
    pub fn slave_termios(&self) -> Option<KTermios> {
        let mut t = KTermios::default();
        // SAFETY: TCGETS writes a kernel `struct termios` (36 bytes), KTermios's layout.
        let r = unsafe { libc::ioctl(self.slave.as_raw_fd(), libc::TCGETS, &mut t) };
        (r == 0).then_some(t)
    }

    fn fd(&self, t: Target) -> libc::c_int {
        match (t, &self.extra) {
            (Target::Master, _) => self.master.as_raw_fd(),
            (Target::Extra, Some(e)) => e.as_raw_fd(),
            _ => self.slave.as_raw_fd(),
        }
    }

    /// The discipline `t`'s tty runs as this side's calls have left it: N_TTY on the master;
    /// on the slave `own`, unless it was hung up and opened again. A pty's hangup resets its
    /// termios to the driver's (`TTY_DRIVER_RESET_TERMIOS`: `tty_ldisc_hangup()` calls
    /// `tty_reset_termios()`, so `c_line` becomes 0) and kills its discipline, and the next
    /// open makes the discipline `c_line`'s (`tty_reopen()`): N_TTY on both sides, unless a
    /// `TCSETS*` in between set `c_line` (to the side's own number, or a literal one).
    fn own_of(&self, t: Target) -> i32 {
        if t == Target::Master {
            N_TTY
        } else {
            self.slave_disc
        }
    }

    /// Notes a successful open of the slave's path: after a hangup it brought the discipline
    /// of `c_line` back.
    fn slave_opened(&mut self) {
        if self.slave_dead {
            self.slave_dead = false;
            self.slave_disc = i32::from(self.c_line);
        }
    }

    /// Notes a successful `TIOCSETD` of `disc` on the slave (a switch to the running
    /// discipline changes nothing, not even `c_line`).
    fn slave_set(&mut self, disc: i32) {
        if disc != self.slave_disc {
            self.slave_disc = disc;
            self.c_line = disc as u8;
        }
    }

    /// The address `p` stands for, for an object of `len` bytes.
    fn addr(&self, p: Ptr, len: usize) -> usize {
        let good = self.arena as usize;
        match p {
            Ptr::Good => good,
            Ptr::Null => 0,
            Ptr::Low => 0x10,
            Ptr::Unmapped => good + ARENA,
            Ptr::Straddle => good + ARENA - STRADDLE.min(len.saturating_sub(1)).max(1),
            Ptr::Kernel => KERNEL_ADDR,
        }
    }

    /// The arena's first `len` bytes (what a call with a good pointer wrote).
    fn arena_bytes(&self, len: usize) -> Vec<u8> {
        // SAFETY: The arena is mapped readable for ARENA bytes; `len` is clamped to that.
        unsafe { std::slice::from_raw_parts(self.arena, len.min(ARENA)) }.to_vec()
    }

    /// Fills the arena's first bytes with `data` and a marker after it.
    fn put_arena(&self, data: &[u8]) {
        let n = data.len().min(ARENA);
        // SAFETY: The arena is mapped writable for ARENA bytes; `n` is clamped to that.
        unsafe {
            std::ptr::write_bytes(self.arena, 0xa5, ARENA);
            std::ptr::copy_nonoverlapping(data.as_ptr(), self.arena, n);
        }
    }

    /// `ioctl(fd, req, arg)`.
    fn ioctl(&self, t: Target, req: libc::c_ulong, arg: usize) -> i64 {
        // The argument is an integer or an address the kernel checks itself: a pointer into the
        // arena (mapped, the object inside it or running into the PROT_NONE page) or unmapped.
        // SAFETY: The call cannot touch Rust memory: every address is checked by the kernel.
        i64::from(unsafe { libc::ioctl(self.fd(t), req, arg) })
    }

    /// A pointer argument holding `data` (or a bad one): its address.
    fn arg_in(&self, p: Ptr, data: &[u8]) -> usize {
        self.put_arena(data);
        if p == Ptr::Straddle {
            // The object runs into the PROT_NONE page: its head is in the last bytes.
            let a = self.addr(p, data.len());
            let head = (self.arena as usize + ARENA - a).min(data.len());
            // SAFETY: `a..a + head` is within the arena's writable pages.
            unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), a as *mut u8, head) };
            return a;
        }
        self.addr(p, data.len())
    }

    /// Runs `call`, appending its results to `out` (one per system call it makes).
    pub fn run(&mut self, call: &Call, out: &mut Vec<Res>) {
        match *call {
            Call::SetTermios {
                fd,
                req,
                t,
                own_line,
                ptr,
            } => {
                let mut k = t;
                // Through the master too: the termios ioctls of a pty master act on its
                // slave (`tty_mode_ioctl`'s `real_tty`).
                if own_line {
                    k.line = self.own as u8;
                }
                // SAFETY: KTermios is plain data of the kernel's layout, 36 bytes.
                let bytes =
                    unsafe { std::slice::from_raw_parts((&k as *const KTermios).cast::<u8>(), 36) };
                let a = self.arg_in(ptr, bytes);
                let r = self.ioctl(fd, req, a);
                if r == 0 {
                    // Through any descriptor: the master's act on the slave.
                    self.c_line = k.line;
                }
                out.push(Res::of(r, &[]));
            }
            Call::GetTermios { fd, ptr } => {
                self.put_arena(&[]);
                let r = self.ioctl(fd, libc::TCGETS, self.addr(ptr, 36));
                let mut got = if ptr == Ptr::Good && r == 0 {
                    self.arena_bytes(36)
                } else {
                    Vec::new()
                };
                // c_line (the slave's, also through the master) is left out: it is a byte the
                // tty core stores, not the discipline. `TIOCSETD` sets it to the side's own
                // number, which differs between the sides, but `TCSETS*` copies the caller's
                // byte verbatim (`set_termios()` in tty_ioctl.c, the same code whatever the
                // discipline), so after a literal `c_line` both sides hold it and no mapping of
                // "own" numbers can make the two agree on both histories. Which discipline
                // runs is compared through `TIOCGETD`.
                if let Some(l) = got.get_mut(16) {
                    *l = 0xee;
                }
                out.push(Res::of(r, &got));
            }
            Call::SetDisc { fd, disc, ptr } => {
                let own = self.own_of(fd);
                let other = if own == N_TTY {
                    self.opts.cycle_via
                } else {
                    N_TTY
                };
                let first = match disc {
                    Disc::Own => own,
                    Disc::Cycle => other,
                    Disc::Number(n) => n,
                };
                let a = self.arg_in(ptr, &first.to_ne_bytes());
                let r = self.ioctl(fd, libc::TIOCSETD, a);
                out.push(Res::of(r, &[]));
                if r == 0 && fd != Target::Master {
                    self.slave_set(first);
                }
                if disc == Disc::Cycle {
                    if r == 0 {
                        // The switch restarted the flip work: the interim discipline gets what
                        // the tty's flip buffer holds (input its old one had no room for). How
                        // much of it arrives before the switch back, to be lost with the
                        // interim discipline, would be timing: 0 bytes on one side and a
                        // buffer's worth on the other (a master's data then differed by 4095
                        // bytes). So the interim discipline takes all it can first.
                        await_receive(self.fd(fd), self.opts.settle_us);
                    }
                    let a = self.arg_in(Ptr::Good, &own.to_ne_bytes());
                    let r = self.ioctl(fd, libc::TIOCSETD, a);
                    if r == 0 && fd != Target::Master {
                        self.slave_set(own);
                    }
                    out.push(Res::of(r, &[]));
                }
            }
            Call::GetDisc { fd, ptr } => {
                self.put_arena(&[]);
                let r = self.ioctl(fd, libc::TIOCGETD, self.addr(ptr, 4));
                let v = if ptr == Ptr::Good && r == 0 {
                    let d = i32::from_ne_bytes(self.arena_bytes(4).try_into().unwrap_or([0; 4]));
                    let rel = if d == self.own_of(fd) { -100 } else { d };
                    rel.to_ne_bytes().to_vec()
                } else {
                    Vec::new()
                };
                out.push(Res::of(r, &v));
            }
            Call::Queue { fd, req, ptr } => {
                self.put_arena(&[]);
                let r = self.ioctl(fd, req, self.addr(ptr, 4));
                let v = if ptr == Ptr::Good && r == 0 {
                    self.arena_bytes(4)
                } else {
                    Vec::new()
                };
                out.push(Res::of(r, &v));
            }
            Call::IntArg { fd, req, arg } => {
                out.push(Res::of(self.ioctl(fd, req, arg as usize), &[]));
            }
            Call::Pkt { fd, on, ptr } => {
                let a = self.arg_in(ptr, &on.to_ne_bytes());
                out.push(Res::of(self.ioctl(fd, libc::TIOCPKT, a), &[]));
            }
            Call::Sti { fd, byte, ptr } => {
                let a = self.arg_in(ptr, &[byte]);
                out.push(Res::of(self.ioctl(fd, libc::TIOCSTI, a), &[]));
            }
            Call::Winsz { fd, set, ws, ptr } => {
                let bytes: Vec<u8> = ws.iter().flat_map(|w| w.to_ne_bytes()).collect();
                let (req, a) = if set {
                    (libc::TIOCSWINSZ, self.arg_in(ptr, &bytes))
                } else {
                    self.put_arena(&[]);
                    (libc::TIOCGWINSZ, self.addr(ptr, 8))
                };
                let r = self.ioctl(fd, req, a);
                let v = if !set && ptr == Ptr::Good && r == 0 {
                    self.arena_bytes(8)
                } else {
                    Vec::new()
                };
                out.push(Res::of(r, &v));
            }
            Call::Hangup { fd } => {
                let r = self.ioctl(fd, libc::TIOCVHANGUP, 0);
                if r == 0 && fd != Target::Master {
                    self.c_line = 0;
                    self.slave_dead = true;
                }
                out.push(Res::of(r, &[]));
            }
            Call::Unknown { fd, cmd, ptr } => {
                self.put_arena(&[]);
                let r = self.ioctl(fd, libc::c_ulong::from(cmd), self.addr(ptr, 8));
                out.push(Res::of(r, &[]));
            }
            Call::Read { fd, size, ptr } => {
                self.put_arena(&[]);
                let a = self.addr(ptr, size);
                // SAFETY: The kernel checks the address; the arena (or no mapping) is all it
                // can reach, whatever `size` says.
                let r = unsafe { libc::read(self.fd(fd), a as *mut libc::c_void, size) } as i64;
                let got = if ptr == Ptr::Good && r > 0 {
                    self.arena_bytes(r as usize)
                } else {
                    Vec::new()
                };
                out.push(Res::of(r, &got));
            }
            Call::Write {
                fd,
                ref data,
                size,
                ptr,
            } => {
                let a = self.arg_in(ptr, data);
                let len = if ptr == Ptr::Good { data.len() } else { size };
                // SAFETY: As for reads: the kernel checks the address and only reads.
                let r = unsafe { libc::write(self.fd(fd), a as *const libc::c_void, len) } as i64;
                out.push(Res::of(r, &[]));
            }
            Call::Poll { fd, events } => {
                let mut p = libc::pollfd {
                    fd: self.fd(fd),
                    events,
                    revents: 0,
                };
                // SAFETY: One valid pollfd.
                let r = i64::from(unsafe { libc::poll(&mut p, 1, 0) });
                out.push(Res::of(r, &p.revents.to_ne_bytes()));
            }
            Call::Open => {
                self.extra = None;
                // SAFETY: `path` is NUL-terminated; the fd is owned by `extra`.
                let r = unsafe {
                    libc::open(
                        self.path.as_ptr(),
                        libc::O_RDWR | libc::O_NOCTTY | libc::O_NONBLOCK,
                    )
                };
                if r >= 0 {
                    // SAFETY: `r` was just opened and is ours.
                    self.extra = Some(unsafe { OwnedFd::from_raw_fd(r) });
                    self.slave_opened();
                }
                out.push(Res::of(i64::from(r.min(0)), &[]));
            }
            Call::Close { slave } => {
                if !slave {
                    out.push(Res::Ok(i64::from(self.extra.take().is_some()), Vec::new()));
                    return;
                }
                // The slave is closed (its last close unless the second descriptor is
                // open), then opened again; should that fail, /dev/null stands in.
                // SAFETY: The raw fd is closed here and the `OwnedFd` that held it is
                // forgotten below, never closed twice; `path` is NUL-terminated.
                let r = unsafe {
                    libc::close(self.slave.as_raw_fd());
                    libc::open(
                        self.path.as_ptr(),
                        libc::O_RDWR | libc::O_NOCTTY | libc::O_NONBLOCK,
                    )
                };
                let new = if r >= 0 {
                    self.slave_opened();
                    r
                } else {
                    // SAFETY: A NUL-terminated path.
                    unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) }
                };
                assert!(new >= 0, "no descriptor left for the slave");
                // SAFETY: `new` was just opened and is ours.
                let old = std::mem::replace(&mut self.slave, unsafe { OwnedFd::from_raw_fd(new) });
                std::mem::forget(old);
                out.push(Res::of(i64::from(r.min(0)), &[]));
            }
        }
    }
}

impl Drop for Side {
    fn drop(&mut self) {
        // SAFETY: The mapping made in `open`, not used after this.
        unsafe { libc::munmap(self.arena.cast(), ARENA + 4096) };
    }
}
