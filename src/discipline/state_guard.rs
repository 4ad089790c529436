// SPDX-License-Identifier: GPL-2.0

//! The state lock held: the engine run under it with the tty's actions, the poll state
//! published before it is released, and the deferred wake-ups done after.
//!
//! # Poll without the lock
//!
//! `poll()` asks whether a reader would find input ([`Engine::input_available`] with the
//! poll rule: a line in canonical mode, VMIN bytes when VTIME is 0). The answer depends only
//! on the engine and its termios, which change only under the state lock, so every holder
//! of the lock that may change them (all but output to the driver, which holds the bare
//! mutex: `write.rs`) computes it before releasing the lock and stores it in [`PollState`]
//! (`Release`; not again when it is what the last holder stored, which the lock keeps
//! beside the engine); `poll()` loads it (`Acquire`) without the lock, as N_TTY's `n_tty_poll`
//! reads its indices without one. A poll that runs while another task holds the lock sees
//! the answer of the last release, as if it had run just before that task took the lock.
//!
//! A poller must not miss the wake-up of the change it did not see. The wake-ups the engine
//! asks for are deferred ([`Deferred`]) and done after the lock is released, so after the
//! store: the waker stores, releases the lock, then (a full barrier in
//! [`Tty::wake_up_waiters`]) looks at the wait queue; the poller registers on the queue, a
//! full barrier ([`PollTable::register_both`]), then loads. Either the waker sees the poller on
//! the queue and wakes it, or the poller's load comes after the store and sees the input.
//!
//! [`Tty::wake_up_waiters`]: crate::tty_ldisc::Tty::wake_up_waiters
//! [`PollTable::register_both`]: crate::tty_ldisc::PollTable::register_both

use super::{Locked, NRust};
use crate::engine::{Engine, Termios};
use crate::tty_actions::{Deferred, PollState, TtyActions};
use crate::tty_ldisc::Tty;
use kernel::sync::MutexGuard;

/// The state lock held on behalf of an operation on `tty`. On drop it publishes the poll
/// state, releases the lock, then does the deferred wake-ups, in that order (see the module
/// documentation).
pub(super) struct StateGuard<'a> {
    // Fields drop in declaration order, after `Drop::drop` published the poll state: the
    // lock is released first, then the wake-ups are done.
    guard: MutexGuard<'a, Locked>,
    wakeups: Wakeups<'a>,
    poll: &'a PollState,
}

/// The wake-ups a [`StateGuard`] does once its lock is released.
struct Wakeups<'a> {
    tty: &'a Tty,
    deferred: Deferred,
}

impl Drop for Wakeups<'_> {
    #[inline]
    fn drop(&mut self) {
        self.deferred.perform(self.tty);
    }
}

impl NRust {
    /// Takes the state lock for an operation on `tty`.
    ///
    /// Context: process context; sleeps. Not with the state lock held.
    pub(super) fn lock_state<'a>(&'a self, tty: &'a Tty) -> StateGuard<'a> {
        StateGuard {
            guard: self.state.lock(),
            wakeups: Wakeups {
                tty,
                deferred: Deferred::default(),
            },
            poll: &self.poll,
        }
    }
}

impl StateGuard<'_> {
    /// Runs `f` on the engine, its termios and the tty's actions (whose wake-ups wait for
    /// the release of the lock).
    pub(super) fn run<R>(
        &mut self,
        f: impl FnOnce(&mut Engine, &Termios, &mut TtyActions<'_>) -> R,
    ) -> R {
        let locked = &mut *self.guard;
        let mut actions = TtyActions {
            tty: self.wakeups.tty,
            deferred: &mut self.wakeups.deferred,
            poll: self.poll,
            published: &mut locked.published_poll,
        };
        f(&mut locked.engine, &locked.termios, &mut actions)
    }

    /// The engine and its termios, to look at.
    pub(super) fn locked(&mut self) -> &mut Locked {
        &mut self.guard
    }
}

impl Drop for StateGuard<'_> {
    fn drop(&mut self) {
        let locked = &mut *self.guard;
        let readable = locked.engine.input_available(&locked.termios, true);
        // Before the lock is released and before any wake-up (module documentation).
        self.poll.publish(&mut locked.published_poll, readable);
    }
}
