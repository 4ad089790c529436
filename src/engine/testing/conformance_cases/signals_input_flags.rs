//! Signals (ISIG, NOFLSH), flow control (IXON, IXANY) and the input flags: ISTRIP,
//! IUCLC, PARMRK, and the break, parity, framing and overrun flags of the driver.

use super::*;

/// The cases of this group, in table order.
pub(super) const CASES: &[Case] = &[
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
    // Any one input mapping turns the raw receive path off (the character map of
    // n_tty_set_termios): IGNCR, ICRNL or INLCR alone still applies.
    expect(
        case("igncr_alone_is_not_raw", RAW.plus_i(IFlag::IGNCR), b"a\rb"),
        &[b"ab"],
        b"",
    ),
    expect(
        case("icrnl_alone_is_not_raw", RAW.plus_i(IFlag::ICRNL), b"a\r"),
        &[b"a\n"],
        b"",
    ),
    expect(
        case("inlcr_alone_is_not_raw", RAW.plus_i(IFlag::INLCR), b"a\n"),
        &[b"a\r"],
        b"",
    ),
];
