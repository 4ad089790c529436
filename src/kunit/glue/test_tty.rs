// SPDX-License-Identifier: GPL-2.0

//! A tty made inside the kernel for the `n_rust_glue` suite: a one-line test tty driver
//! (device node `/dev/nrust_kunit`, created by devtmpfs) whose output is recorded and whose
//! input goes through the port's flip buffers, opened as a file with `filp_open`.
//!
//! Reads and writes go through the file (`kernel_read`, `kernel_write`), so through the tty
//! layer's `tty_read` (the cookie protocol, a 64-byte bounce buffer) and `tty_write`; termios
//! changes through `tty_set_termios` and flushes through `tty_perform_flush`, as the ioctls
//! do. Only one [`TestTty`] exists at a time (KUnit runs the cases one after the other).

use crate::bindings;
use core::ffi::{c_int, c_uint};
use core::ptr;
use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use kernel::error::{from_err_ptr, to_result};
use kernel::prelude::*;
use kernel::str::BStr;

/// The device node of the test tty (the driver's name: `TTY_DRIVER_UNNUMBERED_NODE`).
const NODE: &CStr = c"/dev/nrust_kunit";

/// Bytes of driver output the record keeps.
const RECORD_SIZE: usize = 512;

/// What the driver's `write` was given, in order: writes are serialised by the tty layer
/// and the discipline's output lock, and the test reads it only after the writes returned.
static RECORD: [AtomicU8; RECORD_SIZE] = [const { AtomicU8::new(0) }; RECORD_SIZE];

/// How many bytes `write` was given since the record was cleared (may exceed the record).
static RECORDED: AtomicUsize = AtomicUsize::new(0);

/// `tty_operations::open`: nothing to start.
extern "C" fn test_open(_tty: *mut bindings::tty_struct, _file: *mut bindings::file) -> c_int {
    0
}

/// `tty_operations::close`: nothing to stop.
extern "C" fn test_close(_tty: *mut bindings::tty_struct, _file: *mut bindings::file) {}

/// `tty_operations::write`: records the bytes and takes them all.
///
/// # Safety
///
/// `buf` is valid for reading `count` bytes, as the tty layer passes it.
unsafe extern "C" fn test_write(
    _tty: *mut bindings::tty_struct,
    buf: *const u8,
    count: usize,
) -> isize {
    // SAFETY: by the function's safety requirements.
    let bytes = unsafe { core::slice::from_raw_parts(buf, count) };
    let start = RECORDED.load(Ordering::Relaxed);
    for (slot, &byte) in RECORD.iter().skip(start).zip(bytes) {
        slot.store(byte, Ordering::Relaxed);
    }
    RECORDED.store(start + count, Ordering::Release);
    count as isize
}

/// `tty_operations::write_room`: always room.
extern "C" fn test_write_room(_tty: *mut bindings::tty_struct) -> c_uint {
    4096
}

/// This module, the driver's owner.
fn this_module() -> *mut bindings::module {
    <crate::NRustModule as kernel::ModuleMetadata>::THIS_MODULE.as_ptr()
}

/// The driver's operations.
static OPS: bindings::tty_operations = bindings::tty_operations {
    open: Some(test_open),
    close: Some(test_close),
    write: Some(test_write),
    write_room: Some(test_write_room),
    // SAFETY: every other field is an optional function pointer, for which zero is `None`.
    ..unsafe { core::mem::zeroed() }
};

/// The port's operations: none.
// SAFETY: every field is an optional function pointer, for which zero is `None`.
static PORT_OPS: bindings::tty_port_operations = unsafe { core::mem::zeroed() };

/// Opens [`NODE`] (`O_RDWR | O_NOCTTY | O_NONBLOCK`), looked up from user space's root.
///
/// A kernel thread's root, as a KUnit case's, is an empty file system (nullfs) on Linux 7.x:
/// the lookup runs with `current->fs` set to `userspace_init_fs` meanwhile, as the static
/// inline `scoped_with_init_fs()` does (init's root, where the guest mounted devtmpfs on
/// `/dev`). Returns the file or an `ERR_PTR`.
fn open_node() -> *mut bindings::file {
    let flags = bindings::O_RDWR | bindings::O_NOCTTY | bindings::O_NONBLOCK;
    let task = kernel::task::Task::current_raw().cast::<u8>();
    // `OFFSET_TASK_FS` is the offset of `fs` in `struct task_struct` (clang computed it from
    // the kernel's headers); `userspace_init_fs` is set at boot and never freed.
    // SAFETY: `task` is the current task, alive; only it changes its own `fs`, put back before
    // returning, as `__override_init_fs`/`__revert_init_fs` do; `NODE` is a C string.
    unsafe {
        let fs = task
            .add(bindings::OFFSET_TASK_FS)
            .cast::<*mut bindings::fs_struct>();
        let own = ptr::read_volatile(fs);
        ptr::write_volatile(fs, bindings::userspace_init_fs);
        let file = bindings::filp_open(NODE.as_char_ptr(), flags as c_int, 0);
        ptr::write_volatile(fs, own);
        file
    }
}

/// The test tty: its driver and port, registered, and the tty opened as a file with a given
/// line discipline attached. Dropping it closes the file and unregisters everything.
pub(crate) struct TestTty {
    port: *mut bindings::tty_port,
    driver: *mut bindings::tty_driver,
    registered: bool,
    device: bool,
    file: *mut bindings::file,
    tty: *mut bindings::tty_struct,
}

impl TestTty {
    /// Registers the driver, opens its tty (`O_RDWR | O_NOCTTY | O_NONBLOCK`: a read with
    /// nothing to return gives `EAGAIN` rather than hanging a failed case) and attaches line
    /// discipline `ldisc`. The output record starts empty.
    pub(crate) fn open(ldisc: i32) -> Result<Self> {
        RECORDED.store(0, Ordering::Relaxed);
        let mut this = Self {
            port: ptr::null_mut(),
            driver: ptr::null_mut(),
            registered: false,
            device: false,
            file: ptr::null_mut(),
            tty: ptr::null_mut(),
        };
        let mut port = KBox::<bindings::tty_port>::new_uninit(GFP_KERNEL)?;
        // SAFETY: `port` is valid for writing one `tty_port`; all-zero is what
        // `tty_port_init` expects to start from (drivers allocate ports with `kzalloc`).
        unsafe { ptr::write_bytes(port.as_mut_ptr(), 0, 1) };
        // SAFETY: zeroed above, a valid (if unusable before `tty_port_init`) value.
        this.port = KBox::into_raw(unsafe { port.assume_init() });
        // SAFETY: `this.port` is a valid, zeroed port, initialised once here.
        unsafe {
            bindings::tty_port_init(this.port);
            (*this.port).ops = &PORT_OPS;
        }
        let flags = bindings::tty_driver_flag_TTY_DRIVER_REAL_RAW
            | bindings::tty_driver_flag_TTY_DRIVER_DYNAMIC_DEV
            | bindings::tty_driver_flag_TTY_DRIVER_UNNUMBERED_NODE;
        // SAFETY: one line, owned by this module, which outlives the driver (it is
        // unregistered before the test returns).
        let driver = unsafe { bindings::__tty_alloc_driver(1, this_module(), flags as usize) };
        this.driver = from_err_ptr(driver)?;
        // SAFETY: a freshly allocated, unregistered driver that only this code sees; the
        // names and operations are statics.
        unsafe {
            let d = &mut *this.driver;
            d.driver_name = c"n_rust_kunit".as_char_ptr();
            d.name = c"nrust_kunit".as_char_ptr();
            d.major = 0;
            d.minor_start = 0;
            d.type_ = bindings::tty_driver_type_TTY_DRIVER_TYPE_SERIAL;
            d.subtype = bindings::tty_driver_subtype_SERIAL_TYPE_NORMAL;
            d.init_termios = ptr::read(ptr::addr_of!(bindings::tty_std_termios));
            d.ops = &OPS;
        }
        // SAFETY: the driver is set up above.
        to_result(unsafe { bindings::tty_register_driver(this.driver) })?;
        this.registered = true;
        // SAFETY: the port is initialised, the driver registered, and line 0 exists.
        let device = unsafe {
            bindings::tty_port_register_device(this.port, this.driver, 0, ptr::null_mut())
        };
        from_err_ptr(device)?;
        this.device = true;
        this.file = from_err_ptr(open_node())?;
        // SAFETY: an open tty file's `private_data` is its `tty_file_private`
        // (`file_tty()`), valid while the file is open.
        this.tty = unsafe {
            (*(*this.file)
                .private_data
                .cast::<bindings::tty_file_private>())
            .tty
        };
        // SAFETY: `this.tty` is the open tty of `this.file`.
        to_result(unsafe { bindings::tty_set_ldisc(this.tty, ldisc) })?;
        Ok(this)
    }

    /// Input from the "hardware": `bytes` into the flip buffers, pushed, and the push waited
    /// for, so that the discipline has received them when this returns. Returns how many
    /// bytes the flip buffers took.
    pub(crate) fn receive(&self, bytes: &[u8]) -> usize {
        let normal = bindings::TTY_NORMAL as u8;
        // SAFETY: the port is initialised and linked to the open tty; `bytes` is valid for
        // its length and one flag byte is given for all (`mutable_flags` false).
        unsafe {
            let taken = bindings::__tty_insert_flip_string_flags(
                self.port,
                bytes.as_ptr(),
                &normal,
                false,
                bytes.len(),
            );
            bindings::tty_flip_buffer_push(self.port);
            bindings::flush_work(&mut (*self.port).buf.work);
            taken
        }
    }

    /// `read(2)` of the tty file into `buf`: the count, or a negative errno.
    pub(crate) fn read(&self, buf: &mut [u8]) -> isize {
        let mut pos = 0;
        // SAFETY: the file is open for reading; `buf` is valid for writing its length.
        unsafe { bindings::kernel_read(self.file, buf.as_mut_ptr().cast(), buf.len(), &mut pos) }
    }

    /// `write(2)` of `bytes` to the tty file: the count, or a negative errno.
    pub(crate) fn write(&self, bytes: &[u8]) -> isize {
        let mut pos = 0;
        // SAFETY: the file is open for writing; `bytes` is valid for reading its length.
        unsafe { bindings::kernel_write(self.file, bytes.as_ptr().cast(), bytes.len(), &mut pos) }
    }

    /// `tcsetattr`: the tty's termios changed by `change`, through `tty_set_termios` (which
    /// calls the discipline's `set_termios`).
    pub(crate) fn set_termios(&self, change: impl FnOnce(&mut bindings::ktermios)) -> c_int {
        // SAFETY: the tty is open; nothing else changes its termios during a test.
        let mut termios = unsafe { ptr::read(&(*self.tty).termios) };
        change(&mut termios);
        // SAFETY: the tty is open and `termios` a valid termios.
        unsafe { bindings::tty_set_termios(self.tty, &mut termios) }
    }

    /// `tcflush(arg)` (`TCFLSH`), through `tty_perform_flush`.
    pub(crate) fn flush(&self, arg: u32) -> c_int {
        // SAFETY: the tty is open.
        unsafe { bindings::tty_perform_flush(self.tty, arg as usize) }
    }

    /// Whether the driver was given exactly `expected` since the tty was opened or the last
    /// [`TestTty::clear_output`]; logs what it was given when not.
    pub(crate) fn output_is(&self, expected: &[u8]) -> bool {
        let count = RECORDED.load(Ordering::Acquire);
        let mut got = [0u8; RECORD_SIZE];
        for (byte, slot) in got.iter_mut().zip(&RECORD) {
            *byte = slot.load(Ordering::Relaxed);
        }
        let got = &got[..count.min(RECORD_SIZE)];
        if count == expected.len() && got == expected {
            return true;
        }
        pr_err!(
            "driver output {:?} ({count} bytes), expected {:?}\n",
            BStr::from_bytes(got),
            BStr::from_bytes(expected)
        );
        false
    }

    /// Forgets the output recorded so far.
    pub(crate) fn clear_output(&self) {
        RECORDED.store(0, Ordering::Release);
    }
}

impl Drop for TestTty {
    fn drop(&mut self) {
        // The file is released synchronously (`__fput_sync`: a KUnit case runs in a kernel
        // thread, where `fput` would defer it), so the tty no longer uses the port afterwards.
        // SAFETY: each step undoes one that succeeded in `open`, in reverse order.
        unsafe {
            if !self.file.is_null() {
                bindings::__fput_sync(self.file);
            }
            if self.device {
                bindings::tty_unregister_device(self.driver, 0);
            }
            if self.registered {
                bindings::tty_unregister_driver(self.driver);
            }
            if !self.driver.is_null() {
                bindings::tty_driver_kref_put(self.driver);
            }
            if !self.port.is_null() {
                bindings::tty_port_destroy(self.port);
                drop(KBox::from_raw(self.port));
            }
        }
    }
}
