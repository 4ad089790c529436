//! Short differential runs as `cargo test` tests (the full runs are the binary's).
use std::process::Command;

fn oracle(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_n_rust_oracle"))
        .args(args)
        .output()
        .expect("run n_rust_oracle");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn differential_500_cases_no_divergence() {
    let (ok, text) = oracle(&["--cases", "500", "--seed", "0x42", "--no-shrink"]);
    assert!(ok, "{text}");
    assert!(text.contains("500 cases, 0 divergences"), "{text}");
}

#[test]
fn conformance_table_matches_host_kernel() {
    let (ok, text) = oracle(&["--check-table"]);
    assert!(ok, "{text}");
}
