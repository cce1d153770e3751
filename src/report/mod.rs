//! Reports: the model and its renderers.
//!
//! [`model`] is the report as data (the JSON contract of SPEC section 4). Each
//! renderer is a pure function of a [`Report`] that writes to any
//! [`std::io::Write`]: [`human`] for the terminal, [`json`] for machines, and
//! [`schema`] describes what [`json`] writes. No renderer decides the verdict
//! or reads global state; colour and verbosity are passed in.

pub mod human;
pub mod json;
pub mod model;
pub mod schema;

#[cfg(test)]
pub(crate) mod fixtures;

pub use model::*;
