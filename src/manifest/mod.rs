//! The checks manifest (`checks.toml`, version 1): loading and validation.

mod model;

pub use model::*;
