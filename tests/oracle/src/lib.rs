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

/// What one side observed for one step (reset, a chunk, a termios switch, or the final write).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Step {
    /// Read results, read by read; `None` is a 0-byte read (end of file, canonical mode).
    pub reads: Vec<Option<Vec<u8>>>,
    /// How the reads ended (`EAGAIN`, or 0 outside canonical mode); `None`: no reads.
    pub ended: Option<ReadsEnded>,
    /// `TIOCINQ` before the reads: on the engine's side its count when it took the chunk in
    /// one go, on the kernel's side what `TIOCINQ` said when the kernel reached that count
    /// or gave up waiting; `None`: not compared.
    pub inq: Option<usize>,
    /// Signal mask (bits as `pty::REPORTED`).
    pub signals: u8,
    /// Bytes on the master.
    pub master: Vec<u8>,
    /// Bytes of the program write taken.
    pub written: usize,
    /// Reads of this step return whole lines (canonical mode): on the engine's side its own
    /// mode (`ldata->icanon`), on the kernel's side the slave's termios read back.
    pub canon: bool,
}

/// Observations of a whole case.
pub type Trace = Vec<Step>;

/// Whether a read under `t` returns whole lines: N_TTY reads canonically when ICANON is set
/// and EXTPROC is not (`n_tty_read`).
pub fn reads_return_lines(t: &Termios) -> bool {
    t.l(LFlag::ICANON) && !t.l(LFlag::EXTPROC)
}

/// Read the slave until `EAGAIN` (or a 0 in non-canonical mode); a 0 in canonical mode is
/// recorded as `None`. Returns how the reads ended.
fn kernel_reads(
    p: &SignalReportingPty,
    t: &Termios,
    size: usize,
    out: &mut Vec<Option<Vec<u8>>>,
) -> std::io::Result<ReadsEnded> {
    read_until_empty(
        &mut vec![0u8; size],
        t.l(LFlag::ICANON),
        100_000,
        |buf| p.read_slave(buf),
        |got| {
            out.push((!got.is_empty()).then(|| got.to_vec()));
            Ok(())
        },
    )
}

/// A kernel step that reads: whether the slave reads lines (its termios read back), and,
/// when the engine's step `e` has a `TIOCINQ` count, the kernel's after waiting for it.
fn kernel_step(p: &SignalReportingPty, e: Option<&Step>) -> std::io::Result<Step> {
    let inq = match e.and_then(|e| e.inq) {
        Some(want) => Some(p.wait_inq(want)?),
        None => None,
    };
    Ok(Step {
        canon: reads_return_lines(&p.termios()?),
        inq,
        ..Step::default()
    })
}

/// Run a case on the host kernel. `engine` is the engine's trace of the same case: before
/// reading a step, the kernel is given time to reach the engine's `TIOCINQ` count, so that
/// its reads see all the input the engine's do.
pub fn run_kernel(p: &SignalReportingPty, c: &OCase, engine: &Trace) -> std::io::Result<Trace> {
    let mut trace: Trace = Vec::new();
    let mut t = c.termios;
    // Reset: output running, new termios, empty input queue.
    let mut s = Step::default();
    p.restart_output()?;
    p.set_termios(&t)?;
    p.flush_input()?;
    p.drain_master(&mut s.master)?;
    trace.push(s);
    for (i, ch) in c.chunks.iter().enumerate() {
        p.write_master(ch)?;
        let mut s = kernel_step(p, engine.get(trace.len()))?;
        s.ended = Some(kernel_reads(p, &t, c.read_size, &mut s.reads)?);
        if t.l(LFlag::ISIG) {
            s.signals = p.take_signals()?;
        }
        p.drain_master(&mut s.master)?;
        trace.push(s);
        if let Some((k, t2)) = c.switch {
            if k == i {
                p.set_termios(&t2)?;
                t = t2;
                let mut s = kernel_step(p, engine.get(trace.len()))?;
                s.ended = Some(kernel_reads(p, &t, c.read_size, &mut s.reads)?);
                p.drain_master(&mut s.master)?;
                trace.push(s);
            }
        }
    }
    let mut s = kernel_step(p, None)?;
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
    let et = sim.run(c);
    let kt = run_kernel(&pty, c, &et)?;
    Ok((kt, et))
}

/// Largest master output of one step compared whole. A pty's flip buffer is limited
/// to 8 KiB (`tty_buffer_set_limit(port, 8192)` in pty.c), so the write room the
/// slave's N_TTY sees depends on how far the master's worker has drained it;
/// below this bound the room never runs out (see DIVERGENCES.md). Where the kernel wrote
/// more, the first this many bytes are compared.
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
    /// They agree as far as compared: the kernel wrote more than [`MAX_STEP_OUTPUT`] bytes
    /// in a step, so from there on only the first [`MAX_STEP_OUTPUT`] bytes of that step's
    /// output were compared, and nothing after it. The two sides' states may differ now:
    /// open fresh ones.
    ComparedInPart,
}

impl KernelAndEngine {
    /// A fresh pty and a freshly opened engine.
    pub fn open() -> std::io::Result<KernelAndEngine> {
        Ok(KernelAndEngine {
            pty: SignalReportingPty::open()?,
            sim: Sim::new(),
        })
    }

    /// Runs `c` on the engine, then on the kernel, and compares them. Panics if the pty
    /// fails.
    pub fn run_case(&mut self, c: &OCase) -> CaseResult {
        let et = self.sim.run(c);
        let kt = run_kernel(&self.pty, c, &et).expect("kernel run failed");
        let cut = kt.iter().position(|s| s.master.len() > MAX_STEP_OUTPUT);
        match (compare(&kt, &et, cut), cut) {
            (Some(diff), _) => CaseResult::Diverged(diff),
            (None, Some(_)) => CaseResult::ComparedInPart,
            (None, None) => CaseResult::Agreed,
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
            CaseResult::Agreed | CaseResult::ComparedInPart => Ok(()),
        }
    }

    fn kind(_: &String) {}
}

/// Compare the kernel's trace `k` with the engine's `e`; `Some(description)` if they differ.
/// With `cut` set, step `cut` is compared only as far as its output fits in
/// [`MAX_STEP_OUTPUT`] bytes (and without the write count it decides), and the steps after it
/// not at all.
pub fn compare(k: &Trace, e: &Trace, cut: Option<usize>) -> Option<String> {
    if k.len() != e.len() {
        return Some(format!("step count {} vs {}", k.len(), e.len()));
    }
    for (i, (ks, es)) in k.iter().zip(e.iter()).enumerate() {
        if cut.is_some_and(|c| i > c) {
            break;
        }
        let in_part = cut == Some(i);
        let what = if i == 0 {
            "reset".to_string()
        } else if i + 1 == k.len() {
            "final write".to_string()
        } else {
            format!("step {i}")
        };
        if ks.canon != es.canon {
            return Some(format!(
                "{what}: mode bookkeeping differs: kernel reads {}, engine {}",
                if ks.canon { "lines" } else { "bytes" },
                if es.canon { "lines" } else { "bytes" }
            ));
        }
        if let (Some(ki), Some(ei)) = (ks.inq, es.inq) {
            if ki != ei {
                return Some(format!(
                    "{what}: TIOCINQ before reading: kernel {ki} engine {ei}"
                ));
            }
        }
        if ks.reads != es.reads {
            return Some(format!(
                "{what}: reads differ\n  kernel: {}\n  engine: {}",
                show_reads(&ks.reads),
                show_reads(&es.reads)
            ));
        }
        if ks.ended != es.ended {
            return Some(format!(
                "{what}: reads ended: kernel {:?} engine {:?}",
                ks.ended, es.ended
            ));
        }
        let fits = |m: &[u8]| m.len().min(MAX_STEP_OUTPUT);
        let (km, em) = if in_part {
            (
                &ks.master[..fits(&ks.master)],
                &es.master[..fits(&es.master)],
            )
        } else {
            (&ks.master[..], &es.master[..])
        };
        if km != em {
            return Some(format!(
                "{what}: master bytes differ{}{}",
                if in_part {
                    format!(" (first {MAX_STEP_OUTPUT} compared)")
                } else {
                    String::new()
                },
                diff_bytes(km, em)
            ));
        }
        if ks.signals != es.signals {
            return Some(format!(
                "{what}: signals differ: kernel {} engine {}",
                show_sigs(ks.signals),
                show_sigs(es.signals)
            ));
        }
        if ks.written != es.written && !in_part {
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
