//! Ad-hoc probe: run one hand-written case on the kernel and the engine.
use n_rust_engine::{LFlag, Termios, VREPRINT};
use n_rust_oracle::{compare, run_fresh, OCase};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap())
        .unwrap_or(5000);
    let mut t = Termios::SANE;
    t.cc[VREPRINT] = b'b';
    let _ = LFlag::ECHO;
    let mut line = vec![b'a'; n];
    line.push(b'b');
    line.extend_from_slice(b"cdef");
    line.push(b'b');
    let c = OCase {
        termios: t,
        chunks: vec![line],
        read_size: 64,
        write: vec![],
        switch: None,
    };
    let (kt, et) = run_fresh(&c).unwrap();
    for (k, e) in kt.iter().zip(et.iter()) {
        println!("kernel {} engine {}", k.master.len(), e.master.len());
    }
    println!("{:?}", compare(&t, &kt, &et));
}
