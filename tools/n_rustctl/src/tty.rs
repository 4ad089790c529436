//! The tty named on the command line: its path, the open file, its device number, and the
//! line-discipline ioctls (`TIOCGETD`, `TIOCSETD`).

use crate::failure::{Failure, Kind, Outcome};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};

/// An open tty.
pub struct Tty {
    /// The path as used (`/dev/` put before a bare name).
    pub path: String,
    /// Open read-write, without becoming the controlling tty, without waiting for carrier.
    pub file: File,
    /// `major:minor` of the device.
    pub dev: (u32, u32),
}

/// The path of `arg`: as given when it starts with `/` or `.` or exists from here, else
/// under `/dev` (`ttyS1` is `/dev/ttyS1`, `pts/3` is `/dev/pts/3`).
pub fn path_of(arg: &str) -> String {
    if arg.starts_with('/') || arg.starts_with('.') || std::path::Path::new(arg).exists() {
        arg.to_string()
    } else {
        format!("/dev/{arg}")
    }
}

impl Tty {
    /// Opens the tty `arg` names and checks that it is one.
    pub fn open(arg: &str) -> Outcome<Self> {
        let path = path_of(arg);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK)
            .open(&path)
            .map_err(|e| Failure::os(&path, &e))?;
        let meta = file.metadata().map_err(|e| Failure::os(&path, &e))?;
        if !meta.file_type().is_char_device() {
            return Err(Failure::new(Kind::NotATty, format!("{path}: not a tty")));
        }
        let rdev = meta.rdev();
        let tty = Self {
            path,
            file,
            dev: (libc::major(rdev), libc::minor(rdev)),
        };
        // A character device that is not a tty answers TIOCGETD with ENOTTY.
        tty.discipline()?;
        Ok(tty)
    }

    /// The discipline number the tty runs (`TIOCGETD`).
    pub fn discipline(&self) -> Outcome<i32> {
        let mut number: libc::c_int = 0;
        // SAFETY: TIOCGETD writes one int to the pointer, which is valid for it.
        let rc = unsafe { libc::ioctl(self.file.as_raw_fd(), libc::TIOCGETD, &mut number) };
        if rc < 0 {
            return Err(Failure::os(&self.path, &io::Error::last_os_error()));
        }
        Ok(number)
    }

    /// Puts discipline `number` on the tty (`TIOCSETD`). `EINVAL` means no discipline of
    /// that number is registered (the caller has checked the range).
    pub fn set_discipline(&self, number: i32) -> Outcome {
        let value: libc::c_int = number;
        // SAFETY: TIOCSETD reads one int from the pointer, which is valid for it.
        let rc = unsafe { libc::ioctl(self.file.as_raw_fd(), libc::TIOCSETD, &value) };
        if rc == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINVAL) => Err(Failure::new(
                Kind::NoSuchDiscipline,
                format!(
                    "{}: no line discipline number {number} is registered",
                    self.path
                ),
            )),
            Some(libc::EBUSY) => Err(Failure::new(
                Kind::Other,
                format!(
                    "{}: busy: the discipline could not be changed now (try again)",
                    self.path
                ),
            )),
            _ => Err(Failure::os(&self.path, &err)),
        }
    }
}
