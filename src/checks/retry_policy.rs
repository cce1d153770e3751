//! `kind = "retry_policy"`: the `[client]` table judged against the go-live
//! checklist (octopus-api.md sections 7.6 and 7.7).
//!
//! This judges what the team *declares* about its client; `client_retry` watches the
//! client actually do it. Every finding says what goes wrong in production.

use std::time::Duration;

use super::{
    CheckContext, CheckOutcome, DEFAULT_CHECK_TIMEOUT, Kind, NoSettings, evidence, settings,
};
use crate::codes;
use crate::finding::{Finding, Level};
use crate::manifest::ClientSpec;
use crate::manifest::KindDef;

/// `kind = "retry_policy"`: no keys of its own.
pub const KIND: Kind = Kind {
    def: KindDef {
        name: "retry_policy",
        about: "the [client] table's timeouts, retries and backoff follow the go-live checklist",
        keys: &[],
        default_timeout: DEFAULT_CHECK_TIMEOUT,
        parse: |_| {
            settings(NoSettings {
                title: "Client retry policy follows the checklist",
                run: |ctx| Box::pin(run(ctx)),
                reports_login: false,
            })
        },
    },
    codes: CODES,
    evidence_about: "The [client] table as judged.",
    evidence,
};

/// The JSON Schema properties of this kind's evidence.
fn evidence() -> serde_json::Value {
    serde_json::json!({
        "client": {
            "type": "object",
            "properties": {
                "connect_timeout_ms": evidence::ms("connect_timeout"),
                "request_timeout_ms": evidence::ms("request_timeout"),
                "max_attempts": { "type": ["integer", "null"], "minimum": 0 },
                "backoff_initial_ms": evidence::ms("backoff_initial"),
                "backoff_max_ms": evidence::ms("backoff_max"),
                "retry_statuses": { "type": ["array", "null"], "items": { "type": "integer" } },
                "honours_retry_after": evidence::flag("honours_retry_after"),
                "uses_client_reference": evidence::flag("uses_client_reference"),
                "logs_request_id": evidence::flag("logs_request_id"),
                "uses_esim": evidence::flag("uses_esim")
            }
        }
    })
}

codes::declare_codes! {
    CODES;
    CLIENT_CONFIG_MISSING = { "client-config-missing", "retry_policy", Warn, false,
        "The manifest has no [client] table describing the integration's HTTP client.",
        "Timeouts, retries, backoff and idempotency are the most common causes of day-one incidents; without the table they cannot be judged.",
        "Add a [client] table with connect_timeout, request_timeout, max_attempts, backoff_initial, backoff_max, retry_statuses, honours_retry_after, uses_client_reference, logs_request_id and uses_esim, as your client is really configured.",
        Some(codes::DOCS_GOLIVE) }
    RETRIES_NON_RETRYABLE_4XX = { "retries-non-retryable-4xx", "retry_policy", Fail, false,
        "The client retries a 4xx other than 429.",
        "A 400, 403 or 404 fails identically every time: retrying burns the rate limit shared with the rest of your traffic and delays the real error.",
        "Retry only network errors, 5xx and 429. Remove other 4xx codes from retry_statuses; for 401, log in again once, then retry.",
        Some(codes::DOCS_GOLIVE) }
    RETRY_AFTER_IGNORED = { "retry-after-ignored", "retry_policy", Fail, false,
        "The client does not honour Retry-After on 429 (or does not declare it).",
        "Retrying sooner than Retry-After is answered with another 429, and a fleet doing it keeps the account throttled.",
        "Wait at least Retry-After seconds (fall back to the number in the error message), then retry; set honours_retry_after = true.",
        Some(codes::DOCS_RATE) }
    BACKOFF_OUT_OF_RANGE = { "backoff-out-of-range", "retry_policy", Warn, false,
        "The backoff is not about 200 ms doubling to a 10 s cap.",
        "Too short a backoff hammers a struggling API (a retry storm); too long a cap stalls orders long after the API recovered.",
        "Start at about 200ms, double each attempt, cap at about 10s (backoff_initial = \"200ms\", backoff_max = \"10s\").",
        Some(codes::DOCS_GOLIVE) }
    TIMEOUT_MISSING = { "timeout-missing", "retry_policy", Fail, false,
        "The client has no connect or request timeout.",
        "Without timeouts a hung connection holds a worker forever; under load that exhausts the pool and takes the integration down.",
        "Set connect_timeout (5-10s) and request_timeout (30-60s; above 60s for eSIM orders).",
        Some(codes::DOCS_GOLIVE) }
    TIMEOUT_OUT_OF_RANGE = { "timeout-out-of-range", "retry_policy", Warn, false,
        "A timeout is outside the checklist's range (connect 1-10s; request 30-60s, above 60s with eSIM).",
        "A too-short request timeout abandons orders Octopus is still processing (and a blind retry then duplicates them); a too-long one ties up workers.",
        "Use connect 5-10s and request 30-60s; with eSIM, a request timeout above 60s (about 65s), since eSIM creation may block for 60s by design.",
        Some(codes::DOCS_GOLIVE) }
    CLIENT_REFERENCE_UNUSED = { "client-reference-unused", "retry_policy", Fail, false,
        "Order creation does not send client_reference (or does not declare it).",
        "Without client_reference a retried order creation cannot be de-duplicated: a timeout followed by a retry ships the order twice.",
        "Send a unique client_reference on every order and reuse it on retries; after a 400 \"Duplicate client_reference\", look the order up with GET /api/v1/orders?client_reference=...",
        Some("https://octopus-docs.pages.dev/docs/best-practices/idempotency") }
    REQUEST_ID_NOT_LOGGED = { "request-id-not-logged", "retry_policy", Warn, false,
        "The client does not log X-Request-Id (or does not declare it).",
        "Support needs the request id of a failed call; without it an incident investigation starts from timestamps and guesses.",
        "Log the X-Request-Id of every response, success or failure, next to your own trace id.",
        Some("https://octopus-docs.pages.dev/docs/best-practices/observability") }
}

/// Runs the retry-policy check.
pub async fn run(ctx: &CheckContext) -> CheckOutcome {
    let mut out = CheckOutcome::default();
    judge(ctx.target.client.as_ref(), &mut out);
    out
}

fn secs(d: Duration) -> String {
    crate::duration::format(d)
}

/// The `[client]` table as data: durations in whole milliseconds (`*_ms`, as every
/// other duration in a report), a key not given is `null`.
fn client_evidence(c: &ClientSpec) -> serde_json::Value {
    let ms = |d: Option<Duration>| d.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    serde_json::json!({
        "connect_timeout_ms": ms(c.connect_timeout),
        "request_timeout_ms": ms(c.request_timeout),
        "max_attempts": c.max_attempts,
        "backoff_initial_ms": ms(c.backoff_initial),
        "backoff_max_ms": ms(c.backoff_max),
        "retry_statuses": c.retry_statuses,
        "honours_retry_after": c.honours_retry_after,
        "uses_client_reference": c.uses_client_reference,
        "logs_request_id": c.logs_request_id,
        "uses_esim": c.uses_esim,
    })
}

/// Judges a `[client]` table. Pure, so it is table-tested.
pub fn judge(client: Option<&ClientSpec>, out: &mut CheckOutcome) {
    let Some(c) = client else {
        out.findings.push(Finding::new(
            &CLIENT_CONFIG_MISSING,
            "the manifest has no [client] table describing the integration's HTTP client",
        ));
        return;
    };
    out.evidence("client", client_evidence(c));

    // Timeouts.
    match (c.connect_timeout, c.request_timeout) {
        (None, None) => out.findings.push(Finding::new(
            &TIMEOUT_MISSING,
            "neither connect_timeout nor request_timeout is set",
        )),
        (None, Some(_)) => out
            .findings
            .push(Finding::new(&TIMEOUT_MISSING, "connect_timeout is not set")),
        (Some(_), None) => out
            .findings
            .push(Finding::new(&TIMEOUT_MISSING, "request_timeout is not set")),
        _ => {}
    }
    if let Some(ct) = c.connect_timeout
        && !(Duration::from_secs(1)..=Duration::from_secs(10)).contains(&ct)
    {
        out.findings.push(Finding::new(
            &TIMEOUT_OUT_OF_RANGE,
            format!("connect_timeout {} is outside 1s-10s", secs(ct)),
        ));
    }
    if let Some(rt) = c.request_timeout {
        if c.uses_esim == Some(true) {
            if rt <= Duration::from_secs(60) {
                out.findings.push(Finding::new(
                    &TIMEOUT_OUT_OF_RANGE,
                    format!("request_timeout {} is not above 60s, but eSIM order creation may block for up to 60s by design", secs(rt)),
                ));
            }
        } else if !(Duration::from_secs(30)..=Duration::from_secs(60)).contains(&rt) {
            out.findings.push(Finding::new(
                &TIMEOUT_OUT_OF_RANGE,
                format!("request_timeout {} is outside 30s-60s", secs(rt)),
            ));
        }
    }

    // Which statuses are retried.
    match &c.retry_statuses {
        None => out.findings.push(Finding::new(
            &codes::NO_RETRY_ON_429,
            "retry_statuses is not declared, so it is unknown whether 429 and 5xx are retried",
        )),
        Some(statuses) => {
            for s in statuses
                .iter()
                .filter(|s| (400..500).contains(*s) && **s != 429)
            {
                let f = Finding::new(
                    &RETRIES_NON_RETRYABLE_4XX,
                    format!(
                        "retry_statuses includes {s}: a 4xx other than 429 fails the same way every time"
                    ),
                );
                out.findings.push(if *s == 401 {
                    f.with_level(Level::Warn).with_remediation(
                        "Do not retry 401 blindly: log in again (or refresh the token) and then retry once. Remove 401 from retry_statuses.",
                    )
                } else {
                    f
                });
            }
            if !statuses.contains(&429) {
                out.findings.push(Finding::new(
                    &codes::NO_RETRY_ON_429,
                    "retry_statuses does not include 429",
                ));
            }
            let missing: Vec<String> = [500u16, 502, 503, 504]
                .iter()
                .filter(|s| !statuses.contains(s))
                .map(ToString::to_string)
                .collect();
            if !missing.is_empty() {
                out.findings.push(Finding::new(
                    &codes::NO_RETRY_ON_5XX,
                    format!("retry_statuses does not include {}", missing.join(", ")),
                ));
            }
        }
    }
    match c.honours_retry_after {
        Some(true) => {}
        Some(false) => out.findings.push(Finding::new(
            &RETRY_AFTER_IGNORED,
            "honours_retry_after = false",
        )),
        None => out.findings.push(Finding::new(
            &RETRY_AFTER_IGNORED,
            "honours_retry_after is not declared",
        )),
    }

    // Backoff and attempts.
    match (c.backoff_initial, c.backoff_max) {
        (Some(initial), Some(max)) => {
            if !(Duration::from_millis(100)..=Duration::from_secs(1)).contains(&initial) {
                out.findings.push(Finding::new(
                    &BACKOFF_OUT_OF_RANGE,
                    format!(
                        "backoff_initial {} is outside 100ms-1s (the checklist says about 200ms)",
                        secs(initial)
                    ),
                ));
            }
            if !(Duration::from_secs(5)..=Duration::from_secs(30)).contains(&max) {
                out.findings.push(Finding::new(
                    &BACKOFF_OUT_OF_RANGE,
                    format!(
                        "backoff_max {} is outside 5s-30s (the checklist caps at 10s)",
                        secs(max)
                    ),
                ));
            }
            if max < initial {
                out.findings.push(Finding::new(
                    &BACKOFF_OUT_OF_RANGE,
                    format!(
                        "backoff_max {} is below backoff_initial {}",
                        secs(max),
                        secs(initial)
                    ),
                ));
            }
        }
        _ => out.findings.push(Finding::new(
            &BACKOFF_OUT_OF_RANGE,
            "backoff_initial and backoff_max are not both declared",
        )),
    }
    match c.max_attempts {
        None => out.findings.push(Finding::new(
            &codes::ATTEMPTS_UNBOUNDED,
            "max_attempts is not declared",
        )),
        Some(n) if n > 10 => out.findings.push(Finding::new(
            &codes::ATTEMPTS_UNBOUNDED,
            format!("max_attempts = {n}; more than 10 attempts turns an outage into a retry storm"),
        )),
        Some(_) => {}
    }

    // Idempotency and tracing.
    if c.uses_client_reference != Some(true) {
        let how = if c.uses_client_reference == Some(false) {
            "uses_client_reference = false"
        } else {
            "uses_client_reference is not declared"
        };
        out.findings
            .push(Finding::new(&CLIENT_REFERENCE_UNUSED, how));
    }
    if c.logs_request_id != Some(true) {
        let how = if c.logs_request_id == Some(false) {
            "logs_request_id = false"
        } else {
            "logs_request_id is not declared"
        };
        out.findings.push(Finding::new(&REQUEST_ID_NOT_LOGGED, how));
    }
    out.pass_summary = Some("the declared client follows the go-live checklist".into());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> ClientSpec {
        ClientSpec {
            connect_timeout: Some(Duration::from_secs(5)),
            request_timeout: Some(Duration::from_secs(30)),
            max_attempts: Some(5),
            backoff_initial: Some(Duration::from_millis(200)),
            backoff_max: Some(Duration::from_secs(10)),
            retry_statuses: Some(vec![429, 500, 502, 503, 504]),
            honours_retry_after: Some(true),
            uses_client_reference: Some(true),
            logs_request_id: Some(true),
            uses_esim: Some(false),
        }
    }

    fn codes_for(c: Option<&ClientSpec>) -> Vec<String> {
        let mut out = CheckOutcome::default();
        judge(c, &mut out);
        out.findings.into_iter().map(|f| f.code).collect()
    }

    #[test]
    fn the_checklist_client_passes() {
        assert!(codes_for(Some(&good())).is_empty());
    }

    #[test]
    fn every_deviation_has_its_code() {
        assert_eq!(codes_for(None), ["client-config-missing"]);
        type Change = Box<dyn Fn(&mut ClientSpec)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|c| c.connect_timeout = None), "timeout-missing"),
            (Box::new(|c| c.request_timeout = None), "timeout-missing"),
            (
                Box::new(|c| c.connect_timeout = Some(Duration::from_secs(30))),
                "timeout-out-of-range",
            ),
            (
                Box::new(|c| c.request_timeout = Some(Duration::from_secs(5))),
                "timeout-out-of-range",
            ),
            (
                Box::new(|c| c.uses_esim = Some(true)),
                "timeout-out-of-range",
            ),
            (
                Box::new(|c| c.retry_statuses = Some(vec![400, 429, 500, 502, 503, 504])),
                "retries-non-retryable-4xx",
            ),
            (
                Box::new(|c| c.retry_statuses = Some(vec![500, 502, 503, 504])),
                "no-retry-on-429",
            ),
            (
                Box::new(|c| c.retry_statuses = Some(vec![429, 500])),
                "no-retry-on-5xx",
            ),
            (
                Box::new(|c| c.honours_retry_after = Some(false)),
                "retry-after-ignored",
            ),
            (
                Box::new(|c| c.backoff_initial = Some(Duration::from_millis(10))),
                "backoff-out-of-range",
            ),
            (
                Box::new(|c| c.backoff_max = Some(Duration::from_secs(120))),
                "backoff-out-of-range",
            ),
            (Box::new(|c| c.max_attempts = None), "attempts-unbounded"),
            (
                Box::new(|c| c.max_attempts = Some(50)),
                "attempts-unbounded",
            ),
            (
                Box::new(|c| c.uses_client_reference = Some(false)),
                "client-reference-unused",
            ),
            (
                Box::new(|c| c.logs_request_id = None),
                "request-id-not-logged",
            ),
        ];
        for (change, code) in cases {
            let mut c = good();
            change(&mut c);
            assert_eq!(codes_for(Some(&c)), [code], "{c:?}");
        }
        let mut esim = good();
        esim.uses_esim = Some(true);
        esim.request_timeout = Some(Duration::from_secs(90));
        assert!(codes_for(Some(&esim)).is_empty());
    }
}
