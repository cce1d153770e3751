//! `golive validate`: load and lint the manifest, no network and no secrets.
//!
//! Errors (the manifest's, then lint errors) are exit 2 with an empty stdout;
//! warnings go to stderr and block only with `--strict`.

use crate::cli::ValidateArgs;
use crate::exit::Exit;
use crate::manifest;

use super::{Failure, load, print_stdout};

/// `golive validate`: errors (the manifest's, then lint errors) are exit 2 with an
/// empty stdout; warnings go to stderr and block only with `--strict`.
pub(crate) fn validate(args: &ValidateArgs) -> Result<Exit, Failure> {
    let m = load(&args.manifest)?;
    let strict = args.strict || !args.deny.is_empty();
    let blocking = m
        .lints
        .iter()
        .any(|d| d.level == manifest::DiagLevel::Error || strict);
    let lints = manifest::render_lints(&m.lints);
    if blocking {
        let why = if strict
            && m.lints
                .iter()
                .all(|d| d.level == manifest::DiagLevel::Warning)
        {
            " (--strict: warnings are errors)"
        } else {
            ""
        };
        return Err(Failure {
            exit: Exit::Usage,
            message: format!("{lints}{why}"),
            preformatted: true,
        });
    }
    if !lints.is_empty() {
        eprintln!(
            "{}",
            crate::secret::scrub(&crate::text::sanitize_lines(&lints))
        );
    }
    let envs: Vec<&str> = m.envs.iter().map(|e| e.name.as_str()).collect();
    print_stdout(&format!(
        "{}: valid (version {}, envs: {}, {} check{}, {} waiver{}{})\n",
        m.path.display(),
        m.version,
        if envs.is_empty() {
            "none".to_string()
        } else {
            envs.join(", ")
        },
        m.checks.len(),
        if m.checks.len() == 1 { "" } else { "s" },
        m.waivers.len(),
        if m.waivers.len() == 1 { "" } else { "s" },
        match m.lints.len() {
            0 => String::new(),
            1 => ", 1 warning".to_string(),
            n => format!(", {n} warnings"),
        },
    ))
}
