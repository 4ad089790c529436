//! TAP output of the smaller guest programs: the plan first, one line per case, and cases
//! skipped with a stated reason (`ok N - name # SKIP reason`, which `tests/guest-tap.py`
//! counts with the passed ones).

/// The result of one case: `Err` carries the reason it failed.
pub type Outcome = Result<(), String>;

/// Turns any error into the failure reason, prefixed by what was being done.
pub trait Context<T> {
    /// `Err(e)` becomes `Err("{what}: {e}")`.
    fn context(self, what: &str) -> Result<T, String>;
}

impl<T, E: std::fmt::Display> Context<T> for Result<T, E> {
    fn context(self, what: &str) -> Result<T, String> {
        self.map_err(|e| format!("{what}: {e}"))
    }
}

/// Fails with `message` unless `condition` holds.
pub fn ensure(condition: bool, message: impl Into<String>) -> Outcome {
    if condition {
        Ok(())
    } else {
        Err(message.into())
    }
}

/// Numbers the cases of one program and counts their results.
pub struct Tap {
    program: &'static str,
    plan: usize,
    passed: usize,
    failed: usize,
    skipped: usize,
}

impl Tap {
    /// Prints the plan of `plan` cases for `program`.
    pub fn new(program: &'static str, plan: usize) -> Self {
        println!("TAP version 13");
        println!("1..{plan}");
        Self {
            program,
            plan,
            passed: 0,
            failed: 0,
            skipped: 0,
        }
    }

    fn next_number(&self) -> usize {
        self.passed + self.failed + self.skipped + 1
    }

    /// Runs one case and prints its line; returns whether it passed.
    pub fn run(&mut self, name: &str, case: impl FnOnce() -> Outcome) -> bool {
        let number = self.next_number();
        match case() {
            Ok(()) => {
                self.passed += 1;
                println!("ok {number} - {name}");
                true
            }
            Err(reason) => {
                self.failed += 1;
                println!("not ok {number} - {name}");
                for line in reason.lines() {
                    println!("  # {line}");
                }
                false
            }
        }
    }

    /// Prints the line of a case that does not run here, with the reason.
    pub fn skip(&mut self, name: &str, reason: &str) {
        let number = self.next_number();
        self.skipped += 1;
        println!("ok {number} - {name} # SKIP {reason}");
    }

    /// Prints the summary (a TAP comment) and returns the exit status: 1 if a case failed
    /// or the number of cases differs from the plan.
    pub fn finish(self) -> i32 {
        let ran = self.passed + self.failed + self.skipped;
        if ran != self.plan {
            println!(
                "# {}: {ran} cases ran, the plan says {}",
                self.program, self.plan
            );
        }
        println!(
            "# {}: {} passed, {} failed, {} skipped",
            self.program, self.passed, self.failed, self.skipped
        );
        i32::from(self.failed != 0 || ran != self.plan)
    }
}
