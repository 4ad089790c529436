//! The engine side: the same steps as `run_kernel`, on an [`Engine`] with a
//! recorder that behaves like the pty slave's driver.

use crate::{OCase, Step, Trace};
use n_rust_engine::testing::{read_until_empty, ReadOnce, ReadsEnded, Recorder, Room};
use n_rust_engine::{DriverInfo, Engine, LFlag, Termios};
use std::convert::Infallible;

/// Room the pty reports while running (the master's 64 KiB flip-buffer limit).
const PTY_ROOM: usize = 65536;

/// A pty slave as the engine sees it: the engine's recorder, reporting [`PTY_ROOM`]
/// whatever was written and holding as much output. Its signal mask has the bits
/// of `pty::REPORTED`.
pub type PtySide = Recorder<PTY_ROOM>;

/// Engine plus its tty, in lockstep with one kernel pty.
#[derive(Clone)]
pub struct Sim {
    /// The engine.
    pub engine: Box<Engine>,
    /// The tty around it.
    pub tty: PtySide,
    /// The termios currently set.
    pub termios: Termios,
}

impl Default for Sim {
    fn default() -> Self {
        Self::new()
    }
}

impl Sim {
    /// A freshly opened pty slave (N_TTY opened with the pty's initial termios).
    pub fn new() -> Sim {
        let t = Termios::SANE;
        let mut engine = Box::new(Engine::new(DriverInfo::PTY));
        let mut tty = PtySide::with_room(Room::Fixed(PTY_ROOM));
        engine.open(&t, &mut tty);
        Sim {
            engine,
            tty,
            termios: t,
        }
    }

    /// The bytes on the master since the last take.
    fn take_master(&mut self) -> Vec<u8> {
        let m = self.tty.master_bytes().to_vec();
        self.tty.clear_master();
        m
    }

    /// The signals sent since the last take, as a mask.
    fn take_signals(&mut self) -> u8 {
        let m = self.tty.signal_mask;
        self.tty.clear_signals();
        m
    }

    /// Reads until nothing is left, as `kernel_reads` does on the pty: how they ended.
    fn reads(&mut self, size: usize, out: &mut Vec<Option<Vec<u8>>>) -> ReadsEnded {
        let t = self.termios;
        let Ok(ended) = read_until_empty::<Infallible>(
            &mut vec![0u8; size],
            t.l(LFlag::ICANON),
            100_000,
            |buf| Ok(ReadOnce::from(self.engine.read(&t, buf, &mut self.tty))),
            |got| {
                out.push((!got.is_empty()).then(|| got.to_vec()));
                Ok(())
            },
        );
        ended
    }

    /// A step that reads, in the engine's own mode.
    fn reading_step(&self) -> Step {
        Step {
            canon: self.engine.icanon() && !self.termios.l(LFlag::EXTPROC),
            ..Step::default()
        }
    }

    /// Run a case; returns the trace and the largest master output of a step.
    pub fn run(&mut self, c: &OCase) -> Trace {
        let mut trace = Vec::new();
        let mut t = c.termios;
        // Reset, as run_kernel does it.
        self.tty.clear_master();
        self.tty.clear_signals();
        self.tty.stopped = false;
        let old = self.termios;
        self.engine.set_termios(Some(&old), &t, &mut self.tty);
        self.termios = t;
        self.engine.flush_input(&mut self.tty);
        trace.push(Step {
            master: self.take_master(),
            ..Step::default()
        });
        for (i, ch) in c.chunks.iter().enumerate() {
            let mut s = self.reading_step();
            // Reads made while the chunk is taken (the reader making room).
            let mut interleaved = false;
            let mut off = 0;
            let mut la_done = 0;
            let mut stuck = 0;
            while off < ch.len() && stuck < 3 {
                let n = self.engine.receive(&t, &ch[off..], None, &mut self.tty);
                off += n;
                if off < ch.len() {
                    // The flip-buffer code looks ahead for flow-control characters,
                    // then the reader makes room.
                    let from = la_done.max(off);
                    if from < ch.len() {
                        self.engine.lookahead(&t, &ch[from..], None, &mut self.tty);
                        la_done = ch.len();
                    }
                    self.reads(c.read_size, &mut s.reads);
                    interleaved = true;
                    stuck = if n == 0 { stuck + 1 } else { 0 };
                }
            }
            // The count the kernel must reach before its reads see what the engine's see;
            // none when the engine's reader made room while the chunk was taken.
            s.inq = (!interleaved).then(|| self.engine.inq(&t));
            s.ended = Some(self.reads(c.read_size, &mut s.reads));
            if t.l(LFlag::ISIG) {
                s.signals = self.take_signals();
            }
            s.master = self.take_master();
            trace.push(s);
            if let Some((k, t2)) = c.switch {
                if k == i {
                    self.engine.set_termios(Some(&t), &t2, &mut self.tty);
                    t = t2;
                    self.termios = t2;
                    let mut s = self.reading_step();
                    s.inq = Some(self.engine.inq(&t));
                    s.ended = Some(self.reads(c.read_size, &mut s.reads));
                    s.master = self.take_master();
                    trace.push(s);
                }
            }
        }
        // An empty write(2) never reaches the line discipline.
        let written = if c.write.is_empty() {
            0
        } else {
            self.engine.write(&t, &c.write, &mut self.tty).bytes
        };
        let mut s = self.reading_step();
        s.written = written;
        s.master = self.take_master();
        s.signals = self.take_signals();
        trace.push(s);
        trace
    }
}
