//! Host-kernel facts that host tests of the engine rely on, checked on the kernel itself
//! (they were ad-hoc probes under `examples/` that printed and asserted nothing).

use n_rust_engine::{LFlag, Termios};
use n_rust_oracle::{compare, run_fresh, OCase};

/// `echoprt_lnext_without_echoctl_replays_stale_echo_ring` (host/tests/echo_output_rules.rs):
/// ECHOPRT without ECHOCTL, an erase, then LNEXT ending the input; the next write makes
/// N_TTY walk its whole echo ring again, writing 4094 bytes that end in the byte written.
#[test]
fn echoprt_lnext_write_replays_the_echo_ring_on_the_kernel() {
    let t = Termios::SANE.plus_l(LFlag::ECHOPRT).minus_l(LFlag::ECHOCTL);
    let c = OCase {
        termios: t,
        chunks: vec![b"ab\x7f\x16".to_vec()],
        read_size: 64,
        write: b"x".to_vec(),
        switch: None,
    };
    let (kernel, engine) = run_fresh(&c).expect("pty");
    assert_eq!(kernel[1].master, b"ab\\b/", "the echo of the input");
    let write = kernel.last().expect("final step");
    assert_eq!(
        write.master.len(),
        4094,
        "bytes the write put on the master"
    );
    assert_eq!(write.master.last(), Some(&b'x'));
    assert_eq!(compare(&kernel, &engine, None), None);
}
