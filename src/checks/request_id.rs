//! `kind = "request_id"`: does the API echo the `X-Request-Id` a client sends?
//!
//! Support tickets are traced by request id; an integration that logs its own ids
//! needs them to come back unchanged. One harmless GET (the currency list) carries a
//! fresh KSUID; the answer's `X-Request-Id` must be the same value.

use super::{CheckContext, CheckOutcome, credentials};
use crate::codes;
use crate::finding::Finding;

/// Runs the request-id check.
pub async fn run(ctx: &CheckContext) -> CheckOutcome {
    let t = &*ctx.target;
    let mut out = CheckOutcome::default();
    let session = match ctx
        .api
        .login(t.credentials().as_ref(), &ctx.log, ctx.deadline)
        .await
    {
        Ok(s) => s,
        Err(e) => {
            let reason = credentials::login_finding(&e, t);
            match &ctx.login_reported_by {
                Some(id) if !reason.incomplete => {
                    out.skipped = Some(format!("login failed ({}); see check `{id}`", reason.code))
                }
                _ => out.findings.push(Finding::incomplete(
                    &codes::API_UNREACHABLE,
                    format!("cannot probe request ids: login failed: {}", reason.message),
                )),
            }
            return out;
        }
    };
    let sent = crate::ksuid::new();
    out.evidence("sent", &sent);
    match ctx
        .api
        .get_with_request_id(
            "/api/v1/currencies",
            &session,
            &sent,
            &ctx.log,
            ctx.deadline,
        )
        .await
    {
        Ok(returned) => {
            out.evidence("returned", &returned);
            match returned {
                Some(r) if r == sent => out.pass_summary = Some(format!("X-Request-Id {sent} came back unchanged")),
                Some(r) => out.findings.push(Finding::new(
                    &codes::REQUEST_ID_NOT_ECHOED,
                    format!("sent X-Request-Id {sent} on GET /api/v1/currencies, got {r} back"),
                )),
                None => out.findings.push(Finding::new(
                    &codes::REQUEST_ID_NOT_ECHOED,
                    format!("sent X-Request-Id {sent} on GET /api/v1/currencies; the answer had no X-Request-Id"),
                )),
            }
        }
        Err(e) => out.findings.push(Finding::incomplete(
            &codes::API_UNREACHABLE,
            format!("GET /api/v1/currencies: {e}"),
        )),
    }
    out
}
