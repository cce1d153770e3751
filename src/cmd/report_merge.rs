//! `golive report merge`: several runners' JSON reports as one board; the exit
//! code is the worst verdict.

use crate::cli::{MergeArgs, MergeFormat};
use crate::exit::Exit;
use crate::report;
use anyhow::Context;

use super::{Failure, internal, print_stdout, usage};

/// Runs `golive report merge`.
pub(crate) fn merge(args: &MergeArgs, color: bool, verbose: u8) -> Result<Exit, Failure> {
    let mut inputs = Vec::new();
    for path in &args.files {
        let text = std::fs::read_to_string(path)
            .map_err(|e| usage(format!("{}: cannot read: {e}", path.display())))?;
        inputs.push((path.display().to_string(), text));
    }
    let merged = report::merge::merge(&inputs).map_err(|e| usage(e.to_string()))?;
    // Reports read from files are untrusted text like any other.
    let merged = report::secure::secure(merged).map_err(|e| internal(e.to_string()))?;
    let exit = Exit::from(merged.verdict);
    let mut buf = Vec::new();
    let rendered = match args.format {
        MergeFormat::Json => serde_json::to_writer_pretty(&mut buf, &merged)
            .map_err(std::io::Error::other)
            .map(|()| buf.push(b'\n')),
        MergeFormat::Markdown => {
            let sources: Vec<String> = inputs.iter().map(|(label, _)| label.clone()).collect();
            report::markdown::render_merged(&merged, &sources, &mut buf)
        }
        MergeFormat::Human => report::human::render_many(
            &merged.reports,
            &mut buf,
            &report::human::HumanOptions { color, verbose },
        ),
    };
    rendered.context("cannot render the merged report")?;
    print_stdout(&String::from_utf8_lossy(&buf))?;
    Ok(exit)
}
