//! `n_rust_oracle`: run the differential test. See `README.md` in this directory.
//!
//! ```text
//! n_rust_oracle [--cases N] [--seed S] [--start I] [--threads T (4)] [--block B]
//!               [--no-shrink] [--check-table] [--show I]
//! ```

use n_rust_oracle::cli::{self, random_seed, Args, RunOpts};
use n_rust_oracle::gen::{case_seed, gen_case};
use n_rust_oracle::shrink::Shrinker;
use n_rust_oracle::{show_case, CaseResult, KernelAndEngine, OCase, MAX_STEP_OUTPUT};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

mod table;

/// Replays one shrink may spend.
const SHRINK_BUDGET: usize = 600;

/// Cases of block `[first, end)`.
fn block_cases(seed: u64, first: u64, end: u64) -> Vec<(u64, OCase)> {
    (first..end)
        .map(|i| (i, gen_case(case_seed(seed, i))))
        .collect()
}

/// A smaller case that still diverges after `prefix` (or alone): drops chunks, ranges of
/// bytes, single bytes, the write, then termios flags. Returns the prefix still needed, the
/// case and its divergence.
fn shrink(prefix: &[OCase], case: &OCase) -> (Vec<OCase>, OCase, String) {
    let Some(mut s) = Shrinker::<KernelAndEngine>::start(prefix, case, (), SHRINK_BUDGET) else {
        return (
            prefix.to_vec(),
            case.clone(),
            "did not reproduce on replay".into(),
        );
    };
    s.drop_items(
        1,
        |c| c.chunks.len(),
        |c, i| {
            c.chunks.remove(i);
        },
    );
    s.drop_byte_ranges(|c| c.chunks.len(), |c, i| c.chunks.get_mut(i));
    s.drop_single_bytes(|c| c.chunks.len(), |c, i| c.chunks.get_mut(i));
    if !s.best().write.is_empty() {
        let mut c = s.best().clone();
        c.write.clear();
        s.attempt(c);
    }
    s.clear_termios_flags(|c| &mut c.termios);
    s.finish()
}

fn main() {
    let mut o = RunOpts {
        count_option: "--cases",
        count: 20_000,
        seed: random_seed(),
        start: 0,
        block: 100,
        shrink: true,
        show: None,
    };
    let mut threads = 4usize;
    let mut check_table = false;
    let mut args = Args::from_env();
    while let Some(option) = args.next_option() {
        if o.take(&option, &mut args) {
            continue;
        }
        match option.as_str() {
            "--threads" => threads = args.number(&option) as usize,
            "--check-table" => check_table = true,
            _ => cli::unknown(&option),
        }
    }
    if check_table {
        std::process::exit(table::check_table());
    }
    if let Some(idx) = o.show {
        print!("{}", show_case(&gen_case(case_seed(o.seed, idx))));
        return;
    }

    let t0 = Instant::now();
    println!(
        "oracle: seed {:#x}, cases {}..{}, {} threads",
        o.seed,
        o.start,
        o.start + o.count,
        threads
    );
    let next_block = AtomicU64::new(0);
    let done = AtomicU64::new(0);
    let in_part = AtomicU64::new(0);
    let divergences = AtomicUsize::new(0);
    let reports = Mutex::new(Vec::<String>::new());
    let nblocks = o.count.div_ceil(o.block);
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| loop {
                let b = next_block.fetch_add(1, Ordering::Relaxed);
                if b >= nblocks {
                    return;
                }
                let first = o.start + b * o.block;
                let end = (first + o.block).min(o.start + o.count);
                let cases = block_cases(o.seed, first, end);
                let mut sides = KernelAndEngine::open().expect("cannot open a pty");
                let mut since_fresh: Vec<OCase> = Vec::new();
                for (idx, case) in &cases {
                    let result = sides.run_case(case);
                    done.fetch_add(1, Ordering::Relaxed);
                    let diff = match result {
                        CaseResult::ComparedInPart => {
                            // The sides may hold different state now: fresh ones.
                            in_part.fetch_add(1, Ordering::Relaxed);
                            sides = KernelAndEngine::open().expect("cannot open a pty");
                            since_fresh.clear();
                            continue;
                        }
                        CaseResult::Agreed => {
                            since_fresh.push(case.clone());
                            continue;
                        }
                        CaseResult::Diverged(diff) => diff,
                    };
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
                    sides = KernelAndEngine::open().expect("cannot open a pty");
                    since_fresh.clear();
                }
            });
        }
    });
    let n = done.load(Ordering::Relaxed);
    let d = divergences.load(Ordering::Relaxed);
    println!(
        "oracle: {} cases, {} divergences, {} compared in part (kernel output over {} bytes in a step), seed {:#x}, {:.1}s",
        n,
        d,
        in_part.load(Ordering::Relaxed),
        MAX_STEP_OUTPUT,
        o.seed,
        t0.elapsed().as_secs_f64()
    );
    if d > 0 {
        std::process::exit(1);
    }
}
