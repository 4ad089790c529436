//! Echo and output-processing rules.
mod common;
use common::*;
use n_rust_engine::testing::Recorder;
use n_rust_engine::*;

const SANE: Termios = Termios::SANE;
const OPOST: Termios = Termios::RAW.with_oflag(OFlag::OPOST);

fn echo(t: &Termios, input: &[u8]) -> Vec<u8> {
    run(t, input).1
}

fn out(t: &Termios, data: &[u8]) -> Vec<u8> {
    let (mut e, mut r) = open(t);
    assert_eq!(e.write(t, data, &mut r).bytes, data.len());
    r.master_bytes().to_vec()
}

#[test]
fn echoctl_shows_caret_notation() {
    assert_eq!(echo(&SANE, b"\x01\x1b\x7f"), b"^A^[\x08 \x08\x08 \x08");
    assert_eq!(echo(&SANE.minus_l(LFlag::ICANON), b"\x01\x7f\t"), b"^A^?\t");
}

#[test]
fn erase_tab_counts_from_prompt_column() {
    // Output left the cursor at column 3; input starts there (canon_column).
    let (mut e, mut r) = open(&SANE);
    e.write(&SANE, b"$> ", &mut r);
    feed(&mut e, &SANE, &mut r, b"\t\x7f");
    assert_eq!(r.master_bytes(), b"$> \t\x08\x08\x08\x08\x08");
}

#[test]
fn erase_tab_counts_echoctl_chars_as_two_columns() {
    assert_eq!(echo(&SANE, b"\x01\t\x7f"), b"^A\t\x08\x08\x08\x08\x08\x08");
}

#[test]
fn echoprt_kill_prints_whole_line_backwards() {
    assert_eq!(echo(&SANE.plus_l(LFlag::ECHOPRT), b"ab\x15"), b"ab\\ba/");
}

#[test]
fn echo_respects_driver_room_and_resumes() {
    let t = SANE.minus_l(LFlag::ICANON);
    let (mut e, mut r) = open(&t);
    r.room = Room::Budget(2);
    feed(&mut e, &t, &mut r, b"abcd");
    assert_eq!(r.master_bytes(), b"ab");
    let mut buf = [0u8; 16];
    let n = e.process_echoes(&t, 16, &mut buf);
    assert_eq!(&buf[..n], b"cd");
}

#[test]
fn stopped_output_holds_echo_until_start() {
    let (mut e, mut r) = open(&SANE);
    feed(&mut e, &SANE, &mut r, b"\x13ab");
    assert!(r.master_bytes().is_empty());
    feed(&mut e, &SANE, &mut r, b"\x11");
    assert_eq!(r.master_bytes(), b"ab");
}

#[test]
fn tab_without_xtabs_is_passed_through() {
    assert_eq!(out(&OPOST, b"a\tb"), b"a\tb");
}

#[test]
fn opost_off_disables_all_output_processing() {
    assert_eq!(
        out(
            &Termios::RAW.with_oflag(OFlag::ONLCR.union(OFlag::OLCUC)),
            b"a\n"
        ),
        b"a\n"
    );
}

#[test]
fn process_output_stops_when_room_runs_out() {
    let (mut e, _) = open(&OPOST.plus_o(OFlag::ONLCR));
    let t = OPOST.plus_o(OFlag::ONLCR);
    let mut buf = [0u8; 8];
    // "a\n" needs three bytes; with room 2 only "a" fits, the newline waits.
    assert_eq!(e.process_output(&t, b"a\n", 2, &mut buf), (1, 1));
    assert_eq!(e.process_output(&t, b"\n", 2, &mut buf), (1, 2));
    assert_eq!(&buf[..2], b"\r\n");
}

#[test]
fn column_is_shared_between_output_and_echo() {
    let t = SANE.plus_o(OFlag::XTABS);
    let (mut e, mut r) = open(&t);
    e.write(&t, b"12345", &mut r);
    assert_eq!(e.column(), 5);
    feed(&mut e, &t, &mut r, b"\t");
    assert_eq!(e.column(), 8);
    assert_eq!(r.master_bytes(), b"12345   ");
}

#[test]
fn utf8_continuation_bytes_take_no_column_with_iutf8() {
    let t = OPOST.plus_i(IFlag::IUTF8).plus_o(OFlag::XTABS);
    assert_eq!(out(&t, "\u{e9}\t".as_bytes()), "\u{e9}       ".as_bytes());
    let t = OPOST.plus_o(OFlag::XTABS);
    assert_eq!(out(&t, "\u{e9}\t".as_bytes()), "\u{e9}      ".as_bytes());
}

#[test]
fn echoprt_lnext_without_echoctl_replays_stale_echo_ring() {
    // N_TTY quirk, reproduced byte for byte (checked on the host kernel with
    // tests/oracle/examples/probe_echoprt_lnext.rs): LNEXT after an ECHOPRT erase
    // adds the closing '/' without committing it, so echo_mark lags behind
    // echo_tail; the next write's process_echoes moves echo_commit back and walks
    // the whole ring, writing ~4 KiB of stale echo bytes.
    let t = SANE.plus_l(LFlag::ECHOPRT).minus_l(LFlag::ECHOCTL);
    let (mut e, mut r) = open(&t);
    feed(&mut e, &t, &mut r, b"ab\x7f\x16");
    assert_eq!(r.master_bytes(), b"ab\\b/");
    r.clear_master();
    e.write(&t, b"x", &mut r);
    assert_eq!(r.master_bytes().len(), 4094);
    assert_eq!(r.master_bytes().last(), Some(&b'x'));
}

/// EOL records the canonical column only at the start of a line, as a newline does
/// (`n_tty_receive_char_special`: `if (canon_head == read_head) echo_set_canon_col`); a
/// tab typed without ECHO on the next line is then erased back from that column.
#[test]
fn eol_mid_line_does_not_move_the_canonical_column() {
    let with_echo = SANE.with_cc(VEOL, b'@');
    let no_echo = with_echo.minus_l(LFlag::ECHO);
    let (mut e, mut r) = open(&with_echo);
    feed(&mut e, &with_echo, &mut r, b"ab@");
    e.set_termios(Some(&with_echo), &no_echo, &mut r);
    feed(&mut e, &no_echo, &mut r, b"\t");
    e.set_termios(Some(&no_echo), &with_echo, &mut r);
    r.clear_master();
    feed(&mut e, &with_echo, &mut r, b"\x7f");
    // The line "ab@" began at column 0: the tab is erased with 8 backspaces.
    assert_eq!(r.master_bytes(), [8u8; 8]);
}

/// A CR at column 0 without ONOCR is simple output: `process_output_block` hands it to the
/// driver in one `write` with the characters after it.
#[test]
fn cr_at_column_0_stays_in_the_output_block() {
    let (mut e, mut r) = open(&OPOST);
    assert_eq!(e.write(&OPOST, b"\rab", &mut r).bytes, 3);
    assert_eq!((r.master_bytes(), r.driver_writes), (&b"\rab"[..], 1));
}

/// Without OPOST, `n_tty_write` calls the driver's `write` while bytes are left: a write
/// the driver takes whole is one call, with no empty call after it.
#[test]
fn write_without_opost_makes_no_empty_driver_call() {
    let t = Termios::RAW;
    let (mut e, mut r) = open(&t);
    assert_eq!(e.write(&t, b"abc", &mut r).bytes, 3);
    assert_eq!((r.master_bytes(), r.driver_writes), (&b"abc"[..], 1));
}

/// Without OPOST, a driver that took part of a write and then reports no room is not offered
/// the rest (it would take nothing): the pass ends after one call, and the writer sleeps for
/// room as `n_tty_write` does after its empty call.
#[test]
fn write_without_opost_asks_for_room_after_a_short_write() {
    let t = Termios::RAW;
    let (mut e, _) = open(&t);
    let mut full_at_four = Recorder::<4>::with_room(Room::Free);
    assert_eq!(e.write(&t, b"abcdef", &mut full_at_four).bytes, 4);
    assert_eq!(
        (full_at_four.master_bytes(), full_at_four.driver_writes),
        (&b"abcd"[..], 1)
    );
}

/// A driver that takes a few bytes a call while it has room (a USB serial driver's packet
/// size, say) is offered the rest until all is written, in one pass.
#[test]
fn write_without_opost_offers_the_rest_while_the_driver_has_room() {
    struct TwoAtATime {
        taken: Vec<u8>,
        calls: usize,
    }
    impl Sink for TwoAtATime {
        fn write_room(&mut self) -> usize {
            100
        }
        fn write(&mut self, data: &[u8]) -> Result<usize, DriverError> {
            self.calls += 1;
            let n = data.len().min(2);
            self.taken.extend_from_slice(&data[..n]);
            Ok(n)
        }
    }
    let t = Termios::RAW;
    let (mut e, _) = open(&t);
    let mut driver = TwoAtATime {
        taken: Vec::new(),
        calls: 0,
    };
    assert_eq!(e.write(&t, b"abcde", &mut driver).bytes, 5);
    assert_eq!((&driver.taken[..], driver.calls), (&b"abcde"[..], 3));
}
