//! The read ring, its line-end bitmap, the receive worker's restart and what the engine is
//! told about the driver: rules a mutation run (`make mutants`) found no test for. Each
//! test says which part of `drivers/tty/n_tty.c` it follows.
mod common;
use common::*;
use n_rust_engine::*;

const QUIET: Termios = Termios::SANE.minus_l(LFlag::ECHO);
const RAW: Termios = Termios::RAW;

/// The glue passes these to `kill_pgrp`/`isig`: they must be Linux's numbers
/// (`SIGINT` 2, `SIGQUIT` 3, `SIGTSTP` 20, `SIGTTIN` 21, `SIGTTOU` 22 on x86 and arm).
#[test]
fn signal_numbers_are_linux_numbers() {
    let numbers = [
        Signal::Int,
        Signal::Quit,
        Signal::Tstp,
        Signal::Ttin,
        Signal::Ttou,
    ]
    .map(Signal::number);
    assert_eq!(numbers, [2, 3, 20, 21, 22]);
}

/// A canonical read clears the line-end bit it consumed (`canon_copy_from_read_buf`:
/// `clear_bit(eol, ldata->read_flags)`): once the ring has wrapped, a slot that ended a
/// line the first time round is plain data again.
#[test]
fn line_end_bits_are_cleared_once_read_so_the_ring_can_wrap() {
    let (mut e, mut r) = open(&QUIET);
    for _ in 0..N_TTY_BUF_SIZE / 2 {
        feed(&mut e, &QUIET, &mut r, b"x\n");
        assert_eq!(read_all(&mut e, &QUIET, &mut r, 512), vec![b"x\n".to_vec()]);
    }
    // The ring index is back at 0: the newlines of the first lines sat at odd slots.
    feed(&mut e, &QUIET, &mut r, b"abcdef\n");
    assert_eq!(
        read_all(&mut e, &QUIET, &mut r, 512),
        vec![b"abcdef\n".to_vec()]
    );
}

/// The same for the EOF marker a read eats when the user buffer was filled exactly
/// (`canon_skip_eof` clears its bit too).
#[test]
fn eof_marker_bit_is_cleared_when_skipped() {
    let (mut e, mut r) = open(&QUIET);
    // "ab" then EOF: a 2-byte read takes "ab" and eats the EOF marker in slot 2.
    feed(&mut e, &QUIET, &mut r, b"ab\x04");
    assert_eq!(read_all(&mut e, &QUIET, &mut r, 2), vec![b"ab".to_vec()]);
    let filler = vec![b'y'; N_TTY_BUF_SIZE - 3 - 1];
    let mut line = filler.clone();
    line.push(b'\n');
    feed(&mut e, &QUIET, &mut r, &line);
    assert_eq!(cat(&read_all(&mut e, &QUIET, &mut r, 512)), line);
    // Back at slot 0: slot 2 must be plain data now.
    feed(&mut e, &QUIET, &mut r, b"12345\n");
    assert_eq!(
        read_all(&mut e, &QUIET, &mut r, 512),
        vec![b"12345\n".to_vec()]
    );
}

/// A receive that stopped for lack of room (`no_room`) is restarted by a flush
/// (`n_tty_flush_buffer` calls `n_tty_kick_worker`), once.
#[test]
fn flush_restarts_a_stalled_receive_once() {
    let (mut e, mut r) = open(&RAW);
    let taken = e.receive(&RAW, &vec![b'z'; 5000], None, &mut r);
    assert_eq!(taken, N_TTY_BUF_SIZE - 1);
    assert_eq!(r.kicks, 0);
    e.flush_input(&mut r);
    assert_eq!(r.kicks, 1);
    e.flush_input(&mut r);
    assert_eq!(r.kicks, 1);
}

/// The driver description set after allocation is the one used (`set_driver` before
/// `open`, as the glue does on its zeroed allocation): a serial driver is throttled
/// near the top of the buffer (`n_tty_check_throttle`), a pty is not.
#[test]
fn set_driver_replaces_the_driver_description() {
    let mut e = Box::new(Engine::new(DriverInfo::PTY));
    e.set_driver(DriverInfo::SERIAL);
    let mut r = rec();
    e.open(&RAW, &mut r);
    feed(&mut e, &RAW, &mut r, &vec![b'x'; N_TTY_BUF_SIZE - 100]);
    assert!(r.throttles > 0);
}

/// `n_tty_receive_buf` (no flow control) takes what fits and never marks the receive path
/// as stalled: a flush has nothing to restart.
#[test]
fn receive_without_flow_control_takes_what_fits() {
    let (mut e, mut r) = open(&RAW);
    assert_eq!(e.receive_noflow(&RAW, b"abc", None, &mut r), 3);
    assert_eq!(read_all(&mut e, &RAW, &mut r, 512), vec![b"abc".to_vec()]);
    let taken = e.receive_noflow(&RAW, &vec![b'z'; 5000], None, &mut r);
    assert_eq!(taken, N_TTY_BUF_SIZE - 1);
    e.flush_input(&mut r);
    assert_eq!(r.kicks, 0);
}

/// A read that took bytes restarts a receive stalled for room (the tail of `n_tty_read`:
/// `if (tail != ldata->read_tail) n_tty_kick_worker(tty)`), even when more than
/// `TTY_THRESHOLD_UNTHROTTLE` bytes of complete lines are left (so the unthrottle check
/// does not kick it).
#[test]
fn read_that_takes_bytes_restarts_a_stalled_receive() {
    let (mut e, mut r) = open(&QUIET);
    let mut input = b"x\n".to_vec();
    input.extend_from_slice(&[b'y'; 200]);
    input.push(b'\n');
    input.extend_from_slice(&[b'z'; 5000]);
    assert_eq!(e.receive(&QUIET, &input, None, &mut r), N_TTY_BUF_SIZE - 1);
    assert_eq!(r.kicks, 0);
    let mut buf = [0u8; 512];
    assert_eq!(e.read(&QUIET, &mut buf, &mut r).ok(), Some(2));
    assert_eq!(r.kicks, 1);
}

/// The packet-mode status byte the glue puts first counts as one byte copied.
#[test]
fn packet_status_byte_counts_as_copied() {
    let e = Engine::new(DriverInfo::PTY);
    let mut progress = e.read_begin(&RAW, true);
    progress.took_status_byte();
    assert_eq!(progress.copied(), 1);
}

/// TIOCINQ in canonical mode counts complete lines without their EOF markers
/// (`inq_canon`).
#[test]
fn inq_counts_complete_lines_without_eof_markers() {
    let (mut e, mut r) = open(&QUIET);
    // Two lines ended by EOF and one by a newline, then a partial line.
    feed(&mut e, &QUIET, &mut r, b"a\x04b\x04c\nef");
    assert_eq!(e.inq(&QUIET), 4);
}

/// An expanded tab needs room for all its spaces, and exactly that is enough
/// (`do_output_char`: `if (space < spaces) return -1`).
#[test]
fn expanded_tab_fits_in_exactly_its_room() {
    let t = RAW.with_oflag(OFlag::OPOST.union(OFlag::XTABS));
    let (mut e, mut r) = open(&t);
    r.room = Room::Fixed(8);
    assert_eq!(e.write(&t, b"\t", &mut r).bytes, 1);
    assert_eq!(r.master_bytes(), b"        ");
}

/// ICANON with EXTPROC and a full buffer (found by the engine fuzzer): N_TTY's overflow case
/// steps `read_head` back once more after the last byte of a receive (its loop looks for room
/// again before it sees nothing is left), so `commit_head` is one past `read_head`, and a raw
/// read (EXTPROC reads raw) moves `read_tail` one past `read_head`. `n_tty_receive_buf_common`
/// computes the room in `size_t` arithmetic, `N_TTY_BUF_SIZE - (read_head - tail)`, which is
/// then `N_TTY_BUF_SIZE + 1`: the next byte is taken (into the slot behind the tail, so it is
/// never read) and the ring is consistent again. The receive must not stop for lack of room,
/// which would stall the tty for good (nothing is readable, so no read restarts it).
#[test]
fn extproc_canonical_overflow_then_read_does_not_stall_receive() {
    let t = QUIET.plus_l(LFlag::EXTPROC);
    let (mut e, mut r) = open(&t);
    let flood = vec![b'a'; N_TTY_BUF_SIZE + 10];
    assert_eq!(e.receive(&t, &flood, None, &mut r), flood.len());
    let mut buf = vec![0; 2 * N_TTY_BUF_SIZE];
    assert_eq!(e.read(&t, &mut buf, &mut r), Ok(N_TTY_BUF_SIZE));
    assert_eq!(e.receive(&t, b"x", None, &mut r), 1, "N_TTY takes the byte");
    assert!(!e.no_room());
    assert_eq!(e.receive(&t, b"yz", None, &mut r), 2);
    assert_eq!(e.read(&t, &mut buf, &mut r), Ok(2));
    assert_eq!(&buf[..2], b"yz");
}
