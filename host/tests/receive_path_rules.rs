//! The receive path's choices and a termios change's side effects, after
//! `drivers/tty/n_tty.c`: which loop `__receive_buf` runs (raw, EXTPROC, closing,
//! standard), when it signals input, which characters may flush (`isig`), when
//! `n_tty_set_termios` restarts output and what its canonical switch leaves in the
//! line-end bitmap. Found by the mutation run (`make mutants`).
mod common;
use common::*;
use n_rust_engine::*;

const SANE: Termios = Termios::SANE;
const QUIET: Termios = SANE.minus_l(LFlag::ECHO);
const RAW: Termios = Termios::RAW;

/// With EXTPROC, `__receive_buf` takes the raw loop, which stores each byte as it is and
/// does not call `flush_chars`, unless ISTRIP, or IUCLC with IEXTEN, needs the standard
/// loop (`preops`): that one strips or lowers the byte, stores it without echo (EXTPROC)
/// and ends with `flush_echoes` and `flush_chars`.
#[test]
fn extproc_takes_the_standard_loop_only_for_istrip_or_iuclc() {
    let ext = SANE.minus_l(LFlag::ICANON).plus_l(LFlag::EXTPROC);
    let cases = [
        ("EXTPROC", ext, 0, b'\xc1'),
        ("EXTPROC ISTRIP", ext.plus_i(IFlag::ISTRIP), 1, b'A'),
        ("EXTPROC IUCLC IEXTEN", ext.plus_i(IFlag::IUCLC), 1, b'\xe1'),
        (
            "EXTPROC IUCLC without IEXTEN",
            ext.plus_i(IFlag::IUCLC).minus_l(LFlag::IEXTEN),
            0,
            b'\xc1',
        ),
    ];
    for (name, t, char_flushes, stored) in cases {
        let (mut e, mut r) = open(&t);
        feed(&mut e, &t, &mut r, b"\xc1");
        assert_eq!(r.char_flushes, char_flushes, "{name}");
        assert_eq!(r.master_bytes(), b"", "{name}");
        assert_eq!(
            read_all(&mut e, &t, &mut r, 512),
            vec![vec![stored]],
            "{name}"
        );
    }
}

/// A raw-mode tty that is not real raw (a serial driver) stores its input through the raw
/// loop even while closing: the closing loop, which keeps only flow control, is for the
/// processed modes.
#[test]
fn closing_tty_in_raw_mode_still_stores_input() {
    let (mut e, mut r) = open_on(&RAW, DriverInfo::SERIAL);
    e.set_closing(true);
    feed(&mut e, &RAW, &mut r, b"abc");
    assert_eq!(read_all(&mut e, &RAW, &mut r, 512), vec![b"abc".to_vec()]);
}

/// Outside canonical mode a receive signals input (`kill_fasync`, wake-up) only if the
/// buffer holds something: a lone STOP character stores nothing.
#[test]
fn receive_that_stores_nothing_does_not_signal_input() {
    let t = RAW.plus_i(IFlag::IXON);
    let (mut e, mut r) = open(&t);
    feed(&mut e, &t, &mut r, b"\x13");
    assert_eq!(r.sigio, 0);
    feed(&mut e, &t, &mut r, b"\x11a");
    assert_eq!(r.sigio, 1);
}

/// Each of INTR, QUIT and SUSP flushes with ISIG (`isig`), so each may flush.
#[test]
fn every_signal_character_may_flush() {
    let e = Engine::new(DriverInfo::PTY);
    for v in [VINTR, VQUIT, VSUSP] {
        assert!(e.receive_may_flush(&SANE, &[SANE.cc(v)], None), "c_cc[{v}]");
    }
}

/// A termios change restarts output stopped by STOP only when it turns IXON off; one that
/// keeps IXON leaves it stopped.
#[test]
fn termios_change_restarts_output_only_when_ixon_goes_off() {
    let (mut e, mut r) = open(&SANE);
    feed(&mut e, &SANE, &mut r, b"\x13");
    assert!(r.stopped);
    e.set_termios(Some(&SANE), &QUIET, &mut r);
    assert!(r.stopped);
    assert_eq!(r.starts, 0);
    let no_ixon = QUIET.minus_i(IFlag::IXON);
    e.set_termios(Some(&QUIET), &no_ixon, &mut r);
    assert!(!r.stopped);
    assert_eq!(r.starts, 1);
}

/// Opening in canonical mode with an empty buffer marks no line end (the else branch of
/// `n_tty_set_termios`'s switch is for buffered input only): a line that runs across the
/// last slot of the ring is read whole.
#[test]
fn line_across_the_last_slot_of_the_ring_is_one_line() {
    let (mut e, mut r) = open(&QUIET);
    let mut filler = vec![b'x'; 99];
    filler.push(b'\n');
    for _ in 0..40 {
        feed(&mut e, &QUIET, &mut r, &filler);
        assert_eq!(read_all(&mut e, &QUIET, &mut r, 512), vec![filler.clone()]);
    }
    // Slots 4000 to 4200: slot 4095 is in the middle.
    let mut line = vec![b'y'; 200];
    line.push(b'\n');
    feed(&mut e, &QUIET, &mut r, &line);
    assert_eq!(read_all(&mut e, &QUIET, &mut r, 512), vec![line]);
}

/// While the tty layer changes the discipline (`TTY_LDISC_CHANGING`), the receive loop of
/// `n_tty_receive_buf_common` stops after the chunk it took and leaves the rest in the flip
/// buffer for the next discipline: a canonical line that filled the buffer takes one byte
/// per chunk (the overflow), so only one of three is taken.
#[test]
fn a_pending_discipline_change_ends_the_receive_after_one_chunk() {
    for changing in [false, true] {
        let (mut e, mut r) = open(&QUIET);
        feed(&mut e, &QUIET, &mut r, &vec![b'x'; N_TTY_BUF_SIZE - 1]);
        r.ldisc_changing = changing;
        let taken = e.receive(&QUIET, b"abc", None, &mut r);
        assert_eq!(taken, if changing { 1 } else { 3 }, "changing {changing}");
    }
}

/// A keystroke that leaves the buffer without room: the loop's second look at the room
/// stops the receive path (`no_room`, which the reader's emptying of the buffer then
/// restarts), unless a discipline change ended the loop after the keystroke.
#[test]
fn a_pending_discipline_change_skips_the_keystrokes_second_look_at_the_room() {
    let t = QUIET.minus_l(LFlag::ICANON);
    let mut kicks = Vec::new();
    for changing in [false, true] {
        let (mut e, mut r) = open(&t);
        feed(&mut e, &t, &mut r, &vec![b'x'; N_TTY_BUF_SIZE - 2]);
        r.ldisc_changing = changing;
        assert_eq!(e.receive(&t, b"y", None, &mut r), 1);
        r.ldisc_changing = false;
        let read: usize = read_all(&mut e, &t, &mut r, 4096)
            .iter()
            .map(Vec::len)
            .sum();
        assert_eq!(read, N_TTY_BUF_SIZE - 1);
        kicks.push(r.kicks);
    }
    assert_eq!(
        kicks,
        [1, 0],
        "restarts after the read, without and with a change pending"
    );
}
