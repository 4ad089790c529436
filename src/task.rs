// SPDX-License-Identifier: GPL-2.0

//! What job control needs to know about tasks, read by field offset.
//!
//! `__tty_check_change()` and `is_current_pgrp_orphaned()` look at `task_struct`,
//! `signal_struct` and `sighand_struct` fields that no exported function returns. The kernel
//! crate's generated `task_struct` layout is wrong on this configuration (see
//! `src/layout.rs`), so these fields are reached through offsets that clang computed from the
//! kernel's headers (`include/n_rust_tty.h`), which cannot disagree with the kernel.

use crate::bindings;
use core::ptr::read_volatile;
use core::ptr::NonNull;
use kernel::ffi;

/// Reads the `T` at `offset` bytes into the structure at `base`.
///
/// # Safety
///
/// `base` must point to a live structure with a `T` field at `offset`.
unsafe fn field<T: Copy>(base: *const ffi::c_void, offset: ffi::c_ulong) -> T {
    // SAFETY: The caller's promise; a volatile read, as the kernel's `READ_ONCE()`.
    unsafe { read_volatile(base.cast::<u8>().add(offset).cast::<T>()) }
}

/// Whether a signal is pending for the running task (`signal_pending(current)`), as a
/// sleeping `read()` or `write()` asks before it sleeps again: one call of our C wrapper,
/// where the kernel crate's `current!().signal_pending()` makes two.
pub(crate) fn current_signal_pending() -> bool {
    // SAFETY: The wrapper only reads the running task's thread flags.
    unsafe { bindings::n_rust_signal_pending() }
}

/// `TASK_COMM_LEN`, the size of `task_struct::comm`.
#[cfg(CONFIG_AUDIT)]
pub(crate) const TASK_COMM_LEN: usize = 16;

/// A task, by raw pointer. Only used while the task is known to be alive: the current
/// task, or a task found under `rcu_read_lock()`.
#[derive(Clone, Copy)]
pub(crate) struct TaskPtr(*const ffi::c_void);

impl TaskPtr {
    /// The running task.
    pub(crate) fn current() -> Self {
        Self(kernel::task::Task::current_raw().cast())
    }

    /// `task->signal`.
    fn signal(self) -> *const ffi::c_void {
        // SAFETY: `self` is a live task (type-level promise), whose `signal` is set for its
        // whole life.
        unsafe { field(self.0, bindings::OFFSET_TASK_SIGNAL) }
    }

    /// `task->signal->tty`: the address of the controlling tty, to compare with a tty's; it
    /// is never dereferenced.
    pub(crate) fn controlling_tty(self) -> *const bindings::tty_struct {
        // SAFETY: `signal` of a live task is valid.
        unsafe { field(self.signal(), bindings::OFFSET_SIGNAL_TTY) }
    }

    /// `task->signal->audit_tty`: the process's TTY auditing bits (`AUDIT_TTY_ENABLE`,
    /// `AUDIT_TTY_LOG_PASSWD`), read once, as `tty_audit_add_data()` reads it.
    #[cfg(CONFIG_AUDIT)]
    pub(crate) fn audit_tty(self) -> u32 {
        // SAFETY: `signal` of a live task is valid; the field is an `unsigned int` (its size
        // is checked in `crate::layout`), changed with `xchg` by `AUDIT_TTY_SET`.
        unsafe { field(self.signal(), bindings::OFFSET_SIGNAL_AUDIT_TTY) }
    }

    /// The process id (`task->tgid`; the kernel crate's `Task::pid()` reads its field at a
    /// wrong offset on these configurations, as with `signal`).
    #[cfg(CONFIG_AUDIT)]
    pub(crate) fn process_id(self) -> i32 {
        // SAFETY: `self` is a live task; `tgid` never changes.
        unsafe { field(self.0, bindings::OFFSET_TASK_TGID) }
    }

    /// The task's name (`task->comm`), copied (its own thread may rename it meanwhile, as
    /// `get_task_comm()` allows for).
    #[cfg(CONFIG_AUDIT)]
    pub(crate) fn comm(self) -> [u8; TASK_COMM_LEN] {
        // SAFETY: `self` is a live task whose `comm` is `TASK_COMM_LEN` bytes (checked in
        // `crate::layout`); a rename writes it in place, never past its end.
        let mut comm: [u8; TASK_COMM_LEN] = unsafe { field(self.0, bindings::OFFSET_TASK_COMM) };
        comm[TASK_COMM_LEN - 1] = 0;
        comm
    }

    /// `task_pgrp(task)`: the process group, as a `struct pid` (compared, never
    /// dereferenced).
    fn pgrp(self) -> *mut bindings::pid {
        // SAFETY: `signal` of a live task is valid.
        unsafe { field(self.signal(), bindings::OFFSET_SIGNAL_PGID) }
    }

    /// `task_session(task)`.
    fn session(self) -> *mut bindings::pid {
        // SAFETY: `signal` of a live task is valid.
        unsafe { field(self.signal(), bindings::OFFSET_SIGNAL_SID) }
    }

    /// `task->real_parent` (always set; init's parent is the idle task).
    fn real_parent(self) -> TaskPtr {
        // SAFETY: A live task's parent is alive while RCU is held (or for the current task).
        TaskPtr(unsafe { field(self.0, bindings::OFFSET_TASK_REAL_PARENT) })
    }

    /// `task->tgid == 1`: the global init (`is_global_init`).
    fn is_global_init(self) -> bool {
        // SAFETY: `self` is a live task.
        unsafe { field::<i32>(self.0, bindings::OFFSET_TASK_TGID) == 1 }
    }

    /// The task has exited and no other thread of it lives (`exit_state &&
    /// thread_group_empty`, approximated by the thread count of its signal struct).
    fn is_dead(self) -> bool {
        // SAFETY: `self` is a live task (its structure is; it may be a zombie).
        unsafe {
            field::<i32>(self.0, bindings::OFFSET_TASK_EXIT_STATE) != 0
                && field::<i32>(self.signal(), bindings::OFFSET_SIGNAL_NR_THREADS) <= 1
        }
    }

    /// Whether the task blocks `sig` or ignores it (`is_ignored()` in `tty_jobctrl.c`). Read
    /// without the siglock, as `is_ignored()` does.
    pub(crate) fn blocks_or_ignores(self, sig: i32) -> bool {
        let index = (sig - 1) as usize;
        // SAFETY: `self` is the current task (callers only ask it of `current`): `blocked` is
        // its own, `sighand` is valid while it runs, and `action` is laid out as noted below.
        unsafe {
            let blocked: u64 = field(self.0, bindings::OFFSET_TASK_BLOCKED);
            let sighand: *const ffi::c_void = field(self.0, bindings::OFFSET_TASK_SIGHAND);
            // `action` has `_NSIG` entries of `SIZEOF_K_SIGACTION` bytes whose first word is
            // `sa.sa_handler`.
            let handler: usize = field(
                sighand,
                bindings::OFFSET_SIGHAND_ACTION
                    + (index as ffi::c_ulong) * bindings::SIZEOF_K_SIGACTION,
            );
            // SIG_IGN is the handler value 1 (`include/uapi/asm-generic/signal-defs.h`).
            blocked & (1 << index) != 0 || handler == 1
        }
    }

    /// Marks the task as having a signal pending (`set_tsk_thread_flag(TIF_SIGPENDING)`).
    pub(crate) fn set_sigpending(self) {
        // SAFETY: `thread_info.flags` of a live task is changed only with atomic bit
        // operations, which `AtomicUsize` performs.
        unsafe {
            let flags = self.0.cast::<u8>().add(bindings::OFFSET_TASK_TI_FLAGS);
            core::sync::atomic::AtomicUsize::from_ptr(flags.cast_mut().cast()).fetch_or(
                1 << bindings::TIF_SIGPENDING,
                core::sync::atomic::Ordering::SeqCst,
            );
        }
    }
}

/// A counted reference to a `struct pid`, dropped with `put_pid`.
///
/// # Invariants
///
/// The pointer is a valid `struct pid` on which this value holds one reference.
pub(crate) struct Pid(NonNull<bindings::pid>);

impl Pid {
    /// Takes over a counted reference, or `None` for a null pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must be null or a valid `struct pid` whose reference the caller hands over.
    pub(crate) unsafe fn from_counted(ptr: *mut bindings::pid) -> Option<Self> {
        // INVARIANT: The caller hands over the reference to a valid pid.
        NonNull::new(ptr).map(Self)
    }

    /// The process group of the current task (`get_task_pid(current, PIDTYPE_PGID)`).
    pub(crate) fn current_pgrp() -> Option<Self> {
        // SAFETY: The current task is valid; `get_task_pid` returns a counted reference or
        // null.
        unsafe {
            Self::from_counted(bindings::get_task_pid(
                kernel::task::Task::current_raw(),
                bindings::pid_type_PIDTYPE_PGID,
            ))
        }
    }

    /// Sends `signal` to every process of the group this pid names (`kill_pgrp(pid, sig, 1)`).
    pub(crate) fn kill_group(&self, signal: i32) {
        // SAFETY: By the type invariant the pid is valid.
        unsafe { bindings::kill_pgrp(self.0.as_ptr(), signal, 1) };
    }

    /// Whether the process group this pid names is orphaned (`will_become_orphaned_pgrp(pgrp,
    /// NULL)`).
    pub(crate) fn group_is_orphaned(&self) -> bool {
        // SAFETY: By the type invariant the pid is valid for the call.
        unsafe { group_is_orphaned(self.0.as_ptr()) }
    }
}

impl PartialEq for Pid {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Drop for Pid {
    fn drop(&mut self) {
        // SAFETY: By the type invariant this value holds a reference to the pid.
        unsafe { bindings::put_pid(self.0.as_ptr()) };
    }
}

/// `will_become_orphaned_pgrp(pgrp, NULL)`: no member of the group has a parent in another
/// group of the same session (dead members and children of init do not count).
///
/// `tasklist_lock` is not exported; under `rcu_read_lock()` the group's task list and the
/// tasks on it stay valid while they are walked (tasks are freed after a grace period).
///
/// # Safety
///
/// `pgrp` must be valid for the call.
unsafe fn group_is_orphaned(pgrp: *mut bindings::pid) -> bool {
    let mut orphaned = true;
    // SAFETY: `pgrp` is valid (the caller's promise). Under RCU each node of its
    // `tasks[PIDTYPE_PGID]` list is in a live task, found as noted below (`hlist_entry`).
    unsafe {
        bindings::rcu_read_lock();
        let head = pgrp.cast::<u8>().add(bindings::OFFSET_PID_PGID_TASKS);
        // `first` is the only word of an `hlist_head`, and `next` the first of an `hlist_node`.
        let mut node: *const u8 = read_volatile(head.cast::<*const u8>());
        while !node.is_null() {
            // The node is the task's `pid_links[PIDTYPE_PGID]`: subtracting its offset gives
            // the task.
            let task = TaskPtr(node.sub(bindings::OFFSET_TASK_PGID_LINK).cast());
            let parent = task.real_parent();
            if !task.is_dead()
                && !parent.is_global_init()
                && parent.pgrp() != pgrp
                && parent.session() == task.session()
            {
                orphaned = false;
                break;
            }
            node = read_volatile(node.cast::<*const u8>());
        }
        bindings::rcu_read_unlock();
    }
    orphaned
}
