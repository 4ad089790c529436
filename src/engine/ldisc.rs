//! The N_TTY line discipline state machine: receive, echo, output, read.
//!
//! Every function here follows the function of the same role in
//! `drivers/tty/n_tty.c`; the names in the docs point at it.

use super::ctype::{isalnum, iscntrl, tolower, toupper};
use super::termios::{IFlag, LFlag, OFlag, Termios};
use super::termios::{
    VEOF, VEOL, VEOL2, VERASE, VINTR, VKILL, VLNEXT, VMIN, VQUIT, VREPRINT, VSTART, VSTOP, VSUSP,
    VTIME, VWERASE,
};

/// Size of the read buffer and of the echo buffer (`N_TTY_BUF_SIZE`).
pub const N_TTY_BUF_SIZE: usize = 4096;
/// Throttle when less than this much room is left (`TTY_THRESHOLD_THROTTLE`).
pub const TTY_THRESHOLD_THROTTLE: usize = 128;
/// Unthrottle when at most this much is buffered (`TTY_THRESHOLD_UNTHROTTLE`).
pub const TTY_THRESHOLD_UNTHROTTLE: usize = 128;

/// Per-byte flag: a normal character.
pub const TTY_NORMAL: u8 = 0;
/// Per-byte flag: a break condition.
pub const TTY_BREAK: u8 = 1;
/// Per-byte flag: a framing error.
pub const TTY_FRAME: u8 = 2;
/// Per-byte flag: a parity error.
pub const TTY_PARITY: u8 = 3;
/// Per-byte flag: an overrun.
pub const TTY_OVERRUN: u8 = 4;

const MASK: usize = N_TTY_BUF_SIZE - 1;
const DISABLED_CHAR: u8 = 0;

const ECHO_OP_START: u8 = 0xff;
const ECHO_OP_MOVE_BACK_COL: u8 = 0x80;
const ECHO_OP_SET_CANON_COL: u8 = 0x81;
const ECHO_OP_ERASE_TAB: u8 = 0x82;
const ECHO_COMMIT_WATERMARK: usize = 256;
const ECHO_BLOCK: usize = 256;
const ECHO_DISCARD_WATERMARK: usize = N_TTY_BUF_SIZE - (ECHO_BLOCK + 32);

/// A signal the line discipline sends to the foreground process group.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Signal {
    /// `SIGINT` (INTR character, or a break with BRKINT).
    Int,
    /// `SIGQUIT` (QUIT character).
    Quit,
    /// `SIGTSTP` (SUSP character).
    Tstp,
    /// `SIGTTIN` (background read, job control).
    Ttin,
    /// `SIGTTOU` (background write with TOSTOP, job control).
    Ttou,
}

impl Signal {
    /// The Linux signal number.
    pub const fn number(self) -> i32 {
        match self {
            Signal::Int => 2,
            Signal::Quit => 3,
            Signal::Tstp => 20,
            Signal::Ttin => 21,
            Signal::Ttou => 22,
        }
    }
}

/// Where processed output goes: the driver (`tty_write_room`, `tty->ops->write`).
pub trait Sink {
    /// Free space in the driver's output buffer (`tty_write_room`).
    fn write_room(&mut self) -> usize;
    /// Hand bytes to the driver; returns how many it took (`tty->ops->write`).
    fn write(&mut self, data: &[u8]) -> usize;
    /// `tty->ops->flush_chars`, called after a burst of echo/output.
    fn flush_chars(&mut self) {}
}

/// The effects the engine asks of the tty it is attached to.
///
/// The kernel glue implements this on the real tty; tests record the calls.
pub trait Actions: Sink {
    /// Send `sig` to the tty's foreground process group (`__isig`).
    fn signal(&mut self, sig: Signal);
    /// Flush the driver's output buffer (`tty_driver_flush_buffer`).
    fn flush_output(&mut self);
    /// The input queue was flushed: tell a packet-mode master (`n_tty_packet_mode_flush`).
    fn input_flushed(&mut self) {}
    /// Stop output (`stop_tty`, STOP character with IXON).
    fn stop(&mut self);
    /// Restart output (`start_tty`: START character, IXANY, signal characters).
    fn start(&mut self);
    /// `tty->flow.stopped`.
    fn flow_stopped(&self) -> bool;
    /// `tty->flow.tco_stopped` (stopped by `tcflow(TCOOFF)`).
    fn tco_stopped(&self) -> bool;
    /// Input is available: wake readers and send `SIGIO`/`POLL_IN`.
    fn wake_readers(&mut self) {}
    /// Termios changed: wake writers too (`n_tty_set_termios`).
    fn wake_writers(&mut self) {}
    /// Ask the driver to stop sending (`tty_throttle_safe`; the driver sends STOP with IXOFF).
    fn throttle(&mut self) {}
    /// Let the driver send again (`tty_unthrottle_safe`).
    fn unthrottle(&mut self) {}
    /// The receive path stopped for lack of room and may go on now (`n_tty_kick_worker`).
    fn kick_worker(&mut self) {}
    /// A pty read made room: wake the writers on the other side (`tty_wakeup(tty->link)`).
    fn wake_link_writers(&mut self) {}
}

/// What the driver below the line discipline is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DriverInfo {
    /// `TTY_DRIVER_REAL_RAW`: the driver reports no break/parity events in raw mode.
    pub real_raw: bool,
    /// `TTY_DRIVER_TYPE_PTY`: a pty, with its own throttling rules.
    pub pty: bool,
}

impl DriverInfo {
    /// A pty (real-raw capable), as on the pty pair the oracle uses.
    pub const PTY: DriverInfo = DriverInfo {
        real_raw: true,
        pty: true,
    };
    /// A serial-like driver.
    pub const SERIAL: DriverInfo = DriverInfo {
        real_raw: false,
        pty: false,
    };
}

/// Error of a non-blocking read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ReadError {
    /// Nothing to read now (`-EAGAIN`).
    WouldBlock,
}

/// How long a read may wait.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Timeout {
    /// Wait until woken.
    Forever,
    /// Do not wait at all.
    Immediate,
    /// Wait at most this many tenths of a second.
    Deciseconds(u8),
}

/// The VMIN/VTIME decision of `n_tty_read`: what a blocking read waits for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ReadPolicy {
    /// Return once at least this many bytes were copied (0: after any copy, canonical).
    pub minimum: usize,
    /// Timeout while nothing has been copied yet.
    pub first: Timeout,
    /// Timeout after some bytes were copied but fewer than `minimum` (inter-byte timer).
    pub next: Timeout,
}

impl ReadPolicy {
    /// Should the read return now, with `copied` bytes and `timed_out` set if the
    /// current wait expired? (`n_tty_read` / `n_tty_wait_for_input`.)
    pub const fn done(&self, copied: usize, timed_out: bool) -> bool {
        if copied > 0 && copied >= self.minimum {
            return true;
        }
        if copied == 0 && self.minimum == 0 {
            return false;
        }
        let t = if copied == 0 { self.first } else { self.next };
        match t {
            Timeout::Immediate => true,
            Timeout::Forever => false,
            Timeout::Deciseconds(_) => timed_out,
        }
    }
}

/// The line discipline state of one tty: `struct n_tty_data` without the locks.
///
/// About 12 KiB: allocate it once per tty (never on a kernel stack). Every field
/// is an integer, a `bool` or an array of them, so an all-zero allocation is a
/// valid state (that of `Engine::new(DriverInfo { real_raw: false, pty: false })`);
/// set the driver with [`Engine::set_driver`] and call [`Engine::open`].
#[derive(Clone)]
pub struct Engine {
    read_head: usize,
    commit_head: usize,
    canon_head: usize,
    echo_head: usize,
    echo_commit: usize,
    echo_mark: usize,
    char_map: [u64; 4],
    no_room: bool,
    lnext: bool,
    erasing: bool,
    raw: bool,
    real_raw: bool,
    icanon: bool,
    push: bool,
    closing: bool,
    driver: DriverInfo,
    receive_room: usize,
    read_buf: [u8; N_TTY_BUF_SIZE],
    read_flags: [u64; N_TTY_BUF_SIZE / 64],
    echo_buf: [u8; N_TTY_BUF_SIZE],
    read_tail: usize,
    line_start: usize,
    lookahead_count: usize,
    column: u32,
    canon_column: u32,
    echo_tail: usize,
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
    fn write(&mut self, data: &[u8]) -> usize {
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
        n
    }
}

fn is_utf8_continuation(c: u8) -> bool {
    c & 0xc0 == 0x80
}

fn is_continuation(c: u8, t: &Termios) -> bool {
    t.i(IFlag::IUTF8) && is_utf8_continuation(c)
}

impl Default for Engine {
    fn default() -> Self {
        Self::new(DriverInfo::PTY)
    }
}

impl Engine {
    /// A fresh, zeroed state (`vzalloc` in `n_tty_open`). Call
    /// [`Engine::open`] before use.
    pub const fn new(driver: DriverInfo) -> Self {
        Engine {
            read_head: 0,
            commit_head: 0,
            canon_head: 0,
            echo_head: 0,
            echo_commit: 0,
            echo_mark: 0,
            char_map: [0; 4],
            no_room: false,
            lnext: false,
            erasing: false,
            raw: false,
            real_raw: false,
            icanon: false,
            push: false,
            closing: false,
            driver,
            receive_room: 0,
            read_buf: [0; N_TTY_BUF_SIZE],
            read_flags: [0; N_TTY_BUF_SIZE / 64],
            echo_buf: [0; N_TTY_BUF_SIZE],
            read_tail: 0,
            line_start: 0,
            lookahead_count: 0,
            column: 0,
            canon_column: 0,
            echo_tail: 0,
        }
    }

    /// Reset to the state `n_tty_open` leaves, for termios `t`
    /// (`set_termios(None, t)`; the glue then unthrottles). Works in place: no
    /// copy of the state is made on the stack.
    pub fn open(&mut self, t: &Termios, a: &mut impl Actions) {
        self.clear();
        self.set_termios(None, t, a);
    }

    /// Reset the state in place, as a fresh open, without actions.
    pub fn reset(&mut self, t: &Termios) {
        self.clear();
        self.set_termios_state(None, t);
    }

    /// Everything back to zero except the driver description (`vzalloc`).
    fn clear(&mut self) {
        self.read_head = 0;
        self.commit_head = 0;
        self.canon_head = 0;
        self.echo_head = 0;
        self.echo_commit = 0;
        self.echo_mark = 0;
        self.char_map.fill(0);
        self.no_room = false;
        self.lnext = false;
        self.erasing = false;
        self.raw = false;
        self.real_raw = false;
        self.icanon = false;
        self.push = false;
        self.closing = false;
        self.receive_room = 0;
        self.read_buf.fill(0);
        self.read_flags.fill(0);
        self.echo_buf.fill(0);
        self.read_tail = 0;
        self.line_start = 0;
        self.lookahead_count = 0;
        self.column = 0;
        self.canon_column = 0;
        self.echo_tail = 0;
    }

    /// Set `tty->closing`: only flow-control characters are still processed.
    pub fn set_closing(&mut self, closing: bool) {
        self.closing = closing;
    }

    /// Describe the driver below (the kernel glue allocates the engine zeroed, in place,
    /// then sets this before [`Engine::open`]).
    pub fn set_driver(&mut self, driver: DriverInfo) {
        self.driver = driver;
    }

    /// The driver description given at construction.
    pub fn driver(&self) -> DriverInfo {
        self.driver
    }

    // ----- small helpers -------------------------------------------------

    fn rb(&self, i: usize) -> u8 {
        self.read_buf.get(i & MASK).copied().unwrap_or(0)
    }
    fn rb_set(&mut self, i: usize, c: u8) {
        if let Some(s) = self.read_buf.get_mut(i & MASK) {
            *s = c;
        }
    }
    fn eb(&self, i: usize) -> u8 {
        self.echo_buf.get(i & MASK).copied().unwrap_or(0)
    }
    fn flag_test(&self, i: usize) -> bool {
        let i = i & MASK;
        self.read_flags
            .get(i / 64)
            .is_some_and(|w| w & (1u64 << (i % 64)) != 0)
    }
    fn flag_set(&mut self, i: usize) {
        let i = i & MASK;
        if let Some(w) = self.read_flags.get_mut(i / 64) {
            *w |= 1u64 << (i % 64);
        }
    }
    fn flag_clear(&mut self, i: usize) {
        let i = i & MASK;
        if let Some(w) = self.read_flags.get_mut(i / 64) {
            *w &= !(1u64 << (i % 64));
        }
    }
    fn map_test(&self, c: u8) -> bool {
        let c = c as usize;
        self.char_map
            .get(c / 64)
            .is_some_and(|w| w & (1u64 << (c % 64)) != 0)
    }
    fn map_set(&mut self, c: u8) {
        let c = c as usize;
        if let Some(w) = self.char_map.get_mut(c / 64) {
            *w |= 1u64 << (c % 64);
        }
    }
    fn map_clear(&mut self, c: u8) {
        let c = c as usize;
        if let Some(w) = self.char_map.get_mut(c / 64) {
            *w &= !(1u64 << (c % 64));
        }
    }

    /// Bytes in the read buffer (`read_cnt`).
    pub fn read_cnt(&self) -> usize {
        self.read_head.wrapping_sub(self.read_tail)
    }

    /// Bytes a reader could take (`chars_in_buffer`: complete lines in canonical mode).
    pub fn chars_in_buffer(&self) -> usize {
        let head = if self.icanon {
            self.canon_head
        } else {
            self.commit_head
        };
        head.wrapping_sub(self.read_tail)
    }

    /// Current output column.
    pub fn column(&self) -> u32 {
        self.column
    }

    /// True if the engine is in canonical mode (`ldata->icanon`).
    pub fn icanon(&self) -> bool {
        self.icanon
    }

    /// The room left after the last receive (`tty->receive_room`).
    pub fn receive_room(&self) -> usize {
        self.receive_room
    }

    /// True if the last receive stopped for lack of room (`ldata->no_room`).
    pub fn no_room(&self) -> bool {
        self.no_room
    }

    /// True if echo bytes are waiting to be written (`echo_mark != echo_tail`, or uncommitted).
    pub fn echoes_pending(&self) -> bool {
        self.echo_head != self.echo_tail
    }

    fn put_tty_queue(&mut self, c: u8) {
        self.rb_set(self.read_head, c);
        self.read_head = self.read_head.wrapping_add(1);
    }

    fn reset_buffer_flags(&mut self) {
        self.read_head = 0;
        self.canon_head = 0;
        self.read_tail = 0;
        self.commit_head = 0;
        self.line_start = 0;
        self.erasing = false;
        self.read_flags.fill(0);
        self.push = false;
        self.lookahead_count = 0;
    }

    fn kick_worker(&mut self, a: &mut impl Actions) {
        if self.no_room {
            self.no_room = false;
            a.kick_worker();
        }
    }

    /// Flush the input queue (`n_tty_flush_buffer`, TCIFLUSH).
    pub fn flush_input(&mut self, a: &mut impl Actions) {
        self.reset_buffer_flags();
        self.kick_worker(a);
        a.input_flushed();
    }

    // ----- termios ---------------------------------------------------------

    /// Termios changed from `old` (None: at open) to `new` (`n_tty_set_termios`).
    pub fn set_termios(&mut self, old: Option<&Termios>, new: &Termios, a: &mut impl Actions) {
        self.set_termios_state(old, new);
        if !new.i(IFlag::IXON) && old.is_some_and(|o| o.i(IFlag::IXON)) && !a.tco_stopped() {
            a.start();
            self.process_echoes_to(new, a);
        }
        a.wake_writers();
        a.wake_readers();
    }

    fn set_termios_state(&mut self, old: Option<&Termios>, t: &Termios) {
        let switch = match old {
            None => true,
            Some(o) => (o.lflag.0 ^ t.lflag.0) & (LFlag::ICANON.0 | LFlag::EXTPROC.0) != 0,
        };
        if switch {
            self.read_flags.fill(0);
            self.line_start = self.read_tail;
            if !t.l(LFlag::ICANON) || self.read_cnt() == 0 {
                self.canon_head = self.read_tail;
                self.push = false;
            } else {
                self.flag_set(self.read_head.wrapping_sub(1));
                self.canon_head = self.read_head;
                self.push = true;
            }
            self.commit_head = self.read_head;
            self.erasing = false;
            self.lnext = false;
        }
        self.icanon = t.l(LFlag::ICANON);

        let i = |f: IFlag| t.i(f);
        let l = |f: LFlag| t.l(f);
        if i(IFlag::ISTRIP)
            || i(IFlag::IUCLC)
            || i(IFlag::IGNCR)
            || i(IFlag::ICRNL)
            || i(IFlag::INLCR)
            || l(LFlag::ICANON)
            || i(IFlag::IXON)
            || l(LFlag::ISIG)
            || l(LFlag::ECHO)
            || i(IFlag::PARMRK)
        {
            self.char_map.fill(0);
            if i(IFlag::IGNCR) || i(IFlag::ICRNL) {
                self.map_set(b'\r');
            }
            if i(IFlag::INLCR) {
                self.map_set(b'\n');
            }
            if l(LFlag::ICANON) {
                self.map_set(t.cc(VERASE));
                self.map_set(t.cc(VKILL));
                self.map_set(t.cc(VEOF));
                self.map_set(b'\n');
                self.map_set(t.cc(VEOL));
                if l(LFlag::IEXTEN) {
                    self.map_set(t.cc(VWERASE));
                    self.map_set(t.cc(VLNEXT));
                    self.map_set(t.cc(VEOL2));
                    if l(LFlag::ECHO) {
                        self.map_set(t.cc(VREPRINT));
                    }
                }
            }
            if i(IFlag::IXON) {
                self.map_set(t.cc(VSTART));
                self.map_set(t.cc(VSTOP));
            }
            if l(LFlag::ISIG) {
                self.map_set(t.cc(VINTR));
                self.map_set(t.cc(VQUIT));
                self.map_set(t.cc(VSUSP));
            }
            self.map_clear(DISABLED_CHAR);
            self.raw = false;
            self.real_raw = false;
        } else {
            self.raw = true;
            self.real_raw = (i(IFlag::IGNBRK) || (!i(IFlag::BRKINT) && !i(IFlag::PARMRK)))
                && (i(IFlag::IGNPAR) || !i(IFlag::INPCK))
                && self.driver.real_raw;
        }
    }

    // ----- output ------------------------------------------------------------

    /// One character with OPOST processing (`do_output_char`); `None` if no space.
    fn do_output_char(
        &mut self,
        c: u8,
        t: &Termios,
        s: &mut impl Sink,
        space: usize,
    ) -> Option<usize> {
        if space == 0 {
            return None;
        }
        let mut c = c;
        match c {
            b'\n' => {
                if t.o(OFlag::ONLRET) {
                    self.column = 0;
                }
                if t.o(OFlag::ONLCR) {
                    if space < 2 {
                        return None;
                    }
                    self.column = 0;
                    self.canon_column = 0;
                    s.write(b"\r\n");
                    return Some(2);
                }
                self.canon_column = self.column;
            }
            b'\r' => {
                if t.o(OFlag::ONOCR) && self.column == 0 {
                    return Some(0);
                }
                if t.o(OFlag::OCRNL) {
                    c = b'\n';
                    if t.o(OFlag::ONLRET) {
                        self.column = 0;
                        self.canon_column = 0;
                    }
                } else {
                    self.column = 0;
                    self.canon_column = 0;
                }
            }
            b'\t' => {
                let spaces = 8 - (self.column & 7);
                if t.xtabs() {
                    if space < spaces as usize {
                        return None;
                    }
                    self.column = self.column.wrapping_add(spaces);
                    let blanks = [b' '; 8];
                    s.write(blanks.get(..spaces as usize).unwrap_or(&blanks));
                    return Some(spaces as usize);
                }
                self.column = self.column.wrapping_add(spaces);
            }
            8 => {
                if self.column > 0 {
                    self.column -= 1;
                }
            }
            _ => {
                if !iscntrl(c) {
                    if t.o(OFlag::OLCUC) {
                        c = toupper(c);
                    }
                    if !is_continuation(c, t) {
                        self.column = self.column.wrapping_add(1);
                    }
                }
            }
        }
        s.write(&[c]);
        Some(1)
    }

    /// `process_output_block`: write the leading run of simple characters.
    fn process_output_block(&mut self, t: &Termios, buf: &[u8], s: &mut impl Sink) -> usize {
        let space = s.write_room();
        if space == 0 {
            return 0;
        }
        let nr = buf.len().min(space);
        let mut i = 0;
        while i < nr {
            let c = buf.get(i).copied().unwrap_or(0);
            match c {
                b'\n' => {
                    if t.o(OFlag::ONLRET) {
                        self.column = 0;
                    }
                    if t.o(OFlag::ONLCR) {
                        break;
                    }
                    self.canon_column = self.column;
                }
                b'\r' => {
                    if t.o(OFlag::ONOCR) && self.column == 0 {
                        break;
                    }
                    if t.o(OFlag::OCRNL) {
                        break;
                    }
                    self.column = 0;
                    self.canon_column = 0;
                }
                b'\t' => break,
                8 => {
                    if self.column > 0 {
                        self.column -= 1;
                    }
                }
                _ => {
                    if !iscntrl(c) {
                        if t.o(OFlag::OLCUC) {
                            break;
                        }
                        if !is_continuation(c, t) {
                            self.column = self.column.wrapping_add(1);
                        }
                    }
                }
            }
            i += 1;
        }
        if i == 0 {
            return 0;
        }
        s.write(buf.get(..i).unwrap_or(&[]))
    }

    /// Write `data` to the driver as `n_tty_write` does in one pass (pending echoes
    /// first, then OPOST processing); returns the number of input bytes consumed.
    /// The caller waits for room and calls again with the rest.
    pub fn write(&mut self, t: &Termios, data: &[u8], s: &mut impl Sink) -> usize {
        self.process_echoes_to(t, s);
        self.write_only(t, data, s)
    }

    fn write_only(&mut self, t: &Termios, data: &[u8], s: &mut impl Sink) -> usize {
        let mut b = 0usize;
        if t.o(OFlag::OPOST) {
            while b < data.len() {
                let rest = data.get(b..).unwrap_or(&[]);
                let num = self.process_output_block(t, rest, s);
                b += num;
                if b >= data.len() {
                    break;
                }
                let c = data.get(b).copied().unwrap_or(0);
                let room = s.write_room();
                if self.do_output_char(c, t, s, room).is_none() {
                    break;
                }
                b += 1;
            }
            s.flush_chars();
        } else {
            while b < data.len() {
                let num = s.write(data.get(b..).unwrap_or(&[]));
                if num == 0 {
                    break;
                }
                b += num;
            }
        }
        b
    }

    /// Output processing of `input` into `out`, at most `room` bytes
    /// (`process_output_block` + `process_output`). Returns (consumed, produced).
    pub fn process_output(
        &mut self,
        t: &Termios,
        input: &[u8],
        room: usize,
        out: &mut [u8],
    ) -> (usize, usize) {
        let mut sink = SliceSink::new(out, room);
        let consumed = self.write_only(t, input, &mut sink);
        (consumed, sink.len())
    }

    // ----- echo --------------------------------------------------------------

    fn add_echo_byte(&mut self, c: u8) {
        if let Some(s) = self.echo_buf.get_mut(self.echo_head & MASK) {
            *s = c;
        }
        self.echo_head = self.echo_head.wrapping_add(1);
    }
    fn echo_move_back_col(&mut self) {
        self.add_echo_byte(ECHO_OP_START);
        self.add_echo_byte(ECHO_OP_MOVE_BACK_COL);
    }
    fn echo_set_canon_col(&mut self) {
        self.add_echo_byte(ECHO_OP_START);
        self.add_echo_byte(ECHO_OP_SET_CANON_COL);
    }
    fn echo_erase_tab(&mut self, num_chars: u32, after_tab: bool) {
        self.add_echo_byte(ECHO_OP_START);
        self.add_echo_byte(ECHO_OP_ERASE_TAB);
        let mut n = (num_chars & 7) as u8;
        if after_tab {
            n |= 0x80;
        }
        self.add_echo_byte(n);
    }
    fn echo_char_raw(&mut self, c: u8) {
        if c == ECHO_OP_START {
            self.add_echo_byte(ECHO_OP_START);
        }
        self.add_echo_byte(c);
    }
    fn echo_char(&mut self, c: u8, t: &Termios) {
        if c == ECHO_OP_START {
            self.add_echo_byte(ECHO_OP_START);
            self.add_echo_byte(ECHO_OP_START);
        } else {
            if t.l(LFlag::ECHOCTL) && iscntrl(c) && c != b'\t' {
                self.add_echo_byte(ECHO_OP_START);
            }
            self.add_echo_byte(c);
        }
    }
    fn finish_erasing(&mut self) {
        if self.erasing {
            self.echo_char_raw(b'/');
            self.erasing = false;
        }
    }

    /// `n_tty_process_echo_ops`: Err(true) = not stored yet, Err(false) = no space.
    fn process_echo_op(
        &mut self,
        t: &Termios,
        s: &mut impl Sink,
        tail: &mut usize,
        space: usize,
    ) -> Result<usize, bool> {
        let _ = t;
        let mut space = space;
        if self.echo_commit & MASK == tail.wrapping_add(1) & MASK {
            return Err(true);
        }
        let op = self.eb(tail.wrapping_add(1));
        match op {
            ECHO_OP_ERASE_TAB => {
                if self.echo_commit & MASK == tail.wrapping_add(2) & MASK {
                    return Err(true);
                }
                let mut num_chars = u32::from(self.eb(tail.wrapping_add(2)));
                if num_chars & 0x80 == 0 {
                    num_chars = num_chars.wrapping_add(self.canon_column);
                }
                let num_bs = 8 - (num_chars & 7) as usize;
                if num_bs > space {
                    return Err(false);
                }
                space -= num_bs;
                for _ in 0..num_bs {
                    s.write(&[8]);
                    if self.column > 0 {
                        self.column -= 1;
                    }
                }
                *tail = tail.wrapping_add(3);
            }
            ECHO_OP_SET_CANON_COL => {
                self.canon_column = self.column;
                *tail = tail.wrapping_add(2);
            }
            ECHO_OP_MOVE_BACK_COL => {
                if self.column > 0 {
                    self.column -= 1;
                }
                *tail = tail.wrapping_add(2);
            }
            ECHO_OP_START => {
                if space == 0 {
                    return Err(false);
                }
                s.write(&[ECHO_OP_START]);
                self.column = self.column.wrapping_add(1);
                space -= 1;
                *tail = tail.wrapping_add(2);
            }
            _ => {
                if space < 2 {
                    return Err(false);
                }
                s.write(&[b'^', op ^ 0o100]);
                self.column = self.column.wrapping_add(2);
                space -= 2;
                *tail = tail.wrapping_add(2);
            }
        }
        Ok(space)
    }

    /// `__process_echoes`: write committed echo bytes; returns bytes written.
    fn do_process_echoes(&mut self, t: &Termios, s: &mut impl Sink) -> usize {
        let old_space = s.write_room();
        let mut space = old_space;
        let mut tail = self.echo_tail;
        let mut stored = true;
        while self.echo_commit & MASK != tail & MASK {
            let c = self.eb(tail);
            if c == ECHO_OP_START {
                match self.process_echo_op(t, s, &mut tail, space) {
                    Ok(sp) => space = sp,
                    Err(true) => {
                        stored = false;
                        break;
                    }
                    Err(false) => break,
                }
            } else {
                if t.o(OFlag::OPOST) {
                    match self.do_output_char(c, t, s, space) {
                        Some(n) => space = space.saturating_sub(n),
                        None => break,
                    }
                } else {
                    if space == 0 {
                        break;
                    }
                    s.write(&[c]);
                    space -= 1;
                }
                tail = tail.wrapping_add(1);
            }
        }
        if stored {
            // Nearly full: discard at the tail so the next commit cannot overrun.
            while self.echo_commit > tail
                && self.echo_commit.wrapping_sub(tail) >= ECHO_DISCARD_WATERMARK
            {
                if self.eb(tail) == ECHO_OP_START {
                    if self.eb(tail.wrapping_add(1)) == ECHO_OP_ERASE_TAB {
                        tail = tail.wrapping_add(3);
                    } else {
                        tail = tail.wrapping_add(2);
                    }
                } else {
                    tail = tail.wrapping_add(1);
                }
            }
        }
        self.echo_tail = tail;
        old_space.saturating_sub(space)
    }

    fn commit_echoes(&mut self, t: &Termios, s: &mut impl Sink) {
        let head = self.echo_head;
        self.echo_mark = head;
        let old = self.echo_commit.wrapping_sub(self.echo_tail);
        let nr = head.wrapping_sub(self.echo_tail);
        if nr < ECHO_COMMIT_WATERMARK || (nr % ECHO_BLOCK > old % ECHO_BLOCK) {
            return;
        }
        self.echo_commit = head;
        let echoed = self.do_process_echoes(t, s);
        if echoed > 0 {
            s.flush_chars();
        }
    }

    /// Write pending echoes to the driver (`process_echoes`, as `n_tty_write` and
    /// the START character do).
    pub fn process_echoes_to(&mut self, t: &Termios, s: &mut impl Sink) {
        if self.echo_mark == self.echo_tail {
            return;
        }
        self.echo_commit = self.echo_mark;
        let echoed = self.do_process_echoes(t, s);
        if echoed > 0 {
            s.flush_chars();
        }
    }

    /// Write pending echoes into `out`, at most `room` bytes; returns bytes produced.
    pub fn process_echoes(&mut self, t: &Termios, room: usize, out: &mut [u8]) -> usize {
        let mut sink = SliceSink::new(out, room);
        self.process_echoes_to(t, &mut sink);
        sink.len()
    }

    fn flush_echoes(&mut self, t: &Termios, s: &mut impl Sink) {
        if (!t.l(LFlag::ECHO) && !t.l(LFlag::ECHONL)) || self.echo_commit == self.echo_head {
            return;
        }
        self.echo_commit = self.echo_head;
        self.do_process_echoes(t, s);
    }

    // ----- receive -------------------------------------------------------------

    fn eraser(&mut self, c: u8, t: &Termios) {
        #[derive(PartialEq, Eq)]
        enum EraseKind {
            Erase,
            Werase,
            Line,
        }
        if self.read_head == self.canon_head {
            return;
        }
        let echo = t.l(LFlag::ECHO);
        let kill_type = if c == t.cc(VERASE) {
            EraseKind::Erase
        } else if c == t.cc(VWERASE) {
            EraseKind::Werase
        } else {
            if !echo {
                self.read_head = self.canon_head;
                return;
            }
            if !t.l(LFlag::ECHOK) || !t.l(LFlag::ECHOKE) || !t.l(LFlag::ECHOE) {
                self.read_head = self.canon_head;
                self.finish_erasing();
                self.echo_char(t.cc(VKILL), t);
                if t.l(LFlag::ECHOK) {
                    self.echo_char_raw(b'\n');
                }
                return;
            }
            EraseKind::Line
        };

        let mut seen_alnums = 0u32;
        while self.read_head & MASK != self.canon_head & MASK {
            let mut head = self.read_head;
            let mut ch;
            loop {
                head = head.wrapping_sub(1);
                ch = self.rb(head);
                if !(is_continuation(ch, t) && head & MASK != self.canon_head & MASK) {
                    break;
                }
            }
            if is_continuation(ch, t) {
                break;
            }
            if kill_type == EraseKind::Werase {
                if isalnum(ch) || ch == b'_' {
                    seen_alnums += 1;
                } else if seen_alnums > 0 {
                    break;
                }
            }
            let mut cnt = self.read_head.wrapping_sub(head);
            self.read_head = head;
            if echo {
                if t.l(LFlag::ECHOPRT) {
                    if !self.erasing {
                        self.echo_char_raw(b'\\');
                        self.erasing = true;
                    }
                    self.echo_char(ch, t);
                    while cnt > 1 {
                        cnt -= 1;
                        head = head.wrapping_add(1);
                        let b = self.rb(head);
                        self.echo_char_raw(b);
                        self.echo_move_back_col();
                    }
                } else if kill_type == EraseKind::Erase && !t.l(LFlag::ECHOE) {
                    self.echo_char(t.cc(VERASE), t);
                } else if ch == b'\t' {
                    let mut num_chars = 0u32;
                    let mut after_tab = false;
                    let mut tail = self.read_head;
                    while tail & MASK != self.canon_head & MASK {
                        tail = tail.wrapping_sub(1);
                        let b = self.rb(tail);
                        if b == b'\t' {
                            after_tab = true;
                            break;
                        } else if iscntrl(b) {
                            if t.l(LFlag::ECHOCTL) {
                                num_chars = num_chars.wrapping_add(2);
                            }
                        } else if !is_continuation(b, t) {
                            num_chars = num_chars.wrapping_add(1);
                        }
                    }
                    self.echo_erase_tab(num_chars, after_tab);
                } else {
                    if iscntrl(ch) && t.l(LFlag::ECHOCTL) {
                        self.echo_char_raw(8);
                        self.echo_char_raw(b' ');
                        self.echo_char_raw(8);
                    }
                    if !iscntrl(ch) || t.l(LFlag::ECHOCTL) {
                        self.echo_char_raw(8);
                        self.echo_char_raw(b' ');
                        self.echo_char_raw(8);
                    }
                }
            }
            if kill_type == EraseKind::Erase {
                break;
            }
        }
        if self.read_head == self.canon_head && echo {
            self.finish_erasing();
        }
    }

    fn isig(&mut self, sig: Signal, t: &Termios, a: &mut impl Actions) {
        a.signal(sig);
        if t.l(LFlag::NOFLSH) {
            return;
        }
        self.echo_head = 0;
        self.echo_tail = 0;
        self.echo_mark = 0;
        self.echo_commit = 0;
        a.flush_output();
        self.reset_buffer_flags();
        a.input_flushed();
    }

    fn receive_break(&mut self, t: &Termios, a: &mut impl Actions) {
        if t.i(IFlag::IGNBRK) {
            return;
        }
        if t.i(IFlag::BRKINT) {
            self.isig(Signal::Int, t, a);
            return;
        }
        if t.i(IFlag::PARMRK) {
            self.put_tty_queue(0xff);
            self.put_tty_queue(0);
        }
        self.put_tty_queue(0);
    }

    fn receive_parity_error(&mut self, c: u8, t: &Termios) {
        if t.i(IFlag::INPCK) {
            if t.i(IFlag::IGNPAR) {
                return;
            }
            if t.i(IFlag::PARMRK) {
                self.put_tty_queue(0xff);
                self.put_tty_queue(0);
                self.put_tty_queue(c);
            } else {
                self.put_tty_queue(0);
            }
        } else {
            self.put_tty_queue(c);
        }
    }

    fn receive_signal_char(&mut self, sig: Signal, c: u8, t: &Termios, a: &mut impl Actions) {
        self.isig(sig, t, a);
        if t.i(IFlag::IXON) {
            a.start();
        }
        if t.l(LFlag::ECHO) {
            self.echo_char(c, t);
            self.commit_echoes(t, a);
        } else {
            self.process_echoes_to(t, a);
        }
    }

    fn is_flow_char(c: u8, t: &Termios) -> bool {
        c == t.cc(VSTART) || c == t.cc(VSTOP)
    }

    fn receive_char_flow_ctrl(
        &mut self,
        c: u8,
        t: &Termios,
        lookahead_done: bool,
        a: &mut impl Actions,
    ) -> bool {
        if !Self::is_flow_char(c, t) {
            return false;
        }
        if lookahead_done {
            return true;
        }
        if c == t.cc(VSTART) {
            a.start();
            self.process_echoes_to(t, a);
            return true;
        }
        a.stop();
        true
    }

    fn handle_newline(&mut self, c: u8, a: &mut impl Actions) {
        self.flag_set(self.read_head);
        self.put_tty_queue(c);
        self.canon_head = self.read_head;
        a.wake_readers();
    }

    fn receive_char_canon(&mut self, c: u8, t: &Termios, a: &mut impl Actions) -> bool {
        let iexten = t.l(LFlag::IEXTEN);
        let echo = t.l(LFlag::ECHO);
        if c == t.cc(VERASE) || c == t.cc(VKILL) || (c == t.cc(VWERASE) && iexten) {
            self.eraser(c, t);
            self.commit_echoes(t, a);
            return true;
        }
        if c == t.cc(VLNEXT) && iexten {
            self.lnext = true;
            if echo {
                self.finish_erasing();
                if t.l(LFlag::ECHOCTL) {
                    self.echo_char_raw(b'^');
                    self.echo_char_raw(8);
                    self.commit_echoes(t, a);
                }
            }
            return true;
        }
        if c == t.cc(VREPRINT) && echo && iexten {
            let mut tail = self.canon_head;
            self.finish_erasing();
            self.echo_char(c, t);
            self.echo_char_raw(b'\n');
            while tail & MASK != self.read_head & MASK {
                let b = self.rb(tail);
                self.echo_char(b, t);
                tail = tail.wrapping_add(1);
            }
            self.commit_echoes(t, a);
            return true;
        }
        if c == b'\n' {
            if echo || t.l(LFlag::ECHONL) {
                self.echo_char_raw(b'\n');
                self.commit_echoes(t, a);
            }
            self.handle_newline(c, a);
            return true;
        }
        if c == t.cc(VEOF) {
            self.handle_newline(DISABLED_CHAR, a);
            return true;
        }
        if c == t.cc(VEOL) || (c == t.cc(VEOL2) && iexten) {
            if echo {
                if self.canon_head == self.read_head {
                    self.echo_set_canon_col();
                }
                self.echo_char(c, t);
                self.commit_echoes(t, a);
            }
            if c == 0xff && t.i(IFlag::PARMRK) {
                self.put_tty_queue(c);
            }
            self.handle_newline(c, a);
            return true;
        }
        false
    }

    fn ixany_restart(&mut self, t: &Termios, a: &mut impl Actions) {
        if a.flow_stopped() && !a.tco_stopped() && t.i(IFlag::IXON) && t.i(IFlag::IXANY) {
            a.start();
            self.process_echoes_to(t, a);
        }
    }

    fn receive_char_special(
        &mut self,
        c: u8,
        t: &Termios,
        lookahead_done: bool,
        a: &mut impl Actions,
    ) {
        let mut c = c;
        if t.i(IFlag::IXON) && self.receive_char_flow_ctrl(c, t, lookahead_done, a) {
            return;
        }
        if t.l(LFlag::ISIG) {
            if c == t.cc(VINTR) {
                self.receive_signal_char(Signal::Int, c, t, a);
                return;
            } else if c == t.cc(VQUIT) {
                self.receive_signal_char(Signal::Quit, c, t, a);
                return;
            } else if c == t.cc(VSUSP) {
                self.receive_signal_char(Signal::Tstp, c, t, a);
                return;
            }
        }
        self.ixany_restart(t, a);
        if c == b'\r' {
            if t.i(IFlag::IGNCR) {
                return;
            }
            if t.i(IFlag::ICRNL) {
                c = b'\n';
            }
        } else if c == b'\n' && t.i(IFlag::INLCR) {
            c = b'\r';
        }
        if self.icanon && self.receive_char_canon(c, t, a) {
            return;
        }
        if t.l(LFlag::ECHO) {
            self.finish_erasing();
            if c == b'\n' {
                self.echo_char_raw(b'\n');
            } else {
                if self.canon_head == self.read_head {
                    self.echo_set_canon_col();
                }
                self.echo_char(c, t);
            }
            self.commit_echoes(t, a);
        }
        if c == 0xff && t.i(IFlag::PARMRK) {
            self.put_tty_queue(c);
        }
        self.put_tty_queue(c);
    }

    fn receive_char(&mut self, c: u8, t: &Termios, a: &mut impl Actions) {
        self.ixany_restart(t, a);
        if t.l(LFlag::ECHO) {
            self.finish_erasing();
            if self.canon_head == self.read_head {
                self.echo_set_canon_col();
            }
            self.echo_char(c, t);
            self.commit_echoes(t, a);
        }
        if c == 0xff && t.i(IFlag::PARMRK) {
            self.put_tty_queue(c);
        }
        self.put_tty_queue(c);
    }

    fn preops(c: u8, t: &Termios) -> u8 {
        let mut c = c;
        if t.i(IFlag::ISTRIP) {
            c &= 0x7f;
        }
        if t.i(IFlag::IUCLC) && t.l(LFlag::IEXTEN) {
            c = tolower(c);
        }
        c
    }

    fn receive_char_closing(
        &mut self,
        c: u8,
        t: &Termios,
        lookahead_done: bool,
        a: &mut impl Actions,
    ) {
        let c = Self::preops(c, t);
        if t.i(IFlag::IXON)
            && !self.receive_char_flow_ctrl(c, t, lookahead_done, a)
            && a.flow_stopped()
            && !a.tco_stopped()
            && t.i(IFlag::IXANY)
            && c != t.cc(VINTR)
            && c != t.cc(VQUIT)
            && c != t.cc(VSUSP)
        {
            a.start();
            self.process_echoes_to(t, a);
        }
    }

    fn receive_char_flagged(&mut self, c: u8, flag: u8, t: &Termios, a: &mut impl Actions) {
        match flag {
            TTY_BREAK => self.receive_break(t, a),
            TTY_PARITY | TTY_FRAME => self.receive_parity_error(c, t),
            // Overrun is only counted and logged by N_TTY; unknown flags are logged.
            _ => {}
        }
    }

    fn receive_char_lnext(&mut self, c: u8, flag: u8, t: &Termios, a: &mut impl Actions) {
        self.lnext = false;
        if flag == TTY_NORMAL {
            let c = Self::preops(c, t);
            self.receive_char(c, t, a);
        } else {
            self.receive_char_flagged(c, flag, t, a);
        }
    }

    /// Process flow-control characters of data the receive path could not take yet
    /// (`n_tty_lookahead_flow_ctrl`, called by the flip-buffer code).
    pub fn lookahead(
        &mut self,
        t: &Termios,
        data: &[u8],
        flags: Option<&[u8]>,
        a: &mut impl Actions,
    ) {
        self.lookahead_count = self.lookahead_count.wrapping_add(data.len());
        if !t.i(IFlag::IXON) {
            return;
        }
        for (i, &c) in data.iter().enumerate() {
            let flag = flags.and_then(|f| f.get(i).copied()).unwrap_or(TTY_NORMAL);
            if flag == TTY_NORMAL {
                self.receive_char_flow_ctrl(c, t, false, a);
            }
        }
    }

    fn receive_buf_standard(
        &mut self,
        t: &Termios,
        data: &[u8],
        flags: Option<&[u8]>,
        lookahead_done: bool,
        a: &mut impl Actions,
    ) {
        for (i, &c) in data.iter().enumerate() {
            let flag = flags.and_then(|f| f.get(i).copied()).unwrap_or(TTY_NORMAL);
            if self.lnext {
                self.receive_char_lnext(c, flag, t, a);
                continue;
            }
            if flag != TTY_NORMAL {
                self.receive_char_flagged(c, flag, t, a);
                continue;
            }
            let c = Self::preops(c, t);
            if t.l(LFlag::EXTPROC) {
                self.put_tty_queue(c);
                continue;
            }
            if self.map_test(c) {
                self.receive_char_special(c, t, lookahead_done, a);
            } else {
                self.receive_char(c, t, a);
            }
        }
    }

    /// `__receive_buf`: process `data` (all of it fits).
    fn do_receive_buf(
        &mut self,
        t: &Termios,
        data: &[u8],
        flags: Option<&[u8]>,
        a: &mut impl Actions,
    ) {
        let preops = t.i(IFlag::ISTRIP) || (t.i(IFlag::IUCLC) && t.l(LFlag::IEXTEN));
        let extproc = t.l(LFlag::EXTPROC);
        let la_count = self.lookahead_count.min(data.len());
        let (la, rest) = data.split_at(la_count);
        let (fla, frest) = match flags {
            Some(f) => {
                let (x, y) = f.split_at(la_count.min(f.len()));
                (Some(x), Some(y))
            }
            None => (None, None),
        };
        if self.real_raw {
            for &c in data {
                self.put_tty_queue(c);
            }
        } else if self.raw || (extproc && !preops) {
            for (i, &c) in data.iter().enumerate() {
                let flag = flags.and_then(|f| f.get(i).copied()).unwrap_or(TTY_NORMAL);
                if flag == TTY_NORMAL {
                    self.put_tty_queue(c);
                } else {
                    self.receive_char_flagged(c, flag, t, a);
                }
            }
        } else if self.closing && !extproc {
            for (part, fpart, done) in [(la, fla, true), (rest, frest, false)] {
                for (i, &c) in part.iter().enumerate() {
                    let flag = fpart.and_then(|f| f.get(i).copied()).unwrap_or(TTY_NORMAL);
                    if flag == TTY_NORMAL {
                        self.receive_char_closing(c, t, done, a);
                    }
                }
            }
        } else {
            if !la.is_empty() {
                self.receive_buf_standard(t, la, fla, true, a);
            }
            if !rest.is_empty() {
                self.receive_buf_standard(t, rest, frest, false, a);
            }
            self.flush_echoes(t, a);
            a.flush_chars();
        }
        self.lookahead_count = self.lookahead_count.wrapping_sub(la_count);
        if self.icanon && !extproc {
            return;
        }
        self.commit_head = self.read_head;
        if self.read_cnt() > 0 {
            a.wake_readers();
        }
    }

    /// Receive bytes from the driver (`n_tty_receive_buf2`, flow control on):
    /// `flags`, if given, holds one `TTY_*` flag per byte. Returns how many bytes
    /// were consumed; fewer than `data.len()` means no room (call again after a read).
    pub fn receive(
        &mut self,
        t: &Termios,
        data: &[u8],
        flags: Option<&[u8]>,
        a: &mut impl Actions,
    ) -> usize {
        self.receive_common(t, data, flags, true, a)
    }

    /// Like [`Engine::receive`] but as `n_tty_receive_buf` (no flow control; the
    /// excess is dropped by the caller).
    pub fn receive_noflow(
        &mut self,
        t: &Termios,
        data: &[u8],
        flags: Option<&[u8]>,
        a: &mut impl Actions,
    ) -> usize {
        self.receive_common(t, data, flags, false, a)
    }

    fn receive_common(
        &mut self,
        t: &Termios,
        data: &[u8],
        flags: Option<&[u8]>,
        flow: bool,
        a: &mut impl Actions,
    ) -> usize {
        let mut rcvd = 0usize;
        let mut room: i64;
        let mut overflow;
        loop {
            let tail = self.read_tail;
            let cnt = self.read_head.wrapping_sub(tail).min(2 * N_TTY_BUF_SIZE) as i64;
            room = N_TTY_BUF_SIZE as i64 - cnt;
            if t.i(IFlag::PARMRK) {
                room = (room + 2) / 3;
            }
            room -= 1;
            if room <= 0 {
                overflow = self.icanon && self.canon_head == tail;
                if overflow && room < 0 {
                    self.read_head = self.read_head.wrapping_sub(1);
                }
                room = i64::from(overflow);
                self.no_room = flow && room == 0;
            } else {
                overflow = false;
            }
            let count = data.len().saturating_sub(rcvd);
            let n = count.min(room.max(0) as usize);
            if n == 0 {
                break;
            }
            let chunk = data.get(rcvd..rcvd + n).unwrap_or(&[]);
            let fchunk = flags.map(|f| f.get(rcvd..).unwrap_or(&[]));
            let first_flag = fchunk.and_then(|f| f.first().copied());
            if !overflow || first_flag != Some(TTY_PARITY) {
                self.do_receive_buf(t, chunk, fchunk, a);
            }
            rcvd += n;
        }
        self.receive_room = room.max(0) as usize;
        if self.driver.pty {
            if overflow {
                a.unthrottle();
            }
        } else {
            self.check_throttle(a);
        }
        if self.no_room && self.chars_in_buffer() == 0 {
            self.kick_worker(a);
        }
        rcvd
    }

    fn check_throttle(&mut self, a: &mut impl Actions) {
        if self.icanon && self.canon_head == self.read_tail {
            return;
        }
        if N_TTY_BUF_SIZE.saturating_sub(self.read_cnt()) < TTY_THRESHOLD_THROTTLE {
            a.throttle();
        }
    }

    /// After a read: unthrottle the driver if enough was taken (`n_tty_check_unthrottle`).
    pub fn check_unthrottle(&mut self, a: &mut impl Actions) {
        if self.chars_in_buffer() > TTY_THRESHOLD_UNTHROTTLE {
            return;
        }
        self.kick_worker(a);
        if self.driver.pty {
            a.wake_link_writers();
        } else {
            a.unthrottle();
        }
    }

    // ----- read --------------------------------------------------------------

    /// Is there something for a reader (`input_available_p`)? `poll` selects the
    /// VMIN rule of `poll()`.
    pub fn input_available(&self, t: &Termios, poll: bool) -> bool {
        let amt = if poll && t.cc(VTIME) == 0 && t.cc(VMIN) != 0 {
            t.cc(VMIN) as usize
        } else {
            1
        };
        if self.icanon && !t.l(LFlag::EXTPROC) {
            self.canon_head != self.read_tail
        } else {
            self.commit_head.wrapping_sub(self.read_tail) >= amt
        }
    }

    /// Bytes FIONREAD/TIOCINQ reports (`n_tty_ioctl`): complete lines without
    /// their EOF markers in canonical mode.
    pub fn inq(&self, t: &Termios) -> usize {
        if t.l(LFlag::ICANON) && !t.l(LFlag::EXTPROC) {
            if self.canon_head == self.read_tail {
                return 0;
            }
            let head = self.canon_head;
            let mut tail = self.read_tail;
            let mut nr = head.wrapping_sub(tail);
            let mut guard = 0;
            while head & MASK != tail & MASK && guard < N_TTY_BUF_SIZE {
                if self.flag_test(tail) && self.rb(tail) == DISABLED_CHAR {
                    nr = nr.saturating_sub(1);
                }
                tail = tail.wrapping_add(1);
                guard += 1;
            }
            nr
        } else {
            self.read_cnt()
        }
    }

    fn zero_buffer(&mut self, t: &Termios, from: usize, n: usize) {
        if t.l(LFlag::ICANON) && !t.l(LFlag::ECHO) {
            for i in 0..n {
                self.rb_set(from.wrapping_add(i), 0);
            }
        }
    }

    /// Raw-mode copy (`copy_from_read_buf`): returns (bytes copied, more to copy).
    pub fn copy_from_read_buf(&mut self, t: &Termios, out: &mut [u8]) -> (usize, bool) {
        let head = self.commit_head;
        let tail = self.read_tail & MASK;
        let n = head
            .wrapping_sub(self.read_tail)
            .min(N_TTY_BUF_SIZE - tail)
            .min(out.len());
        if n == 0 {
            return (0, false);
        }
        for (i, o) in out.iter_mut().take(n).enumerate() {
            *o = self.rb(tail + i);
        }
        let is_eof = n == 1 && self.rb(tail) == t.cc(VEOF);
        self.zero_buffer(t, tail, n);
        self.read_tail = self.read_tail.wrapping_add(n);
        if t.l(LFlag::EXTPROC) && self.icanon && is_eof && head == self.read_tail {
            return (0, false);
        }
        (n, head != self.read_tail)
    }

    /// Canonical-mode copy of (part of) one line (`canon_copy_from_read_buf`):
    /// returns (bytes copied, more of this line to copy).
    pub fn canon_copy_from_read_buf(&mut self, t: &Termios, out: &mut [u8]) -> (usize, bool) {
        if out.is_empty() {
            return (0, false);
        }
        let canon_head = self.canon_head;
        let avail = canon_head.wrapping_sub(self.read_tail).min(N_TTY_BUF_SIZE);
        let n0 = out.len().min(avail);
        let tail = self.read_tail;
        let mut eol = None;
        for i in 0..n0 {
            if self.flag_test(tail.wrapping_add(i)) {
                eol = Some(i);
                break;
            }
        }
        let (mut n, c, found) = match eol {
            Some(i) => (i, i + 1, true),
            None => (n0, n0, false),
        };
        if !found || self.rb(tail.wrapping_add(n)) != DISABLED_CHAR {
            n = c;
        }
        for (i, o) in out.iter_mut().take(n).enumerate() {
            *o = self.rb(tail.wrapping_add(i));
        }
        self.zero_buffer(t, tail, n);
        if found {
            self.flag_clear(tail.wrapping_add(c - 1));
        }
        self.read_tail = self.read_tail.wrapping_add(c);
        if found {
            if !self.push {
                self.line_start = self.read_tail;
            } else {
                self.push = false;
            }
            return (n, false);
        }
        (n, self.read_tail != canon_head)
    }

    /// After a canonical read filled the user buffer exactly: eat an EOF marker
    /// sitting at the read position (`canon_skip_eof`).
    pub fn canon_skip_eof(&mut self) {
        let tail = self.read_tail;
        if tail == self.canon_head {
            return;
        }
        if !self.flag_test(tail) || self.rb(tail) != DISABLED_CHAR {
            return;
        }
        self.flag_clear(tail);
        self.read_tail = self.read_tail.wrapping_add(1);
    }

    /// The VMIN/VTIME rules of `n_tty_read` for termios `t` in the current mode.
    pub fn read_policy(&self, t: &Termios) -> ReadPolicy {
        read_policy(t, self.icanon)
    }

    /// One call of the line discipline's `read` for a non-blocking file with no
    /// packet mode (`n_tty_read`, including the continuation `cookie` protocol):
    /// copies into `out`; `Ok(0)` is end-of-file (canonical) or nothing with
    /// VMIN = VTIME = 0.
    pub fn ldisc_read(
        &mut self,
        t: &Termios,
        out: &mut [u8],
        cookie: &mut bool,
        a: &mut impl Actions,
    ) -> Result<usize, ReadError> {
        let canon = self.icanon && !t.l(LFlag::EXTPROC);
        if *cookie {
            let mut k = 0usize;
            if canon {
                if out.is_empty() {
                    self.canon_skip_eof();
                } else {
                    let (n, more) = self.canon_copy_from_read_buf(t, out);
                    k = n;
                    if more {
                        return Ok(k);
                    }
                }
            } else {
                let (n, more) = self.copy_from_read_buf(t, out);
                k = n;
                if more {
                    return Ok(k);
                }
            }
            self.kick_worker(a);
            self.check_unthrottle(a);
            *cookie = false;
            return Ok(k);
        }

        let policy = self.read_policy(t);
        let mut minimum = policy.minimum;
        if minimum == 0 && !self.icanon {
            minimum = 1;
        }
        let mut timeout = policy.first;
        let old_tail = self.read_tail;
        let mut kb = 0usize;
        let mut retval: Result<usize, ReadError> = Ok(0);
        let mut guard = 0usize;
        while kb < out.len() && guard <= 2 * N_TTY_BUF_SIZE {
            guard += 1;
            if !self.input_available(t, false) {
                if timeout == Timeout::Immediate {
                    retval = Ok(0);
                } else {
                    retval = Err(ReadError::WouldBlock);
                }
                break;
            }
            let rest = out.get_mut(kb..).unwrap_or(&mut []);
            if canon {
                let (n, more) = self.canon_copy_from_read_buf(t, rest);
                kb += n;
                if more {
                    *cookie = true;
                    return Ok(kb);
                }
            } else {
                let (n, more) = self.copy_from_read_buf(t, rest);
                kb += n;
                if more && kb >= minimum {
                    *cookie = true;
                    return Ok(kb);
                }
            }
            self.check_unthrottle(a);
            if kb >= minimum {
                break;
            }
            if policy.next != Timeout::Forever {
                timeout = policy.next;
            }
        }
        if old_tail != self.read_tail {
            self.kick_worker(a);
        }
        if kb > 0 {
            Ok(kb)
        } else {
            retval
        }
    }

    /// A whole non-blocking `read(2)` of up to `out.len()` bytes, as the tty core
    /// drives the line discipline (64-byte chunks with continuation).
    pub fn read(
        &mut self,
        t: &Termios,
        out: &mut [u8],
        a: &mut impl Actions,
    ) -> Result<usize, ReadError> {
        let mut cookie = false;
        let mut offset = 0usize;
        let mut guard = 0usize;
        loop {
            guard += 1;
            let count = out.len().saturating_sub(offset);
            let size = count.min(64);
            let chunk = out.get_mut(offset..offset + size).unwrap_or(&mut []);
            match self.ldisc_read(t, chunk, &mut cookie, a) {
                Ok(0) => break,
                Ok(n) => offset += n,
                Err(e) => {
                    if offset == 0 {
                        return Err(e);
                    }
                    break;
                }
            }
            if !cookie || guard > 4 * N_TTY_BUF_SIZE {
                break;
            }
        }
        Ok(offset)
    }
}

/// The VMIN/VTIME decision of `n_tty_read` for termios `t` (`icanon`: canonical mode).
pub const fn read_policy(t: &Termios, icanon: bool) -> ReadPolicy {
    if icanon {
        return ReadPolicy {
            minimum: 0,
            first: Timeout::Forever,
            next: Timeout::Forever,
        };
    }
    let vmin = t.cc(VMIN);
    let vtime = t.cc(VTIME);
    if vmin > 0 {
        ReadPolicy {
            minimum: vmin as usize,
            first: Timeout::Forever,
            next: if vtime > 0 {
                Timeout::Deciseconds(vtime)
            } else {
                Timeout::Forever
            },
        }
    } else {
        let first = if vtime > 0 {
            Timeout::Deciseconds(vtime)
        } else {
            Timeout::Immediate
        };
        ReadPolicy {
            minimum: 1,
            first,
            next: first,
        }
    }
}
