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

/// [`secure`] for one run's [`super::Report`], keeping each check's typed
/// [`crate::measure::Measures`] (which JSON does not carry), their one string
/// cleaned and scrubbed like every other.
pub fn secure_report(report: super::Report) -> Result<super::Report, SecureError> {
    let measures: Vec<_> = report.checks.iter().map(|c| c.measures.clone()).collect();
    let mut secured = secure(report)?;
    for (check, mut m) in secured.checks.iter_mut().zip(measures) {
        if let Some(balance) = &mut m.wallet_balance {
            balance.currency = crate::secret::scrub(&crate::text::sanitize(&balance.currency));
        }
        check.measures = m;
    }
    Ok(secured)
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
    fn a_report_keeps_its_measures_and_their_text_is_cleaned() {
        let mut report = crate::report::fixtures::with_evidence();
        report.checks[1].evidence = serde_json::json!({"note": "a\u{1b}[2Jb"});
        report.checks[1].measures.wallet_balance = Some(crate::measure::WalletBalance {
            currency: "US\u{1b}[31mD".into(),
            amount: 900.0,
        });
        let secured = secure_report(report.clone()).unwrap();
        assert_eq!(secured.checks[1].evidence["note"], "ab");
        let balance = secured.checks[1].measures.wallet_balance.as_ref().unwrap();
        assert_eq!((balance.currency.as_str(), balance.amount), ("USD", 900.0));
        assert_eq!(secured.checks[2].measures, report.checks[2].measures);
        // The generic pass goes through JSON, which does not carry them.
        let plain = secure(report).unwrap();
        assert_eq!(plain.checks[1].measures, Default::default());
    }

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
