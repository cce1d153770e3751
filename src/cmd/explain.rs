//! `golive explain`: what a finding code means, why it matters and how to fix it;
//! `--list` lists every code (`checks::all_codes`: each kind's, then the shared ones).

use crate::checks;
use crate::cli::ExplainArgs;
use crate::exit::Exit;

use super::{Failure, print_stdout, usage};

/// Runs `golive explain`.
pub(crate) fn explain(args: &ExplainArgs) -> Result<Exit, Failure> {
    if args.list {
        let all = checks::all_codes();
        let width = all.iter().map(|c| c.code.len()).max().unwrap_or(0);
        let mut text = String::new();
        for c in all {
            let level = if c.incomplete {
                "error"
            } else {
                c.level.as_str()
            };
            text.push_str(&format!(
                "{:width$}  {:12} {:5}  {}\n",
                c.code, c.check, level, c.title
            ));
        }
        return print_stdout(&text);
    }
    let code = args.code.as_deref().unwrap_or_default();
    let Some(c) = checks::find_code(code) else {
        let near = crate::codes::nearest(code, &checks::all_codes());
        return Err(usage(format!(
            "unknown finding code `{code}`; did you mean {}? (`golive explain --list` lists every code)",
            near.iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let level = if c.incomplete {
        "check status error (the probe could not complete)".to_string()
    } else {
        format!("level {}", c.level.as_str())
    };
    let mut text = format!(
        "{}  ({} check, {level})\n\n  {}\n\nWhy it matters\n",
        c.code, c.check, c.title
    );
    text.push_str(&wrap(c.why, 78, "  "));
    text.push_str("\nHow to fix it\n");
    text.push_str(&wrap(c.fix, 78, "  "));
    if let Some(d) = c.docs {
        text.push_str(&format!("\nDocs: {d}\n"));
    }
    print_stdout(&text)
}

fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::from(indent);
    for word in text.split_whitespace() {
        if line.len() > indent.len() && line.len() + 1 + word.len() > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(indent);
        }
        if line.len() > indent.len() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}
