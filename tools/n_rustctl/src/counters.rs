//! n_rust's per-tty counters in `/proc/tty/n_rust`: one line per tty n_rust runs on, its
//! name, `dev=MAJOR:MINOR`, then `NAME=VALUE` for each counter.

use crate::failure::{Failure, Kind, Outcome};
use std::path::Path;

/// The file; there while the module is loaded.
pub const FILE: &str = "/proc/tty/n_rust";

/// The counters, in the order `stats` prints them (the module's order).
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

/// One tty's line.
#[derive(Debug, PartialEq)]
pub struct Line {
    /// The name n_rust lists the tty under (`pts3`; `pts3.1` for a second tty of that name).
    pub name: String,
    /// `major:minor`.
    pub dev: String,
    /// `NAME=VALUE` fields, in the line's order.
    pub fields: Vec<(String, String)>,
}

/// Whether n_rust is loaded (its file is there).
pub fn loaded() -> bool {
    Path::new(FILE).exists()
}

/// The lines of the file's text; a line that is not `NAME dev=M:N ...` is skipped.
pub fn parse(text: &str) -> Vec<Line> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?.to_string();
            let dev = words.next()?.strip_prefix("dev=")?.to_string();
            let fields = words
                .filter_map(|w| w.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            Some(Line { name, dev, fields })
        })
        .collect()
}

/// The line of the tty whose device number is `dev`, if n_rust runs on it. Two ttys of one
/// number (ptys of two devpts instances, listed as `pts0` and `pts0.1`): the one named
/// `preferred` (the tty's path under `/dev` without slashes), else the first by name.
pub fn line_of(dev: (u32, u32), preferred: &str) -> Outcome<Option<Line>> {
    let text = match std::fs::read_to_string(FILE) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Failure::new(Kind::Other, format!("{FILE}: {e}"))),
    };
    Ok(pick(parse(&text), dev, preferred))
}

/// [`line_of`] on parsed lines.
fn pick(lines: Vec<Line>, dev: (u32, u32), preferred: &str) -> Option<Line> {
    let want = format!("{}:{}", dev.0, dev.1);
    let mut found: Vec<Line> = lines.into_iter().filter(|l| l.dev == want).collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    let best = found.iter().position(|l| l.name == preferred).unwrap_or(0);
    found.into_iter().nth(best)
}

/// The counters of `line`, as (name, value), in [`COUNTERS`] order.
pub fn read_counters(line: &Line) -> Outcome<Vec<(&'static str, u64)>> {
    COUNTERS
        .iter()
        .map(|name| {
            let text = line
                .fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .ok_or_else(|| {
                    Failure::new(
                        Kind::Other,
                        format!("{FILE}: no counter {name} for {}", line.name),
                    )
                })?;
            let value = text.parse().map_err(|_| {
                Failure::new(
                    Kind::Other,
                    format!("{FILE}: {} {name}: not a number: {text:?}", line.name),
                )
            })?;
            Ok((*name, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
pts0 dev=136:0 received=10 read=10 written=0 echoed=11 sigint=1 sigquit=0 sigtstp=0 sigttin=0 sigttou=0 overruns=0 drops=0 throttles=0 unthrottles=0 lines=1
ttyS1 dev=4:65 received=3 read=2 written=5 echoed=0 sigint=0 sigquit=0 sigtstp=0 sigttin=0 sigttou=0 overruns=0 drops=0 throttles=2 unthrottles=2 lines=0
pts0.1 dev=136:0 received=7 read=7 written=0 echoed=0 sigint=0 sigquit=0 sigtstp=0 sigttin=0 sigttou=0 overruns=0 drops=0 throttles=0 unthrottles=0 lines=0
";

    #[test]
    fn a_tty_is_found_by_its_number_and_its_counters_read_in_order() {
        let line = pick(parse(TEXT), (4, 65), "ttyS1").expect("ttyS1 is listed");
        let counters = read_counters(&line).expect("every counter is there");
        assert_eq!(counters.len(), COUNTERS.len());
        assert_eq!(counters[0], ("received", 3));
        assert_eq!(counters[1], ("read", 2));
        assert_eq!(counters[11], ("throttles", 2));
        assert!(pick(parse(TEXT), (4, 64), "ttyS0").is_none());
    }

    #[test]
    fn two_ttys_of_one_number_are_told_apart_by_name() {
        assert_eq!(
            pick(parse(TEXT), (136, 0), "pts0.1").unwrap().name,
            "pts0.1"
        );
        assert_eq!(pick(parse(TEXT), (136, 0), "pts0").unwrap().name, "pts0");
        // Neither name given: the first by name.
        assert_eq!(pick(parse(TEXT), (136, 0), "pts9").unwrap().name, "pts0");
    }

    #[test]
    fn a_missing_or_bad_counter_is_an_error() {
        let mut line = pick(parse(TEXT), (4, 65), "ttyS1").unwrap();
        line.fields.retain(|(k, _)| k != "lines");
        assert!(read_counters(&line).is_err());
        let mut line = pick(parse(TEXT), (4, 65), "ttyS1").unwrap();
        line.fields[0].1 = "many".into();
        assert!(read_counters(&line).is_err());
    }
}
