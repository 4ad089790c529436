//! Signals, flow control, throttling, non-blocking reads, receive room (VMIN/VTIME and
//! blocking reads: `blocking_read_write_rules.rs`).
mod common;
use common::*;
use n_rust_engine::*;

const SANE: Termios = Termios::SANE;
const RAW: Termios = Termios::RAW;

#[test]
fn isig_off_passes_signal_chars() {
    let (reads, _, sigs) = run(&RAW, b"\x03\x1c\x1a");
    assert!(sigs.is_empty());
    assert_eq!(cat(&reads), b"\x03\x1c\x1a");
}

#[test]
fn signal_char_flushes_input_echo_and_driver_output() {
    let (mut e, mut r) = open(&SANE);
    feed(&mut e, &SANE, &mut r, b"ab\n");
    let before = r.master_bytes().len();
    feed(&mut e, &SANE, &mut r, b"cd\x03");
    assert_eq!(r.output_flushes, 1);
    assert_eq!(r.input_flushes, 1);
    // "cd" was never echoed: the echo ring was cleared; then ^C is echoed.
    assert_eq!(&r.master_bytes()[before..], b"^C");
    assert!(read_all(&mut e, &SANE, &mut r, 64).is_empty());
}

#[test]
fn noflsh_signals_without_flushing() {
    let t = SANE.plus_l(LFlag::NOFLSH);
    let (mut e, mut r) = open(&t);
    feed(&mut e, &t, &mut r, b"ab\n\x03");
    assert_eq!(r.output_flushes, 0);
    assert_eq!(read_all(&mut e, &t, &mut r, 64), vec![b"ab\n".to_vec()]);
}

#[test]
fn signal_char_restarts_stopped_output_with_ixon() {
    let (mut e, mut r) = open(&SANE);
    feed(&mut e, &SANE, &mut r, b"\x13");
    assert!(r.stopped);
    feed(&mut e, &SANE, &mut r, b"\x03");
    assert!(!r.stopped);
    assert_eq!(r.master_bytes(), b"^C");
}

#[test]
fn signal_after_lnext_is_data() {
    let (reads, _, sigs) = run(&SANE.minus_l(LFlag::ECHO), b"\x16\x03\n");
    assert!(sigs.is_empty());
    assert_eq!(reads, vec![b"\x03\n".to_vec()]);
}

#[test]
fn raw_receive_leaves_room_for_a_newline() {
    let (mut e, mut r) = open(&RAW);
    let data = vec![b'x'; 5000];
    assert_eq!(e.receive(&RAW, &data, None, &mut r), 4095);
    assert_eq!(e.receive_room(), 0);
    assert!(e.no_room());
    let mut buf = vec![0u8; 100];
    assert_eq!(e.read(&RAW, &mut buf, &mut r), Ok(100));
    assert_eq!(e.receive(&RAW, &data, None, &mut r), 100);
}

#[test]
fn parmrk_divides_room_by_three() {
    // Each pass takes a third of the room (a byte may become three); passes repeat
    // while room is left, so plain bytes fill the buffer to within 3 of its size.
    let t = RAW.plus_i(IFlag::PARMRK);
    let (mut e, mut r) = open(&t);
    let data = vec![b'x'; 5000];
    assert_eq!(e.receive(&t, &data, None, &mut r), 4093);
    let (mut e, mut r) = open(&t);
    let ff = vec![0xffu8; 5000];
    let n = e.receive(&t, &ff, None, &mut r);
    assert_eq!(e.read_cnt(), 2 * n);
    assert!(e.read_cnt() <= 4096);
}

#[test]
fn canon_with_complete_line_pending_applies_backpressure() {
    let t = SANE.minus_l(LFlag::ECHO);
    let (mut e, mut r) = open(&t);
    let mut data = vec![b'x'; 100];
    data.push(b'\n');
    data.extend(vec![b'y'; 5000]);
    let n = e.receive(&t, &data, None, &mut r);
    assert_eq!(n, 4095);
    // Reading the complete line lets the partial one overflow-truncate instead.
    read_all(&mut e, &t, &mut r, 512);
    assert_eq!(e.receive(&t, &data[n..], None, &mut r), data.len() - n);
}

#[test]
fn serial_driver_throttles_below_threshold() {
    let (mut e, mut r) = open_on(&RAW, DriverInfo::SERIAL);
    feed(&mut e, &RAW, &mut r, &vec![b'x'; 4096 - 200]);
    assert_eq!(r.throttles, 0);
    feed(&mut e, &RAW, &mut r, &[b'x'; 100]);
    assert!(r.throttles > 0);
    let mut buf = vec![0u8; 4096];
    e.read(&RAW, &mut buf, &mut r).unwrap();
    assert!(r.unthrottles > 0);
}

#[test]
fn serial_driver_canon_does_not_throttle_without_newline() {
    let t = SANE.minus_l(LFlag::ECHO);
    let (mut e, mut r) = open_on(&t, DriverInfo::SERIAL);
    feed(&mut e, &t, &mut r, &vec![b'x'; 4050]);
    assert_eq!(r.throttles, 0);
}

#[test]
fn pty_read_wakes_the_writer_side() {
    let (mut e, mut r) = open(&RAW);
    feed(&mut e, &RAW, &mut r, b"abc");
    let mut buf = [0u8; 8];
    e.read(&RAW, &mut buf, &mut r).unwrap();
    assert!(r.link_wakeups > 0);
    assert_eq!(r.unthrottles, 0);
}

#[test]
fn vmin0_vtime0_nonblocking_read_returns_zero() {
    let t = RAW.with_cc(VMIN, 0);
    let (mut e, mut r) = open(&t);
    let mut buf = [0u8; 4];
    assert_eq!(e.read(&t, &mut buf, &mut r), Ok(0));
}

#[test]
fn nonblocking_raw_read_without_data_would_block() {
    let (mut e, mut r) = open(&RAW);
    let mut buf = [0u8; 4];
    assert_eq!(e.read(&RAW, &mut buf, &mut r), Err(ReadError::WouldBlock));
}

#[test]
fn input_available_poll_uses_vmin() {
    let t = RAW.with_cc(VMIN, 3);
    let (mut e, mut r) = open(&t);
    feed(&mut e, &t, &mut r, b"ab");
    assert!(e.input_available(&t, false));
    assert!(!e.input_available(&t, true));
    feed(&mut e, &t, &mut r, b"c");
    assert!(e.input_available(&t, true));
}

#[test]
fn extproc_single_eof_reads_zero() {
    let t = SANE.plus_l(LFlag::EXTPROC);
    let (mut e, mut r) = open(&t);
    feed(&mut e, &t, &mut r, b"\x04");
    let mut buf = [0u8; 8];
    assert_eq!(e.read(&t, &mut buf, &mut r), Ok(0));
}
