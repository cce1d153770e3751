//! Finding codes: what each means, why it matters and how to fix it.
//!
//! A code reported by one check kind only is declared in that kind's module (with
//! [`declare_codes`]) and listed in its row of `checks::KINDS`; this module declares
//! the codes several places share: those of the manifest's lints, of the runner, and
//! of more than one kind. `checks::all_codes` is the whole catalogue.
//!
//! Codes are a contract (reports, dashboards and waivers quote them): add new ones,
//! never rename one. `golive explain CODE` prints an entry; tests keep the codes
//! unique, kebab-case and documented in the README.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How serious one finding is. `error` is not a level: a probe that could not
/// complete is a check *status* (see [`crate::finding::Finding::incomplete`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// For the record; never blocks.
    Info,
    /// Worth fixing; blocks only with `--strict`.
    Warn,
    /// Blocks go-live on a check of severity `error`.
    Fail,
}

impl Level {
    /// Report spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Fail => "fail",
        }
    }
}

/// One finding code and its documentation.
#[derive(Debug)]
pub struct Code {
    /// Stable kebab-case code.
    pub code: &'static str,
    /// The check kind that reports it (`runner` for codes of the runner itself).
    pub check: &'static str,
    /// Default level.
    pub level: Level,
    /// The probe could not complete when this is reported (check status `error`).
    pub incomplete: bool,
    /// What it means, one line.
    pub title: &'static str,
    /// Why it matters in production.
    pub why: &'static str,
    /// How to fix it.
    pub fix: &'static str,
    /// The relevant Octopus documentation page.
    pub docs: Option<&'static str>,
}

pub(crate) const DOCS_ENVIRONMENTS: &str =
    "https://octopus-docs.pages.dev/docs/getting-started/environments";
pub(crate) const DOCS_AUTH: &str =
    "https://octopus-docs.pages.dev/docs/reference/authentication/login";
pub(crate) const DOCS_GOLIVE: &str =
    "https://octopus-docs.pages.dev/docs/best-practices/before-you-go-live";
pub(crate) const DOCS_SECURITY: &str =
    "https://octopus-docs.pages.dev/docs/best-practices/security";
pub(crate) const DOCS_ERRORS: &str =
    "https://octopus-docs.pages.dev/docs/best-practices/handling-errors";
pub(crate) const DOCS_RATE: &str = "https://octopus-docs.pages.dev/docs/best-practices/rate-limits";
pub(crate) const DOCS_WALLETS: &str =
    "https://octopus-docs.pages.dev/docs/guides/monitoring-wallets";
pub(crate) const DOCS_PRODUCTION: &str =
    "https://octopus-docs.pages.dev/docs/getting-started/production";
pub(crate) const DOCS_VERIFY: &str =
    "https://octopus-docs.pages.dev/docs/reference/webhooks/verification";
pub(crate) const DOCS_HOOKS: &str = "https://octopus-docs.pages.dev/docs/guides/handling-webhooks";

/// Declares finding codes: a `pub const` for each, and a list `$list` of them in
/// documentation order. Used here for the shared codes, and by each check kind for
/// the codes only it reports.
macro_rules! declare_codes {
    ($list:ident; $( $name:ident = { $code:literal, $check:literal, $level:ident, $incomplete:literal,
        $title:literal, $why:literal, $fix:literal, $docs:expr } )*) => {
        $(
            #[doc = $title]
            pub const $name: $crate::codes::Code = $crate::codes::Code {
                code: $code, check: $check, level: $crate::codes::Level::$level,
                incomplete: $incomplete, title: $title, why: $why, fix: $fix, docs: $docs,
            };
        )*
        /// Every code declared here, in documentation order.
        pub static $list: &[&$crate::codes::Code] = &[$(&$name),*];
    };
}
pub(crate) use declare_codes;

declare_codes! {
    ALL;
    // ---- credentials -------------------------------------------------------------
    HOST_TIER_MISMATCH = { "host-tier-mismatch", "credentials", Fail, false,
        "The env's tier and its base URL disagree (a production env on the sandbox host or the reverse).",
        "Sandbox and production are fully separate: production keys do not work on the sandbox host, and a production build pointed at sandbox takes orders that are never fulfilled.",
        "Point production envs at https://api.octopuscards.io and sandbox envs at https://sandbox-api.octopuscards.io, or fix the env's tier.",
        Some(DOCS_ENVIRONMENTS) }
    CREDENTIALS_SHARED = { "credentials-shared", "credentials", Fail, false,
        "The same API key or secret is configured for a sandbox env and a production env.",
        "Sandbox and production credentials are distinct by design; sharing one value means one environment is misconfigured, and a sandbox leak exposes production.",
        "Give each tier its own key pair from its own secret (e.g. API_KEY_SANDBOX and API_KEY_PROD) and check which one each env really reads.",
        Some(DOCS_PRODUCTION) }
    LOGIN_OK = { "login-ok", "credentials", Info, false,
        "Login succeeded.",
        "Records the client id the credentials belong to, so you can confirm it is the account you expect.",
        "Nothing to do.",
        Some(DOCS_AUTH) }
    API_UNREACHABLE = { "api-unreachable", "credentials", Fail, true,
        "The API could not be reached or answered with a server error.",
        "Nothing about the integration can be judged while the API does not answer; the result is inconclusive, not a pass.",
        "Check the base URL, DNS, proxies and firewalls from this machine; retry later if Octopus reports an incident. The message names the failure.",
        Some(DOCS_ERRORS) }
    API_RESPONSE_INVALID = { "api-response-invalid", "credentials", Fail, true,
        "The API answered with a body golive could not read (not JSON, the wrong shape, truncated, too large, or a number that is not finite such as NaN or 1e999).",
        "A response that does not match the documented shape usually means a proxy or captive portal is answering instead of Octopus.",
        "Check that the base URL reaches Octopus directly; the message shows what came back.",
        Some(DOCS_ERRORS) }
    CALL_BUDGET_EXHAUSTED = { "call-budget-exhausted", "credentials", Fail, true,
        "golive refused to make more API calls against production in this run.",
        "Against production golive keeps its whole run to five API calls, because it shares the live integration's quotas.",
        "Run fewer API checks against production in one run (use --only), or run the rest against sandbox.",
        Some(DOCS_RATE) }

    // ---- webhook -----------------------------------------------------------------
    SLOW_ACK = { "slow-ack", "webhook", Warn, false,
        "The valid delivery was acknowledged later than ack_within.",
        "Octopus expects a 2xx within a few seconds; slow answers are retried as failures and produce duplicates.",
        "Acknowledge first and process asynchronously: verify, persist, answer 2xx, then do the work from a queue.",
        Some(DOCS_HOOKS) }
    // ---- egress ------------------------------------------------------------------
    ALLOWLIST_TOO_BROAD = { "allowlist-too-broad", "egress", Fail, false,
        "An allowlist range is too broad (/0 fails; shorter than /16 for IPv4 or /32 for IPv6 warns).",
        "A range that covers much of the internet gives no protection: the allowlist exists to tie credentials to your own egress addresses.",
        "List only your NAT gateways' addresses or small ranges (e.g. /28 or /32 per gateway).",
        Some(DOCS_PRODUCTION) }
    ALLOWLIST_PRIVATE_RANGE = { "allowlist-private-range", "egress", Warn, false,
        "An allowlist range is private, loopback, link-local, CGNAT or unique-local.",
        "Octopus sees your public NAT address, never an internal one: a private range in the allowlist never matches, and suggests the public range is missing.",
        "Replace it with the public address(es) of your NAT gateways (what `egress_ip = \"auto\"` reports from production).",
        Some(DOCS_PRODUCTION) }
    ALLOWLIST_HOST_BITS = { "allowlist-host-bits", "egress", Warn, false,
        "An allowlist range has host bits set (e.g. 203.0.113.5/24).",
        "Such an entry usually means a typo: either one address (/32) or the whole network was meant, and systems differ in how they read it.",
        "Write the network address (203.0.113.0/24) or the single address (203.0.113.5/32).",
        Some(DOCS_PRODUCTION) }
    ALLOWLIST_OVERLAP = { "allowlist-overlap", "egress", Info, false,
        "Two allowlist ranges overlap or repeat.",
        "Harmless to Octopus, but a duplicated or nested entry often hides a typo in the range that was meant.",
        "Remove the redundant entry, and check that the intended range is present.",
        Some(DOCS_PRODUCTION) }

    // ---- retry_policy ------------------------------------------------------------
    NO_RETRY_ON_429 = { "no-retry-on-429", "retry_policy", Fail, false,
        "The client does not retry 429 Too Many Requests (or does not declare it).",
        "Rate limits are averaged over rolling windows and short bursts hit them: a client that gives up on 429 turns a brief limit into failed orders.",
        "Add 429 to retry_statuses and wait Retry-After seconds before retrying.",
        Some(DOCS_RATE) }
    NO_RETRY_ON_5XX = { "no-retry-on-5xx", "retry_policy", Warn, false,
        "The client does not retry some of 500, 502, 503, 504.",
        "Transient infrastructure errors happen; without a retry with backoff each one becomes a failed order or a missed webhook follow-up.",
        "Add 500, 502, 503 and 504 to retry_statuses, with exponential backoff.",
        Some(DOCS_GOLIVE) }
    ATTEMPTS_UNBOUNDED = { "attempts-unbounded", "retry_policy", Warn, false,
        "The client's attempts are not bounded (or above 10).",
        "Unbounded retries during an outage multiply your traffic exactly when the API can least take it, and never surface the failure.",
        "Bound attempts (max_attempts = 5 is typical), then fail the operation visibly and alert.",
        Some(DOCS_GOLIVE) }
    // Also reported by client_retry, with its own message and remediation:
    // no-retry-on-429, no-retry-on-5xx (as fail) and attempts-unbounded (as fail).
    // ---- manifest ----------------------------------------------------------------
    LITERAL_SECRET = { "literal-secret", "manifest", Fail, false,
        "A secret (api_key, api_secret or webhook_secret) is written in the manifest as a literal value.",
        "Manifests are committed and shared; a secret in one leaks to everyone with read access to the repository and its history. golive refuses such a manifest (exit 2) and never echoes the value.",
        "Move the value into a secrets manager, an environment variable or a file, and write { env = \"NAME\" } or { file = \"PATH\" } instead. Rotate the secret if the file was ever committed.",
        Some(DOCS_GOLIVE) }

    MANIFEST_NO_ENVS = { "manifest-no-envs", "manifest", Fail, false,
        "The manifest defines no [env.NAME] table.",
        "Every check runs against an env; with none, `golive check` has nothing to run against and the manifest can never be a gate.",
        "Add an env: [env.demo] with tier = \"sandbox\" and simulator = true runs every check against golive's simulator; [env.sandbox] with your sandbox credentials runs them against the sandbox.",
        None }
    MANIFEST_NO_CHECKS = { "manifest-no-checks", "manifest", Fail, false,
        "The manifest defines no [[check]].",
        "A gate that checks nothing would say \"ready\" about anything; `golive check` refuses to run without a check.",
        "Add at least one [[check]] (e.g. id = \"credentials\", kind = \"credentials\"); `golive init` writes a starter with every kind.",
        None }
    BALANCE_THRESHOLDS_INVERTED = { "balance-thresholds-inverted", "manifest", Warn, false,
        "A wallet check's warn_balance is not above its min_balance.",
        "balance-low is the early warning before balance-below-minimum; with warn_balance at or below min_balance every low balance fails at once and the warning can never be reported.",
        "Set warn_balance above min_balance (e.g. a week of spend above the minimum), or remove warn_balance.",
        Some(DOCS_WALLETS) }
    API_SECRET_SAME_AS_KEY = { "api-secret-same-as-key", "manifest", Fail, false,
        "An env reads its api_key and its api_secret from the same environment variable or file.",
        "The key and the secret are two different values; sending one as both never logs in, and usually means one of the two references was copied without being changed.",
        "Point api_secret at the variable or file that holds the secret, e.g. api_key = { env = \"API_KEY_PROD\" } and api_secret = { env = \"API_SECRET_PROD\" }.",
        Some(DOCS_AUTH) }

    // ---- runner ------------------------------------------------------------------
    CHECK_TIMEOUT = { "check-timeout", "runner", Fail, true,
        "The check did not finish within its timeout.",
        "A probe that did not finish proved nothing; the result is inconclusive.",
        "Find out which call hung (run with -v), or raise the check's timeout if the endpoint is merely slow.",
        None }
    CHECK_CRASHED = { "check-crashed", "runner", Fail, true,
        "The check stopped on an internal error (a panic in golive) before it finished.",
        "A check that crashed proved nothing; the result is inconclusive, and it is not the endpoint's fault or a timeout.",
        "This is a bug in golive: report it with the panic message printed on stderr and the check's kind; rerun with -v for the calls it made.",
        None }
    RUN_TIMEOUT = { "run-timeout", "runner", Fail, true,
        "The whole run's --timeout expired before the check finished.",
        "The check was cancelled; it proved nothing.",
        "Raise --timeout, or run fewer checks at once.",
        None }
    WAIVER_EXPIRED = { "waiver-expired", "runner", Warn, false,
        "A waiver for this check has expired and no longer hides its result.",
        "Waivers are temporary by design; an expired one means the promised fix did not land in time.",
        "Fix the underlying problem, or renew the waiver with a new expiry date, reason and owner.",
        None }
}

/// Looks a code up among the shared ones (`checks::find_code` knows every code).
pub fn find(code: &str) -> Option<&'static Code> {
    ALL.iter().copied().find(|c| c.code == code)
}

/// The codes of `known` closest to `code`, for "did you mean" messages.
pub fn nearest(code: &str, known: &[&'static Code]) -> Vec<&'static str> {
    let mut scored: Vec<(usize, &'static str)> = known
        .iter()
        .map(|c| {
            let d = strsim::levenshtein(code, c.code);
            // A shared word (e.g. "wallet") is a strong hint even at a larger distance.
            let shares_word = code.split('-').any(|w| w.len() > 3 && c.code.contains(w));
            (if shares_word { d.min(3) } else { d }, c.code)
        })
        .collect();
    scored.sort();
    let best = scored.first().map_or(0, |s| s.0);
    scored
        .into_iter()
        .filter(|(d, _)| *d <= best.max(3))
        .take(3)
        .map(|(_, c)| c)
        .collect()
}
