//! Probe: ECHOPRT without ECHOCTL, an erase, then LNEXT ending the input chunk,
//! then a program write: N_TTY's echo_mark lags behind echo_tail and the write's
//! process_echoes walks the echo ring from an old position.
use n_rust_engine::{LFlag, Termios};
use n_rust_oracle::{compare, esc, run_fresh, OCase};

fn main() {
    let t = Termios::SANE.plus_l(LFlag::ECHOPRT).minus_l(LFlag::ECHOCTL);
    let c = OCase {
        termios: t,
        chunks: vec![b"ab\x7f\x16".to_vec()],
        read_size: 64,
        write: b"x".to_vec(),
        switch: None,
    };
    let (kt, et) = run_fresh(&c).unwrap();
    for (k, e) in kt.iter().zip(et.iter()) {
        println!(
            "kernel {} {}",
            k.master.len(),
            esc(&k.master[..k.master.len().min(60)])
        );
        println!(
            "engine {} {}",
            e.master.len(),
            esc(&e.master[..e.master.len().min(60)])
        );
    }
    println!("{:?}", compare(&t, &kt, &et));
}
