// SPDX-License-Identifier: GPL-2.0

//! A `write()` (`n_tty_write`): the job-control check, then passes of output under the
//! state lock until the data is written, sleeping for room in between.

use super::{Locked, NRust};
use crate::bindings;
use crate::engine::{DriverError, LFlag, Signal};
use crate::tty_actions::DriverSink;
use crate::tty_ldisc::{Tty, TtyFile, TtyWaitQueue, Waiter};
use kernel::prelude::*;

impl NRust {
    /// The discipline's `write`: what `n_tty_write` does, for `buf` from `file`. Returns the
    /// bytes written, or the error when none were (a signal, a hangup, `EAGAIN`, the
    /// driver's error, `SIGTTOU`'s `ERESTARTSYS`).
    ///
    /// Context: process context; sleeps for room in the driver.
    #[inline(always)]
    pub(super) fn write_passes(&self, tty: &Tty, file: &TtyFile, buf: &[u8]) -> Result<usize> {
        // The tty's own flag, without a lock, as `n_tty_write` reads `L_TOSTOP(tty)`.
        let tostop = tty.local_modes_unlocked() & LFlag::TOSTOP.bits() != 0;
        if tostop && !file.is_console() {
            if let Err(e) = tty.check_change_for_write() {
                self.count_job_control_signal(tty, e, Signal::Ttou);
                return Err(e);
            }
        }
        // Pending echoes go out once, before the loop (`n_tty_write`): in the lock of the
        // loop's first pass, or on their own when the loop ends before it.
        let mut first_pass = true;
        let mut written = 0usize;
        let result = {
            // Added to the write queue only when the loop first would sleep: a write that finds
            // room never touches the queue (N_TTY adds and removes every writer).
            pin_init::stack_pin_init!(let waiter = Waiter::new(tty, TtyWaitQueue::Write));
            loop {
                if crate::task::current_signal_pending() {
                    break Err(ERESTARTSYS);
                }
                if file.hung_up() || tty.link_unused() {
                    break Err(EIO);
                }
                let rest = buf.get(written..).unwrap_or(&[]);
                let first = core::mem::take(&mut first_pass);
                let pass = self.with_output(tty, |locked, driver| {
                    if first {
                        locked.engine.process_echoes_to(&locked.termios, driver);
                    }
                    locked.engine.write_output(&locked.termios, rest, driver)
                });
                written += pass.bytes;
                if let Some(DriverError(errno)) = pass.error {
                    // `n_tty_write` returns the driver's error (after any bytes written).
                    break Err(Error::from_errno(-errno));
                }
                if written >= buf.len() {
                    break Ok(());
                }
                // Also when the tty layer changes the discipline (`tty_io_nonblock`).
                if tty.io_nonblock(file) {
                    break Err(EAGAIN);
                }
                // A write that would sleep joins the write queue first, then asks the driver
                // for room once more: room freed between the pass and the join woke nobody,
                // so it makes another pass instead of sleeping. A wake-up after the join is
                // not lost (the join takes the queue's spinlock, as `tty_wakeup` does). Once
                // joined, a pass that stopped with room left (an expansion that did not fit)
                // sleeps, as N_TTY's writer does.
                if waiter.register() && tty.write_room() > 0 {
                    continue;
                }
                waiter.sleep(bindings::MAX_SCHEDULE_TIMEOUT);
            }
        };
        if first_pass {
            self.with_output(tty, |locked, driver| {
                locked.engine.process_echoes_to(&locked.termios, driver)
            });
        }
        // Someone asked for SIGIO when there is room again (`n_tty_write`).
        if written < buf.len() && tty.has_fasync() {
            tty.set_flag(bindings::TTY_DO_WRITE_WAKEUP);
        }
        match result {
            Err(e) if written == 0 => Err(e),
            _ => Ok(written),
        }
    }

    /// Runs `f`, output to the driver (a pass of a `write()`, pending echoes), on the locked
    /// state. Output changes neither the input nor the termios and defers no wake-up, so it
    /// holds the bare mutex rather than a state guard: the poll state stays as the last
    /// holder that could change it published it (`state_guard`).
    ///
    /// Context: process context; takes the state lock. Not with the state lock held.
    fn with_output<R>(
        &self,
        tty: &Tty,
        f: impl FnOnce(&mut Locked, &mut DriverSink<'_>) -> R,
    ) -> R {
        f(&mut self.state.lock(), &mut DriverSink(tty))
    }
}
