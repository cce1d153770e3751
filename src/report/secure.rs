//! The last gate before any renderer: every string of a report is stripped of
//! terminal control and scrubbed of every known secret.
//!
//! Text from the network is already cleaned where it enters golive
//! ([`crate::text::untrusted`]); this pass makes that a guarantee for everything a
//! report holds, including reports read back from files (`golive report merge`),
//! so no renderer, whatever its format or colour setting, can print raw server
//! bytes or a secret. A report that cannot be secured is an internal error: it is
//! never printed as it was.

/// Why a report could not be secured.
#[derive(Debug, thiserror::Error)]
#[error("cannot secure the report before printing it: {0}")]
pub struct SecureError(#[from] serde_json::Error);

/// `report` (a [`super::Report`], a [`super::MultiReport`]) with every string sanitized ([`crate::text::sanitize_lines`]: line
/// breaks are kept for multi-line evidence such as command output, which renderers
/// print line by line) and scrubbed ([`crate::secret::scrub`]).
pub fn secure<T>(report: T) -> Result<T, SecureError>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let mut value = serde_json::to_value(&report)?;
    secure_json(&mut value);
    Ok(serde_json::from_value(value)?)
}

/// Fields of the report model that hold one of a fixed set of words (a tier, a
/// status, a level...). A valid one can hold no secret, and scrubbing one that
/// happens to share a few letters with a secret would corrupt the report, so they
/// are only sanitized; an invalid one fails to read back and is an error.
const WORD_FIELDS: &[&str] = &["tier", "verdict", "severity", "status", "level"];

/// [`secure`] for any JSON value, in place; object keys included.
pub fn secure_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) => *s = crate::secret::scrub(&crate::text::sanitize_lines(s)),
        Value::Array(items) => items.iter_mut().for_each(secure_json),
        Value::Object(map) => {
            let entries = std::mem::take(map);
            for (k, mut v) in entries {
                match &mut v {
                    Value::String(s) if WORD_FIELDS.contains(&k.as_str()) => {
                        *s = crate::text::sanitize(s);
                    }
                    _ => secure_json(&mut v),
                }
                map.insert(crate::secret::scrub(&crate::text::sanitize(&k)), v);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_keys_are_cleaned_and_numbers_kept() {
        crate::secret::register(&crate::secret::Secret::new("sk_live_SECUREPASS_0123456789"));
        let mut v = serde_json::json!({
            "msg\u{1b}[2J": "HTTP 403 \u{1b}[2J\u{1b}]0;pwned\u{7}READY sk_live_SECUREPASS_0123",
            "lines": "one\ntwo\u{9b}31m",
            "n": 1.5,
            "list": ["\u{202e}x"],
        });
        secure_json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({
                "msg": "HTTP 403 READY ***",
                "lines": "one\ntwo",
                "n": 1.5,
                "list": ["x"],
            })
        );
    }
}
