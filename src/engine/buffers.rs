//! The read ring, its bitmap of line ends and the character map (`read_buf`, `read_flags`,
//! `char_map` of `n_tty_data` with their accessors), and the rules that empty them: open
//! (`n_tty_open`), flush (`n_tty_flush_buffer`, `reset_buffer_flags`) and the receive
//! worker's restart (`n_tty_kick_worker`).

use super::actions::{Actions, DriverInfo};
use super::state::{Engine, MASK};
use super::termios::Termios;

impl Engine {
    /// Reset to the state `n_tty_open` leaves, for termios `t`: everything cleared in place
    /// (no copy of the state is made on the stack), then `n_tty_set_termios(tty, NULL)`.
    /// The glue then unthrottles the driver, as `n_tty_open` does.
    pub fn open(&mut self, t: &Termios, a: &mut impl Actions) {
        self.clear();
        self.set_termios(None, t, a);
    }

    /// Set `tty->closing` (`tty_port_close_start`): from now on only flow-control
    /// characters are processed (`n_tty_receive_char_closing`).
    pub fn set_closing(&mut self, closing: bool) {
        self.closing = closing;
    }

    /// Describe the driver below (`TTY_DRIVER_REAL_RAW`, `TTY_DRIVER_TYPE_PTY`); the glue
    /// sets it on a zeroed allocation before [`Engine::open`] (see [`Engine::new`]).
    pub fn set_driver(&mut self, driver: DriverInfo) {
        self.driver = driver;
    }

    /// The byte at index `i` of the read ring (`read_buf`).
    pub(super) fn rb(&self, i: usize) -> u8 {
        self.read_buf.get(i & MASK).copied().unwrap_or(0)
    }

    /// Store `c` at index `i` of the read ring (`*read_buf_addr() = c`).
    pub(super) fn rb_set(&mut self, i: usize, c: u8) {
        if let Some(s) = self.read_buf.get_mut(i & MASK) {
            *s = c;
        }
    }

    /// The byte at index `i` of the echo ring (`echo_buf`).
    pub(super) fn eb(&self, i: usize) -> u8 {
        self.echo_buf.get(i & MASK).copied().unwrap_or(0)
    }

    /// Is slot `i` of the read ring a line end (`test_bit(i, read_flags)`)?
    pub(super) fn flag_test(&self, i: usize) -> bool {
        let i = i & MASK;
        self.read_flags
            .get(i / 64)
            .is_some_and(|w| w & (1u64 << (i % 64)) != 0)
    }

    /// Mark slot `i` of the read ring as a line end (`set_bit(i, read_flags)`).
    pub(super) fn flag_set(&mut self, i: usize) {
        let i = i & MASK;
        if let Some(w) = self.read_flags.get_mut(i / 64) {
            *w |= 1u64 << (i % 64);
        }
    }

    /// Unmark slot `i` of the read ring as a line end (`clear_bit(i, read_flags)`).
    pub(super) fn flag_clear(&mut self, i: usize) {
        let i = i & MASK;
        if let Some(w) = self.read_flags.get_mut(i / 64) {
            *w &= !(1u64 << (i % 64));
        }
    }

    /// Does `c` need special handling on receive (`test_bit(c, char_map)`)?
    pub(super) fn map_test(&self, c: u8) -> bool {
        let c = c as usize;
        self.char_map
            .get(c / 64)
            .is_some_and(|w| w & (1u64 << (c % 64)) != 0)
    }

    /// Mark `c` as special (`set_bit(c, char_map)`).
    pub(super) fn map_set(&mut self, c: u8) {
        let c = c as usize;
        if let Some(w) = self.char_map.get_mut(c / 64) {
            *w |= 1u64 << (c % 64);
        }
    }

    /// Unmark `c` as special (`clear_bit(c, char_map)`).
    pub(super) fn map_clear(&mut self, c: u8) {
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

    /// True if the engine is in canonical mode (`ldata->icanon`).
    pub fn icanon(&self) -> bool {
        self.icanon
    }

    /// Append `c` to the read buffer (`put_tty_queue`).
    pub(super) fn put_tty_queue(&mut self, c: u8) {
        self.rb_set(self.read_head, c);
        self.read_head = self.read_head.wrapping_add(1);
    }

    /// Empty the read buffer and forget its line ends (`reset_buffer_flags`).
    pub(super) fn reset_buffer_flags(&mut self) {
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

    /// Restart a receive path that stopped for lack of room (`n_tty_kick_worker`).
    pub(super) fn kick_worker(&mut self, a: &mut impl Actions) {
        if self.no_room {
            self.no_room = false;
            a.kick_worker();
        }
    }

    /// Flush the input queue (`n_tty_flush_buffer`, TCIFLUSH): empty the read buffer, restart
    /// the receive path and tell a packet-mode master (`n_tty_packet_mode_flush`).
    pub fn flush_input(&mut self, a: &mut impl Actions) {
        self.reset_buffer_flags();
        self.kick_worker(a);
        a.input_flushed();
    }
}
