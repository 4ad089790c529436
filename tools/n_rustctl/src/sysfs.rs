//! n_rust's per-tty counters in sysfs: `/sys/kernel/n_rust/<tty name>/`, one file per
//! counter and `dev` (`major:minor`), present while n_rust runs on the tty.

use crate::failure::{Failure, Kind, Outcome};
use std::path::{Path, PathBuf};

/// Where n_rust puts its directories; there while the module is loaded.
pub const ROOT: &str = "/sys/kernel/n_rust";

/// The counter files, in the order `stats` prints them (the module's order).
pub const COUNTERS: [&str; 14] = [
    "received",
    "read",
    "written",
    "echoed",
    "sigint",
    "sigquit",
    "sigtstp",
    "sigttin",
    "sigttou",
    "overruns",
    "drops",
    "throttles",
    "unthrottles",
    "lines",
];

/// Whether n_rust is loaded (its sysfs directory is there).
pub fn loaded() -> bool {
    Path::new(ROOT).is_dir()
}

/// The directory of the tty whose device number is `dev`, if n_rust runs on it. Two ttys of
/// one number (ptys of two devpts instances, whose directories are `pts0` and `pts0.1`): the
/// one named `preferred` (the tty's path under `/dev` without slashes), else the first.
pub fn dir_of(dev: (u32, u32), preferred: &str) -> Outcome<Option<PathBuf>> {
    let entries = match std::fs::read_dir(ROOT) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Failure::new(Kind::Other, format!("{ROOT}: {e}"))),
    };
    let want = format!("{}:{}", dev.0, dev.1);
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let dir = entry.path();
        // A directory removed while we look is simply not there.
        if let Ok(text) = std::fs::read_to_string(dir.join("dev")) {
            if text.trim() == want {
                found.push(dir);
            }
        }
    }
    found.sort();
    let best = found
        .iter()
        .position(|d| d.file_name().is_some_and(|n| n == preferred))
        .unwrap_or(0);
    Ok(found.into_iter().nth(best))
}

/// The counters in `dir`, as (name, value), in [`COUNTERS`] order.
pub fn read_counters(dir: &Path) -> Outcome<Vec<(&'static str, u64)>> {
    COUNTERS
        .iter()
        .map(|name| {
            let file = dir.join(name);
            let text = std::fs::read_to_string(&file).map_err(|e| {
                Failure::new(
                    Kind::NotOnNRust,
                    format!("{}: {e} (did n_rust leave the tty?)", file.display()),
                )
            })?;
            let value = text.trim().parse().map_err(|_| {
                Failure::new(
                    Kind::Other,
                    format!("{}: not a number: {:?}", file.display(), text.trim()),
                )
            })?;
            Ok((*name, value))
        })
        .collect()
}
