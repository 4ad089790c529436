//! Reading until nothing is left, as a program that wants all the input there is: the one
//! loop the conformance runner, the host tests, the oracle and the guest differential test
//! share, whatever they read (the engine, a kernel pty).

use super::ReadError;

/// What one nonblocking read gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadOnce {
    /// `n > 0` bytes.
    Bytes(usize),
    /// The read returned 0: an end of file in canonical mode, else nothing to read.
    Zero,
    /// Nothing to read (`EAGAIN`, the engine's [`ReadError::WouldBlock`]), or an error the
    /// caller has recorded: reading ends.
    Empty,
}

impl From<Result<usize, ReadError>> for ReadOnce {
    /// What the engine's whole `read(2)` gave.
    fn from(r: Result<usize, ReadError>) -> ReadOnce {
        match r {
            Ok(0) => ReadOnce::Zero,
            Ok(n) => ReadOnce::Bytes(n),
            Err(ReadError::WouldBlock) => ReadOnce::Empty,
        }
    }
}

/// How [`read_until_empty`] ended: what the last read told a program that wants all the
/// input there is. N_TTY answers a nonblocking read with nothing to give either with `EAGAIN`
/// or, outside canonical mode with VMIN = VTIME = 0, with 0; the two are told apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadsEnded {
    /// The last read found nothing: `EAGAIN` (or an error the caller has recorded).
    Again,
    /// The last read returned 0 outside canonical mode.
    Zero,
    /// The reads went on to the limit (a reader that never runs dry is a failure).
    AtLimit,
}

/// Reads into `buf` with `read_once` (one nonblocking read) until nothing is left: until a
/// read finds nothing ([`ReadOnce::Empty`], ending [`ReadsEnded::Again`]) or, unless
/// `canonical`, returns 0 ([`ReadsEnded::Zero`]). In canonical mode a 0 is an end of file and
/// more lines may follow, so reading goes on; a caller reading with an empty buffer, which
/// gets 0 every time, passes `canonical` false. Every read that returned bytes, and in
/// canonical mode every 0 (as an empty slice), goes to `keep`, in order. At most `limit`
/// reads; an error of `read_once` or `keep` ends reading.
pub fn read_until_empty<E>(
    buf: &mut [u8],
    canonical: bool,
    limit: usize,
    mut read_once: impl FnMut(&mut [u8]) -> Result<ReadOnce, E>,
    mut keep: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<ReadsEnded, E> {
    for _ in 0..limit {
        match read_once(buf)? {
            ReadOnce::Empty => return Ok(ReadsEnded::Again),
            ReadOnce::Zero if !canonical => return Ok(ReadsEnded::Zero),
            ReadOnce::Zero => keep(&[])?,
            ReadOnce::Bytes(n) => keep(buf.get(..n).unwrap_or(&[]))?,
        }
    }
    Ok(ReadsEnded::AtLimit)
}
