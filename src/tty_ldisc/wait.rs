// SPDX-License-Identifier: GPL-2.0

//! Sleeping on a tty's wait queues: a [`Waiter`] for `read` and `write`, and the
//! [`PollTable`] of `poll`.
//!
//! C header: [`include/linux/wait.h`](srctree/include/linux/wait.h)

use super::Tty;
use super::TtyFile;
use crate::bindings;
use core::cell::Cell;
use core::marker::PhantomData;
use core::ptr::addr_of;
use core::ptr::addr_of_mut;
use kernel::ffi;
use kernel::prelude::*;
use kernel::sync::barrier::{smp_mb, Full};
use kernel::types::Opaque;

/// One of the two wait queues of a tty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TtyWaitQueue {
    /// `tty->read_wait`: readers, and pollers for input.
    Read,
    /// `tty->write_wait`: writers, and pollers for output room.
    Write,
}

impl Tty {
    /// Whether anyone waits on `queue` (`wq_has_sleeper()`): a full barrier, then a look at
    /// the queue's list.
    ///
    /// The barrier orders the caller's earlier stores (the condition a waiter looks at)
    /// before the look at the list. A waiter pairs with it by a full barrier between adding
    /// itself to the queue and looking at the condition (`poll` after registering: see
    /// [`PollTable::register_both`]), or by taking a lock the caller released after its stores
    /// (a reader or writer looks at the discipline's state under its lock after adding
    /// itself). Either the caller sees the waiter on the list, or the waiter sees the
    /// condition.
    fn has_waiters(&self, queue: TtyWaitQueue) -> bool {
        smp_mb(Full);
        let head = self.wait_queue(queue);
        // SAFETY: The queue is in the tty, valid by the type invariant; only the list head's
        // `next` pointer is read, once, as `list_empty()` does with `READ_ONCE()`.
        unsafe {
            let list = addr_of_mut!((*head).head);
            core::ptr::read_volatile(addr_of!((*list).next)) != list
        }
    }

    /// [`Tty::wake_up`] when someone waits on `queue` ([`Tty::has_waiters`]); nothing (not even
    /// the queue's spinlock) otherwise.
    pub(crate) fn wake_up_waiters(&self, queue: TtyWaitQueue, events: u32) {
        if self.has_waiters(queue) {
            self.wake_up(queue, events);
        }
    }
}

/// The current task's entry for a wait queue of a tty (`add_wait_queue()` with
/// `woken_wake_function`, as for `wait_woken()`), added to the queue only when the task is
/// about to sleep: a `read()` that finds input, or a `write()` that finds room, never touches
/// the queue (N_TTY adds its reader and writer at the start of every call: two lock round
/// trips of the queue's spinlock each time).
///
/// Create it pinned on the stack with [`pin_init::stack_pin_init!`] and [`Waiter::new`];
/// dropping it removes the entry from the queue if it is there.
///
/// # Invariants
///
/// `queue` is a wait queue of a tty that is valid for `'a`. While `registered` is true,
/// `entry` is initialised for the current task and on `queue`, until the value is dropped;
/// while it is false, `entry` is on no queue.
#[pin_data(PinnedDrop)]
pub(crate) struct Waiter<'a> {
    #[pin]
    entry: Opaque<bindings::wait_queue_entry>,
    queue: *mut bindings::wait_queue_head,
    registered: Cell<bool>,
    _tty: PhantomData<&'a Tty>,
}

impl<'a> Waiter<'a> {
    /// The current task's entry for `queue` of `tty`, not on the queue yet (and not set up
    /// until [`Waiter::register`]: a read that finds input never pays for it).
    pub(crate) fn new(tty: &'a Tty, queue: TtyWaitQueue) -> impl PinInit<Self> + 'a {
        let queue = tty.wait_queue(queue);
        pin_init!(Self {
            // INVARIANT: Not on `queue` (`registered` is false), which is in `tty` and so
            // valid for `'a`; the entry is set up when it is added.
            entry: Opaque::uninit(),
            queue,
            registered: Cell::new(false),
            _tty: PhantomData,
        })
    }

    /// Adds the entry to the queue now, before the caller's last look at its condition: the
    /// next [`Waiter::sleep`] then sleeps, unless a wake-up came since, rather than returning
    /// at once for another look. Returns whether it was added now (false: it was on the
    /// queue already).
    ///
    /// Context: process context; takes the queue's spinlock. Not with a spinlock held that a
    /// waker takes while it holds the queue's (a mutex, such as the discipline's state lock,
    /// is fine: no waker sleeps on one under the queue's spinlock).
    pub(crate) fn register(&self) -> bool {
        let add = !self.registered.get();
        if add {
            let entry = self.entry.get();
            // INVARIANT: Set up for the current task and on the queue from here, and
            // `registered` says so.
            // The wrapper sets the entry up for the current task with `woken_wake_function`,
            // which `wait_woken()` requires, and adds it to the queue.
            // SAFETY: The entry is pinned and on no queue (type invariant), so it may be
            // written; `queue` is a valid wait queue.
            unsafe { bindings::n_rust_add_woken_wait(self.queue, entry) };
            self.registered.set(true);
        }
        add
    }

    /// Sleeps until woken, a signal arrives or `timeout` jiffies pass; returns the jiffies
    /// left (`wait_woken()`). A wake-up between registering and sleeping is not lost.
    ///
    /// The first call only adds the entry to the queue and returns `timeout` at once,
    /// without sleeping: the caller looks at its condition again, now that a wake-up cannot
    /// be missed, and calls again to sleep. (The add takes the queue's spinlock, which orders
    /// it before that look, as a waker's wake-up takes the same lock.)
    ///
    /// Context: process context; sleeps. Must not be called with a lock held that a waker
    /// takes (the discipline's state lock).
    pub(crate) fn sleep(&self, timeout: ffi::c_long) -> ffi::c_long {
        if self.register() {
            return timeout;
        }
        // SAFETY: By the type invariant `entry` is registered on its queue for the current
        // task.
        unsafe { bindings::wait_woken(self.entry.get(), bindings::TASK_INTERRUPTIBLE, timeout) }
    }
}

#[pinned_drop]
impl PinnedDrop for Waiter<'_> {
    fn drop(self: Pin<&mut Self>) {
        if self.registered.get() {
            // SAFETY: By the type invariant the entry is on `queue`, which is still valid.
            unsafe { bindings::remove_wait_queue(self.queue, self.entry.get()) };
        }
    }
}

/// The `poll_table` of one call of the `poll` operation on a tty.
///
/// # Invariants
///
/// `file` and `table` are the valid arguments of a `poll` call on `tty` that lasts `'a`
/// (`table` may be null).
pub(crate) struct PollTable<'a> {
    tty: &'a Tty,
    file: *mut bindings::file,
    table: *mut bindings::poll_table_struct,
}

impl<'a> PollTable<'a> {
    /// Wraps the `poll_table` of a `poll` call.
    ///
    /// # Safety
    ///
    /// `table` must be null or the valid `poll_table` of a `poll` call on `tty` through `file`
    /// that lasts `'a`.
    pub(super) unsafe fn from_raw(
        tty: &'a Tty,
        file: &'a TtyFile,
        table: *mut bindings::poll_table_struct,
    ) -> Self {
        // INVARIANT: The caller's promise.
        Self {
            tty,
            file: file.as_raw(),
            table,
        }
    }

    /// Registers the poll on both wait queues of the tty (`poll_wait` on the read queue,
    /// then on the write queue), then one full barrier, so that what the caller looks at
    /// next is read after both registrations are visible: a waker that skips an empty queue
    /// ([`Tty::wake_up_waiters`]) then either sees these registrations or made its
    /// condition visible before. Does not sleep.
    pub(crate) fn register_both(&self) {
        for queue in [TtyWaitQueue::Read, TtyWaitQueue::Write] {
            // The queue is in the tty, which outlives its poll registrations (emptied on
            // hangup and release).
            // SAFETY: `file` and `table` are valid during the poll call (type invariant).
            unsafe { bindings::poll_wait(self.file, self.tty.wait_queue(queue), self.table) };
        }
        smp_mb(Full);
    }
}
