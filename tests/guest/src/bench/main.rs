//! The N_TTY / n_rust benchmark, run by the guest's `/init` in `nrust_mode=bench`:
//!
//! ```text
//! n_rust-bench [--disc N]
//! ```
//!
//! Every workload runs on a pty whose slave is on N_TTY (0) and on one whose slave is on
//! n_rust (29, or `--disc N`: `--disc 0` runs N_TTY against itself, e.g. on a host without
//! the module), alternately: in each repetition each workload runs once per discipline, the
//! order swapped every repetition. Each row reports the median and the spread (min–max) per
//! discipline and the ratio of the medians, n_rust / N_TTY.
//!
//! Knobs (environment, from the kernel command line): `nrust_bench_reps` (default 7),
//! `nrust_bench_mib` (MiB per raw run, default 16; also the 64-pty total),
//! `nrust_bench_lines` (canonical lines, default 20000), `nrust_bench_typed` (typed lines,
//! default 2000), `nrust_bench_trips` (echo round trips, default 10000), `nrust_bench_ptys`
//! (ptys held open for the memory row, default 1000), `nrust_bench_rows` (the workloads to
//! run, by row key, comma-separated: `raw_m2s` (which also gives the CPU rows), `raw_s2m`,
//! `canon_lines`, `canon_typed`, `echo` (both echo rows), `parallel64`, `mem_per_pty`;
//! default all), `nrust_bench_cpus` (`all`, the default: the scheduler places the threads and
//! the flip-buffer work on every vCPU; `cpu0`: this program and the unbound workqueues on CPU
//! 0 only, so every hand-off between writer, flip-buffer worker and reader is a local context
//! switch rather than a wake-up of another vCPU thread of a TCG guest, whose timing the host
//! decides).
//!
//! Lines starting with `bench:` are for people; one line `bench-json: {...}` carries every
//! sample for `scripts/bench-report.py`. Nothing here asserts on time; the exit status is
//! non-zero only when a workload failed (a byte out of place, a stall, a setup error).

mod kernel_stats;
mod workloads;

use n_rust_guest_tests::run_env::{env_num, pin_to_cpu0};
use n_rust_guest_tests::sys::N_DEVELOPMENT;
use std::fmt::Write as _;
use std::time::Instant;

/// Which way a row is better.
#[derive(Clone, Copy, PartialEq)]
enum Better {
    Higher,
    Lower,
}

/// One row of the table.
struct Row {
    key: &'static str,
    name: &'static str,
    unit: &'static str,
    better: Better,
}

const ROWS: [Row; 15] = [
    Row {
        key: "raw_m2s",
        name: "raw master→slave",
        unit: "MiB/s",
        better: Better::Higher,
    },
    Row {
        key: "raw_s2m",
        name: "raw slave→master",
        unit: "MiB/s",
        better: Better::Higher,
    },
    Row {
        key: "canon_lines",
        name: "canonical 80-byte lines",
        unit: "lines/s",
        better: Better::Higher,
    },
    Row {
        key: "canon_typed",
        name: "canonical typed, echo read back",
        unit: "lines/s",
        better: Better::Higher,
    },
    Row {
        key: "echo_p50",
        name: "echo round trip p50",
        unit: "µs",
        better: Better::Lower,
    },
    Row {
        key: "echo_p99",
        name: "echo round trip p99",
        unit: "µs",
        better: Better::Lower,
    },
    Row {
        key: "parallel64",
        name: "64 ptys in parallel, aggregate",
        unit: "MiB/s",
        better: Better::Higher,
    },
    Row {
        key: "cpu_stat",
        name: "CPU per MiB raw m→s, /proc/stat sys+irq+softirq",
        unit: "ms/MiB",
        better: Better::Lower,
    },
    Row {
        key: "cpu_rusage",
        name: "CPU per MiB raw m→s, getrusage sys",
        unit: "ms/MiB",
        better: Better::Lower,
    },
    Row {
        key: "bytes_per_read",
        name: "bytes per read() raw m→s (64 KiB buffer)",
        unit: "bytes",
        better: Better::Higher,
    },
    Row {
        key: "switches_per_mib",
        name: "context switches per MiB raw m→s",
        unit: "/MiB",
        better: Better::Lower,
    },
    Row {
        key: "ipis_per_mib",
        name: "wake-up IPIs (RES+CAL) per MiB raw m→s",
        unit: "/MiB",
        better: Better::Lower,
    },
    Row {
        key: "mem_per_pty",
        name: "kernel memory per pty pair (1,000 open)",
        unit: "KiB",
        better: Better::Lower,
    },
    Row {
        key: "mem_slab_vmalloc",
        name: "slab + vmalloc per pty pair (1,000 open)",
        unit: "KiB",
        better: Better::Lower,
    },
    Row {
        key: "close_per_pty",
        name: "closing a pty pair (of 1,000 open)",
        unit: "µs",
        better: Better::Lower,
    },
];

/// The sizes of the workloads.
struct Config {
    reps: usize,
    raw_bytes: usize,
    lines: usize,
    typed: usize,
    trips: usize,
    ptys: usize,
    /// Where the work runs (`nrust_bench_cpus`): `all` or `cpu0`.
    placement: &'static str,
    /// The workloads to run (`nrust_bench_rows`), by the names [`WORKLOADS`] gives.
    workloads: Vec<&'static str>,
}

/// The workloads, each named by its (first) row key, and the rows each fills.
const WORKLOADS: [(&str, &[&str]); 7] = [
    (
        "raw_m2s",
        &[
            "raw_m2s",
            "cpu_stat",
            "cpu_rusage",
            "bytes_per_read",
            "switches_per_mib",
            "ipis_per_mib",
        ],
    ),
    ("raw_s2m", &["raw_s2m"]),
    ("canon_lines", &["canon_lines"]),
    ("canon_typed", &["canon_typed"]),
    ("echo", &["echo_p50", "echo_p99"]),
    ("parallel64", &["parallel64"]),
    (
        "mem_per_pty",
        &["mem_per_pty", "mem_slab_vmalloc", "close_per_pty"],
    ),
];

/// The workloads `nrust_bench_rows` names (a row key names its workload: `echo_p99` is
/// `echo`), in the program's order; all when it is unset. An unknown name is an error.
fn chosen_workloads(list: Option<&str>) -> Result<Vec<&'static str>, String> {
    let Some(list) = list.filter(|l| !l.trim().is_empty()) else {
        return Ok(WORKLOADS.iter().map(|(name, _)| *name).collect());
    };
    let mut chosen = Vec::new();
    for want in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let Some((name, _)) = WORKLOADS
            .iter()
            .find(|(name, rows)| *name == want || rows.contains(&want))
        else {
            let names: Vec<_> = WORKLOADS.iter().map(|(name, _)| *name).collect();
            return Err(format!(
                "nrust_bench_rows: no workload {want:?} (there are {})",
                names.join(", ")
            ));
        };
        chosen.push(*name);
    }
    Ok(WORKLOADS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| chosen.contains(name))
        .collect())
}

/// Marks the boundary of a phase for `make bench-insns`: the instruction `xchg %rbx,%rbx`,
/// which does nothing and which compilers do not emit; the TCG plugin of
/// `scripts/insn-count` ends its segment of counts where it runs. Executed right before each
/// `bench-begin:` and `bench-progress:` line of a workload, so the segments and those lines
/// pair up in order.
fn phase_marker() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: Exchanging a register with itself changes no register, flag or memory.
    unsafe {
        core::arch::asm!("xchg rbx, rbx", options(nomem, nostack, preserves_flags));
    }
}

/// Samples per row, per discipline (0: N_TTY, 1: n_rust).
type Samples = Vec<[Vec<f64>; 2]>;

fn record(samples: &mut Samples, key: &str, side: usize, value: f64) {
    let row = ROWS.iter().position(|r| r.key == key).expect("a known row");
    samples[row][side].push(value);
}

/// Runs every workload once on `disc`, recording into column `side`.
fn one_round(cfg: &Config, disc: i32, side: usize, samples: &mut Samples) -> Result<(), String> {
    let timed = |what: &str, start: Instant| {
        phase_marker();
        println!(
            "bench-progress: {what} disc {disc} {:.1} s",
            start.elapsed().as_secs_f64()
        );
    };
    // Where a workload starts and ends, for the profiler (`scripts/guest-profile.py`).
    let begin = |what: &str| {
        phase_marker();
        println!("bench-begin: {what} disc {disc}");
    };
    let run = |name: &str| cfg.workloads.contains(&name);
    let t = Instant::now();
    if run("raw_m2s") {
        begin("raw_m2s");
        let [rate, stat, rusage, per_read, switches, ipis] =
            workloads::raw_to_slave(disc, cfg.raw_bytes)
                .map_err(|e| format!("raw master→slave: {e}"))?;
        record(samples, "raw_m2s", side, rate);
        record(samples, "cpu_stat", side, stat);
        record(samples, "cpu_rusage", side, rusage);
        record(samples, "bytes_per_read", side, per_read);
        record(samples, "switches_per_mib", side, switches);
        record(samples, "ipis_per_mib", side, ipis);
        timed("raw_m2s", t);
    }
    let t = Instant::now();
    if run("raw_s2m") {
        begin("raw_s2m");
        let rate = workloads::raw_to_master(disc, cfg.raw_bytes)
            .map_err(|e| format!("raw slave→master: {e}"))?;
        record(samples, "raw_s2m", side, rate);
        timed("raw_s2m", t);
    }
    let t = Instant::now();
    if run("canon_lines") {
        begin("canon_lines");
        let rate = workloads::canonical_lines(disc, cfg.lines)
            .map_err(|e| format!("canonical lines: {e}"))?;
        record(samples, "canon_lines", side, rate);
        timed("canon_lines", t);
    }
    let t = Instant::now();
    if run("canon_typed") {
        begin("canon_typed");
        let rate = workloads::canonical_typed(disc, cfg.typed)
            .map_err(|e| format!("canonical typed: {e}"))?;
        record(samples, "canon_typed", side, rate);
        timed("canon_typed", t);
    }
    let t = Instant::now();
    if run("echo") {
        begin("echo");
        let [p50, p99] = workloads::echo_round_trip(disc, cfg.trips)
            .map_err(|e| format!("echo round trip: {e}"))?;
        record(samples, "echo_p50", side, p50);
        record(samples, "echo_p99", side, p99);
        timed("echo", t);
    }
    let t = Instant::now();
    if run("parallel64") {
        begin("parallel64");
        let rate =
            workloads::parallel(disc, 64, cfg.raw_bytes).map_err(|e| format!("64 ptys: {e}"))?;
        record(samples, "parallel64", side, rate);
        timed("parallel64", t);
    }
    let t = Instant::now();
    if run("mem_per_pty") {
        begin("mem_per_pty");
        let [kib, slab_vmalloc_kib, close_us] = kernel_stats::kib_per_pty(disc, cfg.ptys)
            .map_err(|e| format!("memory per pty: {e}"))?;
        record(samples, "mem_per_pty", side, kib);
        record(samples, "mem_slab_vmalloc", side, slab_vmalloc_kib);
        record(samples, "close_per_pty", side, close_us);
        timed("mem_per_pty", t);
    }
    Ok(())
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

/// Prints the table.
fn print_table(samples: &Samples) {
    println!(
        "bench: {:<48} {:>8} {:>22} {:>22} {:>6}  better",
        "row", "unit", "N_TTY median (min–max)", "n_rust median (min–max)", "ratio"
    );
    for (row, s) in ROWS.iter().zip(samples).filter(|(_, s)| !s[0].is_empty()) {
        let cell = |v: &[f64]| {
            let (lo, hi) = min_max(v);
            format!("{:.4} ({:.4}–{:.4})", median(v), lo, hi)
        };
        let ratio = median(&s[1]) / median(&s[0]);
        let better = if row.better == Better::Higher {
            "higher"
        } else {
            "lower"
        };
        println!(
            "bench: {:<48} {:>8} {:>22} {:>22} {ratio:>6.3}  {better}",
            row.name,
            row.unit,
            cell(&s[0]),
            cell(&s[1])
        );
    }
}

/// The `bench-json:` line: settings, environment and every sample.
fn json(cfg: &Config, disc: i32, samples: &Samples) -> String {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    let esc = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let nums = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.6}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "{{\"kernel\":\"{}\",\"build\":\"{}\",\"lockdep\":{},\"clocksource\":\"{}\",\"cpus\":{},\"placement\":\"{}\",\"disc\":{disc},\"reps\":{},\"raw_mib\":{},\"lines\":{},\"typed\":{},\"trips\":{},\"ptys\":{},\"rows\":[",
        esc(&read("/proc/sys/kernel/osrelease")),
        // Which build of that release (`uname -v`): the bench kernel and the test kernel differ.
        esc(&read("/proc/sys/kernel/version")),
        // A kernel with lockdep has /proc/lockdep: its locks cost more than a user's do.
        std::path::Path::new("/proc/lockdep").exists(),
        esc(&read(CLOCKSOURCE)),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cfg.placement,
        cfg.reps,
        cfg.raw_bytes / (1024 * 1024),
        cfg.lines,
        cfg.typed,
        cfg.trips,
        cfg.ptys,
    );
    let measured = ROWS.iter().zip(samples).filter(|(_, s)| !s[0].is_empty());
    for (i, (row, s)) in measured.enumerate() {
        let _ = write!(
            out,
            "{}{{\"key\":\"{}\",\"name\":\"{}\",\"unit\":\"{}\",\"better\":\"{}\",\"n_tty\":[{}],\"n_rust\":[{}]}}",
            if i > 0 { "," } else { "" },
            row.key,
            esc(row.name),
            row.unit,
            if row.better == Better::Higher { "higher" } else { "lower" },
            nums(&s[0]),
            nums(&s[1]),
        );
    }
    out.push_str("]}");
    out
}

/// Prints where the kernel's text and the module's sections are loaded (`bench-map:` lines),
/// which the profiler needs to name the addresses it samples: the kernel's `_stext` (KASLR
/// moves it from `System.map`'s) and each section of `n_rust.ko`.
fn print_address_map() {
    let kallsyms = std::fs::read_to_string("/proc/kallsyms").unwrap_or_default();
    if let Some(line) = kallsyms.lines().find(|l| l.ends_with(" _stext")) {
        let addr = line.split(' ').next().unwrap_or("0");
        println!("bench-map: kernel _stext {addr}");
    }
    let Ok(sections) = std::fs::read_dir("/sys/module/n_rust/sections") else {
        println!("bench-map: no /sys/module/n_rust/sections (module not loaded?)");
        return;
    };
    for section in sections.flatten() {
        let name = section.file_name().to_string_lossy().into_owned();
        if let Ok(addr) = std::fs::read_to_string(section.path()) {
            println!("bench-map: module n_rust {name} {}", addr.trim());
        }
    }
}

/// The clock source every clock read of the measurements goes through.
const CLOCKSOURCE: &str = "/sys/devices/system/clocksource/clocksource0/current_clocksource";

/// Waits until the kernel has replaced its early clock source (`tsc-early`, until the TSC is
/// calibrated about a second after boot): the switch changes what each clock read costs
/// (the echo round trip measured about 6 % longer on `tsc-early`), and it fell inside the
/// first repetition. Guest time only: an idle guest under `-icount ... sleep=off` jumps to
/// its next timer. Returns what it found, for the report; an error after 20 s.
fn wait_for_final_clocksource() -> Result<String, String> {
    let start = Instant::now();
    loop {
        let current =
            std::fs::read_to_string(CLOCKSOURCE).map_err(|e| format!("{CLOCKSOURCE}: {e}"))?;
        let current = current.trim();
        if current != "tsc-early" {
            return Ok(format!(
                "clock source {current} (waited {} ms for it)",
                start.elapsed().as_millis()
            ));
        }
        if start.elapsed().as_secs() >= 20 {
            return Err(format!("the clock source is still {current} after 20 s"));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn main() {
    let mut disc = N_DEVELOPMENT;
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--disc") {
        disc = args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(N_DEVELOPMENT);
    }
    let num = |name: &str, default: u64| env_num(name).unwrap_or(default) as usize;
    let fail = |e: String| -> ! {
        println!("bench: FAILED: {e}");
        std::process::exit(1);
    };
    let workloads = chosen_workloads(std::env::var("nrust_bench_rows").ok().as_deref())
        .unwrap_or_else(|e| fail(e));
    let placement = match std::env::var("nrust_bench_cpus").as_deref() {
        Err(_) | Ok("" | "all") => "all",
        Ok("cpu0") => "cpu0",
        Ok(other) => fail(format!(
            "nrust_bench_cpus: {other:?} is neither all nor cpu0"
        )),
    };
    let cfg = Config {
        reps: num("nrust_bench_reps", 7).max(1),
        raw_bytes: num("nrust_bench_mib", 16).max(1) * 1024 * 1024,
        lines: num("nrust_bench_lines", 20_000).max(1),
        typed: num("nrust_bench_typed", 2000).max(1),
        trips: num("nrust_bench_trips", 10_000).max(100),
        ptys: num("nrust_bench_ptys", 1000).max(1),
        placement,
        workloads,
    };
    println!(
        "bench: {} repetitions, N_TTY and discipline {disc} alternately; raw {} MiB in 4 KiB writes, {} lines, {} typed lines, {} echo round trips, {} ptys open",
        cfg.reps, cfg.raw_bytes >> 20, cfg.lines, cfg.typed, cfg.trips, cfg.ptys
    );
    println!(
        "bench: workloads {}; placement {}",
        cfg.workloads.join(","),
        cfg.placement
    );
    if let Err(e) = kernel_stats::allow_ptys(cfg.ptys) {
        fail(e);
    }
    // The guest powers off after this program: the mask needs no restoring.
    if cfg.placement == "cpu0" && pin_to_cpu0().is_none() {
        fail("nrust_bench_cpus=cpu0: cannot set the unbound workqueues' CPU mask".into());
    }
    match wait_for_final_clocksource() {
        Ok(line) => println!("bench: {line}"),
        Err(e) => fail(e),
    }
    print_address_map();
    let mut samples: Samples = ROWS.iter().map(|_| [Vec::new(), Vec::new()]).collect();
    let start = Instant::now();
    for rep in 0..cfg.reps {
        let order = if rep % 2 == 0 {
            [(0, 0), (disc, 1)]
        } else {
            [(disc, 1), (0, 0)]
        };
        for (d, side) in order {
            if let Err(e) = one_round(&cfg, d, side, &mut samples) {
                println!(
                    "bench: FAILED: repetition {} on discipline {d}: {e}",
                    rep + 1
                );
                std::process::exit(1);
            }
        }
        println!(
            "bench-progress: repetition {} done at {:.0} s",
            rep + 1,
            start.elapsed().as_secs_f64()
        );
    }
    print_table(&samples);
    println!("bench: measured in {:.0} s", start.elapsed().as_secs_f64());
    println!("bench-json: {}", json(&cfg, disc, &samples));
}
