// SPDX-License-Identifier: GPL-2.0

//! The first call of a `read()`: `n_tty_read`'s loop around the engine's steps, with its
//! sleeping, its VMIN/VTIME timer, the packet-mode status byte, and its way of letting go
//! (`n_tty_wait_for_input`).

use super::NRust;
use crate::background_read;
use crate::bindings;
use crate::engine::{AfterCopy, ReadStep, Signal};
use crate::tty_actions::jiffies;
use crate::tty_audit;
use crate::tty_ldisc::{ReadContext, Tty, TtyFile, TtyWaitQueue, Waiter, TTY_READ_CHUNK};
use kernel::prelude::*;

impl NRust {
    /// The first call of a `read()`: job control, then with the reader lock and
    /// `termios_rwsem` held (`ReadContext::lock_readers`) TTY audit and `n_tty_read`'s loop
    /// (out of line: the continuation calls in line in `read` stay small). Each pass
    /// looks for a packet-mode status change, then lets the engine copy what is there
    /// ([`Engine::read_step`](crate::engine::Engine::read_step)); with nothing there it
    /// waits for the flip-buffer worker and copies again at once, then sleeps as the read's
    /// mode says (`termios_rwsem` released meanwhile). Asks for a continuation through
    /// `read` when more can be returned at once.
    ///
    /// The state lock is taken once for the call and let go only around waiting for the
    /// worker and sleeping; it is let go before returning, also when the read asks to be
    /// called again (`tty_read()` copies to user space between): the read then sets the
    /// input aside for the next calls (`staged_read`).
    ///
    /// Context: process context; sleeps, without the state lock held.
    #[inline(never)]
    pub(super) fn read_first(
        &self,
        tty: &Tty,
        file: &TtyFile,
        buf: &mut [u8],
        read: &mut ReadContext<'_>,
    ) -> Result<usize> {
        if let Err(e) = background_read::check_read(tty, file) {
            self.count_job_control_signal(tty, e, Signal::Ttin);
            return Err(e);
        }
        read.lock_readers(file)?;
        // With `termios_rwsem` held: the modes it looks at hold for the whole read.
        tty_audit::check_read(tty)?;
        let packet = tty.packet_mode();
        // One hold of the state lock for the whole call while there is input: released only
        // around waiting for the flip-buffer worker and around sleeping.
        let mut guard = self.lock_state(tty);
        let locked = guard.locked();
        let mut progress = locked.engine.read_begin(&locked.termios, packet);
        let mut timer = jiffies(progress.mode().timer());
        let outcome = {
            // Added to the read queue when the loop first would sleep (`Waiter::sleep`).
            pin_init::stack_pin_init!(let waiter = Waiter::new(tty, TtyWaitQueue::Read));
            loop {
                if progress.copied() >= buf.len() {
                    break Ok(false);
                }
                // A status change first: a packet of its own, at the start of a read.
                if packet && tty.link_packet_status() != 0 {
                    if progress.copied() > 0 {
                        break Ok(false);
                    }
                    if let Some(first) = buf.first_mut() {
                        *first = tty.take_link_packet_status();
                        progress.took_status_byte();
                    }
                    break Ok(false);
                }
                let mut step = guard.run(|engine, termios, actions| {
                    engine.read_step(termios, &mut progress, buf, actions)
                });
                if let ReadStep::Empty = step {
                    // Let the flip-buffer worker deliver what it holds, then look again at
                    // once, before any status change (`tty_buffer_flush_work`, which is not
                    // exported, between N_TTY's two `input_available_p`).
                    drop(guard);
                    read.unlocked(|| tty.flush_input_work());
                    guard = self.lock_state(tty);
                    step = guard.run(|engine, termios, actions| {
                        engine.read_step(termios, &mut progress, buf, actions)
                    });
                }
                match step {
                    ReadStep::MoreToRead => break Ok(true),
                    ReadStep::Copied(AfterCopy::Return) => break Ok(false),
                    ReadStep::Copied(AfterCopy::LookAgain) => continue,
                    ReadStep::Copied(AfterCopy::RestartTimer(next)) => {
                        timer = jiffies(next);
                        continue;
                    }
                    ReadStep::Empty => {}
                }
                // `n_tty_wait_for_input`.
                if tty.other_side_closed() {
                    break Err(EIO);
                }
                if file.hung_up() || tty.test_flag(bindings::TTY_HUPPING) || timer == 0 {
                    break Ok(false);
                }
                // Also when the tty layer changes the discipline and asks sleepers to let go.
                if tty.io_nonblock(file) {
                    break Err(EAGAIN);
                }
                if crate::task::current_signal_pending() {
                    break Err(ERESTARTSYS);
                }
                drop(guard);
                timer = read.unlocked(|| waiter.sleep(timer));
                guard = self.lock_state(tty);
            }
        };
        if let Ok(true) = outcome {
            // The read goes on from the stage, without the state lock (`staged_read`); not
            // when the user's buffer is full, where the next call only ends the read.
            if buf.len() >= TTY_READ_CHUNK {
                if let Some(stage) = read.stage() {
                    Self::stage_input(&mut guard, stage);
                }
            }
            let copied = progress.copied();
            drop(guard);
            read.call_again();
            return Ok(copied);
        }
        guard.run(|engine, _, actions| engine.read_end(&progress, actions));
        drop(guard);
        match outcome {
            _ if progress.copied() > 0 => Ok(progress.copied()),
            Err(e) => Err(e),
            Ok(_) => Ok(0),
        }
    }
}
