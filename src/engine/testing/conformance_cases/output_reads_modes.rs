//! Output processing, echo details (IUTF8, 0xff), reads (VMIN/VTIME, partial and
//! canonical reads, the line limit), EXTPROC and mode switches.

use super::*;

/// The cases of this group, in table order.
pub(super) const CASES: &[Case] = &[
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
    ends_with_zero(expect(
        case("vmin0_vtime0_returns_immediately", RAW_VMIN0, b"ab"),
        &[b"ab"],
        b"",
    )),
    // With nothing to read, VMIN = VTIME = 0 answers 0 at once, before the O_NONBLOCK check
    // of `n_tty_read`; with a VTIME (or a VMIN) a nonblocking read fails with EAGAIN.
    ends_with_zero(case("vmin0_vtime0_nothing_returns_zero", RAW_VMIN0, b"")),
    case(
        "vmin0_vtime_set_nothing_is_eagain",
        RAW_VMIN0.with_cc(VTIME, 5),
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
    // A read that fills the buffer exactly eats an EOF marker after it, not a newline.
    rsize(
        expect(
            case("canon_exact_read_keeps_newline", SANE, b"abc\n"),
            &[b"abc", b"\n"],
            b"abc\r\n",
        ),
        3,
    ),
    // EXTPROC: only a read of a single EOF character returns 0; one byte, or an EOF
    // character with more after it, is data.
    expect(
        case(
            "extproc_single_byte_is_data",
            SANE.plus_l(LFlag::EXTPROC),
            b"a",
        ),
        &[b"a"],
        b"",
    ),
    expect(
        case(
            "extproc_eof_then_more_is_data",
            SANE.plus_l(LFlag::EXTPROC),
            b"\x04x",
        ),
        &[b"\x04x"],
        b"",
    ),
    // EXTPROC with ISTRIP: the standard loop strips the byte, then stores it without echo.
    expect(
        case(
            "extproc_istrip_strips",
            SANE.plus_l(LFlag::EXTPROC).plus_i(IFlag::ISTRIP),
            b"\xe1b\n",
        ),
        &[b"ab\n"],
        b"",
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
    // OCRNL maps a CR at column 0 too (only ONOCR drops one there).
    writes(
        expect(
            case(
                "ocrnl_maps_cr_at_column0",
                OPOST_ONLY.plus_o(OFlag::OCRNL),
                b"",
            ),
            &[],
            b"\na",
        ),
        b"\ra",
        2,
    ),
    // A backspace in written output moves the column back: the tab then fills 7 columns.
    writes(
        expect(
            case(
                "xtabs_after_written_backspace",
                OPOST_ONLY.plus_o(OFlag::XTABS),
                b"",
            ),
            &[],
            b"ab\x08       x",
        ),
        b"ab\x08\tx",
        5,
    ),
    // The same for the backspaces of an erase echo.
    expect(
        case(
            "xtabs_echo_after_erase",
            SANE.plus_o(OFlag::XTABS),
            b"ab\x7f\t\n",
        ),
        &[b"a\t\n"],
        b"ab\x08 \x08       \r\n",
    ),
    // A UTF-8 character takes one column: the tab echoed after it fills 7.
    expect(
        case(
            "xtabs_echo_counts_utf8_character_once",
            SANE.plus_o(OFlag::XTABS).plus_i(IFlag::IUTF8),
            b"\xe2\x82\xac\t\n",
        ),
        &[b"\xe2\x82\xac\t\n"],
        b"\xe2\x82\xac       \r\n",
    ),
    // Erasing an expanded tab backs up to where it began: the next tab fills 7 again.
    expect(
        case(
            "xtabs_erase_tab_then_tab",
            SANE.plus_o(OFlag::XTABS),
            b"a\t\x7f\t\n",
        ),
        &[b"a\t\n"],
        b"a       \x08\x08\x08\x08\x08\x08\x08       \r\n",
    ),
    // ECHOPRT erasing a UTF-8 character: the column it ends at decides the next tab.
    expect(
        case(
            "xtabs_after_echoprt_utf8_erase",
            SANE.plus_o(OFlag::XTABS)
                .plus_i(IFlag::IUTF8)
                .plus_l(LFlag::ECHOPRT),
            b"a\xe2\x82\xac\x7f\t\n",
        ),
        &[b"a\t\n"],
        b"a\xe2\x82\xac\\\xe2\x82\xac/     \r\n",
    ),
    // A backspace at column 0 leaves the column at 0, written or echoed.
    writes(
        expect(
            case(
                "xtabs_after_backspace_at_column0",
                OPOST_ONLY.plus_o(OFlag::XTABS),
                b"",
            ),
            &[],
            b"\x08        x",
        ),
        b"\x08\tx",
        3,
    ),
    expect(
        case(
            "xtabs_echo_after_raw_backspace_at_column0",
            SANE.plus_o(OFlag::XTABS).minus_l(LFlag::ECHOCTL),
            b"\x08\t\n",
        ),
        &[b"\x08\t\n"],
        b"\x08        \r\n",
    ),
    // Without OPOST the column stays 0; ECHOPRT's step back over a UTF-8 byte keeps it there
    // (the line is empty after the erase, so the erasure is closed with / at once).
    expect(
        case(
            "echoprt_utf8_erase_without_opost",
            SANE.minus_o(OFlag::OPOST)
                .plus_i(IFlag::IUTF8)
                .plus_l(LFlag::ECHOPRT),
            b"\xc3\xa9\x7f\n",
        ),
        &[b"\n"],
        b"\xc3\xa9\\\xc3\xa9/\n",
    ),
    // OLCUC changes lowercase letters only.
    writes(
        expect(
            case(
                "olcuc_keeps_digits_and_capitals",
                OPOST_ONLY.plus_o(OFlag::OLCUC),
                b"",
            ),
            &[],
            b"A1B.",
        ),
        b"a1B.",
        4,
    ),
];
