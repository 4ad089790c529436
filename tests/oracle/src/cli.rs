//! The command line both differential programs share (`n_rust_oracle` on the host and
//! `n_rust-test-diff` in the guest): which cases of which seed, in blocks of fresh state,
//! whether to shrink divergences, and showing one case instead of running.
//!
//! ```text
//! --cases N | --scenarios N   how many (the option's name is the program's)
//! --seed S --start I          cases I.. of seed S (case I has seed `case_seed(S, I)`)
//! --block B                   fresh state every B cases
//! --no-shrink                 report divergences as found
//! --show I                    print case I and exit
//! ```
//!
//! Numbers are decimal or `0x` hex, with `_` allowed between digits.

use crate::gen::Rng;

/// A number as the programs take it: decimal or `0x` hex, `_` separators allowed.
pub fn parse_num(s: &str) -> Option<u64> {
    let s = s.replace('_', "");
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// A seed for a run that was not given one: the clock and the process id, mixed.
pub fn random_seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    Rng::new(t ^ u64::from(std::process::id())).next_u64()
}

/// The program's arguments, taken one option at a time.
pub struct Args {
    args: Vec<String>,
    next: usize,
}

impl Args {
    /// The arguments the program was started with.
    pub fn from_env() -> Args {
        Args {
            args: std::env::args().skip(1).collect(),
            next: 0,
        }
    }

    /// The next option, `None` after the last.
    pub fn next_option(&mut self) -> Option<String> {
        let option = self.args.get(self.next)?.clone();
        self.next += 1;
        Some(option)
    }

    /// The number that follows `option`; exits with status 2 if it is missing or bad.
    pub fn number(&mut self, option: &str) -> u64 {
        let value = self.args.get(self.next).and_then(|v| parse_num(v));
        self.next += 1;
        value.unwrap_or_else(|| {
            eprintln!("{option}: missing or bad number");
            std::process::exit(2)
        })
    }
}

/// Exits with status 2 for an option the program does not know.
pub fn unknown(option: &str) -> ! {
    eprintln!("unknown argument {option}");
    std::process::exit(2)
}

/// The options both programs take.
pub struct RunOpts {
    /// The name of the option that sets `count` (`--cases`, `--scenarios`).
    pub count_option: &'static str,
    /// How many cases to run.
    pub count: u64,
    /// The run's seed.
    pub seed: u64,
    /// The index of the first case.
    pub start: u64,
    /// Fresh state every so many cases (state otherwise carries over from case to case).
    pub block: u64,
    /// Shrink the first divergences by replaying them.
    pub shrink: bool,
    /// Print this case and exit.
    pub show: Option<u64>,
}

impl RunOpts {
    /// Takes `option`, with its value from `args`, if it is one of the shared options;
    /// `false` if it is not.
    pub fn take(&mut self, option: &str, args: &mut Args) -> bool {
        match option {
            o if o == self.count_option => self.count = args.number(o),
            "--seed" => self.seed = args.number(option),
            "--start" => self.start = args.number(option),
            "--block" => self.block = args.number(option).max(1),
            "--show" => self.show = Some(args.number(option)),
            "--no-shrink" => self.shrink = false,
            _ => return false,
        }
        true
    }
}
