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
//! before any renderer sees it. [`render`] picks the renderer of a [`Format`].
//! No renderer decides the verdict or reads global state; colour and verbosity
//! are passed in.

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

use std::io::{self, Write};

/// The report formats (`--format`): a closed set, one renderer each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A coloured report for people.
    Human,
    /// The versioned JSON report (see `golive schema`).
    Json,
    /// JUnit XML: one testsuite per environment, one testcase per check.
    Junit,
    /// GitHub Actions workflow commands (annotations) per finding.
    Github,
    /// A Markdown go-live board to paste into a ticket.
    Markdown,
    /// OpenMetrics text for the node_exporter textfile collector or a Pushgateway.
    Prometheus,
}

/// Renders `reports` (one per environment, in order) in `format`. `human` is
/// used by the human format only (colour, verbosity).
pub fn render(
    format: Format,
    reports: &[Report],
    human: &human::HumanOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::render_many(reports, out, human),
        Format::Json => json::render_reports(reports, out),
        Format::Junit => junit::render(reports, out),
        Format::Github => github::render(reports, out),
        Format::Markdown => markdown::render(reports, out),
        Format::Prometheus => prometheus::render(reports, out),
    }
}
