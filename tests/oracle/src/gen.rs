//! Seeded case generator.

use crate::OCase;
use n_rust_engine::{
    IFlag, LFlag, OFlag, Termios, VEOF, VEOL, VEOL2, VERASE, VINTR, VKILL, VLNEXT, VMIN, VQUIT,
    VREPRINT, VSTART, VSTOP, VSUSP, VTIME, VWERASE,
};

/// SplitMix64: small, seedable, good enough for test generation.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// True with probability `p` percent.
    pub fn pct(&mut self, p: u32) -> bool {
        (self.next_u64() % 100) < p as u64
    }
    /// One element of `v`.
    pub fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len())]
    }
}

/// The seed of case `index` in a run seeded `seed`.
pub fn case_seed(seed: u64, index: u64) -> u64 {
    let mut r = Rng::new(seed ^ index.wrapping_mul(0xd134_2543_de82_ef95));
    r.next_u64()
}

const IBITS: [IFlag; 15] = [
    IFlag::IGNBRK,
    IFlag::BRKINT,
    IFlag::IGNPAR,
    IFlag::PARMRK,
    IFlag::INPCK,
    IFlag::ISTRIP,
    IFlag::INLCR,
    IFlag::IGNCR,
    IFlag::ICRNL,
    IFlag::IUCLC,
    IFlag::IXON,
    IFlag::IXANY,
    IFlag::IXOFF,
    IFlag::IMAXBEL,
    IFlag::IUTF8,
];
const OBITS: [OFlag; 6] = [
    OFlag::OPOST,
    OFlag::OLCUC,
    OFlag::ONLCR,
    OFlag::OCRNL,
    OFlag::ONOCR,
    OFlag::ONLRET,
];
const LBITS: [LFlag; 12] = [
    LFlag::ISIG,
    LFlag::ICANON,
    LFlag::ECHO,
    LFlag::ECHOE,
    LFlag::ECHOK,
    LFlag::ECHONL,
    LFlag::NOFLSH,
    LFlag::TOSTOP,
    LFlag::ECHOCTL,
    LFlag::ECHOPRT,
    LFlag::ECHOKE,
    LFlag::IEXTEN,
];
/// The control characters the generator gives random values.
pub const SPECIAL: [usize; 13] = [
    VINTR, VQUIT, VERASE, VKILL, VEOF, VSTART, VSTOP, VSUSP, VEOL, VREPRINT, VWERASE, VLNEXT, VEOL2,
];

/// A random control-character value (disabled, control, DEL, letters, separators, high bytes).
pub fn gen_cc_value(r: &mut Rng) -> u8 {
    match r.below(8) {
        0 => 0,
        1 | 2 => 1 + r.below(31) as u8,
        3 => 0x7f,
        4 => b'a' + r.below(26) as u8,
        5 => r.pick(b"\n\r\t ;"),
        6 => r.pick(&[0xff, 0x80, 0x82, 0xc3, 0xa9, 0xe2]),
        _ => r.next_u64() as u8,
    }
}

/// A random termios over every flag of issue 3.
pub fn gen_termios(r: &mut Rng) -> Termios {
    let mut t = if r.pct(55) {
        Termios::SANE
    } else {
        Termios::RAW
    };
    let flip = if r.pct(50) { 12 } else { 35 };
    for b in IBITS {
        if r.pct(flip) {
            t.iflag.0 ^= b.0;
        }
    }
    for b in OBITS {
        if r.pct(flip) {
            t.oflag.0 ^= b.0;
        }
    }
    if r.pct(25) {
        t.oflag.0 = (t.oflag.0 & !OFlag::TABDLY.0) | (r.below(4) as u32) << 11;
    }
    for b in LBITS {
        if r.pct(flip) {
            t.lflag.0 ^= b.0;
        }
    }
    if r.pct(4) {
        t.lflag.0 ^= LFlag::EXTPROC.0;
    }
    for idx in SPECIAL {
        if r.pct(12) {
            t.cc[idx] = gen_cc_value(r);
        }
    }
    t.cc[VMIN] = r.pick(&[0, 1, 1, 1, 2, 5, 64, 100, 255]);
    t.cc[VTIME] = if r.pct(15) { 1 + r.below(20) as u8 } else { 0 };
    t
}

/// Appends one random input byte (or a UTF-8 sequence) to `v`, often one of `t`'s special characters.
pub fn push_byte(r: &mut Rng, t: &Termios, v: &mut Vec<u8>) {
    match r.below(20) {
        0..=5 => {
            v.push(r.pick(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.,"))
        }
        6..=9 => {
            let idx = r.pick(&SPECIAL);
            let c = t.cc[idx];
            v.push(if c == 0 { b'x' } else { c });
        }
        10..=11 => v.push(r.below(32) as u8),
        12 => v.push(0x7f),
        13..=14 => v.push(r.pick(b"\n\r\t\n\t ")),
        15..=16 => {
            let seq: &[u8] = r.pick(&[
                "\u{e9}".as_bytes(),
                "\u{20ac}".as_bytes(),
                "\u{1f600}".as_bytes(),
                "\u{df}".as_bytes(),
                "\u{4e2d}".as_bytes(),
                b"\x80",
                b"\x82",
                b"\xc3",
            ]);
            v.extend_from_slice(seq);
        }
        17 => v.push(r.pick(&[0xff, 0x80, 0x81, 0x82, 0x9b, 0xa0])),
        _ => v.push(r.next_u64() as u8),
    }
}

/// Appends the bytes that may act as a signal character under `t` (VINTR, VQUIT and VSUSP
/// when ISIG is set, the disabled value 0 left out).
pub fn signal_chars(t: &Termios, out: &mut Vec<u8>) {
    if t.l(LFlag::ISIG) {
        out.extend(
            [VINTR, VQUIT, VSUSP]
                .iter()
                .map(|&i| t.cc[i])
                .filter(|&c| c != 0),
        );
    }
}

/// Whether input byte `c` may act as one of the signal characters `sig`: as received, or as
/// the discipline may see it after ISTRIP or IUCLC (the kernel's Latin-1 `tolower()`), under
/// whichever termios applies. A generator keeps such a byte in an input chunk of its own: N_TTY's
/// signal flush drops the lock it holds while receiving and throws away what the master has
/// not taken yet, so only then is the result independent of timing (`DIVERGENCES.md`).
pub fn may_signal(c: u8, sig: &[u8]) -> bool {
    let low = |c: u8| {
        if c.is_ascii_uppercase() || ((0xc0..=0xde).contains(&c) && c != 0xd7) {
            c + 32
        } else {
            c
        }
    };
    [c, c & 0x7f, low(c), low(c & 0x7f)]
        .iter()
        .any(|x| sig.contains(x))
}

/// A random case.
pub fn gen_case(seed: u64) -> OCase {
    let mut r = Rng::new(seed);
    let t = gen_termios(&mut r);
    let t2 = if r.pct(12) {
        let mut t2 = if r.pct(50) { gen_termios(&mut r) } else { t };
        match r.below(4) {
            0 => t2.lflag.0 ^= LFlag::ICANON.0,
            1 => t2.lflag.0 ^= LFlag::EXTPROC.0,
            2 => t2.iflag.0 ^= IFlag::IXON.0,
            _ => t2.lflag.0 ^= LFlag::ECHO.0,
        }
        Some(t2)
    } else {
        None
    };
    let ixon = t.i(IFlag::IXON) || t2.is_some_and(|x| x.i(IFlag::IXON));
    let max_total = if ixon { 1000 } else { 6000 };
    let mut input = Vec::new();
    let len = match r.below(20) {
        0..=12 => r.below(40),
        13..=18 => 40 + r.below(400),
        _ => 400 + r.below(max_total - 400),
    };
    while input.len() < len {
        if !ixon && r.pct(1) {
            let n = 100 + r.below(4500);
            for _ in 0..n {
                input.push(b'a' + r.below(26) as u8);
            }
        } else {
            push_byte(&mut r, &t, &mut input);
        }
    }
    input.truncate(max_total);

    // Split points: random, plus a chunk boundary before and after every byte
    // that may act as a signal character (see DIVERGENCES.md).
    let mut isig_chars: Vec<u8> = Vec::new();
    for tt in [Some(t), t2].into_iter().flatten() {
        signal_chars(&tt, &mut isig_chars);
    }
    let mean = r.pick(&[1usize, 3, 8, 32, 128, 1024]);
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut cur = Vec::new();
    for &b in &input {
        let sig = may_signal(b, &isig_chars);
        if (sig || cur.len() >= 1024 || r.below(mean) == 0) && !cur.is_empty() {
            chunks.push(std::mem::take(&mut cur));
        }
        cur.push(b);
        if sig {
            chunks.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        chunks.push(cur);
    }
    let read_size = r.pick(&[1usize, 2, 3, 7, 64, 65, 100, 512, 4096]);
    let mut write = Vec::new();
    if r.pct(50) {
        let n = r.below(200);
        while write.len() < n {
            push_byte(&mut r, &t, &mut write);
        }
    }
    let switch = t2.map(|t2| (r.below(chunks.len().max(1)), t2));
    OCase {
        termios: t,
        chunks,
        read_size,
        write,
        switch,
    }
}
