//! Differential oracle: the n_rust engine against the host kernel's N_TTY on a
//! real pty. See `README.md` in this directory.

pub mod cli;
pub mod gen;
pub mod pty;
pub mod shrink;
pub mod sim;

use n_rust_engine::testing::{read_until_empty, ReadsEnded};
use n_rust_engine::{LFlag, Termios};
use pty::{SignalReportingPty, REPORTED};
use shrink::Lockstep;
use sim::Sim;
use std::fmt::Write as _;

/// One differential case: a termios, input chunks written to the master one at a
/// time, the size of each slave `read(2)`, and a program write at the end.
#[derive(Clone, Debug)]
pub struct OCase {
    /// Termios set on the slave (and given to the engine).
    pub termios: Termios,
    /// Input, chunk by chunk.
    pub chunks: Vec<Vec<u8>>,
    /// Size of each read.
    pub read_size: usize,
    /// Bytes a program writes to the slave after the input.
    pub write: Vec<u8>,
    /// After chunk `.0` (and its reads), switch to termios `.1`.
    pub switch: Option<(usize, Termios)>,
}

/// What one side observed for one step (reset, a chunk, or the final write).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Step {
    /// Read results; `None` is a 0-byte read.
    pub reads: Vec<Option<Vec<u8>>>,
    /// Signal mask (bits as `pty::REPORTED`).
    pub signals: u8,
    /// Bytes on the master.
    pub master: Vec<u8>,
    /// Bytes of the program write taken.
    pub written: usize,
    /// Reads of this step are compared line by line (canonical mode).
    pub canon: bool,
}

/// Observations of a whole case.
pub type Trace = Vec<Step>;

/// Whether a read under `t` returns whole lines: N_TTY reads canonically when ICANON is set
/// and EXTPROC is not (`n_tty_read`), and the oracle then compares reads line by line, else
/// only the bytes they return together.
pub fn reads_return_lines(t: &Termios) -> bool {
    t.l(LFlag::ICANON) && !t.l(LFlag::EXTPROC)
}

/// Read the slave until `EAGAIN` (or a 0 in non-canonical mode); a 0 in canonical mode is
/// recorded as `None`.
fn kernel_reads(
    p: &SignalReportingPty,
    t: &Termios,
    size: usize,
    out: &mut Vec<Option<Vec<u8>>>,
) -> std::io::Result<()> {
    let ended = read_until_empty(
        &mut vec![0u8; size],
        t.l(LFlag::ICANON),
        100_000,
        |buf| p.read_slave(buf),
        |got| {
            out.push((!got.is_empty()).then(|| got.to_vec()));
            Ok(())
        },
    )?;
    match ended {
        ReadsEnded::Empty => Ok(()),
        ReadsEnded::AtLimit => Err(std::io::Error::other("endless reads")),
    }
}

/// Run a case on the host kernel; `prev` is the termios currently set.
pub fn run_kernel(p: &SignalReportingPty, prev: &Termios, c: &OCase) -> std::io::Result<Trace> {
    let _ = prev;
    let mut trace = Vec::new();
    let t = &c.termios;
    let isig = t.l(LFlag::ISIG);
    // Reset: output running, new termios, empty input queue.
    let mut s = Step::default();
    p.restart_output()?;
    p.set_termios(t)?;
    p.flush_input()?;
    p.drain_master(&mut s.master)?;
    trace.push(s);
    let mut t = *t;
    let mut isig = isig;
    for (i, ch) in c.chunks.iter().enumerate() {
        let mut s = Step {
            canon: reads_return_lines(&t),
            ..Step::default()
        };
        p.write_master(ch)?;
        kernel_reads(p, &t, c.read_size, &mut s.reads)?;
        if isig {
            s.signals = p.take_signals()?;
        }
        p.drain_master(&mut s.master)?;
        trace.push(s);
        if let Some((k, t2)) = c.switch {
            if k == i {
                let mut s = Step {
                    canon: reads_return_lines(&t2),
                    ..Step::default()
                };
                p.set_termios(&t2)?;
                t = t2;
                isig = t.l(LFlag::ISIG);
                kernel_reads(p, &t, c.read_size, &mut s.reads)?;
                p.drain_master(&mut s.master)?;
                trace.push(s);
            }
        }
    }
    let mut s = Step {
        canon: reads_return_lines(&t),
        ..Step::default()
    };
    s.written = p.write_slave(&c.write)?;
    p.drain_master(&mut s.master)?;
    s.signals = p.take_signals()?;
    trace.push(s);
    Ok(trace)
}

/// Run `c` on a fresh pty and a freshly opened engine, the engine first: the kernel's
/// trace and the engine's.
pub fn run_fresh(c: &OCase) -> std::io::Result<(Trace, Trace)> {
    let pty = SignalReportingPty::open()?;
    let mut sim = sim::Sim::new();
    let prev = sim.termios;
    let et = sim.run(c);
    let kt = run_kernel(&pty, &prev, c)?;
    Ok((kt, et))
}

/// Largest master output of one step we compare. A pty's flip buffer is limited
/// to 8 KiB (`tty_buffer_set_limit(port, 8192)` in pty.c), so the write room the
/// slave's N_TTY sees depends on how far the master's worker has drained it;
/// below this bound the room never runs out (see DIVERGENCES.md).
pub const MAX_STEP_OUTPUT: usize = 7_000;

/// A kernel pty and the engine, given the same cases one after the other.
pub struct KernelAndEngine {
    pty: SignalReportingPty,
    sim: Sim,
}

/// How one case went in [`KernelAndEngine::run_case`].
pub enum CaseResult {
    /// The kernel and the engine agree.
    Agreed,
    /// They differ: how.
    Diverged(String),
    /// Not run: the engine wrote more than [`MAX_STEP_OUTPUT`] bytes in one step.
    TooMuchOutput,
}

impl KernelAndEngine {
    /// A fresh pty and a freshly opened engine.
    pub fn open() -> std::io::Result<KernelAndEngine> {
        Ok(KernelAndEngine {
            pty: SignalReportingPty::open()?,
            sim: Sim::new(),
        })
    }

    /// Runs `c` on the engine, then, unless its output is too large to compare (state left
    /// as it was), on the kernel, and compares them. Panics if the pty fails.
    pub fn run_case(&mut self, c: &OCase) -> CaseResult {
        let mut probe = self.sim.clone();
        let et = probe.run(c);
        if et.iter().any(|s| s.master.len() > MAX_STEP_OUTPUT) {
            return CaseResult::TooMuchOutput;
        }
        let prev = self.sim.termios;
        self.sim = probe;
        let kt = run_kernel(&self.pty, &prev, c).expect("kernel run failed");
        match compare(&c.termios, &kt, &et) {
            Some(diff) => CaseResult::Diverged(diff),
            None => CaseResult::Agreed,
        }
    }
}

impl Lockstep for KernelAndEngine {
    type Case = OCase;
    type Divergence = String;
    type Kind = ();

    fn fresh() -> Result<Self, String> {
        Ok(KernelAndEngine::open().expect("cannot open a pty"))
    }

    fn run(&mut self, case: &OCase) -> Result<(), String> {
        match self.run_case(case) {
            CaseResult::Diverged(diff) => Err(diff),
            CaseResult::Agreed | CaseResult::TooMuchOutput => Ok(()),
        }
    }

    fn kind(_: &String) {}
}

/// Compare two traces under the rules for `t`; `Some(description)` if they differ.
pub fn compare(t: &Termios, k: &Trace, e: &Trace) -> Option<String> {
    if k.len() != e.len() {
        return Some(format!("step count {} vs {}", k.len(), e.len()));
    }
    let _ = t;
    for (i, (ks, es)) in k.iter().zip(e.iter()).enumerate() {
        let what = if i == 0 {
            "reset".to_string()
        } else if i + 1 == k.len() {
            "final write".to_string()
        } else {
            format!("step {i}")
        };
        if ks.canon != es.canon {
            return Some(format!("{what}: mode bookkeeping differs"));
        }
        if ks.canon {
            if ks.reads != es.reads {
                return Some(format!(
                    "{what}: reads differ\n  kernel: {}\n  engine: {}",
                    show_reads(&ks.reads),
                    show_reads(&es.reads)
                ));
            }
        } else {
            let kc: Vec<u8> = ks.reads.iter().flatten().flatten().copied().collect();
            let ec: Vec<u8> = es.reads.iter().flatten().flatten().copied().collect();
            if kc != ec {
                return Some(format!("{what}: read data differs{}", diff_bytes(&kc, &ec)));
            }
        }
        if ks.master != es.master {
            return Some(format!(
                "{what}: master bytes differ{}",
                diff_bytes(&ks.master, &es.master)
            ));
        }
        if ks.signals != es.signals {
            return Some(format!(
                "{what}: signals differ: kernel {} engine {}",
                show_sigs(ks.signals),
                show_sigs(es.signals)
            ));
        }
        if ks.written != es.written {
            return Some(format!(
                "{what}: write took {} vs {}",
                ks.written, es.written
            ));
        }
    }
    None
}

/// Where two byte strings first differ, with some context.
pub fn diff_bytes(k: &[u8], e: &[u8]) -> String {
    let at = k
        .iter()
        .zip(e.iter())
        .position(|(a, b)| a != b)
        .unwrap_or(k.len().min(e.len()));
    let from = at.saturating_sub(40);
    let kk = &k[from..k.len().min(at + 80)];
    let ee = &e[from..e.len().min(at + 80)];
    format!(
        " (kernel {} bytes, engine {} bytes, first difference at {})\n  kernel[{}..]: {}\n  engine[{}..]: {}",
        k.len(),
        e.len(),
        at,
        from,
        esc(kk),
        from,
        esc(ee)
    )
}

fn show_sigs(m: u8) -> String {
    let names = ["INT", "QUIT", "TSTP", "TTIN", "TTOU"];
    let v: Vec<&str> = (0..REPORTED.len())
        .filter(|i| m & (1 << i) != 0)
        .map(|i| names[i])
        .collect();
    format!("{{{}}}", v.join(","))
}

fn show_reads(r: &[Option<Vec<u8>>]) -> String {
    let v: Vec<String> = r
        .iter()
        .take(20)
        .map(|x| match x {
            Some(d) => esc(d),
            None => "<0>".to_string(),
        })
        .collect();
    format!("[{}]", v.join(", "))
}

/// Bytes as a Rust byte-string literal.
pub fn esc(b: &[u8]) -> String {
    let mut s = String::from("b\"");
    for &c in b {
        match c {
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            0x20..=0x7e => s.push(c as char),
            _ => {
                let _ = write!(s, "\\x{c:02x}");
            }
        }
    }
    s.push('"');
    s
}

/// A termios as text: the flags in hex and the control characters.
pub fn show_termios(t: &Termios) -> String {
    format!(
        "iflag={:#x} oflag={:#x} lflag={:#x} cc={:?}",
        t.iflag.bits(),
        t.oflag.bits(),
        t.lflag.bits(),
        t.cc
    )
}

/// A case as Rust-like text for a reproduction.
pub fn show_case(c: &OCase) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "termios: {}", show_termios(&c.termios));
    let _ = writeln!(s, "read_size: {}", c.read_size);
    for (i, ch) in c.chunks.iter().enumerate() {
        if ch.len() > 400 {
            let _ = writeln!(s, "chunk {i}: ({} bytes) {}...", ch.len(), esc(&ch[..400]));
        } else {
            let _ = writeln!(s, "chunk {i}: {}", esc(ch));
        }
    }
    let _ = writeln!(s, "write: {}", esc(&c.write));
    if let Some((k, t2)) = &c.switch {
        let _ = writeln!(s, "switch after chunk {k} to: {}", show_termios(t2));
    }
    s
}
