//! `kind = "attestation"`: the go-live steps no API can see (KYC/KYB approval, the
//! funding wire, the webhook URL registered with the account manager, the allowlist
//! submitted, production credentials received and stored), as signed-off items.
//!
//! An attestation passes when it names its evidence, who signed it off and when; it
//! goes stale after `max_age`.

use std::time::Duration;

use futures_util::future::BoxFuture;

use super::{Check, CheckContext, CheckOutcome, DEFAULT_CHECK_TIMEOUT, Kind, settings};
use crate::codes;
use crate::finding::Finding;
use crate::manifest::DiagLevel;
use crate::manifest::KindDef;
use crate::manifest::kind::{KindInput, raw};

/// `kind = "attestation"`.
pub const KIND: Kind = Kind {
    def: KindDef {
        name: "attestation",
        about: "a go-live step no API can see is signed off, with evidence, by someone, recently",
        keys: &["title", "evidence", "signed_off_by", "date", "max_age"],
        default_timeout: DEFAULT_CHECK_TIMEOUT,
        parse: |input| parse(input).and_then(settings),
    },
    codes: CODES,
    evidence_about: "The sign-off as written in the manifest.",
    evidence,
};

/// The JSON Schema properties of this kind's evidence.
fn evidence() -> serde_json::Value {
    serde_json::json!({
        "evidence": { "type": ["string", "null"] },
        "signed_off_by": { "type": ["string", "null"] },
        "date": { "type": ["string", "null"], "description": "YYYY-MM-DD." },
        "age_days": { "type": "integer" }
    })
}

codes::declare_codes! {
    CODES;
    ATTESTATION_MISSING = { "attestation-missing", "attestation", Fail, false,
        "A go-live step is not signed off: evidence, signer or date missing (or dated in the future).",
        "KYC/KYB, the funding wire, the webhook registration, the allowlist and the production credentials are human steps; launch without them and Octopus does not activate the account, or activates it half-configured.",
        "Complete the step and record it: evidence (a ticket or document link), signed_off_by and date in the attestation check.",
        Some(codes::DOCS_PRODUCTION) }
    ATTESTATION_STALE = { "attestation-stale", "attestation", Warn, false,
        "A sign-off is older than its max_age.",
        "Old sign-offs drift from reality (rotated credentials, changed NAT addresses, renewed documents).",
        "Re-confirm the step and update the date, or raise max_age if the step really does not expire.",
        Some(codes::DOCS_PRODUCTION) }
}

/// `kind = "attestation"` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct AttestationSpec {
    /// What was attested.
    pub title: Option<String>,
    /// Link or reference to the evidence; empty or missing fails.
    pub evidence: Option<String>,
    /// Who signed it off.
    pub signed_off_by: Option<String>,
    /// When it was signed off.
    pub date: Option<jiff::civil::Date>,
    /// Older sign-offs warn.
    pub max_age: Option<Duration>,
}

impl Check for AttestationSpec {
    fn title(&self, id: &str) -> String {
        self.title
            .clone()
            .unwrap_or_else(|| format!("Attestation `{id}`"))
    }

    fn run<'a>(&'a self, ctx: &'a CheckContext) -> BoxFuture<'a, CheckOutcome> {
        Box::pin(run(self, ctx))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Placeholder values that mean "not filled in yet".
const PLACEHOLDERS: &[&str] = &["todo", "tbd", "fixme", "xxx", "n/a", "changeme", "..."];

/// Whether an attestation value is blank or an obvious placeholder.
fn unfilled(value: Option<&str>) -> bool {
    let Some(v) = value else { return true };
    let v = v.trim();
    let lower = v.to_lowercase();
    v.is_empty()
        || PLACEHOLDERS.contains(&lower.as_str())
        || lower.starts_with("todo")
        || (v.starts_with('<') && v.ends_with('>'))
}

/// Validates an attestation's keys; lints one that is not signed off yet, or is
/// dated in the future.
pub fn parse(input: &mut KindInput<'_, '_, '_>) -> Option<AttestationSpec> {
    // A one-line label a person reads in every report: a tighter bound than text.
    let label = |f: &raw::Field<'_, '_>, d: &mut raw::Diags| {
        raw::string_max(f.value, &f.what(), raw::MAX_LABEL, d).map(str::to_string)
    };
    let spec = AttestationSpec {
        title: input.optional("title", label),
        evidence: input.optional("evidence", |f, d| {
            raw::string(f.value, &f.what(), d).map(str::to_string)
        }),
        signed_off_by: input.optional("signed_off_by", label),
        date: input.optional("date", |f, d| raw::date(f.value, &f.what(), d)),
        max_age: input.optional("max_age", |f, d| raw::duration(f.value, &f.what(), d)),
    };
    let id = input.id.to_string();
    let mut missing = Vec::new();
    for (key, value) in [
        ("evidence", spec.evidence.as_deref()),
        ("signed_off_by", spec.signed_off_by.as_deref()),
    ] {
        if unfilled(value) {
            missing.push(key);
        }
    }
    if spec.date.is_none() {
        missing.push("date");
    }
    if !missing.is_empty() {
        // At the first unfilled key that is written down (at the id otherwise).
        let at: Vec<&str> = missing.iter().copied().filter(|k| *k != "date").collect();
        input.lint(
            &at,
            DiagLevel::Warning,
            &ATTESTATION_MISSING,
            format!(
                "attestation `{id}` is not signed off yet: {} {} missing or a placeholder, so the check fails until the step is done",
                missing.join(", "),
                if missing.len() == 1 { "is" } else { "are" }
            ),
            "once the step is done, fill in evidence (a ticket or document link), signed_off_by and date = YYYY-MM-DD",
        );
    }
    if let Some(date) = spec.date
        && date > input.today
    {
        let today = input.today;
        input.lint(
            &["date"],
            DiagLevel::Error,
            &ATTESTATION_MISSING,
            format!(
                "attestation `{id}` is dated {date}, in the future (today is {today}, UTC): a sign-off records a step already done, and the check fails until that date"
            ),
            "write the date the step was actually signed off (YYYY-MM-DD, UTC)",
        );
    }
    Some(spec)
}

/// Runs an attestation check.
pub async fn run(spec: &AttestationSpec, ctx: &CheckContext) -> CheckOutcome {
    let mut out = CheckOutcome::default();
    judge(spec, ctx.target.today, &mut out);
    out
}

/// Judges an attestation on `today` (UTC). Pure, so it is table-tested.
pub fn judge(spec: &AttestationSpec, today: jiff::civil::Date, out: &mut CheckOutcome) {
    let blank = |s: &Option<String>| s.as_deref().is_none_or(|v| v.trim().is_empty());
    out.evidence("evidence", &spec.evidence);
    out.evidence("signed_off_by", &spec.signed_off_by);
    out.evidence("date", spec.date.map(|d| d.to_string()));
    let mut missing = Vec::new();
    if blank(&spec.evidence) {
        missing.push("evidence");
    }
    if blank(&spec.signed_off_by) {
        missing.push("signed_off_by");
    }
    if spec.date.is_none() {
        missing.push("date");
    }
    if !missing.is_empty() {
        out.findings.push(Finding::new(
            &ATTESTATION_MISSING,
            format!("not signed off: {} missing", missing.join(", ")),
        ));
    }
    if let Some(date) = spec.date {
        let age = (today - date).get_days();
        out.evidence("age_days", age);
        if date > today {
            out.findings.push(Finding::new(
                &ATTESTATION_MISSING,
                format!("the sign-off is dated {date}, in the future"),
            ));
        } else if let Some(max) = spec.max_age {
            let max_days = max.as_secs() / 86_400;
            if age as u64 > max_days {
                out.findings.push(Finding::new(
                    &ATTESTATION_STALE,
                    format!(
                        "signed off {age} days ago ({date}); max_age is {}",
                        crate::duration::format(max)
                    ),
                ));
            }
        }
    }
    if let (Some(who), Some(date)) = (&spec.signed_off_by, spec.date) {
        out.pass_summary = Some(format!("signed off by {who} on {date}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use std::time::Duration;

    fn spec() -> AttestationSpec {
        AttestationSpec {
            title: Some("KYC/KYB approved".into()),
            evidence: Some("https://tracker.example.com/ONB-42".into()),
            signed_off_by: Some("ops@example.com".into()),
            date: Some(date(2026, 11, 20)),
            max_age: Some(Duration::from_secs(90 * 86_400)),
        }
    }

    fn codes_for(s: &AttestationSpec, today: jiff::civil::Date) -> Vec<String> {
        let mut out = CheckOutcome::default();
        judge(s, today, &mut out);
        out.findings.into_iter().map(|f| f.code).collect()
    }

    #[test]
    fn attestation_rules() {
        let today = date(2026, 11, 29);
        assert!(codes_for(&spec(), today).is_empty());
        let mut s = spec();
        s.evidence = Some("  ".into());
        assert_eq!(codes_for(&s, today), ["attestation-missing"]);
        let mut s = spec();
        s.signed_off_by = None;
        s.date = None;
        assert_eq!(codes_for(&s, today), ["attestation-missing"]);
        let mut s = spec();
        s.date = Some(date(2026, 12, 25));
        assert_eq!(codes_for(&s, today), ["attestation-missing"]);
        // Exactly max_age old is still fresh; one day more is stale.
        let mut s = spec();
        s.date = Some(date(2026, 8, 31));
        assert!(codes_for(&s, today).is_empty(), "90 days");
        s.date = Some(date(2026, 8, 30));
        assert_eq!(codes_for(&s, today), ["attestation-stale"]);
        let mut s = spec();
        s.max_age = None;
        s.date = Some(date(2020, 1, 1));
        assert!(codes_for(&s, today).is_empty());
    }
}
