//! Echoes against a driver with little or no room (`__process_echoes` of
//! `drivers/tty/n_tty.c`): each echo op is written whole or not at all, the room left is
//! counted exactly, and a backlog past `ECHO_DISCARD_WATERMARK` loses its oldest echoes
//! at op boundaries. Found by the mutation run (`make mutants`).
mod common;
use common::*;
use n_rust_engine::*;

const SANE: Termios = Termios::SANE;
const NONCANON: Termios = SANE.minus_l(LFlag::ICANON);

/// Open with `t`, then receive `input` with a driver that has `room` bytes of room.
fn echo_with_budget(t: &Termios, room: usize, input: &[u8]) -> Vec<u8> {
    let (mut e, mut r) = open(t);
    r.room = Room::Budget(room);
    feed(&mut e, t, &mut r, input);
    r.master_bytes().to_vec()
}

/// `^X` takes two columns of room and is not split (`if (space < 2) break`).
#[test]
fn control_echo_needs_two_bytes_of_room() {
    assert_eq!(echo_with_budget(&NONCANON, 2, b"\x01"), b"^A");
    assert_eq!(echo_with_budget(&NONCANON, 1, b"\x01"), b"");
    assert_eq!(echo_with_budget(&NONCANON, 5, b"\x01b\x01c"), b"^Ab^A");
}

/// A doubled `ECHO_OP_START` is one 0xff byte of output and one byte of room.
#[test]
fn echoed_0xff_takes_one_byte_of_room() {
    assert_eq!(echo_with_budget(&NONCANON, 2, b"\xff\xffb"), b"\xff\xff");
}

/// An erased tab backs up with all its backspaces or none (`if (num_bs > space)`).
#[test]
fn erased_tab_backspaces_fit_exactly_or_wait() {
    // 'a', the tab, then 7 backspaces: 9 bytes; 'b' finds no room.
    let mut want = b"a\t".to_vec();
    want.extend_from_slice(&[8; 7]);
    assert_eq!(echo_with_budget(&SANE, 9, b"a\t\x7fb"), want);
    // One byte less: the backspaces wait.
    assert_eq!(echo_with_budget(&SANE, 8, b"a\t\x7fb"), b"a\t");
}

/// Without OPOST each echoed byte takes one byte of room.
#[test]
fn echo_without_opost_counts_room_per_byte() {
    let t = NONCANON.minus_o(OFlag::OPOST);
    assert_eq!(echo_with_budget(&t, 2, b"abc"), b"ab");
}

/// Echoes still pending when ECHO (and ECHONL) are turned off are not written by the
/// next receive (`flush_echoes` returns at once without ECHO and ECHONL).
#[test]
fn pending_echoes_are_not_flushed_without_echo() {
    let (mut e, mut r) = open(&NONCANON);
    r.room = Room::Budget(2);
    feed(&mut e, &NONCANON, &mut r, b"abcd");
    assert_eq!(r.master_bytes(), b"ab");
    let quiet = NONCANON.minus_l(LFlag::ECHO);
    e.set_termios(Some(&NONCANON), &quiet, &mut r);
    r.room = Room::Fixed(64);
    r.clear_master();
    feed(&mut e, &quiet, &mut r, b"x");
    assert_eq!(r.master_bytes(), b"");
}

/// With no room at all, a backlog of echoes is cut at the tail once 3808 bytes
/// (`N_TTY_BUF_SIZE - (ECHO_BLOCK + 32)`) are committed: what is left is the newest
/// 3807 bytes or less, starting at an op boundary.
#[test]
fn echo_backlog_is_discarded_at_the_watermark() {
    // Plain bytes: exactly the last 3807 are kept.
    let input: Vec<u8> = (0..4000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let t = NONCANON.minus_o(OFlag::OPOST);
    let (mut e, mut r) = open(&t);
    r.room = Room::Fixed(0);
    feed(&mut e, &t, &mut r, &input);
    let mut buf = vec![0u8; 8192];
    let n = e.process_echoes(&t, buf.len(), &mut buf);
    assert_eq!(&buf[..n], &input[input.len() - 3807..]);

    // Two-byte ops (^A): whole ops are dropped, never half of one.
    let (mut e, mut r) = open(&NONCANON);
    r.room = Room::Fixed(0);
    feed(&mut e, &NONCANON, &mut r, &[1u8; 2000]);
    let n = e.process_echoes(&NONCANON, buf.len(), &mut buf);
    assert_eq!(&buf[..n], b"^A".repeat(1903).as_slice());

    // Canonical tab erases: a canon-column op, the tab, a three-byte erase-tab op.
    let (mut e, mut r) = open(&SANE);
    r.room = Room::Fixed(0);
    feed(&mut e, &SANE, &mut r, &b"\t\x7f".repeat(700));
    let n = e.process_echoes(&SANE, buf.len(), &mut buf);
    let out = &buf[..n];
    assert!(out.iter().all(|&b| b == b'\t' || b == 8), "{out:?}");
}
