//! What the kernel says it spent: system time (`/proc/stat`, every CPU, kworkers included;
//! `getrusage`, this process's threads), kernel memory (`/proc/meminfo`), and the memory a
//! pty pair costs on each discipline.

use n_rust_guest_tests::sys;
use std::os::fd::OwnedFd;

/// `USER_HZ`: the unit of `/proc/stat` (fixed at 100 on x86 for user space).
const USER_HZ: f64 = 100.0;

/// Kernel-side CPU seconds so far: `/proc/stat`'s first line, system + irq + softirq, summed
/// over every CPU (the flip-buffer kworkers' time is system time there).
pub fn proc_stat_system_s() -> Result<f64, String> {
    let text = std::fs::read_to_string("/proc/stat").map_err(|e| format!("/proc/stat: {e}"))?;
    let cpu = text.lines().next().ok_or("/proc/stat is empty")?;
    let fields: Vec<u64> = cpu
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq ...
    let ticks = fields.get(2).copied().unwrap_or(0)
        + fields.get(5).copied().unwrap_or(0)
        + fields.get(6).copied().unwrap_or(0);
    Ok(ticks as f64 / USER_HZ)
}

/// Context switches so far, every CPU: `/proc/stat`'s `ctxt` line. Each is a task that slept
/// (a reader waiting for input, a writer for room) or was preempted.
pub fn context_switches() -> Result<u64, String> {
    let text = std::fs::read_to_string("/proc/stat").map_err(|e| format!("/proc/stat: {e}"))?;
    text.lines()
        .find_map(|l| l.strip_prefix("ctxt ")?.trim().parse().ok())
        .ok_or_else(|| "/proc/stat has no ctxt line".to_string())
}

/// Inter-processor interrupts so far, every CPU: `/proc/interrupts`' rescheduling (`RES`) and
/// function call (`CAL`) lines, which a wake-up of a task on another CPU sends.
pub fn wakeup_ipis() -> Result<u64, String> {
    let text = std::fs::read_to_string("/proc/interrupts")
        .map_err(|e| format!("/proc/interrupts: {e}"))?;
    let mut total = 0;
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        if matches!(fields.next(), Some("RES:" | "CAL:")) {
            total += fields.map_while(|f| f.parse::<u64>().ok()).sum::<u64>();
        }
    }
    Ok(total)
}

/// System CPU seconds of this process, every thread (finished ones included).
pub fn rusage_system_s() -> f64 {
    // SAFETY: `usage` is plain data that getrusage fills.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    usage.ru_stime.tv_sec as f64 + usage.ru_stime.tv_usec as f64 / 1e6
}

/// One `/proc/meminfo` field in KiB.
fn meminfo_kib(text: &str, field: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Kernel memory in use, KiB, two ways, from one read of `/proc/meminfo`.
struct MemoryInUse {
    /// As free(1) counts it: MemTotal - MemFree - Buffers - Cached. The guest's root is an
    /// initramfs (its files are Cached and do not move), so what moves is kernel allocations
    /// (slab, vmalloc, page allocations), this process's own pages, and the pages the page
    /// allocator keeps on its per-CPU lists, which count as used and move by megabytes.
    used: u64,
    /// Slab (`Slab`: what kmalloc and the caches hold) and vmalloc (`VmallocUsed`: the pages
    /// mapped by vmalloc, where N_TTY's `vzalloc` and n_rust's per-tty state live): what a
    /// tty allocates, without the per-CPU lists.
    slab_vmalloc: u64,
}

fn memory_in_use() -> Result<MemoryInUse, String> {
    let text =
        std::fs::read_to_string("/proc/meminfo").map_err(|e| format!("/proc/meminfo: {e}"))?;
    let field = |name| meminfo_kib(&text, name);
    Ok(MemoryInUse {
        used: field("MemTotal")
            .saturating_sub(field("MemFree"))
            .saturating_sub(field("Buffers"))
            .saturating_sub(field("Cached")),
        slab_vmalloc: field("Slab") + field("VmallocUsed"),
    })
}

/// Lets enough file descriptors be open for `pairs` pty pairs, and enough ptys exist: raises
/// `RLIMIT_NOFILE` and, when it is lower, `/proc/sys/kernel/pty/max`.
pub fn allow_ptys(pairs: usize) -> Result<(), String> {
    let want = (2 * pairs + 256) as libc::rlim_t;
    // SAFETY: `lim` is plain data, read by getrlimit and passed to setrlimit.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        if lim.rlim_cur < want {
            lim.rlim_cur = want;
            lim.rlim_max = lim.rlim_max.max(want);
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(format!(
                    "setrlimit(RLIMIT_NOFILE, {want}): {}",
                    std::io::Error::last_os_error()
                ));
            }
        }
    }
    let path = "/proc/sys/kernel/pty/max";
    let max: usize = std::fs::read_to_string(path)
        .map_err(|e| format!("{path}: {e}"))?
        .trim()
        .parse()
        .map_err(|e| format!("{path}: {e}"))?;
    // The reserve (kernel/pty/reserve, 1024) is kept for the initial devpts instance.
    if max < pairs + 2048 {
        std::fs::write(path, format!("{}", pairs + 4096)).map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(())
}

/// Kernel memory per pty pair, KiB, when `pairs` pairs are open with their slave on `disc`
/// (the master stays on N_TTY): the growth of the memory in use ([`MemoryInUse`], both ways)
/// from before the first pair is opened to after the last slave took the discipline, divided
/// by `pairs`. Also the time closing them took, µs per pair (both ends; what the discipline's
/// `close` and the tty layer do before `close()` returns: the rest is left to a work item and
/// RCU). Returns `[used, slab and vmalloc, close]`.
pub fn kib_per_pty(disc: i32, pairs: usize) -> Result<[f64; 3], String> {
    let before = memory_in_use()?;
    let mut open: Vec<sys::Pty> = Vec::with_capacity(pairs);
    for i in 0..pairs {
        let pty = sys::open_pty(libc::O_NOCTTY).map_err(|e| format!("pty {i}: {e}"))?;
        if disc != 0 {
            sys::set_ldisc(&pty.slave, disc).map_err(|e| format!("pty {i}: TIOCSETD: {e}"))?;
        }
        open.push(pty);
    }
    let after = memory_in_use()?;
    let check: &OwnedFd = &open[pairs / 2].slave;
    let seen = sys::get_ldisc(check).map_err(|e| format!("TIOCGETD: {e}"))?;
    if seen != disc {
        return Err(format!("slave is on discipline {seen}, not {disc}"));
    }
    let closing = std::time::Instant::now();
    drop(open);
    let close_us = closing.elapsed().as_secs_f64() * 1e6 / pairs as f64;
    // Closed ttys are freed from a work item and after RCU grace periods: let that happen
    // before the next measurement starts from its own baseline.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let per_pair = |after: u64, before: u64| (after as f64 - before as f64) / pairs as f64;
    Ok([
        per_pair(after.used, before.used),
        per_pair(after.slab_vmalloc, before.slab_vmalloc),
        close_us,
    ])
}
