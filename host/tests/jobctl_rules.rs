//! Runs every case of the shared job-control table (`src/engine/testing/job_control_cases.rs`):
//! `__tty_check_change` as `n_tty_read` uses it (the write side is the kernel's own
//! `tty_check_change()`, checked in the guest by `n_rust-test-jobctl`).

use n_rust_engine::testing::job_control_cases::JOBCTL_CASES;

#[test]
fn jobctl_table_all_cases_pass() {
    let failures: Vec<String> = JOBCTL_CASES
        .iter()
        .filter_map(|c| {
            c.run().err().map(|got| {
                format!(
                    "{}: got {got:?}, expected {:?} ({:?})",
                    c.name, c.expected, c.query
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        JOBCTL_CASES.len(),
        failures.join("\n")
    );
    assert!(JOBCTL_CASES.len() >= 7, "only {} cases", JOBCTL_CASES.len());
}
