//! Termios values: the kernel's numbers and defaults.
use n_rust_engine::*;

#[test]
fn sane_matches_tty_std_termios() {
    let t = Termios::SANE;
    assert_eq!(t.iflag.bits(), 0x100 | 0x400);
    assert_eq!(t.oflag.bits(), 0x01 | 0x04);
    assert_eq!(
        t.lflag.bits(),
        0x1 | 0x2 | 0x8 | 0x10 | 0x20 | 0x200 | 0x800 | 0x8000
    );
    assert_eq!(t.cflag.bits(), 0x0f | 0x30 | 0x80 | 0x400);
}

#[test]
fn init_c_cc_matches_kernel() {
    let cc = INIT_C_CC;
    assert_eq!(NCCS, 19);
    assert_eq!(
        [cc[VINTR], cc[VQUIT], cc[VERASE], cc[VKILL], cc[VEOF], cc[VTIME], cc[VMIN]],
        [3, 0x1c, 0x7f, 0x15, 4, 0, 1]
    );
    assert_eq!(
        [
            cc[VSTART],
            cc[VSTOP],
            cc[VSUSP],
            cc[VEOL],
            cc[VREPRINT],
            cc[VDISCARD],
            cc[VWERASE],
            cc[VLNEXT],
            cc[VEOL2]
        ],
        [0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0]
    );
}

#[test]
fn control_char_indices_are_linux_x86() {
    assert_eq!(
        [
            VINTR, VQUIT, VERASE, VKILL, VEOF, VTIME, VMIN, VSWTC, VSTART, VSTOP, VSUSP, VEOL,
            VREPRINT, VDISCARD, VWERASE, VLNEXT, VEOL2
        ],
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]
    );
}

#[test]
fn flag_values_are_linux_x86() {
    assert_eq!(IFlag::IUTF8.bits(), 0x4000);
    assert_eq!(IFlag::IXOFF.bits(), 0x1000);
    assert_eq!(OFlag::XTABS.bits(), 0x1800);
    assert_eq!(LFlag::EXTPROC.bits(), 0x10000);
    assert_eq!(LFlag::IEXTEN.bits(), 0x8000);
    assert_eq!(POSIX_VDISABLE, 0);
}

#[test]
fn const_builders_compose() {
    const T: Termios = Termios::SANE
        .minus_l(LFlag::ECHO)
        .plus_i(IFlag::IUTF8)
        .with_cc(VMIN, 5);
    assert!(!T.l(LFlag::ECHO) && T.i(IFlag::IUTF8) && T.cc(VMIN) == 5);
    assert!(!Termios::SANE.xtabs());
    assert!(Termios::SANE.plus_o(OFlag::XTABS).xtabs());
}

#[test]
fn control_character_index_past_nccs_is_ignored() {
    assert_eq!(Termios::SANE.cc(NCCS), 0);
    assert_eq!(Termios::SANE.with_cc(NCCS, 1).cc, Termios::SANE.cc);
}
