// SPDX-License-Identifier: GPL-2.0

//! The tty and the file that the tty layer hands to a line discipline's operations.
//!
//! C header: [`include/linux/tty.h`](srctree/include/linux/tty.h)
//!
//! Unless a method says otherwise it may be called in any context where the caller holds a
//! [`Tty`] (the operations of [`LineDiscipline`]), with or without the discipline's own locks.
//!
//! [`LineDiscipline`]: super::LineDiscipline

use super::wait::TtyWaitQueue;
use super::TtyFile;
use crate::bindings;
use crate::task::Pid;
use crate::task::TaskPtr;
use core::ops::Deref;
use core::ptr::addr_of;
use core::ptr::addr_of_mut;
use core::sync::atomic::AtomicUsize;
use core::sync::atomic::Ordering;
use kernel::ffi;
use kernel::types::Opaque;

/// A `struct tty_struct` that the tty layer handed to a line discipline operation, or the
/// other end of such a pty pair ([`Tty::link`]).
///
/// # Invariants
///
/// The tty is valid for the lifetime of the reference, and so are its `driver` and `ops`,
/// which the tty layer sets when it allocates the tty and never changes.
#[repr(transparent)]
pub(crate) struct Tty(Opaque<bindings::tty_struct>);

impl Tty {
    /// Creates a reference to a tty from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `tty_struct` that stays valid for `'a`.
    pub(super) unsafe fn from_raw<'a>(ptr: *mut bindings::tty_struct) -> &'a Self {
        // INVARIANT: Validity for `'a` is the caller's promise.
        // SAFETY: `Tty` is a transparent wrapper of `tty_struct`.
        unsafe { &*ptr.cast() }
    }

    /// The raw `tty_struct` pointer, for calls into the tty layer.
    pub(super) fn as_raw(&self) -> *mut bindings::tty_struct {
        self.0.get()
    }

    /// The current termios. Callers of the discipline's operations that change it hold the
    /// termios lock for writing and then call `set_termios`, so a copy taken under the
    /// discipline's own lock in `open` and `set_termios` is consistent.
    pub(crate) fn termios(&self) -> bindings::ktermios {
        // SAFETY: By the type invariant the tty is valid; `ktermios` is plain data.
        unsafe { core::ptr::read(addr_of!((*self.as_raw()).termios)) }
    }

    /// The tty's input modes (`c_iflag`) read without `termios_rwsem`, as N_TTY reads
    /// `I_IXON(tty)` in `n_tty_lookahead_flow_ctrl`: a snapshot that a concurrent
    /// `set_termios` may change right after.
    pub(crate) fn input_modes_unlocked(&self) -> bindings::tcflag_t {
        // SAFETY: By the type invariant the tty is valid; a volatile read of one aligned
        // `tcflag_t` is what the kernel's `READ_ONCE` does.
        unsafe { core::ptr::read_volatile(addr_of!((*self.as_raw()).termios.c_iflag)) }
    }

    /// The local modes (`c_lflag`) read once without a lock, as `n_tty_write` reads
    /// `L_TOSTOP(tty)`: a racing `set_termios` may or may not be seen, but the read is one
    /// aligned word, not a copy of the whole termios that a writer could tear.
    pub(crate) fn local_modes_unlocked(&self) -> bindings::tcflag_t {
        // SAFETY: By the type invariant the tty is valid; a volatile read of one aligned
        // `tcflag_t` is what the kernel's `READ_ONCE` does.
        unsafe { core::ptr::read_volatile(addr_of!((*self.as_raw()).termios.c_lflag)) }
    }

    /// The tty's name (`tty->name`: `pts3`, `ttyS1`, ...), for log lines and the counters'
    /// directory in sysfs.
    pub(crate) fn name(&self) -> &kernel::str::CStr {
        // SAFETY: By the type invariant the tty is valid; `name` is a character array the tty
        // layer fills when it allocates the tty (`tty_line_name`) and never changes.
        let name: &[u8; 64] = unsafe { &*addr_of!((*self.as_raw()).name).cast() };
        kernel::str::CStr::from_bytes_until_nul(name).unwrap_or(c"?")
    }

    /// The word of `TTY_*` bit flags, for atomic bit operations.
    fn flags_word(&self) -> &AtomicUsize {
        // SAFETY: By the type invariant the tty, and so `flags`, is valid; the kernel changes
        // this `unsigned long` only with atomic bit operations, as `AtomicUsize` does.
        unsafe { AtomicUsize::from_ptr(addr_of_mut!((*self.as_raw()).flags).cast()) }
    }

    /// `test_bit(bit, &tty->flags)`.
    pub(crate) fn test_flag(&self, bit: i32) -> bool {
        self.flags_word().load(Ordering::Relaxed) & (1 << bit) != 0
    }

    /// `set_bit(bit, &tty->flags)`.
    pub(crate) fn set_flag(&self, bit: i32) {
        self.flags_word().fetch_or(1 << bit, Ordering::SeqCst);
    }

    /// `clear_bit(bit, &tty->flags)`.
    pub(crate) fn clear_flag(&self, bit: i32) {
        self.flags_word().fetch_and(!(1 << bit), Ordering::SeqCst);
    }

    /// `tty_io_nonblock()`: whether a read or write through `file` must not sleep, because
    /// the file is non-blocking or the tty layer is changing the discipline and has asked
    /// sleepers to let go (`TTY_LDISC_CHANGING`, set by `tty_ldisc_lock()`).
    pub(crate) fn io_nonblock(&self, file: &TtyFile) -> bool {
        file.is_nonblocking() || self.test_flag(bindings::TTY_LDISC_CHANGING)
    }

    /// Whether a `write()` holds the tty's write lock (`tty_is_writelocked()`: the
    /// `atomic_write_lock` mutex is locked). A racy answer, as N_TTY's `poll` takes it.
    pub(crate) fn is_write_locked(&self) -> bool {
        // `mutex_is_locked` goes through our C wrapper (it is a macro on PREEMPT_RT).
        // SAFETY: By the type invariant the tty is valid, and its `atomic_write_lock` is
        // initialised for its lifetime; `mutex_is_locked` only reads the lock word.
        unsafe {
            bindings::n_rust_mutex_is_locked(addr_of_mut!((*self.as_raw()).atomic_write_lock))
        }
    }

    /// Whether some file of the tty asked for `SIGIO` (`tty->fasync` is not empty).
    pub(crate) fn has_fasync(&self) -> bool {
        // SAFETY: By the type invariant the tty is valid; a racy read of the list head, as
        // N_TTY's `n_tty_write` makes it.
        !unsafe { core::ptr::read_volatile(addr_of!((*self.as_raw()).fasync)) }.is_null()
    }

    /// Whether the other end of a pty pair has closed (`TTY_OTHER_CLOSED`).
    pub(crate) fn other_side_closed(&self) -> bool {
        self.test_flag(bindings::TTY_OTHER_CLOSED)
    }

    /// `tty->closing`: the tty is being closed; only flow control is still processed.
    ///
    /// The tty layer writes it under `tty_lock` (`tty_port_close_start()` and `_end()`, and a
    /// discipline's open: [`OpeningTty::clear_closing`]); this read is racy, as N_TTY's is.
    pub(crate) fn closing(&self) -> bool {
        // SAFETY: By the type invariant the tty is valid; a racy read of a `bool`, as N_TTY
        // reads it.
        unsafe { core::ptr::read_volatile(addr_of!((*self.as_raw()).closing)) }
    }

    /// `tty->flow.stopped`.
    pub(crate) fn flow_stopped(&self) -> bool {
        // SAFETY: By the type invariant the tty is valid; a racy read, as N_TTY does.
        unsafe { core::ptr::read_volatile(addr_of!((*self.as_raw()).flow.stopped)) }
    }

    /// `tty->flow.tco_stopped`.
    pub(crate) fn tco_stopped(&self) -> bool {
        // SAFETY: By the type invariant the tty is valid; a racy read, as N_TTY does.
        unsafe { core::ptr::read_volatile(addr_of!((*self.as_raw()).flow.tco_stopped)) }
    }

    /// `stop_tty()`. Takes the tty's `flow.lock` spinlock; does not sleep.
    pub(crate) fn stop(&self) {
        // SAFETY: By the type invariant the tty is valid.
        unsafe { bindings::stop_tty(self.as_raw()) };
    }

    /// `start_tty()`. Takes the tty's `flow.lock` spinlock; does not sleep.
    pub(crate) fn start(&self) {
        // SAFETY: By the type invariant the tty is valid.
        unsafe { bindings::start_tty(self.as_raw()) };
    }

    /// Whether this tty is one end of a pty pair.
    pub(crate) fn is_pty(&self) -> bool {
        // SAFETY: By the type invariant the tty is valid, and so is its driver.
        unsafe { (*(*self.as_raw()).driver).type_ == bindings::tty_driver_type_TTY_DRIVER_TYPE_PTY }
    }

    /// Whether this is the slave side of a pty (`PTY_TYPE_SLAVE`).
    pub(crate) fn is_pty_slave(&self) -> bool {
        // SAFETY: By the type invariant the tty is valid, and so is its driver.
        self.is_pty()
            && unsafe { (*(*self.as_raw()).driver).subtype }
                == bindings::tty_driver_subtype_PTY_TYPE_SLAVE
    }

    /// Whether the driver reports no break or parity events in raw mode
    /// (`TTY_DRIVER_REAL_RAW`).
    pub(crate) fn driver_is_real_raw(&self) -> bool {
        // SAFETY: By the type invariant the tty is valid, and so is its driver.
        let flags = unsafe { (*(*self.as_raw()).driver).flags };
        flags & bindings::tty_driver_flag_TTY_DRIVER_REAL_RAW as ffi::c_ulong != 0
    }

    /// The other end of a pty pair, if any. Its discipline need not be this one.
    pub(crate) fn link(&self) -> Option<&Tty> {
        // SAFETY: By the type invariant the tty is valid; `link` is set when a pty pair is
        // installed, before any discipline is opened on it, and not changed afterwards.
        let link = unsafe { (*self.as_raw()).link };
        if link.is_null() {
            return None;
        }
        // INVARIANT: `release_tty()` drops this tty's reference on its link only when it
        // releases this tty itself, so the link is valid for as long as `self` is.
        // SAFETY: As just said, `link` is valid for the lifetime of `&self`.
        Some(unsafe { Tty::from_raw(link) })
    }

    /// Whether the other end of a pty pair is closed by every opener (`!tty->link->count`).
    pub(crate) fn link_unused(&self) -> bool {
        match self.link() {
            // SAFETY: By the invariant of the link it is valid; `count` is read racily, as
            // N_TTY reads it.
            Some(link) => unsafe {
                core::ptr::read_volatile(addr_of!((*link.as_raw()).count)) == 0
            },
            None => false,
        }
    }

    /// Whether packet mode (`TIOCPKT`) is on for this tty.
    pub(crate) fn packet_mode(&self) -> bool {
        // SAFETY: By the type invariant the tty is valid; a racy read, as N_TTY does.
        unsafe { core::ptr::read_volatile(addr_of!((*self.as_raw()).ctrl.packet)) }
    }

    /// Packet-mode status pending on the other end for this tty's reader
    /// (`tty->link->ctrl.pktstatus`), if any.
    pub(crate) fn link_packet_status(&self) -> u8 {
        match self.link() {
            // SAFETY: By the invariant of the link it is valid; a racy read, as `n_tty_poll`
            // does.
            Some(link) => unsafe {
                core::ptr::read_volatile(addr_of!((*link.as_raw()).ctrl.pktstatus))
            },
            None => 0,
        }
    }

    /// Runs `f` on `tty->ctrl.pktstatus` under `tty->ctrl.lock` (a spinlock, interrupts off).
    fn with_packet_status<R>(&self, f: impl FnOnce(&mut u8) -> R) -> R {
        // The lock is taken through the kernel's own `spin_lock_irq_disable` helper (right on
        // every config: SMP, UP, PREEMPT_RT). Interrupts are off while `f` runs, as the tty
        // layer holds this lock in interrupt context too; `f` only reads and writes the byte.
        // SAFETY: the tty is valid (type invariant); its `ctrl.lock` protects `pktstatus`; the
        // cast is between two bindgen views (ours, the kernel crate's) of C's `spinlock_t`.
        unsafe {
            let lock =
                addr_of_mut!((*self.as_raw()).ctrl.lock).cast::<kernel::bindings::spinlock_t>();
            kernel::bindings::spin_lock_irq_disable(lock);
            let result = f(&mut (*self.as_raw()).ctrl.pktstatus);
            kernel::bindings::spin_unlock_irq_enable(lock);
            result
        }
    }

    /// Takes the packet-mode status byte the other end holds for this reader, clearing it
    /// (`n_tty_read` in packet mode). Returns 0 when there is none. Does not sleep.
    pub(crate) fn take_link_packet_status(&self) -> u8 {
        let Some(link) = self.link() else { return 0 };
        link.with_packet_status(core::mem::take)
    }

    /// Tells a packet-mode reader on the other end that input was flushed
    /// (`n_tty_packet_mode_flush`). Does not sleep.
    pub(crate) fn packet_mode_flush(&self) {
        let Some(link) = self.link() else { return };
        if !link.packet_mode() {
            return;
        }
        self.with_packet_status(|status| *status |= bindings::TIOCPKT_FLUSHREAD as u8);
        link.wake_up(TtyWaitQueue::Read, 0);
    }

    /// The wait queue `queue` of this tty.
    pub(super) fn wait_queue(&self, queue: TtyWaitQueue) -> *mut bindings::wait_queue_head {
        // SAFETY: By the type invariant the tty is valid; only the field address is taken.
        unsafe {
            match queue {
                TtyWaitQueue::Read => addr_of_mut!((*self.as_raw()).read_wait),
                TtyWaitQueue::Write => addr_of_mut!((*self.as_raw()).write_wait),
            }
        }
    }

    /// Wakes the interruptible sleepers on `queue` like `wake_up_interruptible_poll()` with
    /// `events` (or `wake_up_interruptible()` for `events == 0`). Does not sleep.
    pub(crate) fn wake_up(&self, queue: TtyWaitQueue, events: u32) {
        // SAFETY: The queue is in the tty, valid by the type invariant. The key is the event
        // mask cast to a pointer, as `poll_to_key()` does (null for no events).
        unsafe {
            bindings::__wake_up(
                self.wait_queue(queue),
                bindings::TASK_INTERRUPTIBLE,
                1,
                events as usize as *mut ffi::c_void,
            )
        };
    }

    /// Wakes writers sleeping in `write` or `poll` (`wake_up_interruptible`).
    pub(crate) fn wake_writers(&self) {
        self.wake_up(TtyWaitQueue::Write, 0);
    }

    /// `kill_fasync(&tty->fasync, SIGIO, band)`. Does not sleep.
    pub(crate) fn kill_fasync(&self, band: i32) {
        // SAFETY: By the type invariant the tty is valid; `fasync` is managed by the tty layer
        // and `kill_fasync` copes with an empty list.
        unsafe {
            bindings::kill_fasync(
                addr_of_mut!((*self.as_raw()).fasync),
                bindings::SIGIO as ffi::c_int,
                band,
            )
        };
    }

    /// Whether this is the controlling tty of the current task (`current->signal->tty`).
    pub(crate) fn is_current_controlling_tty(&self) -> bool {
        core::ptr::eq(TaskPtr::current().controlling_tty(), self.as_raw())
    }

    /// The tty's foreground process group, if it has one (`tty_get_pgrp()`).
    pub(crate) fn foreground_pgrp(&self) -> Option<Pid> {
        // SAFETY: By the type invariant the tty is valid. `tty_get_pgrp` returns a counted
        // reference or null.
        unsafe { Pid::from_counted(bindings::tty_get_pgrp(self.as_raw())) }
    }

    /// Sends `signal` to the tty's foreground process group, if it has one (`__isig`).
    pub(crate) fn signal_foreground(&self, signal: i32) {
        if let Some(pgrp) = self.foreground_pgrp() {
            pgrp.kill_group(signal);
        }
    }
}

/// The tty a discipline is being opened on, as [`LineDiscipline::open`] sees it.
///
/// # Invariants
///
/// Those of [`Tty`], and: the caller of `open` holds the tty's `tty_lock` (or the tty is a
/// pty slave that was just allocated, which nothing else can reach yet), as `tty_ldisc_open()`
/// requires, and no other operation of the discipline being opened runs on the tty.
///
/// [`LineDiscipline::open`]: super::LineDiscipline::open
#[repr(transparent)]
pub(crate) struct OpeningTty(Tty);

impl OpeningTty {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `tty_struct` for `'a`, and the conditions of the type
    /// invariant must hold for `'a`.
    pub(super) unsafe fn from_raw<'a>(ptr: *mut bindings::tty_struct) -> &'a Self {
        // INVARIANT: The caller's promise.
        // SAFETY: `OpeningTty` is a transparent wrapper of `Tty`, itself one of `tty_struct`.
        unsafe { &*ptr.cast() }
    }

    /// Clears `tty->closing`, as `n_tty_open()` does.
    ///
    /// The other writers of this field, `tty_port_close_start()` and `tty_port_close_end()`,
    /// run under `tty_lock` too, so the write does not race with them.
    pub(crate) fn clear_closing(&self) {
        // SAFETY: The tty is valid, and by the type invariant `tty_lock` serialises this write
        // with the tty layer's own; readers read it racily, as N_TTY's `receive` does.
        unsafe { core::ptr::write_volatile(addr_of_mut!((*self.as_raw()).closing), false) };
    }

    /// `tty_unthrottle()`, as a discipline calls it at the end of its open (it takes
    /// `termios_rwsem`, so not with the discipline's own lock held).
    ///
    /// Context: process context; may sleep.
    pub(crate) fn unthrottle_at_open(&self) {
        // SAFETY: By the type invariant the tty is valid.
        unsafe { bindings::tty_unthrottle(self.as_raw()) };
    }
}

impl Deref for OpeningTty {
    type Target = Tty;

    fn deref(&self) -> &Tty {
        &self.0
    }
}
