//! The paths that move the read ring a block at a time (`src/engine/bulk.rs`): N_TTY's
//! `memcpy` of whole chunks in `n_tty_receive_buf_real_raw` and `copy_from_read_buf`, its
//! `find_next_bit` for the line end in `canon_copy_from_read_buf`, and the runs of
//! `process_output_block`. Each test drives the ring round many times, in chunks and reads of
//! pseudo-random sizes, so that copies split at the end of the ring and line ends fall on
//! every slot of a bitmap word, and checks every byte against a model of what N_TTY returns.
mod common;
use common::*;
use n_rust_engine::*;
use std::collections::VecDeque;

/// A small deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `1..=max`.
    fn upto(&mut self, max: usize) -> usize {
        1 + (self.next() % max as u64) as usize
    }
}

/// Raw input through a real-raw driver (whole chunks copied) and through one that reports
/// flags (runs of normal bytes copied; with INPCK a parity error reads as 0, an overrun is
/// dropped): every byte comes out once, in order, across dozens of wraps of the ring.
#[test]
fn raw_bytes_come_out_in_order_across_ring_wraps() {
    for (driver, t) in [
        (DriverInfo::PTY, Termios::RAW),
        (DriverInfo::SERIAL, Termios::RAW.plus_i(IFlag::INPCK)),
    ] {
        let (mut e, mut r) = open_on(&t, driver);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let data: Vec<u8> = (0..200_000).map(|_| rng.next() as u8).collect();
        let flags: Vec<u8> = (0..data.len())
            .map(|_| match rng.next() % 64 {
                0 if driver == DriverInfo::SERIAL => TTY_PARITY,
                1 if driver == DriverInfo::SERIAL => TTY_OVERRUN,
                _ => TTY_NORMAL,
            })
            .collect();
        let expected: Vec<u8> = data
            .iter()
            .zip(&flags)
            .filter(|(_, &f)| f != TTY_OVERRUN)
            .map(|(&c, &f)| if f == TTY_PARITY { 0 } else { c })
            .collect();
        let with_flags = driver == DriverInfo::SERIAL;
        let (mut got, mut off) = (Vec::new(), 0);
        let mut spins = 0;
        while off < data.len() || got.len() < expected.len() {
            spins += 1;
            assert!(
                spins < 100_000,
                "stuck: {off} in, {} of {} out",
                got.len(),
                expected.len()
            );
            let end = (off + rng.upto(3000)).min(data.len());
            let f = with_flags.then(|| &flags[off..end]);
            off += e.receive(&t, &data[off..end], f, &mut r);
            let mut buf = vec![0u8; rng.upto(5000)];
            if let Ok(n) = e.read(&t, &mut buf, &mut r) {
                got.extend_from_slice(&buf[..n]);
            }
        }
        assert!(got == expected, "raw bytes differ on {driver:?}");
    }
}

/// Canonical lines of every length up to 300, ended by a newline or by EOF, fed in chunks of
/// any size and read with reads of any size: each read returns the rest of the current line,
/// or as much of it as fits, never a byte of the next line; an EOF marker is never returned.
/// With ECHO the continuation calls go through the stage; without (a password) they do not.
#[test]
fn canonical_reads_end_exactly_at_each_line_end_across_ring_wraps() {
    canonical_reads_end_at_line_ends(&Termios::SANE.minus_o(OFlag::OPOST));
    canonical_reads_end_at_line_ends(&Termios::SANE.minus_l(LFlag::ECHO));
}

fn canonical_reads_end_at_line_ends(t: &Termios) {
    let t = *t;
    let (mut e, mut r) = open(&t);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let (mut input, mut lines) = (Vec::new(), VecDeque::new());
    while input.len() < 300_000 {
        let len = rng.upto(300);
        let line: Vec<u8> = (0..len).map(|_| b'a' + (rng.next() % 26) as u8).collect();
        input.extend_from_slice(&line);
        let mut returned = line;
        if rng.next().is_multiple_of(4) {
            input.push(4); // VEOF: ends the line and is not read
        } else {
            input.push(b'\n');
            returned.push(b'\n');
        }
        lines.push_back(returned);
    }
    let (mut off, mut complete, mut reads) = (0, 0usize, 0usize);
    while !lines.is_empty() {
        let end = (off + rng.upto(700)).min(input.len());
        let took = e.receive(&t, &input[off..end], None, &mut r);
        complete += input[off..off + took]
            .iter()
            .filter(|&&c| c == b'\n' || c == 4)
            .count();
        off += took;
        for _ in 0..rng.upto(4) {
            let size = rng.upto(200);
            let mut buf = vec![0u8; size];
            let result = e.read(&t, &mut buf, &mut r);
            if complete == reads {
                assert_eq!(result, Err(ReadError::WouldBlock), "no complete line yet");
                continue;
            }
            let front = lines.front_mut().unwrap();
            let n = result.expect("a complete line is there");
            assert_eq!(n, size.min(front.len()), "read of {size} from {front:?}");
            assert_eq!(&buf[..n], &front[..n]);
            front.drain(..n);
            if front.is_empty() {
                lines.pop_front();
                reads += 1;
            }
        }
    }
}

/// A run of ordinary characters is stored at once after the IXANY restart that the first of
/// them makes (`n_tty_receive_char`): output stopped by STOP restarts, once; stopped by
/// `tcflow(TCOOFF)`, it does not.
#[test]
fn run_of_ordinary_characters_restarts_output_once_with_ixany() {
    // Not canonical, so that no line end (a special character, with its own restart) follows.
    let t = Termios::SANE
        .minus_l(LFlag::ECHO | LFlag::ICANON)
        .plus_i(IFlag::IXANY);
    for tco in [false, true] {
        let (mut e, mut r) = open(&t);
        r.stopped = true;
        r.tco_stopped = tco;
        feed(&mut e, &t, &mut r, b"hello world");
        assert_eq!(r.starts, usize::from(!tco), "tco_stopped {tco}");
        assert_eq!(r.stopped, tco);
        assert_eq!(cat(&read_all(&mut e, &t, &mut r, 64)), b"hello world");
    }
}

/// The column kept over a run of printable ASCII in `process_output_block`, with UTF-8
/// continuation bytes (no column with IUTF8) and a backspace between: a tab expanded by XTABS
/// after it reaches the next multiple of 8.
#[test]
fn output_column_counts_printable_runs_before_a_tab() {
    let t = Termios::SANE.plus_o(OFlag::XTABS).plus_i(IFlag::IUTF8);
    for (text, column) in [
        (&b"hello world"[..], 11),
        (b"caf\xc3\xa9 au lait", 12),
        (b"abc\x08de", 4),
        (&[b'x'; 300][..], 300),
    ] {
        let (mut e, mut r) = open(&t);
        let mut out = text.to_vec();
        out.push(b'\t');
        assert_eq!(e.write(&t, &out, &mut r).bytes, out.len());
        let spaces = 8 - column % 8;
        let mut expected = text.to_vec();
        expected.extend(std::iter::repeat_n(b' ', spaces));
        assert_eq!(r.master_bytes(), &expected[..], "{text:?}");
        assert_eq!(e.column() as usize, column + spaces);
    }
}

/// Whether a receive may flush (ISIG's INTR, QUIT or SUSP anywhere in the chunk), looked for
/// eight bytes at a time: found at every position of chunks of every length up to 40, among
/// bytes one above and below each signal character and with the top bit set (the borrows of
/// the word-at-a-time test), and not found when absent.
#[test]
fn signal_character_is_found_at_every_position_of_a_chunk() {
    let t = Termios::SANE;
    let (e, _) = open(&t);
    let signals = [t.cc(VINTR), t.cc(VQUIT), t.cc(VSUSP)];
    let near: Vec<u8> = signals
        .iter()
        .flat_map(|&s| [s + 1, s - 1, s | 0x80, s ^ 0x01])
        .filter(|c| !signals.contains(c))
        .collect();
    for len in 0..40 {
        let filler: Vec<u8> = (0..len).map(|i| near[i % near.len()]).collect();
        assert!(
            !e.receive_may_flush(&t, &filler, None),
            "none in {filler:?}"
        );
        for at in 0..len {
            for s in signals {
                let mut data = filler.clone();
                data[at] = s;
                assert!(e.receive_may_flush(&t, &data, None), "{s} at {at} of {len}");
            }
        }
    }
}
