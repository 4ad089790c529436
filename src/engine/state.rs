//! The state of one tty's line discipline (`struct n_tty_data`), its construction, the
//! read buffer as a ring with its bitmap of line ends, the character map, and the flush
//! and reset rules of `n_tty_open` and `n_tty_flush_buffer`.

use super::actions::DriverInfo;
use super::counters::Counters;
use super::termios::{IFlag, Termios};

/// Size of the read buffer and of the echo buffer (`N_TTY_BUF_SIZE`).
pub const N_TTY_BUF_SIZE: usize = 4096;

/// Index mask of the read and echo rings (`N_TTY_BUF_SIZE - 1`).
pub(super) const MASK: usize = N_TTY_BUF_SIZE - 1;

/// The `_POSIX_VDISABLE` byte N_TTY stores for an EOF (`__DISABLED_CHAR`).
pub(super) const DISABLED_CHAR: u8 = 0;

/// Defines [`Engine`] from one list of its fields, each with its type and its value at open,
/// and from that same list [`Engine::new`] and [`Engine::clear`]: a field added to the list is
/// in the struct, in the constructor and in the in-place reset, and cannot be forgotten in
/// either. `driver` is the one field set by the caller rather than reset.
macro_rules! engine_state {
    (
        $(#[$meta:meta])*
        pub struct Engine {
            $(#[$driver_meta:meta])*
            driver: DriverInfo,
            $(
                $(#[$field_meta:meta])*
                $field:ident: $ty:ty = $open:expr,
            )*
        }
    ) => {
        $(#[$meta])*
        // In the kernel an `Engine` is allocated zeroed in place (`pin_init::init_zeroed`); the
        // derive checks that every field's type is `Zeroable`.
        #[cfg_attr(CONFIG_RUST, derive(pin_init::Zeroable))]
        pub struct Engine {
            $(#[$driver_meta])*
            pub(super) driver: DriverInfo,
            $(
                $(#[$field_meta])*
                pub(super) $field: $ty,
            )*
        }

        impl Engine {
            /// A fresh state on `driver`, as `n_tty_open` finds it after `vzalloc`; call
            /// [`Engine::open`] before use.
            ///
            /// About 12 KiB: never build one on a kernel stack. To set up a heap allocation
            /// in place, allocate it zeroed (every field is plain data, see
            /// [`Engine::clear`]), then [`Engine::set_driver`] and [`Engine::open`], which
            /// resets every other field in place.
            pub const fn new(driver: DriverInfo) -> Self {
                Engine {
                    driver,
                    $($field: $open,)*
                }
            }

            /// Every field but the driver back to its value at open (the `vzalloc` of
            /// `n_tty_open`), in place: no copy of the state is made on the stack.
            ///
            /// Every field is an integer, a `bool`, a [`DriverInfo`] or an array of them
            /// (checked at compile time from the same list), so an all-zero allocation is a
            /// valid `Engine` that `clear` (through [`Engine::open`]) makes a fresh one.
            pub fn clear(&mut self) {
                $(self.$field = $open;)*
            }
        }

        /// Compile-time check that every field of [`Engine`] is plain data.
        const _: () = {
            /// Compiles only for a [`PlainData`] type.
            const fn plain<T: PlainData>() {}
            plain::<DriverInfo>();
            $(plain::<$ty>();)*
        };
    };
}

/// Types whose all-zero bit pattern is a valid value and that own nothing: the only field
/// types [`Engine`] may have (see [`Engine::clear`]).
trait PlainData {}
impl PlainData for bool {}
impl PlainData for u8 {}
impl PlainData for u32 {}
impl PlainData for u64 {}
impl PlainData for usize {}
impl PlainData for DriverInfo {}
impl PlainData for Counters {}
impl<T: PlainData, const N: usize> PlainData for [T; N] {}

engine_state! {
    /// The line discipline state of one tty: `struct n_tty_data` without the locks.
    ///
    /// Indices into the rings (`*_head`, `*_tail`, ...) run freely and wrap; a slot is the
    /// index masked with [`MASK`]. See [`Engine::new`] for how to allocate one.
    #[derive(Clone)]
    pub struct Engine {
        /// What the driver below is.
        driver: DriverInfo,
        /// Where the next received byte goes (`read_head`).
        read_head: usize = 0,
        /// End of the bytes a non-canonical reader may take (`commit_head`).
        commit_head: usize = 0,
        /// End of the last complete line (`canon_head`).
        canon_head: usize = 0,
        /// Where the next echo byte goes (`echo_head`).
        echo_head: usize = 0,
        /// End of the echo bytes committed for output (`echo_commit`).
        echo_commit: usize = 0,
        /// End of the echo bytes of the last completed input character (`echo_mark`).
        echo_mark: usize = 0,
        /// The characters that need special handling (`char_map`).
        char_map: [u64; 4] = [0; 4],
        /// The receive path stopped for lack of room (`no_room`).
        no_room: bool = false,
        /// The next character is taken literally (`lnext`).
        lnext: bool = false,
        /// An ECHOPRT erase is under way: `\` was echoed (`erasing`).
        erasing: bool = false,
        /// No input processing at all (`raw`).
        raw: bool = false,
        /// Raw, and the driver reports no events: bytes go straight in (`real_raw`).
        real_raw: bool = false,
        /// Canonical mode (`icanon`).
        icanon: bool = false,
        /// A mode switch left a line marked complete that has no terminator (`push`).
        push: bool = false,
        /// The tty is closing: only flow control is processed (`tty->closing`).
        closing: bool = false,
        /// The room left after the last receive (`tty->receive_room`).
        receive_room: usize = 0,
        /// The read ring (`read_buf`).
        read_buf: [u8; N_TTY_BUF_SIZE] = [0; N_TTY_BUF_SIZE],
        /// Line ends in the read ring, one bit per slot (`read_flags`).
        read_flags: [u64; N_TTY_BUF_SIZE / 64] = [0; N_TTY_BUF_SIZE / 64],
        /// The echo ring (`echo_buf`).
        echo_buf: [u8; N_TTY_BUF_SIZE] = [0; N_TTY_BUF_SIZE],
        /// Where the reader takes the next byte (`read_tail`).
        read_tail: usize = 0,
        /// Start of the line being read (`line_start`).
        line_start: usize = 0,
        /// Bytes whose flow control was done ahead by `lookahead` (`lookahead_count`).
        lookahead_count: usize = 0,
        /// The output column (`column`).
        column: u32 = 0,
        /// The column where the current input line's echo began (`canon_column`).
        canon_column: u32 = 0,
        /// Next echo byte to write (`echo_tail`).
        echo_tail: usize = 0,
        /// Echo bytes queued over bytes of the echo ring not yet written out: how often the
        /// ring overran since open (no field of `n_tty_data`, whose ring overruns the same
        /// way; read by the engine fuzzer through `testing::inspect`).
        echo_overruns: u64 = 0,
        /// What the discipline did since it was opened (no field of `n_tty_data`).
        counters: Counters = Counters::ZERO,
    }
}

impl Default for Engine {
    /// A fresh state on a pty ([`DriverInfo::PTY`]).
    fn default() -> Self {
        Self::new(DriverInfo::PTY)
    }
}

/// A UTF-8 continuation byte (`is_utf8_continuation`).
pub(super) fn is_utf8_continuation(c: u8) -> bool {
    c & 0xc0 == 0x80
}

/// A continuation byte that takes no column because IUTF8 is set (`is_continuation`).
pub(super) fn is_continuation(c: u8, t: &Termios) -> bool {
    t.i(IFlag::IUTF8) && is_utf8_continuation(c)
}
