// SPDX-License-Identifier: GPL-2.0

//! The `n_rust_glue` suite: the discipline on a real tty made inside the kernel
//! ([`TestTty`]), driven through the tty layer, so that the glue (`src/discipline.rs`,
//! `src/discipline/blocking_read.rs`, `src/tty_ldisc/`) runs, not only the engine.
//!
//! Every case runs twice: first on N_TTY (0), as a control that the expectation is the
//! kernel's, then on n_rust (the module's registered number). A case fails when either run
//! does; the kernel log says which discipline and which check.
//!
//! Not reached: the delivery of a signal. The test tty is nobody's controlling tty (a KUnit
//! case runs in a kernel thread, which has no session), so its foreground process group is
//! empty and `kill_pgrp` is not called by either discipline; `vintr_echoes_and_flushes`
//! checks what ISIG does to the tty (the echo, the flushed line), and `n_rust-test-jobctl`
//! checks delivery with real processes in the guest.

use kernel::prelude::*;

mod test_tty;

#[kunit_tests(n_rust_glue)]
mod cases {
    use super::test_tty::TestTty;
    use crate::bindings;
    use kernel::prelude::*;
    use kernel::str::BStr;

    /// N_TTY's number.
    const N_TTY: i32 = 0;

    /// `-EAGAIN`, what a non-blocking read with nothing to return gives.
    const EAGAIN: isize = -(bindings::EAGAIN as isize);

    /// Fails the scenario (returning `false`) when `cond` does not hold, logging it.
    macro_rules! check {
        ($ldisc:expr, $cond:expr) => {
            if !$cond {
                pr_err!(
                    "ldisc {}: check failed at line {}: {}\n",
                    $ldisc,
                    line!(),
                    stringify!($cond)
                );
                return false;
            }
        };
    }

    /// The number n_rust is registered under (the module is loaded when KUnit runs).
    fn n_rust() -> i32 {
        crate::module_parameters::ldisc.value()
    }

    /// Runs `scenario` on N_TTY, then on n_rust; true when both passed.
    fn on_both(scenario: fn(i32) -> bool) -> bool {
        let control = scenario(N_TTY);
        if !control {
            pr_err!("the N_TTY control failed: the expectation is wrong\n");
        }
        control && scenario(n_rust())
    }

    /// Opens the test tty with `ldisc`, logging a failure.
    fn open(ldisc: i32) -> Option<TestTty> {
        match TestTty::open(ldisc) {
            Ok(tty) => Some(tty),
            Err(err) => {
                pr_err!("ldisc {ldisc}: opening the test tty failed: {err:?}\n");
                None
            }
        }
    }

    /// Sets the input, output and local modes, VMIN 1 and VTIME 0; true on success.
    fn set_modes(tty: &TestTty, iflag: u32, oflag: u32, lflag: u32) -> bool {
        let status = tty.set_termios(|t| {
            t.c_iflag = iflag;
            t.c_oflag = oflag;
            t.c_lflag = lflag;
            t.c_cc[bindings::VMIN as usize] = 1;
            t.c_cc[bindings::VTIME as usize] = 0;
        });
        status == 0
    }

    /// Reads once into a 256-byte buffer; true when the read returned exactly `expected`.
    fn reads(ldisc: i32, tty: &TestTty, expected: &[u8]) -> bool {
        let mut buf = [0u8; 256];
        let got = tty.read(&mut buf);
        let matches = usize::try_from(got).is_ok_and(|n| buf.get(..n) == Some(expected));
        if !matches {
            let shown = usize::try_from(got).map_or(&[][..], |n| &buf[..n.min(buf.len())]);
            pr_err!(
                "ldisc {ldisc}: read returned {got} {:?}, expected {:?}\n",
                BStr::from_bytes(shown),
                BStr::from_bytes(expected)
            );
        }
        matches
    }

    /// Canonical input: "ab" is not a line yet (a read gives `EAGAIN`); "\r" with ICRNL
    /// ends it, the read returns "ab\n", and the driver was given the echo "ab\n".
    fn canonical_line(ldisc: i32) -> bool {
        let Some(tty) = open(ldisc) else {
            return false;
        };
        check!(
            ldisc,
            set_modes(&tty, bindings::ICRNL, 0, bindings::ICANON | bindings::ECHO)
        );
        check!(ldisc, tty.receive(b"ab") == 2);
        let mut buf = [0u8; 8];
        check!(ldisc, tty.read(&mut buf) == EAGAIN);
        check!(ldisc, tty.receive(b"\r") == 1);
        check!(ldisc, reads(ldisc, &tty, b"ab\n"));
        check!(ldisc, tty.output_is(b"ab\n"));
        true
    }

    /// `tty_read` copies through a 64-byte buffer and calls the discipline again with its
    /// cookie: a 150-byte line comes back whole from one read (the first call and two
    /// continuations); a 5-byte read of a line leaves the rest for the next read.
    fn cookie_protocol(ldisc: i32) -> bool {
        let Some(tty) = open(ldisc) else {
            return false;
        };
        check!(ldisc, set_modes(&tty, 0, 0, bindings::ICANON));
        let mut line = [b'x'; 150];
        line[149] = b'\n';
        check!(ldisc, tty.receive(&line) == line.len());
        check!(ldisc, reads(ldisc, &tty, &line));
        check!(ldisc, tty.receive(b"hello world\n") == 12);
        let mut five = [0u8; 5];
        check!(ldisc, tty.read(&mut five) == 5);
        check!(ldisc, &five == b"hello");
        check!(ldisc, reads(ldisc, &tty, b" world\n"));
        true
    }

    /// A write with OPOST|ONLCR reaches the driver as "a\r\nb"; without OPOST unchanged.
    fn write_output_processing(ldisc: i32) -> bool {
        let Some(tty) = open(ldisc) else {
            return false;
        };
        check!(
            ldisc,
            set_modes(&tty, 0, bindings::OPOST | bindings::ONLCR, 0)
        );
        check!(ldisc, tty.write(b"a\nb") == 3);
        check!(ldisc, tty.output_is(b"a\r\nb"));
        tty.clear_output();
        check!(ldisc, set_modes(&tty, 0, 0, 0));
        check!(ldisc, tty.write(b"c\nd") == 3);
        check!(ldisc, tty.output_is(b"c\nd"));
        true
    }

    /// `set_termios` turning ICANON off mid-line makes the partial line readable.
    fn icanon_off_mid_line(ldisc: i32) -> bool {
        let Some(tty) = open(ldisc) else {
            return false;
        };
        check!(ldisc, set_modes(&tty, 0, 0, bindings::ICANON));
        check!(ldisc, tty.receive(b"abc") == 3);
        let mut buf = [0u8; 8];
        check!(ldisc, tty.read(&mut buf) == EAGAIN);
        check!(ldisc, set_modes(&tty, 0, 0, 0));
        check!(ldisc, reads(ldisc, &tty, b"abc"));
        true
    }

    /// `TCIFLUSH` (through the discipline's `flush_buffer`) discards a pending line and a
    /// partial one; input after it is read normally.
    fn tciflush(ldisc: i32) -> bool {
        let Some(tty) = open(ldisc) else {
            return false;
        };
        check!(ldisc, set_modes(&tty, 0, 0, bindings::ICANON));
        check!(ldisc, tty.receive(b"abc\nde") == 6);
        check!(ldisc, tty.flush(bindings::TCIFLUSH) == 0);
        let mut buf = [0u8; 8];
        check!(ldisc, tty.read(&mut buf) == EAGAIN);
        check!(ldisc, tty.receive(b"f\n") == 2);
        check!(ldisc, reads(ldisc, &tty, b"f\n"));
        true
    }

    /// VINTR with ISIG (NOFLSH off): the partial line is flushed and "^C" echoed (ECHOCTL);
    /// the next line is read alone.
    fn vintr(ldisc: i32) -> bool {
        let Some(tty) = open(ldisc) else {
            return false;
        };
        let lflag = bindings::ICANON | bindings::ISIG | bindings::ECHO | bindings::ECHOCTL;
        check!(ldisc, set_modes(&tty, 0, 0, lflag));
        check!(ldisc, tty.receive(b"ab") == 2);
        check!(ldisc, tty.receive(&[0x03]) == 1);
        check!(ldisc, tty.output_is(b"ab^C"));
        let mut buf = [0u8; 8];
        check!(ldisc, tty.read(&mut buf) == EAGAIN);
        check!(ldisc, tty.receive(b"x\n") == 2);
        check!(ldisc, reads(ldisc, &tty, b"x\n"));
        true
    }

    #[test]
    fn canonical_line_echoed_and_read() {
        assert!(on_both(canonical_line));
    }

    #[test]
    fn long_line_read_through_cookie() {
        assert!(on_both(cookie_protocol));
    }

    #[test]
    fn write_with_opost_onlcr() {
        assert!(on_both(write_output_processing));
    }

    #[test]
    fn set_termios_icanon_off_mid_line() {
        assert!(on_both(icanon_off_mid_line));
    }

    #[test]
    fn tciflush_through_ldisc_flush() {
        assert!(on_both(tciflush));
    }

    #[test]
    fn vintr_echoes_and_flushes() {
        assert!(on_both(vintr));
    }
}
