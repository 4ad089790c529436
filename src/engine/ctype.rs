//! The kernel's `lib/ctype.c` classification (Latin-1 aware), which N_TTY uses
//! for `iscntrl`, `isalnum`, `tolower` and `toupper`.

// The class bits of `lib/ctype.c`: upper, lower, digit, control, punctuation, white space,
// hex digit, hard space.
const U: u8 = 0x01;
const L: u8 = 0x02;
const D: u8 = 0x04;
const C: u8 = 0x08;
const P: u8 = 0x10;
const S: u8 = 0x20;
const X: u8 = 0x40;
const SP: u8 = 0x80;

/// The class table of `lib/ctype.c` (`_ctype`), Latin-1 included.
const fn build() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = match c {
            0..=8 => C,
            9..=13 => C | S,
            14..=31 => C,
            32 => S | SP,
            33..=47 => P,
            48..=57 => D,
            58..=64 => P,
            65..=70 => U | X,
            71..=90 => U,
            91..=96 => P,
            97..=102 => L | X,
            103..=122 => L,
            123..=126 => P,
            127 => C,
            128..=159 => 0,
            160 => S | SP,
            161..=191 => P,
            215 => P,
            192..=222 => U,
            247 => P,
            223..=255 => L,
        };
        i += 1;
    }
    t
}

/// The class bits of every byte, as `_ctype[]`.
static CTYPE: [u8; 256] = build();

/// The class bits of `c` (`__ismask`).
fn mask(c: u8) -> u8 {
    CTYPE[c as usize]
}

/// Kernel `iscntrl()`: 0..=31 and 127 (not 128..=159).
pub(crate) fn iscntrl(c: u8) -> bool {
    mask(c) & C != 0
}

/// Kernel `isalnum()` (Latin-1 letters count).
pub(crate) fn isalnum(c: u8) -> bool {
    mask(c) & (U | L | D) != 0
}

/// Kernel `tolower()`.
pub(crate) fn tolower(c: u8) -> u8 {
    if mask(c) & U != 0 {
        c.wrapping_add(32)
    } else {
        c
    }
}

/// Kernel `toupper()`.
pub(crate) fn toupper(c: u8) -> u8 {
    if mask(c) & L != 0 {
        c.wrapping_sub(32)
    } else {
        c
    }
}
