// SPDX-License-Identifier: GPL-2.0

//! The n_rust line discipline attached to a tty: the engine (`crate::engine`) driven by the
//! tty layer's operations, with the locking, sleeping and waking that N_TTY does.
//!
//! # Locking
//!
//! One mutex per tty guards the engine and its copy of the termios. N_TTY instead relies on
//! `termios_rwsem`, two mutexes and lock-free ring indices; a single lock is simpler to
//! reason about and the engine's work under it is short. The receive path runs in the
//! flip-buffer worker (process context), so a sleeping lock is fine there. The lock is never
//! held while sleeping, while calling back into the tty layer in a way that can re-enter the
//! discipline (`n_tty_ioctl_helper`, which may flush), or in `write_wakeup`, which may run in
//! interrupt context.
//!
//! Lock order: the port's buffer lock (held by the flip worker and `tty_buffer_flush`), then
//! `termios_rwsem` (held by the tty layer around `set_termios`), then this mutex, then the
//! tty's `throttle_mutex` and spinlocks taken by the actions, and (ISIG's output flush on a
//! pty) the other side's buffer lock. As with N_TTY's `termios_rwsem`, a pty slave's mutex
//! is a lock class of its own, so that lockdep sees the same order as for N_TTY.

use crate::background_read;
use crate::bindings;
use crate::engine::{DriverInfo, Engine, LFlag, ReadError, Termios, Timeout};
use crate::tty_actions::{engine_termios, jiffies, TtyActions};
use crate::tty_ldisc::{
    LineDiscipline, OpeningTty, PollTable, ReadContext, Tty, TtyFile, TtyWaitQueue, Waiter,
};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::Mutex;
use kernel::uaccess::{UserPtr, UserSlice};

/// Poll reports writable while the driver holds fewer bytes than this (`WAKEUP_CHARS`, which
/// `n_tty.c` defines for itself).
const WAKEUP_CHARS: usize = 256;

// SAFETY: Every field of `Engine` is an integer, a `bool` or an array of them, for which the
// all-zero bit pattern is a valid value.
unsafe impl pin_init::Zeroable for Engine {}

/// The engine and the termios it was last told about.
struct Locked {
    engine: KBox<Engine>,
    termios: Termios,
}

/// Per-tty state of the n_rust discipline. (The reader lock, N_TTY's `atomic_read_lock`, is
/// the abstraction's: see [`ReadContext`].)
#[pin_data]
pub(crate) struct NRust {
    #[pin]
    state: Mutex<Locked>,
}

impl NRust {
    /// Runs `f` on the engine under the lock, with the tty's actions.
    ///
    /// Context: process context; takes the state mutex, so `f` must not sleep on anything
    /// that needs it (the flip-buffer worker, a reader's `flush_input_work`).
    fn with_engine<R>(
        &self,
        tty: &Tty,
        f: impl FnOnce(&mut Engine, &Termios, &mut TtyActions<'_>) -> R,
    ) -> R {
        let mut guard = self.state.lock();
        let locked = &mut *guard;
        let mut actions = TtyActions { tty };
        f(&mut locked.engine, &locked.termios, &mut actions)
    }

    /// The first call of a `read()` (after job control, with the reader lock held): packet
    /// mode, then the VMIN/VTIME loop of `n_tty_read`, sleeping on the tty's read queue.
    /// Asks for a continuation through `read` when more can be returned at once.
    ///
    /// Context: process context; sleeps, without the state lock held.
    fn read_first(
        &self,
        tty: &Tty,
        file: &TtyFile,
        buf: &mut [u8],
        read: &mut ReadContext<'_>,
    ) -> Result<usize> {
        let packet = tty.packet_mode();
        if packet {
            // A pending status byte is a packet of its own (`n_tty_read`).
            let status = tty.take_link_packet_status();
            if status != 0 {
                if let Some(first) = buf.first_mut() {
                    *first = status;
                    return Ok(1);
                }
            }
        }
        // In packet mode a data packet starts with TIOCPKT_DATA.
        let header = usize::from(packet);
        let Some(data) = buf.get_mut(header..) else {
            return Ok(0);
        };
        let (policy, canonical) = self.with_engine(tty, |engine, termios, _| {
            (
                engine.read_policy(termios),
                engine.icanon() && !termios.l(LFlag::EXTPROC),
            )
        });
        let minimum = policy.minimum.max(1);
        let mut timeout = jiffies(policy.first);
        let mut copied = 0usize;
        let mut more = false;

        let result = {
            // On the read queue until the loop ends.
            pin_init::stack_pin_init!(let waiter = Waiter::new(tty, TtyWaitQueue::Read));
            loop {
                let rest = data.get_mut(copied..).unwrap_or(&mut []);
                if rest.is_empty() {
                    break Ok(());
                }
                let mut cookie = false;
                let step = self.with_engine(tty, |engine, termios, actions| {
                    engine.ldisc_read(termios, rest, &mut cookie, actions)
                });
                match step {
                    Ok(n) => {
                        copied += n;
                        if cookie {
                            more = true;
                            break Ok(());
                        }
                        // A canonical read returns one line (or end of file); a raw read returns
                        // once VMIN bytes are in, or when VMIN = VTIME = 0 found nothing.
                        if canonical || copied >= minimum || n == 0 {
                            break Ok(());
                        }
                        if policy.next != Timeout::Forever {
                            timeout = jiffies(policy.next);
                        }
                        // Fewer than VMIN: wait for more below.
                    }
                    Err(ReadError::WouldBlock) => {}
                }
                // Nothing (more) buffered: let the flip worker deliver what it holds first.
                tty.flush_input_work();
                let available = self.with_engine(tty, |engine, termios, _| {
                    engine.input_available(termios, false)
                });
                if available {
                    continue;
                }
                if tty.other_side_closed() {
                    break Err(EIO);
                }
                if file.hung_up() || tty.test_flag(bindings::TTY_HUPPING) || timeout == 0 {
                    break Ok(());
                }
                if file.is_nonblocking() {
                    break Err(EAGAIN);
                }
                if kernel::current!().signal_pending() {
                    break Err(ERESTARTSYS);
                }
                timeout = waiter.sleep(timeout);
            }
        };
        if let Err(e) = result {
            if copied == 0 {
                return Err(e);
            }
        }
        if copied == 0 && packet {
            return Ok(0);
        }
        if packet {
            if let Some(first) = buf.first_mut() {
                *first = bindings::TIOCPKT_DATA as u8;
            }
        }
        if more {
            read.call_again();
        }
        Ok(copied + header)
    }
}

#[vtable]
impl LineDiscipline for NRust {
    fn open(tty: &OpeningTty) -> impl PinInit<Self, Error> + '_ {
        try_pin_init!(Self {
            state <- {
                let driver = DriverInfo {
                    real_raw: tty.driver_is_real_raw(),
                    pty: tty.is_pty(),
                };
                // The engine is about 12 KiB: build it in place on the heap, never on the
                // stack.
                let mut engine: KBox<Engine> =
                    KBox::init(pin_init::init_zeroed::<Engine>(), GFP_KERNEL)?;
                engine.set_driver(driver);
                let termios = engine_termios(&tty.termios());
                let locked = Locked { engine, termios };
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
        })
        .pin_chain(move |this| {
            // What `n_tty_open` does once its state is allocated.
            tty.clear_closing();
            tty.clear_flag(bindings::TTY_LDISC_HALTED);
            this.with_engine(tty, |engine, termios, actions| {
                engine.open(termios, actions)
            });
            tty.unthrottle_at_open();
            Ok(())
        })
    }

    fn close(&self, tty: &Tty) {
        if tty.is_pty() {
            tty.packet_mode_flush();
        }
    }

    fn flush_buffer(&self, tty: &Tty) {
        self.with_engine(tty, |engine, _, actions| engine.flush_input(actions));
    }

    fn read(
        &self,
        tty: &Tty,
        file: &TtyFile,
        buf: &mut [u8],
        read: &mut ReadContext<'_>,
    ) -> Result<usize> {
        if read.is_continuation() {
            let mut cookie = true;
            let copied = self.with_engine(tty, |engine, termios, actions| {
                engine.ldisc_read(termios, buf, &mut cookie, actions)
            });
            if cookie {
                read.call_again();
            }
            return Ok(copied.unwrap_or(0));
        }
        background_read::check_read(tty, file)?;
        read.lock_readers(file)?;
        self.read_first(tty, file, buf, read)
    }

    fn write(&self, tty: &Tty, file: &TtyFile, buf: &[u8]) -> Result<usize> {
        let tostop = self.with_engine(tty, |_, termios, _| termios.l(LFlag::TOSTOP));
        if tostop && !file.is_console() {
            tty.check_change_for_write()?;
        }
        let mut written = 0usize;
        let result = {
            // On the write queue until the loop ends.
            pin_init::stack_pin_init!(let waiter = Waiter::new(tty, TtyWaitQueue::Write));
            loop {
                if kernel::current!().signal_pending() {
                    break Err(ERESTARTSYS);
                }
                if file.hung_up() || tty.link_unused() {
                    break Err(EIO);
                }
                let rest = buf.get(written..).unwrap_or(&[]);
                written += self.with_engine(tty, |engine, termios, actions| {
                    engine.write(termios, rest, actions)
                });
                if written >= buf.len() {
                    break Ok(());
                }
                if file.is_nonblocking() {
                    break Err(EAGAIN);
                }
                waiter.sleep(bindings::MAX_SCHEDULE_TIMEOUT);
            }
        };
        if written < buf.len() {
            tty.set_flag(bindings::TTY_DO_WRITE_WAKEUP);
        }
        match result {
            Err(e) if written == 0 => Err(e),
            _ => Ok(written),
        }
    }

    fn ioctl(&self, tty: &Tty, cmd: u32, arg: usize) -> Result<i32> {
        let value = match cmd {
            bindings::TIOCOUTQ => tty.driver_chars_in_buffer() as u32,
            bindings::TIOCINQ => {
                self.with_engine(tty, |engine, termios, _| engine.inq(termios)) as u32
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
        let mut guard = self.state.lock();
        let locked = &mut *guard;
        locked.termios = new;
        let mut actions = TtyActions { tty };
        locked.engine.set_termios(Some(&old), &new, &mut actions);
    }

    fn poll(&self, tty: &Tty, file: &TtyFile, table: &PollTable<'_>) -> u32 {
        table.register(TtyWaitQueue::Read);
        table.register(TtyWaitQueue::Write);
        let available = || {
            self.with_engine(tty, |engine, termios, _| {
                engine.input_available(termios, true)
            })
        };
        let mut mask = 0;
        if available() || {
            tty.flush_input_work();
            available()
        } {
            mask |= bindings::EPOLLIN | bindings::EPOLLRDNORM;
        }
        if tty.packet_mode() && tty.link_packet_status() != 0 {
            mask |= bindings::EPOLLPRI | bindings::EPOLLIN | bindings::EPOLLRDNORM;
        }
        if tty.other_side_closed() || file.hung_up() {
            mask |= bindings::EPOLLHUP;
        }
        if tty.driver_can_write()
            && tty.driver_chars_in_buffer() < WAKEUP_CHARS
            && tty.write_room() > 0
        {
            mask |= bindings::EPOLLOUT | bindings::EPOLLWRNORM;
        }
        mask
    }

    fn receive(&self, tty: &Tty, data: &[u8], flags: Option<&[u8]>) -> usize {
        let closing = tty.closing();
        self.with_engine(tty, |engine, termios, actions| {
            engine.set_closing(closing);
            engine.receive(termios, data, flags, actions)
        })
    }

    fn receive_unflowed(&self, tty: &Tty, data: &[u8], flags: Option<&[u8]>) {
        let closing = tty.closing();
        self.with_engine(tty, |engine, termios, actions| {
            engine.set_closing(closing);
            engine.receive_noflow(termios, data, flags, actions);
        });
    }

    fn lookahead(&self, tty: &Tty, data: &[u8], flags: Option<&[u8]>) {
        self.with_engine(tty, |engine, termios, actions| {
            engine.lookahead(termios, data, flags, actions)
        });
    }

    fn write_wakeup(&self, tty: &Tty) {
        tty.clear_flag(bindings::TTY_DO_WRITE_WAKEUP);
        tty.kill_fasync(bindings::POLL_OUT);
    }
}
