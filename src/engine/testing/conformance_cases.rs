//! The cases of the conformance table ([`CASES`]); see [`super::conformance`] for what a
//! case does and how it is checked.

use super::conformance::Case;
use crate::engine::actions::Signal;
use crate::engine::termios::{IFlag, LFlag, OFlag, Termios, VEOL, VEOL2, VINTR, VMIN, VTIME};

const SANE: Termios = Termios::SANE;
const RAW: Termios = Termios::RAW;

/// `N` bytes of `b`, the last one `last`.
const fn fill<const N: usize>(b: u8, last: u8) -> [u8; N] {
    let mut a = [b; N];
    if N > 0 {
        a[N - 1] = last;
    }
    a
}

/// 5000 'a' and a newline: a canonical line past the 4095-character limit.
static LONG_INPUT: [u8; 5001] = fill(b'a', b'\n');
/// What a reader gets of it: 4095 'a' and the newline.
static LONG_LINE: [u8; 4096] = fill(b'a', b'\n');
static HUNDRED: [u8; 100] = fill(b'x', b'x');
static X64: [u8; 64] = fill(b'x', b'x');
static X36: [u8; 36] = fill(b'x', b'x');

/// A case with termios `termios` and driver input `input`, expecting nothing: no read
/// result, no driver output, no signal; the builders below add expectations.
const fn case(name: &'static str, termios: Termios, input: &'static [u8]) -> Case {
    Case {
        name,
        termios,
        input,
        flags: None,
        switch_to: None,
        input2: b"",
        read_size: 512,
        reads: &[],
        write: b"",
        written: 0,
        master: b"",
        signals: &[],
    }
}

/// Expect the read results `reads` and the driver bytes `master`.
const fn expect(mut c: Case, reads: &'static [&'static [u8]], master: &'static [u8]) -> Case {
    c.reads = reads;
    c.master = master;
    c
}

/// Expect the signals `s`.
const fn sigs(mut c: Case, s: &'static [Signal]) -> Case {
    c.signals = s;
    c
}

/// Give the input per-byte `TTY_*` flags `f`.
const fn flagged(mut c: Case, f: &'static [u8]) -> Case {
    c.flags = Some(f);
    c
}

/// Write `w` after the reads, expecting `written` bytes taken.
const fn writes(mut c: Case, w: &'static [u8], written: usize) -> Case {
    c.write = w;
    c.written = written;
    c
}

/// Read with `read(2)` calls of `n` bytes.
const fn rsize(mut c: Case, n: usize) -> Case {
    c.read_size = n;
    c
}

/// Switch to termios `t` after the input, then receive `input2`.
const fn switch(mut c: Case, t: Termios, input2: &'static [u8]) -> Case {
    c.switch_to = Some(t);
    c.input2 = input2;
    c
}

const OPOST_ONLY: Termios = RAW.with_oflag(OFlag::OPOST);
const RAW_VMIN0: Termios = RAW.with_cc(VMIN, 0);
const RAW_WAIT: Termios = RAW.with_cc(VMIN, 255);

/// The conformance cases.
pub static CASES: &[Case] = &[
    expect(
        case("canon_line_echo_onlcr", SANE, b"abc\n"),
        &[b"abc\n"],
        b"abc\r\n",
    ),
    expect(
        case("icrnl_maps_cr_to_nl", SANE, b"ab\r"),
        &[b"ab\n"],
        b"ab\r\n",
    ),
    expect(
        case(
            "no_icrnl_cr_is_data_echoed_ctl",
            SANE.minus_i(IFlag::ICRNL),
            b"ab\rcd\n",
        ),
        &[b"ab\rcd\n"],
        b"ab^Mcd\r\n",
    ),
    expect(
        case("igncr_drops_cr", SANE.plus_i(IFlag::IGNCR), b"a\rb\n"),
        &[b"ab\n"],
        b"ab\r\n",
    ),
    expect(
        case(
            "inlcr_maps_nl_to_cr",
            SANE.plus_i(IFlag::INLCR).minus_i(IFlag::ICRNL),
            b"ab\n\x04",
        ),
        &[b"ab\r"],
        b"ab^M",
    ),
    expect(
        case("eof_at_line_start_reads_zero", SANE, b"\x04"),
        &[b""],
        b"",
    ),
    expect(
        case("eof_mid_line_pushes_line", SANE, b"ab\x04cd\n"),
        &[b"ab", b"cd\n"],
        b"abcd\r\n",
    ),
    expect(
        case("erase_with_echoe", SANE, b"abc\x7f\n"),
        &[b"ab\n"],
        b"abc\x08 \x08\r\n",
    ),
    expect(
        case(
            "erase_without_echoe_echoes_erase_char",
            SANE.minus_l(LFlag::ECHOE),
            b"ab\x7f\n",
        ),
        &[b"a\n"],
        b"ab^?\r\n",
    ),
    expect(
        case("erase_at_line_start_does_nothing", SANE, b"\x7f\x7fa\n"),
        &[b"a\n"],
        b"a\r\n",
    ),
    expect(
        case("erase_over_tab_backs_up_columns", SANE, b"a\t\x7f\n"),
        &[b"a\n"],
        b"a\t\x08\x08\x08\x08\x08\x08\x08\r\n",
    ),
    expect(
        case("erase_over_tab_after_tab", SANE, b"\tab\t\x7f\n"),
        &[b"\tab\n"],
        b"\tab\t\x08\x08\x08\x08\x08\x08\r\n",
    ),
    expect(
        case(
            "erase_control_char_echoctl_two_columns",
            SANE,
            b"a\x01\x7f\n",
        ),
        &[b"a\n"],
        b"a^A\x08 \x08\x08 \x08\r\n",
    ),
    expect(
        case("werase_erases_word", SANE, b"foo bar\x17\n"),
        &[b"foo \n"],
        b"foo bar\x08 \x08\x08 \x08\x08 \x08\r\n",
    ),
    expect(
        case("werase_skips_trailing_blanks", SANE, b"fo  \x17\n"),
        &[b"\n"],
        b"fo  \x08 \x08\x08 \x08\x08 \x08\x08 \x08\r\n",
    ),
    expect(
        case(
            "werase_needs_iexten",
            SANE.minus_l(LFlag::IEXTEN),
            b"ab\x17\n",
        ),
        &[b"ab\x17\n"],
        b"ab^W\r\n",
    ),
    expect(
        case("kill_echoke_erases_visually", SANE, b"abc\x15\n"),
        &[b"\n"],
        b"abc\x08 \x08\x08 \x08\x08 \x08\r\n",
    ),
    expect(
        case(
            "kill_echok_without_echoke_newline",
            SANE.minus_l(LFlag::ECHOKE),
            b"abc\x15d\n",
        ),
        &[b"d\n"],
        b"abc^U\r\nd\r\n",
    ),
    expect(
        case(
            "kill_without_echok_echoes_kill_char",
            SANE.minus_l(LFlag::ECHOKE).minus_l(LFlag::ECHOK),
            b"abc\x15d\n",
        ),
        &[b"d\n"],
        b"abc^Ud\r\n",
    ),
    expect(
        case(
            "kill_without_echo_silent",
            SANE.minus_l(LFlag::ECHO),
            b"abc\x15d\n",
        ),
        &[b"d\n"],
        b"",
    ),
    expect(
        case(
            "echonl_without_echo",
            SANE.minus_l(LFlag::ECHO).plus_l(LFlag::ECHONL),
            b"ab\n",
        ),
        &[b"ab\n"],
        b"\r\n",
    ),
    expect(
        case(
            "echoctl_off_echoes_raw_control",
            SANE.minus_l(LFlag::ECHOCTL),
            b"a\x01\n",
        ),
        &[b"a\x01\n"],
        b"a\x01\r\n",
    ),
    expect(
        case(
            "echoprt_hardcopy_erase",
            SANE.plus_l(LFlag::ECHOPRT),
            b"abc\x7f\x7fd\n",
        ),
        &[b"ad\n"],
        b"abc\\cb/d\r\n",
    ),
    expect(
        case("reprint_retypes_line", SANE, b"ab\x12c\n"),
        &[b"abc\n"],
        b"ab^R\r\nabc\r\n",
    ),
    expect(
        case("lnext_quotes_erase", SANE, b"a\x16\x7f\n"),
        &[b"a\x7f\n"],
        b"a^\x08^?\r\n",
    ),
    expect(
        case("eol_ends_line", SANE.with_cc(VEOL, b';'), b"ab;cd\n"),
        &[b"ab;", b"cd\n"],
        b"ab;cd\r\n",
    ),
    expect(
        case(
            "eol2_needs_iexten",
            SANE.with_cc(VEOL2, b';').minus_l(LFlag::IEXTEN),
            b"ab;cd\n",
        ),
        &[b"ab;cd\n"],
        b"ab;cd\r\n",
    ),
    expect(
        case("eol2_ends_line", SANE.with_cc(VEOL2, b';'), b"ab;cd\n"),
        &[b"ab;", b"cd\n"],
        b"ab;cd\r\n",
    ),
    sigs(
        expect(
            case("isig_intr_flushes_and_signals", SANE, b"ab\x03cd\n"),
            &[b"cd\n"],
            b"^Ccd\r\n",
        ),
        &[Signal::Int],
    ),
    sigs(
        expect(
            case(
                "noflsh_keeps_input",
                SANE.plus_l(LFlag::NOFLSH),
                b"ab\x03cd\n",
            ),
            &[b"abcd\n"],
            b"ab^Ccd\r\n",
        ),
        &[Signal::Int],
    ),
    sigs(
        expect(case("quit_sends_sigquit", SANE, b"\x1c"), &[], b"^\\"),
        &[Signal::Quit],
    ),
    sigs(
        expect(case("susp_sends_sigtstp", SANE, b"\x1a"), &[], b"^Z"),
        &[Signal::Tstp],
    ),
    expect(
        case(
            "isig_off_intr_is_data",
            SANE.minus_l(LFlag::ISIG),
            b"\x03\n",
        ),
        &[b"\x03\n"],
        b"^C\r\n",
    ),
    expect(
        case(
            "vdisable_disables_char",
            SANE.with_cc(VINTR, 0),
            b"\x03\x00\n",
        ),
        &[b"\x03\x00\n"],
        b"^C^@\r\n",
    ),
    expect(
        case("ixon_stop_start_consumed", SANE, b"a\x13b\x11c\n"),
        &[b"abc\n"],
        b"abc\r\n",
    ),
    writes(
        expect(
            case("ixon_stop_holds_echo_and_output", SANE, b"a\x13b\n"),
            &[b"ab\n"],
            b"",
        ),
        b"out",
        0,
    ),
    expect(
        case(
            "ixany_any_char_restarts",
            SANE.plus_i(IFlag::IXANY),
            b"\x13ab\n",
        ),
        &[b"ab\n"],
        b"ab\r\n",
    ),
    expect(
        case(
            "ixon_off_stop_is_data",
            SANE.minus_i(IFlag::IXON),
            b"\x13\n",
        ),
        &[b"\x13\n"],
        b"^S\r\n",
    ),
    expect(
        case("istrip_strips_bit8", SANE.plus_i(IFlag::ISTRIP), b"\xe1\n"),
        &[b"a\n"],
        b"a\r\n",
    ),
    expect(
        case("iuclc_lowers_input", SANE.plus_i(IFlag::IUCLC), b"ABc\n"),
        &[b"abc\n"],
        b"abc\r\n",
    ),
    expect(
        case(
            "iuclc_needs_iexten",
            SANE.plus_i(IFlag::IUCLC).minus_l(LFlag::IEXTEN),
            b"AB\n",
        ),
        &[b"AB\n"],
        b"AB\r\n",
    ),
    expect(
        case("parmrk_doubles_ff", RAW.plus_i(IFlag::PARMRK), b"\xffa"),
        &[b"\xff\xffa"],
        b"",
    ),
    sigs(
        flagged(
            case(
                "brkint_break_sends_sigint",
                RAW.plus_i(IFlag::BRKINT),
                b"\x00",
            ),
            &[1],
        ),
        &[Signal::Int],
    ),
    expect(
        flagged(
            case("break_parmrk_marks", RAW.plus_i(IFlag::PARMRK), b"\x00"),
            &[1],
        ),
        &[b"\xff\x00\x00"],
        b"",
    ),
    expect(
        flagged(
            case("break_plain_reads_nul", RAW.plus_i(IFlag::INPCK), b"\x00z"),
            &[1, 0],
        ),
        &[b"\x00z"],
        b"",
    ),
    flagged(
        case(
            "ignbrk_ignores_break",
            RAW.plus_i(IFlag::IGNBRK)
                .plus_i(IFlag::BRKINT)
                .plus_i(IFlag::ISTRIP),
            b"\x00",
        ),
        &[1],
    ),
    expect(
        flagged(
            case(
                "real_raw_pty_ignores_flags",
                RAW.plus_i(IFlag::INPCK).plus_i(IFlag::IGNPAR),
                b"x",
            ),
            &[3],
        ),
        &[b"x"],
        b"",
    ),
    expect(
        flagged(
            case(
                "parity_inpck_parmrk_marks",
                RAW.plus_i(IFlag::INPCK).plus_i(IFlag::PARMRK),
                b"x",
            ),
            &[3],
        ),
        &[b"\xff\x00x"],
        b"",
    ),
    flagged(
        case(
            "parity_inpck_ignpar_drops",
            RAW.plus_i(IFlag::INPCK)
                .plus_i(IFlag::IGNPAR)
                .plus_i(IFlag::ISTRIP),
            b"x",
        ),
        &[3],
    ),
    expect(
        flagged(
            case(
                "frame_without_inpck_keeps_char",
                RAW.plus_i(IFlag::ISTRIP),
                b"x",
            ),
            &[2],
        ),
        &[b"x"],
        b"",
    ),
    expect(
        flagged(
            case("parity_inpck_reads_nul", RAW.plus_i(IFlag::INPCK), b"xy"),
            &[3, 0],
        ),
        &[b"\x00y"],
        b"",
    ),
    expect(
        flagged(
            case("overrun_flag_drops_char", RAW.plus_i(IFlag::INPCK), b"xy"),
            &[4, 0],
        ),
        &[b"y"],
        b"",
    ),
    expect(
        case("raw_passes_everything", RAW, b"a\r\n\x03\x7f\x04"),
        &[b"a\r\n\x03\x7f\x04"],
        b"",
    ),
    writes(
        expect(case("onlcr_output_maps_nl", SANE, b""), &[], b"a\r\nb"),
        b"a\nb",
        3,
    ),
    writes(
        expect(
            case("ocrnl_output_maps_cr", OPOST_ONLY.plus_o(OFlag::OCRNL), b""),
            &[],
            b"a\nb",
        ),
        b"a\rb",
        3,
    ),
    writes(
        expect(
            case(
                "onocr_drops_cr_at_column0",
                OPOST_ONLY.plus_o(OFlag::ONOCR),
                b"",
            ),
            &[],
            b"ab\r",
        ),
        b"\rab\r",
        4,
    ),
    writes(
        expect(
            case(
                "onlret_nl_resets_column",
                OPOST_ONLY.plus_o(OFlag::ONLRET).plus_o(OFlag::XTABS),
                b"",
            ),
            &[],
            b"ab\n        ",
        ),
        b"ab\n\t",
        4,
    ),
    writes(
        expect(
            case("xtabs_expands_tabs", OPOST_ONLY.plus_o(OFlag::XTABS), b""),
            &[],
            b"ab\n      x",
        ),
        b"ab\n\tx",
        5,
    ),
    writes(
        expect(
            case(
                "olcuc_uppercases_latin1",
                OPOST_ONLY.plus_o(OFlag::OLCUC),
                b"",
            ),
            &[],
            b"ABC\xc9",
        ),
        b"abc\xe9",
        4,
    ),
    writes(
        expect(case("opost_off_passes_output", RAW, b""), &[], b"a\n\t"),
        b"a\n\t",
        3,
    ),
    expect(
        case("echo_without_onlcr", SANE.minus_o(OFlag::ONLCR), b"a\n"),
        &[b"a\n"],
        b"a\n",
    ),
    expect(
        case(
            "iutf8_erase_whole_character",
            SANE.plus_i(IFlag::IUTF8),
            b"a\xc3\xa9\x7f\n",
        ),
        &[b"a\n"],
        b"a\xc3\xa9\x08 \x08\r\n",
    ),
    expect(
        case("no_iutf8_erase_one_byte", SANE, b"a\xc3\xa9\x7f\n"),
        &[b"a\xc3\n"],
        b"a\xc3\xa9\x08 \x08\r\n",
    ),
    expect(
        case("echo_of_ff_is_escaped", SANE, b"\xff\n"),
        &[b"\xff\n"],
        b"\xff\r\n",
    ),
    expect(
        case("vmin0_vtime0_returns_immediately", RAW_VMIN0, b"ab"),
        &[b"ab"],
        b"",
    ),
    rsize(
        expect(
            case("canon_partial_reads", SANE, b"abcde\n"),
            &[b"ab", b"cd", b"e\n"],
            b"abcde\r\n",
        ),
        2,
    ),
    rsize(
        expect(
            case("canon_exact_read_eats_eof", SANE, b"abc\x04"),
            &[b"abc"],
            b"abc",
        ),
        3,
    ),
    expect(
        case(
            "extproc_passes_raw_no_echo",
            SANE.plus_l(LFlag::EXTPROC),
            b"ab\x7f\n",
        ),
        &[b"ab\x7f\n"],
        b"",
    ),
    rsize(
        expect(
            case(
                "canon_line_limit_4095",
                SANE.minus_l(LFlag::ECHO),
                &LONG_INPUT,
            ),
            &[&LONG_LINE],
            b"",
        ),
        4096,
    ),
    rsize(
        expect(
            case(
                "raw_vmin_over_64_reads_64_chunk",
                RAW.with_cc(VMIN, 100),
                &HUNDRED,
            ),
            &[&X64, &X36],
            b"",
        ),
        200,
    ),
    expect(
        switch(
            case(
                "icanon_off_releases_partial_line",
                SANE.minus_l(LFlag::ECHO),
                b"abc",
            ),
            RAW,
            b"d",
        ),
        &[b"abcd"],
        b"",
    ),
    expect(
        switch(
            case("icanon_on_pushes_pending_input", RAW_WAIT, b"abc"),
            SANE.minus_l(LFlag::ECHO),
            b"",
        ),
        &[b"abc"],
        b"",
    ),
    expect(
        switch(
            case("icanon_on_push_then_new_line", RAW_WAIT, b"ab"),
            SANE.minus_l(LFlag::ECHO),
            b"cd\n",
        ),
        &[b"ab", b"cd\n"],
        b"",
    ),
    expect(
        case(
            "raw_echo_ctl_chars",
            RAW.plus_l(LFlag::ECHO).plus_l(LFlag::ECHOCTL),
            b"a\x01\t",
        ),
        &[b"a\x01\t"],
        b"a^A\t",
    ),
    expect(
        case(
            "vtime_ignored_in_canon",
            SANE.with_cc(VTIME, 5).with_cc(VMIN, 0),
            b"x\n",
        ),
        &[b"x\n"],
        b"x\r\n",
    ),
];
