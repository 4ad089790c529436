//! What can go wrong, the one line said about it on stderr, and the exit status of each kind
//! (the table in `--help` and in the README).

use std::fmt;
use std::io;

/// The kinds of failure, each with its own exit status.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// Anything not listed below (status 1).
    Other,
    /// Bad command line (status 2).
    Usage,
    /// The tty does not exist (status 3): no such file, or no device behind the node.
    NoSuchDevice,
    /// The file is not a tty (status 4).
    NotATty,
    /// Permission denied (status 5).
    PermissionDenied,
    /// n_rust is not loaded (status 6).
    NotLoaded,
    /// A discipline number outside 0..=30 (status 7).
    OutOfRange,
    /// The tty does not run n_rust (status 8).
    NotOnNRust,
    /// No discipline of that name or number is registered (status 9).
    NoSuchDiscipline,
}

impl Kind {
    /// The exit status.
    pub fn status(self) -> i32 {
        match self {
            Kind::Other => 1,
            Kind::Usage => 2,
            Kind::NoSuchDevice => 3,
            Kind::NotATty => 4,
            Kind::PermissionDenied => 5,
            Kind::NotLoaded => 6,
            Kind::OutOfRange => 7,
            Kind::NotOnNRust => 8,
            Kind::NoSuchDiscipline => 9,
        }
    }
}

/// A failure: its kind and the line that says it.
#[derive(Debug)]
pub struct Failure {
    /// Which exit status.
    pub kind: Kind,
    /// The message, without the program name.
    pub message: String,
}

impl Failure {
    /// A failure of `kind` saying `message`.
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// A system call on `what` failed with `err`: the kind follows the errno.
    pub fn os(what: &str, err: &io::Error) -> Self {
        let (kind, said) = match err.raw_os_error() {
            Some(libc::ENOENT) => (Kind::NoSuchDevice, "no such device".to_string()),
            Some(libc::ENXIO | libc::ENODEV) => (
                Kind::NoSuchDevice,
                "no such device (nothing behind the node)".to_string(),
            ),
            Some(libc::ENOTTY | libc::EISDIR) => (Kind::NotATty, "not a tty".to_string()),
            Some(libc::EACCES | libc::EPERM) => {
                (Kind::PermissionDenied, "permission denied".to_string())
            }
            _ => (Kind::Other, err.to_string()),
        };
        Self::new(kind, format!("{what}: {said}"))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The result of a command.
pub type Outcome<T = ()> = Result<T, Failure>;
