// SPDX-License-Identifier: GPL-2.0

//! The continuation calls of a `read()` without the state lock for each 64 bytes.
//!
//! `tty_read()` calls the discipline for 64 bytes at a time and copies each to user space in
//! between (which may fault and sleep, so no lock of ours is held across). N_TTY's
//! continuations take no lock: its reader copies out of the ring with lock-free indices. Ours
//! would take the state lock once per 64 bytes, a lock the receive worker and writers share.
//! Instead, when the first call of a `read()` has more to give than its 64 bytes, it sets
//! what the next calls would copy aside in the reader's stage ([`ReaderStage`], which belongs
//! to the holder of the reader lock) without taking it from the engine
//! ([`Engine::peek_read`]: raw input, or the rest of a canonical line, as far as the end of
//! the ring's array and 2 KiB); the stage records where those bytes lie in the ring, and the
//! continuation calls copy them from there, as N_TTY's do: the `read` adapter answers those
//! calls itself, without calling the discipline ([`ReaderStage::hand_out_ahead`]), all but
//! the one that empties the stage. Only that call (or one that ends the user's buffer) comes
//! here ([`NRust::read_staged`]) and takes the state lock, once, to take what was handed out
//! by the very calls of [`Engine::read_continue`] that would have copied it
//! ([`Engine::take_handed_out`]: the same counts, end-of-file markers, zeroing, restarts and
//! unthrottling), and, when the read goes on, to set aside what comes next.
//!
//! The bytes set aside stay in the ring, unchanged, until they are taken: from the first to
//! the last call of the `read()` this task holds the reader lock (no other reader moves the
//! read position) and `termios_rwsem` for reading (no termios change and no flush of the
//! input, which take it for writing), and the receive path writes only at the read head and
//! past it, into room it computes from the read position (`peek_read` shows nothing in the
//! one state where that room would take in slots behind the head: the read position past
//! it, which an overflow with ICANON and EXTPROC can leave). A reader gets what the calls of
//! [`Engine::read_continue`] would have given it; only the read position moves later, once
//! per stage (2 KiB at most: `STAGE_LIMIT`) rather than per 64 bytes, so the receive path may
//! find less room meanwhile (it is restarted when the read ends, as N_TTY's is).
//!
//! Meanwhile the receive worker may hold the state lock, and with it a `&mut` of the whole
//! engine, and write other slots of the ring. The two never touch the same byte, so they do
//! not race; that a unique reference's memory is read elsewhere while it lives, in bytes it
//! does not write, is what N_TTY's C does and what Rust's aliasing rules as Tree Borrows
//! states them allow (Stacked Borrows, the stricter proposal, does not; the language has not
//! settled the question).
//!
//! [`Engine::peek_read`]: crate::engine::Engine::peek_read
//! [`Engine::take_handed_out`]: crate::engine::Engine::take_handed_out
//! [`Engine::read_continue`]: crate::engine::Engine::read_continue

use super::state_guard::StateGuard;
use super::NRust;
use crate::tty_ldisc::{ReaderStage, Tty, TTY_READ_CHUNK};

/// The most a stage holds: the read position moves only when a stage is taken, so the
/// receive worker finds room again once per stage (N_TTY's reader frees room every 64
/// bytes); half the ring, as the 2 KiB copy this replaced. On the bench kernel (raw
/// master→slave alone, 11 repetitions, 2026-12-04) n_rust/N_TTY measured 1.0002 and 1.0008
/// at 2 KiB, 1.0001 at 3 KiB, 1.0013 without a limit (all within the runs' spread) and
/// 0.9974 at 1 KiB.
const STAGE_LIMIT: usize = 2048;

impl NRust {
    /// A continuation call of a `read()` whose earlier call filled `stage`, which the `read`
    /// adapter did not answer itself ([`ReaderStage::hand_out_ahead`]): the call that empties
    /// the stage, or whose `buf` is shorter than 64 bytes (the user's buffer is full or
    /// nearly). Copies the next staged bytes into `buf` and takes the state lock once: to take
    /// from the engine what was handed out, by the calls of `read_continue` that would have
    /// copied it, and, when the read goes on, to stage what comes next. Returns the bytes
    /// copied and whether to be called again.
    ///
    /// Context: process context; takes the state lock once; does not sleep otherwise.
    pub(super) fn read_staged(
        &self,
        tty: &Tty,
        buf: &mut [u8],
        stage: &mut ReaderStage,
    ) -> (usize, bool) {
        let copied = stage.hand_out(buf);
        let room = buf.len();
        let before = stage.handed_out() - copied;
        // Where the bytes run to the end of a line, the room of the buffer decides whether
        // an end-of-file marker right after them is eaten (`canon_copy_from_read_buf`).
        let window = if stage.mark() { room } else { copied };
        let mut guard = self.lock_state(tty);
        let more = guard.run(|engine, termios, actions| {
            engine.take_handed_out(termios, stage.scratch(), (before, copied, window), actions)
        });
        // A call with less than a chunk's room met the end of the user's buffer: the next
        // call only ends the read, so nothing more is staged for it.
        if more && room >= TTY_READ_CHUNK {
            Self::stage_input(&mut guard, stage);
        } else {
            stage.clear();
        }
        (copied, more)
    }

    /// Sets aside in `stage` what the next continuation calls of the `read()` would copy
    /// ([`Engine::peek_read`]: bytes of the engine's ring), marked when it runs to the end of
    /// a line; nothing when it fits in one call, which would take the lock anyway (the rest
    /// of an 80-byte line).
    ///
    /// Context: the state lock held (`guard`), by the task that holds the reader lock and
    /// `termios_rwsem` for reading for the whole `read()`.
    pub(super) fn stage_input(guard: &mut StateGuard<'_>, stage: &mut ReaderStage) {
        let locked = guard.locked();
        let (bytes, ends_line) = locked.engine.peek_read(&locked.termios, TTY_READ_CHUNK);
        let (bytes, ends_line) = match bytes.get(..STAGE_LIMIT) {
            Some(prefix) if prefix.len() < bytes.len() => (prefix, false),
            _ => (bytes, ends_line),
        };
        // The bytes are slots of the engine's ring, in the per-tty state, which lives
        // until the discipline is closed, and the tty layer holds its reference to the
        // discipline for the whole `read()`, whose end clears the stage. Until the stage is
        // cleared or set anew, by this `read()` under the state lock, nothing writes them
        // (module documentation, `Engine::peek_read`): this task holds the reader lock (no
        // other reader moves the read position) and `termios_rwsem` for reading (flushes,
        // termios changes and `TIOCINQ` wait), and the receive path writes only at the read
        // head and past it, into room it computes from the read position, which only the
        // read's own `read_staged` moves; `peek_read` shows nothing while the read position
        // is past the read head, where that room would take in these slots.
        // SAFETY: As just said, the bytes stay valid and unwritten until the stage is
        // cleared or set anew.
        unsafe { stage.set_aside(bytes, ends_line) };
    }
}
