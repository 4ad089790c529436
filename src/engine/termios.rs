//! Terminal attributes as typed values: the kernel's `struct ktermios` as far as
//! a line discipline looks at it, with the x86_64 (asm-generic) flag values.

use core::ops::{BitAnd, BitOr, BitOrAssign, Not};

/// Number of control characters in the kernel's `struct ktermios` (`NCCS`).
pub const NCCS: usize = 19;

/// `_POSIX_VDISABLE`: a control character set to this value is disabled.
pub const POSIX_VDISABLE: u8 = 0;

macro_rules! flag_type {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $flag:ident = $val:expr,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
        pub struct $name(pub u32);

        impl $name {
            /// No flag set.
            pub const EMPTY: Self = Self(0);
            $($(#[$fdoc])* pub const $flag: Self = Self($val);)*

            /// The raw bit pattern.
            pub const fn bits(self) -> u32 {
                self.0
            }
            /// Builds the value from a raw bit pattern (unknown bits are kept).
            pub const fn from_bits(bits: u32) -> Self {
                Self(bits)
            }
            /// True if every bit of `other` is set in `self`.
            pub const fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }
            /// True if any bit of `other` is set in `self`.
            pub const fn intersects(self, other: Self) -> bool {
                self.0 & other.0 != 0
            }
            /// `self` with the bits of `other` added.
            pub const fn union(self, other: Self) -> Self {
                Self(self.0 | other.0)
            }
            /// `self` without the bits of `other`.
            pub const fn without(self, other: Self) -> Self {
                Self(self.0 & !other.0)
            }
        }

        impl BitOr for $name {
            type Output = Self;
            fn bitor(self, rhs: Self) -> Self {
                Self(self.0 | rhs.0)
            }
        }
        impl BitOrAssign for $name {
            fn bitor_assign(&mut self, rhs: Self) {
                self.0 |= rhs.0;
            }
        }
        impl BitAnd for $name {
            type Output = Self;
            fn bitand(self, rhs: Self) -> Self {
                Self(self.0 & rhs.0)
            }
        }
        impl Not for $name {
            type Output = Self;
            fn not(self) -> Self {
                Self(!self.0)
            }
        }
    };
}

flag_type!(
    /// `c_iflag`: input modes.
    IFlag {
        /// Ignore break condition.
        IGNBRK = 0x001,
        /// Signal interrupt on break.
        BRKINT = 0x002,
        /// Ignore characters with parity errors.
        IGNPAR = 0x004,
        /// Mark parity and framing errors.
        PARMRK = 0x008,
        /// Enable input parity check.
        INPCK = 0x010,
        /// Strip the eighth bit.
        ISTRIP = 0x020,
        /// Map NL to CR on input.
        INLCR = 0x040,
        /// Ignore CR.
        IGNCR = 0x080,
        /// Map CR to NL on input.
        ICRNL = 0x100,
        /// Map upper case to lower case on input (with IEXTEN).
        IUCLC = 0x200,
        /// Enable start/stop output control.
        IXON = 0x400,
        /// Any character restarts stopped output.
        IXANY = 0x800,
        /// Enable start/stop input control (a throttle request to the driver).
        IXOFF = 0x1000,
        /// Ring bell on input queue full (ignored by N_TTY).
        IMAXBEL = 0x2000,
        /// Input is UTF-8 (erase whole multi-byte characters).
        IUTF8 = 0x4000,
    }
);

flag_type!(
    /// `c_oflag`: output modes.
    OFlag {
        /// Perform output processing.
        OPOST = 0x01,
        /// Map lower case to upper case on output.
        OLCUC = 0x02,
        /// Map NL to CR-NL on output.
        ONLCR = 0x04,
        /// Map CR to NL on output.
        OCRNL = 0x08,
        /// No CR output at column 0.
        ONOCR = 0x10,
        /// NL performs the CR function.
        ONLRET = 0x20,
        /// Use fill characters for delay (ignored by N_TTY).
        OFILL = 0x40,
        /// Fill is DEL (ignored by N_TTY).
        OFDEL = 0x80,
        /// Horizontal tab delay mask.
        TABDLY = 0x1800,
        /// Expand tabs to spaces (`TAB3`).
        XTABS = 0x1800,
    }
);

flag_type!(
    /// `c_cflag`: control modes (carried, not interpreted by the engine).
    CFlag {
        /// Character size mask.
        CSIZE = 0x30,
        /// 8-bit characters.
        CS8 = 0x30,
        /// Enable receiver.
        CREAD = 0x80,
        /// Hang up on last close.
        HUPCL = 0x400,
        /// Ignore modem status lines.
        CLOCAL = 0x800,
        /// 38400 baud.
        B38400 = 0x0f,
    }
);

flag_type!(
    /// `c_lflag`: local modes.
    LFlag {
        /// Generate signals for INTR, QUIT, SUSP.
        ISIG = 0x00001,
        /// Canonical input (line editing).
        ICANON = 0x00002,
        /// Echo input characters.
        ECHO = 0x00008,
        /// ERASE erases the preceding character visually.
        ECHOE = 0x00010,
        /// KILL is followed by a newline (when not ECHOKE).
        ECHOK = 0x00020,
        /// Echo NL even if ECHO is off.
        ECHONL = 0x00040,
        /// Do not flush on INTR, QUIT, SUSP.
        NOFLSH = 0x00080,
        /// Background writes raise SIGTTOU.
        TOSTOP = 0x00100,
        /// Echo control characters as `^X`.
        ECHOCTL = 0x00200,
        /// Hardcopy erase: `\` erased characters `/`.
        ECHOPRT = 0x00400,
        /// KILL erases the line visually.
        ECHOKE = 0x00800,
        /// Output being flushed (not interpreted by N_TTY).
        FLUSHO = 0x01000,
        /// Retype pending input (not interpreted by N_TTY).
        PENDIN = 0x04000,
        /// Extended input processing (WERASE, LNEXT, EOL2, REPRINT, IUCLC).
        IEXTEN = 0x08000,
        /// External processing: editing is done elsewhere.
        EXTPROC = 0x10000,
    }
);

/// Index of INTR in `cc`.
pub const VINTR: usize = 0;
/// Index of QUIT in `cc`.
pub const VQUIT: usize = 1;
/// Index of ERASE in `cc`.
pub const VERASE: usize = 2;
/// Index of KILL in `cc`.
pub const VKILL: usize = 3;
/// Index of EOF in `cc`.
pub const VEOF: usize = 4;
/// Index of TIME in `cc` (tenths of a second).
pub const VTIME: usize = 5;
/// Index of MIN in `cc`.
pub const VMIN: usize = 6;
/// Index of SWTC in `cc` (unused by N_TTY).
pub const VSWTC: usize = 7;
/// Index of START in `cc`.
pub const VSTART: usize = 8;
/// Index of STOP in `cc`.
pub const VSTOP: usize = 9;
/// Index of SUSP in `cc`.
pub const VSUSP: usize = 10;
/// Index of EOL in `cc`.
pub const VEOL: usize = 11;
/// Index of REPRINT in `cc`.
pub const VREPRINT: usize = 12;
/// Index of DISCARD in `cc` (unused by N_TTY).
pub const VDISCARD: usize = 13;
/// Index of WERASE in `cc`.
pub const VWERASE: usize = 14;
/// Index of LNEXT in `cc`.
pub const VLNEXT: usize = 15;
/// Index of EOL2 in `cc`.
pub const VEOL2: usize = 16;

/// The kernel's `INIT_C_CC`: default control characters.
pub const INIT_C_CC: [u8; NCCS] = {
    let mut cc = [0u8; NCCS];
    cc[VINTR] = 0x03;
    cc[VQUIT] = 0x1c;
    cc[VERASE] = 0x7f;
    cc[VKILL] = 0x15;
    cc[VEOF] = 0x04;
    cc[VSTART] = 0x11;
    cc[VSTOP] = 0x13;
    cc[VSUSP] = 0x1a;
    cc[VREPRINT] = 0x12;
    cc[VDISCARD] = 0x0f;
    cc[VWERASE] = 0x17;
    cc[VLNEXT] = 0x16;
    cc[VMIN] = 1;
    cc
};

/// Terminal attributes, as the line discipline sees them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Termios {
    /// Input modes.
    pub iflag: IFlag,
    /// Output modes.
    pub oflag: OFlag,
    /// Control modes.
    pub cflag: CFlag,
    /// Local modes.
    pub lflag: LFlag,
    /// Line discipline number.
    pub line: u8,
    /// Control characters, indexed by `VINTR`..`VEOL2`.
    pub cc: [u8; NCCS],
}

impl Termios {
    /// The kernel's `tty_std_termios`: a cooked terminal.
    pub const SANE: Termios = Termios {
        iflag: IFlag(IFlag::ICRNL.0 | IFlag::IXON.0),
        oflag: OFlag(OFlag::OPOST.0 | OFlag::ONLCR.0),
        cflag: CFlag(CFlag::B38400.0 | CFlag::CS8.0 | CFlag::CREAD.0 | CFlag::HUPCL.0),
        lflag: LFlag(
            LFlag::ISIG.0
                | LFlag::ICANON.0
                | LFlag::ECHO.0
                | LFlag::ECHOE.0
                | LFlag::ECHOK.0
                | LFlag::ECHOCTL.0
                | LFlag::ECHOKE.0
                | LFlag::IEXTEN.0,
        ),
        line: 0,
        cc: INIT_C_CC,
    };

    /// What `cfmakeraw` leaves: no input, output or local processing, VMIN 1, VTIME 0.
    pub const RAW: Termios = Termios {
        iflag: IFlag::EMPTY,
        oflag: OFlag::EMPTY,
        cflag: CFlag(CFlag::B38400.0 | CFlag::CS8.0 | CFlag::CREAD.0),
        lflag: LFlag::EMPTY,
        line: 0,
        cc: INIT_C_CC,
    };

    /// `self` with input flags replaced.
    pub const fn with_iflag(mut self, f: IFlag) -> Self {
        self.iflag = f;
        self
    }
    /// `self` with output flags replaced.
    pub const fn with_oflag(mut self, f: OFlag) -> Self {
        self.oflag = f;
        self
    }
    /// `self` with local flags replaced.
    pub const fn with_lflag(mut self, f: LFlag) -> Self {
        self.lflag = f;
        self
    }
    /// `self` with `cc[idx] = v` (an index past `NCCS` is ignored).
    pub const fn with_cc(mut self, idx: usize, v: u8) -> Self {
        if idx < NCCS {
            self.cc[idx] = v;
        }
        self
    }
    /// `self` with the given input flags added.
    pub const fn plus_i(mut self, f: IFlag) -> Self {
        self.iflag = self.iflag.union(f);
        self
    }
    /// `self` with the given input flags removed.
    pub const fn minus_i(mut self, f: IFlag) -> Self {
        self.iflag = self.iflag.without(f);
        self
    }
    /// `self` with the given output flags added.
    pub const fn plus_o(mut self, f: OFlag) -> Self {
        self.oflag = self.oflag.union(f);
        self
    }
    /// `self` with the given output flags removed.
    pub const fn minus_o(mut self, f: OFlag) -> Self {
        self.oflag = self.oflag.without(f);
        self
    }
    /// `self` with the given local flags added.
    pub const fn plus_l(mut self, f: LFlag) -> Self {
        self.lflag = self.lflag.union(f);
        self
    }
    /// `self` with the given local flags removed.
    pub const fn minus_l(mut self, f: LFlag) -> Self {
        self.lflag = self.lflag.without(f);
        self
    }

    /// The control character at `idx` (0 if out of range).
    pub const fn cc(&self, idx: usize) -> u8 {
        if idx < NCCS {
            self.cc[idx]
        } else {
            0
        }
    }
    /// True if the input flag is set.
    pub const fn i(&self, f: IFlag) -> bool {
        self.iflag.0 & f.0 != 0
    }
    /// True if the output flag is set.
    pub const fn o(&self, f: OFlag) -> bool {
        self.oflag.0 & f.0 != 0
    }
    /// True if the local flag is set.
    pub const fn l(&self, f: LFlag) -> bool {
        self.lflag.0 & f.0 != 0
    }
    /// True if output tab expansion (`TABDLY == XTABS`) is selected.
    pub const fn xtabs(&self) -> bool {
        self.oflag.0 & OFlag::TABDLY.0 == OFlag::XTABS.0
    }
}

impl Default for Termios {
    fn default() -> Self {
        Self::SANE
    }
}
