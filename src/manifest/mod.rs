//! The checks manifest (`checks.toml`, version 1): loading and validation.
//!
//! Loading is two steps, as in cargo-deny: the TOML is parsed into a raw tree that
//! keeps the span of every key and value (`raw`), then validated once into the domain
//! types re-exported here (`validate`, `check`). Validation never stops at the first
//! problem: a [`ManifestError`] carries every one, each with file, line, column and a
//! caret under the offending key or value, with secret values blanked (`redact`).

mod check;
mod diagnostic;
mod model;
mod raw;
mod redact;
mod validate;

#[cfg(test)]
mod tests;

use std::path::Path;

pub use diagnostic::{Diagnostic, ManifestError};
pub use model::*;
/// The near-miss suggester behind the manifest's "did you mean", for flags too.
pub(crate) use raw::suggest;

/// Reads and validates the manifest at `path`. A file that cannot be read is a
/// [`ManifestError`] with one whole-file diagnostic.
pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text, path),
        Err(e) => Err(ManifestError {
            diagnostics: vec![Diagnostic::whole_file(
                path,
                format!("cannot read manifest: {e}"),
            )],
        }),
    }
}

/// Validates manifest text. `path` is only used for messages, [`Manifest::path`] and
/// [`Manifest::base_dir`]; nothing is read from disk.
pub fn parse(text: &str, path: &Path) -> Result<Manifest, ManifestError> {
    validate::manifest(text, path).map_err(|diagnostics| ManifestError { diagnostics })
}
