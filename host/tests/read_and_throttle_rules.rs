//! The read side's copies and the throttle thresholds of `drivers/tty/n_tty.c`: what a
//! read leaves in the ring (`zero_buffer`), where one call of `n_tty_read` stops
//! (`copy_from_read_buf`), when a read unthrottles (`n_tty_check_unthrottle`, called by the
//! last call of a read) and when a receive throttles (`n_tty_check_throttle`). Found by the
//! mutation run (`make mutants`).
mod common;
use common::*;
use n_rust_engine::*;

const SANE: Termios = Termios::SANE;
const QUIET: Termios = SANE.minus_l(LFlag::ECHO);
const RAW: Termios = Termios::RAW;

/// The first `n` slots of the read ring.
fn ring_start(e: &Engine, n: usize) -> Vec<u8> {
    (0..n).map(|i| e.read_buf_byte(i)).collect()
}

/// With ICANON and without ECHO, the bytes a read took are cleared in the ring (a password
/// does not linger: `zero_buffer`, from both the canonical and the raw copy); with ECHO, or
/// outside canonical mode, they stay.
#[test]
fn read_clears_what_it_took_only_in_canonical_mode_without_echo() {
    let cases = [
        ("ICANON without ECHO", QUIET, true),
        (
            "EXTPROC: raw copy, ICANON without ECHO",
            QUIET.plus_l(LFlag::EXTPROC),
            true,
        ),
        ("ICANON with ECHO", SANE, false),
        ("neither", RAW, false),
    ];
    for (name, t, cleared) in cases {
        let (mut e, mut r) = open(&t);
        feed(&mut e, &t, &mut r, b"secret\n");
        assert_eq!(
            cat(&read_all(&mut e, &t, &mut r, 512)),
            b"secret\n",
            "{name}"
        );
        let want = if cleared {
            vec![0; 7]
        } else {
            b"secret\n".to_vec()
        };
        assert_eq!(ring_start(&e, 7), want, "{name}");
    }
}

/// One call of a raw read copies up to the end of the ring and asks to be called again
/// for the rest (`copy_from_read_buf`: `n = min3(head - tail, N_TTY_BUF_SIZE - tail, nr)`).
#[test]
fn raw_read_call_stops_at_the_end_of_the_ring() {
    let (mut e, mut r) = open(&RAW);
    feed(&mut e, &RAW, &mut r, &vec![b'x'; N_TTY_BUF_SIZE - 6]);
    assert_eq!(
        cat(&read_all(&mut e, &RAW, &mut r, 4096)).len(),
        N_TTY_BUF_SIZE - 6
    );
    feed(&mut e, &RAW, &mut r, b"abcdefghij");
    let mut first = [0u8; 64];
    let mut read = e.read_begin(&RAW, false);
    let step = e.read_step(&RAW, &mut read, &mut first, &mut r);
    assert_eq!(step, ReadStep::MoreToRead);
    assert_eq!(&first[..read.copied()], b"abcdef");
    let mut rest = [0u8; 64];
    assert_eq!(e.read_continue(&RAW, &mut rest, &mut r), (4, false));
    assert_eq!(&rest[..4], b"ghij");
}

/// A read made of several calls checks for unthrottling once, in its last call (the
/// cookie branch of `n_tty_read` runs `n_tty_check_unthrottle` only when nothing more is to
/// be copied): 200 bytes are read in calls of 64, 64, 64 and 8.
#[test]
fn read_unthrottles_in_its_last_call_only() {
    let (mut e, mut r) = open_on(&RAW, DriverInfo::SERIAL);
    feed(&mut e, &RAW, &mut r, &[b'x'; 200]);
    let mut buf = [0u8; 512];
    assert_eq!(e.read(&RAW, &mut buf, &mut r), Ok(200));
    assert_eq!(r.unthrottles, 1);
}

/// A serial driver is unthrottled when at most `TTY_THRESHOLD_UNTHROTTLE` (128) bytes are
/// left after a read, not with 129.
#[test]
fn unthrottle_with_128_bytes_left_or_fewer() {
    for (left, unthrottles) in [(129, 0), (128, 1)] {
        let (mut e, mut r) = open_on(&RAW, DriverInfo::SERIAL);
        feed(&mut e, &RAW, &mut r, &vec![b'x'; 64 + left]);
        let mut buf = [0u8; 64];
        assert_eq!(e.read(&RAW, &mut buf, &mut r), Ok(64));
        assert_eq!(r.unthrottles, unthrottles, "{left} bytes left");
    }
}

/// A serial driver is throttled when less than `TTY_THRESHOLD_THROTTLE` (128) bytes of room
/// are left, not with exactly 128.
#[test]
fn throttle_with_less_than_128_bytes_of_room() {
    let (mut e, mut r) = open_on(&RAW, DriverInfo::SERIAL);
    feed(&mut e, &RAW, &mut r, &vec![b'x'; N_TTY_BUF_SIZE - 128]);
    assert_eq!(r.throttles, 0);
    feed(&mut e, &RAW, &mut r, b"x");
    assert_eq!(r.throttles, 1);
}

/// TIOCINQ in canonical mode walks every slot from the read position to the last line end
/// (`inq_canon`), however far into the ring, and subtracts each EOF marker on the way.
#[test]
fn inq_subtracts_eof_markers_anywhere_before_the_last_line_end() {
    // One line of 3000 bytes ended by EOF: the marker is in slot 3000.
    let (mut e, mut r) = open(&QUIET);
    let mut input = vec![b'a'; 3000];
    input.push(0x04);
    feed(&mut e, &QUIET, &mut r, &input);
    assert_eq!(e.inq(&QUIET), 3000);
    // A full buffer: a line ended by EOF in slot 1, the last line end in slot 4094.
    let (mut e, mut r) = open(&QUIET);
    let mut input = b"a\x04".to_vec();
    input.resize(N_TTY_BUF_SIZE - 2, b'b');
    input.push(b'\n');
    feed(&mut e, &QUIET, &mut r, &input);
    assert_eq!(e.inq(&QUIET), N_TTY_BUF_SIZE - 2);
}

/// The continuation calls of a `read()` copy what `peek_read` shows straight from the ring,
/// without the state lock, while the receive path may write the ring from the read head on.
/// An overflow with ICANON and EXTPROC steps the read head back over a byte a reader can still
/// take, which leaves the read position one past the head; the receive path's room then takes
/// in the slots from the read position on, so nothing may be shown.
#[test]
fn nothing_is_peeked_while_the_read_position_is_past_the_read_head() {
    let canon = Termios::SANE.plus_l(LFlag::EXTPROC);
    let (mut e, mut r) = open(&canon);
    e.receive(&canon, &[b'x'; N_TTY_BUF_SIZE + 10], None, &mut r);
    let taken: usize = read_all(&mut e, &canon, &mut r, 2 * N_TTY_BUF_SIZE)
        .iter()
        .map(Vec::len)
        .sum();
    assert_eq!(taken, N_TTY_BUF_SIZE);
    let i = e.indices();
    assert_eq!(i.read_tail.wrapping_sub(i.read_head), 1, "{i:?}");
    let raw = canon.minus_l(LFlag::ICANON);
    e.set_termios(Some(&canon), &raw, &mut r);
    assert!(e.peek_read(&raw, 64).0.is_empty());
    // The room the receive path finds there, into the slots that would have been shown.
    assert_eq!(e.receive(&raw, &[b'y'; 3000], None, &mut r), 3000);
}

/// What `peek_read` shows, the continuation calls copy from the ring without the state lock
/// while the receive path goes on: no receive may change those slots until the reader takes
/// them. Raw, canonical with echo, and EXTPROC switching in and out of canonical mode (whose
/// overflow moves the read head back), with the ring filled and read in many amounts.
#[test]
fn a_receive_leaves_the_peeked_bytes_as_they_were() {
    let extproc = SANE.plus_l(LFlag::EXTPROC);
    let modes = [
        ("raw", [RAW, RAW]),
        ("canonical", [SANE, SANE]),
        ("EXTPROC", [extproc, extproc.minus_l(LFlag::ICANON)]),
    ];
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |bound: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % bound.max(1) as u64) as usize
    };
    for (name, termios) in modes {
        let mut checked = 0;
        for round in 0..300 {
            let mut t = termios[0];
            let (mut e, mut r) = open(&t);
            for step in 0..12 {
                let switch_to = termios[next(2)];
                if switch_to != t {
                    e.set_termios(Some(&t), &switch_to, &mut r);
                    t = switch_to;
                }
                // Lines of random length, sometimes without their newline.
                let len = next(N_TTY_BUF_SIZE + 200);
                let mut data: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
                for _ in 0..next(4) {
                    if let Some(slot) = data.get_mut(next(len)) {
                        *slot = b'\n';
                    }
                }
                let (peeked, tail) = {
                    let (bytes, _) = e.peek_read(&t, 0);
                    (bytes.to_vec(), e.indices().read_tail)
                };
                e.receive(&t, &data, None, &mut r);
                if !peeked.is_empty() {
                    assert_eq!(e.indices().read_tail, tail);
                    let (after, _) = e.peek_read(&t, 0);
                    assert_eq!(
                        after.get(..peeked.len()),
                        Some(&peeked[..]),
                        "{name}, round {round}, step {step}: a receive changed peeked bytes"
                    );
                    checked += 1;
                }
                // Read some of it, 64 bytes a call as `tty_read()` asks.
                let mut buf = vec![0u8; 64];
                for _ in 0..next(80) {
                    if e.read(&t, &mut buf, &mut r).is_err() {
                        break;
                    }
                }
            }
        }
        assert!(checked > 100, "{name}: peeked only {checked} times");
    }
}
