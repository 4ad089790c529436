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
//! That test can misfire: the handler reads `IIR` (which clears QEMU's pending transmit
//! interrupt) before it takes the port lock, so if it runs between the test's `IER` write and
//! its `IIR` read the test sees no interrupt; on PREEMPT_RT the port lock does not even keep
//! the threaded handler off the test's own CPU. (Read from the sources, not yet caught in the
//! act: [`provoke_overrun`] shows it when it happens.) So the writer starts a write only when
//! the UART has nothing in flight (its output queue empty and every byte transmitted since
//! the start received): the burst a write starts then lands in an empty receive FIFO. It
//! writes at most the tty layer's write chunk (2,048 bytes) at a time, so one `write` is one
//! `uart_write` and starts the transmitter at most once, and stays at most [`MAX_LEAD`] bytes
//! ahead of the reader (a UART without flow control has no other back-pressure: past the flip
//! buffers' memory limit the driver drops bytes, `buf_overrun`).

use crate::verified::{Control, Stream};
pub use n_rust_guest_tests::serial_counts::Icount;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::Ordering;
use std::time::Duration;

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

/// Opens `tty` (`open`) on the CPU that takes its interrupt, and says which. The first open of
/// a port requests its interrupt and runs the 8250's start-up tests: on PREEMPT_RT their
/// opener shares that CPU with the threaded handler, which can preempt it between the
/// transmit-interrupt test's `IER` write and `IIR` read, and the test then sets
/// `UART_BUG_TXEN` (see the module's doc). The interrupt is put on CPU 0 first (its
/// `smp_affinity_list`): where the kernel puts it is known only once it is requested.
pub fn open_on_irq_cpu(
    tty: &str,
    open: impl Fn() -> std::io::Result<OwnedFd>,
) -> (std::io::Result<OwnedFd>, Option<usize>) {
    if let Ok(irq) = std::fs::read_to_string(format!("/sys/class/tty/{tty}/irq")) {
        let _ = std::fs::write(format!("/proc/irq/{}/smp_affinity_list", irq.trim()), "0");
    }
    let fd = pinned(0, &open);
    (fd, irq_cpu(tty))
}

/// Runs `f` with the calling thread pinned to `cpu`, then puts its mask back.
fn pinned<T>(cpu: usize, f: impl FnOnce() -> T) -> T {
    // SAFETY: `old` and `set` are plain data; sched_{get,set}affinity read or write one
    // cpu_set_t of the size given, for the calling thread (pid 0).
    unsafe {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        let mut old: libc::cpu_set_t = std::mem::zeroed();
        let saved = libc::sched_getaffinity(0, size, &mut old) == 0;
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, size, &set);
        let result = f();
        if saved {
            libc::sched_setaffinity(0, size, &old);
        }
        result
    }
}

/// The overrun made on purpose (PREEMPT_RT only, where a `SCHED_FIFO` thread can keep the
/// threaded interrupt handler off its CPU): with the handler held off, two writes of 16
/// bytes to the idle port `fd` (raw, in loopback). If `UART_BUG_TXEN` is set, each write
/// transmits at once from the writer's own call, the second into a receive FIFO the handler
/// has not emptied: 16 bytes are lost and the handler then delivers `A`, a `\0` (the
/// driver's `TTY_OVERRUN` byte) and `B`..`P`. Otherwise nothing is sent until the handler
/// runs, and all 32 bytes arrive. Returns what arrived and what the UART counted.
pub fn provoke_overrun(fd: &OwnedFd) -> Result<String, String> {
    let cpu = irq_cpu("ttyS1").ok_or("ttyS1's interrupt CPU unknown")?;
    let other = usize::from(cpu == 0);
    let hold = std::sync::Arc::new(std::sync::atomic::AtomicU8::new(0));
    let h = hold.clone();
    let hog = std::thread::spawn(move || {
        pinned(cpu, || {
            // SAFETY: sched_param is plain data; policy and priority for the calling thread.
            let fifo = unsafe {
                let p = libc::sched_param { sched_priority: 99 };
                libc::sched_setscheduler(0, libc::SCHED_FIFO, &p) == 0
            };
            h.store(if fifo { 1 } else { 2 }, Ordering::SeqCst);
            let until = std::time::Instant::now() + Duration::from_millis(300);
            while h.load(Ordering::SeqCst) == 1 && std::time::Instant::now() < until {
                std::hint::spin_loop();
            }
        })
    });
    while hold.load(Ordering::SeqCst) == 0 {
        std::thread::yield_now();
    }
    let base = Icount::of(fd)?;
    let written = pinned(other, || {
        let mut n = 0;
        for chunk in [b"ABCDEFGHIJKLMNOP", b"abcdefghijklmnop"] {
            // SAFETY: `chunk` is valid for reads of its length.
            n += unsafe { libc::write(fd.as_raw_fd(), chunk.as_ptr().cast(), chunk.len()) };
        }
        n
    });
    let sent = Icount::of(fd)?;
    let fifo = hold.swap(0, Ordering::SeqCst) == 1;
    let _ = hog.join();
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    loop {
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: One valid pollfd; `buf` is valid for writes of its length.
        let n = unsafe {
            if libc::poll(&mut pfd, 1, 300) <= 0 {
                break;
            }
            libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len())
        };
        if n <= 0 {
            break;
        }
        got.extend_from_slice(&buf[..n as usize]);
    }
    let now = Icount::of(fd)?;
    Ok(format!(
        "handler held off by a SCHED_FIFO thread on CPU {cpu}: {fifo}; wrote {written} from CPU \
         {other}, transmitted during the writes {}; read back {:?}; UART: {}",
        sent.tx - base.tx,
        String::from_utf8_lossy(&got),
        now.summary_since(&base)
    ))
}
