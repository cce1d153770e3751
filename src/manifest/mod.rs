//! The checks manifest (`checks.toml`, version 1): loading and validation.
//!
//! Loading is two steps, as in cargo-deny: the TOML is parsed into a raw tree that
//! keeps the span of every key and value (`raw`), then validated once into the domain
//! types re-exported here (`validate`, `check`). Validation never stops at the first
//! problem: a [`ManifestError`] carries every one, each with file, line, column and a
//! caret under the offending key or value, with secret values blanked (`redact`).

mod check;
mod diagnostic;
pub mod kind;
mod lint;
mod model;
pub(crate) mod raw;
mod redact;
mod validate;

#[cfg(test)]
mod tests;

use std::path::Path;

pub use diagnostic::{DiagLevel, Diagnostic, MAX_SHOWN, ManifestError, render_lints};
pub use kind::{KindDef, KindInput};
pub use model::*;
/// The near-miss suggester behind the manifest's "did you mean", for flags too.
pub(crate) use raw::suggest;

/// Reads and validates the manifest at `path`, whose checks are of the given
/// `kinds`. A file that cannot be read is a [`ManifestError`] with one whole-file
/// diagnostic.
pub fn load<S>(path: &Path, kinds: &[&KindDef<S>]) -> Result<Manifest<S>, ManifestError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text, path, kinds),
        Err(e) => Err(ManifestError {
            diagnostics: vec![Diagnostic::whole_file(
                path,
                format!("cannot read manifest: {e}"),
            )],
        }),
    }
}

/// Validates manifest text. `path` is used for messages, [`Manifest::path`] and
/// [`Manifest::base_dir`]; nothing is read from disk but a `client_retry` check's
/// plan file (relative to the manifest's folder), which is validated here.
pub fn parse<S>(
    text: &str,
    path: &Path,
    kinds: &[&KindDef<S>],
) -> Result<Manifest<S>, ManifestError> {
    validate::manifest(text, path, kinds).map_err(|diagnostics| ManifestError { diagnostics })
}

/// Every key the loader accepts, per table, in documentation order: `top` (the top
/// level), `env` (`[env.NAME]`), `client`, `check` (every `[[check]]`), one entry per
/// check kind (its own keys), and `waiver`. The README's key reference is tested
/// against this, so the two cannot drift.
pub fn accepted_keys<S>(kinds: &[&KindDef<S>]) -> Vec<(&'static str, &'static [&'static str])> {
    let mut tables: Vec<(&'static str, &'static [&'static str])> = vec![
        ("top", validate::TOP_KEYS),
        ("env", validate::ENV_KEYS),
        ("client", validate::CLIENT_KEYS),
        ("check", check::COMMON_KEYS),
    ];
    tables.extend(kinds.iter().map(|k| (k.name, k.keys)));
    tables.push(("waiver", validate::WAIVER_KEYS));
    tables
}
