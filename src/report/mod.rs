//! Reports: the model and its renderers.

pub mod model;

pub use model::*;
