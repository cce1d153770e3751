//! `kind = "request_id"`: does the API echo the `X-Request-Id` a client sends?
//!
//! Support tickets are traced by request id; an integration that logs its own ids
//! needs them to come back unchanged. One harmless GET (the currency list) carries a
//! fresh KSUID; the answer's `X-Request-Id` must be the same value.

use super::{
    CheckContext, CheckOutcome, DEFAULT_CHECK_TIMEOUT, Kind, NoSettings, evidence, settings,
};
use crate::codes;
use crate::finding::Finding;
use crate::manifest::KindDef;
use crate::octopus::ApiError;

/// `kind = "request_id"`: no keys of its own.
pub const KIND: Kind = Kind {
    def: KindDef {
        name: "request_id",
        about: "the API echoes the X-Request-Id the integration sends",
        keys: &[],
        default_timeout: DEFAULT_CHECK_TIMEOUT,
        parse: |_| {
            settings(NoSettings {
                title: "Request ids round-trip",
                run: |ctx| Box::pin(run(ctx)),
                reports_login: false,
            })
        },
    },
    codes: CODES,
    evidence_about: "The X-Request-Id sent and the one returned.",
    evidence,
};

/// The JSON Schema properties of this kind's evidence.
fn evidence() -> serde_json::Value {
    let string = evidence::string();
    serde_json::json!({
        "sent": string,
        "returned": { "type": ["string", "null"] }
    })
}

codes::declare_codes! {
    CODES;
    REQUEST_ID_NOT_ECHOED = { "request-id-not-echoed", "request_id", Warn, false,
        "The API did not return the X-Request-Id golive sent.",
        "Support traces requests by id; if your own ids do not come back (a proxy rewrites them, or they are not KSUID-compatible), your logs and Octopus's cannot be matched in an incident.",
        "Send KSUID-format ids (base62, under 64 characters) and make sure no proxy between you and Octopus strips or rewrites X-Request-Id. Log the id that comes back.",
        Some("https://octopus-docs.pages.dev/docs/best-practices/observability") }
}

/// Runs the request-id check.
pub async fn run(ctx: &CheckContext) -> CheckOutcome {
    let mut out = CheckOutcome::default();
    let session = match super::session(ctx, "probe request ids", &codes::API_UNREACHABLE).await {
        Ok(s) => s,
        Err(outcome) => return outcome,
    };
    let sent = crate::ksuid::new();
    out.evidence("sent", &sent);
    let path = "/api/v1/currencies";
    match ctx
        .api
        .get_with_request_id(path, &session, &sent, &ctx.log, ctx.deadline)
        .await
    {
        Ok(returned) => {
            out.evidence("returned", &returned);
            match returned {
                Some(r) if r == sent => {
                    out.pass_summary = Some(format!("X-Request-Id {sent} came back unchanged"))
                }
                Some(r) => out.findings.push(Finding::new(
                    &REQUEST_ID_NOT_ECHOED,
                    format!("sent X-Request-Id {sent} on GET {path}, got {r} back"),
                )),
                None => out.findings.push(Finding::new(
                    &REQUEST_ID_NOT_ECHOED,
                    format!(
                        "sent X-Request-Id {sent} on GET {path}; the answer had no X-Request-Id"
                    ),
                )),
            }
        }
        Err(ApiError::Timeout(what)) => out.findings.push(ctx.timeout_finding(what)),
        Err(e @ ApiError::BudgetExhausted) => out.findings.push(Finding::incomplete(
            &codes::CALL_BUDGET_EXHAUSTED,
            e.to_string(),
        )),
        Err(e) => out.findings.push(Finding::incomplete(
            &codes::API_UNREACHABLE,
            format!("GET {path}: {e}"),
        )),
    }
    out
}
