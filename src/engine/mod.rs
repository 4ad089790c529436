//! The n_rust engine: placeholder until the engine lands.
