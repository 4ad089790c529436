//! The engine's indices and line-end bitmap as copies, for checks of its invariants from
//! outside (the engine fuzzer, `fuzz/`): nothing here changes the state.

use crate::engine::state::{Engine, N_TTY_BUF_SIZE};

/// Words of the line-end bitmap (`read_flags`).
pub const LINE_END_WORDS: usize = N_TTY_BUF_SIZE / 64;

/// The free-running ring indices of an [`Engine`] and its mode bits, copied.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Indices {
    /// `read_head`: where the next received byte goes.
    pub read_head: usize,
    /// `commit_head`: end of what a non-canonical reader may take.
    pub commit_head: usize,
    /// `canon_head`: end of the last complete line.
    pub canon_head: usize,
    /// `read_tail`: where the reader takes the next byte.
    pub read_tail: usize,
    /// `echo_head`: where the next echo byte goes.
    pub echo_head: usize,
    /// `echo_commit`: end of the echo bytes committed for output.
    pub echo_commit: usize,
    /// `echo_mark`: end of the echoes of the last completed input character.
    pub echo_mark: usize,
    /// `echo_tail`: next echo byte to write.
    pub echo_tail: usize,
    /// Echo bytes queued over unwritten ones since open: the echo ring overran.
    pub echo_overruns: u64,
    /// `lookahead_count`: bytes whose flow control `lookahead` did ahead.
    pub lookahead_count: usize,
    /// `canon_column`: where the input line's echo began.
    pub canon_column: u32,
    /// A mode switch left a line marked complete without a terminator (`push`).
    pub push: bool,
    /// The next character is taken literally (`lnext`).
    pub lnext: bool,
    /// An ECHOPRT erase is under way (`erasing`).
    pub erasing: bool,
}

impl Engine {
    /// A copy of the ring indices and mode bits.
    pub fn indices(&self) -> Indices {
        Indices {
            read_head: self.read_head,
            commit_head: self.commit_head,
            canon_head: self.canon_head,
            read_tail: self.read_tail,
            echo_head: self.echo_head,
            echo_commit: self.echo_commit,
            echo_mark: self.echo_mark,
            echo_tail: self.echo_tail,
            echo_overruns: self.echo_overruns,
            lookahead_count: self.lookahead_count,
            canon_column: self.canon_column,
            push: self.push,
            lnext: self.lnext,
            erasing: self.erasing,
        }
    }

    /// A copy of the line-end bitmap (`read_flags`): bit `i % 64` of word `i / 64` marks
    /// slot `i` of the read ring.
    pub fn line_end_words(&self) -> [u64; LINE_END_WORDS] {
        self.read_flags
    }

    /// The byte in slot `i & (N_TTY_BUF_SIZE - 1)` of the read ring.
    pub fn read_ring_byte(&self, i: usize) -> u8 {
        self.rb(i)
    }
}
