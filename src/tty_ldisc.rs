// SPDX-License-Identifier: GPL-2.0

//! A safe abstraction over TTY line disciplines (`struct tty_ldisc_ops`).
//!
//! C header: [`include/linux/tty_ldisc.h`](srctree/include/linux/tty_ldisc.h)
//!
//! It follows the shape of `kernel::miscdevice`: a [`LineDiscipline`] trait whose methods are
//! the operations, a [`Registration`] that registers the operations table and unregisters it
//! when dropped, and a table of `unsafe extern "C"` adapters. The adapters, and the methods of
//! [`Tty`] and [`TtyFile`], are the only places where raw tty pointers are touched; the
//! discipline itself is safe Rust.

use crate::bindings;
use core::marker::PhantomData;
use core::pin::Pin;
use core::ptr::addr_of;
use core::ptr::addr_of_mut;
use core::sync::atomic::AtomicUsize;
use core::sync::atomic::Ordering;
use kernel::error::from_result;
use kernel::ffi;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::types::Opaque;
use kernel::ThisModule;

/// The operations of a line discipline, per tty.
///
/// A value of the implementing type is created by [`LineDiscipline::open`] when the
/// discipline is attached to a tty, lives in `tty->disc_data`, and is handed back to
/// [`LineDiscipline::close`] when it is detached. The tty layer may call the operations
/// concurrently (a reader, a writer and the flip-buffer worker at once), so they take
/// `&self` and the type does its own locking.
pub(crate) trait LineDiscipline: Sized + Send + Sync {
    /// Called when the discipline is attached to `tty`; returns the per-tty state.
    fn open(tty: &Tty) -> Result<Pin<KBox<Self>>>;

    /// Called when the discipline is detached from `tty`; the state is dropped afterwards.
    fn close(self: Pin<KBox<Self>>, _tty: &Tty) {}

    /// Discard pending input (`TCIFLUSH`, and on hangup).
    fn flush_buffer(&self, _tty: &Tty) {}

    /// Read into the kernel buffer `buf`; `tty_read()` copies it to user space.
    ///
    /// `tty_read()` hands over at most 64 bytes at a time. When the discipline has more to give
    /// at once it says so with [`ReadChunk::more`], and `tty_read()` calls again with
    /// `continuation` set (possibly with an empty `buf` when the user's buffer is full, so the
    /// discipline can finish). A continuation must not sleep.
    fn read(
        &self,
        tty: &Tty,
        file: &TtyFile,
        buf: &mut [u8],
        continuation: bool,
    ) -> Result<ReadChunk>;

    /// Write from the kernel buffer `buf`; returns how many bytes were taken.
    fn write(&self, tty: &Tty, file: &TtyFile, buf: &[u8]) -> Result<usize>;

    /// A discipline-specific ioctl. `ENOIOCTLCMD` lets the tty layer handle `cmd` itself.
    fn ioctl(&self, _tty: &Tty, _cmd: u32, _arg: usize) -> Result<i32> {
        Err(ENOIOCTLCMD)
    }

    /// The termios of `tty` changed; `old` is the previous one. The tty layer holds the
    /// termios lock for writing.
    fn set_termios(&self, _tty: &Tty, _old: &bindings::ktermios) {}

    /// Report readiness of `tty` for `file`, registering on the wait queues through `table`.
    fn poll(&self, tty: &Tty, file: &TtyFile, table: &PollTable) -> u32;

    /// Bytes arrived from the driver, with per-byte `TTY_*` flags when `flags` is `Some`.
    /// Returns how many bytes were taken; the rest stays in the flip buffer until the
    /// discipline asks for it again with [`Tty::restart_input`].
    fn receive(&self, tty: &Tty, data: &[u8], flags: Option<&[u8]>) -> usize;

    /// Bytes handed over by `receive_buf` rather than `receive_buf2`: `TIOCSTI` pushes its
    /// byte this way. There is no flow control: what does not fit is dropped.
    fn receive_unflowed(&self, tty: &Tty, data: &[u8], flags: Option<&[u8]>) {
        let _ = self.receive(tty, data, flags);
    }

    /// Bytes the discipline could not take yet, offered for a look at flow-control
    /// characters; they are offered again through [`LineDiscipline::receive`] later.
    fn lookahead(&self, _tty: &Tty, _data: &[u8], _flags: Option<&[u8]>) {}

    /// The driver has room for output again. May be called from interrupt context: it must
    /// not sleep.
    fn write_wakeup(&self, _tty: &Tty) {}
}

/// What one call of [`LineDiscipline::read`] produced.
pub(crate) struct ReadChunk {
    /// Bytes placed at the start of the buffer.
    pub(crate) copied: usize,
    /// More can be returned in the same `read()` system call without waiting.
    pub(crate) more: bool,
}

/// A `struct tty_struct` that the tty layer handed to a line discipline operation.
///
/// # Invariants
///
/// The tty is valid and the discipline is attached to it for the lifetime of the reference.
#[repr(transparent)]
pub(crate) struct Tty(Opaque<bindings::tty_struct>);

impl Tty {
    /// Creates a reference to a tty from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `tty_struct` that stays valid, with this discipline
    /// attached, for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::tty_struct) -> &'a Self {
        // SAFETY: `Tty` is a transparent wrapper of `tty_struct`; validity is the caller's
        // promise.
        unsafe { &*ptr.cast() }
    }

    /// The raw `tty_struct` pointer, for calls into the tty layer.
    pub(crate) fn as_raw(&self) -> *mut bindings::tty_struct {
        self.0.get()
    }

    /// The current termios. Callers of the discipline's operations that change it hold the
    /// termios lock for writing and then call `set_termios`, so a copy taken under the
    /// discipline's own lock in `open` and `set_termios` is consistent.
    pub(crate) fn termios(&self) -> bindings::ktermios {
        // SAFETY: By the type invariant the tty is valid; `ktermios` is plain data.
        unsafe { core::ptr::read(addr_of!((*self.as_raw()).termios)) }
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

    /// Whether the other end of a pty pair has closed (`TTY_OTHER_CLOSED`).
    pub(crate) fn other_side_closed(&self) -> bool {
        self.test_flag(bindings::TTY_OTHER_CLOSED)
    }

    /// `tty->closing`: the tty is being closed; only flow control is still processed.
    pub(crate) fn closing(&self) -> bool {
        // SAFETY: By the type invariant the tty is valid; a racy read of a bool the tty layer
        // sets once, as N_TTY reads it.
        unsafe { core::ptr::read_volatile(addr_of!((*self.as_raw()).closing)) }
    }

    /// Clears `tty->closing`, as a discipline does when it is opened.
    pub(crate) fn clear_closing(&self) {
        // SAFETY: By the type invariant the tty is valid; `open` runs before any I/O on it.
        unsafe { core::ptr::write_volatile(addr_of_mut!((*self.as_raw()).closing), false) };
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

    /// `stop_tty()`.
    pub(crate) fn stop(&self) {
        // SAFETY: By the type invariant the tty is valid.
        unsafe { bindings::stop_tty(self.as_raw()) };
    }

    /// `start_tty()`.
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

    /// The other end of a pty pair, if any.
    fn link(&self) -> Option<&Tty> {
        // SAFETY: By the type invariant the tty is valid. The `link` of a pty is the other
        // end, which the tty layer keeps alive as long as this end.
        unsafe {
            let link = (*self.as_raw()).link;
            if link.is_null() {
                None
            } else {
                Some(Tty::from_raw(link))
            }
        }
    }

    /// Whether the other end of a pty pair is closed by every opener (`!tty->link->count`).
    pub(crate) fn link_unused(&self) -> bool {
        match self.link() {
            // SAFETY: The link is a valid tty (see `link`); `count` is read racily, as N_TTY.
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
            // SAFETY: The link is a valid tty; a racy read, as `n_tty_poll` does.
            Some(link) => unsafe {
                core::ptr::read_volatile(addr_of!((*link.as_raw()).ctrl.pktstatus))
            },
            None => 0,
        }
    }

    /// Takes the packet-mode status byte the other end holds for this reader, clearing it
    /// (`n_tty_read` in packet mode). Returns 0 when there is none.
    pub(crate) fn take_link_packet_status(&self) -> u8 {
        let Some(link) = self.link() else { return 0 };
        // SAFETY: The link is a valid tty; its `ctrl.lock` protects `pktstatus`. The kernel
        // test config is not PREEMPT_RT, so `spinlock_t` is a `raw_spinlock` at offset 0.
        unsafe {
            let lock = addr_of_mut!((*link.as_raw()).ctrl.lock).cast::<bindings::raw_spinlock>();
            let flags = bindings::_raw_spin_lock_irqsave(lock);
            let status = (*link.as_raw()).ctrl.pktstatus;
            (*link.as_raw()).ctrl.pktstatus = 0;
            bindings::_raw_spin_unlock_irqrestore(lock, flags);
            status
        }
    }

    /// Tells a packet-mode reader on the other end that input was flushed
    /// (`n_tty_packet_mode_flush`).
    pub(crate) fn packet_mode_flush(&self) {
        let Some(link) = self.link() else { return };
        if !link.packet_mode() {
            return;
        }
        // SAFETY: The tty is valid; its `ctrl.lock` protects `pktstatus` (not PREEMPT_RT, so
        // a `raw_spinlock` at offset 0).
        unsafe {
            let lock = addr_of_mut!((*self.as_raw()).ctrl.lock).cast::<bindings::raw_spinlock>();
            let flags = bindings::_raw_spin_lock_irqsave(lock);
            (*self.as_raw()).ctrl.pktstatus |= bindings::TIOCPKT_FLUSHREAD as u8;
            bindings::_raw_spin_unlock_irqrestore(lock, flags);
        }
        wake_up_poll(link.read_wait(), 0);
    }

    /// The queue that readers of this tty sleep on.
    pub(crate) fn read_wait(&self) -> *mut bindings::wait_queue_head {
        // SAFETY: By the type invariant the tty is valid; only the field address is taken.
        unsafe { addr_of_mut!((*self.as_raw()).read_wait) }
    }

    /// The queue that writers of this tty sleep on.
    pub(crate) fn write_wait(&self) -> *mut bindings::wait_queue_head {
        // SAFETY: By the type invariant the tty is valid; only the field address is taken.
        unsafe { addr_of_mut!((*self.as_raw()).write_wait) }
    }

    /// Wakes readers sleeping in `read` or `poll` and sends `SIGIO` to `O_ASYNC` owners.
    pub(crate) fn wake_readers(&self) {
        self.kill_fasync(bindings::POLL_IN);
        wake_up_poll(self.read_wait(), bindings::EPOLLIN | bindings::EPOLLRDNORM);
    }

    /// Wakes writers sleeping in `write` or `poll` (`wake_up_interruptible`).
    pub(crate) fn wake_writers(&self) {
        wake_up_poll(self.write_wait(), 0);
    }

    /// `kill_fasync(&tty->fasync, SIGIO, band)`.
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

    /// Sends `signal` to the tty's foreground process group, if it has one (`__isig`).
    pub(crate) fn signal_foreground(&self, signal: i32) {
        // SAFETY: By the type invariant the tty is valid. `tty_get_pgrp` returns a counted
        // reference (or null), which `put_pid` drops.
        unsafe {
            let pgrp = bindings::tty_get_pgrp(self.as_raw());
            if !pgrp.is_null() {
                bindings::kill_pgrp(pgrp, signal, 1);
                bindings::put_pid(pgrp);
            }
        }
    }

    /// `tty_driver_flush_buffer()`: discard output the driver still holds.
    pub(crate) fn driver_flush_buffer(&self) {
        // SAFETY: By the type invariant the tty is valid.
        unsafe { bindings::tty_driver_flush_buffer(self.as_raw()) };
    }

    /// `tty_chars_in_buffer()`: output the driver still holds.
    pub(crate) fn driver_chars_in_buffer(&self) -> usize {
        // SAFETY: By the type invariant the tty is valid.
        unsafe { bindings::tty_chars_in_buffer(self.as_raw()) as usize }
    }

    /// How many bytes the driver can take now (`tty_write_room`).
    pub(crate) fn write_room(&self) -> usize {
        // SAFETY: By the type invariant the tty is valid.
        unsafe { bindings::tty_write_room(self.as_raw()) as usize }
    }

    /// Hands `buf` to the driver; returns how many bytes it took.
    pub(crate) fn driver_write(&self, buf: &[u8]) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // SAFETY: By the type invariant the tty and its driver operations are valid; `buf` is
        // valid for reads of its length.
        let written = unsafe {
            match (*(*self.as_raw()).ops).write {
                Some(write) => write(self.as_raw(), buf.as_ptr(), buf.len()),
                None => return Err(EIO),
            }
        };
        if written < 0 {
            Err(Error::from_errno(written as i32))
        } else {
            Ok(written as usize)
        }
    }

    /// `tty->ops->flush_chars`, if the driver has it.
    pub(crate) fn driver_flush_chars(&self) {
        // SAFETY: By the type invariant the tty and its driver operations are valid.
        unsafe {
            if let Some(flush_chars) = (*(*self.as_raw()).ops).flush_chars {
                flush_chars(self.as_raw());
            }
        }
    }

    /// Whether the driver has a write operation (every output-capable tty has).
    pub(crate) fn driver_can_write(&self) -> bool {
        // SAFETY: By the type invariant the tty and its driver operations are valid.
        unsafe { (*(*self.as_raw()).ops).write.is_some() }
    }

    /// Asks the driver to stop sending (what the unexported `tty_throttle_safe()` does:
    /// under `throttle_mutex`, set `TTY_THROTTLED` and call `tty->ops->throttle`).
    pub(crate) fn throttle(&self) {
        self.change_throttle(true);
    }

    /// Lets the driver send again (what the unexported `tty_unthrottle_safe()` does). Unlike
    /// the exported `tty_unthrottle()` it does not take `termios_rwsem`, so the discipline
    /// may call it with its own lock held (the tty layer takes `termios_rwsem` before calling
    /// `set_termios`, which takes the discipline's lock).
    pub(crate) fn unthrottle(&self) {
        self.change_throttle(false);
    }

    /// Sets or clears `TTY_THROTTLED` under `throttle_mutex` and tells the driver.
    fn change_throttle(&self, throttle: bool) {
        // SAFETY: By the type invariant the tty is valid; `throttle_mutex` is initialised for
        // its lifetime and is the lock the tty layer's throttle functions use.
        unsafe {
            let mutex = addr_of_mut!((*self.as_raw()).throttle_mutex);
            bindings::mutex_lock(mutex);
            if self.test_flag(bindings::TTY_THROTTLED) != throttle {
                let ops = (*self.as_raw()).ops;
                let op = if throttle {
                    self.set_flag(bindings::TTY_THROTTLED);
                    (*ops).throttle
                } else {
                    self.clear_flag(bindings::TTY_THROTTLED);
                    (*ops).unthrottle
                };
                if let Some(op) = op {
                    op(self.as_raw());
                }
            }
            bindings::mutex_unlock(mutex);
        }
    }

    /// `tty_unthrottle()`, as a discipline calls it when it is opened (without its own lock).
    pub(crate) fn unthrottle_at_open(&self) {
        // SAFETY: By the type invariant the tty is valid.
        unsafe { bindings::tty_unthrottle(self.as_raw()) };
    }

    /// Wakes the writer of the other end of a pty pair (`tty_wakeup(tty->link)`). A pty
    /// master's writer sleeps until the slave's discipline says it has read, which is what
    /// N_TTY does when its buffer drains.
    pub(crate) fn wake_link_writer(&self) {
        if let Some(link) = self.link() {
            // SAFETY: The link is a valid tty.
            unsafe { bindings::tty_wakeup(link.as_raw()) };
        }
    }

    /// Asks the flip-buffer worker to deliver input it held back because the discipline had
    /// no room. This is what the unexported `tty_buffer_restart_work()` does: queue the port's
    /// flip work on the port's flip workqueue, or on `system_dfl_wq` when it has none.
    pub(crate) fn restart_input(&self) {
        // SAFETY: By the type invariant the tty is valid; a tty with a discipline attached has
        // its port set, and the port's `buf.work` is initialised for the port's lifetime.
        unsafe {
            let port = (*self.as_raw()).port;
            if port.is_null() {
                return;
            }
            let buf = addr_of_mut!((*port).buf);
            // `flip_wq` is read once, as `READ_ONCE()` does in `tty_buffer_queue_work()`.
            let mut queue = core::ptr::read_volatile(addr_of!((*buf).flip_wq));
            if queue.is_null() {
                queue = bindings::system_dfl_wq;
            }
            bindings::queue_work_on(
                bindings::wq_misc_consts_WORK_CPU_UNBOUND as ffi::c_int,
                queue,
                addr_of_mut!((*buf).work),
            );
        }
    }

    /// Waits until the flip-buffer worker has delivered what it holds (what the unexported
    /// `tty_buffer_flush_work()` does). Must not be called with the discipline's lock held.
    pub(crate) fn flush_input_work(&self) {
        // SAFETY: By the type invariant the tty is valid and so is its port's work item.
        unsafe {
            let port = (*self.as_raw()).port;
            if !port.is_null() {
                bindings::flush_work(addr_of_mut!((*port).buf.work));
            }
        }
    }

    /// `n_tty_ioctl_helper()`: the termios and flow-control ioctls every discipline shares.
    pub(crate) fn ioctl_helper(&self, cmd: u32, arg: usize) -> i32 {
        // SAFETY: By the type invariant the tty is valid; the helper checks `arg` itself.
        unsafe { bindings::n_tty_ioctl_helper(self.as_raw(), cmd, arg as ffi::c_ulong) }
    }

    /// `tty_check_change()`: the job-control check for a write with `TOSTOP` (SIGTTOU).
    pub(crate) fn check_change_for_write(&self) -> Result {
        // SAFETY: By the type invariant the tty is valid.
        kernel::error::to_result(unsafe { bindings::tty_check_change(self.as_raw()) })
    }

    /// Whether `ptr` is this tty.
    pub(crate) fn is(&self, ptr: *const ffi::c_void) -> bool {
        core::ptr::eq(self.as_raw().cast::<ffi::c_void>().cast_const(), ptr)
    }
}

/// Calls `__wake_up(queue, TASK_INTERRUPTIBLE, 1, key)` like `wake_up_interruptible_poll()`
/// (or `wake_up_interruptible()` for `events == 0`).
fn wake_up_poll(queue: *mut bindings::wait_queue_head, events: u32) {
    // SAFETY: `queue` is a wait queue inside a valid tty. The key is the event mask cast to a
    // pointer, as `poll_to_key()` does (null for no events).
    unsafe {
        bindings::__wake_up(
            queue,
            bindings::TASK_INTERRUPTIBLE,
            1,
            events as usize as *mut ffi::c_void,
        )
    };
}

/// The file through which user space reads, writes or polls a tty.
///
/// # Invariants
///
/// The file is valid for the lifetime of the reference.
#[repr(transparent)]
pub(crate) struct TtyFile(Opaque<bindings::file>);

impl TtyFile {
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct file` for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::file) -> &'a Self {
        // SAFETY: Transparent wrapper; validity is the caller's promise.
        unsafe { &*ptr.cast() }
    }

    /// Whether the file was opened or set `O_NONBLOCK`.
    pub(crate) fn is_nonblocking(&self) -> bool {
        // SAFETY: By the type invariant the file is valid; `f_flags` is read as the tty layer
        // itself does (`tty_io_nonblock()`).
        let flags = unsafe { core::ptr::read_volatile(addr_of!((*self.0.get()).f_flags)) };
        flags & bindings::O_NONBLOCK != 0
    }

    /// `tty_hung_up_p(file)`: the file belongs to a tty that was hung up.
    pub(crate) fn hung_up(&self) -> bool {
        // SAFETY: By the type invariant the file is valid.
        unsafe { bindings::tty_hung_up_p(self.0.get()) != 0 }
    }

    /// Whether the file is `/dev/console` (5:1). N_TTY exempts console writes and reads from
    /// job control by comparing `f_op->write_iter` with `redirected_tty_write`, which is not
    /// exported; the device number of the file's inode says the same.
    pub(crate) fn is_console(&self) -> bool {
        // SAFETY: By the type invariant the file is valid, and so is its inode (field offsets
        // checked in `crate::layout`).
        let rdev = unsafe { (*(*self.0.get()).f_inode).i_rdev };
        rdev == (bindings::TTYAUX_MAJOR << 20) | 1
    }
}

/// The `poll_table` of a `poll` operation.
pub(crate) struct PollTable {
    file: *mut bindings::file,
    table: *mut bindings::poll_table_struct,
}

impl PollTable {
    /// Registers the poll on `queue` (`poll_wait`).
    pub(crate) fn wait_on(&self, queue: *mut bindings::wait_queue_head) {
        // SAFETY: `file` and `table` are valid during the tty layer's poll call; `queue` is in
        // the tty, which outlives its poll registrations (emptied on hangup and release).
        unsafe { bindings::poll_wait(self.file, queue, self.table) };
    }
}

/// A wait-queue entry of the current task, registered on a queue (see [`with_waiter`]).
pub(crate) struct Waiter {
    entry: *mut bindings::wait_queue_entry,
}

impl Waiter {
    /// Sleeps until woken, a signal arrives or `timeout` jiffies pass; returns the jiffies
    /// left (`wait_woken()`). A wake-up between registering and sleeping is not lost.
    pub(crate) fn sleep(&self, timeout: ffi::c_long) -> ffi::c_long {
        // SAFETY: `entry` is registered on its queue for the current task (see `with_waiter`).
        unsafe { bindings::wait_woken(self.entry, bindings::TASK_INTERRUPTIBLE, timeout) }
    }
}

/// Registers the current task on `queue` for the duration of `f`, which may sleep on it.
pub(crate) fn with_waiter<R>(
    queue: *mut bindings::wait_queue_head,
    f: impl FnOnce(&Waiter) -> R,
) -> R {
    let mut entry = core::mem::MaybeUninit::<bindings::wait_queue_entry>::zeroed();
    let entry = entry.as_mut_ptr();
    // SAFETY: `entry` is a local that stays put until removed below, set up by `init_wait` with
    // `woken_wake_function` as `wait_woken()` requires; `queue` is a valid wait queue of a tty.
    unsafe {
        bindings::init_wait(entry);
        (*entry).func = Some(bindings::woken_wake_function);
        bindings::add_wait_queue(queue, entry);
    }
    let result = f(&Waiter { entry });
    // SAFETY: `entry` was added to `queue` above.
    unsafe { bindings::remove_wait_queue(queue, entry) };
    result
}

/// A registered line discipline. Dropping it unregisters the discipline.
///
/// # Invariants
///
/// `ops` is registered with the tty layer under `ops.num` from creation until drop, and
/// never moves (it is boxed).
pub(crate) struct Registration<T: LineDiscipline> {
    ops: KBox<bindings::tty_ldisc_ops>,
    _discipline: PhantomData<T>,
}

// SAFETY: The registration only holds the operations table, which is immutable after
// registration and shared with the tty layer, which may use it from any thread.
unsafe impl<T: LineDiscipline> Send for Registration<T> {}
// SAFETY: See above; `&Registration` gives no access to anything mutable.
unsafe impl<T: LineDiscipline> Sync for Registration<T> {}

impl<T: LineDiscipline> Registration<T> {
    /// Registers `T` as line discipline number `number` under `name`. `number` must already be
    /// validated: `tty_register_ldisc()` replaces whatever holds the slot.
    pub(crate) fn register(
        name: &'static CStr,
        number: u32,
        module: &'static ThisModule,
    ) -> Result<Self> {
        let ops = bindings::tty_ldisc_ops {
            name: name.as_char_ptr().cast_mut(),
            num: number as ffi::c_int,
            open: Some(Self::open_callback),
            close: Some(Self::close_callback),
            flush_buffer: Some(Self::flush_buffer_callback),
            read: Some(Self::read_callback),
            write: Some(Self::write_callback),
            ioctl: Some(Self::ioctl_callback),
            compat_ioctl: None,
            set_termios: Some(Self::set_termios_callback),
            poll: Some(Self::poll_callback),
            hangup: None,
            receive_buf: Some(Self::receive_buf_callback),
            write_wakeup: Some(Self::write_wakeup_callback),
            dcd_change: None,
            receive_buf2: Some(Self::receive_buf2_callback),
            lookahead_buf: Some(Self::lookahead_buf_callback),
            owner: module.as_ptr(),
        };
        let ops = KBox::new(ops, GFP_KERNEL)?;
        // SAFETY: `ops` is a complete operations table whose callbacks are valid for `T`; the
        // box keeps it at one address until `drop` unregisters it.
        kernel::error::to_result(unsafe { bindings::tty_register_ldisc(&*ops) })?;
        Ok(Self {
            ops,
            _discipline: PhantomData,
        })
    }

    /// The state stored in `tty->disc_data` by `open`.
    ///
    /// # Safety
    ///
    /// `tty` must be valid with this discipline open on it (between `open` and `close`).
    unsafe fn state<'a>(tty: *mut bindings::tty_struct) -> &'a T {
        // SAFETY: `open` stored a pinned `KBox<T>` there, freed only by `close`.
        unsafe { &*(*tty).disc_data.cast::<T>() }
    }

    /// Called by the tty layer when the discipline is attached.
    ///
    /// # Safety
    ///
    /// Only the tty layer calls this, through the operations table, with a valid tty (and the
    /// discipline open on it, except for `open`) and pointers valid as `tty_ldisc_ops` says.
    unsafe extern "C" fn open_callback(tty: *mut bindings::tty_struct) -> ffi::c_int {
        from_result(|| {
            // SAFETY: The tty layer passes a valid tty that it keeps for the call.
            let state = T::open(unsafe { Tty::from_raw(tty) })?;
            // SAFETY: The box is turned back into a `Pin<KBox<T>>` only in `close_callback`;
            // it is never moved out of.
            let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(state) });
            // SAFETY: The tty is valid; `disc_data` belongs to the discipline.
            unsafe { (*tty).disc_data = raw.cast() };
            Ok(0)
        })
    }

    /// Called by the tty layer when the discipline is detached.
    ///
    /// # Safety
    ///
    /// Only the tty layer calls this, through the operations table, with a valid tty (and the
    /// discipline open on it, except for `open`) and pointers valid as `tty_ldisc_ops` says.
    unsafe extern "C" fn close_callback(tty: *mut bindings::tty_struct) {
        // SAFETY: The tty is valid and `open` succeeded on it (the tty layer calls `close`
        // only then); `disc_data` holds the box made by `open`.
        let state = unsafe {
            let raw = (*tty).disc_data.cast::<T>();
            (*tty).disc_data = core::ptr::null_mut();
            Pin::new_unchecked(KBox::from_raw(raw))
        };
        // SAFETY: The tty is valid for the call.
        state.close(unsafe { Tty::from_raw(tty) });
    }

    /// Called by the tty layer to discard pending input.
    ///
    /// # Safety
    ///
    /// Only the tty layer calls this, through the operations table, with a valid tty (and the
    /// discipline open on it, except for `open`) and pointers valid as `tty_ldisc_ops` says.
    unsafe extern "C" fn flush_buffer_callback(tty: *mut bindings::tty_struct) {
        // SAFETY: The tty layer calls this only with the discipline open on a valid tty.
        unsafe { Self::state(tty).flush_buffer(Tty::from_raw(tty)) };
    }

    /// Called by `tty_read()`.
    ///
    /// The cookie only says "call again": it never points to anything, so any non-null value
    /// will do and nothing is kept across calls.
    ///
    /// # Safety
    ///
    /// Only the tty layer calls this, through the operations table, with a valid tty (and the
    /// discipline open on it, except for `open`) and pointers valid as `tty_ldisc_ops` says.
    unsafe extern "C" fn read_callback(
        tty: *mut bindings::tty_struct,
        file: *mut bindings::file,
        buf: *mut u8,
        nr: usize,
        cookie: *mut *mut ffi::c_void,
        _offset: ffi::c_ulong,
    ) -> isize {
        // SAFETY: `tty_read()` passes a valid tty with the discipline open, a valid file, a
        // kernel buffer of `nr` bytes nothing else touches in the call, and a valid cookie pointer.
        unsafe {
            let continuation = !(*cookie).is_null();
            *cookie = core::ptr::null_mut();
            let buf = core::slice::from_raw_parts_mut(buf, nr);
            let state = Self::state(tty);
            match state.read(
                Tty::from_raw(tty),
                TtyFile::from_raw(file),
                buf,
                continuation,
            ) {
                Ok(chunk) => {
                    if chunk.more {
                        *cookie = core::ptr::NonNull::<ffi::c_void>::dangling().as_ptr();
                    }
                    chunk.copied as isize
                }
                Err(e) => e.to_errno() as isize,
            }
        }
    }

    /// Called by `tty_write()`.
    ///
    /// # Safety
    ///
    /// Only the tty layer calls this, through the operations table, with a valid tty (and the
    /// discipline open on it, except for `open`) and pointers valid as `tty_ldisc_ops` says.
    unsafe extern "C" fn write_callback(
        tty: *mut bindings::tty_struct,
        file: *mut bindings::file,
        buf: *const u8,
        nr: usize,
    ) -> isize {
        // SAFETY: `tty_write()` passes a valid tty with the discipline open, a valid file, and
        // a kernel buffer of `nr` readable bytes.
        unsafe {
            let buf = core::slice::from_raw_parts(buf, nr);
            match Self::state(tty).write(Tty::from_raw(tty), TtyFile::from_raw(file), buf) {
                Ok(n) => n as isize,
                Err(e) => e.to_errno() as isize,
            }
        }
    }

    /// Called by `tty_ioctl()`.
    ///
    /// # Safety
    ///
    /// Only the tty layer calls this, through the operations table, with a valid tty (and the
    /// discipline open on it, except for `open`) and pointers valid as `tty_ldisc_ops` says.
    unsafe extern "C" fn ioctl_callback(
        tty: *mut bindings::tty_struct,
        cmd: ffi::c_uint,
        arg: ffi::c_ulong,
    ) -> ffi::c_int {
        // SAFETY: Called by `tty_ioctl()` with the discipline open on a valid tty.
        match unsafe { Self::state(tty).ioctl(Tty::from_raw(tty), cmd, arg) } {
            Ok(v) => v,
            Err(e) => e.to_errno(),
        }
    }

    /// Called by `tty_set_termios()`.
    ///
    /// # Safety
    ///
    /// Only the tty layer calls this, through the operations table, with a valid tty (and the
    /// discipline open on it, except for `open`) and pointers valid as `tty_ldisc_ops` says.
    unsafe extern "C" fn set_termios_callback(
        tty: *mut bindings::tty_struct,
        old: *const bindings::ktermios,
    ) {
        if old.is_null() {
            return;
        }
        // SAFETY: Called by `tty_set_termios()` with the discipline open on a valid tty and a
        // valid previous termios.
        unsafe { Self::state(tty).set_termios(Tty::from_raw(tty), &*old) };
    }

    /// Called by `tty_poll()`.
    ///
    /// # Safety
    ///
    /// Only the tty layer calls this, through the operations table, with a valid tty (and the
    /// discipline open on it, except for `open`) and pointers valid as `tty_ldisc_ops` says.
    unsafe extern "C" fn poll_callback(
        tty: *mut bindings::tty_struct,
        file: *mut bindings::file,
        table: *mut bindings::poll_table_struct,
    ) -> bindings::__poll_t {
        let table = PollTable { file, table };
        // SAFETY: Called by `tty_poll()` with the discipline open on a valid tty and a valid
        // file.
        unsafe { Self::state(tty).poll(Tty::from_raw(tty), TtyFile::from_raw(file), &table) }
    }

    /// Called by `tty_wakeup()`, possibly in interrupt context.
    ///
    /// # Safety
    ///
    /// Only the tty layer calls this, through the operations table, with a valid tty (and the
    /// discipline open on it, except for `open`) and pointers valid as `tty_ldisc_ops` says.
    unsafe extern "C" fn write_wakeup_callback(tty: *mut bindings::tty_struct) {
        // SAFETY: Called by `tty_wakeup()` with the discipline open on a valid tty.
        unsafe { Self::state(tty).write_wakeup(Tty::from_raw(tty)) };
    }

    /// Turns the flip buffer's character and flag pointers into slices.
    ///
    /// # Safety
    ///
    /// `cp` must be valid for `count` bytes, and `fp` too unless it is null, for `'a`.
    unsafe fn flip_slices<'a>(
        cp: *const u8,
        fp: *const u8,
        count: usize,
    ) -> (&'a [u8], Option<&'a [u8]>) {
        // SAFETY: The caller's promise.
        unsafe {
            let data = core::slice::from_raw_parts(cp, count);
            let flags = if fp.is_null() {
                None
            } else {
                Some(core::slice::from_raw_parts(fp, count))
            };
            (data, flags)
        }
    }

    /// Called by the flip-buffer worker with received bytes.
    ///
    /// # Safety
    ///
    /// Only the tty layer calls this, through the operations table, with a valid tty (and the
    /// discipline open on it, except for `open`) and pointers valid as `tty_ldisc_ops` says.
    unsafe extern "C" fn receive_buf2_callback(
        tty: *mut bindings::tty_struct,
        cp: *const u8,
        fp: *const u8,
        count: usize,
    ) -> usize {
        // SAFETY: The flip-buffer worker passes `count` readable bytes at `cp` and, when `fp`
        // is not null, as many flag bytes at `fp`; the discipline is open on the valid tty.
        unsafe {
            let (data, flags) = Self::flip_slices(cp, fp, count);
            Self::state(tty).receive(Tty::from_raw(tty), data, flags)
        }
    }

    /// Called by `tiocsti()` with the byte it pushes into the input.
    ///
    /// # Safety
    ///
    /// Only the tty layer calls this, through the operations table, with a valid tty (and the
    /// discipline open on it, except for `open`) and pointers valid as `tty_ldisc_ops` says.
    unsafe extern "C" fn receive_buf_callback(
        tty: *mut bindings::tty_struct,
        cp: *const u8,
        fp: *const u8,
        count: usize,
    ) {
        // SAFETY: As for `receive_buf2_callback` (`tiocsti()` passes one byte and no flags).
        unsafe {
            let (data, flags) = Self::flip_slices(cp, fp, count);
            Self::state(tty).receive_unflowed(Tty::from_raw(tty), data, flags)
        }
    }

    /// Called by the flip-buffer worker with bytes the discipline could not take yet.
    ///
    /// # Safety
    ///
    /// Only the tty layer calls this, through the operations table, with a valid tty (and the
    /// discipline open on it, except for `open`) and pointers valid as `tty_ldisc_ops` says.
    unsafe extern "C" fn lookahead_buf_callback(
        tty: *mut bindings::tty_struct,
        cp: *const u8,
        fp: *const u8,
        count: usize,
    ) {
        // SAFETY: As for `receive_buf2_callback`.
        unsafe {
            let (data, flags) = Self::flip_slices(cp, fp, count);
            Self::state(tty).lookahead(Tty::from_raw(tty), data, flags)
        }
    }
}

impl<T: LineDiscipline> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: `ops` is registered (type invariant), and no tty uses it: each one holds a
        // module reference, so none is left when the module, and this registration, goes away.
        unsafe { bindings::tty_unregister_ldisc(&*self.ops) };
    }
}
