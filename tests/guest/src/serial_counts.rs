//! A serial port's own counters (`TIOCGICOUNT`): what the UART driver received and
//! transmitted, and the receive errors it saw (overruns, breaks, framing and parity errors,
//! bytes dropped at the flip buffers' limit).

use std::os::fd::{AsRawFd, OwnedFd};

/// `struct serial_icounter_struct` of `<linux/serial.h>`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Icount {
    /// Modem-line changes: CTS, DSR, RI, DCD.
    pub cts: i32,
    /// See `cts`.
    pub dsr: i32,
    /// See `cts`.
    pub rng: i32,
    /// See `cts`.
    pub dcd: i32,
    /// Bytes the driver read from the receiver.
    pub rx: i32,
    /// Bytes the driver gave the transmitter.
    pub tx: i32,
    /// Framing errors.
    pub frame: i32,
    /// Hardware overruns (LSR OE).
    pub overrun: i32,
    /// Parity errors.
    pub parity: i32,
    /// Breaks received.
    pub brk: i32,
    /// Bytes dropped because the tty's flip buffers were full.
    pub buf_overrun: i32,
    reserved: [i32; 9],
}

impl Icount {
    /// The counts of `fd`'s UART now.
    pub fn of(fd: &OwnedFd) -> Result<Self, String> {
        let mut c = Self::default();
        // SAFETY: TIOCGICOUNT writes one serial_icounter_struct, which `c` is (repr(C), the
        // same 20 ints), valid for the call.
        if unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCGICOUNT, &mut c) } < 0 {
            return Err(format!("TIOCGICOUNT: {}", std::io::Error::last_os_error()));
        }
        Ok(c)
    }

    /// The receive errors counted since `base`, by name (empty: none).
    pub fn errors_since(&self, base: &Icount) -> String {
        [
            ("overrun", self.overrun - base.overrun),
            ("buf_overrun", self.buf_overrun - base.buf_overrun),
            ("brk", self.brk - base.brk),
            ("frame", self.frame - base.frame),
            ("parity", self.parity - base.parity),
        ]
        .iter()
        .filter(|(_, n)| *n != 0)
        .map(|(name, n)| format!("{name} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
    }

    /// Every count moved since `base`, for the log.
    pub fn summary_since(&self, base: &Icount) -> String {
        let errors = self.errors_since(base);
        format!(
            "rx {} tx {}; {}",
            self.rx - base.rx,
            self.tx - base.tx,
            if errors.is_empty() {
                "no overrun, break, framing or parity error".to_string()
            } else {
                errors
            }
        )
    }
}
