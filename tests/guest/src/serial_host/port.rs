//! The serial port under test (`/dev/ttyS1`, wired to the host harness's socket) and the
//! marker channel (`/dev/ttyS2`, a file on the host): opening, termios, the 8250's counters.

use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use n_rust_guest_tests::serial_counts::Icount;
use n_rust_guest_tests::sys;

/// The port the host drives.
pub const PORT: &str = "/dev/ttyS1";
/// The port whose output is a file the host follows: one marker per line.
pub const MARKERS: &str = "/dev/ttyS2";

/// The port's counters (`TIOCGICOUNT`).
pub fn icount(port: &OwnedFd) -> Result<Icount, String> {
    Icount::of(port)
}

/// The line of port 1 in `/proc/tty/driver/serial_8250` (`serial` before Linux 7.x; its
/// `oe:` and `bo:` fields appear once non-zero), with spaces turned into commas so that it
/// stays one marker value.
pub fn proc_serial_line() -> String {
    let text = std::fs::read_to_string("/proc/tty/driver/serial_8250")
        .or_else(|_| std::fs::read_to_string("/proc/tty/driver/serial"));
    match text {
        Ok(text) => text
            .lines()
            .find(|l| l.trim_start().starts_with("1:"))
            .map(|l| l.trim().replace(' ', ","))
            .unwrap_or_else(|| "no-line-1".into()),
        Err(e) => {
            let listing: Vec<String> = std::fs::read_dir("/proc/tty/driver")
                .map(|dir| {
                    dir.filter_map(|entry| entry.ok())
                        .map(|entry| entry.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            format!("unreadable({e};driver/:{})", listing.join("+")).replace(' ', "_")
        }
    }
}

/// Opens the port (blocking, no controlling tty), attaches `disc` and flushes both ways.
pub fn open_port(disc: i32) -> Result<OwnedFd, String> {
    let port = sys::open_rw(PORT, 0).map_err(|e| format!("open {PORT}: {e}"))?;
    sys::set_ldisc(&port, disc).map_err(|e| format!("TIOCSETD {disc}: {e}"))?;
    Ok(port)
}

/// The flags of one case's termios; everything not named is off.
pub struct Mode {
    /// `c_iflag`.
    pub iflag: libc::tcflag_t,
    /// `c_oflag`.
    pub oflag: libc::tcflag_t,
    /// `c_lflag`.
    pub lflag: libc::tcflag_t,
    /// Added to `CS8 | CREAD | CLOCAL` in `c_cflag`.
    pub cflag: libc::tcflag_t,
}

/// A canonical terminal as a login line has it: ICRNL, ONLCR, ISIG, ECHO with ECHOE,
/// ECHOK, ECHOCTL and ECHOKE.
pub const CANONICAL: Mode = Mode {
    iflag: libc::ICRNL,
    oflag: libc::OPOST | libc::ONLCR,
    lflag: libc::ISIG
        | libc::ICANON
        | libc::ECHO
        | libc::ECHOE
        | libc::ECHOK
        | libc::ECHOCTL
        | libc::ECHOKE
        | libc::IEXTEN,
    cflag: 0,
};

/// Sets `mode` at 115200 baud with the usual control characters, VMIN 1 and VTIME 0, then
/// flushes input and output.
pub fn set_mode(port: &OwnedFd, mode: &Mode) -> Result<(), String> {
    // SAFETY: `termios` is plain data, filled by tcgetattr before use; the calls get
    // pointers valid for the call.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        sys::check(libc::tcgetattr(port.as_raw_fd(), &mut t) as libc::c_long)
            .map_err(|e| format!("tcgetattr: {e}"))?;
        t.c_iflag = mode.iflag;
        t.c_oflag = mode.oflag;
        t.c_lflag = mode.lflag;
        // The speed lives in c_cflag's CBAUD bits (cfsetspeed does not link statically here).
        t.c_cflag = libc::CS8 | libc::CREAD | libc::CLOCAL | libc::B115200 | mode.cflag;
        t.c_cc = [0; libc::NCCS];
        for (index, value) in [
            (libc::VINTR, 0x03),
            (libc::VQUIT, 0x1c),
            (libc::VERASE, 0x7f),
            (libc::VKILL, 0x15),
            (libc::VEOF, 0x04),
            (libc::VSTART, 0x11),
            (libc::VSTOP, 0x13),
            (libc::VSUSP, 0x1a),
            (libc::VREPRINT, 0x12),
            (libc::VWERASE, 0x17),
            (libc::VLNEXT, 0x16),
            (libc::VMIN, 1),
            (libc::VTIME, 0),
        ] {
            t.c_cc[index] = value;
        }
        sys::check(libc::tcsetattr(port.as_raw_fd(), libc::TCSANOW, &t) as libc::c_long)
            .map_err(|e| format!("tcsetattr: {e}"))?;
        sys::check(libc::tcflush(port.as_raw_fd(), libc::TCIOFLUSH) as libc::c_long)
            .map_err(|e| format!("tcflush: {e}"))?;
    }
    // Input the host sent while the port was closed waits in QEMU's socket and trickles in
    // after the open: let it come, then flush it too, so that a failed case's leftovers
    // do not reach the next one.
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: A plain ioctl on an fd we own.
    sys::check(unsafe { libc::tcflush(port.as_raw_fd(), libc::TCIFLUSH) } as libc::c_long)
        .map_err(|e| format!("tcflush: {e}"))?;
    Ok(())
}

/// Waits until everything written to the port has left the UART (`tcdrain`).
pub fn drain(port: &OwnedFd) -> Result<(), String> {
    // SAFETY: A plain ioctl on an fd we own.
    sys::check(unsafe { libc::tcdrain(port.as_raw_fd()) } as libc::c_long)
        .map(|_| ())
        .map_err(|e| format!("tcdrain: {e}"))
}

/// Reads until the bytes read end with `end` (`None`: until end of file) or `timeout`
/// passes; returns every chunk that one `read` gave (an empty chunk is end of file, after
/// which reading stops).
pub fn read_until(
    port: &OwnedFd,
    end: Option<&[u8]>,
    timeout: Duration,
) -> Result<Vec<Vec<u8>>, String> {
    let deadline = Instant::now() + timeout;
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut all = Vec::new();
    while end.is_none_or(|end| !all.ends_with(end)) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!("timed out; read so far: {}", hex(&all)));
        }
        // A signal (the SIGINT cases) interrupts poll even with SA_RESTART: poll again.
        match sys::wait_readable(port, left.as_millis() as i32) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("poll: {e}")),
        }
        let mut buf = [0u8; 512];
        // SAFETY: `buf` is valid for writes of its length.
        let n = unsafe { libc::read(port.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(format!("read: {err}"));
        }
        chunks.push(buf[..n as usize].to_vec());
        if n == 0 {
            break;
        }
        all.extend_from_slice(&buf[..n as usize]);
    }
    Ok(chunks)
}

/// Lower-case hex of `bytes` (`-` when empty), how observations carry bytes in markers.
pub fn hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "-".into();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
