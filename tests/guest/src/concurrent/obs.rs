//! What a side observes: each actor's result and when it returned, the SIGIOs of `O_ASYNC`
//! (and the signals the harness sends), the state afterwards.

use crate::actor::{Class, Res};
use crate::scenario::Call;

/// The signal `O_ASYNC` sends (`F_SETSIG`): a real-time one, so that every one is queued and
/// counted; blocked in every thread, taken with `sigtimedwait`.
pub fn sigio_signal() -> libc::c_int {
    libc::SIGRTMIN() + 1
}

/// `F_SETSIG` (x86_64).
pub const F_SETSIG: libc::c_int = 10;

extern "C" fn on_usr1(_: libc::c_int) {}

/// Once per process: SIGUSR1 gets a handler without `SA_RESTART` (a sleeper it hits returns
/// `EINTR` or a partial count), and the SIGIO signal is blocked (threads inherit the mask).
pub fn install_signals() {
    // SAFETY: The handler does nothing (async-signal-safe); `sa` and `set` are initialised
    // by sigemptyset before use.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_usr1 as *const () as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut());
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sigio_signal());
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// The pending SIGIO signals, taken (each one queued is counted).
pub fn take_sigio() -> u32 {
    let mut n = 0;
    // SAFETY: `set` is initialised by sigemptyset; a zero timeout never sleeps.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sigio_signal());
        let zero = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        while libc::sigtimedwait(&set, std::ptr::null_mut(), &zero) > 0 {
            n += 1;
        }
    }
    n
}

/// What one side did and looked like afterwards; compared between the sides.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Obs {
    /// Per actor (the first, then one per step but a signal's): when it returned and what
    /// (for one still blocked: what it returned once the harness's signal freed it).
    pub calls: Vec<(usize, Class, Res)>,
    /// The state afterwards, one line each.
    pub state: Vec<String>,
    /// The steps (0: the first actor) during which the end under test sent SIGIO, among the
    /// steps that move no data: how many SIGIOs data brings depends on how the flip-buffer
    /// worker happens to split it, on either discipline.
    pub sigio: Vec<usize>,
    /// A failure of the harness (a thread that never let go, a pty that would not open).
    pub harness: Option<String>,
}

impl Obs {
    /// As lines: one per actor, the SIGIO count, the state afterwards.
    pub fn lines(&self) -> Vec<String> {
        let mut v = Vec::new();
        if let Some(h) = &self.harness {
            v.push(format!("harness: {h}"));
        }
        for (k, class, res) in &self.calls {
            let who = if *k == 0 {
                "actor 1".to_string()
            } else {
                format!("step {k}")
            };
            match class {
                Class::Blocked => v.push(format!(
                    "{who}: still blocked; freed by a signal: {}",
                    res.show()
                )),
                c => v.push(format!("{who}: {}: {}", c.show(), res.show())),
            }
        }
        v.push(format!("SIGIO during steps {:?}", self.sigio));
        v.extend(self.state.iter().cloned());
        v
    }
}

impl Obs {
    /// Takes the pending SIGIOs; notes step `k` when there were any and `call` moves no data.
    pub fn note_sigio(&mut self, k: usize, call: &Call) {
        let sent = take_sigio() > 0;
        if sent && !matches!(call, Call::Read { .. } | Call::Write { .. }) {
            self.sigio.push(k);
        }
    }
}
