//! The line disciplines the kernel has registered (`/proc/tty/ldiscs`: `name number` lines)
//! and how a discipline is named on the command line.

use crate::failure::{Failure, Kind, Outcome};

/// Where the kernel lists its registered disciplines.
pub const LDISCS: &str = "/proc/tty/ldiscs";

/// Discipline numbers are `0..NR_LDISCS` (`NR_LDISCS` is 31 in `<linux/tty.h>`).
pub const NR_LDISCS: i32 = 31;

/// The name of n_rust in the list.
pub const N_RUST: &str = "n_rust";

/// The registered disciplines: (name, number), in the kernel's order.
pub fn registered() -> Outcome<Vec<(String, i32)>> {
    let text = std::fs::read_to_string(LDISCS)
        .map_err(|e| Failure::new(Kind::Other, format!("{LDISCS}: {e}")))?;
    Ok(parse(&text))
}

/// The `name number` lines of `text`; other lines are skipped.
pub fn parse(text: &str) -> Vec<(String, i32)> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?;
            let number = words.next()?.parse().ok()?;
            Some((name.to_string(), number))
        })
        .collect()
}

/// The name of discipline `number` in `list`, if registered.
pub fn name_of(list: &[(String, i32)], number: i32) -> Option<&str> {
    list.iter()
        .find(|(_, n)| *n == number)
        .map(|(name, _)| name.as_str())
}

/// The number a command-line `disc` names: a decimal number (checked to be in range), or a
/// registered name (case does not matter). `n_rust` missing from the list means the module
/// is not loaded.
pub fn resolve(disc: &str, list: &[(String, i32)]) -> Outcome<i32> {
    if let Some(digits) = disc.strip_prefix('-').or(Some(disc)) {
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            let number = disc.parse::<i64>().unwrap_or(i64::MAX);
            if !(0..i64::from(NR_LDISCS)).contains(&number) {
                return Err(Failure::new(
                    Kind::OutOfRange,
                    format!(
                        "line discipline number {disc} out of range (0 to {})",
                        NR_LDISCS - 1
                    ),
                ));
            }
            return Ok(number as i32);
        }
    }
    if let Some((_, number)) = list
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(disc))
    {
        return Ok(*number);
    }
    if disc.eq_ignore_ascii_case(N_RUST) {
        return Err(Failure::new(
            Kind::NotLoaded,
            format!("n_rust is not loaded ({LDISCS} does not list it): modprobe n_rust"),
        ));
    }
    Err(Failure::new(
        Kind::NoSuchDiscipline,
        format!("no line discipline named {disc:?} is registered (see {LDISCS})"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "n_tty       0\nn_null     27\nn_rust     29\n";

    #[test]
    fn names_and_numbers() {
        let list = parse(LIST);
        assert_eq!(resolve("n_rust", &list).unwrap(), 29);
        assert_eq!(resolve("N_TTY", &list).unwrap(), 0);
        assert_eq!(resolve("29", &list).unwrap(), 29);
        // A number need not be registered to be resolved: TIOCSETD says whether it is.
        assert_eq!(resolve("5", &list).unwrap(), 5);
        assert_eq!(name_of(&list, 27), Some("n_null"));
        assert_eq!(name_of(&list, 5), None);
    }

    #[test]
    fn refusals() {
        let list = parse(LIST);
        let kind = |disc: &str, list: &[(String, i32)]| resolve(disc, list).unwrap_err().kind;
        assert_eq!(kind("31", &list), Kind::OutOfRange);
        assert_eq!(kind("-1", &list), Kind::OutOfRange);
        assert_eq!(kind("99999999999999999999", &list), Kind::OutOfRange);
        assert_eq!(kind("frobnicate", &list), Kind::NoSuchDiscipline);
        assert_eq!(kind("n_rust", &parse("n_tty 0\n")), Kind::NotLoaded);
    }
}
