//! What a fuzz input decodes into ([`Input`]): a driver, a first termios and a list of
//! operations on the engine, each built by `arbitrary` from the fuzzer's bytes, biased toward
//! the flags and characters the engine treats specially.

use arbitrary::Arbitrary;
use n_rust_engine::{
    CFlag, IFlag, LFlag, OFlag, Termios, NCCS, TTY_BREAK, TTY_FRAME, TTY_NORMAL, TTY_OVERRUN,
    TTY_PARITY, VMIN, VTIME,
};

/// Most ops an input runs.
pub const MAX_OPS: usize = 64;
/// Most bytes one receive or write hands over, repeats included.
pub const MAX_DATA: usize = 5000;

/// One fuzz case.
#[derive(Arbitrary, Debug)]
pub struct Input {
    /// A serial-like driver (real-raw incapable, throttled) rather than a pty.
    pub serial: bool,
    /// The termios at open.
    pub initial: TermiosSpec,
    /// The operations, in order.
    pub ops: Vec<Op>,
}

/// A whole termios: a base, flags flipped on it, some control characters replaced.
#[derive(Arbitrary, Debug, Clone)]
pub struct TermiosSpec {
    base: Base,
    flip_i: u16,
    flip_o: u16,
    flip_l: u32,
    cflag: u32,
    cc: Vec<(u8, u8)>,
    vmin: u8,
    vtime: u8,
}

/// The termios a [`TermiosSpec`] starts from.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Base {
    Sane,
    Raw,
    Empty,
    /// Every flag the engine knows of.
    All,
}

/// The flags the engine reads: every input flag, the output flags with TABDLY, the local
/// flags up to EXTPROC.
const I_BITS: u32 = 0x7fff;
const O_BITS: u32 = 0x18ff;
const L_BITS: u32 = 0x1ffff;

impl TermiosSpec {
    /// The termios described.
    pub fn build(&self) -> Termios {
        let mut t = match self.base {
            Base::Sane => Termios::SANE,
            Base::Raw => Termios::RAW,
            Base::Empty => Termios::RAW
                .with_iflag(IFlag::EMPTY)
                .with_lflag(LFlag::EMPTY),
            Base::All => Termios::SANE
                .with_iflag(IFlag(I_BITS))
                .with_oflag(OFlag(O_BITS))
                .with_lflag(LFlag(L_BITS)),
        };
        t.iflag = IFlag((t.iflag.0 ^ u32::from(self.flip_i)) & I_BITS);
        t.oflag = OFlag((t.oflag.0 ^ u32::from(self.flip_o)) & O_BITS);
        t.lflag = LFlag((t.lflag.0 ^ self.flip_l) & L_BITS);
        t.cflag = CFlag(self.cflag);
        for &(idx, v) in self.cc.iter().take(NCCS) {
            t = t.with_cc(usize::from(idx) % NCCS, v);
        }
        t.cc[VMIN] = self.vmin % 4;
        t.cc[VTIME] = self.vtime % 3;
        t
    }
}

/// A flag to flip, one of those N_TTY looks at.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Flag {
    I(IBit),
    O(OBit),
    L(LBit),
}

/// Input flags.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum IBit {
    Ignbrk,
    Brkint,
    Ignpar,
    Parmrk,
    Inpck,
    Istrip,
    Inlcr,
    Igncr,
    Icrnl,
    Iuclc,
    Ixon,
    Ixany,
    Ixoff,
    Iutf8,
}

/// Output flags.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum OBit {
    Opost,
    Olcuc,
    Onlcr,
    Ocrnl,
    Onocr,
    Onlret,
    Xtabs,
}

/// Local flags.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum LBit {
    Isig,
    Icanon,
    Echo,
    Echoe,
    Echok,
    Echonl,
    Noflsh,
    Echoctl,
    Echoprt,
    Echoke,
    Iexten,
    Extproc,
}

impl Flag {
    /// `t` with this flag flipped.
    pub fn flip(self, mut t: Termios) -> Termios {
        match self {
            Flag::I(b) => t.iflag.0 ^= ibit(b).0,
            Flag::O(b) => t.oflag.0 ^= obit(b).0,
            Flag::L(b) => t.lflag.0 ^= lbit(b).0,
        }
        t
    }
}

fn ibit(b: IBit) -> IFlag {
    match b {
        IBit::Ignbrk => IFlag::IGNBRK,
        IBit::Brkint => IFlag::BRKINT,
        IBit::Ignpar => IFlag::IGNPAR,
        IBit::Parmrk => IFlag::PARMRK,
        IBit::Inpck => IFlag::INPCK,
        IBit::Istrip => IFlag::ISTRIP,
        IBit::Inlcr => IFlag::INLCR,
        IBit::Igncr => IFlag::IGNCR,
        IBit::Icrnl => IFlag::ICRNL,
        IBit::Iuclc => IFlag::IUCLC,
        IBit::Ixon => IFlag::IXON,
        IBit::Ixany => IFlag::IXANY,
        IBit::Ixoff => IFlag::IXOFF,
        IBit::Iutf8 => IFlag::IUTF8,
    }
}

fn obit(b: OBit) -> OFlag {
    match b {
        OBit::Opost => OFlag::OPOST,
        OBit::Olcuc => OFlag::OLCUC,
        OBit::Onlcr => OFlag::ONLCR,
        OBit::Ocrnl => OFlag::OCRNL,
        OBit::Onocr => OFlag::ONOCR,
        OBit::Onlret => OFlag::ONLRET,
        OBit::Xtabs => OFlag::XTABS,
    }
}

fn lbit(b: LBit) -> LFlag {
    match b {
        LBit::Isig => LFlag::ISIG,
        LBit::Icanon => LFlag::ICANON,
        LBit::Echo => LFlag::ECHO,
        LBit::Echoe => LFlag::ECHOE,
        LBit::Echok => LFlag::ECHOK,
        LBit::Echonl => LFlag::ECHONL,
        LBit::Noflsh => LFlag::NOFLSH,
        LBit::Echoctl => LFlag::ECHOCTL,
        LBit::Echoprt => LFlag::ECHOPRT,
        LBit::Echoke => LFlag::ECHOKE,
        LBit::Iexten => LFlag::IEXTEN,
        LBit::Extproc => LFlag::EXTPROC,
    }
}

/// What the driver's `write_room` reports.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomSpec {
    /// Always plenty: a driver drained as fast as it is filled.
    Plenty,
    /// Always this much (0..=15).
    Fixed(u8),
    /// This much, less every byte written since.
    Budget(u16),
}

/// One input byte with its driver flag, as the fuzzer gives them: a byte of `0xe0..=0xf2`
/// stands for the control character of that index in the current termios (so that the
/// special characters come up often), any other byte for itself; the flag is mostly
/// `TTY_NORMAL`.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct InByte {
    byte: u8,
    flag: u8,
}

impl InByte {
    /// The byte and its flag under termios `t`.
    pub fn decode(self, t: &Termios) -> (u8, u8) {
        let byte = match self.byte {
            b @ 0xe0..=0xf2 => t.cc[usize::from(b - 0xe0)],
            b => b,
        };
        let flag = match self.flag {
            0..=199 => TTY_NORMAL,
            200..=209 => TTY_BREAK,
            210..=224 => TTY_PARITY,
            225..=239 => TTY_FRAME,
            240..=249 => TTY_OVERRUN,
            f => f,
        };
        (byte, flag)
    }
}

/// An operation on the engine and its tty.
#[derive(Arbitrary, Debug, Clone)]
pub enum Op {
    /// A whole new termios (`TCSETS`).
    SetTermios(TermiosSpec),
    /// One flag flipped (a termios change mid-line).
    Flip(Flag),
    /// One control character replaced.
    SetCc(u8, u8),
    /// Bytes from the driver (`receive_buf2`, or `receive_buf` without flow control),
    /// `repeat + 1` times over, the first `lookahead` of them seen by `lookahead_buf`
    /// first; `flagged` passes the flags array.
    Receive {
        data: Vec<InByte>,
        repeat: u8,
        flagged: bool,
        noflow: bool,
        lookahead: u8,
    },
    /// A nonblocking `read(2)` of `size` bytes, by a packet-mode master if `packet`.
    Read { size: u16, packet: bool },
    /// A `write(2)` of `data`, `repeat + 1` times over.
    Write { data: Vec<u8>, repeat: u8 },
    /// The driver's room changes.
    Room(RoomSpec),
    /// `tcflow(TCOOFF)` / `tcflow(TCOON)`: output stopped or restarted by the program.
    TcoStop(bool),
    /// The driver's `write` fails from now on (`Some`), or works again.
    WriteError(Option<u8>),
    /// `tcflush(TCIFLUSH)` (`flush_buffer`).
    FlushInput,
    /// `write_wakeup`: pending echoes written.
    WriteWakeup,
    /// The tty starts or stops closing.
    Closing(bool),
    /// The discipline is opened again (`n_tty_open` on the same state).
    Reopen,
    /// `poll()` asks whether there is input.
    Poll,
}
