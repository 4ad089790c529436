//! `n_rust_oracle`: run the differential test. See `README.md` in this directory.
//!
//! ```text
//! n_rust_oracle [--cases N] [--seed S] [--start I] [--threads T (4)] [--block B]
//!               [--no-shrink] [--check-table] [--show I]
//! ```

use n_rust_oracle::gen::{case_seed, gen_case};
use n_rust_oracle::pty::SignalReportingPty;
use n_rust_oracle::sim::Sim;
use n_rust_oracle::{compare, run_kernel, show_case, OCase};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

mod table;

/// Largest master output of one step we compare. A pty's flip buffer is limited
/// to 8 KiB (`tty_buffer_set_limit(port, 8192)` in pty.c), so the write room the
/// slave's N_TTY sees depends on how far the master's worker has drained it;
/// below this bound the room never runs out (see DIVERGENCES.md).
const MAX_STEP_OUTPUT: usize = 7_000;

struct Opts {
    cases: u64,
    seed: u64,
    start: u64,
    threads: usize,
    block: u64,
    shrink: bool,
}

fn parse_num(s: &str) -> u64 {
    let s = s.replace('_', "");
    if let Some(h) = s.strip_prefix("0x") {
        u64::from_str_radix(h, 16).expect("bad hex number")
    } else {
        s.parse().expect("bad number")
    }
}

fn random_seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    n_rust_oracle::gen::Rng::new(t ^ u64::from(std::process::id())).next_u64()
}

/// Cases of block `[first, first+count)`, with the ones too big to compare dropped.
fn block_cases(seed: u64, first: u64, end: u64) -> Vec<(u64, OCase)> {
    (first..end)
        .map(|i| (i, gen_case(case_seed(seed, i))))
        .collect()
}

/// Run `prefix` then `case` on a fresh pty and engine; `Some(diff)` if `case` diverges.
fn replay(prefix: &[OCase], case: &OCase) -> Option<String> {
    let pty = SignalReportingPty::open().expect("pty");
    let mut sim = Sim::new();
    for c in prefix {
        let mut probe = sim.clone();
        let et = probe.run(c);
        if et.iter().any(|s| s.master.len() > MAX_STEP_OUTPUT) {
            continue;
        }
        let prev = sim.termios;
        sim = probe;
        let _ = run_kernel(&pty, &prev, c);
    }
    let prev = sim.termios;
    let et = sim.run(case);
    let kt = run_kernel(&pty, &prev, case).expect("kernel run");
    compare(&case.termios, &kt, &et)
}

fn shrink(prefix: &[OCase], case: &OCase) -> (Vec<OCase>, OCase, String) {
    let mut prefix: Vec<OCase> = prefix.to_vec();
    let mut best = case.clone();
    let Some(mut diff) = replay(&prefix, &best) else {
        return (prefix, best, "did not reproduce on replay".into());
    };
    if let Some(d) = replay(&[], &best) {
        prefix.clear();
        diff = d;
    }
    let mut budget = 600;
    let try_it = |cand: &OCase, best: &mut OCase, diff: &mut String, budget: &mut i32| {
        if *budget <= 0 {
            return false;
        }
        *budget -= 1;
        if let Some(d) = replay(&prefix, cand) {
            *best = cand.clone();
            *diff = d;
            true
        } else {
            false
        }
    };
    // Drop whole chunks, then single bytes, then the write, then flags.
    let mut i = best.chunks.len();
    while i > 0 {
        i -= 1;
        if best.chunks.len() > 1 {
            let mut c = best.clone();
            c.chunks.remove(i);
            try_it(&c, &mut best, &mut diff, &mut budget);
        }
    }
    // Remove ranges of bytes, halving the range size (delta debugging).
    for ci in (0..best.chunks.len()).rev() {
        let mut size = best.chunks.get(ci).map_or(0, |c| c.len() / 2);
        while size >= 1 {
            let mut start = 0;
            while ci < best.chunks.len() && start + size <= best.chunks[ci].len() {
                if best.chunks[ci].len() <= size {
                    break;
                }
                let mut c = best.clone();
                c.chunks[ci].drain(start..start + size);
                if !try_it(&c, &mut best, &mut diff, &mut budget) {
                    start += size;
                }
            }
            size /= 2;
        }
    }
    let mut ci = best.chunks.len();
    while ci > 0 {
        ci -= 1;
        let mut j = best.chunks[ci].len();
        while j > 0 {
            j -= 1;
            if ci < best.chunks.len() && j < best.chunks[ci].len() && best.chunks[ci].len() > 1 {
                let mut c = best.clone();
                c.chunks[ci].remove(j);
                try_it(&c, &mut best, &mut diff, &mut budget);
            }
        }
    }
    if !best.write.is_empty() {
        let mut c = best.clone();
        c.write.clear();
        try_it(&c, &mut best, &mut diff, &mut budget);
    }
    for bit in 0..20 {
        for which in 0..3 {
            let mut c = best.clone();
            let f = match which {
                0 => &mut c.termios.iflag.0,
                1 => &mut c.termios.oflag.0,
                _ => &mut c.termios.lflag.0,
            };
            if *f & (1 << bit) != 0 {
                *f &= !(1 << bit);
                try_it(&c, &mut best, &mut diff, &mut budget);
            }
        }
    }
    (prefix, best, diff)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut o = Opts {
        cases: 20_000,
        seed: random_seed(),
        start: 0,
        threads: 4,
        block: 100,
        shrink: true,
    };
    let mut i = 0;
    let mut show = None;
    let mut check_table = false;
    while i < args.len() {
        let a = args[i].as_str();
        let val = || {
            args.get(i + 1)
                .map(|s| parse_num(s))
                .expect("missing value")
        };
        match a {
            "--cases" => o.cases = val(),
            "--seed" => o.seed = val(),
            "--start" => o.start = val(),
            "--threads" => o.threads = val() as usize,
            "--block" => o.block = val().max(1),
            "--show" => show = Some(val()),
            "--no-shrink" => {
                o.shrink = false;
                i += 1;
                continue;
            }
            "--check-table" => {
                check_table = true;
                i += 1;
                continue;
            }
            _ => {
                eprintln!("unknown argument {a}");
                std::process::exit(2);
            }
        }
        i += 2;
    }
    if check_table {
        std::process::exit(table::check_table());
    }
    if let Some(idx) = show {
        print!("{}", show_case(&gen_case(case_seed(o.seed, idx))));
        return;
    }

    let t0 = Instant::now();
    println!(
        "oracle: seed {:#x}, cases {}..{}, {} threads",
        o.seed,
        o.start,
        o.start + o.cases,
        o.threads
    );
    let next_block = AtomicU64::new(0);
    let done = AtomicU64::new(0);
    let skipped = AtomicU64::new(0);
    let divergences = AtomicUsize::new(0);
    let reports = Mutex::new(Vec::<String>::new());
    let nblocks = o.cases.div_ceil(o.block);
    std::thread::scope(|s| {
        for _ in 0..o.threads.max(1) {
            s.spawn(|| loop {
                let b = next_block.fetch_add(1, Ordering::Relaxed);
                if b >= nblocks {
                    return;
                }
                let first = o.start + b * o.block;
                let end = (first + o.block).min(o.start + o.cases);
                let cases = block_cases(o.seed, first, end);
                let mut pty = SignalReportingPty::open().expect("cannot open a pty");
                let mut sim = Sim::new();
                let mut since_fresh: Vec<OCase> = Vec::new();
                for (idx, case) in &cases {
                    let mut probe = sim.clone();
                    let et = probe.run(case);
                    if et.iter().any(|s| s.master.len() > MAX_STEP_OUTPUT) {
                        skipped.fetch_add(1, Ordering::Relaxed);
                        done.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    let prev = sim.termios;
                    sim = probe;
                    let kt = run_kernel(&pty, &prev, case).expect("kernel run failed");
                    done.fetch_add(1, Ordering::Relaxed);
                    if let Some(diff) = compare(&case.termios, &kt, &et) {
                        divergences.fetch_add(1, Ordering::Relaxed);
                        let mut rep = format!(
                            "DIVERGENCE seed {:#x} case {} (block from case {}): {}\n",
                            o.seed, idx, first, diff
                        );
                        rep += &format!("case:\n{}", show_case(case));
                        // Shrinking replays the case hundreds of times: only the first few.
                        if o.shrink && divergences.load(Ordering::Relaxed) <= 3 {
                            let (prefix, small, d) = shrink(&since_fresh, case);
                            rep += &format!(
                                "shrunk ({} earlier cases of the block replayed first{}): {}\n{}",
                                prefix.len(),
                                if prefix.is_empty() {
                                    ", reproduces alone"
                                } else {
                                    ""
                                },
                                d,
                                show_case(&small)
                            );
                        }
                        rep += &format!(
                            "reproduce: n_rust_oracle --seed {:#x} --start {} --cases {}\n",
                            o.seed,
                            first,
                            idx - first + 1
                        );
                        eprintln!("{rep}");
                        reports.lock().unwrap().push(rep);
                        // Start the rest of the block from a fresh state.
                        pty = SignalReportingPty::open().expect("cannot open a pty");
                        sim = Sim::new();
                        since_fresh.clear();
                        continue;
                    }
                    since_fresh.push(case.clone());
                }
            });
        }
    });
    let n = done.load(Ordering::Relaxed);
    let d = divergences.load(Ordering::Relaxed);
    println!(
        "oracle: {} cases, {} divergences, {} skipped (output over {} bytes), seed {:#x}, {:.1}s",
        n,
        d,
        skipped.load(Ordering::Relaxed),
        MAX_STEP_OUTPUT,
        o.seed,
        t0.elapsed().as_secs_f64()
    );
    if d > 0 {
        std::process::exit(1);
    }
}
