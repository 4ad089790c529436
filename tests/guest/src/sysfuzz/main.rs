//! `n_rust-test-sysfuzz`: a syscall fuzzer on ttys, n_rust against N_TTY.
//!
//! ```text
//! n_rust-test-sysfuzz [--calls N] [--seed S] [--seconds T] [--block B]
//!                     [--against D]   (D = 0: N_TTY against itself, a self-test of the harness)
//!                     [--settle-us U] (sleep between settling samples, default 200)
//!                     [--selftest T]  (T seconds of N_TTY against N_TTY first)
//!                     [--start I]     (calls I.. only: the earlier ones drawn, not made)
//!                     [--trace I]     (print every call from I on, with both sides' results)
//!                     [--repeat N]    (the calls from --start N times, fresh pairs each time)
//!                     [--cycle-via D] (a TIOCSETD cycle of an N_TTY tty goes through D,
//!                                      default 29; 27, N_NULL, on a host without n_rust)
//!                     [--discs D,D..] (the registered disciplines the calls are drawn with,
//!                                      default /proc/tty/ldiscs: the guest's on a host)
//! ```
//!
//! Two pty pairs, one slave on N_TTY (0) and one on n_rust (29, loaded by `/init`), get the
//! same random calls, drawn from a seed (`call.rs`): `TCSETS`/`TCSETSW`/`TCSETSF`, `TCGETS`,
//! `TIOCSETD` (the own discipline, a switch to the other and back, unregistered numbers),
//! `TIOCGETD`, `FIONREAD`, `TIOCOUTQ`, `TCFLSH`, `TCXONC`, `TCSBRK`, `TCSBRKP`, `TIOCPKT`,
//! `TIOCSTI`, `TIOCSWINSZ`/`TIOCGWINSZ`, `TIOCVHANGUP`, unknown ioctls, `read`, `write`,
//! `poll`, `open` and `close`, on the slave, the master or a second slave descriptor, with
//! integer arguments out of range, bad pointers (NULL, low, unmapped, kernel, an object
//! running into an unmapped page) and sizes from 0 to 1 MiB. Every descriptor is
//! nonblocking, so no call waits.
//!
//! After each call both sides are settled and compared: every system call's return value,
//! errno and the bytes it wrote to user memory (the data read, the termios, the queue
//! counts, the poll mask), then each side's `FIONREAD` and poll mask on the slave and the
//! master. Only the pty numbers and descriptor numbers differ by nature, and are not
//! compared. Input written to a master (and output to it) is received by the flip-buffer
//! worker later; settling makes that deterministic in practice: a `poll` of a tty with no
//! input waits for its pending flip work (`tty_buffer_flush_work`); while some tty has
//! input, the queue counts and poll masks are sampled 200 us apart until three agree (the
//! process and the unbound workqueues run on CPU 0). A divergence is reported with the
//! seed and the call number,
//! the pairs are replaced and the run goes on.
//!
//! Defaults come from the environment (the kernel command line passes them to `/init`):
//! `nrust_sysfuzz_calls` (default 20000), `nrust_sysfuzz_seed` (default: random, printed),
//! `nrust_sysfuzz_seconds` (default 30: the run stops there even if calls are left),
//! `nrust_sysfuzz_against` (default 29), `nrust_sysfuzz_selftest` (seconds of a first phase
//! with N_TTY on both sides, the same seed: a check that what is compared is deterministic;
//! default 0, none), `nrust_sysfuzz_until` (no call after this time, in seconds since the
//! epoch: the guest's clock is the host's).

mod call;
mod settle;
mod side;
mod verdict;

use call::{gen_call, Call};
use n_rust_guest_tests::run_env::{env_num, in_test_guest, pin_to_cpu0, restore_wq_mask};
use n_rust_guest_tests::sys::kernel_problems;
use n_rust_oracle::cli::{self, random_seed, Args};
use n_rust_oracle::gen::Rng;
use settle::{settle, Snapshot};
use side::{Res, Side, SideOpts, N_RUST, N_TTY};
use std::time::{Duration, Instant};
use verdict::{taints_master, taints_slave, verdict, Timing, Verdict, MASTER_QUEUE_FULL};

/// Calls in the default run (`make test`).
const DEFAULT_CALLS: u64 = 20_000;
/// Seconds the default run may take at most.
const DEFAULT_SECONDS: u64 = 30;
/// Fresh pty pairs every so many calls.
const DEFAULT_BLOCK: u64 = 5000;
/// Divergences shown in full.
const SHOWN: usize = 10;

struct Opts {
    calls: u64,
    seed: u64,
    seconds: u64,
    block: u64,
    /// The second side's discipline.
    against: i32,
    /// Microseconds slept between the samples of the settling.
    settle_us: u32,
    /// Seconds of a self-test phase (N_TTY against N_TTY) first.
    selftest: u64,
    /// No call after this wall-clock time (seconds since the epoch).
    until: Option<u64>,
    /// The first call made: the calls before it are drawn (the sequence is the seed's) but
    /// not made, and the pairs are fresh there, as after a refresh of the full run.
    start: u64,
    /// Every call from this one on is printed with both sides' results and settled counts.
    trace: Option<u64>,
    /// How many times calls `start..calls` are made, on fresh pairs each time.
    repeat: u64,
    /// The registered disciplines the draw avoids for bad numbers (the sequence depends on
    /// them): `/proc/tty/ldiscs` unless given, so that a host can draw the guest's calls.
    discs: Option<Vec<i32>>,
    /// The discipline an N_TTY tty is switched to and back by a `TIOCSETD` cycle.
    cycle_via: i32,
}

fn opts() -> Opts {
    let mut o = Opts {
        calls: env_num("nrust_sysfuzz_calls").unwrap_or(DEFAULT_CALLS),
        seed: env_num("nrust_sysfuzz_seed").unwrap_or_else(random_seed),
        seconds: env_num("nrust_sysfuzz_seconds").unwrap_or(DEFAULT_SECONDS),
        block: DEFAULT_BLOCK,
        against: env_num("nrust_sysfuzz_against").map_or(N_RUST, |d| d as i32),
        settle_us: 200,
        selftest: env_num("nrust_sysfuzz_selftest").unwrap_or(0),
        until: env_num("nrust_sysfuzz_until"),
        start: 0,
        trace: None,
        repeat: 1,
        discs: None,
        cycle_via: N_RUST,
    };
    let mut args = Args::from_env();
    while let Some(option) = args.next_option() {
        match option.as_str() {
            "--calls" => o.calls = args.number(&option),
            "--seed" => o.seed = args.number(&option),
            "--seconds" => o.seconds = args.number(&option),
            "--block" => o.block = args.number(&option).max(1),
            "--against" => o.against = args.number(&option) as i32,
            "--settle-us" => o.settle_us = args.number(&option) as u32,
            "--selftest" => o.selftest = args.number(&option),
            "--start" => o.start = args.number(&option),
            "--trace" => o.trace = Some(args.number(&option)),
            "--repeat" => o.repeat = args.number(&option).max(1),
            "--cycle-via" => o.cycle_via = args.number(&option) as i32,
            "--discs" => o.discs = Some(disc_list(&mut args)),
            _ => cli::unknown(&option),
        }
    }
    o
}

/// The value of `--discs`: numbers separated by commas.
fn disc_list(args: &mut Args) -> Vec<i32> {
    let list = args.next_option().unwrap_or_default();
    list.split(',')
        .map(|n| {
            n.trim().parse().unwrap_or_else(|_| {
                eprintln!("--discs: bad number {n:?}");
                std::process::exit(2)
            })
        })
        .collect()
}

/// The disciplines registered now (`/proc/tty/ldiscs`: "n_tty 0", ...).
fn registered_discs() -> Vec<i32> {
    std::fs::read_to_string("/proc/tty/ldiscs")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1)?.parse().ok())
        .collect()
}

/// Two new pairs: the slave on N_TTY and on `against`.
fn fresh(against: i32, o: &Opts) -> std::io::Result<[Side; 2]> {
    let opts = SideOpts {
        cycle_via: o.cycle_via,
        settle_us: o.settle_us,
    };
    Ok([Side::open(N_TTY, opts)?, Side::open(against, opts)?])
}

struct Divergence {
    index: u64,
    /// The call before which the pairs were opened (`--start` replays from there).
    fresh_at: u64,
    call: Call,
    results: [Vec<Res>; 2],
    snaps: Option<Snapshot>,
}

/// What one phase did.
struct Phase {
    done: u64,
    syscalls: u64,
    hangups: u64,
    secs: f64,
    divergences: Vec<Divergence>,
    /// Calls after which only the settled queue counts or poll masks differed, with equal
    /// results (timing: see the module's doc), and the first few of them.
    unsettled: u64,
    unsettled_shown: Vec<Divergence>,
    /// Calls whose master or slave data, or slave write count, differed as timing explains
    /// (a tainted stream, a full master queue: `verdict.rs`), and the first few.
    flip_limit: u64,
    flip_limit_shown: Vec<Divergence>,
    /// Reads from a master with a good pointer, and how many of them came after its input
    /// had met timing (how much the class above could hide).
    master_reads: u64,
    master_reads_timed: u64,
    /// Opening the pairs failed: the reason.
    broken: Option<String>,
    /// When the phase began.
    started: Instant,
}

/// Runs calls from `seed` on a pair with N_TTY and one with `against` until `calls` are
/// done or `until` has come.
fn run_phase(o: &Opts, against: i32, until: Instant, registered: &[i32]) -> Phase {
    let t0 = Instant::now();
    let mut p = Phase {
        done: 0,
        syscalls: 0,
        hangups: 0,
        secs: 0.0,
        divergences: Vec::new(),
        unsettled: 0,
        unsettled_shown: Vec::new(),
        flip_limit: 0,
        flip_limit_shown: Vec::new(),
        master_reads: 0,
        master_reads_timed: 0,
        broken: None,
        started: t0,
    };
    // Calls before `start` are drawn, not made: the pairs are fresh at `start`.
    let mut from_start = Rng::new(o.seed);
    for _ in 0..o.start.min(o.calls) {
        gen_call(&mut from_start, registered);
    }
    for repetition in 0..o.repeat {
        if o.repeat > 1 {
            println!(
                "# sysfuzz: repetition {} of calls {}..{}",
                repetition + 1,
                o.start,
                o.calls
            );
        }
        if !run_calls(o, against, until, registered, from_start.clone(), &mut p)
            || Instant::now() >= until
        {
            break;
        }
    }
    // SAFETY: A plain syscall (disarms the watchdog).
    unsafe { libc::alarm(0) };
    p.secs = t0.elapsed().as_secs_f64();
    p
}

/// Makes calls `o.start..o.calls` (`r` drawn up to `o.start`) on fresh pairs, adding what
/// they did to `p`; false if the pairs could not be opened.
fn run_calls(
    o: &Opts,
    against: i32,
    until: Instant,
    registered: &[i32],
    mut r: Rng,
    p: &mut Phase,
) -> bool {
    let mut sides = match fresh(against, o) {
        Ok(s) => s,
        Err(e) => {
            p.broken = Some(format!("opening the pty pairs: {e}"));
            return false;
        }
    };
    let tracing = |i: u64| o.trace.is_some_and(|t| i >= t);
    let mut i = o.start;
    let mut fresh_at = i;
    // Whether the masters' streams are tainted (`verdict.rs`), and their settled queue counts
    // after the last call.
    let mut master_timing = false;
    let mut masters = [0, 0];
    // The same for the slaves' streams (a `TCSETSF` racing the flip work: `verdict.rs`).
    let mut slave_timing = false;
    let mut slaves = [0, 0];
    let mut fresh_in: Option<u32> = None;
    while i < o.calls && Instant::now() < until {
        if i > o.start && (i.is_multiple_of(o.block) || fresh_in == Some(0)) {
            match fresh(against, o) {
                Ok(s) => sides = s,
                Err(e) => {
                    p.broken = Some(format!("fresh pty pairs before call {i}: {e}"));
                    return false;
                }
            }
            fresh_in = None;
            fresh_at = i;
            master_timing = false;
            masters = [0, 0];
            slave_timing = false;
            slaves = [0, 0];
            if tracing(i) {
                println!("# trace: fresh pty pairs before call {i}");
            }
        }
        if i.is_multiple_of(256) {
            // A call that hangs ends the program (SIGALRM), and the plan is not met.
            // SAFETY: A plain syscall.
            unsafe { libc::alarm(60) };
        }
        let call = gen_call(&mut r, registered);
        p.done += 1;
        let mut results: [Vec<Res>; 2] = [Vec::new(), Vec::new()];
        for (side, out) in sides.iter_mut().zip(results.iter_mut()) {
            side.run(&call, out);
        }
        p.syscalls += 2 * results[0].len() as u64;
        if let Call::Hangup { .. } = call {
            p.hangups += 1;
            fresh_in = Some(8);
        }
        fresh_in = fresh_in.map(|n| n.saturating_sub(1));
        let snaps = settle(&sides, o.settle_us);
        let snap_diff = snaps[0] != snaps[1];
        let before = masters;
        masters = [snaps[0].1, snaps[1].1];
        let slaves_before = slaves;
        slaves = [snaps[0].0, snaps[1].0];
        let slave_race = taints_slave(&call, &results, slaves_before);
        slave_timing |= slave_race;
        master_timing |=
            slave_race || taints_master(&call, || sides[0].slave_termios(), before, masters);
        let tainted = master_timing;
        let slave_tainted = slave_timing;
        // Both queues empty: whatever was tainted has been read (by this call, perhaps, which
        // is judged as tainted) or dropped.
        if masters == [0, 0] {
            master_timing = false;
        }
        if slaves == [0, 0] {
            slave_timing = false;
        }
        let master_full = masters.iter().any(|&m| m >= MASTER_QUEUE_FULL);
        if tracing(i) {
            println!(
                "# trace {}: {} -> n_tty {:?}, other {:?}; settled (FIONREAD slave, master; poll slave, master) {:?} / {:?}{}",
                i,
                call::show(&call),
                results[0],
                results[1],
                snaps[0],
                snaps[1],
                if tainted { "; master stream tainted" } else { "" }
            );
        }
        if let Call::Read {
            fd: call::Target::Master,
            ptr: call::Ptr::Good,
            ..
        } = call
        {
            p.master_reads += 1;
            p.master_reads_timed += u64::from(tainted);
        }
        let timing = Timing {
            master_full,
            master_tainted: tainted,
            slave_tainted,
        };
        let v = verdict(&call, &results, snap_diff, timing);
        if v != Verdict::Agree {
            let d = Divergence {
                index: i,
                fresh_at,
                call,
                results,
                snaps: snap_diff.then_some(snaps),
            };
            let unsettled = match v {
                Verdict::UnsettledCounts => Some((&mut p.unsettled, &mut p.unsettled_shown)),
                Verdict::UnsettledFlipLimit => Some((&mut p.flip_limit, &mut p.flip_limit_shown)),
                _ => None,
            };
            if let Some((count, shown)) = unsettled {
                *count += 1;
                if shown.len() < 3 {
                    shown.push(d);
                }
            } else {
                if p.divergences.len() < SHOWN {
                    println!("# sysfuzz: call {} diverges: {}", i, call::show(&d.call));
                    println!("#   n_tty:  {}", side::show(&d.results[0]));
                    println!("#   other:  {}", side::show(&d.results[1]));
                }
                p.divergences.push(d);
            }
            // The pairs differ now: fresh ones for the next call.
            fresh_in = Some(0);
        }
        i += 1;
        if i.is_multiple_of(100_000) {
            println!(
                "# sysfuzz: {} calls, {} diverged, {} unsettled, {} at the flip limit, {:.1} s",
                i,
                p.divergences.len(),
                p.unsettled,
                p.flip_limit,
                p.started.elapsed().as_secs_f64()
            );
        }
    }
    true
}

/// Prints how many calls of a phase fell into a timing class (`what_differed`), with the
/// examples kept; nothing when none did.
fn show_timing_class(o: &Opts, what: &str, calls: u64, what_differed: &str, shown: &[Divergence]) {
    if calls == 0 {
        return;
    }
    println!("# sysfuzz: {what}: after {calls} calls {what_differed}, e.g.:");
    for d in shown {
        show_divergence(o, d);
    }
}

fn show_divergence(o: &Opts, d: &Divergence) {
    println!(
        "  # seed {:#x} call {} (pairs fresh at {}): {} -> n_tty {}, other {}{}",
        o.seed,
        d.index,
        d.fresh_at,
        call::show(&d.call),
        side::show(&d.results[0]),
        side::show(&d.results[1]),
        d.snaps.as_ref().map_or(String::new(), |s| format!(
            ", after (FIONREAD slave, master; poll slave, master) {:?} / {:?}",
            s[0], s[1]
        ))
    );
}

/// Prints the TAP line of a phase (number `n`, named `what`); returns whether it passed.
fn report(o: &Opts, n: u32, what: &str, against: i32, p: &Phase) -> bool {
    println!(
        "# sysfuzz: {what}: {} calls ({} system calls on the two sides, {} hangups), seed {:#x}, {:.1} s, {} diverged, {} unsettled, {} at the flip limit",
        p.done,
        p.syscalls,
        p.hangups,
        o.seed,
        p.secs,
        p.divergences.len(),
        p.unsettled,
        p.flip_limit
    );
    show_timing_class(
        o,
        what,
        p.unsettled,
        "only the queue counts or poll masks differed (equal results; timing, as in the self-test)",
        &p.unsettled_shown,
    );
    println!(
        "# sysfuzz: {what}: {} reads from a master, {} of them while its stream was tainted (echoes that filled its queue, or a signal character's flush)",
        p.master_reads, p.master_reads_timed
    );
    show_timing_class(
        o,
        what,
        p.flip_limit,
        "the data of a master or slave read (its stream tainted) or the count of a slave write out of room (a master's queue full) differed (timing, README)",
        &p.flip_limit_shown,
    );
    if let Some(why) = &p.broken {
        println!("not ok {n} - sysfuzz: {what}: {why}");
        return false;
    }
    if p.divergences.is_empty() {
        println!("ok {n} - sysfuzz: {what}: agree on {} calls", p.done);
        return true;
    }
    println!(
        "not ok {n} - sysfuzz: {what}: {} of {} calls diverge",
        p.divergences.len(),
        p.done
    );
    for d in p.divergences.iter().take(SHOWN) {
        show_divergence(o, d);
    }
    println!(
        "  # reproduce (guest shell, module loaded): n_rust-test-sysfuzz --seed {:#x} --against {against} --start {} --calls {} --trace {}",
        o.seed,
        p.divergences[0].fresh_at,
        p.divergences[0].index + 1,
        p.divergences[0].fresh_at
    );
    false
}

/// Now plus `secs`, capped by the wall-clock time `until` (seconds since the epoch; the
/// guest's clock is the host's, from the RTC).
fn deadline(secs: u64, until: Option<u64>) -> Instant {
    let mut d = Duration::from_secs(secs);
    if let Some(u) = until {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |t| t.as_secs());
        d = d.min(Duration::from_secs(u.saturating_sub(now)));
    }
    Instant::now() + d
}

fn main() {
    let o = opts();
    let registered = o.discs.clone().unwrap_or_else(registered_discs);
    let pinned = if in_test_guest() { pin_to_cpu0() } else { None };
    let plan = if o.selftest > 0 { 3 } else { 2 };
    println!("TAP version 13");
    println!("1..{plan}");
    println!(
        "# sysfuzz: seed {:#x}, {} calls at most, {} s at most (self-test first: {} s), fresh pty pairs every {}, against {}, disciplines {registered:?}",
        o.seed, o.calls, o.seconds, o.selftest, o.block, o.against
    );
    let mut failed = 0;
    let mut n = 1;
    if o.selftest > 0 {
        let p = run_phase(&o, N_TTY, deadline(o.selftest, o.until), &registered);
        failed += u32::from(!report(&o, n, "self-test (N_TTY against N_TTY)", N_TTY, &p));
        n += 1;
    }
    let p = run_phase(&o, o.against, deadline(o.seconds, o.until), &registered);
    let what = if o.against == N_RUST {
        "n_rust against N_TTY".to_string()
    } else {
        format!("discipline {} against N_TTY", o.against)
    };
    failed += u32::from(!report(&o, n, &what, o.against, &p));
    n += 1;
    if let Some(mask) = &pinned {
        restore_wq_mask(mask);
    }
    match kernel_problems() {
        Ok(p) if p.is_empty() => println!("ok {n} - sysfuzz: no kernel report"),
        Ok(p) => {
            failed += 1;
            println!("not ok {n} - sysfuzz: {} kernel report lines", p.len());
            for l in p.iter().take(20) {
                println!("  # {l}");
            }
        }
        Err(e) => {
            failed += 1;
            println!("not ok {n} - sysfuzz: {e}");
        }
    }
    println!("# sysfuzz: {} passed, {failed} failed", plan - failed);
    std::process::exit(i32::from(failed != 0));
}
