// SPDX-License-Identifier: GPL-2.0

//! The n_rust line discipline attached to a tty: the engine (`crate::engine`) driven by the
//! tty layer's operations, with the locking, sleeping and waking that N_TTY does.
//!
//! # Locking
//!
//! One mutex per tty guards the engine and its copy of the termios. N_TTY instead relies on
//! `termios_rwsem`, two mutexes and lock-free ring indices; a single lock is simpler to
//! reason about and the engine's work under it is short. It is taken once per flip-buffer
//! chunk by the receive worker, once per pass of a write, and by a `read()` that finds input:
//! the first call keeps it across its copies (letting go only to wait for the worker or to
//! sleep) and sets aside what the continuation calls will hand out (`tty_read()` calls again
//! for each 64 bytes, copying to user space in between, which may fault and sleep, so no lock
//! is kept across); those calls take it only once per stage (`staged_read`), so the
//! worker, writers and `poll()` never wait for a page fault of a reader. `poll()` takes no
//! lock: it reads a readiness flag every holder publishes before releasing the lock, and
//! wake-ups are done after the release (`state_guard`). `termios_rwsem` is taken where
//! N_TTY's rules depend on it: for reading from the first to the last call of one `read()`
//! (released around sleeping and the flip-buffer flush), for writing by `flush_buffer` and
//! by a receive that may flush the input (ISIG), so neither cuts into a `read()`. The
//! receive path runs in the flip-buffer worker (process context), so a sleeping lock is fine
//! there. The lock is never held while sleeping, while calling back into the tty layer in a
//! way that can re-enter the discipline (`n_tty_ioctl_helper`, which may flush), or in
//! `write_wakeup`, which may run in interrupt context.
//!
//! Lock order: the port's buffer lock (held by the flip worker and `tty_buffer_flush`), then
//! `termios_rwsem` (held by the tty layer around `set_termios`), then this mutex, then the
//! tty's `throttle_mutex` and spinlocks taken by the actions, and (ISIG's output flush on a
//! pty) the other side's buffer lock. As with N_TTY's `termios_rwsem`, a pty slave's mutex
//! is a lock class of its own, so that lockdep sees the same order as for N_TTY.

use crate::bindings;
use crate::engine::{Counters, DriverInfo, Engine, IFlag, Signal, Termios};
use crate::stats_proc::StatsEntry;
use crate::tty_actions::{engine_termios, PollState, PublishedPoll, TtyActions};
use crate::tty_audit;
use crate::tty_ldisc::{LineDiscipline, OpeningTty, PollTable, ReadContext, Tty, TtyFile};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::sync::Mutex;
use kernel::uaccess::{UserPtr, UserSlice};

mod blocking_read;
mod staged_read;
mod state_guard;
mod write;

/// Poll reports writable while the driver holds fewer bytes than this (`WAKEUP_CHARS`, which
/// `n_tty.c` defines for itself).
const WAKEUP_CHARS: usize = 256;

/// The engine, the termios it was last told about, and what the glue keeps beside them.
struct Locked {
    engine: Engine,
    termios: Termios,
    /// What was last stored in [`NRust::poll`] (`state_guard`).
    published_poll: PublishedPoll,
}

/// Per-tty state of the n_rust discipline. (The reader lock, N_TTY's `atomic_read_lock`, is
/// the abstraction's: see [`ReadContext`].)
#[pin_data]
pub(crate) struct NRust {
    /// The tty's line in `/proc/tty/n_rust`, which reads `state`: first, so that it is
    /// dropped (taken off the list) before `state`. Pinned: the list links to it.
    #[pin]
    pub(crate) stats_entry: StatsEntry,
    #[pin]
    state: Mutex<Locked>,
    /// Whether a reader would find input, for `poll()` without the lock (`state_guard`).
    poll: PollState,
    /// Bytes the flip-buffer worker looked ahead at while IXON was off, which
    /// `n_tty_lookahead_flow_ctrl` only counts: added here without the state lock, and
    /// folded into the engine's count under it by the next receive or lookahead. Every
    /// `lookahead_buf` and `receive_buf` call holds the port's `buf.lock` (the worker,
    /// `TIOCSTI`, a VT paste), so adds and folds keep their order and `Relaxed` suffices;
    /// it is atomic for `flush_buffer` (hangup, `TCFLSH`, `TCSETSF`), which zeroes it
    /// without `buf.lock`, in either order a sequence of N_TTY's own calls could give.
    lookahead_unlocked: Atomic<usize>,
}

impl NRust {
    /// What the discipline did on this tty since it was opened.
    ///
    /// Context: process context; takes the state mutex.
    pub(crate) fn counters(&self) -> Counters {
        *self.state.lock().engine.counters()
    }

    /// Runs `f` on the engine under the lock, with the tty's actions.
    ///
    /// Context: process context; takes the state mutex, so `f` must not sleep on anything
    /// that needs it (the flip-buffer worker, a reader's `flush_input_work`).
    fn with_engine<R>(
        &self,
        tty: &Tty,
        f: impl FnOnce(&mut Engine, &Termios, &mut TtyActions<'_>) -> R,
    ) -> R {
        self.lock_state(tty).run(f)
    }

    /// Counts `sig` when the job-control check of a read or write failed with `error`:
    /// `ERESTARTSYS` means it sent the signal (`EIO` that it did not).
    fn count_job_control_signal(&self, tty: &Tty, error: Error, sig: Signal) {
        if error == ERESTARTSYS {
            self.with_engine(tty, |engine, _, _| engine.count_signal(sig));
        }
    }

    /// Adds to the engine's lookahead count what the lookahead calls counted without the
    /// state lock since the last receive. Called with the state lock held, under the port's
    /// `buf.lock` (by a receive or a lookahead); a flush zeroes the count instead.
    fn fold_lookahead(&self, engine: &mut Engine) {
        if self.lookahead_unlocked.load(Relaxed) != 0 {
            engine.add_lookahead(self.lookahead_unlocked.xchg(0, Relaxed));
        }
    }

    /// A continuation call of a `read()` with nothing staged (canonical input read without
    /// ECHO, a line's last bytes): the state lock for the call. `tty_read()` copies to user
    /// space between the calls, which may fault and sleep, and the receive worker, writers
    /// and `poll()` must not wait for that (N_TTY keeps only the reader lock and
    /// `termios_rwsem` there). Returns the bytes copied.
    ///
    /// Context: process context; takes the state lock.
    #[inline(never)]
    fn read_continue_locked(&self, tty: &Tty, buf: &mut [u8], read: &mut ReadContext<'_>) -> usize {
        let (copied, more) = self.with_engine(tty, |engine, termios, actions| {
            engine.read_continue(termios, buf, actions)
        });
        if more {
            read.call_again();
        }
        copied
    }

    /// Runs the receive `f` of `data` (with `flags`) on the engine. When the bytes may
    /// flush the input (ISIG without NOFLSH: `isig`), first takes `termios_rwsem` for writing
    /// as N_TTY's `isig` does, so that the flush waits for a `read()` in progress.
    ///
    /// Context: the flip-buffer worker or `TIOCSTI` (process context); may sleep.
    fn with_receiving_engine<R>(
        &self,
        tty: &Tty,
        data: &[u8],
        flags: Option<&[u8]>,
        f: impl FnOnce(&mut Engine, &Termios, &mut TtyActions<'_>) -> R,
    ) -> R {
        let closing = tty.closing();
        let run = |engine: &mut Engine, termios: &Termios, actions: &mut TtyActions<'_>| {
            engine.set_closing(closing);
            self.fold_lookahead(engine);
            f(engine, termios, actions)
        };
        let mut guard = self.lock_state(tty);
        // The termios cannot change while the state lock is held (`set_termios` takes it).
        let locked = guard.locked();
        if !locked
            .engine
            .receive_may_flush(&locked.termios, data, flags)
        {
            return guard.run(run);
        }
        drop(guard);
        let _termios = tty.lock_termios_write();
        self.lock_state(tty).run(run)
    }
}

#[vtable]
impl LineDiscipline for NRust {
    fn open(tty: &OpeningTty) -> impl PinInit<Self, Error> + '_ {
        try_pin_init!(Self {
            stats_entry: StatsEntry::new(),
            state <- {
                // Before anything is set up: a refused open leaves the tty as it was.
                tty_audit::check_attach(tty)?;
                // The engine is about 9 KiB: built in place, zeroed, never on the stack, in
                // the pages the abstraction takes from vmalloc for the whole per-tty state, as
                // N_TTY's `vzalloc` (no order-2 allocation); set up in `pin_chain` below.
                let locked = pin_init::init!(Locked {
                    engine <- pin_init::init_zeroed(),
                    termios: engine_termios(&tty.termios()),
                    published_poll: PublishedPoll::default(),
                });
                // A pty slave's lock is a lock class of its own, as pty.c gives the slave's
                // termios_rwsem and buffer lock the TTY_LOCK_SLAVE subclass: an ISIG flush
                // under the slave's lock takes the master's buffer lock (pty_flush_buffer),
                // while a flush of another tty takes its buffer lock, then its discipline's
                // lock.
                if tty.is_pty_slave() {
                    new_mutex!(locked, "n_rust::state_pty_slave")
                } else {
                    new_mutex!(locked, "n_rust::state")
                }
            },
            poll: PollState::new(),
            lookahead_unlocked: Atomic::new(0),
        })
        .pin_chain(move |this| {
            // What `n_tty_open` does once its state is allocated.
            tty.clear_closing();
            tty.clear_flag(bindings::TTY_LDISC_HALTED);
            let driver = DriverInfo {
                real_raw: tty.driver_is_real_raw(),
                pty: tty.is_pty(),
            };
            this.with_engine(tty, |engine, termios, actions| {
                engine.set_driver(driver);
                engine.open(termios, actions)
            });
            tty.unthrottle_at_open();
            StatsEntry::add(this.into_ref(), tty);
            Ok(())
        })
    }

    fn close(&self, tty: &Tty) {
        if tty.is_pty() {
            tty.packet_mode_flush();
        }
    }

    fn flush_buffer(&self, tty: &Tty) {
        // `n_tty_flush_buffer` holds `termios_rwsem` for writing: a flush waits for a
        // `read()` in progress.
        let _termios = tty.lock_termios_write();
        self.with_engine(tty, |engine, _, actions| {
            // What was counted ahead is forgotten with the input (`reset_buffer_flags`).
            self.lookahead_unlocked.store(0, Relaxed);
            engine.flush_input(actions)
        });
    }

    // The continuation calls that only hand out staged bytes (all but a few of the 64 calls
    // of a raw 4 KiB `read()`) are answered by the `read` adapter and do not come here; the
    // others come through its out-of-line `read_call`, into which this is inlined.
    #[inline]
    fn read(
        &self,
        tty: &Tty,
        file: &TtyFile,
        buf: &mut [u8],
        read: &mut ReadContext<'_>,
    ) -> Result<usize> {
        if !read.is_continuation() {
            return self.read_first(tty, file, buf, read);
        }
        // The call that empties what the first call set aside: handed out, then taken back
        // from the engine under the state lock.
        if let Some(stage) = read.stage().filter(|stage| stage.is_active()) {
            let (copied, more) = self.read_staged(tty, buf, stage);
            if more {
                read.call_again();
            }
            return Ok(copied);
        }
        Ok(self.read_continue_locked(tty, buf, read))
    }

    // In line, body and all, in the operations table's `write` (one call fewer a write).
    #[inline(always)]
    fn write(&self, tty: &Tty, file: &TtyFile, buf: &[u8]) -> Result<usize> {
        self.write_passes(tty, file, buf)
    }

    fn ioctl(&self, tty: &Tty, cmd: u32, arg: usize) -> Result<i32> {
        let value = match cmd {
            bindings::TIOCOUTQ => tty.driver_chars_in_buffer() as u32,
            bindings::TIOCINQ => {
                // As `n_tty_ioctl`: under `termios_rwsem` for writing, by the tty's current
                // termios. That is not always the one `set_termios` last told us: the tty
                // layer skips the discipline's `set_termios` while a discipline change is
                // pending (`tty_ldisc_ref` fails), and N_TTY then counts by the new flags
                // over its old state.
                let _termios = tty.lock_termios_write();
                let current = engine_termios(&tty.termios());
                self.with_engine(tty, |engine, _, _| engine.inq(&current)) as u32
            }
            // Never with our lock held: TCFLSH comes back through `flush_buffer`.
            _ => return Ok(tty.ioctl_helper(cmd, arg)),
        };
        UserSlice::new(UserPtr::from_addr(arg), core::mem::size_of::<u32>())
            .writer()
            .write(&value)?;
        Ok(0)
    }

    fn set_termios(&self, tty: &Tty, old: &bindings::ktermios) {
        let old = engine_termios(old);
        let new = engine_termios(&tty.termios());
        let mut guard = self.lock_state(tty);
        guard.locked().termios = new;
        guard.run(|engine, _, actions| engine.set_termios(Some(&old), &new, actions));
    }

    fn poll(&self, tty: &Tty, file: &TtyFile, table: &PollTable<'_>) -> u32 {
        // Registered first, then the state looked at, without the state lock: see
        // `state_guard` for why no wake-up is missed.
        table.register_both();
        let mut mask = 0;
        if self.poll.readable() || {
            // The worker publishes what it delivered before its lock is released, which is
            // before `flush_work` returns.
            tty.flush_input_work();
            self.poll.readable()
        } {
            mask |= bindings::EPOLLIN | bindings::EPOLLRDNORM;
        }
        if tty.packet_mode() && tty.link_packet_status() != 0 {
            mask |= bindings::EPOLLPRI | bindings::EPOLLIN | bindings::EPOLLRDNORM;
        }
        if tty.other_side_closed() || file.hung_up() {
            mask |= bindings::EPOLLHUP;
        }
        // No room while another writer holds the write lock (`tty_is_writelocked`).
        if tty.driver_can_write()
            && !tty.is_write_locked()
            && tty.driver_chars_in_buffer() < WAKEUP_CHARS
            && tty.write_room() > 0
        {
            mask |= bindings::EPOLLOUT | bindings::EPOLLWRNORM;
        }
        mask
    }

    fn receive(&self, tty: &Tty, data: &[u8], flags: Option<&[u8]>) -> usize {
        self.with_receiving_engine(tty, data, flags, |engine, termios, actions| {
            engine.receive(termios, data, flags, actions)
        })
    }

    fn receive_unflowed(&self, tty: &Tty, data: &[u8], flags: Option<&[u8]>) {
        self.with_receiving_engine(tty, data, flags, |engine, termios, actions| {
            engine.receive_noflow(termios, data, flags, actions);
        });
    }

    fn lookahead(&self, tty: &Tty, data: &[u8], flags: Option<&[u8]>) {
        // Without IXON `n_tty_lookahead_flow_ctrl` only counts the bytes, reading the tty's
        // own flag without a lock: so does this, without the state lock, which the worker
        // would otherwise take for every flip buffer the reader had no room for yet.
        if tty.input_modes_unlocked() & IFlag::IXON.bits() == 0 {
            self.lookahead_unlocked.add(data.len(), Relaxed);
            return;
        }
        self.with_engine(tty, |engine, termios, actions| {
            self.fold_lookahead(engine);
            engine.lookahead(termios, data, flags, actions)
        });
    }

    fn write_wakeup(&self, tty: &Tty) {
        tty.clear_flag(bindings::TTY_DO_WRITE_WAKEUP);
        tty.kill_fasync(bindings::POLL_OUT);
    }
}
