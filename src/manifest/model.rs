//! The validated manifest: domain types that the rest of golive consumes.
//!
//! Everything here has already been checked (ids, CIDRs, URLs, durations, secret
//! references), so nothing downstream re-parses a string. Produced only by
//! [`crate::manifest::load`].

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;
use reqwest::Url;

use crate::secret::SecretRef;
use crate::tier::Tier;

/// Default per-check timeout when a check sets none.
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(15);
/// Default timeout of a `client_retry` check: it runs the integration's own command
/// twice or three times, and a client backing off to a 10 s cap needs minutes.
pub const CLIENT_RETRY_TIMEOUT: Duration = Duration::from_secs(120);

/// A loaded and validated `checks.toml`.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The path as the user gave it, for messages and reports.
    pub path: PathBuf,
    /// The manifest's folder: every relative path in the manifest (secret files,
    /// `ca_file`, a `client_retry` command and plan) resolves against it.
    pub base_dir: PathBuf,
    /// Manifest format version (always 1 today).
    pub version: u32,
    /// Env used when `--env` is not given.
    pub default_env: Option<String>,
    /// Environments in file order.
    pub envs: Vec<EnvSpec>,
    /// How the integration's own HTTP client is configured, if described.
    pub client: Option<ClientSpec>,
    /// Checks in file order; reports keep this order.
    pub checks: Vec<CheckSpec>,
    /// Waivers in file order.
    pub waivers: Vec<WaiverSpec>,
    /// What `golive validate` reports about this manifest although it loaded
    /// (warnings, and errors such as "no check"), in file order. `golive check`
    /// does not act on them.
    pub lints: Vec<super::Diagnostic>,
}

impl Manifest {
    /// Looks an env up by name.
    pub fn env(&self, name: &str) -> Option<&EnvSpec> {
        self.envs.iter().find(|e| e.name == name)
    }
}

/// One `[env.NAME]` table.
#[derive(Debug, Clone)]
pub struct EnvSpec {
    /// The table name, e.g. `production`.
    pub name: String,
    /// Which Octopus tier this env targets.
    pub tier: Tier,
    /// golive starts its own simulator for this env and points it there.
    pub simulator: bool,
    /// Simulator scenario (only with `simulator = true`), e.g. `low-balance`.
    pub scenario: Option<String>,
    /// API base URL; `None` means the tier's canonical host.
    pub base_url: Option<Url>,
    /// API key reference.
    pub api_key: Option<SecretRef>,
    /// API secret reference.
    pub api_secret: Option<SecretRef>,
    /// The integration's webhook endpoint.
    pub webhook_url: Option<Url>,
    /// Webhook signing secret reference.
    pub webhook_secret: Option<SecretRef>,
    /// CIDRs given to the account manager; `None` when the key is absent.
    pub egress_allowlist: Option<Vec<IpNet>>,
    /// How to learn the egress IP.
    pub egress_ip: Option<EgressIpSpec>,
    /// "What is my IP" service used by `egress_ip = "auto"`.
    pub egress_echo_url: Option<Url>,
    /// Extra trusted root certificate (PEM) for this env only.
    pub ca_file: Option<PathBuf>,
}

/// `egress_ip`: ask an echo service, or the declared NAT addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EgressIpSpec {
    /// Ask `egress_echo_url`.
    Auto,
    /// Every declared address must be inside the allowlist.
    Addrs(Vec<IpAddr>),
}

/// The `[client]` table: how the integration's own client behaves (retry_policy check).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientSpec {
    /// TCP/TLS connect timeout.
    pub connect_timeout: Option<Duration>,
    /// Whole-request timeout.
    pub request_timeout: Option<Duration>,
    /// Maximum attempts per request, first one included.
    pub max_attempts: Option<u32>,
    /// First backoff delay.
    pub backoff_initial: Option<Duration>,
    /// Backoff cap.
    pub backoff_max: Option<Duration>,
    /// HTTP statuses the client retries.
    pub retry_statuses: Option<Vec<u16>>,
    /// Whether `Retry-After` is honoured on 429.
    pub honours_retry_after: Option<bool>,
    /// Whether order creation sends `client_reference`.
    pub uses_client_reference: Option<bool>,
    /// Whether `X-Request-Id` values are logged.
    pub logs_request_id: Option<bool>,
    /// Whether the integration places eSIM orders (needs a longer timeout).
    pub uses_esim: Option<bool>,
}

/// How much a check's failure matters.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Blocks go-live (default).
    Error,
    /// Reported, blocks only with `--strict`.
    Warn,
    /// Reported, never blocks.
    Info,
}

impl Severity {
    /// Manifest spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warn => "warn",
            Severity::Info => "info",
        }
    }
}

/// One `[[check]]` entry.
#[derive(Debug, Clone)]
pub struct CheckSpec {
    /// Unique kebab-case id.
    pub id: String,
    /// What to probe, with the kind's own settings.
    pub kind: CheckKind,
    /// How much a failure matters.
    pub severity: Severity,
    /// Envs this check applies to; `None` means every env.
    pub envs: Option<Vec<String>>,
    /// Tags for `--only`/`--skip`.
    pub tags: Vec<String>,
    /// Per-check time budget.
    pub timeout: Duration,
    /// How often a `fail` or `error` is re-run before it is reported (0 to 3).
    pub retries: u8,
    /// Pause before each re-run.
    pub retry_delay: Duration,
    /// 1-based line of the check's `id` key (of its `[[check]]` header when it has
    /// none), for messages.
    pub line: usize,
}

impl CheckSpec {
    /// Whether the check applies to the named env.
    pub fn applies_to(&self, env: &str) -> bool {
        self.envs
            .as_ref()
            .is_none_or(|envs| envs.iter().any(|e| e == env))
    }
}

/// The check kinds and their kind-specific settings.
#[derive(Debug, Clone)]
pub enum CheckKind {
    /// Credential/host pairing and login.
    Credentials,
    /// Wallet balance in one currency.
    Wallet(WalletSpec),
    /// Webhook endpoint signature round-trip.
    Webhook(WebhookSpec),
    /// Egress IP inside the allowlist, and the allowlist itself.
    Egress,
    /// `X-Request-Id` echo.
    RequestId,
    /// The `[client]` table against the go-live checklist.
    RetryPolicy,
    /// A signed-off human step.
    Attestation(AttestationSpec),
    /// The integration's own client, run through the fault-injecting proxy.
    ClientRetry(ClientRetrySpec),
}

impl CheckKind {
    /// The manifest spelling of the kind.
    pub fn name(&self) -> &'static str {
        match self {
            CheckKind::Credentials => "credentials",
            CheckKind::Wallet(_) => "wallet",
            CheckKind::Webhook(_) => "webhook",
            CheckKind::Egress => "egress",
            CheckKind::RequestId => "request_id",
            CheckKind::RetryPolicy => "retry_policy",
            CheckKind::Attestation(_) => "attestation",
            CheckKind::ClientRetry(_) => "client_retry",
        }
    }
}

/// Every kind name the manifest format knows, in documentation order.
pub const ALL_KINDS: &[&str] = &[
    "credentials",
    "wallet",
    "webhook",
    "egress",
    "request_id",
    "retry_policy",
    "attestation",
    "client_retry",
];

/// Kinds this build can run: today every kind. A kind added to [`ALL_KINDS`] before
/// its check exists belongs in [`ALL_KINDS`] only; a manifest naming it is then
/// refused with a clear message rather than skipped silently.
pub const IMPLEMENTED_KINDS: &[&str] = ALL_KINDS;

/// `kind = "wallet"` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct WalletSpec {
    /// ISO 4217 code, upper case.
    pub currency: String,
    /// Below this (strictly): fail.
    pub min_balance: Option<f64>,
    /// Below this: warn.
    pub warn_balance: Option<f64>,
    /// Expected spend per day, for the runway warning.
    pub daily_spend: Option<f64>,
    /// Expected wallet type, e.g. `PREPAID`.
    pub wallet_type: Option<String>,
    /// Days a wire top-up takes to clear (default 3).
    pub settlement_days: f64,
}

/// `kind = "webhook"` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookSpec {
    /// A slower 2xx warns.
    pub ack_within: Duration,
    /// Older timestamps must be refused.
    pub replay_window: Duration,
    /// The live event type the valid probe carries.
    pub event_type: String,
    /// Certificates expiring sooner warn.
    pub cert_min_days: u32,
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

/// `kind = "client_retry"` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientRetrySpec {
    /// The integration's smoke command, argv form.
    pub command: Vec<String>,
    /// Variable that receives the proxy URL.
    pub base_url_env: String,
    /// Variable that receives the simulator's API key (simulator envs only).
    pub api_key_env: String,
    /// Variable that receives the simulator's API secret (simulator envs only).
    pub api_secret_env: String,
    /// Fault plan: a built-in name, or a TOML plan file (relative to `dir`).
    pub plan: String,
    /// The manifest's folder: the command runs in it, and a relative plan file or
    /// program path (one with a `/`) resolves against it.
    pub dir: PathBuf,
}

/// One `[[waiver]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct WaiverSpec {
    /// The waived check id.
    pub check: String,
    /// Why.
    pub reason: String,
    /// Who is accountable.
    pub owner: String,
    /// Last day (inclusive, UTC) the waiver applies.
    pub expires: jiff::civil::Date,
}
