//! The calls of the syscall fuzzer ([`Call`]), drawn from a seeded [`Rng`]: termios and line
//! discipline ioctls, the queue ioctls, flow control, packet mode, `TIOCSTI`, breaks, window
//! size, hangup, unknown ioctls, reads, writes, polls, opens and closes, with good and bad
//! pointers and sizes.

use n_rust_engine::NCCS;
use n_rust_oracle::gen::{gen_cc_value, gen_termios, Rng};

/// Which descriptor of a side a call uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The slave: the tty whose discipline differs between the sides.
    Slave,
    /// The master (N_TTY on both sides, unless a `TIOCSETD` cycle is under way).
    Master,
    /// A second descriptor of the slave, opened by [`Call::Open`] (the slave if none).
    Extra,
}

/// Where a pointer argument points: into the side's arena, or where no access can succeed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ptr {
    /// The start of the arena's writable pages.
    Good,
    /// `NULL`.
    Null,
    /// A low address that is never mapped (0x10).
    Low,
    /// The arena's `PROT_NONE` page.
    Unmapped,
    /// A few bytes before the `PROT_NONE` page: the object runs into it.
    Straddle,
    /// A kernel address.
    Kernel,
}

/// The discipline a `TIOCSETD` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disc {
    /// The side's own (N_TTY on the first side's slave, n_rust on the second's; N_TTY on the
    /// masters): a no-op that succeeds.
    Own,
    /// The other one, then the own one again (two calls, both results compared).
    Cycle,
    /// A number that is not a registered discipline (out of range, or not loaded).
    Number(i32),
}

/// One call, applied to both sides.
#[derive(Clone, Debug)]
pub enum Call {
    /// `TCSETS`, `TCSETSW` or `TCSETSF` of a kernel `struct termios`.
    SetTermios {
        fd: Target,
        req: libc::c_ulong,
        t: KTermios,
        /// `c_line` is the side's own discipline (else `t.line` as it is).
        own_line: bool,
        ptr: Ptr,
    },
    /// `TCGETS`.
    GetTermios { fd: Target, ptr: Ptr },
    /// `TIOCSETD`.
    SetDisc { fd: Target, disc: Disc, ptr: Ptr },
    /// `TIOCGETD`.
    GetDisc { fd: Target, ptr: Ptr },
    /// `FIONREAD` (`TIOCINQ`) or `TIOCOUTQ`.
    Queue {
        fd: Target,
        req: libc::c_ulong,
        ptr: Ptr,
    },
    /// `TCFLSH`, `TCXONC`, `TCSBRK` or `TCSBRKP` with an integer argument.
    IntArg {
        fd: Target,
        req: libc::c_ulong,
        arg: libc::c_ulong,
    },
    /// `TIOCPKT` with a pointer to `on`.
    Pkt { fd: Target, on: i32, ptr: Ptr },
    /// `TIOCSTI` of `byte`.
    Sti { fd: Target, byte: u8, ptr: Ptr },
    /// `TIOCSWINSZ` of `ws` or `TIOCGWINSZ`.
    Winsz {
        fd: Target,
        set: bool,
        ws: [u16; 4],
        ptr: Ptr,
    },
    /// `TIOCVHANGUP`.
    Hangup { fd: Target },
    /// An ioctl the tty layer does not know: it reaches the discipline's `ioctl`.
    Unknown { fd: Target, cmd: u32, ptr: Ptr },
    /// A nonblocking `read(2)` of `size` bytes.
    Read { fd: Target, size: usize, ptr: Ptr },
    /// A nonblocking `write(2)` of `data` (of `size` bytes if the pointer is not good).
    Write {
        fd: Target,
        data: Vec<u8>,
        size: usize,
        ptr: Ptr,
    },
    /// `poll(2)` with a zero timeout.
    Poll { fd: Target, events: i16 },
    /// A second descriptor of the slave (the previous one closed first).
    Open,
    /// `close(2)` of the second descriptor, or of the slave (which is opened again).
    Close { slave: bool },
}

/// The kernel's `struct termios` (`TCGETS`/`TCSETS`), not glibc's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct KTermios {
    pub iflag: u32,
    pub oflag: u32,
    pub cflag: u32,
    pub lflag: u32,
    pub line: u8,
    pub cc: [u8; NCCS],
}

/// Ioctl type bytes never used for unknown ioctls: 'T' (the tty layer's own, some of which
/// redirect the console or drop the controlling tty) and 'X' (`FIFREEZE`, `FITHAW`).
const KNOWN_TYPES: [u32; 2] = [0x54, 0x58];

fn target(r: &mut Rng) -> Target {
    match r.below(10) {
        0..=5 => Target::Slave,
        6..=8 => Target::Master,
        _ => Target::Extra,
    }
}

/// Mostly good pointers, else one of the bad kinds.
fn ptr(r: &mut Rng) -> Ptr {
    if r.pct(80) {
        return Ptr::Good;
    }
    r.pick(&[
        Ptr::Null,
        Ptr::Low,
        Ptr::Unmapped,
        Ptr::Straddle,
        Ptr::Kernel,
    ])
}

fn termios(r: &mut Rng) -> KTermios {
    let t = gen_termios(r);
    // The masters' default control flags (B38400 CS8 CREAD), sometimes others.
    let mut cflag = 0o277;
    if r.pct(20) {
        cflag ^= (r.next_u64() as u32) & 0o177777;
    }
    let mut cc = t.cc;
    if r.pct(10) {
        let i = r.below(NCCS);
        cc[i] = gen_cc_value(r);
    }
    KTermios {
        iflag: t.iflag.0,
        oflag: t.oflag.0,
        cflag,
        lflag: t.lflag.0,
        line: r.next_u64() as u8,
        cc,
    }
}

/// Bytes a program or a terminal might send, the special ones often.
fn data(r: &mut Rng, n: usize) -> Vec<u8> {
    (0..n)
        .map(|_| match r.below(8) {
            0 => r.pick(b"\n\r\t\x7f\x08\x04\x03\x1a\x11\x13\x12\x15\x17\x16\x1c\x0f"),
            1 => r.next_u64() as u8,
            2 => r.pick(&[0xff, 0x80, 0xc3, 0xa9, 0x00]),
            _ => b'a' + r.below(26) as u8,
        })
        .collect()
}

fn size(r: &mut Rng) -> usize {
    match r.below(10) {
        0 => 0,
        1..=4 => 1 + r.below(16),
        5..=7 => 1 + r.below(300),
        8 => 1 + r.below(5000),
        _ => r.pick(&[4095, 4096, 4097, 8192, 65536, 1 << 20]),
    }
}

/// A discipline number that is not registered (`registered` are those of `/proc/tty/ldiscs`).
fn bad_disc(r: &mut Rng, registered: &[i32]) -> i32 {
    loop {
        let n = match r.below(4) {
            0 => r.pick(&[-1, 30, 31, 64, i32::MAX, i32::MIN]),
            1 => r.next_u64() as i32,
            _ => r.below(30) as i32,
        };
        if !registered.contains(&n) {
            return n;
        }
    }
}

/// The next call.
pub fn gen_call(r: &mut Rng, registered: &[i32]) -> Call {
    let fd = target(r);
    match r.below(100) {
        0..=9 => Call::SetTermios {
            fd,
            req: r.pick(&[libc::TCSETS, libc::TCSETSW, libc::TCSETSF]),
            t: termios(r),
            own_line: r.pct(90),
            ptr: ptr(r),
        },
        10..=12 => Call::GetTermios { fd, ptr: ptr(r) },
        13..=16 => {
            let disc = match r.below(10) {
                0..=2 => Disc::Own,
                3..=6 => Disc::Cycle,
                _ => Disc::Number(bad_disc(r, registered)),
            };
            Call::SetDisc {
                fd,
                disc,
                ptr: ptr(r),
            }
        }
        17..=18 => Call::GetDisc { fd, ptr: ptr(r) },
        19..=24 => Call::Queue {
            fd,
            req: r.pick(&[libc::FIONREAD, libc::TIOCOUTQ]),
            ptr: ptr(r),
        },
        25..=33 => {
            let req = r.pick(&[
                libc::TCFLSH,
                libc::TCFLSH,
                libc::TCXONC,
                libc::TCXONC,
                libc::TCSBRK,
                libc::TCSBRKP,
            ]);
            let arg = if r.pct(85) {
                r.below(4) as libc::c_ulong
            } else {
                r.next_u64() as libc::c_ulong
            };
            // A break of the real length (TCSBRK 0, TCSBRKP n tenths) on a pty returns at once.
            Call::IntArg { fd, req, arg }
        }
        34..=37 => Call::Pkt {
            fd,
            on: if r.pct(70) {
                r.below(2) as i32
            } else {
                r.next_u64() as i32
            },
            ptr: ptr(r),
        },
        38..=45 => Call::Sti {
            fd,
            byte: data(r, 1)[0],
            ptr: ptr(r),
        },
        46..=48 => Call::Winsz {
            fd,
            set: r.pct(50),
            ws: [r.below(300) as u16, r.below(300) as u16, 0, 0],
            ptr: ptr(r),
        },
        49 if r.pct(20) => Call::Hangup { fd },
        49..=53 => {
            let mut cmd = r.next_u64() as u32;
            while KNOWN_TYPES.contains(&((cmd >> 8) & 0xff)) {
                cmd = r.next_u64() as u32;
            }
            Call::Unknown {
                fd,
                cmd,
                ptr: ptr(r),
            }
        }
        54..=69 => Call::Read {
            fd,
            size: size(r),
            ptr: ptr(r),
        },
        70..=87 => {
            let n = size(r).min(5000);
            Call::Write {
                fd,
                data: data(r, n),
                size: if r.pct(10) { size(r) } else { n },
                ptr: ptr(r),
            }
        }
        88..=95 => {
            let any = r.next_u64() as i16;
            Call::Poll {
                fd,
                events: r.pick(&[
                    libc::POLLIN,
                    libc::POLLOUT,
                    libc::POLLIN | libc::POLLOUT | libc::POLLPRI,
                    any,
                ]),
            }
        }
        96..=97 => Call::Open,
        _ => Call::Close { slave: r.pct(30) },
    }
}

/// `call` for a report: data longer than 24 bytes cut, with its length.
pub fn show(call: &Call) -> String {
    match call {
        Call::Write {
            fd,
            data,
            size,
            ptr,
        } if data.len() > 24 => format!(
            "Write {{ fd: {fd:?}, data: {:?}... ({} bytes), size: {size}, ptr: {ptr:?} }}",
            &data[..24],
            data.len()
        ),
        c => format!("{c:?}"),
    }
}
