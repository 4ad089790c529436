//! What passes between the engine and the tty it is attached to: the effects the engine
//! asks for ([`Actions`], [`Sink`], [`Signal`]), what it is told about the driver
//! ([`DriverInfo`], the per-byte `TTY_*` flags) and the error of a driver's write
//! ([`DriverError`]).

/// Per-byte flag: a normal character (`TTY_NORMAL`).
pub const TTY_NORMAL: u8 = 0;
/// Per-byte flag: a break condition (`TTY_BREAK`).
pub const TTY_BREAK: u8 = 1;
/// Per-byte flag: a framing error (`TTY_FRAME`).
pub const TTY_FRAME: u8 = 2;
/// Per-byte flag: a parity error (`TTY_PARITY`).
pub const TTY_PARITY: u8 = 3;
/// Per-byte flag: an overrun (`TTY_OVERRUN`).
pub const TTY_OVERRUN: u8 = 4;

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

/// An error a driver's `write` returned (its negative errno, as a positive number).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DriverError(pub i32);

impl DriverError {
    /// `EAGAIN`: no room now. With OPOST `n_tty_write` treats it as a full buffer.
    pub const WOULD_BLOCK: DriverError = DriverError(11);
}

/// Where processed output goes: the driver (`tty_write_room`, `tty->ops->write`).
pub trait Sink {
    /// Free space in the driver's output buffer (`tty_write_room`).
    fn write_room(&mut self) -> usize;
    /// Hand bytes to the driver (`tty->ops->write`): how many it took, or its error, which
    /// `n_tty_write` returns to the writer.
    fn write(&mut self, data: &[u8]) -> Result<usize, DriverError>;
    /// Output whose result N_TTY does not look at, into room it has checked: echoes and the
    /// expansions of `do_output_char` (`tty_put_char` for one byte, `tty->ops->write` for
    /// more).
    fn put(&mut self, data: &[u8]) {
        // The result is ignored, as N_TTY ignores it.
        let _ = self.write(data);
    }
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
    /// Whether the tty layer is changing the discipline (`TTY_LDISC_CHANGING`): the receive
    /// loop then stops after the chunk it took, as `n_tty_receive_buf_common`'s does, and
    /// leaves the rest in the flip buffer for the next discipline.
    fn ldisc_changing(&self) -> bool {
        false
    }
    /// `tty->flow.tco_stopped` (stopped by `tcflow(TCOOFF)`).
    fn tco_stopped(&self) -> bool;
    /// Input arrived for a reader: send `SIGIO` with `POLL_IN` to `O_ASYNC` owners and wake
    /// readers and pollers (`kill_fasync` and `wake_up_interruptible_poll` in
    /// `__receive_buf` and `n_tty_receive_handle_newline`). `readable` tells what `poll()`
    /// now answers for input ([`Engine::input_available`] with poll's VMIN rule): a poll that
    /// the `SIGIO` prompts must see it, as N_TTY's sees `commit_head`/`canon_head`, which it
    /// publishes before the signal. It is called only when there is someone to signal (a
    /// keystroke on a terminal without `O_ASYNC` does not compute it).
    ///
    /// [`Engine::input_available`]: crate::engine::Engine::input_available
    fn input_arrived(&mut self, _readable: impl FnOnce() -> bool) {}
    /// Wake readers sleeping in `read` or `poll`, without `SIGIO`
    /// (`wake_up_interruptible(&tty->read_wait)` of `n_tty_set_termios`).
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
#[cfg_attr(CONFIG_RUST, derive(pin_init::Zeroable))]
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
