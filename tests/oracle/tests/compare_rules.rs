//! What the oracle's `compare` lets through, on made-up traces: no kernel needed.

use n_rust_engine::testing::ReadsEnded;
use n_rust_oracle::{compare, Step, Trace, MAX_STEP_OUTPUT};

/// A reset step, one chunk step that echoed `master` and read `reads`, and a final write.
fn trace(master: Vec<u8>, reads: Vec<Option<Vec<u8>>>, ended: ReadsEnded) -> Trace {
    vec![
        Step::default(),
        Step {
            master,
            reads,
            ended: Some(ended),
            ..Step::default()
        },
        Step::default(),
    ]
}

fn cut(k: &Trace) -> Option<usize> {
    k.iter().position(|s| s.master.len() > MAX_STEP_OUTPUT)
}

#[test]
fn an_engine_writing_too_much_diverges() {
    let k = trace(vec![b'a'; 100], vec![], ReadsEnded::Again);
    let e = trace(vec![b'a'; 9000], vec![], ReadsEnded::Again);
    assert!(compare(&k, &e, cut(&k)).is_some());
}

#[test]
fn past_the_bound_the_first_bytes_are_compared() {
    let k = trace(vec![b'a'; 8000], vec![], ReadsEnded::Again);
    let mut e = trace(vec![b'a'; 9000], vec![], ReadsEnded::Again);
    assert_eq!(compare(&k, &e, cut(&k)), None);
    e[1].master[10] = b'b';
    assert!(compare(&k, &e, cut(&k)).is_some());
    let short = trace(vec![b'a'; 6000], vec![], ReadsEnded::Again);
    assert!(compare(&k, &short, cut(&k)).is_some());
}

#[test]
fn raw_reads_are_compared_read_by_read_and_by_how_they_ended() {
    let whole = vec![Some(b"abcd".to_vec())];
    let split = vec![Some(b"abc".to_vec()), Some(b"d".to_vec())];
    let k = trace(vec![], whole.clone(), ReadsEnded::Again);
    assert!(compare(&k, &trace(vec![], split, ReadsEnded::Again), None).is_some());
    assert!(compare(&k, &trace(vec![], whole.clone(), ReadsEnded::Zero), None).is_some());
    assert_eq!(
        compare(&k, &trace(vec![], whole, ReadsEnded::Again), None),
        None
    );
}

#[test]
fn the_reading_mode_is_compared() {
    let k = trace(vec![], vec![], ReadsEnded::Again);
    let mut e = k.clone();
    e[1].canon = true;
    assert!(compare(&k, &e, None).is_some());
}
