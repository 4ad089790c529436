//! `n_rust-test-concurrent`: concurrent differential test of n_rust against N_TTY.
//!
//! ```text
//! n_rust-test-concurrent [--scenarios N] [--seed S] [--start I] [--no-shrink] [--show I]
//!                        [--cases-only] [--no-cases]
//!                        [--against D] [--switch D]   (--against 0: N_TTY on both sides, a
//!                                                      self-test; --switch: what TIOCSETD
//!                                                      switches to then, default 29, 27 or 0)
//! ```
//!
//! Each scenario builds the same situation on two pty pairs, one whose slave (or master, in
//! packet mode) runs N_TTY and one running n_rust: a first actor calls `read` or `write` and
//! usually sleeps there, then further actors, one thread each, change the discipline, hang up,
//! close the other end, change termios, flush, stop or start output, write, read, poll, or
//! signal the sleeper. Per actor the return value, errno and bytes are compared, and when it
//! returned: at once, after step k, or not at all (still blocked once every thread slept
//! with nothing left to do) — read from the threads' states in `/proc`, never from time.
//! Then the state: the discipline ("own" or "other", as a side switches to the other side's),
//! termios, poll, `TIOCINQ`, the bytes left on both ends, and the steps that move no data
//! during which `O_ASYNC` sent SIGIO.
//!
//! Defaults from the environment (the kernel command line): `nrust_conc_scenarios` (300)
//! and `nrust_conc_seed` (random, printed). TAP output: one line per family of checks and one
//! per named case (`cases.rs`).

mod actor;
mod cases;
mod obs;
mod scenario;
mod side;
mod uffd;

use n_rust_guest_tests::disciplines::disciplines;
use n_rust_guest_tests::run_env::{
    env_num, in_test_guest, pin_self_to_cpu0, pin_to_cpu0, restore_wq_mask,
};
use n_rust_oracle::cli::{self, random_seed, Args, RunOpts};
use n_rust_oracle::gen::case_seed;
use n_rust_oracle::shrink::{Lockstep, Shrinker};
use obs::Obs;
use scenario::{gen_scenario, show_scenario, Scenario, Tio};
use side::{Discs, Side};
use std::sync::OnceLock;
use std::time::Instant;

/// Scenarios in the default run (`make test`).
const DEFAULT_SCENARIOS: u64 = 300;
/// Divergences shrunk and shown in full.
const SHOWN: usize = 3;
/// Replays one shrink may spend.
const SHRINK_BUDGET: usize = 60;

/// What a comparison is about; a divergence counts under the first that differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    Harness,
    Results,
    Classes,
    Sigio,
    State,
}

impl Family {
    const ALL: [Family; 5] = [
        Family::Results,
        Family::Classes,
        Family::Sigio,
        Family::State,
        Family::Harness,
    ];

    fn title(self) -> &'static str {
        match self {
            Family::Results => "each actor's return value, errno and bytes",
            Family::Classes => "when each actor returned (at once, after step k, still blocked)",
            Family::Sigio => "SIGIOs of O_ASYNC",
            Family::State => {
                "the state afterwards (discipline, termios, poll, TIOCINQ, bytes left)"
            }
            Family::Harness => "every thread lets go (nothing stuck in the kernel)",
        }
    }
}

/// The shared options and this program's own.
struct Opts {
    run: RunOpts,
    cases: bool,
    random: bool,
    against: i32,
    switch: Option<i32>,
}

fn opts() -> Opts {
    let mut o = Opts {
        run: RunOpts {
            count_option: "--scenarios",
            count: env_num("nrust_conc_scenarios").unwrap_or(DEFAULT_SCENARIOS),
            seed: env_num("nrust_conc_seed").unwrap_or_else(random_seed),
            start: 0,
            // Every scenario runs on fresh pty pairs.
            block: 1,
            shrink: true,
            show: None,
        },
        cases: true,
        random: true,
        against: disciplines().n_rust,
        switch: None,
    };
    let mut args = Args::from_env();
    while let Some(option) = args.next_option() {
        if o.run.take(&option, &mut args) {
            continue;
        }
        match option.as_str() {
            "--against" => o.against = args.number(&option) as i32,
            "--switch" => o.switch = Some(args.number(&option) as i32),
            "--cases-only" => o.random = false,
            "--no-cases" => o.cases = false,
            _ => cli::unknown(&option),
        }
    }
    o
}

/// Whether discipline `n` is registered (`/proc/tty/ldiscs`).
fn registered(n: i32) -> bool {
    std::fs::read_to_string("/proc/tty/ldiscs").is_ok_and(|s| {
        s.lines()
            .any(|l| l.split_whitespace().nth(1) == Some(&n.to_string()))
    })
}

/// The two sides' disciplines: N_TTY and `against`, each switching to the other's; with
/// `against` = N_TTY, both switch to `switch` (n_rust or N_NULL where registered), so that
/// a discipline change is a real one on both sides.
fn sides(o: &Opts) -> [Discs; 2] {
    // N_TTY is 0, or its spare number in the takeover guest (`disciplines`).
    let n_tty = disciplines().n_tty;
    if o.against != n_tty {
        return [
            Discs {
                own: n_tty,
                other: o.against,
            },
            Discs {
                own: o.against,
                other: n_tty,
            },
        ];
    }
    let to = o
        .switch
        .unwrap_or_else(|| [29, 27].into_iter().find(|&n| registered(n)).unwrap_or(0));
    [
        Discs {
            own: n_tty,
            other: to,
        },
        Discs {
            own: n_tty,
            other: to,
        },
    ]
}

/// Runs `s` on both sides.
fn run_both(discs: &[Discs; 2], s: &Scenario) -> [Obs; 2] {
    discs.map(|d| match Side::open(d, s.layout, &s.tio) {
        Ok(side) => side.run(s),
        Err(e) => Obs {
            harness: Some(e),
            ..Obs::default()
        },
    })
}

/// The first difference: its family and a description.
fn compare(obs: &[Obs; 2]) -> Option<(Family, String)> {
    let [a, b] = obs;
    let detail = || {
        format!(
            "n_tty:\n      {}\n    n_rust:\n      {}",
            a.lines().join("\n      "),
            b.lines().join("\n      ")
        )
    };
    if a.harness.is_some() || b.harness.is_some() {
        return Some((Family::Harness, detail()));
    }
    let results = |o: &Obs| {
        o.calls
            .iter()
            .map(|c| (c.0, c.2.clone()))
            .collect::<Vec<_>>()
    };
    let classes = |o: &Obs| o.calls.iter().map(|c| (c.0, c.1)).collect::<Vec<_>>();
    if results(a) != results(b) {
        return Some((Family::Results, detail()));
    }
    if classes(a) != classes(b) {
        return Some((Family::Classes, detail()));
    }
    if a.sigio != b.sigio {
        return Some((Family::Sigio, detail()));
    }
    if a.state != b.state {
        return Some((Family::State, detail()));
    }
    None
}

/// The two sides' disciplines for the whole run (set once in `main`).
static DISCS: OnceLock<[Discs; 2]> = OnceLock::new();

/// Both sides, for the shared shrinker: every scenario opens fresh pty pairs, so the
/// harness itself holds nothing.
struct BothSides;

impl Lockstep for BothSides {
    type Case = Scenario;
    type Divergence = (Family, String);
    type Kind = Family;

    fn fresh() -> Result<Self, Self::Divergence> {
        Ok(BothSides)
    }

    fn run(&mut self, s: &Scenario) -> Result<(), Self::Divergence> {
        let discs = DISCS
            .get()
            .copied()
            .unwrap_or([Discs { own: 0, other: 0 }; 2]);
        compare(&run_both(&discs, s)).map_or(Ok(()), Err)
    }

    fn kind(d: &Self::Divergence) -> Family {
        d.0
    }
}

/// A smaller scenario that still diverges in `family`: steps dropped, then bytes of the
/// first input, then settings simplified. `None` when `s` does not diverge again
/// (timing-dependent: a defect of the harness).
fn shrink(s: &Scenario, family: Family) -> Option<(Scenario, String)> {
    let mut shrinker = Shrinker::<BothSides>::start(&[], s, family, SHRINK_BUDGET)?;
    shrinker.drop_items(
        0,
        |s| s.steps.len(),
        |s, i| {
            s.steps.remove(i);
        },
    );
    shrinker.drop_byte_ranges(|_| 1, |s, _| Some(&mut s.prefill));
    for simpler in [
        |c: &mut Scenario| c.async_io = false,
        |c: &mut Scenario| c.stopped = false,
        |c: &mut Scenario| {
            c.tio = Tio {
                vmin: c.tio.vmin,
                icanon: c.tio.icanon,
                ..Tio::RAW
            }
        },
    ] {
        let mut c = shrinker.best().clone();
        simpler(&mut c);
        if c != *shrinker.best() {
            shrinker.attempt(c);
        }
    }
    let (_, best, (_, detail)) = shrinker.finish();
    Some((best, detail))
}

/// Runs the named cases; TAP lines from `number + 1`; returns (lines, failed).
fn run_cases(discs: &[Discs; 2], number: &mut usize) -> usize {
    let mut failed = 0;
    for case in cases::CASES {
        *number += 1;
        let got = discs.map(|d| (case.run)(d));
        let verdict = match &got {
            [Ok(None), _] | [_, Ok(None)] => Ok(Some("SKIP userfaultfd is not available here")),
            [Err(e), _] => Err(format!("n_tty side: {e}")),
            [Ok(Some(a)), b] => {
                let missing: Vec<&&str> = case
                    .expect
                    .iter()
                    .filter(|e| !a.iter().any(|l| l.starts_with(**e)))
                    .collect();
                match b {
                    _ if !missing.is_empty() => Err(format!(
                        "the n_tty side does not show what the case is about: no line {missing:?}"
                    )),
                    Err(e) => Err(format!("n_rust side: {e}")),
                    Ok(Some(b)) if a != b => Err("the sides differ".into()),
                    _ => Ok(None),
                }
            }
        };
        match verdict {
            Ok(None) => println!("ok {number} - concurrent case {}", case.name),
            Ok(Some(skip)) => println!("ok {number} - concurrent case {} # {skip}", case.name),
            Err(why) => {
                failed += 1;
                println!("not ok {number} - concurrent case {}: {why}", case.name);
                for (name, g) in ["n_tty", "n_rust"].iter().zip(&got) {
                    println!("  #   {name}:");
                    match g {
                        Ok(Some(lines)) => lines.iter().for_each(|l| println!("  #     {l}")),
                        Ok(None) => println!("  #     (skipped)"),
                        Err(e) => println!("  #     error: {e}"),
                    }
                }
            }
        }
    }
    *number += 1;
    println!(
        "ok {number} - concurrent case {} # SKIP",
        cases::UNREACHABLE
    );
    failed
}

struct Failure {
    index: u64,
    family: Family,
    report: String,
}

fn main() {
    let o = opts();
    if let Some(i) = o.run.show {
        print!("{}", show_scenario(&gen_scenario(case_seed(o.run.seed, i))));
        return;
    }
    obs::install_signals();
    // One CPU for every actor: a wakeup then marks the sleeper runnable before the waker's
    // call returns (across CPUs it may be queued for the other CPU a little longer), so what
    // `/proc` shows right after a step is final. In the test guest the flip-buffer workers
    // join them there (elsewhere the workqueues are left alone).
    let pinned = if in_test_guest() {
        pin_to_cpu0()
    } else {
        pin_self_to_cpu0();
        None
    };
    if pinned.is_none() {
        actor::set_pause(std::time::Duration::from_millis(3));
    }
    let discs = sides(&o);
    let _ = DISCS.set(discs);
    let t0 = Instant::now();
    println!(
        "# concurrent: seed {:#x}, scenarios {}..{}, disciplines {} and {} (switching to {} and {})",
        o.run.seed,
        o.run.start,
        o.run.start + o.run.count,
        discs[0].own,
        discs[1].own,
        discs[0].other,
        discs[1].other
    );
    // The plan first (tests/guest-tap.py wants it before any result): a line per named
    // case, one for item 7, and one per family of checks of the random part.
    let planned = if o.cases { cases::CASES.len() + 1 } else { 0 }
        + if o.random { Family::ALL.len() } else { 0 };
    println!("1..{planned}");
    let mut number = 0;
    let mut failed = 0;
    if o.cases {
        failed += run_cases(&discs, &mut number);
        println!(
            "# concurrent: named cases took {:.1} s",
            t0.elapsed().as_secs_f64()
        );
    }
    let mut failures: Vec<Failure> = Vec::new();
    let mut done = 0;
    let t1 = Instant::now();
    if o.random {
        for index in o.run.start..o.run.start + o.run.count {
            let s = gen_scenario(case_seed(o.run.seed, index));
            done += 1;
            if done % 1000 == 0 {
                println!(
                    "# concurrent: {done} scenarios, {} diverged, {:.1} s",
                    failures.len(),
                    t1.elapsed().as_secs_f64()
                );
            }
            let Some((family, detail)) = compare(&run_both(&discs, &s)) else {
                continue;
            };
            let mut report = String::new();
            if failures.len() < SHOWN {
                report = format!(
                    "scenario as generated:\n{}    {detail}\n",
                    show_scenario(&s)
                );
                if o.run.shrink {
                    report += &match shrink(&s, family) {
                        Some((small, d)) => {
                            format!("shrunk reproduction:\n{}    {d}\n", show_scenario(&small))
                        }
                        None => "did not diverge again (timing-dependent: a defect)\n".into(),
                    };
                }
            }
            failures.push(Failure {
                index,
                family,
                report,
            });
        }
        for family in Family::ALL {
            number += 1;
            let mine: Vec<&Failure> = failures.iter().filter(|f| f.family == family).collect();
            if mine.is_empty() {
                println!(
                    "ok {number} - concurrent: {} agree in {done} scenarios",
                    family.title()
                );
                continue;
            }
            failed += 1;
            println!(
                "not ok {number} - concurrent: {}: {} of {done} scenarios diverge",
                family.title(),
                mine.len()
            );
            for f in mine.iter().take(10) {
                println!("  # seed {:#x} scenario {}", o.run.seed, f.index);
                for line in f.report.lines() {
                    println!("  #   {line}");
                }
                println!(
                    "  #   reproduce (guest shell, module loaded): n_rust-test-concurrent --no-cases --seed {:#x} --start {} --scenarios 1",
                    o.run.seed, f.index
                );
            }
        }
    }
    if let Some(mask) = &pinned {
        restore_wq_mask(mask);
    }
    println!(
        "# concurrent: {done} scenarios, seed {:#x}, {:.1} s ({:.1} s random), {} diverged",
        o.run.seed,
        t0.elapsed().as_secs_f64(),
        t1.elapsed().as_secs_f64(),
        failures.len()
    );
    println!("concurrent: {} passed, {failed} failed", number - failed);
    std::process::exit(i32::from(failed != 0));
}
