//! `n_rust-test-diff`: differential test of n_rust against N_TTY inside the guest.
//!
//! ```text
//! n_rust-test-diff [--scenarios N] [--seed S] [--start I] [--block B] [--no-shrink] [--show I]
//!                  [--against D]   (D = 0: N_TTY against itself, a self-test of the harness)
//! ```
//!
//! Pairs of ptys, one slave on N_TTY (0) and one on n_rust (29, loaded by `/init`; in the
//! takeover guest n_rust is the default on both ends and N_TTY's pair gets its spare number,
//! see `disciplines`), get the
//! same termios and the same operations — input on the master, reads of every size
//! (nonblocking, and blocking where they cannot wait), termios changes mid-line, flushes,
//! flow control, `TIOCSTI`, program writes (output processing) — drawn from a seed. After
//! every operation the two sides are compared: each call's return value, errno and bytes,
//! every byte on the master, signals to the foreground group, the poll mask, `TIOCINQ` and
//! `TIOCOUTQ` (see `duo.rs` for how pending flip-buffer work is waited for).
//!
//! Defaults come from the environment (the kernel command line passes them to `/init`):
//! `nrust_diff_scenarios` (default 2000) and `nrust_diff_seed` (default: random, printed).
//! One TAP line per family of checks; a divergence prints the seed, the scenario number and
//! a reproduction shrunk by replaying on fresh pairs.

mod duo;
mod observation;
mod scenario;
mod side;

use duo::Duo;
use n_rust_guest_tests::run_env::{env_num, in_test_guest, pin_to_cpu0, restore_wq_mask};
use n_rust_oracle::cli::{self, random_seed, Args, RunOpts};
use n_rust_oracle::gen::case_seed;
use n_rust_oracle::shrink::{Lockstep, Shrinker};
use observation::{Divergence, Family};
use scenario::{gen_scenario, show_scenario, Op, Scenario};
use std::time::Instant;

/// Scenarios in the default run (`make test`).
const DEFAULT_SCENARIOS: u64 = 2000;
/// Fresh pty pairs every so many scenarios (state otherwise carries over, as in a session).
const DEFAULT_BLOCK: u64 = 50;
/// Divergences that are shrunk and shown in full.
const SHOWN: usize = 3;
/// Replays one shrink may spend.
const SHRINK_BUDGET: usize = 300;

/// The shared options and this program's own.
struct Opts {
    run: RunOpts,
    /// Print the time spent per kind of operation (always on).
    profile: bool,
}

fn add(total: &mut [(u32, std::time::Duration); 10], more: &[(u32, std::time::Duration); 10]) {
    for (t, m) in total.iter_mut().zip(more) {
        t.0 += m.0;
        t.1 += m.1;
    }
}

fn opts() -> Opts {
    let mut o = Opts {
        run: RunOpts {
            count_option: "--scenarios",
            count: env_num("nrust_diff_scenarios").unwrap_or(DEFAULT_SCENARIOS),
            seed: env_num("nrust_diff_seed").unwrap_or_else(random_seed),
            start: 0,
            block: DEFAULT_BLOCK,
            shrink: true,
            show: None,
        },
        profile: true,
    };
    let mut args = Args::from_env();
    while let Some(option) = args.next_option() {
        if o.run.take(&option, &mut args) {
            continue;
        }
        match option.as_str() {
            "--against" => duo::set_against(args.number(&option) as i32),
            "--profile" => o.profile = true,
            _ => cli::unknown(&option),
        }
    }
    o
}

/// Smaller scenarios that still diverge in the same family: drop operations, then bytes,
/// then termios flags.
fn shrink(prefix: &[Scenario], s: &Scenario, family: Family) -> (bool, Scenario, Divergence) {
    let Some(mut shrinker) = Shrinker::<Duo>::start(prefix, s, family, SHRINK_BUDGET) else {
        return (
            false,
            s.clone(),
            Divergence {
                op: None,
                family,
                detail: "did not diverge again on fresh pairs (timing-dependent: a defect)".into(),
            },
        );
    };
    // Everything after the diverging operation goes first.
    if let Some(op) = shrinker.divergence().op {
        if op + 1 < shrinker.best().ops.len() {
            let mut c = shrinker.best().clone();
            c.ops.truncate(op + 1);
            shrinker.attempt(c);
        }
    }
    shrinker.drop_items(
        0,
        |s| s.ops.len(),
        |s, i| {
            s.ops.remove(i);
        },
    );
    // Bytes of inputs and writes, halving the size of the removed range.
    shrinker.drop_byte_ranges(
        |s| s.ops.len(),
        |s, i| match s.ops.get_mut(i) {
            Some(Op::Input { data, .. }) | Some(Op::Write { data, .. }) => Some(data),
            _ => None,
        },
    );
    shrinker.clear_termios_flags(|s| &mut s.termios);
    let (_, best, div) = shrinker.finish();
    (true, best, div)
}

struct Failure {
    index: u64,
    first: u64,
    div: Divergence,
    report: String,
}

fn main() {
    let o = opts();
    if let Some(i) = o.run.show {
        print!("{}", show_scenario(&gen_scenario(case_seed(o.run.seed, i))));
        return;
    }
    side::install_watchdog();
    // Only in the test guest: never touch a host.
    let pinned = if in_test_guest() && std::env::var_os("nrust_diff_no_pin").is_none() {
        pin_to_cpu0()
    } else {
        None
    };
    let t0 = Instant::now();
    // One TAP result per family of operations, the plan first.
    println!("1..{}", Family::ALL.len());
    println!(
        "# diff: seed {:#x}, scenarios {}..{}, fresh pty pairs every {}",
        o.run.seed,
        o.run.start,
        o.run.start + o.run.count,
        o.run.block
    );
    let mut failures: Vec<Failure> = Vec::new();
    let mut profile: [(u32, std::time::Duration); 10] = Default::default();
    let mut opening = std::time::Duration::ZERO;
    let mut ops = 0usize;
    let mut done = 0u64;
    let mut first = o.run.start;
    let end = o.run.start + o.run.count;
    while first < end {
        let last = (first + o.run.block).min(end);
        let t = Instant::now();
        let opened = Duo::fresh();
        opening += t.elapsed();
        let mut duo = match opened {
            Ok(d) => d,
            Err(div) => {
                failures.push(Failure {
                    index: first,
                    first,
                    div,
                    report: String::new(),
                });
                break;
            }
        };
        let mut since_fresh: Vec<Scenario> = Vec::new();
        for index in first..last {
            let s = gen_scenario(case_seed(o.run.seed, index));
            ops += s.ops.len();
            done += 1;
            match duo.run(&s) {
                Ok(()) => since_fresh.push(s),
                Err(div) => {
                    let mut report = String::new();
                    if o.run.shrink && failures.len() < SHOWN {
                        let (again, small, d) = shrink(&since_fresh, &s, div.family);
                        report = if again {
                            format!(
                                "shrunk reproduction (diverges at op {}: {}):\n{}",
                                d.op.map_or("reset".into(), |i| i.to_string()),
                                d.detail.replace('\n', "\n    "),
                                show_scenario(&small)
                            )
                        } else {
                            format!("{}\n", d.detail)
                        };
                    }
                    if failures.len() < SHOWN {
                        report = format!("scenario as generated:\n{}{report}", show_scenario(&s));
                    }
                    failures.push(Failure {
                        index,
                        first,
                        div,
                        report,
                    });
                    // The rest of the block on fresh pairs.
                    add(&mut profile, &duo.profile);
                    match Duo::open() {
                        Ok(d) => duo = d,
                        Err(_) => break,
                    }
                    since_fresh.clear();
                }
            }
        }
        add(&mut profile, &duo.profile);
        if last.is_multiple_of(1000) || last == end {
            println!(
                "# diff: {done} scenarios, {} diverged, {:.1} s",
                failures.len(),
                t0.elapsed().as_secs_f64()
            );
        }
        first = last;
    }
    let secs = t0.elapsed().as_secs_f64();
    if let Some(mask) = &pinned {
        restore_wq_mask(mask);
        println!("# diff: ran on CPU 0 with the unbound workqueues (their mask was {mask})");
    }
    if o.profile {
        println!(
            "# diff profile: opening pty pairs {:.1} s",
            opening.as_secs_f64()
        );
        for (name, (n, d)) in duo::PROFILE.iter().zip(profile) {
            println!(
                "# diff profile: {name:8} {n:7} x {:7.0} us = {:6.1} s",
                d.as_secs_f64() * 1e6 / f64::from(n.max(1)),
                d.as_secs_f64()
            );
        }
    }

    let mut number = 0;
    let mut failed = 0;
    for family in Family::ALL {
        number += 1;
        let mine: Vec<&Failure> = failures.iter().filter(|f| f.div.family == family).collect();
        if mine.is_empty() {
            println!(
                "ok {number} - diff: {} agree in {done} scenarios",
                family.title()
            );
            continue;
        }
        failed += 1;
        println!(
            "not ok {number} - diff: {}: {} of {done} scenarios diverge",
            family.title(),
            mine.len()
        );
        for f in mine.iter().take(10) {
            println!(
                "  # seed {:#x} scenario {} (fresh pairs from scenario {}), op {}: {}",
                o.run.seed,
                f.index,
                f.first,
                f.div.op.map_or("reset".into(), |i| i.to_string()),
                f.div.detail.replace('\n', "\n  #   ")
            );
            for line in f.report.lines() {
                println!("  #   {line}");
            }
            println!(
                "  #   reproduce (guest shell, module loaded): n_rust-test-diff --seed {:#x} --start {} --scenarios {}",
                o.run.seed,
                f.first,
                f.index - f.first + 1
            );
        }
    }
    println!(
        "# diff: {done} scenarios ({ops} operations), seed {:#x}, {secs:.1} s, {} diverged",
        o.run.seed,
        failures.len()
    );
    println!("diff: {} passed, {failed} failed", number - failed);
    std::process::exit(if failed == 0 { 0 } else { 1 });
}
