//! Ad-hoc probe: run one hand-written case on the kernel and the engine.
use n_rust_engine::{LFlag, Termios, VREPRINT};
use n_rust_oracle::pty::Pty;
use n_rust_oracle::sim::Sim;
use n_rust_oracle::{compare, run_kernel, OCase};

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
    let pty = Pty::open().unwrap();
    let mut sim = Sim::new();
    let prev = sim.termios;
    let et = sim.run(&c);
    let kt = run_kernel(&pty, &prev, &c).unwrap();
    for (k, e) in kt.iter().zip(et.iter()) {
        println!("kernel {} engine {}", k.master.len(), e.master.len());
    }
    println!("{:?}", compare(&t, &kt, &et));
}
