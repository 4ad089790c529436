//! The tty the engine is attached to in the fuzzer ([`TtyDouble`]): a driver whose room the
//! fuzzer sets, that keeps no bytes but feeds every byte written to a model of the output
//! column ([`ColumnModel`]), and counters of the engine's requests.

use crate::ops::RoomSpec;
use n_rust_engine::{Actions, DriverError, IFlag, OFlag, Signal, Sink, Termios};

/// "Plenty" of room: more than any one operation can write.
const PLENTY: usize = 1 << 20;

/// The output column a terminal would compute from the bytes the driver received, under
/// OPOST: what the engine's `column` must equal when nothing else moved it.
#[derive(Clone, Copy, Debug, Default)]
pub struct ColumnModel {
    /// The column.
    pub column: u32,
}

/// The kernel's `iscntrl` on Latin-1 (`lib/ctype.c`): 0..=31 and 127.
fn is_control(b: u8) -> bool {
    b < 32 || b == 127
}

impl ColumnModel {
    /// One byte reached the driver, `t` in force.
    fn feed(&mut self, b: u8, t: &Termios) {
        match b {
            b'\r' => self.column = 0,
            b'\n' if t.o(OFlag::ONLRET) => self.column = 0,
            b'\t' => self.column += 8 - (self.column & 7),
            8 => self.column = self.column.saturating_sub(1),
            b if is_control(b) => {}
            b if t.i(IFlag::IUTF8) && b & 0xc0 == 0x80 => {}
            _ => self.column += 1,
        }
    }
}

/// The tty below and around the engine.
pub struct TtyDouble {
    /// The termios in force, for the column model.
    pub termios: Termios,
    /// What `write_room` reports while output runs.
    pub room: RoomSpec,
    /// `tty->flow.stopped`.
    pub stopped: bool,
    /// `tty->flow.tco_stopped`.
    pub tco_stopped: bool,
    /// The error `write` returns, if any.
    pub write_error: Option<DriverError>,
    /// The column the bytes written imply.
    pub model: ColumnModel,
    /// Bytes the driver took.
    pub bytes_out: u64,
    /// A write under OPOST offered more than the room reported (a driver overrun).
    pub overrun: Option<(usize, usize)>,
    /// Signals sent.
    pub signals: u32,
    /// Input flushes reported.
    pub input_flushes: u32,
    /// Driver output flushes asked for.
    pub output_flushes: u32,
    /// Throttle and unthrottle requests.
    pub throttles: u32,
    /// Unthrottle requests.
    pub unthrottles: u32,
    /// Receive-worker kicks.
    pub kicks: u32,
}

impl TtyDouble {
    /// A running tty with plenty of room and termios `t`.
    pub fn new(t: Termios) -> Self {
        TtyDouble {
            termios: t,
            room: RoomSpec::Plenty,
            stopped: false,
            tco_stopped: false,
            write_error: None,
            model: ColumnModel::default(),
            bytes_out: 0,
            overrun: None,
            signals: 0,
            input_flushes: 0,
            output_flushes: 0,
            throttles: 0,
            unthrottles: 0,
            kicks: 0,
        }
    }

    /// The room a driver with unlimited room reports, for the liveness checks.
    pub fn has_plenty(&self) -> bool {
        self.room == RoomSpec::Plenty && !self.stopped && self.write_error.is_none()
    }
}

impl Sink for TtyDouble {
    fn write_room(&mut self) -> usize {
        if self.stopped {
            return 0;
        }
        match self.room {
            RoomSpec::Plenty => PLENTY,
            RoomSpec::Fixed(n) => usize::from(n % 16),
            RoomSpec::Budget(n) => usize::from(n),
        }
    }

    fn write(&mut self, data: &[u8]) -> Result<usize, DriverError> {
        if let Some(e) = self.write_error {
            return Err(e);
        }
        let room = self.write_room();
        if self.termios.o(OFlag::OPOST) && data.len() > room && self.overrun.is_none() {
            self.overrun = Some((data.len(), room));
        }
        let n = data.len().min(room);
        let t = self.termios;
        for &b in data.iter().take(n) {
            self.model.feed(b, &t);
        }
        if let RoomSpec::Budget(left) = &mut self.room {
            *left = left.saturating_sub(u16::try_from(n).unwrap_or(u16::MAX));
        }
        self.bytes_out += n as u64;
        Ok(n)
    }
}

impl Actions for TtyDouble {
    fn signal(&mut self, _sig: Signal) {
        self.signals += 1;
    }
    fn flush_output(&mut self) {
        self.output_flushes += 1;
    }
    fn input_flushed(&mut self) {
        self.input_flushes += 1;
    }
    fn stop(&mut self) {
        self.stopped = true;
    }
    fn start(&mut self) {
        if !self.tco_stopped {
            self.stopped = false;
        }
    }
    fn flow_stopped(&self) -> bool {
        self.stopped
    }
    fn tco_stopped(&self) -> bool {
        self.tco_stopped
    }
    fn throttle(&mut self) {
        self.throttles += 1;
    }
    fn unthrottle(&mut self) {
        self.unthrottles += 1;
    }
    fn kick_worker(&mut self) {
        self.kicks += 1;
    }
}
