//! Operation counts per kind, kept in atomics by every worker and printed at the end.

use std::sync::atomic::{AtomicU64, Ordering};

/// The kinds of operation the stress run counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// A pty pair opened (verified channels, chaos generations).
    PtyOpen,
    /// A tty file descriptor closed by the run.
    Close,
    /// A `read` on a blocking file.
    ReadBlocking,
    /// A `read` on a non-blocking file after `poll`.
    ReadPoll,
    /// A `read` on a non-blocking file after `epoll_wait`.
    ReadEpoll,
    /// A `poll` or `epoll_wait` that returned nothing (timeout).
    WaitIdle,
    /// A `write` (any style) that wrote at least one byte.
    Write,
    /// A call that returned `EINTR` (or a short count) because a signal arrived.
    Interrupted,
    /// A call that returned `EAGAIN` on a non-blocking file.
    WouldBlock,
    /// Bytes of raw streams compared with what was written, all equal.
    RawBytesChecked,
    /// Lines of canonical streams compared with what was written, all equal.
    LinesChecked,
    /// Bytes through ttyS1 in UART loopback, compared.
    SerialBytesChecked,
    /// `TCSETS`/`TCSETSW`/`TCSETSF` (any termios change).
    Termios,
    /// `TIOCSETD` to N_TTY.
    SetdNtty,
    /// `TIOCSETD` to n_rust.
    SetdNrust,
    /// `TIOCVHANGUP`.
    Vhangup,
    /// The last master file closed while the slave was open (a hangup of the slave).
    MasterClose,
    /// `TCFLSH` (input, output or both).
    Flush,
    /// `TCXONC` (output stop/start, STOP/START characters sent).
    Xonc,
    /// `TIOCSTI`: one byte pushed into the input.
    Sti,
    /// `TIOCPKT` on or off on a master.
    Packet,
    /// `TIOCSIG` on a master, or `TIOCSWINSZ` (signals to the slave's foreground group).
    TtySignal,
    /// `FIONREAD` / `TIOCOUTQ`.
    Query,
    /// `TIOCSCTTY` / `TIOCNOTTY`: the controlling tty taken or given up.
    Ctty,
    /// Signals sent by the storm (to the process group or to one thread).
    StormSignal,
    /// Signals sent to wake a worker that was told to stop.
    Wakeup,
    /// `rmmod n_rust` refused while ttys were attached (`EBUSY`/`EAGAIN`).
    RmmodRefused,
    /// An errno the chaos workers accept (`EIO` after a hangup, `EBUSY` from a switch that
    /// timed out, ...), counted, not failed.
    ExpectedErrno,
}

impl Op {
    /// Every kind, in the order they are printed.
    pub const ALL: [Op; 28] = [
        Op::PtyOpen,
        Op::Close,
        Op::ReadBlocking,
        Op::ReadPoll,
        Op::ReadEpoll,
        Op::WaitIdle,
        Op::Write,
        Op::Interrupted,
        Op::WouldBlock,
        Op::RawBytesChecked,
        Op::LinesChecked,
        Op::SerialBytesChecked,
        Op::Termios,
        Op::SetdNtty,
        Op::SetdNrust,
        Op::Vhangup,
        Op::MasterClose,
        Op::Flush,
        Op::Xonc,
        Op::Sti,
        Op::Packet,
        Op::TtySignal,
        Op::Query,
        Op::Ctty,
        Op::StormSignal,
        Op::Wakeup,
        Op::RmmodRefused,
        Op::ExpectedErrno,
    ];

    /// The name printed in the counts.
    pub fn name(self) -> &'static str {
        match self {
            Op::PtyOpen => "pty_open",
            Op::Close => "close",
            Op::ReadBlocking => "read_blocking",
            Op::ReadPoll => "read_poll",
            Op::ReadEpoll => "read_epoll",
            Op::WaitIdle => "wait_idle",
            Op::Write => "write",
            Op::Interrupted => "eintr",
            Op::WouldBlock => "eagain",
            Op::RawBytesChecked => "raw_bytes_checked",
            Op::LinesChecked => "canon_lines_checked",
            Op::SerialBytesChecked => "ttyS1_bytes_checked",
            Op::Termios => "termios_set",
            Op::SetdNtty => "tiocsetd_n_tty",
            Op::SetdNrust => "tiocsetd_n_rust",
            Op::Vhangup => "tiocvhangup",
            Op::MasterClose => "master_close",
            Op::Flush => "tcflsh",
            Op::Xonc => "tcxonc",
            Op::Sti => "tiocsti",
            Op::Packet => "tiocpkt",
            Op::TtySignal => "tiocsig_winsz",
            Op::Query => "fionread_outq",
            Op::Ctty => "ctty",
            Op::StormSignal => "storm_signals",
            Op::Wakeup => "stop_wakeups",
            Op::RmmodRefused => "rmmod_refused",
            Op::ExpectedErrno => "expected_errno",
        }
    }
}

static COUNTS: [AtomicU64; Op::ALL.len()] = [const { AtomicU64::new(0) }; Op::ALL.len()];

/// Adds one to the count of `op`.
pub fn count(op: Op) {
    add(op, 1);
}

/// Adds `n` to the count of `op`.
pub fn add(op: Op, n: u64) {
    COUNTS[op as usize].fetch_add(n, Ordering::Relaxed);
}

/// The count of `op` so far.
pub fn get(op: Op) -> u64 {
    COUNTS[op as usize].load(Ordering::Relaxed)
}
