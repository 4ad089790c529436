// SPDX-License-Identifier: GPL-2.0

//! Build-time checks that the structure layouts n_rust reads through `kernel::bindings`
//! agree with the kernel's own, as clang computed them for `include/n_rust_tty.h`.
//!
//! A mismatch fails the build instead of reading the wrong field at run time. The kernel
//! crate's `task_struct` does not pass such a check on the test kernel (its `signal` field
//! comes out 48 bytes early), which is why `crate::task` reads task fields by offset.

use crate::bindings;
use core::mem::{offset_of, size_of};

const _: () = {
    assert!(offset_of!(bindings::file, f_flags) == bindings::OFFSET_FILE_F_FLAGS);
    assert!(offset_of!(bindings::file, f_inode) == bindings::OFFSET_FILE_F_INODE);
    assert!(offset_of!(bindings::file, private_data) == bindings::OFFSET_FILE_PRIVATE_DATA);
    assert!(offset_of!(bindings::inode, i_rdev) == bindings::OFFSET_INODE_I_RDEV);
    assert!(offset_of!(bindings::wait_queue_entry, func) == bindings::OFFSET_WAIT_ENTRY_FUNC);
    assert!(size_of::<bindings::wait_queue_entry>() == bindings::SIZEOF_WAIT_ENTRY);
};
