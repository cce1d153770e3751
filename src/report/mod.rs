//! Reports: the model and its renderers.
//!
//! [`model`] is the report as data (the JSON contract of SPEC section 4), and
//! [`multi`] several environments' reports with the worst verdict. Each
//! renderer is a pure function of reports that writes to any
//! [`std::io::Write`]: [`human`] for the terminal, [`json`] for machines,
//! [`junit`] for CI test views, [`github`] for Actions annotations and step
//! summaries, [`markdown`] for a go-live board, [`prometheus`] for dashboards;
//! [`schema`] describes what [`json`] writes, and [`merge`] combines the JSON
//! reports of several runners; [`secure`] is the pass every report goes through
//! before any renderer sees it. No renderer decides the verdict or reads global
//! state; colour and verbosity are passed in.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod merge;
pub mod model;
pub mod multi;
pub mod prometheus;
pub mod schema;
pub mod secure;

#[cfg(test)]
pub(crate) mod fixtures;

pub use model::*;
pub use multi::{MultiReport, worst};
