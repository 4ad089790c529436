//! What a difference between the two sides means: a failure, or timing that N_TTY against
//! N_TTY shows as well ("unsettled"; the pairs are replaced and the run goes on).
//!
//! Two kinds of difference are timing:
//!
//! - Only the settled queue counts or poll masks differ, the calls' own results are equal:
//!   how the flip-buffer worker split the input into `receive_buf` calls (README).
//! - The master's input queue has filled (its `FIONREAD` reached [`MASTER_QUEUE_FULL`] on
//!   either side since the pairs were opened), and what differs is the data of a read from
//!   the master with equal counts, or the count of a write to the slave that ran out of room
//!   on at least one side (short, or `EAGAIN`). With the master's discipline full, the slave's
//!   output and echoes stop at the master's flip buffer, whose limit (8 KiB,
//!   `tty_buffer_set_limit()` in pty.c) counts whole buffers: which of them the master's worker
//!   has freed when the slave writes depends on timing, and so do the write's count and which
//!   echoes N_TTY keeps or discards (`__process_echoes()`: with no room, pending echoes beyond
//!   `ECHO_DISCARD_WATERMARK` are dropped). Those bytes are read from the master later.
//!
//! Anything else that differs fails: errors, termios, the slave's data, a master read of
//! another count, a write that had room on both sides, and any difference in the master's
//! data before its queue has filled.

use crate::call::{Call, Target};
use crate::side::Res;

/// A master's `FIONREAD` when its (N_TTY, raw) discipline holds all it can: `N_TTY_BUF_SIZE`
/// less one.
pub const MASTER_QUEUE_FULL: i64 = 4095;

/// `EAGAIN`: a nonblocking write that found no room.
const EAGAIN: i32 = 11;

/// The outcome of one call on the two sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Results and settled counts are equal.
    Agree,
    /// Only the settled counts or poll masks differ.
    UnsettledCounts,
    /// A master's data or a slave write's count differ after the master's queue filled.
    UnsettledFlipLimit,
    /// A difference that is not timing: a failure.
    Diverges,
}

/// Whether a write of `len` bytes that returned `r` ran out of room.
fn out_of_room(r: &Res, len: usize) -> bool {
    match r {
        Res::Ok(n, _) => (*n as usize) < len,
        Res::Err(e) => *e == EAGAIN,
    }
}

/// Whether a write's result is a count or `EAGAIN` (not another error).
fn count_or_eagain(r: &Res) -> bool {
    matches!(r, Res::Ok(..) | Res::Err(EAGAIN))
}

/// Whether the only difference in `results` is one the full master queue explains.
fn flip_limit_explains(call: &Call, results: &[Vec<Res>; 2]) -> bool {
    let (a, b) = match (results[0].as_slice(), results[1].as_slice()) {
        ([a], [b]) => (a, b),
        _ => return false,
    };
    match call {
        Call::Read {
            fd: Target::Master, ..
        } => matches!((a, b), (Res::Ok(n, _), Res::Ok(m, _)) if n == m),
        Call::Write {
            fd: Target::Slave | Target::Extra,
            data,
            ..
        } => {
            count_or_eagain(a)
                && count_or_eagain(b)
                && (out_of_room(a, data.len()) || out_of_room(b, data.len()))
        }
        _ => false,
    }
}

/// How `call` compares: its results on the two sides, whether the settled counts differ, and
/// whether the master's input queue has filled since the pairs were opened.
pub fn verdict(
    call: &Call,
    results: &[Vec<Res>; 2],
    counts_differ: bool,
    master_filled: bool,
) -> Verdict {
    if results[0] == results[1] {
        return if counts_differ {
            Verdict::UnsettledCounts
        } else {
            Verdict::Agree
        };
    }
    if master_filled && flip_limit_explains(call, results) {
        Verdict::UnsettledFlipLimit
    } else {
        Verdict::Diverges
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::Ptr;

    fn read(fd: Target) -> Call {
        Call::Read {
            fd,
            size: 16,
            ptr: Ptr::Good,
        }
    }

    fn write(fd: Target, len: usize) -> Call {
        Call::Write {
            fd,
            data: vec![b'x'; len],
            size: len,
            ptr: Ptr::Good,
        }
    }

    fn ok(n: i64, data: &[u8]) -> Vec<Res> {
        vec![Res::Ok(n, data.to_vec())]
    }

    #[test]
    fn equal_results_agree_or_are_unsettled_counts() {
        let r = [ok(3, b"abc"), ok(3, b"abc")];
        assert_eq!(
            verdict(&read(Target::Master), &r, false, false),
            Verdict::Agree
        );
        assert_eq!(
            verdict(&read(Target::Master), &r, true, false),
            Verdict::UnsettledCounts
        );
    }

    #[test]
    fn master_data_differing_fails_until_the_master_queue_filled() {
        let r = [ok(3, b"\0ab"), ok(3, b"\0ac")];
        assert_eq!(
            verdict(&read(Target::Master), &r, false, false),
            Verdict::Diverges
        );
        assert_eq!(
            verdict(&read(Target::Master), &r, false, true),
            Verdict::UnsettledFlipLimit
        );
    }

    #[test]
    fn other_differences_fail_even_after_the_master_queue_filled() {
        // A master read of another count, the slave's data, an errno.
        let counts = [ok(3, b"abc"), ok(2, b"ab")];
        assert_eq!(
            verdict(&read(Target::Master), &counts, false, true),
            Verdict::Diverges
        );
        let slave = [ok(3, b"abc"), ok(3, b"abd")];
        assert_eq!(
            verdict(&read(Target::Slave), &slave, false, true),
            Verdict::Diverges
        );
        let errno = [ok(3, b"abc"), vec![Res::Err(14)]];
        assert_eq!(
            verdict(&read(Target::Master), &errno, false, true),
            Verdict::Diverges
        );
    }

    #[test]
    fn a_slave_write_out_of_room_is_unsettled_after_the_master_queue_filled() {
        let w = write(Target::Extra, 6);
        let eagain_vs_all = [vec![Res::Err(EAGAIN)], ok(6, b"")];
        assert_eq!(
            verdict(&w, &eagain_vs_all, false, true),
            Verdict::UnsettledFlipLimit
        );
        assert_eq!(verdict(&w, &eagain_vs_all, false, false), Verdict::Diverges);
        let short = [ok(2, b""), ok(5, b"")];
        assert_eq!(
            verdict(&w, &short, false, true),
            Verdict::UnsettledFlipLimit
        );
    }

    #[test]
    fn writes_with_room_or_other_errors_fail() {
        // Both had room (no short count, no EAGAIN) yet differ: impossible unless broken.
        let w = write(Target::Slave, 6);
        let room = [ok(6, b""), vec![Res::Err(5)]];
        assert_eq!(verdict(&w, &room, false, true), Verdict::Diverges);
        // A write to the master is cut by the slave's queue, not the master's.
        let m = write(Target::Master, 6);
        let short = [ok(2, b""), ok(6, b"")];
        assert_eq!(verdict(&m, &short, false, true), Verdict::Diverges);
    }
}
