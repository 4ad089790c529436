//! Blocking reads as the glue drives them (`n_tty_read`'s loop: [`Engine::read_begin`],
//! [`Engine::read_step`], sleeps, [`Engine::read_continue`]), the VMIN/VTIME table
//! ([`ReadMode`]), packet mode, and what the engine asks of the tty on termios changes,
//! input, and driver write errors.
mod common;
use common::*;
use n_rust_engine::*;

const SANE: Termios = Termios::SANE;
const RAW: Termios = Termios::RAW;

/// What one sleep of a simulated blocking reader brings.
#[derive(Clone, Copy)]
enum Wake<'a> {
    /// These bytes arrive and wake the reader.
    Input(&'a [u8]),
    /// The timer runs out.
    Timeout,
}

/// The outcome of a simulated blocking `read()`.
#[derive(Debug, PartialEq, Eq)]
struct Blocking {
    /// The bytes returned.
    bytes: Vec<u8>,
    /// How many times the reader slept.
    sleeps: usize,
    /// The timer of each sleep.
    timers: Vec<Timeout>,
}

/// A blocking `read(2)` of `len` bytes on a tty with no input pending in its flip buffer, as
/// `tty_read()` (64-byte calls) and the glue (`n_tty_read`'s loop) drive the engine: each
/// time the reader would sleep, the next of `wakes` happens. Panics when the reader would
/// sleep with nothing left to wake it.
fn blocking_read(
    e: &mut Engine,
    t: &Termios,
    r: &mut Rec,
    len: usize,
    packet: bool,
    wakes: &[Wake<'_>],
) -> Blocking {
    let mut first = vec![0u8; len.min(64)];
    let mut read = e.read_begin(t, packet);
    let mut timer = read.mode().timer();
    let mut wakes = wakes.iter();
    let mut out = Blocking {
        bytes: Vec::new(),
        sleeps: 0,
        timers: Vec::new(),
    };
    let more = loop {
        if read.copied() >= first.len() {
            break false;
        }
        match e.read_step(t, &mut read, &mut first, r) {
            ReadStep::MoreToRead => break true,
            ReadStep::Copied(AfterCopy::Return) => break false,
            ReadStep::Copied(AfterCopy::LookAgain) => continue,
            ReadStep::Copied(AfterCopy::RestartTimer(next)) => {
                timer = next;
                continue;
            }
            ReadStep::Empty => {}
        }
        // `n_tty_wait_for_input`: a spent timer ends the read.
        if timer == Timeout::Immediate {
            break false;
        }
        out.sleeps += 1;
        out.timers.push(timer);
        match wakes.next() {
            Some(Wake::Input(bytes)) => feed(e, t, r, bytes),
            Some(Wake::Timeout) => {
                assert_ne!(timer, Timeout::Forever, "a timeout without a timer");
                timer = Timeout::Immediate;
            }
            None => panic!("the reader sleeps for ever ({timer:?}), after {:?}", first),
        }
    };
    out.bytes.extend_from_slice(&first[..read.copied()]);
    if !more {
        e.read_end(&read, r);
        return out;
    }
    loop {
        let mut chunk = vec![0u8; len.saturating_sub(out.bytes.len()).min(64)];
        let (n, again) = e.read_continue(t, &mut chunk, r);
        out.bytes.extend_from_slice(&chunk[..n]);
        if !again || n == 0 {
            return out;
        }
    }
}

#[test]
fn read_mode_follows_posix_table() {
    let mode = |vmin, vtime| ReadMode::of(&RAW.with_cc(VMIN, vmin).with_cc(VTIME, vtime), false);
    assert_eq!(mode(0, 0), ReadMode::Polling);
    assert_eq!(mode(0, 5), ReadMode::ReadTimer { vtime: 5 });
    assert_eq!(mode(3, 0), ReadMode::Blocking { vmin: 3 });
    assert_eq!(mode(4, 3), ReadMode::InterByteTimer { vmin: 4, vtime: 3 });
    // `n_tty_read` looks at the engine's canonical mode, not at VMIN/VTIME.
    assert_eq!(
        ReadMode::of(&SANE.with_cc(VMIN, 0), true),
        ReadMode::Canonical
    );
}

#[test]
fn read_mode_timers_and_minimums() {
    assert_eq!(ReadMode::Polling.timer(), Timeout::Immediate);
    assert_eq!(
        ReadMode::ReadTimer { vtime: 5 }.timer(),
        Timeout::Deciseconds(5)
    );
    let interbyte = ReadMode::InterByteTimer { vmin: 4, vtime: 3 };
    assert_eq!(
        interbyte.timer(),
        Timeout::Forever,
        "no timer before a byte"
    );
    assert_eq!(
        interbyte.after_copy(2),
        AfterCopy::RestartTimer(Timeout::Deciseconds(3))
    );
    assert_eq!(interbyte.after_copy(4), AfterCopy::Return);
    let blocking = ReadMode::Blocking { vmin: 3 };
    assert_eq!(blocking.after_copy(2), AfterCopy::LookAgain);
    assert_eq!(blocking.after_copy(3), AfterCopy::Return);
    assert_eq!(ReadMode::Canonical.minimum(), 0);
    assert_eq!(ReadMode::Canonical.after_copy(0), AfterCopy::Return);
}

/// With VMIN = 0 a read ends as soon as it has one byte (`minimum = 1` in `n_tty_read`,
/// then `if (kb - kbuf >= minimum) break`), with or without VTIME; with none it looks
/// again (after flushing the flip buffer, in the kernel).
#[test]
fn vmin0_reads_end_after_one_byte() {
    for mode in [ReadMode::Polling, ReadMode::ReadTimer { vtime: 5 }] {
        assert_eq!(mode.minimum(), 1, "{mode:?}");
        assert_eq!(mode.after_copy(1), AfterCopy::Return, "{mode:?}");
        assert_eq!(mode.after_copy(0), AfterCopy::LookAgain, "{mode:?}");
    }
}

#[test]
fn vmin_counts_the_whole_read_not_one_call() {
    // VMIN = 40: 30 bytes, a pause, 200 more: one read of 1,000 returns all 230 (N_TTY).
    let t = RAW.with_cc(VMIN, 40);
    let (mut e, mut r) = open(&t);
    feed(&mut e, &t, &mut r, &[b'a'; 30]);
    let got = blocking_read(
        &mut e,
        &t,
        &mut r,
        1000,
        false,
        &[Wake::Input(&[b'b'; 200])],
    );
    assert_eq!(got.bytes.len(), 230);
    assert_eq!(got.sleeps, 1);
}

#[test]
fn vmin_above_one_call_returns_one_call() {
    // N_TTY compares VMIN with what its first 64-byte call copied: with VMIN = 100 and 200
    // bytes there, the read returns 64 at once.
    let t = RAW.with_cc(VMIN, 100);
    let (mut e, mut r) = open(&t);
    feed(&mut e, &t, &mut r, &[b'a'; 200]);
    let got = blocking_read(&mut e, &t, &mut r, 1000, false, &[]);
    assert_eq!((got.bytes.len(), got.sleeps), (64, 0));
}

#[test]
fn interbyte_timer_starts_after_the_first_byte() {
    let t = RAW.with_cc(VMIN, 4).with_cc(VTIME, 3);
    let (mut e, mut r) = open(&t);
    let got = blocking_read(
        &mut e,
        &t,
        &mut r,
        100,
        false,
        &[Wake::Input(b"ab"), Wake::Timeout],
    );
    assert_eq!(got.bytes, b"ab");
    assert_eq!(got.timers, [Timeout::Forever, Timeout::Deciseconds(3)]);
}

#[test]
fn read_timer_runs_from_the_start() {
    let t = RAW.with_cc(VMIN, 0).with_cc(VTIME, 5);
    let (mut e, mut r) = open(&t);
    let got = blocking_read(&mut e, &t, &mut r, 100, false, &[Wake::Timeout]);
    assert_eq!(got.bytes, b"");
    assert_eq!(got.timers, [Timeout::Deciseconds(5)]);
}

#[test]
fn polling_read_never_sleeps() {
    let t = RAW.with_cc(VMIN, 0);
    let (mut e, mut r) = open(&t);
    let got = blocking_read(&mut e, &t, &mut r, 100, false, &[]);
    assert_eq!((got.bytes.len(), got.sleeps), (0, 0));
}

#[test]
fn packet_one_byte_read_waits_and_returns_the_header() {
    // A pty master in packet mode, raw: a one-byte read sleeps until data comes, then returns
    // TIOCPKT_DATA alone and leaves the data for the next read.
    let (mut e, mut r) = open(&RAW);
    let got = blocking_read(&mut e, &RAW, &mut r, 1, true, &[Wake::Input(b"xy")]);
    assert_eq!((got.bytes.as_slice(), got.sleeps), (&[TIOCPKT_DATA][..], 1));
    let next = blocking_read(&mut e, &RAW, &mut r, 10, true, &[]);
    assert_eq!(next.bytes, b"\0xy");
}

#[test]
fn packet_header_counts_towards_vmin() {
    let t = RAW.with_cc(VMIN, 2);
    let (mut e, mut r) = open(&t);
    feed(&mut e, &t, &mut r, b"x");
    let got = blocking_read(&mut e, &t, &mut r, 10, true, &[]);
    assert_eq!((got.bytes.as_slice(), got.sleeps), (&b"\0x"[..], 0));
}

#[test]
fn packet_canonical_read_has_no_header() {
    let t = SANE.minus_l(LFlag::ECHO);
    let (mut e, mut r) = open(&t);
    feed(&mut e, &t, &mut r, b"line\n");
    let got = blocking_read(&mut e, &t, &mut r, 100, true, &[]);
    assert_eq!(got.bytes, b"line\n");
}

#[test]
fn canonical_line_longer_than_one_call_continues() {
    let t = SANE.minus_l(LFlag::ECHO);
    let (mut e, mut r) = open(&t);
    let got = blocking_read(
        &mut e,
        &t,
        &mut r,
        1000,
        false,
        &[Wake::Input(&[b'z'; 100]), Wake::Input(b"\nnext\n")],
    );
    assert_eq!(got.bytes.len(), 101);
    assert_eq!(got.sleeps, 2);
}

#[test]
fn termios_change_wakes_readers_without_sigio() {
    let (mut e, mut r) = open(&SANE);
    r.clear();
    for _ in 0..5 {
        e.set_termios(Some(&SANE), &SANE.with_cc(VMIN, 2), &mut r);
    }
    assert_eq!((r.sigio, r.wakeups), (0, 5));
    feed(&mut e, &SANE, &mut r, b"a\n");
    assert_eq!(r.sigio, 1, "a line that arrives sends SIGIO");
    let (mut e, mut r) = open(&RAW);
    feed(&mut e, &RAW, &mut r, b"a");
    assert_eq!(r.sigio, 1, "raw input that arrives sends SIGIO");
}

/// `SIGIO` carries what `poll()` will answer, published before the signal (N_TTY stores
/// `canon_head`/`commit_head` before `kill_fasync`): a handler that polls must see the input.
/// Below VMIN (VTIME 0) `SIGIO` still goes, and poll says not yet, as N_TTY's does.
#[test]
fn sigio_publishes_what_poll_will_answer() {
    let (mut e, mut r) = open(&SANE);
    feed(&mut e, &SANE, &mut r, b"abc");
    assert_eq!((r.sigio, r.readable_at_sigio), (0, None), "no line yet");
    feed(&mut e, &SANE, &mut r, b"\n");
    assert_eq!((r.sigio, r.readable_at_sigio), (1, Some(true)), "a line");
    let raw_min4 = RAW.with_cc(VMIN, 4);
    let (mut e, mut r) = open(&raw_min4);
    feed(&mut e, &raw_min4, &mut r, b"ab");
    assert_eq!(
        (r.sigio, r.readable_at_sigio),
        (1, Some(false)),
        "2 of VMIN 4"
    );
    feed(&mut e, &raw_min4, &mut r, b"cd");
    assert_eq!(
        (r.sigio, r.readable_at_sigio),
        (2, Some(true)),
        "VMIN reached"
    );
}

#[test]
fn driver_write_error_is_returned() {
    const EIO: DriverError = DriverError(5);
    for t in [SANE, SANE.minus_o(OFlag::OPOST)] {
        let (mut e, mut r) = open(&t);
        r.write_error = Some(EIO);
        let w = e.write(&t, b"abc", &mut r);
        assert_eq!((w.bytes, w.error), (0, Some(EIO)), "{t:?}");
    }
}

#[test]
fn driver_eagain_is_a_full_buffer_with_opost_only() {
    let (mut e, mut r) = open(&SANE);
    r.write_error = Some(DriverError::WOULD_BLOCK);
    let w = e.write(&SANE, b"abc", &mut r);
    assert_eq!((w.bytes, w.error), (0, None));
    let t = SANE.minus_o(OFlag::OPOST);
    let w = e.write(&t, b"abc", &mut r);
    assert_eq!((w.bytes, w.error), (0, Some(DriverError::WOULD_BLOCK)));
}

#[test]
fn echo_ignores_driver_errors() {
    let (mut e, mut r) = open(&SANE);
    r.write_error = Some(DriverError(5));
    feed(&mut e, &SANE, &mut r, b"ab\n");
    let reads = read_all(&mut e, &SANE, &mut r, 100);
    assert_eq!(cat(&reads), b"ab\n");
}

#[test]
fn receive_may_flush_only_for_flushing_signals() {
    let (e, _) = open(&SANE);
    assert!(e.receive_may_flush(&SANE, b"ab\x03", None));
    assert!(!e.receive_may_flush(&SANE, b"abc\n", None));
    assert!(!e.receive_may_flush(&SANE.plus_l(LFlag::NOFLSH), b"\x03", None));
    assert!(!e.receive_may_flush(&SANE.minus_l(LFlag::ISIG), b"\x1a", None));
    let brk = [TTY_NORMAL, TTY_BREAK];
    assert!(e.receive_may_flush(&SANE.plus_i(IFlag::BRKINT), b"a\0", Some(&brk)));
    assert!(!e.receive_may_flush(&SANE.minus_i(IFlag::BRKINT), b"a\0", Some(&brk)));
}
