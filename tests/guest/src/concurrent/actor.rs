//! Actors: each system call of a scenario runs in a thread of its own, so that it may sleep
//! in the kernel while the next one acts. Whether a thread sleeps is read from `/proc`
//! (its state and the system call it is in), never inferred from time.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The result of one system call: its return value with the bytes read (for a read), or the
/// errno; `Skipped` when the call was not made (its file was closed by an earlier step).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Res {
    Ok(i64, Vec<u8>),
    Err(i32),
    Skipped,
}

impl Res {
    /// The result of a call that returned `ret` (`-1`: the errno), with the bytes in `data`.
    pub fn of(ret: i64, data: &[u8]) -> Res {
        if ret < 0 {
            Res::Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
        } else {
            Res::Ok(ret, data.to_vec())
        }
    }

    /// As one short line.
    pub fn show(&self) -> String {
        match self {
            Res::Ok(n, d) if d.is_empty() => format!("{n}"),
            Res::Ok(n, d) => format!("{n} {}", n_rust_oracle::esc(d)),
            Res::Err(e) => format!("-1 {}", errno_name(*e)),
            Res::Skipped => "skipped (file closed)".into(),
        }
    }
}

/// An errno by name.
pub fn errno_name(e: i32) -> String {
    let name = match e {
        libc::EAGAIN => "EAGAIN",
        libc::EINTR => "EINTR",
        libc::EIO => "EIO",
        libc::EINVAL => "EINVAL",
        libc::ENOTTY => "ENOTTY",
        libc::EPERM => "EPERM",
        libc::EBUSY => "EBUSY",
        libc::EBADF => "EBADF",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::ENXIO => "ENXIO",
        _ => "errno",
    };
    format!("{name}({e})")
}

/// When a call returned, from the order of events: before the next step was made, after a
/// later step (its number), or not before every thread slept with nothing left to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    AtOnce,
    After(usize),
    Blocked,
}

impl Class {
    /// As a few words.
    pub fn show(self) -> String {
        match self {
            Class::AtOnce => "at once".into(),
            Class::After(k) => format!("after step {k}"),
            Class::Blocked => "still blocked".into(),
        }
    }
}

#[derive(Default)]
struct Slot {
    tid: AtomicI32,
    done: AtomicBool,
    result: Mutex<Option<Res>>,
}

/// A thread making one system call.
pub struct Actor {
    slot: Arc<Slot>,
    handle: Option<JoinHandle<()>>,
    /// The thread's `pthread_t`, for `pthread_kill`.
    pub pthread: libc::pthread_t,
    /// When it returned; `None` while it has not been classified.
    pub class: Option<Class>,
}

fn gettid() -> i32 {
    // SAFETY: gettid has no arguments and cannot fail.
    unsafe { libc::syscall(libc::SYS_gettid) as i32 }
}

impl Actor {
    /// Starts `call` in a new thread; returns once the thread has said who it is.
    pub fn spawn(call: impl FnOnce() -> Res + Send + 'static) -> Actor {
        let slot = Arc::new(Slot::default());
        let mine = slot.clone();
        let handle = std::thread::spawn(move || {
            mine.tid.store(gettid(), Ordering::Release);
            let r = call();
            if let Ok(mut g) = mine.result.lock() {
                *g = Some(r);
            }
            mine.done.store(true, Ordering::Release);
        });
        while slot.tid.load(Ordering::Acquire) == 0 {
            std::thread::yield_now();
        }
        use std::os::unix::thread::JoinHandleExt;
        let pthread = handle.as_pthread_t();
        Actor {
            slot,
            handle: Some(handle),
            pthread,
            class: None,
        }
    }

    /// Whether the call has returned.
    pub fn done(&self) -> bool {
        self.slot.done.load(Ordering::Acquire)
    }

    /// The call's result, once it returned.
    pub fn result(&self) -> Option<Res> {
        if !self.done() {
            return None;
        }
        self.slot.result.lock().ok().and_then(|g| g.clone())
    }

    /// Waits for the thread to end (only once [`Actor::done`]).
    pub fn join(&mut self) {
        if self.done() {
            if let Some(h) = self.handle.take() {
                let _ = h.join();
            }
        }
    }

    /// Leaves the thread to itself (it is stuck in the kernel: a defect to report).
    pub fn abandon(&mut self) {
        self.handle.take();
    }

    /// Sends `sig` to the thread.
    pub fn signal(&self, sig: libc::c_int) {
        if !self.done() {
            // SAFETY: The thread is alive while `done` is false: its handle is held, so its
            // `pthread_t` is valid.
            unsafe { libc::pthread_kill(self.pthread, sig) };
        }
    }

    /// What the thread is doing now.
    pub fn activity(&self) -> Activity {
        if self.done() {
            return Activity::Done;
        }
        let tid = self.slot.tid.load(Ordering::Acquire);
        let Ok(stat) = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")) else {
            return Activity::Running;
        };
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next());
        let uninterruptible = match state {
            Some('S') => false,
            Some('D') => true,
            _ => return Activity::Running,
        };
        // Asleep, but where? Only inside the call itself counts (not in a futex on the way
        // in or out).
        let Ok(sc) = std::fs::read_to_string(format!("/proc/self/task/{tid}/syscall")) else {
            return Activity::Running;
        };
        let nr: Option<i64> = sc.split_whitespace().next().and_then(|f| f.parse().ok());
        let ours = [
            libc::SYS_read,
            libc::SYS_write,
            libc::SYS_ioctl,
            libc::SYS_close,
            libc::SYS_dup2,
            libc::SYS_dup3,
            libc::SYS_poll,
            libc::SYS_ppoll,
        ];
        match nr {
            Some(n) if ours.contains(&n) => {}
            _ => return Activity::Running,
        }
        let switches = std::fs::read_to_string(format!("/proc/self/task/{tid}/status"))
            .ok()
            .map(|s| {
                s.lines()
                    .filter(|l| l.contains("ctxt_switches"))
                    .filter_map(|l| l.split_whitespace().last()?.parse::<u64>().ok())
                    .sum()
            })
            .unwrap_or(0);
        if uninterruptible {
            Activity::Waiting(switches)
        } else {
            Activity::Asleep(switches)
        }
    }
}

/// What an actor's thread is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    /// The call returned.
    Done,
    /// Asleep in its system call (interruptibly: where a tty makes a reader or writer
    /// wait), after this many context switches.
    Asleep(u64),
    /// Waiting uninterruptibly in its system call (`D`): for a lock, for the flip-buffer
    /// worker, for a discipline change; usually briefly, so not settled unless the caller
    /// knows why (a lock held by a call parked in a page fault).
    Waiting(u64),
    /// On a CPU, runnable, or not (yet) in its call.
    Running,
}

/// The pause between the two looks of [`quiesce`], in microseconds (see [`set_pause`]).
static PAUSE_US: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1000);

/// Sets the pause between the two looks of [`quiesce`]: the time a flip-buffer worker
/// queued just before gets to run. 1 ms where the workers share the one CPU of the actors
/// (the test guest); longer elsewhere, where they run on any CPU of a busy machine.
pub fn set_pause(pause: Duration) {
    PAUSE_US.store(pause.as_micros() as u64, Ordering::Relaxed);
}

/// How long the threads may take to settle before the harness gives up.
const SETTLE_LIMIT: Duration = Duration::from_secs(20);

/// Waits until every actor has returned or sleeps in its call (`waiting_settles`: or waits
/// uninterruptibly there), twice in a row with no context switch in between, calling
/// `settle` before each look (it lets pending work run: the flip-buffer worker; what it
/// returns must not change between the looks either). `Err` when that does not happen
/// within [`SETTLE_LIMIT`].
pub fn quiesce<T: PartialEq>(
    actors: &[&Actor],
    waiting_settles: bool,
    mut settle: impl FnMut() -> T,
) -> Result<(), String> {
    let start = Instant::now();
    let snapshot = |actors: &[&Actor]| -> Option<Vec<Activity>> {
        let v: Vec<Activity> = actors.iter().map(|a| a.activity()).collect();
        let unsettled = |a: &Activity| match a {
            Activity::Running => true,
            Activity::Waiting(_) => !waiting_settles,
            _ => false,
        };
        if v.iter().any(unsettled) {
            None
        } else {
            Some(v)
        }
    };
    let mut pause = Duration::from_micros(50);
    loop {
        if start.elapsed() > SETTLE_LIMIT {
            let v: Vec<Activity> = actors.iter().map(|a| a.activity()).collect();
            return Err(format!(
                "threads did not settle within {SETTLE_LIMIT:?}: {v:?}"
            ));
        }
        let seen = settle();
        if let Some(first) = snapshot(actors) {
            // Work queued but not started is invisible to `settle` when input is already
            // available: give the workers a moment before looking again. (Only makes a
            // premature "settled" rarer; what is compared never depends on time.)
            std::thread::sleep(Duration::from_micros(PAUSE_US.load(Ordering::Relaxed)));
            if settle() == seen && snapshot(actors).as_ref() == Some(&first) {
                return Ok(());
            }
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(5));
    }
}
