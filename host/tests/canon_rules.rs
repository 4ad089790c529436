//! Canonical-mode rules: line assembly, editing, EOF, limits, mode switches.
mod common;
use common::*;
use n_rust_engine::*;

const SANE: Termios = Termios::SANE;
const QUIET: Termios = Termios::SANE.minus_l(LFlag::ECHO);

#[test]
fn canon_read_returns_one_line_per_read() {
    let (reads, _, _) = run(&QUIET, b"ab\ncd\n");
    assert_eq!(reads, vec![b"ab\n".to_vec(), b"cd\n".to_vec()]);
}

#[test]
fn canon_partial_line_is_not_readable() {
    let (reads, _, _) = run(&QUIET, b"abc");
    assert!(reads.is_empty());
}

#[test]
fn vdisable_zero_never_matches_nul() {
    let t = QUIET.with_cc(VEOL, 0);
    let (reads, _, _) = run(&t, b"a\0b\n");
    assert_eq!(reads, vec![b"a\0b\n".to_vec()]);
}

#[test]
fn erase_stops_at_line_start() {
    let (reads, _, _) = run(&QUIET, b"a\n\x7f\x7fb\n");
    assert_eq!(reads, vec![b"a\n".to_vec(), b"b\n".to_vec()]);
}

#[test]
fn werase_treats_underscore_as_word_char() {
    let (reads, _, _) = run(&QUIET, b"a b_c\x17\n");
    assert_eq!(reads, vec![b"a \n".to_vec()]);
}

#[test]
fn werase_stops_at_punctuation_after_word() {
    let (reads, _, _) = run(&QUIET, b"path/to\x17\n");
    assert_eq!(reads, vec![b"path/\n".to_vec()]);
}

#[test]
fn lnext_makes_next_char_literal() {
    let (reads, _, _) = run(&QUIET, b"a\x16\x15\x16\n\n");
    assert_eq!(reads, vec![b"a\x15\n\n".to_vec()]);
}

#[test]
fn lnext_needs_iexten() {
    let (reads, _, _) = run(&QUIET.minus_l(LFlag::IEXTEN), b"a\x16\n");
    assert_eq!(reads, vec![b"a\x16\n".to_vec()]);
}

#[test]
fn canon_overflow_still_processes_erase() {
    let mut input = vec![b'x'; 4200];
    input.extend_from_slice(b"\x15ok\n");
    let (reads, _, _) = run(&QUIET, &input);
    assert_eq!(reads, vec![b"ok\n".to_vec()]);
}

#[test]
fn canon_exact_read_swallows_following_eof() {
    let (mut e, mut r) = open(&QUIET);
    feed(&mut e, &QUIET, &mut r, b"abc\x04\x04");
    // "abc" then its EOF marker is eaten; the second EOF is a 0-byte read.
    assert_eq!(
        read_all(&mut e, &QUIET, &mut r, 3),
        vec![b"abc".to_vec(), Vec::new()]
    );
}

#[test]
fn inq_counts_complete_lines_without_eof_markers() {
    let (mut e, mut r) = open(&QUIET);
    feed(&mut e, &QUIET, &mut r, b"ab\n\x04cd");
    assert_eq!(e.inq(&QUIET), 3);
    assert_eq!(e.chars_in_buffer(), 4);
    let raw = Termios::RAW;
    let (mut e2, mut r2) = open(&raw);
    feed(&mut e2, &raw, &mut r2, b"ab\n\x04cd");
    assert_eq!(e2.inq(&raw), 6);
}

#[test]
fn mode_switch_cancels_lnext() {
    let (mut e, mut r) = open(&QUIET);
    feed(&mut e, &QUIET, &mut r, b"\x16");
    let t2 = QUIET.minus_l(LFlag::ICANON);
    e.set_termios(Some(&QUIET), &t2, &mut r);
    e.set_termios(Some(&t2), &QUIET, &mut r);
    feed(&mut e, &QUIET, &mut r, b"a\x7f\n");
    assert_eq!(read_all(&mut e, &QUIET, &mut r, 64), vec![b"\n".to_vec()]);
}

#[test]
fn flush_input_discards_everything() {
    let (mut e, mut r) = open(&QUIET);
    feed(&mut e, &QUIET, &mut r, b"ab\ncd");
    e.flush_input(&mut r);
    assert_eq!(r.input_flushes, 1);
    assert!(read_all(&mut e, &QUIET, &mut r, 64).is_empty());
    feed(&mut e, &QUIET, &mut r, b"x\n");
    assert_eq!(read_all(&mut e, &QUIET, &mut r, 64), vec![b"x\n".to_vec()]);
}

#[test]
fn reprint_needs_echo() {
    let (reads, master, _) = run(&QUIET, b"ab\x12\n");
    assert_eq!(reads, vec![b"ab\x12\n".to_vec()]);
    assert!(master.is_empty());
    let (reads, _, _) = run(&SANE, b"ab\x12\n");
    assert_eq!(reads, vec![b"ab\n".to_vec()]);
}
