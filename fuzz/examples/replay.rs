//! Replays one fuzz input (a file libFuzzer wrote) outside libFuzzer, printing each operation
//! and the engine's indices after it: `cargo run --example replay -- FILE`.

use arbitrary::{Arbitrary, Unstructured};
use n_rust_fuzz::ops::Input;

fn main() {
    let path = std::env::args().nth(1).expect("usage: replay FILE");
    let bytes = std::fs::read(&path).expect("read the input");
    let input = Input::arbitrary_take_rest(Unstructured::new(&bytes)).expect("decode");
    println!("initial: {:?}", input.initial.build());
    n_rust_fuzz::run_traced(&input, &mut |i, op, e| {
        let text = format!("{op:?}");
        println!("{i}: {}", text.get(..120).unwrap_or(&text));
        println!("   {:?} column {}", e.indices(), e.column());
    });
}
