// SPDX-License-Identifier: GPL-2.0

//! Whether a line discipline number is already taken, by anyone.
//!
//! `tty_register_ldisc()` replaces whatever holds a slot without a word, and the table of
//! slots (`tty_ldiscs[]` in `drivers/tty/tty_ldisc.c`) is not visible to modules. What the
//! kernel does show is `/proc/tty/ldiscs`, one line per registered discipline (its name and
//! number), built-in or loaded from a module. n_rust reads it before registering and
//! refuses a number that appears there, naming the holder.
//!
//! A discipline registered between this check and our `tty_register_ldisc()` is not seen:
//! the kernel offers no way to test and take a slot under its lock.

use crate::bindings;
use kernel::prelude::*;

/// The listing of registered disciplines.
const LISTING_PATH: &CStr = c"/proc/tty/ldiscs";

/// Room for the listing: 31 slots of at most `NAME_MAX`-ish names; a real one is < 1 KiB.
const LISTING_CAPACITY: usize = 4096;

/// The name of the discipline registered under `number`, as `listing` (the text of
/// `/proc/tty/ldiscs`: lines `<name> <number>`) shows it.
pub(crate) fn holder_in_listing(listing: &[u8], number: u32) -> Option<&[u8]> {
    listing.split(|&b| b == b'\n').find_map(|line| {
        let mut words = line
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty());
        let name = words.next()?;
        let listed = words.next()?;
        (words.next().is_none() && parse_decimal(listed) == Some(number)).then_some(name)
    })
}

/// A decimal number of ASCII digits, or `None`.
fn parse_decimal(digits: &[u8]) -> Option<u32> {
    core::str::from_utf8(digits).ok()?.parse().ok()
}

/// Why the slot cannot be taken.
pub(crate) enum SlotTaken {
    /// A discipline holds it; its name as `/proc/tty/ldiscs` gives it.
    Held(KVec<u8>),
    /// The listing could not be read, so the slot cannot be known to be free.
    Unknown(Error),
}

impl kernel::fmt::Display for SlotTaken {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Held(name) => write!(
                f,
                "the line discipline \"{}\" holds it (see /proc/tty/ldiscs)",
                core::str::from_utf8(name).unwrap_or("(a name that is not UTF-8)")
            ),
            Self::Unknown(err) => write!(
                f,
                "{} cannot be read ({err:?}), so the slot cannot be checked; mount /proc first",
                LISTING_PATH.to_str().unwrap_or("/proc/tty/ldiscs")
            ),
        }
    }
}

/// Checks that no discipline is registered under `number`.
pub(crate) fn check_slot_free(number: u32) -> Result<(), SlotTaken> {
    let listing = read_listing().map_err(SlotTaken::Unknown)?;
    match holder_in_listing(&listing, number) {
        Some(name) => {
            let mut owned = KVec::new();
            owned
                .extend_from_slice(name, GFP_KERNEL)
                .map_err(|e| SlotTaken::Unknown(e.into()))?;
            Err(SlotTaken::Held(owned))
        }
        None => Ok(()),
    }
}

/// Reads `/proc/tty/ldiscs` whole, in the calling process's file system view (`insmod`'s).
fn read_listing() -> Result<KVec<u8>> {
    let mut listing = KVec::with_capacity(LISTING_CAPACITY, GFP_KERNEL)?;
    listing.resize(LISTING_CAPACITY, 0, GFP_KERNEL)?;
    // SAFETY: the path is a NUL-terminated string; filp_open returns a file or an ERR_PTR.
    let file = kernel::error::from_err_ptr(unsafe {
        bindings::filp_open(LISTING_PATH.as_char_ptr(), bindings::O_RDONLY as i32, 0)
    })?;
    let mut filled = 0usize;
    let mut pos: bindings::loff_t = 0;
    let result = loop {
        let room = &mut listing[filled..];
        if room.is_empty() {
            break Err(EFBIG);
        }
        let (buffer, len) = (room.as_mut_ptr().cast(), room.len());
        // SAFETY: `file` is the open file from filp_open above, not closed yet; `buffer` is
        // `len` writable bytes of `listing`; `pos` is a valid position to update.
        let read = unsafe { bindings::kernel_read(file, buffer, len, &mut pos) };
        match read {
            0 => break Ok(()),
            n if n < 0 => break Err(Error::from_errno(n as i32)),
            n => filled += n as usize,
        }
    };
    // SAFETY: `file` came from filp_open and is closed once, here; no owner id is needed for
    // a file that was never installed in a file table.
    unsafe { bindings::filp_close(file, core::ptr::null_mut()) };
    result?;
    listing.truncate(filled);
    Ok(listing)
}
