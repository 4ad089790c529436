//! Canonical input and line editing: lines, CR/NL mapping, EOF, ERASE, WERASE, KILL,
//! their echoes, REPRINT, LNEXT, EOL and EOL2.

use super::*;

/// The cases of this group, in table order.
pub(super) const CASES: &[Case] = &[
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
    // KILL without ECHO drops the line at once, even a lone UTF-8 continuation byte that
    // the erase loop would refuse to split (eraser: `if (!L_ECHO(tty))` comes first).
    expect(
        case(
            "kill_without_echo_drops_lone_utf8_continuation",
            SANE.minus_l(LFlag::ECHO).plus_i(IFlag::IUTF8),
            b"\x80\x15x\n",
        ),
        &[b"x\n"],
        b"",
    ),
    // ERASE with IUTF8 never splits a character: a line that is only continuation bytes
    // stays as it is (eraser: "do not partially erase"), and the scan stops at the line start.
    expect(
        case(
            "iutf8_erase_keeps_lone_continuations",
            SANE.minus_l(LFlag::ECHO).plus_i(IFlag::IUTF8),
            b"\x80\x80\x7f\n",
        ),
        &[b"\x80\x80\n"],
        b"",
    ),
    // ECHOPRT erasing a UTF-8 character prints all of its bytes after the \ (a newline
    // does not close the erasure with /).
    expect(
        case(
            "echoprt_erases_utf8_character_whole",
            SANE.plus_l(LFlag::ECHOPRT).plus_i(IFlag::IUTF8),
            b"a\xc3\xa9\x7f\n",
        ),
        &[b"a\n"],
        b"a\xc3\xa9\\\xc3\xa9\r\n",
    ),
    // Without ECHOCTL, a printable character is still erased by backspace, space, backspace.
    expect(
        case(
            "erase_without_echoctl",
            SANE.minus_l(LFlag::ECHOCTL),
            b"ab\x7f\n",
        ),
        &[b"a\n"],
        b"ab\x08 \x08\r\n",
    ),
    // A CR taken from NL by INLCR, echoed "^M" first in a line, does not move the line's
    // canonical column (set only at a line's first character): the tab after it erases
    // with 4 backspaces (columns "ab^M" are 4 of its 8).
    expect(
        case(
            "inlcr_cr_inside_a_line_keeps_its_canon_column",
            SANE.plus_i(IFlag::INLCR).minus_i(IFlag::ICRNL),
            b"ab\n\t\x7f\x04",
        ),
        &[b"ab\r"],
        b"ab^M\t\x08\x08\x08\x08",
    ),
];
