//! What a difference between the two sides means: a failure, or timing that N_TTY against
//! N_TTY shows as well ("unsettled"; the pairs are replaced and the run goes on).
//!
//! These differences are timing:
//!
//! - Only the settled queue counts or poll masks differ, the calls' own results are equal:
//!   how the flip-buffer worker split the input into `receive_buf` calls (README).
//! - The count of a write to the slave that ran out of room on at least one side (short, or
//!   `EAGAIN`), when a master's queue is full ([`MASTER_QUEUE_FULL`]) or its stream is
//!   *tainted* (below). The slave's output stops at the master's flip buffer, whose limit
//!   (8 KiB, `tty_buffer_set_limit()` in pty.c) counts whole buffers: how many the master's
//!   worker has freed when the write comes is timing.
//! - The data of a read from the master, with equal counts, once its stream is tainted: the
//!   slave's input has made the bytes on their way to the master depend on timing, in one of
//!   two ways, both needing something echoed (`ECHO` or `ECHONL`):
//!   - the input's echoes filled the master's queue (it was below [`MASTER_QUEUE_FULL`] before
//!     the call on either side and is at it after): the master's worker was moving the flip
//!     buffer into the queue while N_TTY wrote echoes into it, and which echoes found room and
//!     which were discarded (`__process_echoes()`: beyond `ECHO_DISCARD_WATERMARK` with no
//!     room) depends on how far it had come; the discarded ones and those still pending reach
//!     the master later;
//!   - the input held a signal character (`VINTR`, `VQUIT`, `VSUSP` with `ISIG`, without
//!     `NOFLSH`): N_TTY's `isig()` calls `tty_driver_flush_buffer()`, on a pty
//!     `tty_buffer_flush()` of the master's port (`pty_flush_buffer()`), which drops what the
//!     master's worker, running at the same time as the slave's, has not yet received of the
//!     echoes the same input produced before the signal character.
//!
//!   The taint lasts until the pairs are replaced or both masters' queues are empty.
//! - The data of a read from the slave, with equal counts, once its stream is tainted: a
//!   `TCSETSF` while the slave's queue held input (settled `FIONREAD` above 0 on either side
//!   before the call; only then can its flip buffer hold input the discipline had no room
//!   for). The flush makes room and kicks the flip work (`n_tty_flush_buffer()`), which
//!   receives the held input while the ioctl goes on to install the new termios: under the
//!   old settings or the new (`ISTRIP`, say) is timing. Its echoes taint the master's stream
//!   too. The taint lasts until both slaves' queues are empty.
//!
//! Anything else that differs fails: errors, termios, the slave's data, a master read of
//! another count, a write that had room on both sides, and a difference in the master's data
//! while its stream is untainted.

use crate::call::{Call, KTermios, Target};
use crate::side::Res;

/// A master's `FIONREAD` when its (N_TTY, raw) discipline holds all it can: `N_TTY_BUF_SIZE`
/// less one.
pub const MASTER_QUEUE_FULL: i64 = 4095;

/// `EAGAIN`: a nonblocking write that found no room.
const EAGAIN: i32 = 11;

/// `ISIG`, `NOFLSH`, `ECHO`, `ECHONL` (`c_lflag`), `ISTRIP`, `IUCLC` (`c_iflag`), and the
/// indices of the signal characters in `c_cc`.
const ISIG: u32 = 0o1;
const NOFLSH: u32 = 0o200;
const ECHO: u32 = 0o10;
const ECHONL: u32 = 0o100;
const ISTRIP: u32 = 0o40;
const IUCLC: u32 = 0o1000;
const SIGNAL_CHARS: [usize; 3] = [0, 1, 10];

/// The input `call` gives the slave, if any: a write to the master, `TIOCSTI` on the slave.
fn slave_input(call: &Call) -> Option<&[u8]> {
    match call {
        Call::Write {
            fd: Target::Master,
            data,
            ..
        } => Some(data),
        Call::Sti {
            fd: Target::Slave | Target::Extra,
            byte,
            ..
        } => Some(std::slice::from_ref(byte)),
        _ => None,
    }
}

/// Whether `input` holds a byte that is, or after `ISTRIP` or `IUCLC` becomes, a signal
/// character of `t`, with `ISIG` on and `NOFLSH` off.
fn flushes_on_signal(t: &KTermios, input: &[u8]) -> bool {
    if t.lflag & ISIG == 0 || t.lflag & NOFLSH != 0 {
        return false;
    }
    let signals = SIGNAL_CHARS.map(|i| t.cc[i]);
    input.iter().any(|&b| {
        let stripped = if t.iflag & ISTRIP != 0 { b & 0x7f } else { b };
        let lowered = if t.iflag & IUCLC != 0 {
            stripped.to_ascii_lowercase()
        } else {
            stripped
        };
        signals.contains(&stripped) || signals.contains(&lowered)
    })
}

/// Whether `call` taints the master's stream (see the module's doc): it gives the slave input
/// that is echoed, and either the masters' queues (settled `FIONREAD`, both sides) went from
/// `before` (some below [`MASTER_QUEUE_FULL`]) to `after` (some at it), or the input holds a
/// signal character that flushes. `termios` gives the slave's, asked only for such a call.
pub fn taints_master(
    call: &Call,
    termios: impl FnOnce() -> Option<KTermios>,
    before: [i64; 2],
    after: [i64; 2],
) -> bool {
    let Some(input) = slave_input(call) else {
        return false;
    };
    let Some(t) = termios() else {
        return false;
    };
    if t.lflag & (ECHO | ECHONL) == 0 {
        return false;
    }
    let filled = before.iter().any(|&m| m < MASTER_QUEUE_FULL)
        && after.iter().any(|&m| m >= MASTER_QUEUE_FULL);
    filled || flushes_on_signal(&t, input)
}

/// The outcome of one call on the two sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Results and settled counts are equal.
    Agree,
    /// Only the settled counts or poll masks differ.
    UnsettledCounts,
    /// A slave write's count differs with a master's queue full or its stream tainted, or a
    /// master's or slave's data differ with its stream tainted.
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

/// Whether `call` taints the slave's stream (see the module's doc): a `TCSETSF` that succeeded
/// on both sides while a slave's queue (settled `FIONREAD` before the call, both sides) held
/// input.
pub fn taints_slave(call: &Call, results: &[Vec<Res>; 2], slaves_before: [i64; 2]) -> bool {
    matches!(call, Call::SetTermios { req, .. } if *req == libc::TCSETSF)
        && results
            .iter()
            .all(|r| matches!(r.as_slice(), [Res::Ok(..)]))
        && slaves_before.iter().any(|&n| n > 0)
}

/// The single results of a call on the two sides, if it made one system call.
fn single(results: &[Vec<Res>; 2]) -> Option<(&Res, &Res)> {
    match (results[0].as_slice(), results[1].as_slice()) {
        ([a], [b]) => Some((a, b)),
        _ => None,
    }
}

/// Where the two sides stand when a call's results are judged (see the module's doc).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timing {
    /// A master's settled queue is full now.
    pub master_full: bool,
    /// The master's stream is tainted.
    pub master_tainted: bool,
    /// The slave's stream is tainted.
    pub slave_tainted: bool,
}

/// How `call` compares: its results on the two sides, whether the settled counts differ, and
/// the timing the two sides have met.
pub fn verdict(
    call: &Call,
    results: &[Vec<Res>; 2],
    counts_differ: bool,
    timing: Timing,
) -> Verdict {
    let Timing {
        master_full,
        master_tainted,
        slave_tainted,
    } = timing;
    if results[0] == results[1] {
        return if counts_differ {
            Verdict::UnsettledCounts
        } else {
            Verdict::Agree
        };
    }
    let Some((a, b)) = single(results) else {
        return Verdict::Diverges;
    };
    let timing = match call {
        Call::Read {
            fd: Target::Master, ..
        } => master_tainted && matches!((a, b), (Res::Ok(n, _), Res::Ok(m, _)) if n == m),
        Call::Read {
            fd: Target::Slave | Target::Extra,
            ..
        } => slave_tainted && matches!((a, b), (Res::Ok(n, _), Res::Ok(m, _)) if n == m),
        Call::Write {
            fd: Target::Slave | Target::Extra,
            data,
            ..
        } => {
            (master_full || master_tainted)
                && count_or_eagain(a)
                && count_or_eagain(b)
                && (out_of_room(a, data.len()) || out_of_room(b, data.len()))
        }
        _ => false,
    };
    if timing {
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

    fn write(fd: Target, data: &[u8]) -> Call {
        Call::Write {
            fd,
            data: data.to_vec(),
            size: data.len(),
            ptr: Ptr::Good,
        }
    }

    fn ok(n: i64, data: &[u8]) -> Vec<Res> {
        vec![Res::Ok(n, data.to_vec())]
    }

    fn termios(lflag: u32, iflag: u32) -> KTermios {
        let mut t = KTermios {
            iflag,
            lflag,
            ..KTermios::default()
        };
        t.cc[0] = 3; // VINTR ^C
        t.cc[1] = 28; // VQUIT ^\
        t.cc[10] = 26; // VSUSP ^Z
        t
    }

    const UNTOUCHED: [i64; 2] = [10, 10];

    fn t(master_full: bool, master_tainted: bool) -> Timing {
        Timing {
            master_full,
            master_tainted,
            slave_tainted: false,
        }
    }

    #[test]
    fn a_flushing_termios_change_with_input_queued_taints_the_slave_stream() {
        let set = |req| Call::SetTermios {
            fd: Target::Master,
            req,
            t: KTermios::default(),
            own_line: true,
            ptr: Ptr::Good,
        };
        let ok2 = [ok(0, b""), ok(0, b"")];
        assert!(taints_slave(&set(libc::TCSETSF), &ok2, [4095, 4095]));
        assert!(!taints_slave(&set(libc::TCSETSF), &ok2, [0, 0]));
        assert!(!taints_slave(&set(libc::TCSETS), &ok2, [4095, 4095]));
        let failed = [vec![Res::Err(14)], vec![Res::Err(14)]];
        assert!(!taints_slave(&set(libc::TCSETSF), &failed, [4095, 4095]));
        // The slave's data then differ as timing, with equal counts only.
        let s = read(Target::Extra);
        let strip = [ok(3, b"\x02T"), ok(3, b"\x02\xd4")];
        let tainted = Timing {
            slave_tainted: true,
            ..Timing::default()
        };
        assert_eq!(
            verdict(&s, &strip, false, tainted),
            Verdict::UnsettledFlipLimit
        );
        assert_eq!(
            verdict(&s, &strip, false, Timing::default()),
            Verdict::Diverges
        );
        let counts = [ok(3, b"abc"), ok(2, b"ab")];
        assert_eq!(verdict(&s, &counts, false, tainted), Verdict::Diverges);
    }

    #[test]
    fn equal_results_agree_or_are_unsettled_counts() {
        let r = [ok(3, b"abc"), ok(3, b"abc")];
        let m = read(Target::Master);
        assert_eq!(verdict(&m, &r, false, t(false, false)), Verdict::Agree);
        assert_eq!(
            verdict(&m, &r, true, t(false, false)),
            Verdict::UnsettledCounts
        );
    }

    #[test]
    fn master_data_differing_fails_unless_the_stream_is_tainted() {
        let r = [ok(3, b"\0ab"), ok(3, b"\0ac")];
        let m = read(Target::Master);
        assert_eq!(verdict(&m, &r, false, t(false, false)), Verdict::Diverges);
        // A full queue alone does not excuse the master's data: only a taint does.
        assert_eq!(verdict(&m, &r, false, t(true, false)), Verdict::Diverges);
        assert_eq!(
            verdict(&m, &r, false, t(false, true)),
            Verdict::UnsettledFlipLimit
        );
    }

    #[test]
    fn other_differences_fail_even_with_a_tainted_stream() {
        // A master read of another count, the slave's data, an errno.
        let counts = [ok(3, b"abc"), ok(2, b"ab")];
        let m = read(Target::Master);
        assert_eq!(
            verdict(&m, &counts, false, t(true, true)),
            Verdict::Diverges
        );
        let slave = [ok(3, b"abc"), ok(3, b"abd")];
        let s = read(Target::Slave);
        assert_eq!(verdict(&s, &slave, false, t(true, true)), Verdict::Diverges);
        let errno = [ok(3, b"abc"), vec![Res::Err(14)]];
        assert_eq!(verdict(&m, &errno, false, t(true, true)), Verdict::Diverges);
    }

    #[test]
    fn a_slave_write_out_of_room_is_unsettled_with_a_master_queue_full() {
        let w = write(Target::Extra, b"abcdef");
        let eagain_vs_all = [vec![Res::Err(EAGAIN)], ok(6, b"")];
        assert_eq!(
            verdict(&w, &eagain_vs_all, false, t(true, false)),
            Verdict::UnsettledFlipLimit
        );
        assert_eq!(
            verdict(&w, &eagain_vs_all, false, t(false, false)),
            Verdict::Diverges
        );
        let short = [ok(2, b""), ok(5, b"")];
        assert_eq!(
            verdict(&w, &short, false, t(false, true)),
            Verdict::UnsettledFlipLimit
        );
    }

    #[test]
    fn writes_with_room_or_other_errors_fail() {
        // Both had room (no short count, no EAGAIN) yet differ: not the flip buffer's limit.
        let w = write(Target::Slave, b"abcdef");
        let room = [ok(6, b""), vec![Res::Err(5)]];
        assert_eq!(verdict(&w, &room, false, t(true, true)), Verdict::Diverges);
        // A write to the master is cut by the slave's queue, not the master's.
        let m = write(Target::Master, b"abcdef");
        let short = [ok(2, b""), ok(6, b"")];
        assert_eq!(verdict(&m, &short, false, t(true, true)), Verdict::Diverges);
    }

    #[test]
    fn echoed_input_that_fills_the_master_queue_taints_it() {
        let echo = termios(ECHO, 0);
        let full = [MASTER_QUEUE_FULL, 100];
        let w = write(Target::Master, b"abcd");
        assert!(taints_master(&w, || Some(echo), UNTOUCHED, full));
        // Already full before, or not full after, or nothing echoed: no taint.
        assert!(!taints_master(
            &w,
            || Some(echo),
            [MASTER_QUEUE_FULL; 2],
            [MASTER_QUEUE_FULL; 2]
        ));
        assert!(!taints_master(&w, || Some(echo), UNTOUCHED, [4000, 4000]));
        assert!(!taints_master(&w, || Some(termios(0, 0)), UNTOUCHED, full));
        // The slave's output is not its input (its count is compared, its data deterministic).
        let out = write(Target::Slave, b"abcd");
        assert!(!taints_master(&out, || Some(echo), UNTOUCHED, full));
    }

    #[test]
    fn an_echoed_signal_character_that_flushes_taints_the_master_stream() {
        let on = termios(ISIG | ECHO, 0);
        let w = |data: &[u8]| write(Target::Master, data);
        let taints = |c: &Call, t: KTermios| taints_master(c, || Some(t), UNTOUCHED, UNTOUCHED);
        assert!(taints(&w(b"ab\x03cd"), on));
        assert!(taints(&w(b"\x1a"), on));
        assert!(!taints(&w(b"abcd"), on));
        // ISTRIP makes 0x83 a ^C.
        assert!(!taints(&w(b"\x83"), on));
        assert!(taints(&w(b"\x83"), termios(ISIG | ECHO, ISTRIP)));
        // No ISIG, NOFLSH, or nothing echoed: no echoes in flight are flushed.
        assert!(!taints(&w(b"\x03"), termios(ECHO, 0)));
        assert!(!taints(&w(b"\x03"), termios(ISIG | ECHO | NOFLSH, 0)));
        assert!(!taints(&w(b"\x03"), termios(ISIG, 0)));
        let sti = Call::Sti {
            fd: Target::Extra,
            byte: 28,
            ptr: Ptr::Good,
        };
        assert!(taints(&sti, on));
    }
}
