//! `--check-table`: run the shared conformance table (`src/engine/testing/conformance_cases.rs`)
//! on the host kernel, to prove the table's expectations are N_TTY's.
//!
//! Each input is written to the master in one write, and the check waits until the slave's
//! line discipline has taken it before going on (`TIOCINQ` reaching what the engine holds
//! for a reader after the same input, then a `poll`, which waits for the receive work when
//! nothing is available): a read does not wait for input still in the flip buffer when some
//! is already there, so without the wait the kernel's reads split at a point that depends
//! on timing (`icanon_off_releases_partial_line` read `abc`, then `d`, in 15 of 40 runs).

use n_rust_engine::testing::conformance::{receive_inputs, Bench, CASES};
use n_rust_engine::testing::{read_until_empty, ReadsEnded};
use n_rust_engine::{LFlag, Signal};
use n_rust_oracle::esc;
use n_rust_oracle::pty::SignalReportingPty;

fn sig_mask(s: &[Signal]) -> u8 {
    let mut m = 0;
    for x in s {
        m |= 1
            << match x {
                Signal::Int => 0,
                Signal::Quit => 1,
                Signal::Tstp => 2,
                Signal::Ttin => 3,
                Signal::Ttou => 4,
            };
    }
    m
}

/// Writes `input` to the master and waits until the slave has taken it: `TIOCINQ` at
/// `want`, then a `poll`. Returns what `TIOCINQ` said.
fn write_and_settle(p: &SignalReportingPty, input: &[u8], want: usize) -> usize {
    p.write_master(input).expect("write");
    let inq = p.wait_inq(want).expect("TIOCINQ");
    p.poll_slave();
    inq
}

/// Returns the process exit code.
pub fn check_table() -> i32 {
    let mut bad = 0;
    let mut checked = 0;
    let mut skipped = 0;
    let mut bench = Box::new(Bench::new());
    for c in CASES {
        if c.flags.is_some() {
            skipped += 1;
            continue;
        }
        // What the engine holds for a reader after each input: what the kernel must reach.
        let mut engine_inq = Vec::new();
        receive_inputs(c, &mut bench, |t, e| engine_inq.push(e.inq(t)))
            .expect("the engine takes the input");
        let p = SignalReportingPty::open().expect("pty");
        p.set_termios(&c.termios).expect("termios");
        p.flush_input().expect("flush");
        let mut master = Vec::new();
        p.drain_master(&mut master).expect("drain");
        master.clear();
        let mut kernel_inq = vec![write_and_settle(&p, c.input, engine_inq[0])];
        let mut t = c.termios;
        if let Some(t2) = c.switch_to {
            p.set_termios(&t2).expect("termios");
            t = t2;
            kernel_inq.push(write_and_settle(&p, c.input2, engine_inq[1]));
        }
        let mut reads: Vec<Vec<u8>> = Vec::new();
        let ended = read_until_empty(
            &mut vec![0u8; c.read_size],
            t.l(LFlag::ICANON),
            100_000,
            |buf| p.read_slave(buf),
            |got| {
                reads.push(got.to_vec());
                Ok(())
            },
        )
        .expect("read");
        let written = p.write_slave(c.write).expect("write slave");
        p.drain_master(&mut master).expect("drain");
        let sigs = p.take_signals().expect("signals");
        checked += 1;
        let want_reads: Vec<Vec<u8>> = c.reads.iter().map(|r| r.to_vec()).collect();
        let mut errs = Vec::new();
        if kernel_inq != engine_inq {
            errs.push(format!(
                "TIOCINQ after each input: kernel {kernel_inq:?} engine {engine_inq:?}"
            ));
        }
        if reads != want_reads {
            let show = |v: &[Vec<u8>]| v.iter().map(|r| esc(r)).collect::<Vec<_>>().join(", ");
            errs.push(format!(
                "reads: kernel [{}] table [{}]",
                show(&reads),
                show(&want_reads)
            ));
        }
        if ended != c.reads_end {
            errs.push(format!(
                "reads ended: kernel {ended:?} table {:?}",
                c.reads_end
            ));
        }
        if ended == ReadsEnded::AtLimit {
            errs.push("the reads never ran dry".into());
        }
        if master != c.master {
            errs.push(format!(
                "master: kernel {} table {}",
                esc(&master),
                esc(c.master)
            ));
        }
        if written != c.written {
            errs.push(format!("written: kernel {} table {}", written, c.written));
        }
        if sigs != sig_mask(c.signals) {
            errs.push(format!(
                "signals: kernel {:#x} table {:#x}",
                sigs,
                sig_mask(c.signals)
            ));
        }
        if !errs.is_empty() {
            bad += 1;
            println!("MISMATCH {}: {}", c.name, errs.join("; "));
        }
    }
    println!(
        "table: {} cases checked on the host kernel, {} differ, {} skipped (per-byte flags cannot be sent through a pty)",
        checked, bad, skipped
    );
    i32::from(bad > 0)
}
