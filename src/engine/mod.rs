//! The n_rust engine: N_TTY's behaviour (Linux `drivers/tty/n_tty.c`) as a pure,
//! allocation-free, `unsafe`-free state machine over plain bytes.
//!
//! The same files are compiled into the kernel module (`pub mod engine;`) and,
//! on the host, into the `n_rust_engine` crate for tests. Nothing here knows
//! about kernel types: the glue passes a [`Termios`] copy and implements
//! [`Actions`] (signals, flow control, the driver's write side) on the real tty.
//!
//! One file per rule of `n_tty.c`, each with one `impl Engine` block:
//!
//! | file | N_TTY |
//! | --- | --- |
//! | `actions.rs` | what the engine asks of the tty ([`Actions`], [`Sink`], [`Signal`]) and is told ([`DriverInfo`], `TTY_*` flags) |
//! | `state.rs` | `struct n_tty_data` ([`Engine`]), its constructor and in-place reset |
//! | `buffers.rs` | the read ring, line-end bitmap and character map; open, flush |
//! | `bulk.rs` | the read ring a block at a time: copies in and out, the next line end, real raw input |
//! | `termios_change.rs` | `n_tty_set_termios` |
//! | `receive.rs` | `n_tty_receive_buf_common` and below: room, overflow, flags, PARMRK, dispatch, throttling |
//! | `keystroke.rs` | one ordinary byte received alone (typing), by `n_tty_receive_char` without a buffer's set-up |
//! | `canon.rs` | canonical line editing: ERASE, WERASE, KILL (`eraser`), LNEXT, REPRINT, line ends |
//! | `signals_flow.rs` | ISIG and NOFLSH, IXON/IXANY, the lookahead, the closing tty |
//! | `echo.rs` | the echo buffer and `__process_echoes` |
//! | `output.rs` | OPOST (`do_output_char`, `process_output_block`) and `n_tty_write` |
//! | `read.rs` | `n_tty_read`'s copies, `input_available_p`, `TIOCINQ` |
//! | `vmin_vtime.rs` | the VMIN/VTIME decision ([`ReadMode`]: one function per case) |
//! | `counters.rs` | per-tty counters of what the discipline did ([`Counters`]; none in N_TTY but `num_overrun`) |
//! | `job_control.rs` | `__tty_check_change(tty, SIGTTIN)` as a decision |
//! | `termios.rs`, `ctype.rs` | termios values and the C character classes |
//! | `testing/` | test support, only with `CONFIG_KUNIT` or the host's `test-support` feature |
//!
//! How the `tty_ldisc_ops` of N_TTY map onto [`Engine`]:
//!
//! | N_TTY | engine |
//! | --- | --- |
//! | `open` | [`Engine::set_driver`] then [`Engine::open`] (see [`Engine::new`] for the allocation) |
//! | `set_termios` | [`Engine::set_termios`] |
//! | `receive_buf2` / `receive_buf` | [`Engine::receive`] / [`Engine::receive_noflow`] |
//! | `lookahead_buf` | [`Engine::lookahead`] |
//! | `read` (first call) | [`Engine::read_begin`], [`Engine::read_step`] until it says what next (the glue sleeps in between, as [`ReadMode`] says), [`Engine::read_end`] |
//! | `read` (with the cookie) | [`Engine::read_continue`] |
//! | `write` | [`Engine::write`] (one pass; call again when room appears) |
//! | `receive_buf2` taking `termios_rwsem` for writing (`isig`) | [`Engine::receive_may_flush`] |
//! | `flush_buffer` | [`Engine::flush_input`] |
//! | `poll` | [`Engine::input_available`] with `poll = true` |
//! | `ioctl(TIOCINQ)` | [`Engine::inq`] |
//! | `write_wakeup` of echoes | [`Engine::process_echoes_to`] |
//! | job control of a read (`__tty_check_change(tty, SIGTTIN)`) | [`check_job_control`] |

mod actions;
mod buffers;
mod bulk;
mod canon;
mod counters;
mod ctype;
mod echo;
mod flagged;
pub mod job_control;
mod keystroke;
mod output;
mod read;
mod receive;
mod signals_flow;
mod state;
pub mod termios;
mod termios_change;
#[cfg(any(CONFIG_KUNIT, feature = "test-support"))]
pub mod testing;
mod vmin_vtime;

pub use actions::{
    Actions, DriverError, DriverInfo, Signal, Sink, TTY_BREAK, TTY_FRAME, TTY_NORMAL, TTY_OVERRUN,
    TTY_PARITY,
};
pub use counters::Counters;
pub use job_control::{check_job_control, Decision, JobControlQuery};
pub use output::Written;
pub use read::{ReadProgress, ReadStep, TIOCPKT_DATA};
pub use receive::{TTY_THRESHOLD_THROTTLE, TTY_THRESHOLD_UNTHROTTLE};
pub use state::{Engine, N_TTY_BUF_SIZE};
pub use termios::{
    CFlag, IFlag, LFlag, OFlag, Termios, INIT_C_CC, NCCS, POSIX_VDISABLE, VDISCARD, VEOF, VEOL,
    VEOL2, VERASE, VINTR, VKILL, VLNEXT, VMIN, VQUIT, VREPRINT, VSTART, VSTOP, VSUSP, VSWTC, VTIME,
    VWERASE,
};
#[cfg(any(CONFIG_KUNIT, feature = "test-support"))]
pub use testing::ReadError;
pub use vmin_vtime::{AfterCopy, ReadMode, Timeout};
