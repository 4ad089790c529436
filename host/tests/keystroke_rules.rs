//! A keystroke, one byte received on its own, has a path of its own in the engine
//! (`receive_typed_char`); it must leave everything as the general path would. The general
//! path is forced by counting the byte as looked at ahead first (`add_lookahead`), which
//! changes nothing for a byte that is not a flow-control character.
mod common;
use common::*;
use n_rust_engine::*;

/// The modes a keystroke arrives in: a shell's line editing and a full-screen program's
/// raw input, with and without echo, and the input flags that touch an ordinary byte.
fn modes() -> Vec<(&'static str, Termios)> {
    let sane = Termios::SANE;
    let raw = Termios::RAW;
    vec![
        ("sane", sane),
        ("sane without echo", sane.minus_l(LFlag::ECHO)),
        ("sane, ECHOCTL off", sane.minus_l(LFlag::ECHOCTL)),
        ("sane with IUTF8", sane.plus_i(IFlag::IUTF8)),
        ("sane with PARMRK", sane.plus_i(IFlag::PARMRK)),
        ("sane with IXANY", sane.plus_i(IFlag::IXANY)),
        ("sane with ISTRIP", sane.plus_i(IFlag::ISTRIP)),
        ("sane with IUCLC", sane.plus_i(IFlag::IUCLC)),
        ("raw with echo", raw.plus_l(LFlag::ECHO)),
        (
            "raw with echo and ISIG",
            raw.plus_l(LFlag::ECHO).plus_l(LFlag::ISIG),
        ),
        ("raw with ISIG", raw.plus_l(LFlag::ISIG)),
        (
            "raw with IXON and IXANY",
            raw.plus_i(IFlag::IXON).plus_i(IFlag::IXANY),
        ),
        ("raw with PARMRK", raw.plus_i(IFlag::PARMRK)),
        ("raw", raw),
        // Raw, but not real raw: a break would signal, so flagged bytes are looked at.
        ("raw with BRKINT", raw.plus_i(IFlag::BRKINT)),
        ("sane with EXTPROC", sane.plus_l(LFlag::EXTPROC)),
    ]
}

/// What an engine and its tty show after a receive: the indices, what a reader gets, the
/// echo written, and what was asked of the tty.
fn outcome(e: &mut Engine, t: &Termios, r: &mut Rec) -> String {
    let indices = e.indices();
    let master = r.master_bytes().to_vec();
    let asked = (
        r.signal_mask,
        r.stopped,
        r.wakeups,
        r.sigio,
        r.throttles,
        r.unthrottles,
        r.input_flushes,
        r.output_flushes,
        r.char_flushes,
        r.kicks,
    );
    let reads = read_all(e, t, r, 64);
    let room = e.receive_room();
    format!("{indices:?} room {room} master {master:?} asked {asked:?} reads {reads:?}")
}

#[test]
fn a_keystroke_alone_is_received_as_within_a_buffer() {
    let before: &[&[u8]] = &[b"", b"ab", b"ab\x7f", b"\x16", b"\x13"];
    let flag_cases: &[Option<u8>] = &[
        None,
        Some(TTY_NORMAL),
        Some(TTY_BREAK),
        Some(TTY_PARITY),
        Some(TTY_FRAME),
        Some(TTY_OVERRUN),
    ];
    for (name, t) in modes() {
        let flow = [t.cc(VSTART), t.cc(VSTOP)];
        for prefix in before {
            for closing in [false, true] {
                for flag in flag_cases {
                    let flags = flag.as_ref().map(core::slice::from_ref);
                    for c in 0..=255u8 {
                        let seen = if t.i(IFlag::ISTRIP) { c & 0x7f } else { c };
                        if t.i(IFlag::IXON) && flow.contains(&seen) {
                            continue; // looked at ahead, START and STOP are taken as done
                        }
                        if open(&t).0.receive_may_flush(&t, &[c], flags) {
                            // The flush resets the lookahead count, from which
                            // `__receive_buf` then takes the byte counted ahead: N_TTY's
                            // count wraps there too.
                            continue;
                        }
                        let mut outcomes = Vec::new();
                        for ahead in [false, true] {
                            let (mut e, mut r) = open(&t);
                            feed(&mut e, &t, &mut r, prefix);
                            e.set_closing(closing);
                            if ahead {
                                e.add_lookahead(1);
                            }
                            assert_eq!(e.receive(&t, &[c], flags, &mut r), 1);
                            e.set_closing(false);
                            outcomes.push(outcome(&mut e, &t, &mut r));
                        }
                        assert_eq!(
                            outcomes[0], outcomes[1],
                            "{name}, after {prefix:?}, closing {closing}, flag {flag:?}: \
                             byte {c:#04x} alone and within a buffer"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn a_keystroke_into_a_full_buffer_is_received_as_within_a_buffer() {
    // The buffer filled to one slot of room, to none, and past (a canonical line that fills
    // it overflows: one byte is still taken): the keystroke's path must find the same room.
    for (name, t) in modes() {
        for fill in N_TTY_BUF_SIZE - 4..=N_TTY_BUF_SIZE {
            for c in [b'a', b'~', 0x80, 0xff] {
                let mut outcomes = Vec::new();
                for ahead in [false, true] {
                    let (mut e, mut r) = open(&t);
                    let filler = vec![b'x'; fill];
                    let taken = e.receive(&t, &filler, None, &mut r);
                    if ahead {
                        e.add_lookahead(1);
                    }
                    let took = e.receive(&t, &[c], None, &mut r);
                    let mut seen =
                        format!("took {taken} then {took}, {}", outcome(&mut e, &t, &mut r));
                    if ahead && took == 0 {
                        // Not taken: the byte counted ahead is still to come.
                        seen = seen.replace("lookahead_count: 1,", "lookahead_count: 0,");
                    }
                    outcomes.push(seen);
                }
                assert_eq!(
                    outcomes[0], outcomes[1],
                    "{name}, {fill} bytes in: byte {c:#04x} alone and within a buffer"
                );
            }
        }
    }
}
