// SPDX-License-Identifier: GPL-2.0

//! KUnit suites of n_rust, built only when the kernel has `CONFIG_KUNIT`.
//!
//! The suites are placed in the module's `.kunit_test_suites` section, so KUnit runs them each
//! time the module is loaded and prints KTAP to the kernel log (`tests/kunit-parse.py` reads it
//! from the guest's console):
//!
//! - `n_rust_conformance`: every case of [`engine::conformance::CASES`], the table the host
//!   tests run too, as one parameterised KUnit case with one KTAP result per table entry,
//!   named after it. A case added to the table runs here without touching this file.
//! - `n_rust_jobctl`: the job-control decision ([`engine::check_job_control`],
//!   [`engine::check_write`]).
//! - `n_rust_params`: validation of the `ldisc` module parameter.
//!
//! [`engine::conformance::CASES`]: crate::engine::conformance::CASES
//! [`engine::check_job_control`]: crate::engine::check_job_control
//! [`engine::check_write`]: crate::engine::check_write

use kernel::prelude::*;

/// The `n_rust_conformance` suite: the shared conformance table, one KTAP result per case.
///
/// `#[kunit_tests]` only knows plain cases, so this suite is built by hand as C's
/// `KUNIT_CASE_PARAM_WITH_INIT(table, kunit_array_gen_params, register_table, NULL)` would
/// build it: `param_init` registers [`CASES`] as the case's parameter array, KUnit's own
/// `kunit_array_gen_params` walks it (and prints the `1..N` plan of the parameterised case),
/// and the description of each parameter is the conformance case's name.
mod conformance {
    use crate::engine::conformance::{run, Bench, Case, CASES};
    use core::mem::size_of;
    use core::ptr;
    use kernel::bindings;
    use kernel::ffi::{c_char, c_int, c_void};
    use kernel::prelude::*;
    use kernel::str::BStr;

    /// `KUNIT_PARAM_DESC_SIZE`: the size of the buffer a parameter description is written to.
    const PARAM_DESC_SIZE: usize = 128;

    /// Bytes of the driver output shown when a case fails.
    const SHOWN: usize = 96;

    /// A fresh bench. Each case copies it into its own heap slot: a [`Bench`] is about
    /// 21 KiB, more than the kernel stack, so one is never built on the stack.
    static FRESH_BENCH: Bench = Bench::new();

    /// Allocates a fresh [`Bench`] on the heap.
    fn new_bench() -> Result<KBox<Bench>> {
        let mut slot = KBox::<Bench>::new_uninit(GFP_KERNEL)?;
        // SAFETY: `slot` is valid for writing one `Bench` and does not overlap the static.
        // A `Bench` is plain data (arrays, integers, enums; no `Drop`, no pointers it owns),
        // so a bitwise copy of the fresh one is a valid, fresh `Bench`.
        unsafe { ptr::copy_nonoverlapping(&FRESH_BENCH, slot.as_mut_ptr(), 1) };
        // SAFETY: the copy above initialised the whole value.
        Ok(unsafe { slot.assume_init() })
    }

    /// `get_description` of the parameter array: the case's name.
    ///
    /// # Safety
    ///
    /// `param` points to an element of [`CASES`] and `desc` to a buffer of
    /// `KUNIT_PARAM_DESC_SIZE` bytes, as `kunit_array_gen_params` passes them.
    unsafe extern "C" fn describe(
        _test: *mut bindings::kunit,
        param: *const c_void,
        desc: *mut c_char,
    ) {
        // SAFETY: by the function's safety requirements, `param` points to a `Case` of the
        // static table.
        let case = unsafe { &*param.cast::<Case>() };
        let name = case.name.as_bytes();
        let len = name.len().min(PARAM_DESC_SIZE - 1);
        // SAFETY: `desc` has room for `PARAM_DESC_SIZE` bytes and `len + 1` of them are
        // written; `name` is valid for reading `len` bytes and is not in that buffer.
        unsafe {
            ptr::copy_nonoverlapping(name.as_ptr(), desc.cast::<u8>(), len);
            desc.add(len).write(0);
        }
    }

    /// `param_init` of the case: registers [`CASES`] as its parameter array, as C's
    /// `kunit_register_params_array()` does.
    ///
    /// # Safety
    ///
    /// `test` is the valid parent test of the parameterised case, as KUnit passes it.
    unsafe extern "C" fn register_table(test: *mut bindings::kunit) -> c_int {
        // SAFETY: `test` is valid (the function's safety requirements) and the parameterised
        // runs have not started. The table is static, so it outlives the test.
        unsafe {
            (*test).params_array = bindings::kunit_params {
                params: CASES.as_ptr().cast(),
                get_description: Some(describe),
                num_params: CASES.len(),
                elem_size: size_of::<Case>(),
            };
        }
        0
    }

    /// Runs one conformance case, the current parameter of `test`.
    ///
    /// # Safety
    ///
    /// `test` is the valid test of one parameter, whose value points into [`CASES`]
    /// (`kunit_array_gen_params` produced it from the array [`register_table`] registered).
    unsafe extern "C" fn run_table_case(test: *mut bindings::kunit) {
        // SAFETY: by the function's safety requirements, the parameter points to a `Case`
        // of the static table.
        let case = unsafe { &*(*test).param_value.cast::<Case>() };
        let outcome = match new_bench() {
            Ok(mut bench) => match run(case, &mut bench) {
                Ok(()) => Ok(()),
                Err(mismatch) => {
                    let got = bench.rec.master_bytes();
                    // `Mismatch` says what differed (`MismatchKind`) and where.
                    kernel::kunit::err(fmt!(
                        "        # {}: {:?} at {}\n",
                        mismatch.case,
                        mismatch.kind,
                        mismatch.index
                    ));
                    kernel::kunit::err(fmt!(
                        "        # driver output: {:?}, expected {:?}\n",
                        BStr::from_bytes(got.get(..SHOWN).unwrap_or(got)),
                        BStr::from_bytes(case.master.get(..SHOWN).unwrap_or(case.master))
                    ));
                    Err(())
                }
            },
            Err(_) => {
                kernel::kunit::err(fmt!(
                    "        # {}: out of memory for the bench\n",
                    case.name
                ));
                Err(())
            }
        };
        // The bench is freed by now: a failed assertion ends the test's thread without
        // running destructors.
        kernel::kunit_assert!("table", c"src/kunit.rs", 0, outcome.is_ok());
    }

    /// The cases of the suite, terminated by a zeroed entry as KUnit expects.
    static mut TEST_CASES: [bindings::kunit_case; 2] = [
        bindings::kunit_case {
            generate_params: Some(bindings::kunit_array_gen_params),
            param_init: Some(register_table),
            ..kernel::kunit::kunit_case(c"table", run_table_case)
        },
        pin_init::zeroed(),
    ];

    kernel::kunit_unsafe_test_suite!(n_rust_conformance, TEST_CASES);
}

/// The `n_rust_jobctl` suite: the job-control decision of reads and writes
/// (`__tty_check_change` as `n_tty_read` and `n_tty_write` use it).
#[kunit_tests(n_rust_jobctl)]
mod jobctl {
    use crate::engine::{check_job_control, check_write, Decision, JobControlQuery, JobOp, Signal};

    /// A caller in a background group of its controlling tty, with nothing else special.
    fn background(op: JobOp) -> JobControlQuery {
        JobControlQuery {
            is_controlling_tty: true,
            tty_has_pgrp: true,
            caller_in_foreground: false,
            signal_ignored_or_blocked: false,
            caller_group_orphaned: false,
            op,
            redirected: false,
        }
    }

    #[test]
    fn background_read_sends_sigttin() {
        assert_eq!(
            check_job_control(&background(JobOp::Read)),
            Decision::SignalGroupAndRestart(Signal::Ttin)
        );
    }

    #[test]
    fn foreground_read_allowed() {
        let q = JobControlQuery {
            caller_in_foreground: true,
            ..background(JobOp::Read)
        };
        assert_eq!(check_job_control(&q), Decision::Allow);
    }

    #[test]
    fn read_on_other_tty_allowed() {
        let q = JobControlQuery {
            is_controlling_tty: false,
            ..background(JobOp::Read)
        };
        assert_eq!(check_job_control(&q), Decision::Allow);
    }

    #[test]
    fn read_without_foreground_group_allowed() {
        let q = JobControlQuery {
            tty_has_pgrp: false,
            ..background(JobOp::Read)
        };
        assert_eq!(check_job_control(&q), Decision::Allow);
    }

    #[test]
    fn background_read_sigttin_ignored_is_eio() {
        let q = JobControlQuery {
            signal_ignored_or_blocked: true,
            ..background(JobOp::Read)
        };
        assert_eq!(check_job_control(&q), Decision::Eio);
    }

    #[test]
    fn background_read_orphaned_group_is_eio() {
        let q = JobControlQuery {
            caller_group_orphaned: true,
            ..background(JobOp::Read)
        };
        assert_eq!(check_job_control(&q), Decision::Eio);
    }

    #[test]
    fn redirected_console_never_stopped() {
        let read = JobControlQuery {
            redirected: true,
            ..background(JobOp::Read)
        };
        let write = JobControlQuery {
            redirected: true,
            ..background(JobOp::Write)
        };
        assert_eq!(check_job_control(&read), Decision::Allow);
        assert_eq!(check_write(true, &write), Decision::Allow);
    }

    #[test]
    fn background_write_with_tostop_sends_sigttou() {
        assert_eq!(
            check_write(true, &background(JobOp::Write)),
            Decision::SignalGroupAndRestart(Signal::Ttou)
        );
    }

    #[test]
    fn background_write_without_tostop_allowed() {
        assert_eq!(
            check_write(false, &background(JobOp::Write)),
            Decision::Allow
        );
    }

    #[test]
    fn background_write_sigttou_ignored_allowed() {
        // Unlike a read, an ignored or blocked SIGTTOU lets the write through, even from an
        // orphaned group: the ignored check comes first in `__tty_check_change`.
        let q = JobControlQuery {
            signal_ignored_or_blocked: true,
            caller_group_orphaned: true,
            ..background(JobOp::Write)
        };
        assert_eq!(check_write(true, &q), Decision::Allow);
    }

    #[test]
    fn background_write_orphaned_group_is_eio() {
        let q = JobControlQuery {
            caller_group_orphaned: true,
            ..background(JobOp::Write)
        };
        assert_eq!(check_write(true, &q), Decision::Eio);
    }

    #[test]
    fn foreground_write_with_tostop_allowed() {
        let q = JobControlQuery {
            caller_in_foreground: true,
            ..background(JobOp::Write)
        };
        assert_eq!(check_write(true, &q), Decision::Allow);
    }
}

/// The `n_rust_params` suite: validation of the `ldisc` module parameter, and the reason
/// the kernel log gives for a refusal.
#[kunit_tests(n_rust_params)]
mod params {
    use crate::params::{validate_ldisc_number, LdiscNumberError};
    use kernel::prelude::*;
    use kernel::str::CString;

    /// The reason logged for refusing `requested`, if it is refused.
    fn reason(requested: i32) -> Option<CString> {
        let err = validate_ldisc_number(requested).err()?;
        CString::try_from_fmt(fmt!("{err}")).ok()
    }

    /// Whether `requested` is refused with exactly `message`.
    fn refused_with(requested: i32, message: &str) -> bool {
        reason(requested).is_some_and(|r| r.to_bytes() == message.as_bytes())
    }

    #[test]
    fn zero_refused_out_of_range() {
        assert_eq!(validate_ldisc_number(0), Err(LdiscNumberError::OutOfRange));
        assert!(refused_with(0, "must be in 1..30"));
    }

    #[test]
    fn thirty_one_refused_out_of_range() {
        assert_eq!(validate_ldisc_number(31), Err(LdiscNumberError::OutOfRange));
        assert!(refused_with(31, "must be in 1..30"));
    }

    #[test]
    fn minus_one_refused_out_of_range() {
        assert_eq!(validate_ldisc_number(-1), Err(LdiscNumberError::OutOfRange));
        assert!(refused_with(-1, "must be in 1..30"));
    }

    #[test]
    fn twenty_seven_refused_built_in_n_null() {
        assert_eq!(
            validate_ldisc_number(27),
            Err(LdiscNumberError::BuiltIn("N_NULL"))
        );
        assert!(refused_with(
            27,
            "the built-in line discipline N_NULL holds it"
        ));
    }

    #[test]
    fn twenty_nine_accepted() {
        assert_eq!(validate_ldisc_number(29), Ok(29));
    }

    #[test]
    fn twenty_eight_accepted_unless_n_mctp_built_in() {
        // 28 is N_MCTP: free unless this kernel builds the MCTP serial discipline in.
        if cfg!(CONFIG_MCTP_SERIAL = "y") {
            assert_eq!(
                validate_ldisc_number(28),
                Err(LdiscNumberError::BuiltIn("N_MCTP"))
            );
        } else {
            assert_eq!(validate_ldisc_number(28), Ok(28));
        }
    }
}
