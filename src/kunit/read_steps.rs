// SPDX-License-Identifier: GPL-2.0

//! The `n_rust_read_steps` suite: one `read()` as the glue drives the engine's steps, in the
//! kernel (the host's `blocking_read_write_rules.rs` has more cases): VMIN counted over the
//! whole read, the packet header of a one-byte read, the VMIN/VTIME table, and no `SIGIO` on
//! a termios change.

use kernel::prelude::*;

#[kunit_tests(n_rust_read_steps)]
mod cases {
    use crate::engine::testing::Recorder;
    use crate::engine::{
        AfterCopy, DriverInfo, Engine, ReadMode, ReadStep, Termios, TIOCPKT_DATA, VMIN, VTIME,
    };
    use kernel::prelude::*;

    /// A recorder small enough for the stack.
    type Rec = Recorder<256>;

    /// An engine opened on a pty with `t`, allocated as the discipline allocates it.
    fn open(t: &Termios, rec: &mut Rec) -> Option<KVBox<Engine>> {
        let mut engine = KVBox::init(pin_init::init_zeroed::<Engine>(), GFP_KERNEL).ok()?;
        engine.set_driver(DriverInfo::PTY);
        engine.open(t, rec);
        Some(engine)
    }

    #[test]
    fn vmin_counts_the_whole_read() {
        let t = Termios::RAW.with_cc(VMIN, 40);
        let mut rec = Rec::new();
        let e = open(&t, &mut rec);
        // An engine that could not be allocated fails the case rather than passing it.
        assert!(e.is_some());
        let Some(mut e) = e else {
            return;
        };
        assert_eq!(e.receive(&t, &[b'a'; 30], None, &mut rec), 30);
        let mut buf = [0u8; 64];
        let mut read = e.read_begin(&t, false);
        let step = e.read_step(&t, &mut read, &mut buf, &mut rec);
        assert_eq!(step, ReadStep::Copied(AfterCopy::LookAgain));
        assert_eq!(
            e.read_step(&t, &mut read, &mut buf, &mut rec),
            ReadStep::Empty
        );
        assert_eq!(e.receive(&t, &[b'b'; 200], None, &mut rec), 200);
        let step = e.read_step(&t, &mut read, &mut buf, &mut rec);
        assert_eq!((step, read.copied()), (ReadStep::MoreToRead, 64));
        let mut total = read.copied();
        loop {
            let (n, more) = e.read_continue(&t, &mut buf, &mut rec);
            total += n;
            if !more || n == 0 {
                break;
            }
        }
        assert_eq!(total, 230);
    }

    #[test]
    fn packet_one_byte_read_returns_the_header() {
        let t = Termios::RAW;
        let mut rec = Rec::new();
        let e = open(&t, &mut rec);
        assert!(e.is_some());
        let Some(mut e) = e else {
            return;
        };
        let mut buf = [0xffu8; 1];
        let mut read = e.read_begin(&t, true);
        assert_eq!(
            e.read_step(&t, &mut read, &mut buf, &mut rec),
            ReadStep::Empty
        );
        assert_eq!(e.receive(&t, b"ab", None, &mut rec), 2);
        let step = e.read_step(&t, &mut read, &mut buf, &mut rec);
        assert_eq!(step, ReadStep::Copied(AfterCopy::Return));
        assert_eq!((read.copied(), buf[0]), (1, TIOCPKT_DATA));
        // The data stays for the next read.
        assert!(e.input_available(&t, false));
    }

    #[test]
    fn read_modes_follow_the_vmin_vtime_table() {
        let mode = |vmin, vtime| {
            ReadMode::of(
                &Termios::RAW.with_cc(VMIN, vmin).with_cc(VTIME, vtime),
                false,
            )
        };
        assert_eq!(mode(0, 0), ReadMode::Polling);
        assert_eq!(mode(0, 2), ReadMode::ReadTimer { vtime: 2 });
        assert_eq!(mode(5, 0), ReadMode::Blocking { vmin: 5 });
        assert_eq!(mode(5, 2), ReadMode::InterByteTimer { vmin: 5, vtime: 2 });
    }

    #[test]
    fn termios_change_sends_no_sigio() {
        let t = Termios::SANE;
        let mut rec = Rec::new();
        let e = open(&t, &mut rec);
        assert!(e.is_some());
        let Some(mut e) = e else {
            return;
        };
        rec.clear();
        e.set_termios(Some(&t), &t.with_cc(VMIN, 2), &mut rec);
        assert_eq!((rec.sigio, rec.wakeups), (0, 1));
    }
}
