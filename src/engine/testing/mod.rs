//! Test support, compiled only for tests: into the module with `CONFIG_KUNIT` (its KUnit
//! suites run the tables), on the host with the `test-support` feature of `n_rust_engine`
//! (the host tests, the oracle and the guest programs enable it). A kernel without KUnit
//! carries none of it.
//!
//! - [`conformance`]: the conformance table and its runner, shared by the host tests, the
//!   KUnit suite `n_rust_conformance` and the oracle's `--check-table`.
//! - [`inspect`]: copies of the ring indices and the line-end bitmap, for invariant checks
//!   (the engine fuzzer).
//! - [`job_control_cases`]: the job-control table (KUnit suite `n_rust_jobctl`).
//! - [`read_until_empty`]: the loop of nonblocking reads until nothing is left, shared by
//!   every test that reads all the input there is.
//! - [`recorder`]: test doubles of the tty ([`Recorder`], [`SliceSink`]).
//! - `engine`: engine calls only tests make ([`Engine::read`], a whole non-blocking
//!   `read(2)` driven through the engine's read steps, with its [`ReadError`];
//!   [`Engine::process_output`], [`Engine::process_echoes`], state inspection).
//!
//! [`Engine::read`]: crate::engine::Engine::read
//! [`Engine::process_output`]: crate::engine::Engine::process_output
//! [`Engine::process_echoes`]: crate::engine::Engine::process_echoes

pub mod conformance;
mod conformance_cases;
mod engine;
pub mod inspect;
pub mod job_control_cases;
pub mod read_until_empty;
pub mod recorder;

pub use engine::ReadError;
pub use read_until_empty::{read_until_empty, ReadOnce, ReadsEnded};
pub use recorder::{Recorder, Room, SliceSink};
