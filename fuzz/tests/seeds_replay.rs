//! Every input in `fuzz/seeds/` (inputs that once failed: engine bugs since fixed, N_TTY
//! behaviours the checks now allow) runs through the harness without a panic, outside
//! libFuzzer: `cargo test` in `fuzz/`.

use arbitrary::{Arbitrary, Unstructured};
use n_rust_fuzz::ops::Input;

#[test]
fn every_seed_runs_clean() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .expect("fuzz/seeds")
        .map(|e| e.expect("a seed").path())
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no seeds in {dir}");
    for path in names {
        let bytes = std::fs::read(&path).expect("read a seed");
        let input = Input::arbitrary_take_rest(Unstructured::new(&bytes)).expect("decode");
        let name = path.display().to_string();
        if std::panic::catch_unwind(|| n_rust_fuzz::run(&input)).is_err() {
            panic!("seed {name} fails");
        }
    }
}
