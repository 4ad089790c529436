//! The n_rust engine: N_TTY's behaviour (Linux `drivers/tty/n_tty.c`) as a pure,
//! allocation-free, `unsafe`-free state machine over plain bytes.
//!
//! The same files are compiled into the kernel module (`pub mod engine;`) and,
//! on the host, into the `n_rust_engine` crate for tests. Nothing here knows
//! about kernel types: the glue passes a [`Termios`] copy and implements
//! [`Actions`] (signals, flow control, the driver's write side) on the real tty.
//!
//! How the `tty_ldisc_ops` of N_TTY map onto [`Engine`]:
//!
//! | N_TTY | engine |
//! | --- | --- |
//! | `open` | [`Engine::set_driver`] then [`Engine::open`] |
//! | `set_termios` | [`Engine::set_termios`] |
//! | `receive_buf2` / `receive_buf` | [`Engine::receive`] / [`Engine::receive_noflow`] |
//! | `lookahead_buf` | [`Engine::lookahead`] |
//! | `read` (with the cookie) | [`Engine::ldisc_read`] (non-blocking core; the glue waits, using [`Engine::read_policy`] and [`Engine::input_available`]) |
//! | `write` | [`Engine::write`] (one pass; call again when room appears) |
//! | `flush_buffer` | [`Engine::flush_input`] |
//! | `poll` | [`Engine::input_available`] with `poll = true` |
//! | `ioctl(TIOCINQ)` | [`Engine::inq`] |
//! | `write_wakeup` of echoes | [`Engine::process_echoes_to`] |
//! | job control (`__tty_check_change`) | [`check_job_control`], [`check_write`] |

pub mod conformance;
mod ctype;
pub mod jobctl;
pub mod jobctl_cases;
pub mod ldisc;
pub mod termios;

pub use jobctl::{check_job_control, check_write, Decision, JobControlQuery, JobOp};
pub use ldisc::{
    read_policy, Actions, DriverInfo, Engine, ReadError, ReadPolicy, Signal, Sink, SliceSink,
    Timeout, N_TTY_BUF_SIZE, TTY_BREAK, TTY_FRAME, TTY_NORMAL, TTY_OVERRUN, TTY_PARITY,
    TTY_THRESHOLD_THROTTLE, TTY_THRESHOLD_UNTHROTTLE,
};
pub use termios::{
    CFlag, IFlag, LFlag, OFlag, Termios, INIT_C_CC, NCCS, POSIX_VDISABLE, VDISCARD, VEOF, VEOL,
    VEOL2, VERASE, VINTR, VKILL, VLNEXT, VMIN, VQUIT, VREPRINT, VSTART, VSTOP, VSUSP, VSWTC, VTIME,
    VWERASE,
};
