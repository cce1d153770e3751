//! `kind = "request_id"`: does the API echo the `X-Request-Id` a client sends?
//!
//! Support tickets are traced by request id; an integration that logs its own ids
//! needs them to come back unchanged. One harmless GET (the currency list) carries a
//! fresh KSUID; the answer's `X-Request-Id` must be the same value.

use futures_util::future::BoxFuture;

use super::{Check, CheckContext, CheckOutcome, DEFAULT_CHECK_TIMEOUT, Kind, settings};
use crate::codes;
use crate::finding::Finding;
use crate::octopus::ApiError;

/// `kind = "request_id"`: no settings of its own.
pub const KIND: Kind = Kind {
    name: "request_id",
    about: "the API echoes the X-Request-Id the integration sends",
    keys: &[],
    default_timeout: DEFAULT_CHECK_TIMEOUT,
    parse: |_| settings(RequestIdCheck),
};

/// The `request_id` check (it has no settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestIdCheck;

impl Check for RequestIdCheck {
    fn title(&self, _id: &str) -> String {
        "Request ids round-trip".into()
    }

    fn run<'a>(&'a self, ctx: &'a CheckContext) -> BoxFuture<'a, CheckOutcome> {
        Box::pin(run(ctx))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
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
                    &codes::REQUEST_ID_NOT_ECHOED,
                    format!("sent X-Request-Id {sent} on GET {path}, got {r} back"),
                )),
                None => out.findings.push(Finding::new(
                    &codes::REQUEST_ID_NOT_ECHOED,
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
