//! Hand-built reports shared by the renderer tests, so every renderer is proven
//! against the same inputs: one check of each status, findings of each level, a
//! live and an expired waiver, request ids and evidence.

use serde_json::json;

use super::model::*;
use crate::finding::{Finding, Level};
use crate::manifest::Severity;
use crate::tier::Tier;

/// A finding with explicit fields; fixtures must not depend on the code table.
fn finding(code: &str, level: Level, message: &str, fix: &str, docs: Option<&str>) -> Finding {
    Finding {
        code: code.to_string(),
        level,
        message: message.to_string(),
        remediation: fix.to_string(),
        docs: docs.map(str::to_string),
        incomplete: false,
    }
}

/// A check with the given identity and outcome and nothing else.
fn check(
    id: &str,
    kind: &str,
    status: Status,
    blocking: bool,
    ms: u64,
    summary: &str,
) -> CheckReport {
    CheckReport {
        id: id.to_string(),
        kind: kind.to_string(),
        title: format!("{id} title"),
        severity: Severity::Error,
        status,
        blocking,
        duration_ms: ms,
        summary: summary.to_string(),
        findings: Vec::new(),
        evidence: json!({}),
        request_ids: Vec::new(),
        waiver: None,
        attempts: None,
        flaky: false,
        measures: Default::default(),
    }
}

/// A `not_ready` report with one check of every status (and a second `fail`
/// carrying an expired waiver), in manifest order.
pub(crate) fn all_statuses() -> Report {
    let mut credentials = check(
        "credentials",
        "credentials",
        Status::Pass,
        false,
        12,
        "logged in as client cl_live_42",
    );
    credentials.findings.push(finding(
        "login-ok",
        Level::Info,
        "login succeeded for client_id cl_live_42",
        "nothing to do",
        None,
    ));
    credentials.request_ids = vec!["req_cred_1".into(), "req_cred_2".into()];
    credentials.evidence = json!({ "client_id": "cl_live_42", "status": 200 });

    let mut wallet = check(
        "wallet-usd",
        "wallet",
        Status::Warn,
        false,
        240,
        "USD balance is below the warning level",
    );
    wallet.findings.push(finding(
        "balance-low",
        Level::Warn,
        "USD wallet balance 900.00 is below warn_balance 1000.00",
        "top up the USD wallet by wire before launch",
        Some("https://octopus-docs.pages.dev/docs/reference/wallets"),
    ));
    wallet.findings.push(finding(
        "wallet-type-ok",
        Level::Info,
        "wallet type is prepaid",
        "",
        None,
    ));
    wallet.request_ids = vec!["req_wallet_1".into()];

    let mut webhook = check(
        "webhook",
        "webhook",
        Status::Fail,
        true,
        1240,
        "endpoint accepted a delivery with a bad signature",
    );
    webhook.findings.push(finding(
        "bad-signature-accepted",
        Level::Fail,
        "https://hooks.example.com/octopus answered 200 to a delivery signed with the wrong key",
        "verify X-Signature with HMAC-SHA256 over the raw body and reject mismatches",
        Some("https://octopus-docs.pages.dev/docs/reference/webhooks/verification"),
    ));
    webhook.findings.push(finding(
        "unknown-event-rejected",
        Level::Warn,
        "an unknown event type was answered with 400",
        "acknowledge event types you do not handle with 2xx",
        None,
    ));

    let mut egress = check(
        "egress",
        "egress",
        Status::Error,
        true,
        10_000,
        "could not learn the egress IP",
    );
    let mut unknown = finding(
        "egress-ip-unknown",
        Level::Fail,
        "the IP echo service timed out after 10s",
        "check outbound connectivity, or set egress.ip in the manifest",
        None,
    );
    unknown.incomplete = true;
    egress.findings.push(unknown);

    let skipped = check(
        "request-id",
        "request_id",
        Status::Skip,
        false,
        0,
        "filtered out by --skip",
    );

    let mut attestation = check(
        "kyb-attested",
        "attestation",
        Status::Waived,
        false,
        1,
        "KYB approval has not been attested",
    );
    attestation.findings.push(finding(
        "attestation-missing",
        Level::Fail,
        "no attestation for step kyb",
        "record the KYB approval under [attestations] once Octopus confirms it",
        None,
    ));
    attestation.waiver = Some(WaiverReport {
        reason: "KYB approval expected Monday".into(),
        owner: "ops@example.com".into(),
        expires: "2026-12-01".into(),
        expired: false,
    });

    let mut retry = check(
        "retry-policy",
        "retry_policy",
        Status::Fail,
        true,
        0,
        "the client does not retry 429 responses",
    );
    retry.findings.push(finding(
        "no-retry-on-429",
        Level::Fail,
        "[client] retry_on does not include 429",
        "retry 429 responses after the Retry-After delay",
        None,
    ));
    retry.findings.push(finding(
        "waiver-expired",
        Level::Warn,
        "the waiver for retry-policy expired on 2026-11-01",
        "fix the check or renew the waiver with a new expiry",
        None,
    ));
    retry.waiver = Some(WaiverReport {
        reason: "client rewrite in progress".into(),
        owner: "dev@example.com".into(),
        expires: "2026-11-01".into(),
        expired: true,
    });

    let checks = vec![
        credentials,
        wallet,
        webhook,
        egress,
        skipped,
        attestation,
        retry,
    ];
    Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "golive".into(),
            version: "0.1.0".into(),
        },
        manifest: "checks.toml".into(),
        environment: Environment {
            name: "production".into(),
            tier: Tier::Production,
            base_url: "https://api.octopuscards.io".into(),
            simulator: false,
        },
        started_at: "2026-11-29T02:00:00Z".parse().unwrap(),
        duration_ms: 10_312,
        verdict: Verdict::NotReady,
        exit_code: 1,
        summary: Report::summarize(&checks),
        checks,
    }
}

/// A `ready` report for a simulator env with no checks at all.
pub(crate) fn empty_ready() -> Report {
    Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "golive".into(),
            version: "0.1.0".into(),
        },
        manifest: "checks.toml".into(),
        environment: Environment {
            name: "sim".into(),
            tier: Tier::Sandbox,
            base_url: "http://127.0.0.1:8080".into(),
            simulator: true,
        },
        started_at: "2026-11-29T02:00:00Z".parse().unwrap(),
        duration_ms: 3,
        verdict: Verdict::Ready,
        exit_code: 0,
        summary: Report::summarize(&[]),
        checks: Vec::new(),
    }
}

/// [`all_statuses`] with the facts dashboards read: the wallet check's balance
/// and currency, and the webhook check's certificate expiry, as evidence and as
/// the typed measures the Prometheus renderer reads.
pub(crate) fn with_evidence() -> Report {
    let mut report = all_statuses();
    for check in &mut report.checks {
        match check.kind.as_str() {
            "wallet" => {
                check.evidence = json!({
                    "wallets": [
                        { "id": 7, "currency": "USD", "currency_id": 1, "amount": 900.0, "type": "prepaid" },
                        { "id": 8, "currency": "HKD", "currency_id": 2, "amount": 12000.5, "type": "prepaid" }
                    ],
                    "currency": "USD",
                    "balance": 900.0
                });
                check.measures.wallet_balance = Some(crate::measure::WalletBalance {
                    currency: "USD".into(),
                    amount: 900.0,
                });
            }
            "webhook" => {
                check.evidence = json!({
                    "url": "https://hooks.example.com/octopus",
                    "tls": {
                        "untrusted": null,
                        "subject": "CN=hooks.example.com",
                        "issuer": "CN=R11, O=Let's Encrypt, C=US",
                        "not_before": "2026-10-03T00:00:00Z",
                        "not_after": "2027-01-01T00:00:00Z",
                        "days_left": 32,
                        "protocol": "TLSv1_3"
                    }
                });
                check.measures.cert_not_after = "2027-01-01T00:00:00Z".parse().ok();
            }
            _ => {}
        }
    }
    report
}
