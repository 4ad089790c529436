// SPDX-License-Identifier: GPL-2.0

//! KUnit suites of n_rust, built only when the kernel has `CONFIG_KUNIT`.
//!
//! The suites are placed in the module's `.kunit_test_suites` section, so KUnit runs them each
//! time the module is loaded and prints KTAP to the kernel log (`tests/kunit-parse.py` reads it
//! from the guest's console):
//!
//! - `n_rust_conformance`: every case of [`engine::testing::conformance::CASES`], the table the host
//!   tests run too.
//! - `n_rust_jobctl`: every case of [`engine::testing::job_control_cases::JOBCTL_CASES`], the
//!   job-control decision of a read ([`engine::check_job_control`]) the host tests run too.
//! - `n_rust_params`: validation of the `ldisc` module parameter.
//! - `n_rust_read_steps`: one `read()` through the engine's steps (`kunit/read_steps.rs`).
//! - `n_rust_glue`: the discipline on a tty made inside the kernel by a test tty driver,
//!   driven through the tty layer (`kunit/glue.rs`, `kunit/glue/test_tty.rs`).
//!
//! The two table suites are one parameterised KUnit case each (see [`table`]), with one KTAP
//! result per table entry, named after it: a case added to a table runs here without touching
//! this file.
//!
//! [`engine::testing::conformance::CASES`]: crate::engine::testing::conformance::CASES
//! [`engine::testing::job_control_cases::JOBCTL_CASES`]: crate::engine::testing::job_control_cases::JOBCTL_CASES
//! [`engine::check_job_control`]: crate::engine::check_job_control

use kernel::prelude::*;

mod glue;
mod read_steps;

/// A static table of the engine run as one parameterised KUnit case, one KTAP result per entry.
///
/// `#[kunit_tests]` only knows plain cases, so the case is built by hand as C's
/// `KUNIT_CASE_PARAM_WITH_INIT(table, kunit_array_gen_params, register_table, NULL)` would
/// build it: `param_init` registers the table as the case's parameter array, KUnit's own
/// `kunit_array_gen_params` walks it (and prints the `1..N` plan of the parameterised case),
/// and the description of each parameter is the entry's name.
mod table {
    use core::mem::size_of;
    use core::ptr;
    use kernel::bindings;
    use kernel::ffi::{c_char, c_int, c_void};

    /// `KUNIT_PARAM_DESC_SIZE`: the size of the buffer a parameter description is written to.
    const PARAM_DESC_SIZE: usize = 128;

    /// A table of cases.
    pub(crate) trait Table {
        /// One entry.
        type Entry: 'static;
        /// The entries.
        fn entries() -> &'static [Self::Entry];
        /// The name of `entry`, its KTAP description.
        fn name(entry: &Self::Entry) -> &'static str;
        /// Runs `entry`; on failure, logs what differed and returns `Err`.
        fn run(entry: &Self::Entry) -> Result<(), ()>;
    }

    /// `get_description` of the parameter array: the entry's name.
    ///
    /// # Safety
    ///
    /// `param` points to an entry of `T::entries()` and `desc` to a buffer of
    /// `KUNIT_PARAM_DESC_SIZE` bytes, as `kunit_array_gen_params` passes them.
    unsafe extern "C" fn describe<T: Table>(
        _test: *mut bindings::kunit,
        param: *const c_void,
        desc: *mut c_char,
    ) {
        // SAFETY: by the function's safety requirements, `param` points to an entry of the
        // static table.
        let entry = unsafe { &*param.cast::<T::Entry>() };
        let name = T::name(entry).as_bytes();
        let len = name.len().min(PARAM_DESC_SIZE - 1);
        // SAFETY: `desc` has room for `PARAM_DESC_SIZE` bytes and `len + 1` of them are
        // written; `name` is valid for reading `len` bytes and is not in that buffer.
        unsafe {
            ptr::copy_nonoverlapping(name.as_ptr(), desc.cast::<u8>(), len);
            desc.add(len).write(0);
        }
    }

    /// `param_init` of the case: registers `T::entries()` as its parameter array, as C's
    /// `kunit_register_params_array()` does.
    ///
    /// # Safety
    ///
    /// `test` is the valid parent test of the parameterised case, as KUnit passes it.
    unsafe extern "C" fn register_table<T: Table>(test: *mut bindings::kunit) -> c_int {
        let entries = T::entries();
        // SAFETY: `test` is valid (the function's safety requirements) and the parameterised
        // runs have not started. The table is static, so it outlives the test.
        unsafe {
            (*test).params_array = bindings::kunit_params {
                params: entries.as_ptr().cast(),
                get_description: Some(describe::<T>),
                num_params: entries.len(),
                elem_size: size_of::<T::Entry>(),
            };
        }
        0
    }

    /// Runs one entry, the current parameter of `test`.
    ///
    /// # Safety
    ///
    /// `test` is the valid test of one parameter, whose value points into `T::entries()`
    /// (`kunit_array_gen_params` produced it from the array [`register_table`] registered).
    unsafe extern "C" fn run_table_case<T: Table>(test: *mut bindings::kunit) {
        // SAFETY: by the function's safety requirements, the parameter points to an entry
        // of the static table.
        let entry = unsafe { &*(*test).param_value.cast::<T::Entry>() };
        let outcome = T::run(entry);
        // Whatever `run` allocated is freed by now: a failed assertion ends the test's thread
        // without running destructors.
        kernel::kunit_assert!("table", c"src/kunit.rs", 0, outcome.is_ok());
    }

    /// The parameterised KUnit case `table` over `T`.
    pub(crate) const fn case<T: Table>() -> bindings::kunit_case {
        bindings::kunit_case {
            generate_params: Some(bindings::kunit_array_gen_params),
            param_init: Some(register_table::<T>),
            ..kernel::kunit::kunit_case(c"table", run_table_case::<T>)
        }
    }
}

/// The `n_rust_conformance` suite: the shared conformance table, one KTAP result per case.
mod conformance {
    use super::table::{self, Table};
    use crate::engine::testing::conformance::{run, Bench, Case, CASES};
    use core::ptr;
    use kernel::bindings;
    use kernel::prelude::*;
    use kernel::str::BStr;

    /// Bytes of the driver output shown when a case fails.
    const SHOWN: usize = 96;

    /// A fresh bench. Each case copies it into its own heap slot: a [`Bench`] is about
    /// 21 KiB, more than the kernel stack, so one is never built on the stack.
    static FRESH_BENCH: Bench = Bench::new();

    /// Allocates a fresh [`Bench`] on the heap.
    ///
    /// A `Bench` is plain data (arrays, integers, enums; no `Drop`, no pointers it owns), so a
    /// bitwise copy of `FRESH_BENCH` is a valid, fresh `Bench`.
    fn new_bench() -> Result<KBox<Bench>> {
        let mut slot = KBox::<Bench>::new_uninit(GFP_KERNEL)?;
        // SAFETY: `slot` is valid for writing one `Bench` and does not overlap the static; a
        // `Bench` is plain data, so the bitwise copy is a valid, fresh one (see above).
        unsafe { ptr::copy_nonoverlapping(&FRESH_BENCH, slot.as_mut_ptr(), 1) };
        // SAFETY: the copy above initialised the whole value.
        Ok(unsafe { slot.assume_init() })
    }

    /// [`CASES`] as a KUnit table.
    struct Conformance;

    impl Table for Conformance {
        type Entry = Case;

        fn entries() -> &'static [Case] {
            CASES
        }

        fn name(case: &Case) -> &'static str {
            case.name
        }

        fn run(case: &Case) -> core::result::Result<(), ()> {
            let Ok(mut bench) = new_bench() else {
                kernel::kunit::err(fmt!(
                    "        # {}: out of memory for the bench\n",
                    case.name
                ));
                return Err(());
            };
            run(case, &mut bench).map_err(|mismatch| {
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
            })
        }
    }

    /// The cases of the suite, terminated by a zeroed entry as KUnit expects.
    static mut TEST_CASES: [bindings::kunit_case; 2] =
        [table::case::<Conformance>(), pin_init::zeroed()];

    kernel::kunit_unsafe_test_suite!(n_rust_conformance, TEST_CASES);
}

/// The `n_rust_jobctl` suite: the shared job-control table, one KTAP result per case (the
/// decision of `__tty_check_change` as `n_tty_read` uses it).
mod jobctl {
    use super::table::{self, Table};
    use crate::engine::testing::job_control_cases::{JobCtlCase, JOBCTL_CASES};
    use kernel::bindings;
    use kernel::prelude::*;

    /// [`JOBCTL_CASES`] as a KUnit table.
    struct JobCtl;

    impl Table for JobCtl {
        type Entry = JobCtlCase;

        fn entries() -> &'static [JobCtlCase] {
            JOBCTL_CASES
        }

        fn name(case: &JobCtlCase) -> &'static str {
            case.name
        }

        fn run(case: &JobCtlCase) -> core::result::Result<(), ()> {
            case.run().map_err(|got| {
                kernel::kunit::err(fmt!(
                    "        # {}: got {:?}, expected {:?}\n",
                    case.name,
                    got,
                    case.expected
                ));
            })
        }
    }

    /// The cases of the suite, terminated by a zeroed entry as KUnit expects.
    static mut TEST_CASES: [bindings::kunit_case; 2] =
        [table::case::<JobCtl>(), pin_init::zeroed()];

    kernel::kunit_unsafe_test_suite!(n_rust_jobctl, TEST_CASES);
}

/// The `n_rust_params` suite: validation of the `ldisc` module parameter, the reason the
/// kernel log gives for a refusal, and finding a slot's holder in `/proc/tty/ldiscs`.
#[kunit_tests(n_rust_params)]
mod params {
    use crate::params::{validate_ldisc_number, LdiscNumberError};
    use crate::slot_check::holder_in_listing;
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
    fn listing_names_the_holder_of_a_number() {
        let listing = b"n_tty       0\nn_null     27\nholder     20\nn_rust     29\n";
        assert_eq!(holder_in_listing(listing, 20), Some(&b"holder"[..]));
        assert_eq!(holder_in_listing(listing, 0), Some(&b"n_tty"[..]));
        assert_eq!(holder_in_listing(listing, 29), Some(&b"n_rust"[..]));
        assert_eq!(holder_in_listing(listing, 2), None);
        // "2" must not match "20" or "27", nor a line with more or fewer words.
        assert_eq!(holder_in_listing(b"a 20\nb 27\nc 2 x\n2\n", 2), None);
        assert_eq!(holder_in_listing(b"", 0), None);
    }

    #[test]
    fn twenty_eight_accepted_unless_n_mctp_built_in() {
        // 28 is N_MCTP: free unless this kernel builds the MCTP serial discipline, in or as
        // a module.
        if cfg!(CONFIG_MCTP_SERIAL = "y") {
            assert_eq!(
                validate_ldisc_number(28),
                Err(LdiscNumberError::BuiltIn("N_MCTP"))
            );
        } else if cfg!(CONFIG_MCTP_SERIAL = "m") {
            assert_eq!(
                validate_ldisc_number(28),
                Err(LdiscNumberError::ModuleOwned("N_MCTP"))
            );
        } else {
            assert_eq!(validate_ldisc_number(28), Ok(28));
        }
    }
}
