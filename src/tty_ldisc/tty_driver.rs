// SPDX-License-Identifier: GPL-2.0

//! What a discipline asks of the tty's driver and of the flip-buffer worker: output, flushing,
//! throttling, restarting input, and the tty layer's shared ioctls and job-control check.
//!
//! C header: [`include/linux/tty_driver.h`](srctree/include/linux/tty_driver.h)

use super::Tty;
use crate::bindings;
use core::ptr::addr_of;
use core::ptr::addr_of_mut;
use kernel::ffi;
use kernel::prelude::*;

impl Tty {
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

    /// `tty_put_char()`: one byte through the driver's `put_char`, or its `write`. Returns
    /// how many bytes it took.
    pub(crate) fn put_char(&self, c: u8) -> i32 {
        // SAFETY: By the type invariant the tty and its driver operations are valid.
        unsafe { bindings::tty_put_char(self.as_raw(), c) }
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
    ///
    /// Context: process context; may sleep (takes `throttle_mutex`).
    pub(crate) fn throttle(&self) {
        self.change_throttle(true);
    }

    /// Lets the driver send again (what the unexported `tty_unthrottle_safe()` does). Unlike
    /// the exported `tty_unthrottle()` it does not take `termios_rwsem`, so the discipline
    /// may call it with its own lock held (the tty layer takes `termios_rwsem` before calling
    /// `set_termios`, which takes the discipline's lock).
    ///
    /// Context: process context; may sleep (takes `throttle_mutex`).
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

    /// Wakes the writer of the other end of a pty pair (`tty_wakeup(tty->link)`). A pty
    /// master's writer sleeps until the slave's discipline says it has read, which is what
    /// N_TTY does when its buffer drains.
    pub(crate) fn wake_link_writer(&self) {
        if let Some(link) = self.link() {
            // SAFETY: By the invariant of the link it is valid.
            unsafe { bindings::tty_wakeup(link.as_raw()) };
        }
    }

    /// Asks the flip-buffer worker to deliver input it held back because the discipline had
    /// no room. This is what the unexported `tty_buffer_restart_work()` does: queue the port's
    /// flip work on the port's flip workqueue, or on `system_dfl_wq` when it has none. Does
    /// not sleep.
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
    /// `tty_buffer_flush_work()` does).
    ///
    /// Context: process context; sleeps. Must not be called with the discipline's lock held:
    /// the worker takes it in `receive`.
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
    ///
    /// Context: process context; may sleep. Must not be called with the discipline's lock
    /// held: `TCFLSH` comes back through the discipline's `flush_buffer`.
    pub(crate) fn ioctl_helper(&self, cmd: u32, arg: usize) -> i32 {
        // SAFETY: By the type invariant the tty is valid; the helper checks `arg` itself.
        unsafe { bindings::n_tty_ioctl_helper(self.as_raw(), cmd, arg as ffi::c_ulong) }
    }

    /// The tty's device number (`tty_devnum()`: the driver's major and first minor, plus the
    /// tty's index), in the kernel's `dev_t` encoding.
    pub(crate) fn device_number(&self) -> u32 {
        // SAFETY: By the type invariant the tty and its driver are valid.
        unsafe { bindings::tty_devnum(self.as_raw()) }
    }

    /// `tty_check_change()`: the job-control check for a write with `TOSTOP` (SIGTTOU).
    ///
    /// Context: process context; may sleep.
    pub(crate) fn check_change_for_write(&self) -> Result {
        // SAFETY: By the type invariant the tty is valid.
        kernel::error::to_result(unsafe { bindings::tty_check_change(self.as_raw()) })
    }
}
