//! `kind = "attestation"`: the go-live steps no API can see (KYC/KYB approval, the
//! funding wire, the webhook URL registered with the account manager, the allowlist
//! submitted, production credentials received and stored), as signed-off items.
//!
//! An attestation passes when it names its evidence, who signed it off and when; it
//! goes stale after `max_age`.

use super::{CheckContext, CheckOutcome};
use crate::codes;
use crate::finding::Finding;
use crate::manifest::AttestationSpec;

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
            &codes::ATTESTATION_MISSING,
            format!("not signed off: {} missing", missing.join(", ")),
        ));
    }
    if let Some(date) = spec.date {
        let age = (today - date).get_days();
        out.evidence("age_days", age);
        if date > today {
            out.findings.push(Finding::new(
                &codes::ATTESTATION_MISSING,
                format!("the sign-off is dated {date}, in the future"),
            ));
        } else if let Some(max) = spec.max_age {
            let max_days = max.as_secs() / 86_400;
            if age as u64 > max_days {
                out.findings.push(Finding::new(
                    &codes::ATTESTATION_STALE,
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
