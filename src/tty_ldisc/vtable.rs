// SPDX-License-Identifier: GPL-2.0

//! The operations table of a line discipline: a `const` `tty_ldisc_ops` of
//! `unsafe extern "C"` adapters, built at compile time, with only the operations the
//! discipline implements installed. Each adapter turns the tty layer's raw pointers into the
//! safe views of `super` and calls the discipline.

use super::LineDiscipline;
use super::OpeningTty;
use super::PollTable;
use super::ReadContext;
use super::Tty;
use super::TtyFile;
use super::TtyLdiscData;
use crate::bindings;
use core::marker::PhantomData;
use core::pin::Pin;
use core::ptr::NonNull;
use kernel::ffi;
use kernel::prelude::*;

/// The `tty_ldisc_ops` adapters for `T`.
pub(super) struct LdiscVTable<T: LineDiscipline>(PhantomData<T>);

impl<T: LineDiscipline> LdiscVTable<T> {
    /// The operations table; only the operations `T` implements are installed. `name`,
    /// `num` and `owner` are filled in by [`Registration::prepare`].
    pub(super) const VTABLE: bindings::tty_ldisc_ops = bindings::tty_ldisc_ops {
        name: core::ptr::null_mut(),
        num: 0,
        open: Some(Self::open),
        // Always installed: it frees what `open` allocated.
        close: Some(Self::close),
        flush_buffer: if T::HAS_FLUSH_BUFFER {
            Some(Self::flush_buffer)
        } else {
            None
        },
        read: Some(Self::read),
        write: Some(Self::write),
        ioctl: if T::HAS_IOCTL {
            Some(Self::ioctl)
        } else {
            None
        },
        compat_ioctl: None,
        set_termios: if T::HAS_SET_TERMIOS {
            Some(Self::set_termios)
        } else {
            None
        },
        poll: if T::HAS_POLL { Some(Self::poll) } else { None },
        hangup: None,
        receive_buf: if T::HAS_RECEIVE_UNFLOWED {
            Some(Self::receive_buf)
        } else {
            None
        },
        write_wakeup: if T::HAS_WRITE_WAKEUP {
            Some(Self::write_wakeup)
        } else {
            None
        },
        dcd_change: None,
        receive_buf2: Some(Self::receive_buf2),
        lookahead_buf: if T::HAS_LOOKAHEAD {
            Some(Self::lookahead_buf)
        } else {
            None
        },
        owner: core::ptr::null_mut(),
    };

    /// The data `open` stored in `tty->disc_data`.
    ///
    /// # Safety
    ///
    /// `tty` must be valid with this discipline open on it (between `open` and `close`) for
    /// `'a`.
    unsafe fn data<'a>(tty: *mut bindings::tty_struct) -> &'a TtyLdiscData<T> {
        // SAFETY: `open` stored a pinned `VBox<TtyLdiscData<T>>` there, freed only by `close`.
        unsafe { &*(*tty).disc_data.cast::<TtyLdiscData<T>>() }
    }

    /// The discipline state and the tty of an operation.
    ///
    /// # Safety
    ///
    /// As for [`Self::data`].
    unsafe fn discipline<'a>(tty: *mut bindings::tty_struct) -> (&'a T, &'a Tty) {
        // SAFETY: The caller's promise, which includes that the tty is valid for `'a`.
        unsafe { (&Self::data(tty).discipline, Tty::from_raw(tty)) }
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

    /// `open`: called by `tty_ldisc_open()` with `tty_lock` held.
    ///
    /// # Safety
    ///
    /// Only the tty layer calls this, through the operations table, with a valid tty.
    unsafe extern "C" fn open(tty: *mut bindings::tty_struct) -> ffi::c_int {
        // SAFETY: `tty_ldisc_open()` passes a valid tty with `tty_lock` held (or a pty slave
        // just allocated), before any other operation of this discipline runs on it.
        let opening = unsafe { OpeningTty::from_raw(tty) };
        // In whole pages from vmalloc, as N_TTY's `vzalloc` of its state: a discipline's
        // per-tty state with its buffers is several pages, and one allocation holds it all.
        match VBox::pin_init(TtyLdiscData::<T>::new(opening), GFP_KERNEL) {
            Ok(data) => {
                // SAFETY: The box is turned back into a `Pin<VBox<_>>` only in `close`; it is
                // never moved out of.
                let raw = VBox::into_raw(unsafe { Pin::into_inner_unchecked(data) });
                // SAFETY: The tty is valid; `disc_data` belongs to the discipline.
                unsafe { (*tty).disc_data = raw.cast() };
                0
            }
            Err(e) => e.to_errno(),
        }
    }

    /// `close`: called by `tty_ldisc_close()` when the discipline is detached.
    ///
    /// # Safety
    ///
    /// Only the tty layer calls this, through the operations table, with a valid tty on which
    /// `open` succeeded.
    unsafe extern "C" fn close(tty: *mut bindings::tty_struct) {
        // SAFETY: The tty is valid and `open` succeeded on it (the tty layer calls `close`
        // only then); `disc_data` holds the box made by `open`, and no other operation runs.
        let data = unsafe {
            let raw = (*tty).disc_data.cast::<TtyLdiscData<T>>();
            (*tty).disc_data = core::ptr::null_mut();
            Pin::new_unchecked(VBox::from_raw(raw))
        };
        if T::HAS_CLOSE {
            // SAFETY: The tty is valid for the call.
            data.discipline.close(unsafe { Tty::from_raw(tty) });
        }
        drop(data);
    }

    /// `flush_buffer`: called to discard pending input (`TCIFLUSH`, hangup).
    ///
    /// # Safety
    ///
    /// Only the tty layer calls this, through the operations table, with a valid tty with the
    /// discipline open on it.
    unsafe extern "C" fn flush_buffer(tty: *mut bindings::tty_struct) {
        // SAFETY: The tty layer's promise, as above.
        let (discipline, tty) = unsafe { Self::discipline(tty) };
        discipline.flush_buffer(tty);
    }

    /// `read`: called by `tty_read()`, up to 64 bytes at a time.
    ///
    /// The cookie says "call again": it is null on the first call of a `read()`, and this
    /// sets it to the address of the reader lock when the discipline asked to be called again
    /// holding that lock and `termios_rwsem`, or to a dangling non-null pointer when it asked
    /// without them. It is never dereferenced.
    ///
    /// A continuation call that the reader's stage can answer whole, leaving some of it for
    /// the next call ([`ReaderStage::hand_out_ahead`]), is answered here, without a call of
    /// the discipline: the bulk of a long raw `read()`, 64 bytes a call, is only copies.
    ///
    /// # Safety
    ///
    /// Only the tty layer calls this, through the operations table, with a valid tty with the
    /// discipline open on it, a valid file, a kernel buffer of `nr` bytes that nothing else
    /// touches during the call, and a valid cookie pointer.
    unsafe extern "C" fn read(
        tty: *mut bindings::tty_struct,
        file: *mut bindings::file,
        buf: *mut u8,
        nr: usize,
        cookie: *mut *mut ffi::c_void,
        _offset: ffi::c_ulong,
    ) -> isize {
        // SAFETY: The tty layer's promise, as above.
        let data = unsafe { Self::data(tty) };
        // SAFETY: `cookie` is valid for reads during the call.
        if unsafe { *cookie } == Self::read_lock_marker(data) {
            // The cookie is the reader lock's address only when an earlier call of this
            // `read()`, in this task, kept the lock (`read_call`), so this task holds it.
            // SAFETY: This task holds the reader lock (above); no other reference to the
            // stage is alive during this call.
            let stage = unsafe { data.read_lock.stage() };
            // SAFETY: The tty layer's promise, as above: `buf` is `nr` bytes for this call.
            let out = unsafe { core::slice::from_raw_parts_mut(buf, nr) };
            if let Some(copied) = stage.hand_out_ahead(out) {
                // The cookie stays the lock's address: called again, with the locks held.
                return copied as isize;
            }
        }
        // SAFETY: The tty layer's promise, as above.
        unsafe { Self::read_call(tty, file, buf, nr, cookie) }
    }

    /// What the cookie holds while a `read()` keeps the reader lock: the lock's address.
    fn read_lock_marker(data: &TtyLdiscData<T>) -> *mut ffi::c_void {
        core::ptr::from_ref(&data.read_lock)
            .cast_mut()
            .cast::<ffi::c_void>()
    }

    /// [`Self::read`] by the discipline: a first call, or a continuation that the stage does
    /// not answer. Out of line, so that the calls answered by the stage do not set it up.
    ///
    /// # Safety
    ///
    /// As for [`Self::read`].
    #[inline(never)]
    unsafe fn read_call(
        tty: *mut bindings::tty_struct,
        file: *mut bindings::file,
        buf: *mut u8,
        nr: usize,
        cookie: *mut *mut ffi::c_void,
    ) -> isize {
        // SAFETY: The caller's promise, as for `read`.
        let (data, tty, file, buf) = unsafe {
            (
                Self::data(tty),
                Tty::from_raw(tty),
                TtyFile::from_raw(file),
                core::slice::from_raw_parts_mut(buf, nr),
            )
        };
        let lock_marker = Self::read_lock_marker(data);
        // SAFETY: `cookie` is valid for reads and writes during the call.
        let previous = unsafe { core::ptr::replace(cookie, core::ptr::null_mut()) };
        let mut context = ReadContext {
            lock: &data.read_lock,
            tty,
            continuation: !previous.is_null(),
            // `previous` is the lock's address only if this task took the locks in an earlier
            // call of this `read()` and kept them (below).
            locked: previous == lock_marker,
            call_again: false,
        };
        let result = data.discipline.read(tty, file, buf, &mut context);
        // `tty_read()` calls again only after a call that returned bytes.
        if context.call_again && matches!(result, Ok(copied) if copied > 0) {
            let again = if context.locked {
                lock_marker
            } else {
                NonNull::<ffi::c_void>::dangling().as_ptr()
            };
            // SAFETY: As above.
            unsafe { *cookie = again };
        } else {
            // SAFETY: The cookie stays null, so `tty_read()` makes no further call of this
            // `read()`.
            unsafe { context.release() };
        }
        match result {
            Ok(copied) => copied as isize,
            Err(e) => e.to_errno() as isize,
        }
    }

    /// `write`: called by `tty_write()` with a kernel buffer of at most the chunk size.
    ///
    /// # Safety
    ///
    /// Only the tty layer calls this, through the operations table, with a valid tty with the
    /// discipline open on it, a valid file, and a kernel buffer of `nr` readable bytes.
    unsafe extern "C" fn write(
        tty: *mut bindings::tty_struct,
        file: *mut bindings::file,
        buf: *const u8,
        nr: usize,
    ) -> isize {
        // SAFETY: The tty layer's promise, as above.
        let ((discipline, tty), file, buf) = unsafe {
            (
                Self::discipline(tty),
                TtyFile::from_raw(file),
                core::slice::from_raw_parts(buf, nr),
            )
        };
        match discipline.write(tty, file, buf) {
            Ok(n) => n as isize,
            Err(e) => e.to_errno() as isize,
        }
    }

    /// `ioctl`: called by `tty_ioctl()` for commands the tty layer does not handle itself.
    ///
    /// # Safety
    ///
    /// Only the tty layer calls this, through the operations table, with a valid tty with the
    /// discipline open on it.
    unsafe extern "C" fn ioctl(
        tty: *mut bindings::tty_struct,
        cmd: ffi::c_uint,
        arg: ffi::c_ulong,
    ) -> ffi::c_int {
        // SAFETY: The tty layer's promise, as above.
        let (discipline, tty) = unsafe { Self::discipline(tty) };
        match discipline.ioctl(tty, cmd, arg) {
            Ok(v) => v,
            Err(e) => e.to_errno(),
        }
    }

    /// `set_termios`: called by `tty_set_termios()` with `termios_rwsem` held for writing.
    ///
    /// # Safety
    ///
    /// Only the tty layer calls this, through the operations table, with a valid tty with the
    /// discipline open on it and `old` null or valid.
    unsafe extern "C" fn set_termios(
        tty: *mut bindings::tty_struct,
        old: *const bindings::ktermios,
    ) {
        if old.is_null() {
            return;
        }
        // SAFETY: The tty layer's promise, as above.
        let ((discipline, tty), old) = unsafe { (Self::discipline(tty), &*old) };
        discipline.set_termios(tty, old);
    }

    /// `poll`: called by `tty_poll()`.
    ///
    /// # Safety
    ///
    /// Only the tty layer calls this, through the operations table, with a valid tty with the
    /// discipline open on it, a valid file and a valid (or null) poll table.
    unsafe extern "C" fn poll(
        tty: *mut bindings::tty_struct,
        file: *mut bindings::file,
        table: *mut bindings::poll_table_struct,
    ) -> bindings::__poll_t {
        // SAFETY: The tty layer's promise, as above; the poll table is valid for this call.
        unsafe {
            let (discipline, tty) = Self::discipline(tty);
            let file = TtyFile::from_raw(file);
            discipline.poll(tty, file, &PollTable::from_raw(tty, file, table))
        }
    }

    /// `write_wakeup`: called by `tty_wakeup()`, possibly in interrupt context.
    ///
    /// # Safety
    ///
    /// Only the tty layer calls this, through the operations table, with a valid tty with the
    /// discipline open on it.
    unsafe extern "C" fn write_wakeup(tty: *mut bindings::tty_struct) {
        // SAFETY: The tty layer's promise, as above.
        let (discipline, tty) = unsafe { Self::discipline(tty) };
        discipline.write_wakeup(tty);
    }

    /// `receive_buf2`: called by the flip-buffer worker with received bytes.
    ///
    /// # Safety
    ///
    /// Only the tty layer calls this, through the operations table, with a valid tty with the
    /// discipline open on it, `count` readable bytes at `cp` and, unless `fp` is null, as many
    /// flag bytes at `fp`.
    unsafe extern "C" fn receive_buf2(
        tty: *mut bindings::tty_struct,
        cp: *const u8,
        fp: *const u8,
        count: usize,
    ) -> usize {
        // SAFETY: The tty layer's promise, as above.
        let ((discipline, tty), (data, flags)) =
            unsafe { (Self::discipline(tty), Self::flip_slices(cp, fp, count)) };
        discipline.receive(tty, data, flags)
    }

    /// `receive_buf`: called by `tiocsti()` with the byte it pushes into the input.
    ///
    /// # Safety
    ///
    /// As for [`Self::receive_buf2`].
    unsafe extern "C" fn receive_buf(
        tty: *mut bindings::tty_struct,
        cp: *const u8,
        fp: *const u8,
        count: usize,
    ) {
        // SAFETY: The tty layer's promise, as above.
        let ((discipline, tty), (data, flags)) =
            unsafe { (Self::discipline(tty), Self::flip_slices(cp, fp, count)) };
        discipline.receive_unflowed(tty, data, flags);
    }

    /// `lookahead_buf`: called by the flip-buffer worker with bytes the discipline could not
    /// take yet.
    ///
    /// # Safety
    ///
    /// As for [`Self::receive_buf2`].
    unsafe extern "C" fn lookahead_buf(
        tty: *mut bindings::tty_struct,
        cp: *const u8,
        fp: *const u8,
        count: usize,
    ) {
        // SAFETY: The tty layer's promise, as above.
        let ((discipline, tty), (data, flags)) =
            unsafe { (Self::discipline(tty), Self::flip_slices(cp, fp, count)) };
        discipline.lookahead(tty, data, flags);
    }
}
