//! `--check-table`: run the shared conformance table (`src/engine/testing/conformance_cases.rs`)
//! on the host kernel, to prove the table's expectations are N_TTY's.

use n_rust_engine::testing::conformance::CASES;
use n_rust_engine::testing::read_until_empty;
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

/// Returns the process exit code.
pub fn check_table() -> i32 {
    let mut bad = 0;
    let mut checked = 0;
    let mut skipped = 0;
    for c in CASES {
        if c.flags.is_some() {
            skipped += 1;
            continue;
        }
        let p = SignalReportingPty::open().expect("pty");
        p.set_termios(&c.termios).expect("termios");
        p.flush_input().expect("flush");
        let mut master = Vec::new();
        p.drain_master(&mut master).expect("drain");
        master.clear();
        p.write_master(c.input).expect("write");
        let mut t = c.termios;
        if let Some(t2) = c.switch_to {
            p.poll_slave();
            p.set_termios(&t2).expect("termios");
            t = t2;
            p.write_master(c.input2).expect("write");
        }
        let mut reads: Vec<Vec<u8>> = Vec::new();
        read_until_empty(
            &mut vec![0u8; c.read_size],
            t.l(LFlag::ICANON),
            usize::MAX,
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
        if reads != want_reads {
            let show = |v: &[Vec<u8>]| v.iter().map(|r| esc(r)).collect::<Vec<_>>().join(", ");
            errs.push(format!(
                "reads: kernel [{}] table [{}]",
                show(&reads),
                show(&want_reads)
            ));
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
