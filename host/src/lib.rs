//! Host build of the n_rust engine: the very files the kernel module compiles, `src/engine/`.
#![no_std]

#[path = "../../src/engine/mod.rs"]
mod engine;

pub use engine::*;
