//! Check kinds: each turns its settings plus the run's context into findings.
//!
//! # The check-kind contract
//!
//! Each kind lives in one module of this folder, which owns everything about it:
//! its settings type and the manifest keys that fill it (a [`KindDef`] whose
//! `parse` validates them, with located errors and lints), its default timeout, its
//! title, the finding codes only it reports, and its `run` (the [`Check`] trait).
//! [`KINDS`] lists the kinds: the manifest loader, `golive list`, `golive explain`,
//! the report schema and the README tests all iterate it, so adding a kind means one
//! new module, one row in [`KINDS`] and its rows in the README (ARCHITECTURE.md has
//! the recipe).
//!
//! A check that found a problem returns findings; a check that could not complete
//! returns a finding marked `incomplete` (status `error`). Checks never decide
//! statuses, waivers or verdicts: the runner does, from the findings.

pub mod attestation;
pub mod client_retry;
pub mod credentials;
pub mod egress;
mod evidence;
pub mod request_id;
pub mod retry_policy;
pub mod wallet;
pub mod webhook;

#[cfg(test)]
mod settings_tests;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use reqwest::Url;
use tokio::time::Instant;

use crate::codes::{self, Code};
use crate::finding::Finding;
use crate::manifest::{self, ClientSpec, EnvSpec, KindDef, ManifestError};
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
                &codes::RUN_TIMEOUT,
                format!("{what}: cancelled when the run's --timeout expired"),
            )
        } else {
            Finding::incomplete(
                &codes::CHECK_TIMEOUT,
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
    code: &'static Code,
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
                if f.code == codes::CHECK_TIMEOUT.code || f.code == codes::RUN_TIMEOUT.code {
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

/// A check kind's settings, and what it does with them.
pub trait Check: std::fmt::Debug + Send + Sync + 'static {
    /// A short title for a check with this id, for reports.
    fn title(&self, id: &str) -> String;

    /// Runs the check.
    fn run<'a>(&'a self, ctx: &'a CheckContext) -> BoxFuture<'a, CheckOutcome>;

    /// Whether this check reports the run's login failures itself (so that other
    /// checks that need a session skip and point at it).
    fn reports_login(&self) -> bool {
        false
    }

    /// Whether `golive watch` runs it (a check that runs the integration's own
    /// command does not belong in a loop).
    fn runs_in_watch(&self) -> bool {
        true
    }

    /// The concrete settings, for code that knows the kind (tests, mostly).
    fn as_any(&self) -> &dyn std::any::Any;
}

/// The settings of a kind that has no keys of its own (credentials, egress, ...):
/// its title in reports and its run.
#[derive(Clone, Copy)]
pub struct NoSettings {
    /// The check's title in reports.
    pub title: &'static str,
    /// Runs the check.
    pub run: fn(&CheckContext) -> BoxFuture<'_, CheckOutcome>,
    /// See [`Check::reports_login`].
    pub reports_login: bool,
}

impl std::fmt::Debug for NoSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoSettings")
            .field("title", &self.title)
            .finish_non_exhaustive()
    }
}

impl Check for NoSettings {
    fn title(&self, _id: &str) -> String {
        self.title.to_string()
    }

    fn run<'a>(&'a self, ctx: &'a CheckContext) -> BoxFuture<'a, CheckOutcome> {
        (self.run)(ctx)
    }

    fn reports_login(&self) -> bool {
        self.reports_login
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// The settings of one check, whatever its kind.
pub type Settings = Arc<dyn Check>;
/// A manifest of golive's check kinds.
pub type Manifest = manifest::Manifest<Settings>;
/// One `[[check]]` of golive's kinds.
pub type CheckSpec = manifest::CheckSpec<Settings>;
/// One check kind: one row of [`KINDS`].
#[derive(Debug)]
pub struct Kind {
    /// How the manifest spells and reads it.
    pub def: KindDef<Settings>,
    /// The finding codes only this kind reports (shared ones are in [`crate::codes`]).
    pub codes: &'static [&'static Code],
    /// What its report's `evidence` holds, one line.
    pub evidence_about: &'static str,
    /// The JSON Schema `properties` of its `evidence` (every kind's evidence also
    /// holds `api_calls`, which the report schema adds).
    pub evidence: fn() -> serde_json::Value,
}

/// Default per-check timeout when a check sets none.
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(15);

/// Every check kind, in documentation order.
pub static KINDS: &[Kind] = &[
    credentials::KIND,
    wallet::KIND,
    webhook::KIND,
    egress::KIND,
    request_id::KIND,
    retry_policy::KIND,
    attestation::KIND,
    client_retry::KIND,
];

/// Wraps a kind's settings value for the manifest.
pub(crate) fn settings(check: impl Check) -> Option<Settings> {
    Some(Arc::new(check))
}

/// The manifest's view of [`KINDS`].
fn defs() -> Vec<&'static KindDef<Settings>> {
    KINDS.iter().map(|k| &k.def).collect()
}

/// Reads and validates the manifest at `path` against [`KINDS`].
pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
    manifest::load(path, &defs())
}

/// Validates manifest text against [`KINDS`] (see [`manifest::parse`]).
pub fn parse(text: &str, path: &Path) -> Result<Manifest, ManifestError> {
    manifest::parse(text, path, &defs())
}

/// Every key the loader accepts, per table (see [`manifest::accepted_keys`]).
pub fn accepted_keys() -> Vec<(&'static str, &'static [&'static str])> {
    manifest::accepted_keys(&defs())
}

/// Every finding code, in documentation order: kind by kind (the shared codes a
/// kind reports, then its own), then the manifest's and the runner's.
pub fn all_codes() -> Vec<&'static Code> {
    let mut all = Vec::new();
    for kind in KINDS {
        all.extend(codes::ALL.iter().filter(|c| c.check == kind.def.name));
        all.extend(kind.codes.iter());
    }
    all.extend(
        codes::ALL
            .iter()
            .filter(|c| !KINDS.iter().any(|k| k.def.name == c.check)),
    );
    all
}

/// Looks a finding code up in [`all_codes`].
pub fn find_code(code: &str) -> Option<&'static Code> {
    all_codes().into_iter().find(|c| c.code == code)
}

/// A short title for a check, for reports.
pub fn title(spec: &CheckSpec) -> String {
    spec.settings.title(&spec.id)
}

/// Runs one check.
pub async fn run(spec: &CheckSpec, ctx: &CheckContext) -> CheckOutcome {
    spec.settings.run(ctx).await
}
