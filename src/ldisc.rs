// SPDX-License-Identifier: GPL-2.0

//! A safe abstraction over TTY line disciplines (`struct tty_ldisc_ops`).
//!
//! C header: [`include/linux/tty_ldisc.h`](srctree/include/linux/tty_ldisc.h)
//!
//! It follows the shape of `kernel::miscdevice`: a [`LineDiscipline`] trait whose methods are
//! the operations, a [`Registration`] that registers the operations table and unregisters it
//! when dropped, and a table of `unsafe extern "C"` adapters. The adapters are the only place
//! where raw `tty_struct` pointers turn into references; the discipline itself is safe Rust.

use crate::bindings;
use core::marker::PhantomData;
use core::pin::Pin;
use kernel::error::from_result;
use kernel::ffi;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::types::Opaque;
use kernel::ThisModule;

/// Bit number of `TTY_OTHER_CLOSED` in `tty_struct::flags` (`include/linux/tty.h`).
const TTY_OTHER_CLOSED_BIT: i32 = bindings::TTY_OTHER_CLOSED;

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

    /// The termios of `tty` changed; `old` is the previous one.
    fn set_termios(&self, _tty: &Tty, _old: &bindings::ktermios) {}

    /// Report readiness of `tty` for `file`, registering on the wait queues through `table`.
    fn poll(&self, tty: &Tty, file: &TtyFile, table: &PollTable) -> u32;

    /// The tty was hung up.
    fn hangup(&self, _tty: &Tty) {}

    /// Bytes arrived from the driver, with per-byte `TTY_*` flags when `flags` is `Some`.
    /// Returns how many bytes were taken; the rest stays in the flip buffer until the
    /// discipline asks for it again with [`Tty::restart_input`].
    fn receive(&self, tty: &Tty, data: &[u8], flags: Option<&[u8]>) -> usize;

    /// The driver has room for output again.
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

    /// The queue that readers of this tty sleep on.
    pub(crate) fn read_wait(&self) -> *mut bindings::wait_queue_head {
        // SAFETY: By the type invariant the tty is valid; only the field address is taken.
        unsafe { core::ptr::addr_of_mut!((*self.as_raw()).read_wait) }
    }

    /// The queue that writers of this tty sleep on.
    pub(crate) fn write_wait(&self) -> *mut bindings::wait_queue_head {
        // SAFETY: By the type invariant the tty is valid; only the field address is taken.
        unsafe { core::ptr::addr_of_mut!((*self.as_raw()).write_wait) }
    }

    /// Wakes readers sleeping in `read` or `poll` (`wake_up_interruptible_poll`).
    pub(crate) fn wake_readers(&self) {
        wake_up_poll(self.read_wait(), bindings::EPOLLIN | bindings::EPOLLRDNORM);
    }

    /// Wakes writers sleeping in `write` or `poll`.
    pub(crate) fn wake_writers(&self) {
        wake_up_poll(self.write_wait(), bindings::EPOLLOUT);
    }

    /// Whether the other end of a pty pair has closed (`TTY_OTHER_CLOSED`).
    pub(crate) fn other_side_closed(&self) -> bool {
        // SAFETY: By the type invariant the tty is valid. `flags` is changed with atomic bit
        // operations; a volatile word read is what `test_bit()` does.
        let flags =
            unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*self.as_raw()).flags)) };
        flags & (1 << TTY_OTHER_CLOSED_BIT) != 0
    }

    /// Whether this tty is one end of a pty pair.
    pub(crate) fn is_pty(&self) -> bool {
        // SAFETY: By the type invariant the tty is valid, and so is its driver.
        unsafe { (*(*self.as_raw()).driver).type_ == bindings::tty_driver_type_TTY_DRIVER_TYPE_PTY }
    }

    /// Wakes the writer of the other end of a pty pair (`tty_wakeup(tty->link)`). A pty
    /// master's writer sleeps until the slave's discipline says it has read, which is what
    /// N_TTY does when its buffer drains.
    pub(crate) fn wake_link_writer(&self) {
        // SAFETY: By the type invariant the tty is valid; `link` of a pty is the other end,
        // which lives as long as this one.
        unsafe {
            let link = (*self.as_raw()).link;
            if !link.is_null() {
                bindings::tty_wakeup(link);
            }
        }
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
        // SAFETY: By the type invariant the tty and its driver operations are valid; every
        // tty driver has a `write` operation (checked by `tty_register_driver` users).
        let written = unsafe {
            let ops = (*self.as_raw()).ops;
            match (*ops).write {
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

    /// Asks the flip-buffer worker to deliver input it held back because the discipline had
    /// no room. This is what the unexported `tty_buffer_restart_work()` does: queue the port's
    /// flip work on the port's flip workqueue, or on `system_dfl_wq` when it has none.
    pub(crate) fn restart_input(&self) {
        // SAFETY: By the type invariant the tty is valid; a tty with a discipline attached has
        // its port set, and the port's `buf.work` is initialised for the port's lifetime.
        // `flip_wq` is read once, as `READ_ONCE()` does in `tty_buffer_queue_work()`.
        unsafe {
            let port = (*self.as_raw()).port;
            if port.is_null() {
                return;
            }
            let buf = core::ptr::addr_of_mut!((*port).buf);
            let mut queue = core::ptr::read_volatile(core::ptr::addr_of!((*buf).flip_wq));
            if queue.is_null() {
                queue = bindings::system_dfl_wq;
            }
            bindings::queue_work_on(
                bindings::wq_misc_consts_WORK_CPU_UNBOUND as ffi::c_int,
                queue,
                core::ptr::addr_of_mut!((*buf).work),
            );
        }
    }
}

/// Calls `__wake_up(queue, TASK_INTERRUPTIBLE, 1, key)` like `wake_up_interruptible_poll()`.
fn wake_up_poll(queue: *mut bindings::wait_queue_head, events: u32) {
    // SAFETY: `queue` is a wait queue inside a valid tty. The key is the event mask cast to a
    // pointer, as `poll_to_key()` does.
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
        let flags =
            unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*self.0.get()).f_flags)) };
        flags & bindings::O_NONBLOCK != 0
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
        // SAFETY: `file` and `table` come from the tty layer's poll call and are valid during
        // it; `queue` lies in the tty, which outlives every poll registration on it (the tty
        // layer wakes and empties it on hangup and release).
        unsafe { bindings::poll_wait(self.file, queue, self.table) };
    }
}

/// Sleeps on `queue` until `ready` returns `Some`, a signal arrives (`ERESTARTSYS`) or `stop`
/// returns an error. `ready` and `stop` are checked after registering on the queue, so a
/// wake-up between the check and the sleep is not lost (`wait_woken()`).
pub(crate) fn wait_interruptible<R>(
    queue: *mut bindings::wait_queue_head,
    mut ready: impl FnMut() -> Result<Option<R>>,
) -> Result<R> {
    let mut entry = core::mem::MaybeUninit::<bindings::wait_queue_entry>::zeroed();
    let entry = entry.as_mut_ptr();
    // SAFETY: `entry` is a local that does not move until it is removed from the queue below;
    // `init_wait` initialises it for the current task, and `woken_wake_function` is the wake
    // function `wait_woken()` requires.
    unsafe {
        bindings::init_wait(entry);
        (*entry).func = Some(bindings::woken_wake_function);
        bindings::add_wait_queue(queue, entry);
    }
    let result = loop {
        match ready() {
            Ok(Some(value)) => break Ok(value),
            Ok(None) => {}
            Err(e) => break Err(e),
        }
        if kernel::current!().signal_pending() {
            break Err(ERESTARTSYS);
        }
        // SAFETY: `entry` is on `queue` and initialised for the current task.
        unsafe {
            bindings::wait_woken(
                entry,
                bindings::TASK_INTERRUPTIBLE,
                bindings::MAX_SCHEDULE_TIMEOUT as ffi::c_long,
            )
        };
    };
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
            hangup: Some(Self::hangup_callback),
            receive_buf: None,
            write_wakeup: Some(Self::write_wakeup_callback),
            dcd_change: None,
            receive_buf2: Some(Self::receive_buf2_callback),
            lookahead_buf: None,
            owner: module.as_ptr().cast(),
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

    unsafe extern "C" fn flush_buffer_callback(tty: *mut bindings::tty_struct) {
        // SAFETY: The tty layer calls this only with the discipline open on a valid tty.
        unsafe { Self::state(tty).flush_buffer(Tty::from_raw(tty)) };
    }

    unsafe extern "C" fn read_callback(
        tty: *mut bindings::tty_struct,
        file: *mut bindings::file,
        buf: *mut u8,
        nr: usize,
        cookie: *mut *mut ffi::c_void,
        _offset: ffi::c_ulong,
    ) -> isize {
        // SAFETY: `tty_read()` passes a valid tty with the discipline open, a valid file, a
        // kernel buffer of `nr` bytes that nothing else touches during the call, and its
        // cookie. The cookie only says "call again": it never points to anything, so any
        // non-null value will do and nothing is kept across calls.
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
                    if chunk.more && chunk.copied > 0 {
                        *cookie = core::ptr::NonNull::<ffi::c_void>::dangling().as_ptr();
                    }
                    chunk.copied as isize
                }
                Err(e) => e.to_errno() as isize,
            }
        }
    }

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

    unsafe extern "C" fn ioctl_callback(
        tty: *mut bindings::tty_struct,
        cmd: ffi::c_uint,
        arg: ffi::c_ulong,
    ) -> ffi::c_int {
        // SAFETY: Called by `tty_ioctl()` with the discipline open on a valid tty.
        match unsafe { Self::state(tty).ioctl(Tty::from_raw(tty), cmd, arg as usize) } {
            Ok(v) => v,
            Err(e) => e.to_errno(),
        }
    }

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

    unsafe extern "C" fn hangup_callback(tty: *mut bindings::tty_struct) {
        // SAFETY: Called by the tty layer with the discipline open on a valid tty.
        unsafe { Self::state(tty).hangup(Tty::from_raw(tty)) };
    }

    unsafe extern "C" fn write_wakeup_callback(tty: *mut bindings::tty_struct) {
        // SAFETY: Called by `tty_wakeup()` with the discipline open on a valid tty.
        unsafe { Self::state(tty).write_wakeup(Tty::from_raw(tty)) };
    }

    unsafe extern "C" fn receive_buf2_callback(
        tty: *mut bindings::tty_struct,
        cp: *const u8,
        fp: *const u8,
        count: usize,
    ) -> usize {
        // SAFETY: The flip-buffer worker passes `count` readable bytes at `cp` and, when `fp`
        // is not null, as many flag bytes at `fp`; the discipline is open on the valid tty.
        unsafe {
            let data = core::slice::from_raw_parts(cp, count);
            let flags = if fp.is_null() {
                None
            } else {
                Some(core::slice::from_raw_parts(fp, count))
            };
            Self::state(tty).receive(Tty::from_raw(tty), data, flags)
        }
    }
}

impl<T: LineDiscipline> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `ops` is registered. The module refcount the tty layer
        // takes for every tty using the discipline means no tty uses it any more when the
        // module (and so this registration) goes away.
        unsafe { bindings::tty_unregister_ldisc(&*self.ops) };
    }
}
