//! Runs every case of the shared conformance table (`src/engine/testing/conformance_cases.rs`).

use n_rust_engine::testing::conformance::{run, Bench, CASES};

#[test]
fn conformance_table_all_cases_pass() {
    let mut bench = Box::new(Bench::new());
    let mut failures = Vec::new();
    for c in CASES {
        if let Err(m) = run(c, &mut bench) {
            failures.push(format!(
                "{m:?} master={:?}",
                String::from_utf8_lossy(bench.rec.master_bytes())
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
    assert!(CASES.len() >= 40, "only {} cases", CASES.len());
}
