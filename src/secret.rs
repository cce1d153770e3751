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
    /// The variable is unset or empty, or the file does not exist or is empty. The
    /// text is a whole sentence naming the source and what is wrong with it
    /// ("environment variable API_KEY is not set").
    #[error("{0}")]
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
                None => Err(SecretError::Missing(format!("{self} is not set"))),
                Some(v) if v.is_empty() => {
                    Err(SecretError::Missing(format!("{self} is set but empty")))
                }
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
                            return Err(SecretError::Missing(format!("{self} is empty")));
                        }
                        Ok(Secret(s))
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        Err(SecretError::Missing(format!("{self} does not exist")))
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

/// Replaces secret values with `***` in any text that leaves golive.
///
/// Whole-value replacement is not enough: a server may echo a secret JSON-escaped
/// or URL-encoded, and golive (or the server) may cut a text in the middle of one.
/// So a redactor masks every run of text that contains any [`Redactor::WINDOW`]-byte
/// window of a secret, in each encoding golive might print it in (plain,
/// JSON-escaped, URL-encoded). What survives shares fewer than `WINDOW` consecutive
/// bytes with any secret. Values shorter than a window are replaced whole.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Every encoded form of every value, for comparisons and short values.
    forms: Vec<String>,
    /// Every `WINDOW`-byte window of every form at least `WINDOW` long.
    windows: std::collections::HashSet<[u8; Redactor::WINDOW]>,
}

impl Redactor {
    /// Shortest value worth scrubbing: shorter ones would mangle ordinary text.
    const MIN_LEN: usize = 4;
    /// No run of this many bytes of a secret survives scrubbing.
    pub const WINDOW: usize = 8;

    /// Adds a value to scrub.
    pub fn add(&mut self, secret: &Secret) {
        if secret.expose().len() < Self::MIN_LEN || self.forms.contains(&secret.0) {
            return;
        }
        for form in encoded_forms(secret.expose()) {
            if self.forms.contains(&form) {
                continue;
            }
            for w in form.as_bytes().windows(Self::WINDOW) {
                if let Ok(w) = <[u8; Self::WINDOW]>::try_from(w) {
                    self.windows.insert(w);
                }
            }
            self.forms.push(form);
        }
        // Longest first, so a short value inside a longer one is replaced whole.
        self.forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    }

    /// Whether there is nothing to scrub.
    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// Returns `text` with every run that holds a window of a known secret (or a
    /// whole short secret) replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        if self.forms.is_empty() {
            return text.to_string();
        }
        let bytes = text.as_bytes();
        let mut masked = vec![false; bytes.len()];
        let mut any = false;
        if bytes.len() >= Self::WINDOW && !self.windows.is_empty() {
            for (i, w) in bytes.windows(Self::WINDOW).enumerate() {
                if let Ok(w) = <[u8; Self::WINDOW]>::try_from(w)
                    && self.windows.contains(&w)
                {
                    masked[i..i + Self::WINDOW]
                        .iter_mut()
                        .for_each(|m| *m = true);
                    any = true;
                }
            }
        }
        for form in self.forms.iter().filter(|f| f.len() < Self::WINDOW) {
            for (i, _) in text.match_indices(form.as_str()) {
                masked[i..i + form.len()].iter_mut().for_each(|m| *m = true);
                any = true;
            }
        }
        if !any {
            return text.to_string();
        }
        // Widen every masked run to character boundaries: never emit half a character.
        let n = bytes.len();
        let mut i = 0;
        while i < n {
            if !masked[i] {
                i += 1;
                continue;
            }
            let mut start = i;
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = i;
            while end < n && masked[end] {
                end += 1;
            }
            while end < n && !text.is_char_boundary(end) {
                end += 1;
            }
            masked[start..end].iter_mut().for_each(|m| *m = true);
            i = end;
        }
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < n {
            let start = i;
            let hidden = masked[i];
            while i < n && masked[i] == hidden {
                i += 1;
            }
            if hidden {
                out.push_str("***");
            } else {
                out.push_str(&text[start..i]);
            }
        }
        out
    }

    /// Scrubs every string inside a JSON value, in place.
    pub fn scrub_json(&self, value: &mut serde_json::Value) {
        if self.forms.is_empty() {
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

/// The spellings of `value` golive might print: as is, JSON-escaped (the way
/// serde_json, JavaScript and Python escape, `/` escaped or not) and URL-encoded
/// (percent-encoding with either hex case, and form encoding).
fn encoded_forms(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_string()];
    let json = serde_json::to_string(value).unwrap_or_default();
    let json = json.trim_matches('"').to_string();
    let ascii: String = json
        .chars()
        .flat_map(|c| {
            if c.is_ascii() {
                vec![c.to_string()]
            } else {
                let mut buf = [0u16; 2];
                c.encode_utf16(&mut buf)
                    .iter()
                    .map(|u| format!("\\u{u:04x}"))
                    .collect()
            }
        })
        .collect();
    for j in [json, ascii] {
        forms.push(j.replace('/', "\\/"));
        forms.push(j.to_ascii_uppercase_escapes());
        forms.push(j);
    }
    let percent: String = value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    forms.push(lower_hex_escapes(&percent, '%'));
    forms.push(percent);
    forms.push(url::form_urlencoded::byte_serialize(value.as_bytes()).collect());
    let mut unique = Vec::new();
    for f in forms {
        if !f.is_empty() && !unique.contains(&f) {
            unique.push(f);
        }
    }
    unique
}

trait UpperEscapes {
    fn to_ascii_uppercase_escapes(&self) -> String;
}

impl UpperEscapes for String {
    /// `\u00e9` as `\u00E9`.
    fn to_ascii_uppercase_escapes(&self) -> String {
        let mut out = String::with_capacity(self.len());
        let mut rest = self.as_str();
        while let Some(i) = rest.find("\\u") {
            out.push_str(&rest[..i + 2]);
            let hex: String = rest[i + 2..].chars().take(4).collect();
            out.push_str(&hex.to_ascii_uppercase());
            rest = &rest[i + 2 + hex.len()..];
        }
        out.push_str(rest);
        out
    }
}

/// `%2F` as `%2f`.
fn lower_hex_escapes(text: &str, mark: char) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == mark {
            for h in chars.by_ref().take(2) {
                out.push(h.to_ascii_lowercase());
            }
        }
    }
    out
}

/// Every secret this process has resolved or been issued, for [`scrub`].
static KNOWN: std::sync::LazyLock<std::sync::RwLock<Redactor>> =
    std::sync::LazyLock::new(Default::default);

/// Registers a secret with the process-wide scrubber: from now on [`scrub`] masks
/// it. Called the moment a value is resolved from the manifest or issued by the
/// API (access and refresh tokens), before any text that might quote it is kept.
pub fn register(secret: &Secret) {
    KNOWN.write().unwrap_or_else(|e| e.into_inner()).add(secret);
}

/// Scrubs every secret registered so far from `text` (see [`Redactor`]).
pub fn scrub(text: &str) -> String {
    KNOWN.read().unwrap_or_else(|e| e.into_inner()).scrub(text)
}

/// [`scrub`] for every string inside a JSON value, in place.
pub fn scrub_json(value: &mut serde_json::Value) {
    KNOWN
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .scrub_json(value);
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

    #[test]
    fn fragments_and_encodings_of_a_secret_are_scrubbed() {
        let secret = "sk_live_Ab3/De+Fg\"Hi\\Jk=Lm\u{e9}No_0123456789";
        let mut r = Redactor::default();
        r.add(&Secret::new(secret));
        let json = serde_json::to_string(secret).unwrap();
        let url: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        let texts = [
            // Cut by a server or by a reader at any point.
            format!("echo: {}", &secret[..20]),
            format!("{} (end)", &secret[12..]),
            // JSON-escaped, with and without `\/`, and ASCII-only escapes.
            format!("{{\"password\":{json}}}"),
            format!("{{\"password\":{}}}", json.replace('/', "\\/")),
            format!("{{\"password\":{}}}", json.replace('\u{e9}', "\\u00e9")),
            format!("{{\"password\":{}}}", json.replace('\u{e9}', "\\u00E9")),
            // URL-encoded, form and percent, either hex case.
            format!("username=k&password={url}"),
            format!("password={}", url.to_ascii_lowercase()),
        ];
        for text in texts {
            let out = r.scrub(&text);
            assert!(out.contains("***"), "{text} -> {out}");
            for w in secret.as_bytes().windows(Redactor::WINDOW) {
                let w = String::from_utf8_lossy(w);
                assert!(!out.contains(&*w), "`{w}` survived in {out}");
            }
        }
        // Ordinary text is left alone, and a cut never splits a character.
        assert_eq!(r.scrub("nothing to see"), "nothing to see");
        let out = r.scrub(&format!("\u{e9}\u{e9}{secret}\u{e9}"));
        assert_eq!(out, "\u{e9}\u{e9}***\u{e9}");
    }

    #[test]
    fn the_process_wide_scrubber_knows_registered_values() {
        register(&Secret::new("golive-test-token-REGISTERED-42"));
        assert_eq!(
            scrub("Bearer golive-test-token-REGISTERED-42 rejected"),
            "Bearer *** rejected"
        );
        let mut v = serde_json::json!(["x golive-test-token-REGIS"]);
        scrub_json(&mut v);
        assert_eq!(v, serde_json::json!(["x ***"]));
    }
}
