//! Input-mode rules (c_iflag), one test per rule.
mod common;
use common::*;
use n_rust_engine::*;

const RAW: Termios = Termios::RAW;
const SANE: Termios = Termios::SANE;

#[test]
fn inlcr_result_is_not_remapped_by_icrnl() {
    let (reads, _, _) = run(&RAW.plus_i(IFlag::INLCR).plus_i(IFlag::ICRNL), b"\n\r");
    assert_eq!(cat(&reads), b"\r\n");
}

#[test]
fn istrip_applies_before_special_chars() {
    // 0x83 stripped is ^C: a signal with ISIG.
    let (_, _, sigs) = run(&RAW.plus_i(IFlag::ISTRIP).plus_l(LFlag::ISIG), b"\x83");
    assert_eq!(sigs, vec![Signal::Int]);
}

#[test]
fn iuclc_lowers_with_iexten_only() {
    let (r1, _, _) = run(&RAW.plus_i(IFlag::IUCLC).plus_l(LFlag::IEXTEN), b"AbC\xc9");
    assert_eq!(cat(&r1), b"abc\xe9", "Latin-1 capitals are lowered too");
    let (r2, _, _) = run(&RAW.plus_i(IFlag::IUCLC), b"AbC");
    assert_eq!(cat(&r2), b"AbC");
}

#[test]
fn parmrk_with_istrip_does_not_double() {
    let (reads, _, _) = run(&RAW.plus_i(IFlag::PARMRK).plus_i(IFlag::ISTRIP), b"\xff");
    assert_eq!(cat(&reads), b"\x7f");
}

#[test]
fn brkint_break_sends_sigint_and_flushes() {
    let t = RAW.plus_i(IFlag::BRKINT);
    let (mut e, mut r) = open_on(&t, DriverInfo::SERIAL);
    feed(&mut e, &t, &mut r, b"xy");
    e.receive(&t, b"\0", Some(&[TTY_BREAK]), &mut r);
    assert_eq!(r.signals(), [Signal::Int]);
    assert_eq!(r.output_flushes, 1);
    assert!(read_all(&mut e, &t, &mut r, 64).is_empty());
}

#[test]
fn brkint_with_noflsh_keeps_input() {
    let t = RAW.plus_i(IFlag::BRKINT).plus_l(LFlag::NOFLSH);
    let (mut e, mut r) = open_on(&t, DriverInfo::SERIAL);
    feed(&mut e, &t, &mut r, b"xy");
    e.receive(&t, b"\0", Some(&[TTY_BREAK]), &mut r);
    assert_eq!(r.signals(), [Signal::Int]);
    assert_eq!(cat(&read_all(&mut e, &t, &mut r, 64)), b"xy");
}

#[test]
fn ixany_does_not_override_tcflow_stop() {
    let t = RAW.plus_i(IFlag::IXON).plus_i(IFlag::IXANY);
    let (mut e, mut r) = open(&t);
    r.stopped = true;
    r.tco_stopped = true;
    // N_TTY does not even ask for a restart: the recorder's `start()` would do nothing while
    // `tco_stopped` is set (as `start_tty` does), so count the requests.
    feed(&mut e, &t, &mut r, b"z");
    assert_eq!(
        r.starts, 0,
        "IXANY asked to restart output stopped by tcflow"
    );
    assert!(r.stopped);
    // START does ask (`n_tty_receive_char_flow_ctrl`), and `start_tty` refuses.
    feed(&mut e, &t, &mut r, b"\x11");
    assert_eq!(r.starts, 1);
    assert!(r.stopped);
}

#[test]
fn clearing_ixon_restarts_output_and_flushes_echo() {
    let t = SANE;
    let (mut e, mut r) = open(&t);
    feed(&mut e, &t, &mut r, b"\x13ab");
    assert!(r.stopped);
    assert!(r.master_bytes().is_empty());
    let t2 = SANE.minus_i(IFlag::IXON);
    e.set_termios(Some(&t), &t2, &mut r);
    assert!(!r.stopped);
    assert_eq!(r.master_bytes(), b"ab");
}

#[test]
fn stop_char_lookahead_acts_before_data_is_taken() {
    let t = RAW.plus_i(IFlag::IXON);
    let (mut e, mut r) = open(&t);
    e.lookahead(&t, b"x\x13", None, &mut r);
    assert!(r.stopped);
    // When the data arrives, the STOP is not acted on a second time.
    feed(&mut e, &t, &mut r, b"x\x13");
    assert_eq!(r.stops, 1);
    assert_eq!(cat(&read_all(&mut e, &t, &mut r, 64)), b"x");
}

#[test]
fn lookahead_without_ixon_only_counts_as_add_lookahead_does() {
    // The glue counts a lookahead with IXON off without the state lock and adds the count
    // later (`add_lookahead`): the engine must end up as `lookahead` would leave it, down to
    // N_TTY's quirk that bytes counted ahead skip flow control once IXON is on.
    let raw = RAW;
    let ixon = RAW.plus_i(IFlag::IXON);
    let (mut by_lookahead, mut r1) = open(&raw);
    let (mut by_count, mut r2) = open(&raw);
    by_lookahead.lookahead(&raw, b"x\x13", None, &mut r1);
    by_count.add_lookahead(2);
    assert_eq!(by_lookahead.indices(), by_count.indices());
    for (e, r) in [(&mut by_lookahead, &mut r1), (&mut by_count, &mut r2)] {
        e.set_termios(Some(&raw), &ixon, r);
        feed(e, &ixon, r, b"x\x13");
        // The STOP was counted ahead, so it is taken as done: neither acted on nor kept.
        assert!(!r.stopped);
    }
    assert_eq!(by_lookahead.indices(), by_count.indices());
    assert_eq!(cat(&read_all(&mut by_count, &ixon, &mut r2, 64)), b"x");
}

#[test]
fn closing_tty_only_handles_flow_control() {
    let t = SANE;
    let (mut e, mut r) = open(&t);
    e.set_closing(true);
    feed(&mut e, &t, &mut r, b"ab\x13\n");
    assert!(r.stopped);
    assert!(r.master_bytes().is_empty());
    assert!(read_all(&mut e, &t, &mut r, 64).is_empty());
}

#[test]
fn extproc_bypasses_processing() {
    let t = SANE.plus_l(LFlag::EXTPROC);
    let (reads, master, sigs) = run(&t, b"a\x03\x7f\r");
    assert_eq!(cat(&reads), b"a\x03\x7f\r");
    assert!(master.is_empty() && sigs.is_empty());
}

/// While closing, IXANY still restarts output stopped by STOP, except for the signal
/// characters, and not while a TCOOFF stop holds (`n_tty_receive_char_closing`).
#[test]
fn closing_tty_restarts_with_ixany_except_signal_characters() {
    let t = SANE.plus_i(IFlag::IXANY);
    let (mut e, mut r) = open(&t);
    e.set_closing(true);
    feed(&mut e, &t, &mut r, b"\x13");
    assert!(r.stopped, "STOP stops, and does not restart itself");
    feed(&mut e, &t, &mut r, b"\x03\x1c\x1a");
    assert!(r.stopped, "INTR, QUIT and SUSP do not restart");
    r.tco_stopped = true;
    feed(&mut e, &t, &mut r, b"a");
    assert!(r.stopped, "no restart under TCOOFF");
    r.tco_stopped = false;
    feed(&mut e, &t, &mut r, b"a");
    assert!(!r.stopped, "any other character restarts");
}
