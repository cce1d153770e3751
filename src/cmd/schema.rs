//! `golive schema`: prints the JSON Schema of the report.

use crate::exit::Exit;
use crate::report;

use super::{Failure, print_stdout};

/// Runs `golive schema`.
pub(crate) fn schema() -> Result<Exit, Failure> {
    print_stdout(&format!("{}\n", pretty(&report::schema::report_schema())))
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}
