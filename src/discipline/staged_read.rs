// SPDX-License-Identifier: GPL-2.0

//! The continuation calls of a raw `read()` without the state lock for each 64 bytes.
//!
//! `tty_read()` calls the discipline for 64 bytes at a time and copies each to user space in
//! between (which may fault and sleep, so no lock of ours is held across). N_TTY's
//! continuations take no lock: its reader copies out of the ring with lock-free indices. Ours
//! would take the state lock once per 64 bytes, which the receive worker and writers share.
//! Instead, when the first call of a raw `read()` finds more input than its 64 bytes, it
//! sets that input aside in the reader's stage ([`ReaderStage`], which belongs to the holder
//! of the reader lock) without taking it from the engine ([`Engine::peek_raw`]); the
//! continuation calls hand it out, and only when the stage runs out, or the user's buffer is
//! full, one call takes the state lock to take from the engine what was handed out
//! ([`Engine::take_peeked`]) and, when more input came meanwhile, to set that aside.
//!
//! The bytes set aside stay in the ring, unchanged, until they are taken: from the first to
//! the last call of the `read()` this task holds the reader lock (no other reader moves the
//! read position) and `termios_rwsem` for reading (no termios change and no flush of the
//! input, which take it for writing), and the receive path writes only past the read head,
//! into room it computes from the read position. What a reader sees is what the calls of
//! [`Engine::read_continue`] would have copied; only the read position moves later, so the
//! receive path may find less room meanwhile (it is restarted when the read ends, as N_TTY's
//! is). Canonical reads go on call by call under the lock.
//!
//! [`Engine::peek_raw`]: crate::engine::Engine::peek_raw
//! [`Engine::take_peeked`]: crate::engine::Engine::take_peeked
//! [`Engine::read_continue`]: crate::engine::Engine::read_continue

use super::state_guard::StateGuard;
use super::NRust;
use crate::tty_ldisc::{ReaderStage, Tty};

impl NRust {
    /// A continuation call of a raw `read()` whose earlier call filled `stage`: copies the
    /// next staged bytes into `buf`. When the stage runs out or `buf` is empty (the user's
    /// buffer is full), takes the state lock once to take what was handed out and, when more
    /// input is there, to stage it. Returns the bytes copied and whether to be called again.
    ///
    /// Context: process context; takes the state lock at most once; does not sleep otherwise.
    pub(super) fn read_staged(
        &self,
        tty: &Tty,
        buf: &mut [u8],
        stage: &mut ReaderStage,
    ) -> (usize, bool) {
        let copied = stage.hand_out(buf);
        if !buf.is_empty() && stage.is_active() {
            return (copied, true);
        }
        let mut guard = self.lock_state(tty);
        let handed_out = stage.handed_out();
        let more = guard
            .run(|engine, _, actions| engine.take_peeked(handed_out, !buf.is_empty(), actions));
        if more {
            Self::stage_raw(&mut guard, stage);
        } else {
            stage.clear();
        }
        (copied, more)
    }

    /// Sets aside in `stage` the raw input the engine holds (none in canonical mode).
    pub(super) fn stage_raw(guard: &mut StateGuard<'_>, stage: &mut ReaderStage) {
        let engine = &guard.locked().engine;
        stage.fill(|bytes| engine.peek_raw(bytes).unwrap_or(0));
    }
}
