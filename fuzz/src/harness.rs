//! The engine fuzzer's harness: runs the operations of one [`Input`] on a fresh engine and
//! a [`TtyDouble`], checking after each one the invariants of the state
//! ([`invariants::check_state`]) and of the operation itself (below). Any panic, an
//! arithmetic overflow included, is a crash for libFuzzer.

pub mod invariants;
pub mod ops;
pub mod tty_double;

use invariants::{check_state, span, OpKind, Overfill};
use n_rust_engine::{DriverError, DriverInfo, Engine, IFlag, LFlag, OFlag, Termios, NCCS};
use ops::{Input, Op, MAX_DATA, MAX_OPS};
use tty_double::TtyDouble;

/// Largest read asked for.
const MAX_READ: usize = 5000;

/// One fuzz case under way.
struct Run {
    e: Box<Engine>,
    t: Termios,
    tty: TtyDouble,
    over: Overfill,
    /// An ECHOPRT erase may have queued an op that moves the column with no output.
    move_back_queued: bool,
    /// The echo ring overran and has not been empty since: what it replays is not the echo
    /// stream (overwritten slots, ops cut in two), so no column to expect.
    echo_garbled: bool,
    /// PARMRK was on at some receive: a received byte may be read as three.
    parmrk_seen: bool,
    /// Bytes the engine took from the driver.
    received: u64,
    /// Bytes reads returned, packet headers left out.
    read_data: u64,
    /// The read ring was once not whole: reads may have returned stale bytes.
    stale_reads: bool,
    buf: Vec<u8>,
}

/// Runs one fuzz case.
pub fn run(input: &Input) {
    run_traced(input, &mut |_, _, _| {});
}

/// Runs one fuzz case, calling `trace` before the checks of each operation (with its index;
/// `fuzz/examples/replay.rs` prints the state).
pub fn run_traced(input: &Input, trace: &mut dyn FnMut(usize, &Op, &Engine)) {
    let driver = if input.serial {
        DriverInfo::SERIAL
    } else {
        DriverInfo::PTY
    };
    let t = input.initial.build();
    let mut r = Run {
        e: Box::new(Engine::new(driver)),
        t,
        tty: TtyDouble::new(t),
        over: Overfill::default(),
        move_back_queued: false,
        echo_garbled: false,
        parmrk_seen: false,
        received: 0,
        read_data: 0,
        stale_reads: false,
        buf: vec![0; MAX_READ],
    };
    r.e.open(&t, &mut r.tty);
    check_state(&r.e, &r.t, OpKind::default(), &mut r.over);
    for (i, op) in input.ops.iter().take(MAX_OPS).enumerate() {
        r.step(op, &mut |e: &Engine| trace(i, op, e));
    }
}

impl Run {
    /// One operation and every check after it.
    fn step(&mut self, op: &Op, trace: &mut dyn FnMut(&Engine)) {
        let ix = self.e.indices();
        if ix.echo_head == ix.echo_tail {
            self.move_back_queued = false;
            self.echo_garbled = false;
        }
        let column_before = self.e.column();
        self.tty.model.column = column_before;
        let mut kind = OpKind::default();
        let mut column_exact = true;
        match op {
            Op::SetTermios(spec) => self.set_termios(spec.build()),
            Op::Flip(flag) => self.set_termios(flag.flip(self.t)),
            Op::SetCc(idx, v) => self.set_termios(self.t.with_cc(usize::from(*idx) % NCCS, *v)),
            Op::Receive {
                data,
                repeat,
                flagged,
                noflow,
                lookahead,
            } => {
                kind.canon_parmrk_receive = self.e.icanon() && self.t.i(IFlag::PARMRK);
                let (bytes, flags): (Vec<u8>, Vec<u8>) =
                    data.iter().map(|b| b.decode(&self.t)).unzip();
                let times = usize::from(*repeat) + 1;
                let bytes = repeat_bounded(&bytes, times);
                let flags = repeat_bounded(&flags, times);
                let flags = flagged.then_some(flags.as_slice());
                let flushed = self.receive(&bytes, flags, *noflow, usize::from(*lookahead));
                kind.lookahead_flushed = flushed;
                // An echo byte queued over an unwritten one (an erase or reprint of a long
                // line, or two-byte echoes stepping over every multiple of 256 that
                // `commit_echoes` writes at): the ring overran, as N_TTY's does, and its
                // overwritten slots (ops included) are replayed, so no column to expect until
                // it has been empty again. The engine counts each such byte, before and after
                // any flush of the receive.
                kind.echo_overfill_receive = self.e.indices().echo_overruns != ix.echo_overruns;
                if kind.echo_overfill_receive {
                    self.echo_garbled = true;
                }
            }
            Op::Read { size, packet } => {
                kind.extproc_canon_read = self.e.icanon() && self.t.l(LFlag::EXTPROC);
                self.read(usize::from(*size) % MAX_READ, *packet);
            }
            Op::Write { data, repeat } => {
                let data = repeat_bounded(data, usize::from(*repeat) + 1);
                self.write(&data);
            }
            Op::Room(room) => self.tty.room = *room,
            Op::TcoStop(stop) => {
                self.tty.tco_stopped = *stop;
                self.tty.stopped = *stop;
            }
            Op::WriteError(err) => self.tty.write_error = err.map(|e| DriverError(i32::from(e))),
            Op::FlushInput => self.e.flush_input(&mut self.tty),
            Op::WriteWakeup => self.e.process_echoes_to(&self.t, &mut self.tty),
            Op::Closing(closing) => self.e.set_closing(*closing),
            Op::Reopen => {
                self.e.open(&self.t, &mut self.tty);
                column_exact = false;
            }
            Op::Poll if self.over.tail_past_head => {
                self.e.input_available(&self.t, true);
            }
            Op::Poll => {
                let ix = self.e.indices();
                let min = usize::from(self.t.cc(n_rust_engine::VMIN));
                let poll = self.e.input_available(&self.t, true);
                if !self.e.icanon() && self.t.cc(n_rust_engine::VTIME) == 0 && min > 0 {
                    let avail = span(ix.read_tail, ix.commit_head, "commit_head");
                    assert_eq!(poll, avail >= min, "poll with VMIN");
                }
            }
        }
        trace(&self.e);
        self.check_after(op, kind, column_before, column_exact);
    }

    /// The checks every operation ends with.
    fn check_after(&mut self, op: &Op, kind: OpKind, column_before: u32, column_exact: bool) {
        let echo_overfull_before = self.over.echo;
        check_state(&self.e, &self.t, kind, &mut self.over);
        assert_eq!(self.tty.overrun, None, "driver overrun under OPOST");
        // A ring whose tail went past its head gives stale bytes to readers.
        self.stale_reads |= self.over.tail_past_head;
        let factor = if self.parmrk_seen { 3 } else { 1 };
        assert!(
            self.stale_reads || self.read_data <= self.received * factor,
            "read {} bytes of {} received",
            self.read_data,
            self.received
        );
        let t = self.t;
        let echo_replayed_as_queued =
            !(self.echo_garbled || echo_overfull_before || self.over.echo);
        let exact = column_exact
            && echo_replayed_as_queued
            && t.o(OFlag::OPOST)
            && !(t.o(OFlag::ONLRET) && t.o(OFlag::ONLCR))
            && self.tty.write_error.is_none()
            && !self.move_back_queued;
        if exact {
            assert_eq!(
                self.e.column(),
                self.tty.model.column,
                "column after {op:?}, from {column_before}"
            );
        }
    }

    /// A termios change (`n_tty_set_termios`).
    fn set_termios(&mut self, new: Termios) {
        let old = self.t;
        self.t = new;
        self.tty.termios = new;
        self.e.set_termios(Some(&old), &new, &mut self.tty);
    }

    /// Bytes from the driver, the first `lookahead` of them seen by the lookahead first;
    /// true if the input was flushed (by a signal character).
    fn receive(
        &mut self,
        data: &[u8],
        flags: Option<&[u8]>,
        noflow: bool,
        lookahead: usize,
    ) -> bool {
        let t = self.t;
        if t.i(IFlag::PARMRK) {
            self.parmrk_seen = true;
        }
        if t.l(LFlag::ECHOPRT) && t.i(IFlag::IUTF8) {
            self.move_back_queued = true;
        }
        let la = lookahead.min(data.len());
        if la > 0 {
            let la_flags = flags.map(|f| &f[..la]);
            self.e.lookahead(&t, &data[..la], la_flags, &mut self.tty);
        }
        let may_flush = self.e.receive_may_flush(&t, data, flags);
        let flushes = self.tty.input_flushes;
        let took = if noflow {
            self.e.receive_noflow(&t, data, flags, &mut self.tty)
        } else {
            self.e.receive(&t, data, flags, &mut self.tty)
        };
        assert!(took <= data.len(), "received {took} of {}", data.len());
        if took < data.len() && !noflow {
            assert!(self.e.no_room(), "receive stopped with room");
        }
        let flushed = self.tty.input_flushes != flushes;
        if flushed {
            assert!(may_flush, "receive flushed but receive_may_flush said no");
        }
        self.received += took as u64;
        flushed
    }

    /// A nonblocking `read(2)` of `size` bytes.
    fn read(&mut self, size: usize, packet: bool) {
        let t = self.t;
        if self.over.tail_past_head {
            let n = self
                .e
                .read_as(&t, &mut self.buf[..size], packet, &mut self.tty);
            assert!(n.unwrap_or(0) <= size, "read returned more than asked");
            return;
        }
        let before = self.e.indices();
        let canon_mode = self.e.icanon() && !t.l(LFlag::EXTPROC);
        let avail = self.e.input_available(&t, false);
        let head = if canon_mode {
            before.canon_head
        } else {
            before.commit_head
        };
        let readable = span(before.read_tail, head, "readable");
        let lines_before = line_ends(&self.e, before.read_tail, readable);
        let out = &mut self.buf[..size];
        let result = self.e.read_as(&t, out, packet, &mut self.tty);
        let after = self.e.indices();
        let taken = span(before.read_tail, after.read_tail, "read_tail moved back");
        assert!(
            taken <= readable,
            "read took {taken} of {readable} readable"
        );
        assert_eq!(after.read_head, before.read_head, "read moved read_head");
        assert_eq!(after.canon_head, before.canon_head, "read moved canon_head");
        match result {
            Err(_) => {
                assert_eq!(taken, 0, "a read that would block took bytes");
                assert!(!avail, "a read would block with input available");
            }
            Ok(n) => {
                assert!(n <= size, "read returned {n} for {size}");
                let header = usize::from(packet && !canon_mode && n > 0);
                let data = n - header;
                assert!(data <= taken, "read returned {data}, took {taken}");
                self.read_data += data as u64;
                if canon_mode && !self.over.read && size > 0 && avail {
                    let consumed = lines_before
                        - line_ends(&self.e, after.read_tail, {
                            span(after.read_tail, head, "readable after")
                        });
                    assert!(consumed <= 1, "a read took {consumed} lines");
                    assert!(consumed == 1 || n == size, "partial line, buffer not full");
                }
            }
        }
    }

    /// A `write(2)` of `data`, one pass (`n_tty_write` until it would sleep).
    fn write(&mut self, data: &[u8]) {
        let plenty = self.tty.has_plenty();
        let w = self.e.write(&self.t, data, &mut self.tty);
        assert!(w.bytes <= data.len(), "wrote {} of {}", w.bytes, data.len());
        if plenty {
            assert_eq!(w.bytes, data.len(), "a write with room left bytes");
            assert_eq!(w.error, None, "a write failed without an error");
            // (An overfull echo ring is replayed in part only: N_TTY compares masked indices.)
            let ix = self.e.indices();
            if !self.over.echo {
                assert_eq!(ix.echo_tail, ix.echo_commit, "echoes left with room");
            }
        }
    }
}

/// Line ends among the `len` slots from `from`.
fn line_ends(e: &Engine, from: usize, len: usize) -> usize {
    let words = e.line_end_words();
    let range = invariants::range_mask(from, len);
    words
        .iter()
        .zip(range.iter())
        .map(|(w, r)| (w & r).count_ones() as usize)
        .sum()
}

/// `data` `times` over, at most [`MAX_DATA`] bytes.
fn repeat_bounded(data: &[u8], times: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity((data.len() * times).min(MAX_DATA));
    for _ in 0..times {
        if v.len() + data.len() > MAX_DATA {
            break;
        }
        v.extend_from_slice(data);
    }
    v
}
