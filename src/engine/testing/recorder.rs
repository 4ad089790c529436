//! Test doubles of the tty: [`Recorder`], a recording [`Actions`] implementation, and
//! [`SliceSink`], a [`Sink`] over a byte slice.

use crate::engine::actions::{Actions, DriverError, Signal, Sink};

/// Size of the recorded driver output of a [`Bench`](super::conformance::Bench) (the
/// default [`Recorder`]).
pub const MASTER_CAP: usize = 8192;
/// Number of signals a [`Recorder`] lists in order; its mask
/// ([`Recorder::signal_mask`]) has every one.
pub const SIG_CAP: usize = 16;

/// What a [`Recorder`] reports as `write_room` while output is not stopped.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Room {
    /// The free space left in the recording buffer: a driver nobody drains.
    Free,
    /// Always this much, whatever was written: a driver drained as fast as it is
    /// filled (a pty whose master is read).
    Fixed(usize),
    /// This much, less every byte written since it was set: a driver with a small
    /// buffer.
    Budget(usize),
}

/// A recording [`Actions`] implementation with fixed buffers: the driver takes
/// nothing while stopped, and otherwise whatever fits in its `CAP` bytes of
/// recorded output; it reports `write_room` as [`Recorder::room`] says. Every call
/// is recorded or counted; counts saturate and signals past [`SIG_CAP`] are only in
/// the mask.
#[derive(Clone)]
pub struct Recorder<const CAP: usize = MASTER_CAP> {
    master: [u8; CAP],
    master_len: usize,
    signals: [Signal; SIG_CAP],
    nsignals: usize,
    /// Every signal sent since the signals were last cleared: bit 0 `SIGINT`,
    /// 1 `SIGQUIT`, 2 `SIGTSTP`, 3 `SIGTTIN`, 4 `SIGTTOU` (the order of [`Signal`]).
    pub signal_mask: u8,
    /// What `write_room` reports while output is not stopped.
    pub room: Room,
    /// `tty->flow.stopped`.
    pub stopped: bool,
    /// `tty->flow.tco_stopped`.
    pub tco_stopped: bool,
    /// `TTY_LDISC_CHANGING`: a discipline change is pending (kept by `clear`).
    pub ldisc_changing: bool,
    /// Times the driver output was flushed.
    pub output_flushes: usize,
    /// Times the input was flushed.
    pub input_flushes: usize,
    /// Throttle requests.
    pub throttles: usize,
    /// Unthrottle requests.
    pub unthrottles: usize,
    /// Times readers were woken, with or without `SIGIO`.
    pub wakeups: usize,
    /// Times input arrived with `SIGIO` (`kill_fasync(POLL_IN)`) for `O_ASYNC` owners.
    pub sigio: usize,
    /// What the last `SIGIO` said `poll()` answers for input (published before the signal).
    pub readable_at_sigio: Option<bool>,
    /// The error the driver's `write` returns from now on, if any (a driver failing).
    pub write_error: Option<DriverError>,
    /// Times the receive worker was kicked.
    pub kicks: usize,
    /// Times the writers of the other side of a pty were woken.
    pub link_wakeups: usize,
    /// Times output was started (`start_tty`).
    pub starts: usize,
    /// Times output was stopped (`stop_tty`).
    pub stops: usize,
    /// Times the driver was asked to send what it buffered (`tty->ops->flush_chars`).
    pub char_flushes: usize,
    /// Calls of the driver's `write` (`tty->ops->write`, or `tty_put_char` for one byte),
    /// a call that takes nothing included.
    pub driver_writes: usize,
}

impl<const CAP: usize> Recorder<CAP> {
    /// An empty recorder whose room is the free space of its buffer.
    pub const fn new() -> Self {
        Self::with_room(Room::Free)
    }
    /// An empty recorder that reports `room`.
    pub const fn with_room(room: Room) -> Self {
        Recorder {
            master: [0; CAP],
            master_len: 0,
            signals: [Signal::Int; SIG_CAP],
            nsignals: 0,
            signal_mask: 0,
            room,
            stopped: false,
            tco_stopped: false,
            ldisc_changing: false,
            output_flushes: 0,
            input_flushes: 0,
            throttles: 0,
            unthrottles: 0,
            wakeups: 0,
            sigio: 0,
            readable_at_sigio: None,
            write_error: None,
            kicks: 0,
            link_wakeups: 0,
            starts: 0,
            stops: 0,
            char_flushes: 0,
            driver_writes: 0,
        }
    }
    /// Forget everything recorded and restart output; `room` is kept.
    pub fn clear(&mut self) {
        self.clear_master();
        self.clear_signals();
        self.stopped = false;
        self.tco_stopped = false;
        self.output_flushes = 0;
        self.input_flushes = 0;
        self.throttles = 0;
        self.unthrottles = 0;
        self.wakeups = 0;
        self.sigio = 0;
        self.readable_at_sigio = None;
        self.write_error = None;
        self.kicks = 0;
        self.link_wakeups = 0;
        self.starts = 0;
        self.stops = 0;
        self.char_flushes = 0;
        self.driver_writes = 0;
    }
    /// The driver bytes recorded.
    pub fn master_bytes(&self) -> &[u8] {
        self.master.get(..self.master_len).unwrap_or(&[])
    }
    /// Forget the driver bytes recorded (the master was read).
    pub fn clear_master(&mut self) {
        self.master_len = 0;
    }
    /// The signals sent, in order (the first [`SIG_CAP`]).
    pub fn signals(&self) -> &[Signal] {
        self.signals.get(..self.nsignals).unwrap_or(&[])
    }
    /// Forget the signals sent: the list and the mask.
    pub fn clear_signals(&mut self) {
        self.nsignals = 0;
        self.signal_mask = 0;
    }
}

impl<const CAP: usize> Default for Recorder<CAP> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const CAP: usize> Sink for Recorder<CAP> {
    fn write_room(&mut self) -> usize {
        if self.stopped {
            return 0;
        }
        match self.room {
            Room::Free => CAP.saturating_sub(self.master_len),
            Room::Fixed(n) | Room::Budget(n) => n,
        }
    }
    fn write(&mut self, data: &[u8]) -> Result<usize, DriverError> {
        self.driver_writes = self.driver_writes.saturating_add(1);
        if let Some(e) = self.write_error {
            return Err(e);
        }
        if self.stopped {
            return Ok(0);
        }
        let free = self.master.get_mut(self.master_len..).unwrap_or(&mut []);
        let mut n = 0usize;
        for (slot, &b) in free.iter_mut().zip(data) {
            *slot = b;
            n = n.saturating_add(1);
        }
        self.master_len = self.master_len.saturating_add(n);
        if let Room::Budget(left) = &mut self.room {
            *left = left.saturating_sub(n);
        }
        Ok(n)
    }
    fn flush_chars(&mut self) {
        self.char_flushes = self.char_flushes.saturating_add(1);
    }
}

impl<const CAP: usize> Actions for Recorder<CAP> {
    fn signal(&mut self, sig: Signal) {
        self.signal_mask |= match sig {
            Signal::Int => 1,
            Signal::Quit => 2,
            Signal::Tstp => 4,
            Signal::Ttin => 8,
            Signal::Ttou => 16,
        };
        if let Some(s) = self.signals.get_mut(self.nsignals) {
            *s = sig;
            self.nsignals = self.nsignals.saturating_add(1);
        }
    }
    fn flush_output(&mut self) {
        self.output_flushes = self.output_flushes.saturating_add(1);
    }
    fn input_flushed(&mut self) {
        self.input_flushes = self.input_flushes.saturating_add(1);
    }
    fn stop(&mut self) {
        self.stops = self.stops.saturating_add(1);
        self.stopped = true;
    }
    fn start(&mut self) {
        self.starts = self.starts.saturating_add(1);
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
    fn ldisc_changing(&self) -> bool {
        self.ldisc_changing
    }
    fn input_arrived(&mut self, readable: impl FnOnce() -> bool) {
        self.sigio = self.sigio.saturating_add(1);
        self.readable_at_sigio = Some(readable());
        self.wakeups = self.wakeups.saturating_add(1);
    }
    fn wake_readers(&mut self) {
        self.wakeups = self.wakeups.saturating_add(1);
    }
    fn throttle(&mut self) {
        self.throttles = self.throttles.saturating_add(1);
    }
    fn unthrottle(&mut self) {
        self.unthrottles = self.unthrottles.saturating_add(1);
    }
    fn kick_worker(&mut self) {
        self.kicks = self.kicks.saturating_add(1);
    }
    fn wake_link_writers(&mut self) {
        self.link_wakeups = self.link_wakeups.saturating_add(1);
    }
}

/// A [`Sink`] over a byte slice, with a room limit.
pub struct SliceSink<'a> {
    buf: &'a mut [u8],
    len: usize,
    room: usize,
}

impl<'a> SliceSink<'a> {
    /// A sink writing into `buf`, accepting at most `room` bytes.
    pub fn new(buf: &'a mut [u8], room: usize) -> Self {
        let room = if room < buf.len() { room } else { buf.len() };
        SliceSink { buf, len: 0, room }
    }
    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }
    /// True if nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Sink for SliceSink<'_> {
    fn write_room(&mut self) -> usize {
        self.room.saturating_sub(self.len)
    }
    fn write(&mut self, data: &[u8]) -> Result<usize, DriverError> {
        let mut n = 0;
        for &b in data {
            if self.len >= self.room {
                break;
            }
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = b;
            } else {
                break;
            }
            self.len += 1;
            n += 1;
        }
        Ok(n)
    }
}
