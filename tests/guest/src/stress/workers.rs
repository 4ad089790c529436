//! What every worker thread of the stress run shares: a seeded random source, the signal
//! handlers (none restarts a system call), the registry of live workers the signal storm
//! aims at, and stopping a group of workers by waking them with signals until they end.

use crate::counts::{count, Op};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The discipline under test: n_rust's number, or `nrust_stress_disc` from the environment
/// (0 runs the same load on N_TTY, a check of the harness itself, e.g. on the host).
pub fn disc() -> i32 {
    static DISC: std::sync::OnceLock<i32> = std::sync::OnceLock::new();
    *DISC.get_or_init(|| {
        n_rust_guest_tests::run_env::env_num("nrust_stress_disc")
            .map_or(n_rust_guest_tests::sys::N_DEVELOPMENT, |d| d as i32)
    })
}

/// The oracle's seeded generator (splitmix64: the same sequence for the same seed), with the
/// draws the stress run makes.
#[derive(Clone)]
pub struct Rng(n_rust_oracle::gen::Rng);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(n_rust_oracle::gen::Rng::new(seed))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below((hi - lo + 1) as u64) as usize
    }

    /// True with probability `per_mille` / 1000.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

/// Signals delivered to this process, by number (the handlers only count).
pub static SIGNALS_CAUGHT: [AtomicU64; 65] = [const { AtomicU64::new(0) }; 65];

extern "C" fn on_signal(sig: libc::c_int) {
    if let Some(c) = SIGNALS_CAUGHT.get(sig as usize) {
        c.fetch_add(1, Ordering::Relaxed);
    }
}

/// The signals the run sends or provokes (the storm's SIGUSR1; SIGINT, SIGQUIT, SIGTSTP from
/// ISIG characters and TIOCSIG; SIGHUP and SIGCONT from hangups of the controlling tty;
/// SIGWINCH, SIGIO, SIGURG, SIGTTIN, SIGTTOU, SIGPIPE): all caught, none restarting.
pub const HANDLED: [libc::c_int; 12] = [
    libc::SIGUSR1,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGTSTP,
    libc::SIGHUP,
    libc::SIGCONT,
    libc::SIGWINCH,
    libc::SIGIO,
    libc::SIGURG,
    libc::SIGTTIN,
    libc::SIGTTOU,
    libc::SIGPIPE,
];

/// Installs the counting handler for [`HANDLED`], without `SA_RESTART`: a sleeper a signal
/// hits returns `EINTR` (or a short count), which is the path the storm exercises.
pub fn install_handlers() {
    for sig in HANDLED {
        // SAFETY: `sa` is plain data filled before use; the handler only touches atomics,
        // which is async-signal-safe.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            sa.sa_flags = 0;
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// The kernel thread id of the calling thread.
pub fn gettid() -> i32 {
    // SAFETY: gettid has no arguments and cannot fail.
    unsafe { libc::syscall(libc::SYS_gettid) as i32 }
}

/// Sends SIGUSR1 to thread `tid` of this process.
pub fn poke(tid: i32) -> bool {
    // SAFETY: tgkill with our own process id; a thread that has ended gives ESRCH.
    unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), tid, libc::SIGUSR1) == 0 }
}

/// The thread ids of the workers running now (the signal storm picks from here).
pub static LIVE: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// One worker thread: its result, its thread id (0 until it runs) and whether it ended.
pub struct Worker {
    /// What the worker does, for messages.
    pub name: String,
    handle: Option<JoinHandle<Result<(), String>>>,
    tid: Arc<AtomicI32>,
    done: Arc<AtomicBool>,
}

/// Starts `body` on a new thread named `name`.
pub fn spawn(name: String, body: impl FnOnce() -> Result<(), String> + Send + 'static) -> Worker {
    let tid = Arc::new(AtomicI32::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let (t, d) = (tid.clone(), done.clone());
    let handle = std::thread::Builder::new()
        .name(name.chars().take(15).collect())
        .stack_size(256 * 1024)
        .spawn(move || {
            let me = gettid();
            t.store(me, Ordering::SeqCst);
            LIVE.lock().unwrap().push(me);
            let result = body();
            LIVE.lock().unwrap().retain(|&x| x != me);
            d.store(true, Ordering::SeqCst);
            result
        })
        .expect("spawn a worker thread");
    Worker {
        name,
        handle: Some(handle),
        tid,
        done,
    }
}

/// Waits for `workers` to end, waking each one still running with SIGUSR1 every 10 ms (a
/// sleeper in `read`, `write` or `poll` returns `EINTR` and sees its stop flag, which the
/// caller has set). Returns the workers' errors, and one error per worker still running at
/// `deadline` (stuck in the kernel: that one is left behind, not joined).
pub fn stop_all(workers: Vec<Worker>, deadline: Instant) -> Vec<String> {
    let mut errors = Vec::new();
    let mut pending = workers;
    loop {
        pending.retain_mut(|w| {
            if !w.done.load(Ordering::SeqCst) {
                return true;
            }
            match w.handle.take().map(JoinHandle::join) {
                Some(Ok(Ok(()))) | None => {}
                Some(Ok(Err(e))) => errors.push(format!("{}: {e}", w.name)),
                Some(Err(_)) => errors.push(format!("{}: panicked", w.name)),
            }
            false
        });
        if pending.is_empty() {
            return errors;
        }
        if Instant::now() >= deadline {
            for w in &pending {
                let tid = w.tid.load(Ordering::SeqCst);
                let task = |file: &str| {
                    std::fs::read_to_string(format!("/proc/self/task/{tid}/{file}"))
                        .unwrap_or_default()
                        .trim()
                        .replace('\n', " | ")
                };
                // Where it is: the system call it is in ("running" in user space), the
                // kernel function it sleeps in (0 when running), and its kernel stack.
                errors.push(format!(
                    "{}: still running at the deadline (thread {tid}; syscall: {}; wchan: {}; \
                     stack: {})",
                    w.name,
                    task("syscall"),
                    task("wchan"),
                    task("stack"),
                ));
            }
            errors.push(format!(
                "the other threads asleep in the kernel: {}",
                sleepers()
            ));
            return errors;
        }
        for w in &pending {
            let tid = w.tid.load(Ordering::SeqCst);
            if tid != 0 && poke(tid) {
                count(Op::Wakeup);
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sleeps a random 0..=`max_ms` milliseconds.
pub fn nap(rng: &mut Rng, max_ms: u64) {
    let ms = rng.below(max_ms + 1);
    if ms > 0 {
        std::thread::sleep(Duration::from_millis(ms));
    }
}

/// The threads of this process asleep in the kernel outside the usual idle places (sleep,
/// futex, poll, epoll), as "tid name: wchan": whoever holds what a stuck worker waits for.
fn sleepers() -> String {
    const IDLE: [&str; 6] = [
        "0",
        "hrtimer_nanosleep",
        "do_nanosleep",
        "futex_wait_queue",
        "do_sys_poll",
        "do_epoll_wait",
    ];
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return "(no /proc/self/task)".into();
    };
    let mut found = Vec::new();
    for task in tasks.flatten() {
        let path = task.path();
        let read = |file: &str| {
            std::fs::read_to_string(path.join(file))
                .unwrap_or_default()
                .trim()
                .to_string()
        };
        let wchan = read("wchan");
        if !IDLE.contains(&wchan.as_str()) {
            let tid = task.file_name().to_string_lossy().into_owned();
            found.push(format!("{tid} {}: {wchan}", read("comm")));
        }
    }
    if found.is_empty() {
        "none".into()
    } else {
        found.join(", ")
    }
}
