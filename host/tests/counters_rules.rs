//! The per-tty counters (`src/engine/counters.rs`, exported by the module through sysfs):
//! each moves by what the traffic says, and no other moves with it.
mod common;
use common::*;
use n_rust_engine::*;

const SANE: Termios = Termios::SANE;
const RAW: Termios = Termios::RAW;

/// All counters at zero, as at open.
fn zero() -> Counters {
    Counters::ZERO
}

#[test]
fn raw_bytes_received_and_read() {
    let (mut e, mut r) = open(&RAW);
    feed(&mut e, &RAW, &mut r, b"0123456789");
    assert_eq!(cat(&read_all(&mut e, &RAW, &mut r, 512)), b"0123456789");
    let want = Counters {
        received: 10,
        read: 10,
        ..zero()
    };
    assert_eq!(*e.counters(), want);
}

/// A canonical line with ECHO and ONLCR: ten bytes in, one line, ten read, eleven echoed
/// (the newline echoes as CR LF).
#[test]
fn canonical_line_with_echo() {
    let (mut e, mut r) = open(&SANE);
    feed(&mut e, &SANE, &mut r, b"abcdefghi\n");
    assert_eq!(r.master_bytes(), b"abcdefghi\r\n");
    assert_eq!(cat(&read_all(&mut e, &SANE, &mut r, 512)), b"abcdefghi\n");
    let want = Counters {
        received: 10,
        read: 10,
        echoed: 11,
        lines: 1,
        ..zero()
    };
    assert_eq!(*e.counters(), want);
}

/// EOF, EOL and a newline each complete a line; an EOF is not a byte read.
#[test]
fn lines_by_every_line_end() {
    let t = SANE.minus_l(LFlag::ECHO).with_cc(VEOL, b'!');
    let (mut e, mut r) = open(&t);
    feed(&mut e, &t, &mut r, b"a\nb!c\x04");
    assert_eq!(cat(&read_all(&mut e, &t, &mut r, 512)), b"a\nb!c");
    assert_eq!(e.counters().lines, 3);
    assert_eq!(e.counters().read, 5);
    assert_eq!(e.counters().received, 6);
}

#[test]
fn signal_characters_counted_by_kind() {
    let (mut e, mut r) = open(&SANE);
    feed(&mut e, &SANE, &mut r, b"\x03\x1c\x1c\x1a\x1a\x1a");
    assert_eq!(
        r.signals(),
        [
            Signal::Int,
            Signal::Quit,
            Signal::Quit,
            Signal::Tstp,
            Signal::Tstp,
            Signal::Tstp
        ]
    );
    let c = *e.counters();
    assert_eq!((c.sigint, c.sigquit, c.sigtstp), (1, 2, 3));
    assert_eq!((c.sigttin, c.sigttou), (0, 0));
    // Without ISIG they are plain bytes.
    let t = SANE.minus_l(LFlag::ISIG);
    let (mut e, mut r) = open(&t);
    feed(&mut e, &t, &mut r, b"\x03\x1c\x1a");
    assert_eq!(e.counters().signals(Signal::Int), 0);
    assert_eq!(e.counters().signals(Signal::Quit), 0);
    assert_eq!(e.counters().signals(Signal::Tstp), 0);
}

/// ^C echoes as `^C`: two echoed bytes.
#[test]
fn interrupt_echo_counted() {
    let (mut e, mut r) = open(&SANE);
    feed(&mut e, &SANE, &mut r, b"\x03");
    assert_eq!(r.master_bytes(), b"^C");
    assert_eq!(e.counters().echoed, 2);
    assert_eq!(e.counters().sigint, 1);
}

/// A break with BRKINT is a SIGINT; the job-control signals the glue sends are counted
/// through `count_signal`.
#[test]
fn break_and_glue_signals() {
    let t = SANE.plus_i(IFlag::BRKINT);
    let (mut e, mut r) = open_on(&t, DriverInfo::SERIAL);
    assert_eq!(e.receive(&t, &[0], Some(&[TTY_BREAK]), &mut r), 1);
    e.count_signal(Signal::Ttin);
    e.count_signal(Signal::Ttou);
    e.count_signal(Signal::Ttou);
    let c = *e.counters();
    assert_eq!((c.sigint, c.sigttin, c.sigttou), (1, 1, 2));
}

#[test]
fn overrun_flags_counted() {
    let (mut e, mut r) = open_on(&RAW, DriverInfo::SERIAL);
    let flags = [TTY_NORMAL, TTY_OVERRUN, TTY_NORMAL, TTY_OVERRUN];
    assert_eq!(e.receive(&RAW, b"abcd", Some(&flags), &mut r), 4);
    assert_eq!(e.counters().overruns, 2);
    assert_eq!(e.counters().received, 4);
    assert_eq!(e.counters().drops, 0);
}

/// A canonical line that fills the buffer: every byte past the room (4,095 bytes) overwrites
/// the last slot, one byte dropped each; the newline then takes the last slot without a drop
/// (a line of 4,095 bytes and its newline).
#[test]
fn canonical_overflow_drops() {
    let t = SANE.minus_l(LFlag::ECHO);
    let (mut e, mut r) = open(&t);
    feed(&mut e, &t, &mut r, &[b'a'; 4200]);
    let c = *e.counters();
    assert_eq!(c.received, 4200);
    assert_eq!(c.drops, 4200 - (N_TTY_BUF_SIZE as u64 - 1));
    // The newline still ends the line, in the last slot.
    feed(&mut e, &t, &mut r, b"\n");
    assert_eq!(e.counters().drops, c.drops);
    let got = cat(&read_all(&mut e, &t, &mut r, 8192));
    assert_eq!(got.len(), N_TTY_BUF_SIZE);
    assert_eq!(e.counters().read, got.len() as u64);
    assert_eq!(e.counters().lines, 1);
}

/// Flow control on: what does not fit stays with the driver (no drop); without it, the
/// rest is dropped.
#[test]
fn no_room_drops_only_without_flow_control() {
    let (mut e, mut r) = open(&RAW);
    let taken = e.receive(&RAW, &[b'x'; 5000], None, &mut r);
    assert_eq!(taken, N_TTY_BUF_SIZE - 1);
    assert_eq!(e.counters().received, taken as u64);
    assert_eq!(e.counters().drops, 0);
    let (mut e, mut r) = open(&RAW);
    let taken = e.receive_noflow(&RAW, &[b'x'; 5000], None, &mut r);
    assert_eq!(e.counters().received, taken as u64);
    assert_eq!(e.counters().drops, (5000 - taken) as u64);
}

/// On a serial driver: one throttle event however many receives find the room low, one
/// unthrottle when a read empties it, and again.
#[test]
fn throttle_events_are_transitions() {
    let (mut e, mut r) = open_on(&RAW, DriverInfo::SERIAL);
    for _ in 0..2 {
        assert_eq!(e.receive(&RAW, &[b'x'; 4000], None, &mut r), 4000);
        assert_eq!(e.receive(&RAW, &[b'y'; 10], None, &mut r), 10);
        assert_eq!(e.receive(&RAW, &[b'z'; 10], None, &mut r), 10);
        read_all(&mut e, &RAW, &mut r, 8192);
    }
    let c = *e.counters();
    assert_eq!((c.throttles, c.unthrottles), (2, 2));
    assert_eq!(c.read, 2 * 4020);
}

/// `written` counts the writer's bytes, not the OPOST expansion.
#[test]
fn written_counts_the_callers_bytes() {
    let (mut e, mut r) = open(&SANE);
    let w = e.write(&SANE, b"hi\nthere\n", &mut r);
    assert_eq!(w.bytes, 9);
    assert_eq!(r.master_bytes(), b"hi\r\nthere\r\n");
    assert_eq!(e.counters().written, 9);
    assert_eq!(e.counters().echoed, 0);
}

/// Opening again starts from zero.
#[test]
fn open_resets_the_counters() {
    let (mut e, mut r) = open(&SANE);
    feed(&mut e, &SANE, &mut r, b"x\n\x03");
    assert_ne!(*e.counters(), zero());
    e.open(&SANE, &mut r);
    assert_eq!(*e.counters(), zero());
}
