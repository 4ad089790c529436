//! The conformance table: N_TTY behaviours as data, run by the host tests, by the
//! kernel's KUnit suite and checked against the host kernel by the oracle
//! (`n_rust_oracle --check-table`).
//!
//! A case opens the engine with `termios`, receives `input` (with per-byte
//! `flags`, if any), optionally switches to `switch_to` and receives `input2`,
//! then reads with `read(2)` calls of `read_size` bytes until nothing is left
//! (`-EAGAIN`, or 0 in non-canonical mode), then writes `write` as a program
//! would. Expected: the read results in order (an empty entry is a 0-byte read,
//! end-of-file in canonical mode), every byte that reached the driver (echo and
//! output processing), the signals sent and how much of `write` was taken.

use super::ldisc::{Actions, DriverInfo, Engine, ReadError, Signal, Sink};
use super::termios::{IFlag, LFlag, OFlag, Termios, VEOL, VEOL2, VINTR, VMIN, VTIME};

/// One behaviour.
pub struct Case {
    /// Name, for reports.
    pub name: &'static str,
    /// Termios at open.
    pub termios: Termios,
    /// Bytes from the driver.
    pub input: &'static [u8],
    /// Per-byte `TTY_*` flags for `input` (none: all normal). Cases with flags cannot
    /// be checked on a pty.
    pub flags: Option<&'static [u8]>,
    /// Termios set after `input` (N_TTY's `set_termios` mid-stream).
    pub switch_to: Option<Termios>,
    /// Bytes from the driver after the switch.
    pub input2: &'static [u8],
    /// Size of each `read(2)`.
    pub read_size: usize,
    /// Expected read results, in order.
    pub reads: &'static [&'static [u8]],
    /// Bytes a program writes after the reads.
    pub write: &'static [u8],
    /// Expected number of `write` bytes taken.
    pub written: usize,
    /// Expected bytes at the driver (the pty master), echo then output.
    pub master: &'static [u8],
    /// Expected signals, in order.
    pub signals: &'static [Signal],
}

/// What differed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MismatchKind {
    /// Read number `index` returned other bytes (or other length).
    Read,
    /// More reads returned data than expected.
    ExtraRead,
    /// Fewer reads returned data than expected.
    MissingRead,
    /// The driver bytes differ at `index`.
    Master,
    /// The signals differ at `index`.
    Signals,
    /// The count of written bytes differs.
    Written,
    /// The input was not all consumed.
    Input,
}

/// A failed case.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Mismatch {
    /// The case name.
    pub case: &'static str,
    /// What differed.
    pub kind: MismatchKind,
    /// Where (read number, byte offset or signal number).
    pub index: usize,
}

/// Size of the recorded driver output of a [`Bench`] (the default [`Recorder`]).
pub const MASTER_CAP: usize = 8192;
/// Largest `read_size` a case may use.
pub const READ_CAP: usize = 4096;
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
    /// Times the driver output was flushed.
    pub output_flushes: usize,
    /// Times the input was flushed.
    pub input_flushes: usize,
    /// Throttle requests.
    pub throttles: usize,
    /// Unthrottle requests.
    pub unthrottles: usize,
    /// Times readers were woken.
    pub wakeups: usize,
    /// Times the receive worker was kicked.
    pub kicks: usize,
    /// Times the writers of the other side of a pty were woken.
    pub link_wakeups: usize,
    /// Times output was started (`start_tty`).
    pub starts: usize,
    /// Times output was stopped (`stop_tty`).
    pub stops: usize,
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
            output_flushes: 0,
            input_flushes: 0,
            throttles: 0,
            unthrottles: 0,
            wakeups: 0,
            kicks: 0,
            link_wakeups: 0,
            starts: 0,
            stops: 0,
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
        self.kicks = 0;
        self.link_wakeups = 0;
        self.starts = 0;
        self.stops = 0;
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
    fn write(&mut self, data: &[u8]) -> usize {
        if self.stopped {
            return 0;
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
        n
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

/// Everything a case run needs, allocated once by the caller (about 28 KiB:
/// keep it off the kernel stack). All fields are plain data (integers, `bool`s,
/// enums, arrays of them; nothing to drop, no pointers): a bitwise copy of a fresh
/// bench is a fresh bench.
pub struct Bench {
    /// The engine under test.
    pub engine: Engine,
    /// The recording tty.
    pub rec: Recorder,
    /// Read buffer.
    pub buf: [u8; READ_CAP],
}

impl Bench {
    /// A fresh bench on a pty-like driver.
    pub const fn new() -> Self {
        Bench {
            engine: Engine::new(DriverInfo::PTY),
            rec: Recorder::new(),
            buf: [0; READ_CAP],
        }
    }
}

impl Default for Bench {
    fn default() -> Self {
        Self::new()
    }
}

fn feed(b: &mut Bench, t: &Termios, data: &[u8], flags: Option<&[u8]>) -> bool {
    let mut off = 0;
    while off < data.len() {
        let f = flags.map(|f| f.get(off..).unwrap_or(&[]));
        let n = b
            .engine
            .receive(t, data.get(off..).unwrap_or(&[]), f, &mut b.rec);
        if n == 0 {
            return false;
        }
        off += n;
    }
    true
}

/// Run one case on `bench`.
pub fn run(case: &Case, bench: &mut Bench) -> Result<(), Mismatch> {
    let fail = |kind, index| {
        Err(Mismatch {
            case: case.name,
            kind,
            index,
        })
    };
    bench.rec.clear();
    bench.engine.set_driver(DriverInfo::PTY);
    let mut t = case.termios;
    bench.engine.open(&t, &mut bench.rec);
    if !feed(bench, &t, case.input, case.flags) {
        return fail(MismatchKind::Input, 0);
    }
    if let Some(t2) = case.switch_to {
        bench.engine.set_termios(Some(&t), &t2, &mut bench.rec);
        t = t2;
        if !feed(bench, &t, case.input2, None) {
            return fail(MismatchKind::Input, 1);
        }
    }
    let size = case.read_size.clamp(1, READ_CAP);
    let mut nread = 0usize;
    loop {
        let buf = bench.buf.get_mut(..size).unwrap_or(&mut []);
        let got = match bench.engine.read(&t, buf, &mut bench.rec) {
            Err(ReadError::WouldBlock) => break,
            Ok(n) => n,
        };
        if got == 0 && !bench.engine.icanon() {
            break;
        }
        let Some(want) = case.reads.get(nread) else {
            return fail(MismatchKind::ExtraRead, nread);
        };
        if bench.buf.get(..got) != Some(*want) {
            return fail(MismatchKind::Read, nread);
        }
        nread += 1;
        if nread > 4 * READ_CAP {
            break;
        }
    }
    if nread != case.reads.len() {
        return fail(MismatchKind::MissingRead, nread);
    }
    let written = bench.engine.write(&t, case.write, &mut bench.rec);
    if written != case.written {
        return fail(MismatchKind::Written, written);
    }
    let m = bench.rec.master_bytes();
    if m != case.master {
        let at = m
            .iter()
            .zip(case.master.iter())
            .position(|(x, y)| x != y)
            .unwrap_or(m.len().min(case.master.len()));
        return fail(MismatchKind::Master, at);
    }
    let sent = bench.rec.signals();
    if sent.len() != case.signals.len() {
        return fail(MismatchKind::Signals, sent.len());
    }
    if let Some(i) = sent.iter().zip(case.signals).position(|(x, y)| x != y) {
        return fail(MismatchKind::Signals, i);
    }
    Ok(())
}

/// Run every case of [`CASES`]; returns the number run, or the first mismatch.
pub fn run_all(bench: &mut Bench) -> Result<usize, Mismatch> {
    for c in CASES {
        run(c, bench)?;
    }
    Ok(CASES.len())
}

// ----- the table -------------------------------------------------------------

const SANE: Termios = Termios::SANE;
const RAW: Termios = Termios::RAW;

const fn fill<const N: usize>(b: u8, last: u8) -> [u8; N] {
    let mut a = [b; N];
    if N > 0 {
        a[N - 1] = last;
    }
    a
}

/// 5000 'a' and a newline: a canonical line past the 4095-character limit.
static LONG_INPUT: [u8; 5001] = fill(b'a', b'\n');
/// What a reader gets of it: 4095 'a' and the newline.
static LONG_LINE: [u8; 4096] = fill(b'a', b'\n');
static HUNDRED: [u8; 100] = fill(b'x', b'x');
static X64: [u8; 64] = fill(b'x', b'x');
static X36: [u8; 36] = fill(b'x', b'x');

const fn case(name: &'static str, termios: Termios, input: &'static [u8]) -> Case {
    Case {
        name,
        termios,
        input,
        flags: None,
        switch_to: None,
        input2: b"",
        read_size: 512,
        reads: &[],
        write: b"",
        written: 0,
        master: b"",
        signals: &[],
    }
}

const fn expect(mut c: Case, reads: &'static [&'static [u8]], master: &'static [u8]) -> Case {
    c.reads = reads;
    c.master = master;
    c
}

const fn sigs(mut c: Case, s: &'static [Signal]) -> Case {
    c.signals = s;
    c
}

const fn flagged(mut c: Case, f: &'static [u8]) -> Case {
    c.flags = Some(f);
    c
}

const fn writes(mut c: Case, w: &'static [u8], written: usize) -> Case {
    c.write = w;
    c.written = written;
    c
}

const fn rsize(mut c: Case, n: usize) -> Case {
    c.read_size = n;
    c
}

const fn switch(mut c: Case, t: Termios, input2: &'static [u8]) -> Case {
    c.switch_to = Some(t);
    c.input2 = input2;
    c
}

const OPOST_ONLY: Termios = RAW.with_oflag(OFlag::OPOST);
const RAW_VMIN0: Termios = RAW.with_cc(VMIN, 0);
const RAW_WAIT: Termios = RAW.with_cc(VMIN, 255);

/// The conformance cases.
pub static CASES: &[Case] = &[
    expect(
        case("canon_line_echo_onlcr", SANE, b"abc\n"),
        &[b"abc\n"],
        b"abc\r\n",
    ),
    expect(
        case("icrnl_maps_cr_to_nl", SANE, b"ab\r"),
        &[b"ab\n"],
        b"ab\r\n",
    ),
    expect(
        case(
            "no_icrnl_cr_is_data_echoed_ctl",
            SANE.minus_i(IFlag::ICRNL),
            b"ab\rcd\n",
        ),
        &[b"ab\rcd\n"],
        b"ab^Mcd\r\n",
    ),
    expect(
        case("igncr_drops_cr", SANE.plus_i(IFlag::IGNCR), b"a\rb\n"),
        &[b"ab\n"],
        b"ab\r\n",
    ),
    expect(
        case(
            "inlcr_maps_nl_to_cr",
            SANE.plus_i(IFlag::INLCR).minus_i(IFlag::ICRNL),
            b"ab\n\x04",
        ),
        &[b"ab\r"],
        b"ab^M",
    ),
    expect(
        case("eof_at_line_start_reads_zero", SANE, b"\x04"),
        &[b""],
        b"",
    ),
    expect(
        case("eof_mid_line_pushes_line", SANE, b"ab\x04cd\n"),
        &[b"ab", b"cd\n"],
        b"abcd\r\n",
    ),
    expect(
        case("erase_with_echoe", SANE, b"abc\x7f\n"),
        &[b"ab\n"],
        b"abc\x08 \x08\r\n",
    ),
    expect(
        case(
            "erase_without_echoe_echoes_erase_char",
            SANE.minus_l(LFlag::ECHOE),
            b"ab\x7f\n",
        ),
        &[b"a\n"],
        b"ab^?\r\n",
    ),
    expect(
        case("erase_at_line_start_does_nothing", SANE, b"\x7f\x7fa\n"),
        &[b"a\n"],
        b"a\r\n",
    ),
    expect(
        case("erase_over_tab_backs_up_columns", SANE, b"a\t\x7f\n"),
        &[b"a\n"],
        b"a\t\x08\x08\x08\x08\x08\x08\x08\r\n",
    ),
    expect(
        case("erase_over_tab_after_tab", SANE, b"\tab\t\x7f\n"),
        &[b"\tab\n"],
        b"\tab\t\x08\x08\x08\x08\x08\x08\r\n",
    ),
    expect(
        case(
            "erase_control_char_echoctl_two_columns",
            SANE,
            b"a\x01\x7f\n",
        ),
        &[b"a\n"],
        b"a^A\x08 \x08\x08 \x08\r\n",
    ),
    expect(
        case("werase_erases_word", SANE, b"foo bar\x17\n"),
        &[b"foo \n"],
        b"foo bar\x08 \x08\x08 \x08\x08 \x08\r\n",
    ),
    expect(
        case("werase_skips_trailing_blanks", SANE, b"fo  \x17\n"),
        &[b"\n"],
        b"fo  \x08 \x08\x08 \x08\x08 \x08\x08 \x08\r\n",
    ),
    expect(
        case(
            "werase_needs_iexten",
            SANE.minus_l(LFlag::IEXTEN),
            b"ab\x17\n",
        ),
        &[b"ab\x17\n"],
        b"ab^W\r\n",
    ),
    expect(
        case("kill_echoke_erases_visually", SANE, b"abc\x15\n"),
        &[b"\n"],
        b"abc\x08 \x08\x08 \x08\x08 \x08\r\n",
    ),
    expect(
        case(
            "kill_echok_without_echoke_newline",
            SANE.minus_l(LFlag::ECHOKE),
            b"abc\x15d\n",
        ),
        &[b"d\n"],
        b"abc^U\r\nd\r\n",
    ),
    expect(
        case(
            "kill_without_echok_echoes_kill_char",
            SANE.minus_l(LFlag::ECHOKE).minus_l(LFlag::ECHOK),
            b"abc\x15d\n",
        ),
        &[b"d\n"],
        b"abc^Ud\r\n",
    ),
    expect(
        case(
            "kill_without_echo_silent",
            SANE.minus_l(LFlag::ECHO),
            b"abc\x15d\n",
        ),
        &[b"d\n"],
        b"",
    ),
    expect(
        case(
            "echonl_without_echo",
            SANE.minus_l(LFlag::ECHO).plus_l(LFlag::ECHONL),
            b"ab\n",
        ),
        &[b"ab\n"],
        b"\r\n",
    ),
    expect(
        case(
            "echoctl_off_echoes_raw_control",
            SANE.minus_l(LFlag::ECHOCTL),
            b"a\x01\n",
        ),
        &[b"a\x01\n"],
        b"a\x01\r\n",
    ),
    expect(
        case(
            "echoprt_hardcopy_erase",
            SANE.plus_l(LFlag::ECHOPRT),
            b"abc\x7f\x7fd\n",
        ),
        &[b"ad\n"],
        b"abc\\cb/d\r\n",
    ),
    expect(
        case("reprint_retypes_line", SANE, b"ab\x12c\n"),
        &[b"abc\n"],
        b"ab^R\r\nabc\r\n",
    ),
    expect(
        case("lnext_quotes_erase", SANE, b"a\x16\x7f\n"),
        &[b"a\x7f\n"],
        b"a^\x08^?\r\n",
    ),
    expect(
        case("eol_ends_line", SANE.with_cc(VEOL, b';'), b"ab;cd\n"),
        &[b"ab;", b"cd\n"],
        b"ab;cd\r\n",
    ),
    expect(
        case(
            "eol2_needs_iexten",
            SANE.with_cc(VEOL2, b';').minus_l(LFlag::IEXTEN),
            b"ab;cd\n",
        ),
        &[b"ab;cd\n"],
        b"ab;cd\r\n",
    ),
    expect(
        case("eol2_ends_line", SANE.with_cc(VEOL2, b';'), b"ab;cd\n"),
        &[b"ab;", b"cd\n"],
        b"ab;cd\r\n",
    ),
    sigs(
        expect(
            case("isig_intr_flushes_and_signals", SANE, b"ab\x03cd\n"),
            &[b"cd\n"],
            b"^Ccd\r\n",
        ),
        &[Signal::Int],
    ),
    sigs(
        expect(
            case(
                "noflsh_keeps_input",
                SANE.plus_l(LFlag::NOFLSH),
                b"ab\x03cd\n",
            ),
            &[b"abcd\n"],
            b"ab^Ccd\r\n",
        ),
        &[Signal::Int],
    ),
    sigs(
        expect(case("quit_sends_sigquit", SANE, b"\x1c"), &[], b"^\\"),
        &[Signal::Quit],
    ),
    sigs(
        expect(case("susp_sends_sigtstp", SANE, b"\x1a"), &[], b"^Z"),
        &[Signal::Tstp],
    ),
    expect(
        case(
            "isig_off_intr_is_data",
            SANE.minus_l(LFlag::ISIG),
            b"\x03\n",
        ),
        &[b"\x03\n"],
        b"^C\r\n",
    ),
    expect(
        case(
            "vdisable_disables_char",
            SANE.with_cc(VINTR, 0),
            b"\x03\x00\n",
        ),
        &[b"\x03\x00\n"],
        b"^C^@\r\n",
    ),
    expect(
        case("ixon_stop_start_consumed", SANE, b"a\x13b\x11c\n"),
        &[b"abc\n"],
        b"abc\r\n",
    ),
    writes(
        expect(
            case("ixon_stop_holds_echo_and_output", SANE, b"a\x13b\n"),
            &[b"ab\n"],
            b"",
        ),
        b"out",
        0,
    ),
    expect(
        case(
            "ixany_any_char_restarts",
            SANE.plus_i(IFlag::IXANY),
            b"\x13ab\n",
        ),
        &[b"ab\n"],
        b"ab\r\n",
    ),
    expect(
        case(
            "ixon_off_stop_is_data",
            SANE.minus_i(IFlag::IXON),
            b"\x13\n",
        ),
        &[b"\x13\n"],
        b"^S\r\n",
    ),
    expect(
        case("istrip_strips_bit8", SANE.plus_i(IFlag::ISTRIP), b"\xe1\n"),
        &[b"a\n"],
        b"a\r\n",
    ),
    expect(
        case("iuclc_lowers_input", SANE.plus_i(IFlag::IUCLC), b"ABc\n"),
        &[b"abc\n"],
        b"abc\r\n",
    ),
    expect(
        case(
            "iuclc_needs_iexten",
            SANE.plus_i(IFlag::IUCLC).minus_l(LFlag::IEXTEN),
            b"AB\n",
        ),
        &[b"AB\n"],
        b"AB\r\n",
    ),
    expect(
        case("parmrk_doubles_ff", RAW.plus_i(IFlag::PARMRK), b"\xffa"),
        &[b"\xff\xffa"],
        b"",
    ),
    sigs(
        flagged(
            case(
                "brkint_break_sends_sigint",
                RAW.plus_i(IFlag::BRKINT),
                b"\x00",
            ),
            &[1],
        ),
        &[Signal::Int],
    ),
    expect(
        flagged(
            case("break_parmrk_marks", RAW.plus_i(IFlag::PARMRK), b"\x00"),
            &[1],
        ),
        &[b"\xff\x00\x00"],
        b"",
    ),
    expect(
        flagged(
            case("break_plain_reads_nul", RAW.plus_i(IFlag::INPCK), b"\x00z"),
            &[1, 0],
        ),
        &[b"\x00z"],
        b"",
    ),
    flagged(
        case(
            "ignbrk_ignores_break",
            RAW.plus_i(IFlag::IGNBRK)
                .plus_i(IFlag::BRKINT)
                .plus_i(IFlag::ISTRIP),
            b"\x00",
        ),
        &[1],
    ),
    expect(
        flagged(
            case(
                "real_raw_pty_ignores_flags",
                RAW.plus_i(IFlag::INPCK).plus_i(IFlag::IGNPAR),
                b"x",
            ),
            &[3],
        ),
        &[b"x"],
        b"",
    ),
    expect(
        flagged(
            case(
                "parity_inpck_parmrk_marks",
                RAW.plus_i(IFlag::INPCK).plus_i(IFlag::PARMRK),
                b"x",
            ),
            &[3],
        ),
        &[b"\xff\x00x"],
        b"",
    ),
    flagged(
        case(
            "parity_inpck_ignpar_drops",
            RAW.plus_i(IFlag::INPCK)
                .plus_i(IFlag::IGNPAR)
                .plus_i(IFlag::ISTRIP),
            b"x",
        ),
        &[3],
    ),
    expect(
        flagged(
            case(
                "frame_without_inpck_keeps_char",
                RAW.plus_i(IFlag::ISTRIP),
                b"x",
            ),
            &[2],
        ),
        &[b"x"],
        b"",
    ),
    expect(
        flagged(
            case("parity_inpck_reads_nul", RAW.plus_i(IFlag::INPCK), b"xy"),
            &[3, 0],
        ),
        &[b"\x00y"],
        b"",
    ),
    expect(
        flagged(
            case("overrun_flag_drops_char", RAW.plus_i(IFlag::INPCK), b"xy"),
            &[4, 0],
        ),
        &[b"y"],
        b"",
    ),
    expect(
        case("raw_passes_everything", RAW, b"a\r\n\x03\x7f\x04"),
        &[b"a\r\n\x03\x7f\x04"],
        b"",
    ),
    writes(
        expect(case("onlcr_output_maps_nl", SANE, b""), &[], b"a\r\nb"),
        b"a\nb",
        3,
    ),
    writes(
        expect(
            case("ocrnl_output_maps_cr", OPOST_ONLY.plus_o(OFlag::OCRNL), b""),
            &[],
            b"a\nb",
        ),
        b"a\rb",
        3,
    ),
    writes(
        expect(
            case(
                "onocr_drops_cr_at_column0",
                OPOST_ONLY.plus_o(OFlag::ONOCR),
                b"",
            ),
            &[],
            b"ab\r",
        ),
        b"\rab\r",
        4,
    ),
    writes(
        expect(
            case(
                "onlret_nl_resets_column",
                OPOST_ONLY.plus_o(OFlag::ONLRET).plus_o(OFlag::XTABS),
                b"",
            ),
            &[],
            b"ab\n        ",
        ),
        b"ab\n\t",
        4,
    ),
    writes(
        expect(
            case("xtabs_expands_tabs", OPOST_ONLY.plus_o(OFlag::XTABS), b""),
            &[],
            b"ab\n      x",
        ),
        b"ab\n\tx",
        5,
    ),
    writes(
        expect(
            case(
                "olcuc_uppercases_latin1",
                OPOST_ONLY.plus_o(OFlag::OLCUC),
                b"",
            ),
            &[],
            b"ABC\xc9",
        ),
        b"abc\xe9",
        4,
    ),
    writes(
        expect(case("opost_off_passes_output", RAW, b""), &[], b"a\n\t"),
        b"a\n\t",
        3,
    ),
    expect(
        case("echo_without_onlcr", SANE.minus_o(OFlag::ONLCR), b"a\n"),
        &[b"a\n"],
        b"a\n",
    ),
    expect(
        case(
            "iutf8_erase_whole_character",
            SANE.plus_i(IFlag::IUTF8),
            b"a\xc3\xa9\x7f\n",
        ),
        &[b"a\n"],
        b"a\xc3\xa9\x08 \x08\r\n",
    ),
    expect(
        case("no_iutf8_erase_one_byte", SANE, b"a\xc3\xa9\x7f\n"),
        &[b"a\xc3\n"],
        b"a\xc3\xa9\x08 \x08\r\n",
    ),
    expect(
        case("echo_of_ff_is_escaped", SANE, b"\xff\n"),
        &[b"\xff\n"],
        b"\xff\r\n",
    ),
    expect(
        case("vmin0_vtime0_returns_immediately", RAW_VMIN0, b"ab"),
        &[b"ab"],
        b"",
    ),
    rsize(
        expect(
            case("canon_partial_reads", SANE, b"abcde\n"),
            &[b"ab", b"cd", b"e\n"],
            b"abcde\r\n",
        ),
        2,
    ),
    rsize(
        expect(
            case("canon_exact_read_eats_eof", SANE, b"abc\x04"),
            &[b"abc"],
            b"abc",
        ),
        3,
    ),
    expect(
        case(
            "extproc_passes_raw_no_echo",
            SANE.plus_l(LFlag::EXTPROC),
            b"ab\x7f\n",
        ),
        &[b"ab\x7f\n"],
        b"",
    ),
    rsize(
        expect(
            case(
                "canon_line_limit_4095",
                SANE.minus_l(LFlag::ECHO),
                &LONG_INPUT,
            ),
            &[&LONG_LINE],
            b"",
        ),
        4096,
    ),
    rsize(
        expect(
            case(
                "raw_vmin_over_64_reads_64_chunk",
                RAW.with_cc(VMIN, 100),
                &HUNDRED,
            ),
            &[&X64, &X36],
            b"",
        ),
        200,
    ),
    expect(
        switch(
            case(
                "icanon_off_releases_partial_line",
                SANE.minus_l(LFlag::ECHO),
                b"abc",
            ),
            RAW,
            b"d",
        ),
        &[b"abcd"],
        b"",
    ),
    expect(
        switch(
            case("icanon_on_pushes_pending_input", RAW_WAIT, b"abc"),
            SANE.minus_l(LFlag::ECHO),
            b"",
        ),
        &[b"abc"],
        b"",
    ),
    expect(
        switch(
            case("icanon_on_push_then_new_line", RAW_WAIT, b"ab"),
            SANE.minus_l(LFlag::ECHO),
            b"cd\n",
        ),
        &[b"ab", b"cd\n"],
        b"",
    ),
    expect(
        case(
            "raw_echo_ctl_chars",
            RAW.plus_l(LFlag::ECHO).plus_l(LFlag::ECHOCTL),
            b"a\x01\t",
        ),
        &[b"a\x01\t"],
        b"a^A\t",
    ),
    expect(
        case(
            "vtime_ignored_in_canon",
            SANE.with_cc(VTIME, 5).with_cc(VMIN, 0),
            b"x\n",
        ),
        &[b"x\n"],
        b"x\r\n",
    ),
];
