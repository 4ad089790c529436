//! ttyS1 in UART loopback: the UART's own counters (`TIOCGICOUNT`), and the pacing its writer
//! needs so that the emulated UART does not lose bytes before any discipline sees them.
//!
//! Why pacing: QEMU's 16550A moves a transmitted byte into its 16-byte receive FIFO at once
//! in loopback (no line time), and a byte that finds the FIFO full is dropped with an overrun
//! (`LSR.OE`), which the 8250 driver turns into a `\0` flagged `TTY_OVERRUN` (a raw tty copies
//! it). The driver's interrupt handler empties the receive FIFO before it fills the transmit
//! FIFO, so its own bursts cannot overrun; but when its start-up test decides that the UART
//! does not raise a transmit interrupt (`UART_BUG_TXEN`), `start_tx` writes a burst from the
//! writer's own context, with whatever the handler has not read yet still in the receive FIFO.
//! On PREEMPT_RT that test misfires: the port lock does not keep the threaded handler from
//! reading `IIR` (which clears the pending transmit interrupt) between the test's `IER` write
//! and its own `IIR` read. So the writer starts a write only when the UART has nothing in
//! flight (its output queue empty and every byte transmitted since the start received): the burst
//! that a write starts then lands in an empty FIFO. It writes at most the tty layer's write
//! chunk (2,048 bytes) at a time, so one `write` is one `uart_write` and starts the
//! transmitter at most once, and stays at most [`MAX_LEAD`] bytes ahead of the reader (a
//! UART without flow control has no other back-pressure: past the flip buffers' memory limit
//! the driver drops bytes, `buf_overrun`).

use crate::verified::{Control, Stream};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::Ordering;
use std::time::Duration;

/// `struct serial_icounter_struct` of `<linux/serial.h>`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Icount {
    cts: i32,
    dsr: i32,
    rng: i32,
    dcd: i32,
    /// Bytes the driver read from the receiver.
    pub rx: i32,
    /// Bytes the driver gave the transmitter.
    pub tx: i32,
    frame: i32,
    overrun: i32,
    parity: i32,
    brk: i32,
    buf_overrun: i32,
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

/// At most this many bytes written and not yet read back.
pub const MAX_LEAD: u64 = 64 * 1024;

/// At most this many bytes in one `write` (`tty_write`'s chunk).
pub const MAX_WRITE: usize = 2048;

/// The writer's side of the pacing: a file of the port, and its counts at the start.
pub struct Pacer {
    fd: OwnedFd,
    base: Icount,
}

impl Pacer {
    /// Paces writes to the port `fd` is a file of, from its counts now.
    pub fn new(fd: OwnedFd) -> Result<Self, String> {
        let base = Icount::of(&fd)?;
        Ok(Self { fd, base })
    }

    /// Waits until the UART has nothing in flight and the reader is at most [`MAX_LEAD`]
    /// bytes behind. `Ok(false)`: the writers were told to stop meanwhile. An error: the
    /// UART counted a receive error (the pacing did not hold), or the drain deadline passed.
    pub fn wait_idle(&self, stream: &Stream, control: &Control) -> Result<bool, String> {
        loop {
            let now = Icount::of(&self.fd)?;
            let errors = now.errors_since(&self.base);
            if !errors.is_empty() {
                return Err(format!(
                    "the UART counted receive errors while paced: {errors} (TIOCGICOUNT)"
                ));
            }
            let mut queued: libc::c_int = 0;
            // SAFETY: TIOCOUTQ writes one int, valid for the call.
            if unsafe { libc::ioctl(self.fd.as_raw_fd(), libc::TIOCOUTQ, &mut queued) } < 0 {
                return Err(format!("TIOCOUTQ: {}", std::io::Error::last_os_error()));
            }
            let lead = stream.sent.load(Ordering::SeqCst) - stream.received.load(Ordering::SeqCst);
            // Counted from the start: earlier programs may have transmitted out of loopback.
            let in_flight = (now.tx - self.base.tx) - (now.rx - self.base.rx);
            if queued == 0 && in_flight <= 0 && lead <= MAX_LEAD {
                return Ok(true);
            }
            if control.stop_writing.load(Ordering::SeqCst) {
                return Ok(false);
            }
            if control.past_deadline() {
                return Err(format!(
                    "the UART did not go idle by the drain deadline (output queue {queued}, {})",
                    now.summary_since(&self.base)
                ));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// The CPU that takes the interrupt of `tty` (`/sys/class/tty/TTY/irq`, then the IRQ's
/// `effective_affinity_list`), if the files say.
fn irq_cpu(tty: &str) -> Option<usize> {
    let irq = std::fs::read_to_string(format!("/sys/class/tty/{tty}/irq")).ok()?;
    let cpus = std::fs::read_to_string(format!("/proc/irq/{}/effective_affinity_list", irq.trim()))
        .ok()?;
    cpus.trim().split([',', '-']).next()?.parse().ok()
}

/// Runs `open` on the CPU that takes `tty`'s interrupt, if it is known (the calling thread
/// only, for the call), and says which. The first open of a port runs the 8250's start-up
/// tests: on PREEMPT_RT their opener shares that CPU with the threaded handler, which can
/// preempt it between the transmit-interrupt test's `IER` write and `IIR` read, and the test
/// then sets `UART_BUG_TXEN` (see the module's doc); this reproduces the unpaced overrun.
pub fn open_on_irq_cpu<T>(tty: &str, open: impl FnOnce() -> T) -> (T, Option<usize>) {
    let Some(cpu) = irq_cpu(tty) else {
        return (open(), None);
    };
    // SAFETY: `old` and `set` are plain data; sched_{get,set}affinity read or write one
    // cpu_set_t of the size given, for the calling thread (pid 0).
    unsafe {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        let mut old: libc::cpu_set_t = std::mem::zeroed();
        let saved = libc::sched_getaffinity(0, size, &mut old) == 0;
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        let pinned = libc::sched_setaffinity(0, size, &set) == 0;
        let result = open();
        if saved {
            libc::sched_setaffinity(0, size, &old);
        }
        (result, pinned.then_some(cpu))
    }
}
