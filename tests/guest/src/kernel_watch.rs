//! The kernel's own reports during a run: the kernel log from a mark on (`/dev/kmsg`), checked
//! for the reports of KASAN, UBSAN, kmemleak, lockdep, debug objects, WARN, BUG and the
//! hung-task detector; and kmemleak's list of suspected leaks (`/sys/kernel/debug/kmemleak`).

use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;

/// Substrings of a kernel log line that mean the kernel saw a problem.
pub const REPORT_PATTERNS: [&str; 18] = [
    "BUG:",
    "WARNING:",
    "Oops",
    "Kernel panic",
    "KASAN",
    "UBSAN:",
    "kmemleak: ",
    "ODEBUG:",
    "possible circular locking",
    "possible recursive locking",
    "inconsistent lock state",
    "possible irq lock inversion",
    "suspicious RCU usage",
    "DEADLOCK",
    "blocked for more than",
    "list_add corruption",
    "list_del corruption",
    "rust_panic",
];

/// kmemleak lines that are not reports (its start-up and control messages).
const KMEMLEAK_BENIGN: [&str; 2] = [
    "kmemleak: Kernel memory leak detector",
    "kmemleak: Automatic",
];

/// Whether `line` (one kernel log message) is a report.
pub fn is_report(line: &str) -> bool {
    REPORT_PATTERNS.iter().any(|p| line.contains(p))
        && !KMEMLEAK_BENIGN.iter().any(|b| line.contains(b))
}

/// The kernel log from the moment [`KernelLog::mark`] was called.
pub struct KernelLog {
    kmsg: std::fs::File,
}

impl KernelLog {
    /// Opens `/dev/kmsg` and skips what is already there.
    pub fn mark() -> io::Result<Self> {
        let kmsg = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open("/dev/kmsg")?;
        // SAFETY: lseek on an fd we own; SEEK_END on /dev/kmsg moves past every record.
        if unsafe { libc::lseek(kmsg.as_raw_fd(), 0, libc::SEEK_END) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Self { kmsg })
    }

    /// The messages logged since the mark (or since the last call), one per record.
    pub fn since(&mut self) -> io::Result<Vec<String>> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 8192];
        loop {
            match self.kmsg.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let record = String::from_utf8_lossy(&buf[..n]);
                    // "prio,seq,time,flags;message\n" then " KEY=value" lines.
                    let message = record.split_once(';').map_or(&*record, |(_, m)| m);
                    let first = message.lines().next().unwrap_or("");
                    out.push(first.to_string());
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // EPIPE: records were overwritten before we read them; the next read goes on.
                Err(e) if e.raw_os_error() == Some(libc::EPIPE) => {
                    out.push("(kernel log records lost: the ring buffer wrapped)".into());
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// The reports among the messages since the mark, with up to 12 lines after each.
    pub fn reports(&mut self) -> io::Result<Vec<String>> {
        let lines = self.since()?;
        let mut out = Vec::new();
        let mut tail = 0;
        for line in lines {
            if is_report(&line) {
                out.push(line);
                tail = 12;
            } else if tail > 0 {
                out.push(format!("  {line}"));
                tail -= 1;
            }
        }
        Ok(out)
    }
}

const KMEMLEAK: &str = "/sys/kernel/debug/kmemleak";

/// kmemleak, when this kernel has it (debugfs is mounted here if it is not yet).
pub struct Kmemleak;

impl Kmemleak {
    /// `Some` when `/sys/kernel/debug/kmemleak` exists (after mounting debugfs).
    pub fn open() -> Option<Self> {
        if !std::path::Path::new(KMEMLEAK).exists() {
            let _ = std::fs::create_dir_all("/sys/kernel/debug");
            let _ = std::process::Command::new("mount")
                .args(["-t", "debugfs", "debugfs", "/sys/kernel/debug"])
                .status();
        }
        std::path::Path::new(KMEMLEAK).exists().then_some(Self)
    }

    fn command(&self, what: &str) -> io::Result<()> {
        let mut f = OpenOptions::new().write(true).open(KMEMLEAK)?;
        f.write_all(what.as_bytes())
    }

    /// Scans, then forgets every suspect found so far (returned: the report before the
    /// clear): later scans report only objects that leak from now on. Call it before
    /// [`KernelLog::mark`], so its log line is not counted as a report.
    pub fn baseline(&self) -> io::Result<String> {
        self.command("scan")?;
        let before = std::fs::read_to_string(KMEMLEAK)?;
        self.command("clear")?;
        Ok(before)
    }

    /// [`Self::baseline`], printing as TAP comments what was there before (not counted).
    pub fn baseline_printed(&self) {
        match self.baseline() {
            Ok(before) if before.trim().is_empty() => {}
            Ok(before) => {
                println!("# kmemleak: suspects from before this program (not counted):");
                before.lines().take(40).for_each(|l| println!("#   {l}"));
            }
            Err(e) => println!("# kmemleak baseline failed: {e}"),
        }
    }

    /// Waits until objects freed late are old enough for kmemleak (it ignores objects younger
    /// than 5 s), scans twice and returns the suspects' reports (empty: no leak).
    pub fn scan(&self) -> io::Result<String> {
        std::thread::sleep(std::time::Duration::from_secs(6));
        self.command("scan")?;
        self.command("scan")?;
        std::fs::read_to_string(KMEMLEAK)
    }
}

/// The guest's kernel parameter `/sys/module/kunit/parameters/filter_glob`: KUnit runs the
/// module's suites at every load, which the programs that load it a hundred times turn off.
pub struct KunitQuiet {
    old: Option<String>,
}

const KUNIT_GLOB: &str = "/sys/module/kunit/parameters/filter_glob";

impl KunitQuiet {
    /// Sets a glob no suite matches (a load then prints no KTAP); restored on drop.
    pub fn new() -> Self {
        let old = std::fs::read_to_string(KUNIT_GLOB).ok();
        if old.is_some() {
            let _ = std::fs::write(KUNIT_GLOB, "n_rust_none_while_cycling");
        }
        Self { old }
    }
}

impl Default for KunitQuiet {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for KunitQuiet {
    fn drop(&mut self) {
        if let Some(old) = &self.old {
            let value = old.trim();
            // "(null)" is how an unset charp parameter reads back; "*" matches every suite.
            let value = if value == "(null)" || value.is_empty() {
                "*"
            } else {
                value
            };
            let _ = std::fs::write(KUNIT_GLOB, value);
        }
    }
}
