//! The invariants of the engine's state that hold after every operation, whatever came
//! before ([`check_state`]). A broken one panics, which libFuzzer reports as a crash.
//!
//! Two exceptions are N_TTY's own behaviour, which the engine keeps (Linux 7.3
//! `drivers/tty/n_tty.c`), and are allowed only where it can arise:
//! - the read ring can hold more than `N_TTY_BUF_SIZE` bytes: in canonical mode a line that
//!   fills the buffer still takes one character at a time (`n_tty_receive_buf_common`'s
//!   overflow case), and with PARMRK that character can become three bytes (`\377 \0 \0`
//!   for a break, `\377 \377` for 0xff), so the head runs past the tail;
//! - the echo ring can hold more than `N_TTY_BUF_SIZE` bytes: one erase of a long line
//!   (KILL with ECHOKE, WERASE, a long UTF-8 sequence with ECHOPRT) queues three or more echo
//!   bytes per character erased before `commit_echoes` runs; and in any mode `commit_echoes`
//!   writes only when the count of pending bytes lands on a multiple of 256 exactly, which
//!   two-byte echoes (`^X` with ECHOCTL, an escaped 0xff) can step over, so one receive of
//!   more than 2048 characters can queue more than the ring holds. The overwritten bytes
//!   are then replayed by `__process_echoes` (ops included, up to the masked commit index);
//! - a full buffer in canonical mode steps `read_head` back once per pass of the receive
//!   loop (the overflow case), and then lets one byte in, or none: the loop looks for room
//!   once more after the last byte, and a parity error as that one byte is dropped. So a run
//!   of parity errors eats the end of the unfinished line, and with EXTPROC (which commits
//!   received bytes for raw reads) `commit_head` is left past `read_head`;
//! - with ICANON and EXTPROC that overflow case steps `read_head` back once more after the
//!   last byte of a receive, so `commit_head` is one past it, and a read (raw, as EXTPROC
//!   reads) takes `read_tail` one past `read_head`. The next receive puts its first byte
//!   behind the tail and the ring is whole again (the room, in `size_t` arithmetic, is
//!   one more than the buffer); a switch out of canonical mode before that makes the
//!   whole ring readable, stale bytes and all. While `read_tail` is past `read_head` the
//!   read ring is not checked;
//! - `lookahead_count` can wrap below zero: `__receive_buf` takes `la_count` at its start and
//!   subtracts it at its end, but an INTR/QUIT/SUSP (or a break with BRKINT) in between
//!   flushes the input (`isig`, `reset_buffer_flags`), which sets it to 0. From then on every
//!   received byte counts as looked ahead, so START and STOP are swallowed without effect,
//!   until the next flush or open.

use n_rust_engine::testing::inspect::Indices;
use n_rust_engine::{Engine, LFlag, Termios, N_TTY_BUF_SIZE};

/// A ring holds less than this much whatever happens: more means a head fell behind its
/// tail (a wrapped subtraction).
const SANE: usize = 1 << 24;
const MASK: usize = N_TTY_BUF_SIZE - 1;

/// Whether a ring may now hold more than `N_TTY_BUF_SIZE` (see the module's doc).
#[derive(Clone, Copy, Debug, Default)]
pub struct Overfill {
    /// The read ring.
    pub read: bool,
    /// The echo ring.
    pub echo: bool,
    /// `lookahead_count` below zero.
    pub lookahead: bool,
    /// `read_tail` went past `read_head`; the read ring is not checked until it is whole.
    pub tail_past_head: bool,
}

/// What an operation might have done that the checks must allow.
#[derive(Clone, Copy, Debug, Default)]
pub struct OpKind {
    /// A receive in canonical mode with PARMRK (may overfill the read ring).
    pub canon_parmrk_receive: bool,
    /// A receive that queued an echo byte over an unwritten one (the engine's
    /// `echo_overruns` moved): it may have overfilled the ring.
    pub echo_overfill_receive: bool,
    /// A receive whose signal character flushed the input (may wrap `lookahead_count` below
    /// zero if some of the bytes were looked ahead).
    pub lookahead_flushed: bool,
    /// A read with ICANON and EXTPROC (may take `read_tail` past `read_head`).
    pub extproc_canon_read: bool,
}

/// Bytes from `from` to `to` on a free-running ring index, checked not to be negative.
pub fn span(from: usize, to: usize, what: &str) -> usize {
    let n = to.wrapping_sub(from);
    assert!(n < SANE, "{what}: {to:#x} is behind {from:#x}");
    n
}

/// The line-end bitmap of slots `[from, from + len)` of the ring.
pub fn range_mask(from: usize, len: usize) -> [u64; N_TTY_BUF_SIZE / 64] {
    let mut m = [0u64; N_TTY_BUF_SIZE / 64];
    if len >= N_TTY_BUF_SIZE {
        return [u64::MAX; N_TTY_BUF_SIZE / 64];
    }
    let start = from & MASK;
    let end = start + len;
    set_slots(&mut m, start, end.min(N_TTY_BUF_SIZE));
    if end > N_TTY_BUF_SIZE {
        set_slots(&mut m, 0, end - N_TTY_BUF_SIZE);
    }
    m
}

/// Sets the bits of slots `[from, to)` in `m`.
fn set_slots(m: &mut [u64; N_TTY_BUF_SIZE / 64], from: usize, to: usize) {
    let mut i = from;
    while i < to {
        let word = i / 64;
        let lo = i % 64;
        let hi = (to - word * 64).min(64);
        let bits = if hi - lo == 64 {
            u64::MAX
        } else {
            ((1u64 << (hi - lo)) - 1) << lo
        };
        m[word] |= bits;
        i = word * 64 + hi;
    }
}

/// The slots whose bit is set in `words`.
pub fn set_bits(words: &[u64; N_TTY_BUF_SIZE / 64]) -> impl Iterator<Item = usize> + '_ {
    words.iter().enumerate().flat_map(|(i, &w)| {
        let mut rest = w;
        core::iter::from_fn(move || {
            if rest == 0 {
                return None;
            }
            let b = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            Some(i * 64 + b)
        })
    })
}

/// Is slot `i` a line end in `words`?
fn bit(words: &[u64; N_TTY_BUF_SIZE / 64], i: usize) -> bool {
    let s = i & MASK;
    words[s / 64] & (1 << (s % 64)) != 0
}

/// Is the read ring whole again after its tail went past its head or its head over its tail:
/// its indices in order
/// and its line ends where they belong (N_TTY gets there on the next receive, or a flush)?
fn ring_whole(e: &Engine, t: &Termios) -> bool {
    let ix = e.indices();
    let cnt = ix.read_head.wrapping_sub(ix.read_tail);
    let words = e.line_end_words();
    if cnt > N_TTY_BUF_SIZE {
        return false;
    }
    if !e.icanon() {
        return ix.commit_head == ix.read_head && words.iter().all(|&w| w == 0);
    }
    if t.l(LFlag::EXTPROC) {
        return ix.commit_head.wrapping_sub(ix.read_head) < SANE;
    }
    let lines = ix.canon_head.wrapping_sub(ix.read_tail);
    let allowed = range_mask(ix.read_tail, lines.min(N_TTY_BUF_SIZE));
    lines <= cnt
        && words.iter().zip(allowed.iter()).all(|(w, a)| w & !a == 0)
        && (lines == 0 || bit(&words, ix.canon_head.wrapping_sub(1)))
}

/// Check the state after an operation of kind `op`; `over` says which rings were overfull
/// (and allowed to be) before it, and is updated.
pub fn check_state(e: &Engine, t: &Termios, op: OpKind, over: &mut Overfill) {
    let ix: Indices = e.indices();
    let cnt = ix.read_head.wrapping_sub(ix.read_tail);
    if cnt >= SANE && op.extproc_canon_read {
        over.tail_past_head = true;
    }
    if over.tail_past_head && !ring_whole(e, t) {
        check_echo_ring(e, op, over);
        return;
    }
    over.tail_past_head = false;
    let cnt = span(ix.read_tail, ix.read_head, "read_head");
    assert_eq!(cnt, e.read_cnt(), "read_cnt");
    if cnt > N_TTY_BUF_SIZE {
        assert!(
            over.read || op.canon_parmrk_receive,
            "read ring holds {cnt} bytes"
        );
        over.read = true;
    } else if over.read && !ring_whole(e, t) {
        // The head ran over the tail: the line ends are garbled until the reader has gone
        // past them (or a flush).
        check_echo_ring(e, op, over);
        return;
    } else {
        over.read = false;
    }
    assert_eq!(e.icanon(), t.l(LFlag::ICANON), "icanon follows termios");
    let words = e.line_end_words();
    let canon_mode = e.icanon() && !t.l(LFlag::EXTPROC);
    if canon_mode {
        let lines = span(ix.read_tail, ix.canon_head, "canon_head");
        assert!(lines <= cnt, "canon_head {lines} past read_head {cnt}");
        assert_eq!(e.chars_in_buffer(), lines, "chars_in_buffer");
        assert_eq!(e.input_available(t, false), lines != 0, "input_available");
        if !over.read {
            let allowed = range_mask(ix.read_tail, lines);
            for (w, a) in words.iter().zip(allowed.iter()) {
                assert_eq!(w & !a, 0, "line end outside the complete lines");
            }
            if lines != 0 {
                assert!(
                    bit(&words, ix.canon_head.wrapping_sub(1)),
                    "last line unended"
                );
            }
            // The line ends are all within the lines (checked above); N_TTY does not look
            // for EOF markers when the lines fill the whole ring (`inq_canon` compares the
            // masked indices).
            let eofs = set_bits(&words)
                .filter(|&s| e.read_ring_byte(s) == 0)
                .count();
            let expected = if lines == N_TTY_BUF_SIZE {
                lines
            } else {
                lines - eofs
            };
            assert_eq!(e.inq(t), expected, "TIOCINQ in canonical mode");
        }
    } else {
        assert_eq!(e.inq(t), cnt, "TIOCINQ outside canonical mode");
        let committed = span(ix.read_tail, ix.commit_head, "commit_head");
        assert_eq!(
            e.input_available(t, false),
            committed != 0,
            "input_available"
        );
        if !e.icanon() {
            assert_eq!(
                ix.commit_head, ix.read_head,
                "commit_head outside canonical mode"
            );
            assert!(
                words.iter().all(|&w| w == 0),
                "line end outside canonical mode"
            );
        } else {
            // ICANON with EXTPROC: a full buffer is the overflow case, whose `read_head--`
            // is not committed when no byte follows or the one let in is a parity error.
            span(
                ix.read_head,
                ix.commit_head,
                "commit_head behind read_head (EXTPROC)",
            );
            assert!(
                committed >= cnt,
                "commit_head {committed} with {cnt} buffered"
            );
        }
    }
    assert!(e.inq(t) <= cnt, "TIOCINQ above the bytes buffered");
    check_echo_ring(e, op, over);
}

/// The echo ring's indices: in order, and within the ring's size unless an erase overfilled
/// it.
fn check_echo_ring(e: &Engine, op: OpKind, over: &mut Overfill) {
    let ix = e.indices();
    let echo = span(ix.echo_tail, ix.echo_head, "echo_head");
    let committed = span(ix.echo_tail, ix.echo_commit, "echo_commit");
    assert!(committed <= echo, "echo_commit past echo_head");
    span(ix.echo_mark, ix.echo_head, "echo_head behind echo_mark");
    over.echo = echo > N_TTY_BUF_SIZE && (over.echo || op.echo_overfill_receive);
    assert!(
        echo <= N_TTY_BUF_SIZE || over.echo,
        "echo ring holds {echo} bytes"
    );
    assert_eq!(e.echoes_pending(), echo != 0, "echoes_pending");
    over.lookahead = ix.lookahead_count >= SANE && (over.lookahead || op.lookahead_flushed);
    assert!(
        ix.lookahead_count < SANE || over.lookahead,
        "lookahead_count wrapped"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`range_mask`] and [`set_bits`] against slot-by-slot versions.
    #[test]
    fn range_mask_sets_the_slots_of_the_range() {
        for from in [0, 1, 63, 64, 100, 4000, 4095, 4096, 9000] {
            for len in [0, 1, 2, 63, 64, 65, 200, 4000, 4095, 4096, 5000] {
                let mut naive = [0u64; N_TTY_BUF_SIZE / 64];
                for i in 0..len.min(N_TTY_BUF_SIZE) {
                    let s = (from + i) & MASK;
                    naive[s / 64] |= 1 << (s % 64);
                }
                let m = range_mask(from, len);
                assert_eq!(m, naive, "from {from} len {len}");
                let slots: Vec<usize> = set_bits(&m).collect();
                assert_eq!(slots.len(), len.min(N_TTY_BUF_SIZE));
                assert!(slots.iter().all(|&s| bit(&naive, s)));
            }
        }
    }
}
