//! Check kinds: each turns its spec plus the run's context into findings.
//!
//! A check that found a problem returns findings; a check that could not complete
//! returns a finding marked `incomplete` (status `error`). Checks never decide
//! statuses, waivers or verdicts: the runner does, from the findings.

pub mod attestation;
pub mod client_retry;
pub mod credentials;
pub mod egress;
pub mod request_id;
pub mod retry_policy;
pub mod wallet;
pub mod webhook;

use std::sync::Arc;

use reqwest::Url;
use tokio::time::Instant;

use crate::finding::Finding;
use crate::manifest::{CheckKind, CheckSpec, ClientSpec, EnvSpec};
use crate::octopus::{CallLog, Credentials, OctopusClient};
use crate::secret::{Secret, SecretError, SecretRef};
use crate::tier::Tier;

/// The environment being checked, with its secrets resolved.
#[derive(Debug)]
pub struct Target {
    /// The env as written in the manifest.
    pub env: EnvSpec,
    /// The API base URL in use (the simulator's when `simulator = true`).
    pub base_url: Url,
    /// The resolved API key (or why it could not be resolved).
    pub api_key: Result<Secret, SecretError>,
    /// The resolved API secret.
    pub api_secret: Result<Secret, SecretError>,
    /// Other envs of the manifest, for the "same credentials on two tiers" test.
    pub others: Vec<OtherEnv>,
    /// The manifest's `[client]` table.
    pub client: Option<ClientSpec>,
    /// Egress address and allowlist (from the simulator for a simulator env).
    pub egress: egress::EgressFacts,
    /// Webhook endpoint, secret and extra roots (the simulator's receiver for a simulator env).
    pub webhook: webhook::WebhookTarget,
    /// Today's date (UTC), for attestation ages.
    pub today: jiff::civil::Date,
}

impl Target {
    /// The env name.
    pub fn name(&self) -> &str {
        &self.env.name
    }

    /// The env's tier.
    pub fn tier(&self) -> Tier {
        self.env.tier
    }

    /// Both credentials, when both resolved.
    pub fn credentials(&self) -> Option<Credentials> {
        match (&self.api_key, &self.api_secret) {
            (Ok(key), Ok(secret)) => Some(Credentials {
                key: key.clone(),
                secret: secret.clone(),
            }),
            _ => None,
        }
    }
}

/// What the credentials check needs to know of another env: never the values,
/// only where they come from and their SHA-256 digests (when resolvable here).
#[derive(Debug, Clone)]
pub struct OtherEnv {
    /// Env name.
    pub name: String,
    /// Its tier.
    pub tier: Tier,
    /// Whether it is a simulator env (its secrets are not the user's).
    pub simulator: bool,
    /// `api_key` reference and digest.
    pub key: Option<(SecretRef, Option<[u8; 32]>)>,
    /// `api_secret` reference and digest.
    pub secret: Option<(SecretRef, Option<[u8; 32]>)>,
}

/// Everything a check may use.
#[derive(Debug, Clone)]
pub struct CheckContext {
    /// The environment.
    pub target: Arc<Target>,
    /// The shared API client (one login per run).
    pub api: Arc<OctopusClient>,
    /// Where this check records its API calls.
    pub log: CallLog,
    /// When this check's time is up.
    pub deadline: Instant,
    /// Id of a credentials check in this run, which reports login failures itself.
    pub login_reported_by: Option<String>,
    /// The run's `--timeout`, not the check's own, sets `deadline`.
    pub run_deadline_binds: bool,
}

impl CheckContext {
    /// The finding for an API call that got no answer before the deadline.
    pub fn timeout_finding(&self, what: impl std::fmt::Display) -> Finding {
        if self.run_deadline_binds {
            Finding::incomplete(
                &crate::codes::RUN_TIMEOUT,
                format!("{what}: cancelled when the run's --timeout expired"),
            )
        } else {
            Finding::incomplete(
                &crate::codes::CHECK_TIMEOUT,
                format!("{what}: no answer within the check's timeout"),
            )
        }
    }
}

/// Why golive must not send this env's credentials anywhere, if it must not. The
/// credentials check reports the reason as findings; every other check that needs a
/// session obeys the same rule.
pub fn login_blocker(t: &Target) -> Option<String> {
    let url = &t.base_url;
    if url.scheme() == "http" && !crate::octopus::is_loopback_host(url) {
        return Some(format!("{url} is plain http:// to a non-loopback host"));
    }
    if !t.env.simulator && Tier::of_host(url) == Some(t.tier().other()) {
        return Some(format!(
            "a {} env points at the {} host",
            t.tier(),
            t.tier().other()
        ));
    }
    for (field, value) in [("api_key", &t.api_key), ("api_secret", &t.api_secret)] {
        match value {
            Err(e) => return Some(format!("{field}: {e}")),
            Ok(s) if credentials::malformation(s).is_some() => {
                return Some(format!("{field} is malformed"));
            }
            Ok(_) => {}
        }
    }
    None
}

/// The run's shared session for a check that needs one. When login is not allowed
/// or failed, the outcome to return instead: a skip when a credentials check in this
/// run reports the cause, otherwise an incomplete finding under `code`.
pub async fn session(
    ctx: &CheckContext,
    purpose: &str,
    code: &'static crate::codes::Code,
) -> Result<crate::octopus::Session, CheckOutcome> {
    let t = &*ctx.target;
    let (reason, incomplete) = match login_blocker(t) {
        Some(blocker) => (format!("login not attempted: {blocker}"), false),
        None => match ctx
            .api
            .login(t.credentials().as_ref(), &ctx.log, ctx.deadline)
            .await
        {
            Ok(s) => return Ok(s),
            Err(e) => {
                let f = credentials::login_finding(&e, ctx);
                if f.code == crate::codes::CHECK_TIMEOUT.code
                    || f.code == crate::codes::RUN_TIMEOUT.code
                {
                    return Err(CheckOutcome {
                        findings: vec![f],
                        ..CheckOutcome::default()
                    });
                }
                (
                    format!("login failed ({}): {}", f.code, f.message),
                    f.incomplete,
                )
            }
        },
    };
    Err(match &ctx.login_reported_by {
        Some(id) if !incomplete => CheckOutcome {
            skipped: Some(format!("{reason}; see check `{id}`")),
            ..CheckOutcome::default()
        },
        _ => CheckOutcome {
            findings: vec![Finding::incomplete(
                code,
                format!("cannot {purpose}: {reason}"),
            )],
            ..CheckOutcome::default()
        },
    })
}

/// What a check observed.
#[derive(Debug, Default)]
pub struct CheckOutcome {
    /// Findings, most important first.
    pub findings: Vec<Finding>,
    /// Facts behind the findings.
    pub evidence: serde_json::Map<String, serde_json::Value>,
    /// One line for a check with nothing above info.
    pub pass_summary: Option<String>,
    /// Set when the check did not apply or was made meaningless; the reason.
    pub skipped: Option<String>,
    /// Typed measurements for dashboards (also in `evidence`).
    pub measures: crate::measure::Measures,
}

impl CheckOutcome {
    /// Adds a piece of evidence.
    pub fn evidence(&mut self, key: &str, value: impl serde::Serialize) {
        self.evidence.insert(
            key.to_string(),
            serde_json::to_value(value).unwrap_or(serde_json::Value::Null),
        );
    }
}

/// A short title for a check, for reports.
pub fn title(spec: &CheckSpec) -> String {
    match &spec.kind {
        CheckKind::Credentials => "Credentials match the host and log in".into(),
        CheckKind::Wallet(w) => format!("{} wallet is funded", w.currency),
        CheckKind::Webhook(_) => "Webhook endpoint verifies signatures".into(),
        CheckKind::Egress => "Egress IP is inside the allowlist".into(),
        CheckKind::RequestId => "Request ids round-trip".into(),
        CheckKind::RetryPolicy => "Client retry policy follows the checklist".into(),
        CheckKind::Attestation(a) => a
            .title
            .clone()
            .unwrap_or_else(|| format!("Attestation `{}`", spec.id)),
        CheckKind::ClientRetry(_) => "Client handles rate limits and failures".into(),
    }
}

/// Runs one check.
pub async fn run(spec: &CheckSpec, ctx: &CheckContext) -> CheckOutcome {
    match &spec.kind {
        CheckKind::Credentials => credentials::run(ctx).await,
        CheckKind::Wallet(w) => wallet::run(w, ctx).await,
        CheckKind::Egress => egress::run(ctx).await,
        CheckKind::RequestId => request_id::run(ctx).await,
        CheckKind::RetryPolicy => retry_policy::run(ctx).await,
        CheckKind::Attestation(a) => attestation::run(a, ctx).await,
        CheckKind::Webhook(w) => webhook::run(w, ctx).await,
        CheckKind::ClientRetry(c) => client_retry::run(c, ctx).await,
    }
}
