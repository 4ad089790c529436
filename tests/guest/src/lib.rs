//! Shared pieces of the programs that run in the n_rust test guest.

pub mod disciplines;
pub mod kernel_watch;
pub mod run_env;
pub mod serial_counts;
pub mod sys;
pub mod tap;
pub mod timing;
