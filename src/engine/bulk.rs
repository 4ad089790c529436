//! The read ring a block at a time: what N_TTY does with `memcpy` and `find_next_bit`
//! (`n_tty_receive_buf_real_raw`, `copy_from_read_buf`, `canon_copy_from_read_buf`,
//! `zero_buffer`) where the byte-at-a-time accessors of `buffers.rs` would touch every slot
//! through a bounds check; and the receive paths that store runs of bytes with them (the raw
//! path's normal bytes, and the standard path's ordinary characters when nothing but storing
//! them is to be done). Each function takes or gives at most the ring's size and splits a
//! range that wraps into its two pieces.

use super::actions::{Actions, TTY_NORMAL};
use super::state::{Engine, MASK, N_TTY_BUF_SIZE};
use super::termios::{IFlag, LFlag, Termios};

/// The slots `[from, from + n)` of a ring as at most two ranges of the array: `(start, len)`
/// of the first, and the length of the second, which starts at 0. `n` is at most the ring's
/// size.
fn split(from: usize, n: usize) -> (usize, usize, usize) {
    let start = from & MASK;
    let first = n.min(N_TTY_BUF_SIZE - start);
    (start, first, n - first)
}

/// Whether any byte of `data` is one of `bytes`, eight bytes at a time: a byte of a word
/// equals `b` where the word XOR `b` in every byte has a zero byte, which the borrow of
/// `x - 0x01…01` shows in that byte's top bit (set only where `x` had a zero byte or, above
/// one, a borrow; the first zero byte is always seen).
pub(super) fn contains_any(data: &[u8], bytes: [u8; 3]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let has_zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS != 0;
    let words = data.chunks_exact(8);
    let tail = words.remainder();
    for word in words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let w = u64::from_ne_bytes(w);
        if bytes
            .iter()
            .any(|&b| has_zero_byte(w ^ (ONES.wrapping_mul(u64::from(b)))))
        {
            return true;
        }
    }
    let [b0, b1, b2] = bytes;
    tail.iter().any(|&c| c == b0 || c == b1 || c == b2)
}

impl Engine {
    /// Appends `data` to the read ring (`put_tty_queue` for each byte, in two copies at
    /// most, as `n_tty_receive_buf_real_raw` does). `data` must fit: the caller checked the
    /// room, as for `put_tty_queue`.
    pub(super) fn put_tty_queue_block(&mut self, data: &[u8]) {
        let n = data.len().min(N_TTY_BUF_SIZE);
        let (start, first, second) = split(self.read_head, n);
        let (a, b) = data.split_at(first);
        if let Some(dst) = self.read_buf.get_mut(start..start + first) {
            dst.copy_from_slice(a);
        }
        if let Some(dst) = self.read_buf.get_mut(..second) {
            dst.copy_from_slice(b.get(..second).unwrap_or(&[]));
        }
        self.read_head = self.read_head.wrapping_add(n);
    }

    /// Copies the ring's slots from index `from` into the whole of `out` (at most the ring's
    /// size), as `rb(from + i)` for each `i`.
    pub(super) fn copy_out_of_ring(&self, from: usize, out: &mut [u8]) {
        let n = out.len().min(N_TTY_BUF_SIZE);
        let (start, first, second) = split(from, n);
        let (a, b) = out.split_at_mut(first);
        if let Some(src) = self.read_buf.get(start..start + first) {
            a.copy_from_slice(src);
        }
        if let (Some(dst), Some(src)) = (b.get_mut(..second), self.read_buf.get(..second)) {
            dst.copy_from_slice(src);
        }
    }

    /// The ring's slots from index `from` on, `n` of them, which must not run past the end of
    /// the ring's array (else as many as do).
    pub(super) fn ring_run(&self, from: usize, n: usize) -> &[u8] {
        let start = from & MASK;
        self.read_buf
            .get(start..start + n.min(N_TTY_BUF_SIZE - start))
            .unwrap_or(&[])
    }

    /// Zeroes `n` slots of the ring from index `from` (`rb_set(from + i, 0)` for each `i`).
    pub(super) fn zero_ring(&mut self, from: usize, n: usize) {
        let (start, first, second) = split(from, n.min(N_TTY_BUF_SIZE));
        if let Some(dst) = self.read_buf.get_mut(start..start + first) {
            dst.fill(0);
        }
        if let Some(dst) = self.read_buf.get_mut(..second) {
            dst.fill(0);
        }
    }

    /// The offset from `from` of the first line end among the `n` slots from index `from`
    /// (`find_next_bit` over `read_flags`, a word at a time), if any.
    pub(super) fn next_line_end(&self, from: usize, n: usize) -> Option<usize> {
        let n = n.min(N_TTY_BUF_SIZE);
        let mut offset = 0;
        while offset < n {
            let slot = from.wrapping_add(offset) & MASK;
            let bit = slot % 64;
            // The bits of this word from `slot` on, as far as the range and the word go.
            let span = (64 - bit).min(n - offset);
            let word = self.read_flags.get(slot / 64).copied().unwrap_or(0) >> bit;
            let word = if span < 64 {
                word & ((1u64 << span) - 1)
            } else {
                word
            };
            if word != 0 {
                return Some(offset + word.trailing_zeros() as usize);
            }
            offset += span;
        }
        None
    }

    /// How many of the leading bytes of `data` (with their `flags`) are plain: a normal flag
    /// and not in the character map, so that `receive_char` is all they need.
    fn plain_run(&self, data: &[u8], flags: Option<&[u8]>) -> usize {
        let map = self.char_map;
        // `map_test` with the map in registers: the word index of a byte is below 4.
        let unmapped = |c: &u8| {
            let word = map.get(usize::from(*c >> 6)).copied().unwrap_or(0);
            word & (1u64 << (*c & 63)) == 0
        };
        match flags {
            None => data.iter().take_while(|c| unmapped(c)).count(),
            Some(f) => data
                .iter()
                .zip(f.iter().chain(core::iter::repeat(&TTY_NORMAL)))
                .take_while(|(c, flag)| **flag == TTY_NORMAL && unmapped(c))
                .count(),
        }
    }

    /// Raw, or EXTPROC without ISTRIP/IUCLC (`n_tty_receive_buf_raw`): normal bytes stored
    /// as they are, a run of them in one copy; flagged ones by their flag.
    pub(super) fn receive_buf_raw(
        &mut self,
        t: &Termios,
        data: &[u8],
        flags: Option<&[u8]>,
        a: &mut impl Actions,
    ) {
        let Some(flags) = flags else {
            self.put_tty_queue_block(data);
            return;
        };
        let mut i = 0;
        while i < data.len() {
            let rest = data.get(i..).unwrap_or(&[]);
            let frest = flags.get(i..).unwrap_or(&[]);
            // The flags may run past this chunk's bytes; past the end of the flags every byte
            // is normal.
            let normal = rest
                .iter()
                .zip(frest.iter().chain(core::iter::repeat(&TTY_NORMAL)))
                .take_while(|(_, &f)| f == TTY_NORMAL)
                .count();
            if normal > 0 {
                self.put_tty_queue_block(rest.get(..normal).unwrap_or(&[]));
                i += normal;
                continue;
            }
            let (c, flag) = (rest.first().copied(), frest.first().copied());
            self.receive_char_flagged(c.unwrap_or(0), flag.unwrap_or(TTY_NORMAL), t, a);
            i += 1;
        }
    }

    /// Neither ISTRIP nor IUCLC with IEXTEN: [`Engine::preops`] leaves every byte as it is.
    pub(super) fn preops_is_identity(t: &Termios) -> bool {
        !(t.i(IFlag::ISTRIP) || (t.i(IFlag::IUCLC) && t.l(LFlag::IEXTEN)))
    }

    /// Whether [`Engine::receive_plain_run`] may take runs in this mode: no echo, no
    /// EXTPROC, no PARMRK doubling, no ISTRIP/IUCLC (for the byte by byte receive).
    pub(super) fn plain_runs_allowed(t: &Termios) -> bool {
        !t.l(LFlag::ECHO)
            && !t.l(LFlag::EXTPROC)
            && !t.i(IFlag::PARMRK)
            && Self::preops_is_identity(t)
    }

    /// The leading run of plain bytes of `data` (see [`Engine::plain_run`]), as
    /// `receive_char` would take each without echo: the IXANY restart, which only the first
    /// can make (output then runs), and the bytes stored in one copy. Returns the run's length.
    pub(super) fn receive_plain_run(
        &mut self,
        t: &Termios,
        data: &[u8],
        flags: Option<&[u8]>,
        a: &mut impl Actions,
    ) -> usize {
        let run = self.plain_run(data, flags);
        if run > 0 {
            self.ixany_restart(t, a);
            self.put_tty_queue_block(data.get(..run).unwrap_or(&[]));
        }
        run
    }

    /// Process `data`, which fits, in real raw mode (`__receive_buf` with `real_raw`):
    /// straight into the buffer, then committed for readers. Out of line: not set up for
    /// the other modes.
    #[inline(never)]
    pub(super) fn receive_buf_real_raw(
        &mut self,
        t: &Termios,
        data: &[u8],
        _flags: Option<&[u8]>,
        a: &mut impl Actions,
    ) {
        self.put_tty_queue_block(data);
        // The bytes looked ahead at are the first of `data` (`la_count` of `__receive_buf`).
        self.lookahead_count = self.lookahead_count.saturating_sub(data.len());
        self.commit_for_readers(t, a);
    }
}
