// SPDX-License-Identifier: GPL-2.0

//! Between the engine and the tty: the engine's [`Actions`] carried out on a real [`Tty`],
//! and the kernel's termios and the engine's timeouts in each other's units.
//!
//! Every action is called with the discipline's state lock held (`crate::discipline`), so
//! none of them may sleep on something that needs that lock; `throttle` and `unthrottle`
//! take the tty's `throttle_mutex`, the rest do not sleep. Wake-ups and the restart of the
//! flip-buffer work are [`Deferred`] until the lock is released.

use crate::bindings;
use crate::engine::Actions;
use crate::engine::CFlag;
use crate::engine::DriverError;
use crate::engine::IFlag;
use crate::engine::LFlag;
use crate::engine::OFlag;
use crate::engine::Signal;
use crate::engine::Sink;
use crate::engine::Termios;
use crate::engine::Timeout;
use crate::engine::NCCS;
use crate::tty_ldisc::Tty;
use crate::tty_ldisc::TtyWaitQueue;
use kernel::ffi;
use kernel::sync::atomic::{Acquire, Atomic, Release};

/// Converts the kernel's termios into the engine's.
pub(crate) fn engine_termios(k: &bindings::ktermios) -> Termios {
    let mut cc = [0u8; NCCS];
    for (slot, &value) in cc.iter_mut().zip(k.c_cc.iter()) {
        *slot = value;
    }
    Termios {
        iflag: IFlag(k.c_iflag),
        oflag: OFlag(k.c_oflag),
        cflag: CFlag(k.c_cflag),
        lflag: LFlag(k.c_lflag),
        line: k.c_line,
        cc,
    }
}

/// Wake-ups and restarts the engine asked for under the state lock, done once the lock is
/// released (by `crate::discipline`'s state guard, after it published the poll state): a
/// woken reader or poller does not then run into the lock its waker still holds, and a burst
/// of lines received in one chunk wakes once. Signals (`SIGIO` included) are not deferred,
/// so their order with the signal characters stays N_TTY's.
#[derive(Default)]
pub(crate) struct Deferred {
    /// Wake readers and pollers for input (`wake_up_interruptible_poll(EPOLLIN)`).
    input: bool,
    /// Wake readers (`wake_up_interruptible(&tty->read_wait)`).
    readers: bool,
    /// Wake writers (`wake_up_interruptible(&tty->write_wait)`).
    writers: bool,
    /// `tty_wakeup(tty->link)`.
    link_writers: bool,
    /// Restart the flip-buffer work.
    restart_input: bool,
}

impl Deferred {
    /// Does what was deferred, on `tty`, and forgets it. Readers are woken only when someone
    /// waits ([`Tty::wake_up_waiters`]). Does not sleep.
    #[inline]
    pub(crate) fn perform(&mut self, tty: &Tty) {
        // Most holders of the state lock (a write pass, a read) defer nothing: one look.
        if self.is_empty() {
            return;
        }
        self.perform_pending(tty);
    }

    /// Whether nothing is deferred.
    #[inline]
    fn is_empty(&self) -> bool {
        !(self.input | self.readers | self.writers | self.link_writers | self.restart_input)
    }

    fn perform_pending(&mut self, tty: &Tty) {
        let done = core::mem::take(self);
        if done.restart_input {
            tty.restart_input();
        }
        if done.link_writers {
            tty.wake_link_writer();
        }
        if done.writers {
            tty.wake_writers();
        }
        if done.input {
            tty.wake_up_waiters(
                TtyWaitQueue::Read,
                bindings::EPOLLIN | bindings::EPOLLRDNORM,
            );
        }
        if done.readers {
            tty.wake_up_waiters(TtyWaitQueue::Read, 0);
        }
    }
}

/// The engine's effects, carried out on the real tty.
pub(crate) struct TtyActions<'a> {
    /// The tty the effects act on.
    pub(crate) tty: &'a Tty,
    /// The wake-ups left for after the state lock.
    pub(crate) deferred: &'a mut Deferred,
    /// What `poll()` reads without the state lock, published before `SIGIO`.
    pub(crate) poll: &'a PollState,
    /// What was last published there, kept under the state lock.
    pub(crate) published: &'a mut PublishedPoll,
}

/// What `poll()` reads without the state lock: whether a reader would find input, as of the
/// last release of the state lock by a holder that may change it (an output pass does not
/// publish) or the last `SIGIO`, whichever came later (both publish it while holding the
/// lock).
pub(crate) struct PollState {
    readable: Atomic<bool>,
}

impl PollState {
    /// Nothing readable (a discipline just opened has no input).
    pub(crate) const fn new() -> Self {
        Self {
            readable: Atomic::new(false),
        }
    }

    /// Publishes what `poll()` answers for input (`Release`: the engine's state that made
    /// it so is visible to whoever loads it), unless `last` says it is there already (a
    /// keystroke in the middle of a line leaves it as it was: no store). Called with the
    /// state lock held, under which `last` is kept; every store goes through here.
    ///
    /// A store left out loses nothing: a poller that loads the earlier store of the same
    /// answer gets the answer of now, and the wake-up argument of `state_guard` is about a
    /// change, which always stores.
    #[inline]
    pub(crate) fn publish(&self, last: &mut PublishedPoll, readable: bool) {
        if last.readable != readable {
            self.readable.store(readable, Release);
            last.readable = readable;
        }
    }

    /// Whether a reader would find input, by `poll()`'s rule, as last published. Pairs with
    /// [`PollState::publish`].
    pub(crate) fn readable(&self) -> bool {
        self.readable.load(Acquire)
    }
}

/// What the holders of the state lock last stored in [`PollState`], kept under the lock
/// (nothing readable at first, as a new [`PollState`]).
#[derive(Default)]
pub(crate) struct PublishedPoll {
    readable: bool,
}

/// The tty's driver as the engine's [`Sink`]: where output and echoes go. What a `write()`
/// pass needs, which asks nothing else of the tty; [`TtyActions`] writes through it too.
pub(crate) struct DriverSink<'a>(pub(crate) &'a Tty);

impl Sink for DriverSink<'_> {
    fn write_room(&mut self) -> usize {
        self.0.write_room()
    }

    fn write(&mut self, data: &[u8]) -> Result<usize, DriverError> {
        self.0
            .driver_write(data)
            .map_err(|e| DriverError(e.to_errno().saturating_neg()))
    }

    fn put(&mut self, data: &[u8]) {
        // As N_TTY's echoes and `do_output_char`: `tty_put_char` for one byte, the driver's
        // `write` for more, the result not looked at.
        if let [c] = data {
            self.0.put_char(*c);
        } else {
            let _ = self.0.driver_write(data);
        }
    }

    fn flush_chars(&mut self) {
        self.0.driver_flush_chars();
    }
}

impl Sink for TtyActions<'_> {
    fn write_room(&mut self) -> usize {
        DriverSink(self.tty).write_room()
    }

    fn write(&mut self, data: &[u8]) -> Result<usize, DriverError> {
        DriverSink(self.tty).write(data)
    }

    fn put(&mut self, data: &[u8]) {
        DriverSink(self.tty).put(data);
    }

    fn flush_chars(&mut self) {
        DriverSink(self.tty).flush_chars();
    }
}

impl Actions for TtyActions<'_> {
    fn signal(&mut self, sig: Signal) {
        self.tty.signal_foreground(sig.number());
    }

    fn flush_output(&mut self) {
        self.tty.driver_flush_buffer();
    }

    fn input_flushed(&mut self) {
        self.tty.packet_mode_flush();
    }

    fn stop(&mut self) {
        self.tty.stop();
    }

    fn start(&mut self) {
        self.tty.start();
    }

    fn flow_stopped(&self) -> bool {
        self.tty.flow_stopped()
    }

    fn tco_stopped(&self) -> bool {
        self.tty.tco_stopped()
    }

    fn input_arrived(&mut self, readable: impl FnOnce() -> bool) {
        // `SIGIO` now (its order with `SIGINT` and the like is N_TTY's), the wake-up later.
        // A poll the signal prompts must find the input: publish first, as N_TTY stores
        // `commit_head`/`canon_head` before `kill_fasync`. Without `O_ASYNC` files (most
        // terminals) there is no one to signal, and the state guard publishes before the
        // wake-up. `kill_fasync` too looks at the list without a lock; a file that asks for
        // `SIGIO` meanwhile gets the next one, as with N_TTY.
        if self.tty.has_fasync() {
            self.poll.publish(self.published, readable());
            self.tty.kill_fasync(bindings::POLL_IN);
        }
        self.deferred.input = true;
    }

    fn wake_readers(&mut self) {
        self.deferred.readers = true;
    }

    fn wake_writers(&mut self) {
        self.deferred.writers = true;
    }

    fn throttle(&mut self) {
        self.tty.throttle();
    }

    fn unthrottle(&mut self) {
        self.tty.unthrottle();
    }

    fn kick_worker(&mut self) {
        self.deferred.restart_input = true;
    }

    fn ldisc_changing(&self) -> bool {
        self.tty.test_flag(bindings::TTY_LDISC_CHANGING)
    }

    fn wake_link_writers(&mut self) {
        self.deferred.link_writers = true;
    }
}

/// Jiffies for a wait of `timeout` (`MAX_SCHEDULE_TIMEOUT` for ever).
pub(crate) fn jiffies(timeout: Timeout) -> ffi::c_long {
    match timeout {
        Timeout::Forever => bindings::MAX_SCHEDULE_TIMEOUT,
        Timeout::Immediate => 0,
        Timeout::Deciseconds(d) => ffi::c_long::from(d) * (bindings::HZ / 10),
    }
}
