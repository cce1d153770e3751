//! Secrets: a value that cannot be printed by accident, and where it comes from.
//!
//! A manifest never holds a secret, only a reference (`{ env = "NAME" }` or
//! `{ file = "PATH" }`). References are resolved late, only for the environment being
//! checked, into [`Secret`], which implements neither `Display` nor `Serialize` and
//! whose `Debug` prints `Secret(***)`. As a second line of defence every string that
//! leaves golive (report text, logs, errors) can be passed through a [`Redactor`]
//! holding the resolved values, since an API or endpoint may echo a secret back.

use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// A resolved secret value. Read it only with [`Secret::expose`], at the point of use.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value. Only resolution code and the simulator create secrets.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The raw value, for sending it where it belongs. Never format it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// SHA-256 of the value, for comparing two secrets without holding both in view.
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.0.as_bytes()).into()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where a secret comes from, as written in the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// `{ env = "NAME" }`: an environment variable.
    Env(String),
    /// `{ file = "PATH" }`: a file; relative paths are relative to the manifest.
    File(PathBuf),
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Maybe the secret itself, pasted where its variable's name belongs.
            SecretRef::Env(name) if !looks_like_variable_name(name) => {
                f.write_str("an environment variable whose name does not look like one")
            }
            SecretRef::Env(name) => write!(f, "environment variable {name}"),
            SecretRef::File(path) => write!(f, "file {}", path.display()),
        }
    }
}

/// Whether `name` looks like an environment variable's name rather than a secret
/// pasted in its place: `[A-Za-z_][A-Za-z0-9_]*`, without a key's shape (an
/// `sk_`/`pk_`/`rk_`/`whsec_` prefix, or a `_`-separated run of 16 or more
/// characters mixing letters and digits, as random tokens do). Such a name is never
/// printed.
pub fn looks_like_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    let well_formed = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    let key_prefix = ["sk_", "pk_", "rk_", "whsec_"]
        .iter()
        .any(|p| name.starts_with(p));
    let token_like = name.split('_').any(|part| {
        let digits = part.chars().filter(char::is_ascii_digit).count();
        part.len() >= 16 && digits >= 2 && part.len() - digits >= 2
    });
    well_formed && !key_prefix && !token_like
}

/// Why a secret reference gave no usable value. Never contains the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// The variable is unset or empty, or the file does not exist.
    #[error("{0} is not set")]
    Missing(String),
    /// The file exists but could not be read.
    #[error("{source_desc} could not be read: {reason}")]
    Unreadable {
        /// Which reference.
        source_desc: String,
        /// The I/O error, without the value.
        reason: String,
    },
}

impl SecretRef {
    /// Resolves the reference. `base` is the manifest's directory. A file may end in
    /// exactly one newline, which is stripped; anything else is kept as is so that the
    /// credentials check can report it as malformed.
    pub fn resolve(&self, base: &Path) -> Result<Secret, SecretError> {
        match self {
            SecretRef::Env(name) => match std::env::var_os(name) {
                None => Err(SecretError::Missing(self.to_string())),
                Some(v) if v.is_empty() => Err(SecretError::Missing(format!("{self} (empty)"))),
                Some(v) => match v.into_string() {
                    Ok(s) => Ok(Secret(s)),
                    Err(_) => Err(SecretError::Unreadable {
                        source_desc: self.to_string(),
                        reason: "the value is not valid UTF-8".into(),
                    }),
                },
            },
            SecretRef::File(path) => {
                let full = if path.is_absolute() {
                    path.clone()
                } else {
                    base.join(path)
                };
                match std::fs::read(&full) {
                    Ok(bytes) => {
                        let mut s =
                            String::from_utf8(bytes).map_err(|_| SecretError::Unreadable {
                                source_desc: self.to_string(),
                                reason: "the file is not valid UTF-8".into(),
                            })?;
                        if s.ends_with('\n') {
                            s.pop();
                            if s.ends_with('\r') {
                                s.pop();
                            }
                        }
                        if s.is_empty() {
                            return Err(SecretError::Missing(format!("{self} (empty file)")));
                        }
                        Ok(Secret(s))
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        Err(SecretError::Missing(format!("{self} (no such file)")))
                    }
                    Err(e) => Err(SecretError::Unreadable {
                        source_desc: self.to_string(),
                        reason: e.kind().to_string(),
                    }),
                }
            }
        }
    }
}

/// Replaces known secret values with `***` in any text that leaves golive.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    values: Vec<Secret>,
}

impl Redactor {
    /// Shortest value worth scrubbing: shorter ones would mangle ordinary text.
    const MIN_LEN: usize = 4;

    /// Adds a value to scrub.
    pub fn add(&mut self, secret: &Secret) {
        if secret.expose().len() >= Self::MIN_LEN && !self.values.iter().any(|s| s.0 == secret.0) {
            self.values.push(secret.clone());
            // Longest first, so a secret containing another is replaced whole.
            self.values.sort_by_key(|s| std::cmp::Reverse(s.0.len()));
        }
    }

    /// Returns `text` with every known secret value replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.values {
            if out.contains(&s.0) {
                out = out.replace(&s.0, "***");
            }
        }
        out
    }

    /// Scrubs every string inside a JSON value, in place.
    pub fn scrub_json(&self, value: &mut serde_json::Value) {
        if self.values.is_empty() {
            return;
        }
        match value {
            serde_json::Value::String(s) => *s = self.scrub(s),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.scrub_json(v)),
            serde_json::Value::Object(map) => map.values_mut().for_each(|v| self.scrub_json(v)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), "Secret(***)");
    }

    #[test]
    fn file_secret_strips_one_newline_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("k"), "abc\n").unwrap();
        std::fs::write(dir.path().join("k2"), "abc\n\n").unwrap();
        let r = SecretRef::File("k".into());
        assert_eq!(r.resolve(dir.path()).unwrap().expose(), "abc");
        let r2 = SecretRef::File("k2".into());
        assert_eq!(r2.resolve(dir.path()).unwrap().expose(), "abc\n");
        let missing = SecretRef::File("nope".into());
        assert!(matches!(
            missing.resolve(dir.path()),
            Err(SecretError::Missing(_))
        ));
    }

    #[test]
    fn unreadable_file_is_reported_without_value() {
        let dir = tempfile::tempdir().unwrap();
        // A directory cannot be read as a file.
        std::fs::create_dir(dir.path().join("d")).unwrap();
        let r = SecretRef::File("d".into());
        assert!(matches!(
            r.resolve(dir.path()),
            Err(SecretError::Unreadable { .. })
        ));
    }

    #[test]
    fn redactor_scrubs_longest_first() {
        let mut r = Redactor::default();
        r.add(&Secret::new("abcd"));
        r.add(&Secret::new("abcdefgh"));
        r.add(&Secret::new("xy"));
        assert_eq!(
            r.scrub("key=abcdefgh, other=abcd, short=xy"),
            "key=***, other=***, short=xy"
        );
        let mut v = serde_json::json!({"a": ["abcd", {"b": "zabcdz"}], "n": 1});
        r.scrub_json(&mut v);
        assert_eq!(v, serde_json::json!({"a": ["***", {"b": "z***z"}], "n": 1}));
    }
}
