//! A userfaultfd over two anonymous pages, the second registered for missing-page faults: a
//! `read` or `write` whose buffer crosses into it stops inside its copy to or from user
//! space (in `copy_to_iter`/`copy_from_iter` of `tty_read`/`tty_write`) until released.

use std::io;

/// `_IOWR(0xAA, nr, size)`.
const fn iowr(nr: u64, size: u64) -> u64 {
    (3 << 30) | (size << 16) | (0xAA << 8) | nr
}
const UFFD_API: u64 = 0xAA;
const UFFDIO_API: u64 = iowr(0x3F, 24);
const UFFDIO_REGISTER: u64 = iowr(0x00, 32);
const UFFDIO_COPY: u64 = iowr(0x03, 40);
const UFFDIO_REGISTER_MODE_MISSING: u64 = 1;
const UFFD_EVENT_PAGEFAULT: u8 = 0x12;

const PAGE: usize = 4096;

/// The userfaultfd and its two pages.
pub struct Uffd {
    fd: libc::c_int,
    base: *mut u8,
}

// SAFETY: The mapping is owned by the `Uffd` and only handed out as addresses.
unsafe impl Send for Uffd {}
// SAFETY: As above; the fd is used by one thread at a time.
unsafe impl Sync for Uffd {}

impl Uffd {
    /// Maps the pages and registers the second; fails where userfaultfd is not available
    /// (not configured, or not allowed for kernel-mode faults).
    pub fn new() -> io::Result<Uffd> {
        // SAFETY: The syscalls get integer flags and pointers to local structs of the sizes
        // the ioctl numbers encode; the mapping is ours.
        unsafe {
            let fd =
                libc::syscall(libc::SYS_userfaultfd, libc::O_CLOEXEC | libc::O_NONBLOCK) as i32;
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            let mut api = [UFFD_API, 0, 0];
            if libc::ioctl(fd, UFFDIO_API as _, api.as_mut_ptr()) < 0 {
                let e = io::Error::last_os_error();
                libc::close(fd);
                return Err(e);
            }
            let base = libc::mmap(
                std::ptr::null_mut(),
                2 * PAGE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if base == libc::MAP_FAILED {
                let e = io::Error::last_os_error();
                libc::close(fd);
                return Err(e);
            }
            let base = base.cast::<u8>();
            // Touch the first page so that only the second one faults.
            base.write_bytes(0, PAGE);
            let mut reg = [
                base as u64 + PAGE as u64,
                PAGE as u64,
                UFFDIO_REGISTER_MODE_MISSING,
                0,
            ];
            if libc::ioctl(fd, UFFDIO_REGISTER as _, reg.as_mut_ptr()) < 0 {
                let e = io::Error::last_os_error();
                libc::munmap(base.cast(), 2 * PAGE);
                libc::close(fd);
                return Err(e);
            }
            Ok(Uffd { fd, base })
        }
    }

    /// An address `before` bytes ahead of the registered page: a copy of more than that
    /// many bytes stops there.
    pub fn buffer(&self, before: usize) -> usize {
        self.base as usize + PAGE - before
    }

    /// Waits up to `ms` for a fault in the registered page.
    pub fn wait_fault(&self, ms: i32) -> bool {
        let mut p = libc::pollfd {
            fd: self.fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: One valid pollfd; `msg` is 32 bytes, the size of `struct uffd_msg`.
        unsafe {
            if libc::poll(&mut p, 1, ms) != 1 {
                return false;
            }
            let mut msg = [0u8; 32];
            libc::read(self.fd, msg.as_mut_ptr().cast(), msg.len()) == 32
                && msg[0] == UFFD_EVENT_PAGEFAULT
        }
    }

    /// Fills the registered page with zeros and wakes whoever waits for it.
    pub fn release(&self) -> io::Result<()> {
        let zeros = vec![0u8; PAGE];
        let mut copy = [
            self.base as u64 + PAGE as u64,
            zeros.as_ptr() as u64,
            PAGE as u64,
            0,
            0,
        ];
        // SAFETY: `copy` is a `struct uffdio_copy` (five 64-bit fields); `zeros` lives across
        // the call.
        if unsafe { libc::ioctl(self.fd, UFFDIO_COPY as _, copy.as_mut_ptr()) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// The bytes at `addr..addr + len` (within the two pages, after [`Uffd::release`]).
    pub fn bytes(&self, addr: usize, len: usize) -> Vec<u8> {
        let len = len.min(self.base as usize + 2 * PAGE - addr);
        // SAFETY: The range lies within the mapping, whose pages are present after release.
        unsafe { std::slice::from_raw_parts(addr as *const u8, len).to_vec() }
    }
}

impl Drop for Uffd {
    fn drop(&mut self) {
        // SAFETY: The mapping and fd are ours; nothing uses them after the drop.
        unsafe {
            libc::munmap(self.base.cast(), 2 * PAGE);
            libc::close(self.fd);
        }
    }
}
