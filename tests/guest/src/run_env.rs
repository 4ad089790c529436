//! What the seeded guest programs (`n_rust-test-diff`, `n_rust-test-concurrent`) share
//! beyond the command line of `n_rust_oracle::cli`: numbers from the kernel command line,
//! whether this is the test guest, and running on CPU 0 with the workqueues.

use n_rust_oracle::cli::parse_num;

/// The variable `name` of the environment (the kernel command line hands `name=value` to
/// `/init`), as a number.
pub fn env_num(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| parse_num(&v))
}

/// Whether this runs in the test guest (its `/init` runs with `nrust_mode=test`): only there
/// may a program change machine-wide settings such as the workqueue CPU mask.
pub fn in_test_guest() -> bool {
    std::env::var("nrust_mode").is_ok_and(|m| m == "test")
}

/// The unbound workqueues' CPU mask (where the flip-buffer work runs).
const WQ_CPUMASK: &str = "/sys/devices/virtual/workqueue/cpumask";

/// Runs this process (and the threads and children it starts later) and the unbound
/// workqueues on CPU 0 only; returns the workqueue mask to restore with [`restore_wq_mask`].
/// Every input written to a master is handed to a kworker and waited for: on one CPU that is
/// a local context switch, while across the two vCPUs of a TCG guest each hand-off waits for
/// the host to schedule the other vCPU thread. Only scheduling changes, not what is compared.
pub fn pin_to_cpu0() -> Option<String> {
    let old = std::fs::read_to_string(WQ_CPUMASK).ok()?;
    std::fs::write(WQ_CPUMASK, "1").ok()?;
    pin_self_to_cpu0();
    Some(old.trim().to_string())
}

/// Runs this process (and the threads and children it starts later) on CPU 0 only.
pub fn pin_self_to_cpu0() {
    // SAFETY: `set` is plain data, initialised by CPU_ZERO/CPU_SET before use.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_ZERO(&mut set);
        libc::CPU_SET(0, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// Puts back the workqueue mask [`pin_to_cpu0`] returned.
pub fn restore_wq_mask(mask: &str) {
    let _ = std::fs::write(WQ_CPUMASK, mask);
}
