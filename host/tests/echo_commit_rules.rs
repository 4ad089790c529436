//! When echoes reach the driver during one receive (`commit_echoes`, `process_echoes` and
//! `__process_echoes` of `drivers/tty/n_tty.c`): an echoed character commits the echo ring
//! and writes it out only once 256 bytes (`ECHO_COMMIT_WATERMARK`) are pending, and again
//! each time the backlog crosses another 256-byte block (`ECHO_BLOCK`); a backlog the driver
//! cannot take is cut at `ECHO_DISCARD_WATERMARK` only at those commits; `flush_chars` follows
//! a commit that wrote something. Found by the mutation run (`make mutants`).
//!
//! The echo ring of a non-canonical line starts with a 2-byte op (`ECHO_OP_SET_CANON_COL`,
//! queued before the first character of an empty buffer), so after `k` echoed characters
//! `k + 2` bytes are pending. The expected counts follow from n_tty.c's rules, worked out in
//! each test's comment.
mod common;
use common::*;
use n_rust_engine::*;

/// Non-canonical with ECHO and IXON, output not processed: one echoed byte per character.
const T: Termios = Termios::SANE.minus_l(LFlag::ICANON).minus_o(OFlag::OPOST);
const STOP: u8 = 0x13;
const START: u8 = 0x11;

/// Receive `input` in one call (one `n_tty_receive_buf2`) on a pty reporting `room`.
fn receive_once(room: Room, input: &[u8]) -> Rec {
    let (mut e, mut r) = open(&T);
    r.room = room;
    feed(&mut e, &T, &mut r, input);
    r
}

/// `count` plain characters between `before` and `after`.
fn chars_between(before: &[u8], count: usize, after: &[u8]) -> Vec<u8> {
    let mut v = before.to_vec();
    v.resize(before.len() + count, b'a');
    v.extend_from_slice(after);
    v
}

/// The 254th character makes 256 bytes pending: they are written at once, in the middle of
/// the receive, with a `flush_chars`. A STOP later in the same receive holds back the
/// remaining 46, which the end of the receive (`flush_echoes`) cannot write.
#[test]
fn echoes_reach_the_driver_when_256_bytes_are_pending() {
    let r = receive_once(ROOM, &chars_between(b"", 300, &[STOP]));
    assert_eq!(r.master_bytes(), vec![b'a'; 254].as_slice());
    // One after the commit that wrote, one at the end of `__receive_buf`.
    assert_eq!(r.char_flushes, 2);
}

/// A commit that writes nothing (output stopped) is not followed by `flush_chars`; only
/// the end of the receive calls it.
#[test]
fn commit_that_writes_nothing_does_not_flush_chars() {
    let r = receive_once(ROOM, &chars_between(&[STOP], 300, b""));
    assert_eq!(r.master_bytes(), b"");
    assert_eq!(r.char_flushes, 1);
}

/// While output is stopped, the backlog is cut only when a commit processes it: the commits
/// come at 256, 512, ... 3840 pending bytes. 3820 characters (3822 bytes) are past the
/// discard watermark (3808) but no commit has cut them yet, so START writes all 3820; with
/// 3850 the commit at 3840 bytes has cut 33 (the op and 31 characters), leaving 3817.
#[test]
fn stopped_backlog_is_cut_only_at_a_commit() {
    for (count, written) in [(3820, 3820), (3850, 3817)] {
        let r = receive_once(ROOM, &chars_between(&[STOP], count, &[START]));
        assert_eq!(r.master_bytes().len(), written, "{count} characters");
        assert!(r.master_bytes().iter().all(|&b| b == b'a'));
    }
}

/// The commit test compares the backlog's remainders modulo 256 (`nr % ECHO_BLOCK >
/// old % ECHO_BLOCK`). With 10 bytes of room per call: STOP, 3595 characters (3597 bytes,
/// all committed by the commit at 3584 but none written), then START writes 10 and leaves
/// 3585 committed (`old`, remainder 1). The next two characters make 3586 and 3587 pending
/// (remainders 2 and 3): no commit. The end of the receive writes 10 more: 20 in all.
#[test]
fn commit_waits_for_the_backlog_to_cross_a_block() {
    let r = receive_once(
        Room::Fixed(10),
        &chars_between(&[STOP], 3595, &[START, b'b', b'b']),
    );
    assert_eq!(r.master_bytes(), vec![b'a'; 20].as_slice());
    // START's `process_echoes` wrote, then the end of the receive.
    assert_eq!(r.char_flushes, 2);
}

/// `process_echoes` (here from a termios change that turns IXON off) calls `flush_chars`
/// only if it wrote something.
#[test]
fn process_echoes_flushes_chars_only_after_writing() {
    let (mut e, mut r) = open(&T);
    r.room = Room::Fixed(0);
    feed(&mut e, &T, &mut r, b"abc");
    r.clear();
    let no_ixon = T.minus_i(IFlag::IXON);
    // No room: nothing written, no flush_chars.
    e.set_termios(Some(&T), &no_ixon, &mut r);
    assert_eq!((r.master_bytes(), r.char_flushes), (&b""[..], 0));
    // Room: the three echoes, then flush_chars.
    r.room = ROOM;
    e.set_termios(Some(&T), &no_ixon, &mut r);
    assert_eq!((r.master_bytes(), r.char_flushes), (&b"abc"[..], 1));
}

/// The end of a receive writes the echoes it queued but did not commit (`flush_echoes`),
/// with ECHONL alone too: a newline echoed by ECHONL without ECHO reaches the driver at
/// once.
#[test]
fn echonl_newline_is_written_at_the_end_of_the_receive() {
    let t = Termios::SANE.minus_l(LFlag::ECHO).plus_l(LFlag::ECHONL);
    let (mut e, mut r) = open(&t);
    feed(&mut e, &t, &mut r, b"a\n");
    assert_eq!(r.master_bytes(), b"\r\n");
}

/// The end of a receive that queued no echo does not retry a backlog the driver had no
/// room for (`flush_echoes` returns when `echo_commit == echo_head`): it waits for the next
/// echo.
#[test]
fn receive_without_echo_does_not_retry_the_backlog() {
    let t = T.plus_i(IFlag::IGNCR);
    let (mut e, mut r) = open(&t);
    r.room = Room::Fixed(0);
    feed(&mut e, &t, &mut r, b"abc");
    r.room = ROOM;
    // An ignored CR queues nothing.
    feed(&mut e, &t, &mut r, b"\r");
    assert_eq!(r.master_bytes(), b"");
    feed(&mut e, &t, &mut r, b"d");
    assert_eq!(r.master_bytes(), b"abcd");
}

/// An erased tab whose backspaces found no room waits at the tail of the echo ring, whole,
/// and is written with what follows once there is room. Canonical, output not processed:
/// `count` 'a' and the tab are written (exactly the driver's budget), the erase-tab op (3
/// bytes, 8 backspaces: the tab started at a multiple of 8) waits; `more` 'c' are then
/// received with room. With `n` 'a' the op sits at ring index `n + 3` and the second
/// receive ends at `n + 6 + more` (below 256 pending, so only its end commits): 2090, 2091
/// and 4095, three places where a wrong "op not committed yet" test would stop.
#[test]
fn erased_tab_waiting_for_room_is_written_whole_later() {
    let t = Termios::SANE.minus_o(OFlag::OPOST);
    for (count, more) in [(2000, 84), (2000, 85), (3900, 189)] {
        let (mut e, mut r) = open(&t);
        r.room = Room::Budget(count + 1);
        let mut line = vec![b'a'; count];
        line.extend_from_slice(b"\t\x7f");
        feed(&mut e, &t, &mut r, &line);
        let mut want = vec![b'a'; count];
        want.push(b'\t');
        assert_eq!(r.master_bytes(), want.as_slice(), "{count} then {more}");
        r.clear_master();
        r.room = ROOM;
        feed(&mut e, &t, &mut r, &vec![b'c'; more]);
        let mut want = vec![8u8; 8 - count % 8];
        want.resize(want.len() + more, b'c');
        assert_eq!(r.master_bytes(), want.as_slice(), "{count} then {more}");
    }
}

/// Two-byte echoes can step over every multiple of 256 (`commit_echoes` writes only when
/// `nr % ECHO_BLOCK` falls to `old % ECHO_BLOCK`), so one receive can queue more echo bytes
/// than the 4096-byte ring holds; `add_echo_byte` overwrites the oldest, and `flush_echoes`
/// replays what the ring holds up to the masked commit index (`__process_echoes` compares
/// masked indices), ops included, then discards down to the watermark. Non-canonical, 'a'
/// and 2100 `^A`: the op (2 bytes) and 'a' make 3 pending, each `^A` 2 more, always odd, so
/// no commit until the end: 4203 bytes, the first 107 slots overwritten. Every even slot now
/// holds 0x01 and every odd one `ECHO_OP_START`, so from slot 0 the replay writes a raw 0x01
/// (no column) and 53 `^A` (106 columns) up to slot 107, then discards up to 397 (4203 -
/// 397 < 3808, at op boundaries). The 3806 bytes left are 1903 `^A`, written by the next
/// `process_echoes`. The fuzzer's terminal model met this as a column one too high
/// (`fuzz/seeds/column-4118-vs-model-4117`): `^X` counts two columns whatever X is.
#[test]
fn echo_ring_overrun_in_one_receive_replays_the_overwritten_slots() {
    let t = Termios::SANE.minus_l(LFlag::ICANON);
    let (mut e, mut r) = open(&t);
    let mut input = vec![b'a'];
    input.resize(2101, 0x01);
    feed(&mut e, &t, &mut r, &input);
    let mut want = vec![0x01];
    for _ in 0..53 {
        want.extend_from_slice(b"^A");
    }
    assert_eq!(r.master_bytes(), want.as_slice());
    assert_eq!(e.column(), 106);
    let ix = e.indices();
    assert_eq!(
        (ix.echo_tail, ix.echo_commit, ix.echo_head),
        (397, 4203, 4203)
    );
    // Bytes 4096 to 4202 each went over an unwritten one.
    assert_eq!(ix.echo_overruns, 107);
    r.clear_master();
    e.process_echoes_to(&t, &mut r);
    assert_eq!(r.master_bytes(), b"^A".repeat(1903).as_slice());
    assert_eq!(e.column(), 106 + 3806);
}

/// More echo bytes queued in one receive than the ring holds is not an overrun when the
/// commits write them out along the way: without the 'a' of the case above, the op and `k`
/// `^A` make `2 + 2k` pending, which lands on 256 at the 127th `^A`, so the ring is written
/// out there and again every 128 `^A`; 4202 bytes queued, none over an unwritten one, and
/// the column is the 2100 `^A` echoed (the engine fuzzer checks the column after such a
/// receive; it once skipped every receive that queued more than the ring had free).
#[test]
fn echo_ring_written_out_along_the_way_does_not_overrun() {
    let t = Termios::SANE.minus_l(LFlag::ICANON);
    let (mut e, mut r) = open(&t);
    feed(&mut e, &t, &mut r, &[0x01; 2100]);
    assert_eq!(r.master_bytes(), b"^A".repeat(2100).as_slice());
    assert_eq!(e.column(), 4200);
    let ix = e.indices();
    assert_eq!(ix.echo_head, 4202);
    assert_eq!(ix.echo_tail, ix.echo_head);
    assert_eq!(ix.echo_overruns, 0);
}
