//! What the differential test observes on each side after an operation, the families the
//! observations are counted in, and their comparison between the two sides.

use crate::duo::NAMES;
use crate::side::Res;
use n_rust_oracle::diff_bytes;

/// What a comparison is about; a divergence is counted under the first one that differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    Read,
    Write,
    Input,
    Ioctl,
    Master,
    Signals,
    Poll,
    Inq,
    Outq,
    Harness,
}

impl Family {
    pub const ALL: [Family; 10] = [
        Family::Read,
        Family::Write,
        Family::Input,
        Family::Ioctl,
        Family::Master,
        Family::Signals,
        Family::Poll,
        Family::Inq,
        Family::Outq,
        Family::Harness,
    ];

    /// The TAP test name.
    pub fn title(self) -> &'static str {
        match self {
            Family::Read => "read results (bytes, return value, errno)",
            Family::Write => "write results on the slave (output processing)",
            Family::Input => "writes to the master (input)",
            Family::Ioctl => "tcsetattr, TCFLSH, TCXONC and TIOCSTI results",
            Family::Master => "every byte on the master (echo and output)",
            Family::Signals => "signals to the foreground process group",
            Family::Poll => "poll masks (0 timeout)",
            Family::Inq => "FIONREAD/TIOCINQ",
            Family::Outq => "TIOCOUTQ",
            Family::Harness => "every scenario runs to its end (no hung read or write)",
        }
    }
}

/// Everything observed on one side after one operation.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Obs {
    /// The operation's system calls, each with its family.
    pub calls: Vec<(Family, Res)>,
    /// Bytes read from the master after it.
    pub master: Vec<u8>,
    /// Signals the foreground group received (as `n_rust_oracle::pty::REPORTED` bits).
    pub signals: u8,
    /// `poll` revents with a 0 timeout.
    pub poll: i16,
    /// `TIOCINQ`.
    pub inq: Option<Res>,
    /// `TIOCOUTQ`.
    pub outq: Option<Res>,
    /// `poll` was already called after the operation (the mask is final).
    pub polled: bool,
}

/// What to observe after an operation besides the poll mask and `TIOCINQ`. Every system call
/// costs a lot in the TCG guest with lockdep, so the master is read only after operations that
/// may write to it, signals are collected after a byte that may be a signal character and at
/// the end of every scenario (they stay pending until collected, so the end sees any other),
/// and `TIOCOUTQ` (always 0 on a pty) after writes and at the end.
#[derive(Clone, Copy, Default)]
pub struct Want {
    pub master: bool,
    pub signals: bool,
    pub outq: bool,
}

/// A difference between the two sides.
#[derive(Clone, Debug)]
pub struct Divergence {
    /// The operation after which it showed (`None`: the reset before the first).
    pub op: Option<usize>,
    pub family: Family,
    pub detail: String,
}

fn show_calls(calls: &[(Family, Res)]) -> String {
    let v: Vec<String> = calls.iter().take(40).map(|(_, r)| r.show()).collect();
    format!("[{}]", v.join(", "))
}

fn show_poll(m: i16) -> String {
    let mut v = Vec::new();
    for (bit, name) in [
        (libc::POLLIN, "IN"),
        (libc::POLLPRI, "PRI"),
        (libc::POLLOUT, "OUT"),
        (libc::POLLERR, "ERR"),
        (libc::POLLHUP, "HUP"),
        (libc::POLLNVAL, "NVAL"),
        (libc::POLLRDNORM, "RDNORM"),
    ] {
        if m & bit != 0 {
            v.push(name);
        }
    }
    format!("{m:#x} {{{}}}", v.join(","))
}

/// Compares the two observations; the family and a description of the first difference.
pub fn compare(obs: &[Obs; 2]) -> Result<(), (Family, String)> {
    let [a, b] = obs;
    let n = a.calls.len().max(b.calls.len());
    for k in 0..n {
        let (x, y) = (a.calls.get(k), b.calls.get(k));
        if x != y {
            let family = x.or(y).map_or(Family::Harness, |c| c.0);
            return Err((
                family,
                format!(
                    "call {k} differs\n  {}: {}\n  {}: {}",
                    NAMES[0],
                    show_calls(&a.calls),
                    NAMES[1],
                    show_calls(&b.calls)
                ),
            ));
        }
    }
    // Both sides hung alike (the watchdog fired) or the harness gave up: a failure too.
    if let Some((f, r)) = a
        .calls
        .iter()
        .find(|(f, r)| *f == Family::Harness || *r == Res::Err(libc::EINTR))
    {
        return Err((
            *f,
            format!("both sides: {} in {}", r.show(), show_calls(&a.calls)),
        ));
    }
    if a.master != b.master {
        return Err((
            Family::Master,
            format!("master bytes differ{}", diff_bytes(&a.master, &b.master))
                .replace("kernel", NAMES[0])
                .replace("engine", NAMES[1]),
        ));
    }
    if a.signals != b.signals {
        return Err((
            Family::Signals,
            format!(
                "signal masks {:#x} vs {:#x} (bits: INT, QUIT, TSTP, TTIN, TTOU)",
                a.signals, b.signals
            ),
        ));
    }
    if a.poll != b.poll {
        return Err((
            Family::Poll,
            format!(
                "poll {}: {} / {}: {}",
                NAMES[0],
                show_poll(a.poll),
                NAMES[1],
                show_poll(b.poll)
            ),
        ));
    }
    let show = |r: &Option<Res>| r.as_ref().map_or("-".into(), Res::show);
    if a.inq != b.inq {
        return Err((
            Family::Inq,
            format!(
                "TIOCINQ {}: {} / {}: {}",
                NAMES[0],
                show(&a.inq),
                NAMES[1],
                show(&b.inq)
            ),
        ));
    }
    if a.outq != b.outq {
        return Err((
            Family::Outq,
            format!(
                "TIOCOUTQ {}: {} / {}: {}",
                NAMES[0],
                show(&a.outq),
                NAMES[1],
                show(&b.outq)
            ),
        ));
    }
    Ok(())
}
