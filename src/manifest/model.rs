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

/// A loaded and validated `checks.toml`, whose checks carry settings `S` (the
/// check kinds' own values; see [`super::KindDef`]).
#[derive(Debug, Clone)]
pub struct Manifest<S> {
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
    pub checks: Vec<CheckSpec<S>>,
    /// Waivers in file order.
    pub waivers: Vec<WaiverSpec>,
    /// What `golive validate` reports about this manifest although it loaded
    /// (warnings, and errors such as "no check"), in file order. `golive check`
    /// does not act on them.
    pub lints: Vec<super::Diagnostic>,
}

impl<S> Manifest<S> {
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
pub struct CheckSpec<S> {
    /// Unique kebab-case id.
    pub id: String,
    /// The kind's name, as the manifest spells it.
    pub kind: &'static str,
    /// The kind's own settings.
    pub settings: S,
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

impl<S> CheckSpec<S> {
    /// Whether the check applies to the named env.
    pub fn applies_to(&self, env: &str) -> bool {
        self.envs
            .as_ref()
            .is_none_or(|envs| envs.iter().any(|e| e == env))
    }
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
