//! The catalogue of finding codes: one place that names every code golive can
//! report, with what it means, why it matters and how to fix it.
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

const DOCS_ENVIRONMENTS: &str = "https://octopus-docs.pages.dev/docs/getting-started/environments";
const DOCS_AUTH: &str = "https://octopus-docs.pages.dev/docs/reference/authentication/login";
const DOCS_GOLIVE: &str = "https://octopus-docs.pages.dev/docs/best-practices/before-you-go-live";
const DOCS_SECURITY: &str = "https://octopus-docs.pages.dev/docs/best-practices/security";
const DOCS_ERRORS: &str = "https://octopus-docs.pages.dev/docs/best-practices/handling-errors";
const DOCS_RATE: &str = "https://octopus-docs.pages.dev/docs/best-practices/rate-limits";
const DOCS_WALLETS: &str = "https://octopus-docs.pages.dev/docs/guides/monitoring-wallets";
const DOCS_PRODUCTION: &str = "https://octopus-docs.pages.dev/docs/getting-started/production";
const DOCS_VERIFY: &str = "https://octopus-docs.pages.dev/docs/reference/webhooks/verification";
const DOCS_HOOKS: &str = "https://octopus-docs.pages.dev/docs/guides/handling-webhooks";

macro_rules! codes {
    ($( $name:ident = { $code:literal, $check:literal, $level:ident, $incomplete:literal,
        $title:literal, $why:literal, $fix:literal, $docs:expr } )*) => {
        $(
            #[doc = $title]
            pub const $name: Code = Code {
                code: $code, check: $check, level: Level::$level, incomplete: $incomplete,
                title: $title, why: $why, fix: $fix, docs: $docs,
            };
        )*
        /// Every code, in documentation order.
        pub static ALL: &[&Code] = &[$(&$name),*];
    };
}

codes! {
    // ---- credentials -------------------------------------------------------------
    CREDENTIAL_MISSING = { "credential-missing", "credentials", Fail, false,
        "An API key or secret is not configured or its source is empty or unreadable.",
        "Without both halves of the key pair the integration cannot log in; a deployment that starts anyway fails on its first call instead of at start-up.",
        "Set api_key and api_secret for this env to { env = \"NAME\" } or { file = \"PATH\" } and make sure the variable is set or the file is readable where golive runs. The deployment itself should refuse to start when they are missing.",
        Some(DOCS_GOLIVE) }
    CREDENTIAL_MALFORMED = { "credential-malformed", "credentials", Fail, false,
        "A credential has surrounding whitespace, a newline, control characters or is a placeholder.",
        "A key copied with a trailing newline or left as `your_api_key` is rejected at login, and the error (401) looks like a wrong key rather than a formatting problem.",
        "Store the exact value with no surrounding whitespace (a secret file may end in one newline). Replace placeholders such as your_api_key or changeme with the real credentials from your account manager.",
        Some(DOCS_AUTH) }
    HOST_TIER_MISMATCH = { "host-tier-mismatch", "credentials", Fail, false,
        "The env's tier and its base URL disagree (a production env on the sandbox host or the reverse).",
        "Sandbox and production are fully separate: production keys do not work on the sandbox host, and a production build pointed at sandbox takes orders that are never fulfilled.",
        "Point production envs at https://api.octopuscards.io and sandbox envs at https://sandbox-api.octopuscards.io, or fix the env's tier.",
        Some(DOCS_ENVIRONMENTS) }
    NON_CANONICAL_HOST = { "non-canonical-host", "credentials", Warn, false,
        "The base URL is neither canonical Octopus host (for example a proxy).",
        "Octopus asks clients to call the canonical host names and keep the original host name for SNI through proxies; a proxy or typo adds a failure point and can break TLS when certificates rotate.",
        "Use the tier's canonical host, or make sure the proxy forwards to it transparently and preserves SNI. Waive this check if the proxy is intended.",
        Some(DOCS_SECURITY) }
    INSECURE_SCHEME = { "insecure-scheme", "credentials", Fail, false,
        "The base URL uses plain http:// to a host that is not loopback.",
        "Credentials and tokens would cross the network in clear text; Octopus rejects plain HTTP at the edge anyway. golive refuses to send credentials over it.",
        "Use an https:// base URL.",
        Some(DOCS_SECURITY) }
    CREDENTIALS_SHARED = { "credentials-shared", "credentials", Fail, false,
        "The same API key or secret is configured for a sandbox env and a production env.",
        "Sandbox and production credentials are distinct by design; sharing one value means one environment is misconfigured, and a sandbox leak exposes production.",
        "Give each tier its own key pair from its own secret (e.g. API_KEY_SANDBOX and API_KEY_PROD) and check which one each env really reads.",
        Some(DOCS_PRODUCTION) }
    ENV_VAR_TIER_MISMATCH = { "env-var-tier-mismatch", "credentials", Warn, false,
        "A production env reads a variable named like *_SANDBOX or *_TEST, or a sandbox env one named like *_PROD.",
        "Crossed variable names are the most common way sandbox keys reach a production deployment (or the reverse), and they survive code review because the code looks right.",
        "Read production secrets from variables named for production (e.g. API_KEY_PROD) and sandbox secrets from variables named for sandbox.",
        Some(DOCS_PRODUCTION) }
    LOGIN_REJECTED = { "login-rejected", "credentials", Fail, false,
        "POST /auth/login answered 401: the key pair is not valid on this host.",
        "Every API call of the integration depends on this login; a 401 here usually means wrong-environment keys, a typo, or revoked credentials.",
        "Check that this env uses the key pair issued for this tier (production keys only work on the production host), without extra characters. Ask your account manager if the pair may have been revoked.",
        Some(DOCS_AUTH) }
    IP_FORBIDDEN = { "ip-forbidden", "credentials", Fail, false,
        "The API answered 403 FORBIDDEN: this machine's IP is not in the account's allowlist.",
        "With an allowlist configured, every request from another address is refused, including login; the integration cannot work from here.",
        "Run golive from the deployment's egress path, or ask your account manager to add the egress CIDR to the allowlist.",
        Some(DOCS_ERRORS) }
    LOGIN_OK = { "login-ok", "credentials", Info, false,
        "Login succeeded.",
        "Records the client id the credentials belong to, so you can confirm it is the account you expect.",
        "Nothing to do.",
        Some(DOCS_AUTH) }
    TOKEN_CLOCK_SKEW = { "token-clock-skew", "credentials", Warn, false,
        "The access token's expiry is not about one hour ahead of this machine's clock.",
        "Access tokens live one hour. An integration that refreshes 'five minutes before expiry' by its own clock will refresh too late or too often if the clock is off.",
        "Synchronise this machine's clock (NTP). If the clock is right, note the observed lifetime when planning token refresh.",
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
    API_RATE_LIMITED = { "api-rate-limited", "credentials", Fail, true,
        "The API kept answering 429 until the check's time budget ran out.",
        "golive shares the account's rate limits with the live integration; it waits as Retry-After says but will not exceed its check's timeout.",
        "Run golive again once traffic is lower, or raise the check's timeout above the Retry-After the API sends.",
        Some(DOCS_RATE) }
    CALL_BUDGET_EXHAUSTED = { "call-budget-exhausted", "credentials", Fail, true,
        "golive refused to make more API calls against production in this run.",
        "Against production golive keeps its whole run to five API calls, because it shares the live integration's quotas.",
        "Run fewer API checks against production in one run (use --only), or run the rest against sandbox.",
        Some(DOCS_RATE) }

    // ---- wallet ------------------------------------------------------------------
    WALLETS_UNREACHABLE = { "wallets-unreachable", "wallet", Fail, true,
        "GET /api/v1/wallets or /api/v1/currencies could not be completed.",
        "Without the wallet list golive cannot tell whether orders will be funded; the result is inconclusive.",
        "Fix login first (see the credentials check), then check connectivity to the API. The message names the failure.",
        Some(DOCS_WALLETS) }
    WALLET_MISSING = { "wallet-missing", "wallet", Fail, false,
        "The account has no wallet in the required currency.",
        "Orders are debited from the wallet matching the product's currency; without it, orders fail or trigger currency conversion you did not plan for.",
        "Ask your account manager to onboard the currency (one wallet per currency) and fund it by wire.",
        Some(DOCS_PRODUCTION) }
    BALANCE_BELOW_MINIMUM = { "balance-below-minimum", "wallet", Fail, false,
        "The wallet's balance is below min_balance.",
        "Prepaid orders are rejected with INSUFFICIENT_FUNDS once the balance cannot cover them, and a wire top-up takes days to clear.",
        "Top up the wallet by wire through your account manager before launch, or lower min_balance if the threshold is wrong.",
        Some(DOCS_WALLETS) }
    BALANCE_LOW = { "balance-low", "wallet", Warn, false,
        "The wallet's balance is below warn_balance.",
        "The balance covers launch but leaves little margin before orders start failing.",
        "Plan a top-up now: wires clear in one to two business days.",
        Some(DOCS_WALLETS) }
    RUNWAY_SHORT = { "runway-short", "wallet", Warn, false,
        "At the expected daily spend the balance runs out before a wire top-up could clear.",
        "Low-balance alerts must fire days ahead because funding is by wire; a runway shorter than settlement_days means the next top-up would arrive after orders stop.",
        "Top up now, or raise the balance to at least daily_spend x settlement_days, and alert on the wallet.debited webhook.",
        Some(DOCS_WALLETS) }
    WALLET_TYPE_UNEXPECTED = { "wallet-type-unexpected", "wallet", Warn, false,
        "The wallet's type (PREPAID or POSTPAID) is not the expected one.",
        "PREPAID wallets refuse orders the balance cannot cover; POSTPAID ones run on credit. Monitoring built for one type is wrong for the other.",
        "Confirm the wallet type with your account manager and adjust the check's type or your monitoring.",
        Some(DOCS_WALLETS) }

    // ---- webhook -----------------------------------------------------------------
    WEBHOOK_URL_MISSING = { "webhook-url-missing", "webhook", Fail, false,
        "The env has no webhook_url.",
        "Voucher orders over 5 units are asynchronous: without a webhook endpoint the integration never learns that vouchers are ready (or polls forever).",
        "Set webhook_url for this env to the endpoint registered with your account manager.",
        Some(DOCS_HOOKS) }
    WEBHOOK_SECRET_MISSING = { "webhook-secret-missing", "webhook", Fail, false,
        "The env's webhook_secret is not configured, or its variable or file is unset or unreadable.",
        "Without the shared secret golive cannot sign deliveries as Octopus does, and your endpoint cannot verify them either.",
        "Set webhook_secret = { env = \"NAME\" } or { file = \"PATH\" } to the secret shared with Octopus for this environment.",
        Some(DOCS_VERIFY) }
    WEBHOOK_NOT_HTTPS = { "webhook-not-https", "webhook", Fail, false,
        "The webhook URL is not https:// (info for a simulator env, and for a loopback receiver of a sandbox env: local development).",
        "Octopus delivers only to public HTTPS URLs, and every delivery carries the shared secret in X-OCTOPUS-WEBHOOK-TOKEN: over plain HTTP it is readable on the wire. golive sends no delivery over plain HTTP to a non-loopback host.",
        "Serve the endpoint over HTTPS with a publicly trusted certificate and register the https:// URL.",
        Some(DOCS_HOOKS) }
    WEBHOOK_PRIVATE_ADDRESS = { "webhook-private-address", "webhook", Fail, false,
        "The webhook host, or an address DNS gives for it, is private, loopback, link-local, CGNAT or unique-local.",
        "Octopus delivers from the internet: it cannot reach a private address, so production deliveries would all fail (fail for production, warn for sandbox, info for a simulator env). For production golive sends no delivery to such an address.",
        "Expose the endpoint on a public address (load balancer, API gateway) and make its public DNS name resolve only to public addresses.",
        Some(DOCS_HOOKS) }
    WEBHOOK_DNS_FAILED = { "webhook-dns-failed", "webhook", Fail, true,
        "The webhook host name does not resolve.",
        "If golive cannot resolve it, Octopus likely cannot either; the endpoint cannot be probed.",
        "Check the host name in webhook_url and its DNS records.",
        Some(DOCS_HOOKS) }
    WEBHOOK_UNREACHABLE = { "webhook-unreachable", "webhook", Fail, true,
        "The webhook endpoint refused the connection or the TLS handshake failed.",
        "The endpoint cannot be probed while it does not accept connections; Octopus would retry and then drop deliveries.",
        "Check that the endpoint is up and listening on the URL's port, and that nothing between golive and it blocks the connection.",
        Some(DOCS_HOOKS) }
    WEBHOOK_TLS_UNTRUSTED = { "webhook-tls-untrusted", "webhook", Fail, false,
        "The endpoint's certificate is not trusted for its host (self-signed, unknown CA, wrong host).",
        "Octopus rejects self-signed and untrusted certificates: every delivery would fail. golive sends no delivery to such an endpoint.",
        "Install a certificate from a public CA that covers the host name, with the full intermediate chain. A private CA (ca_file) is only good for internal testing.",
        Some(DOCS_HOOKS) }
    WEBHOOK_TLS_EXPIRED = { "webhook-tls-expired", "webhook", Fail, false,
        "The endpoint's certificate has expired.",
        "Every delivery fails the TLS handshake until the certificate is renewed; events pile up in Octopus's retries and are eventually lost.",
        "Renew the certificate now and automate renewal (ACME).",
        Some(DOCS_HOOKS) }
    WEBHOOK_TLS_EXPIRING = { "webhook-tls-expiring", "webhook", Warn, false,
        "The endpoint's certificate expires within cert_min_days (default 14).",
        "A certificate that lapses after launch takes deliveries down without any code change.",
        "Renew the certificate and make sure renewal is automated and monitored.",
        Some(DOCS_HOOKS) }
    VALID_DELIVERY_REJECTED = { "valid-delivery-rejected", "webhook", Fail, false,
        "A correctly signed, fresh delivery got no 2xx.",
        "Octopus retries non-2xx deliveries and eventually gives up: the integration would miss order completions. The other probes prove nothing while the valid one is refused, so they are skipped.",
        "Verify X-Signature as lowercase hex HMAC-SHA256 of the raw body with the webhook secret; answer 2xx as soon as the delivery is verified and stored. Check the evidence for the status and the first bytes of the answer.",
        Some(DOCS_VERIFY) }
    SLOW_ACK = { "slow-ack", "webhook", Warn, false,
        "The valid delivery was acknowledged later than ack_within.",
        "Octopus expects a 2xx within a few seconds; slow answers are retried as failures and produce duplicates.",
        "Acknowledge first and process asynchronously: verify, persist, answer 2xx, then do the work from a queue.",
        Some(DOCS_HOOKS) }
    NO_ACK = { "no-ack", "webhook", Fail, false,
        "The valid delivery got no answer within the check's timeout.",
        "A delivery that hangs is retried by Octopus and ties up the endpoint's workers.",
        "Make the endpoint answer quickly; move slow work off the request path.",
        Some(DOCS_HOOKS) }
    PROBES_UNANSWERED = { "probes-unanswered", "webhook", Fail, true,
        "Some probe deliveries got no answer within the check's timeout.",
        "A forged or unusual delivery that is never answered proves nothing: the endpoint may accept it a moment later. An endpoint that answers the valid delivery but hangs on others is also a liability, since Octopus retries unanswered deliveries.",
        "Answer every delivery promptly: 2xx for valid ones (including repeats and unknown event types), 401/400 for forged or stale ones. Raise the check's timeout if the endpoint is merely slow.",
        Some(DOCS_HOOKS) }
    BAD_SIGNATURE_ACCEPTED = { "bad-signature-accepted", "webhook", Fail, false,
        "A delivery with a wrong X-Signature was acknowledged.",
        "Anyone who knows the URL can forge order and wallet events (e.g. mark unpaid orders delivered).",
        "Compute HMAC-SHA256 over the raw request body with the webhook secret, compare it with X-Signature in constant time, and answer 401 on mismatch.",
        Some(DOCS_VERIFY) }
    MISSING_SIGNATURE_ACCEPTED = { "missing-signature-accepted", "webhook", Fail, false,
        "A delivery without X-Signature was acknowledged.",
        "An endpoint that verifies only when the header is present can be bypassed by leaving it out.",
        "Reject every delivery without X-Signature (401).",
        Some(DOCS_VERIFY) }
    TAMPERED_BODY_ACCEPTED = { "tampered-body-accepted", "webhook", Fail, false,
        "A delivery whose body was changed after signing was acknowledged.",
        "The signature protects the body only if it is checked against the exact bytes received; otherwise a captured delivery can be altered and replayed.",
        "Verify the signature over the raw body bytes as received, before parsing.",
        Some(DOCS_VERIFY) }
    WRONG_SECRET_ACCEPTED = { "wrong-secret-accepted", "webhook", Fail, false,
        "A delivery signed with a different secret was acknowledged.",
        "The endpoint does not really check the secret (or checks against several, or a default one): signatures protect nothing.",
        "Verify with exactly the secret shared with Octopus for this environment.",
        Some(DOCS_VERIFY) }
    STALE_TIMESTAMP_ACCEPTED = { "stale-timestamp-accepted", "webhook", Warn, false,
        "A correctly signed delivery with an X-Timestamp older than replay_window was acknowledged.",
        "Without an age check a captured delivery can be replayed at any time (the timestamp is not signed, so this is defence in depth; de-duplication on X-Event-ID is the main defence).",
        "Reject deliveries whose X-Timestamp is more than 5 minutes old (400), and de-duplicate on X-Event-ID.",
        Some(DOCS_VERIFY) }
    DUPLICATE_DELIVERY_REJECTED = { "duplicate-delivery-rejected", "webhook", Fail, false,
        "A repeated X-Event-ID was refused instead of acknowledged.",
        "Octopus retries on any non-2xx: refusing a duplicate makes it retry the same event again and again.",
        "De-duplicate on X-Event-ID (e.g. a unique key or SET NX with a TTL): answer 2xx to a repeat without processing it again.",
        Some(DOCS_HOOKS) }
    RAW_BODY_NOT_VERIFIED = { "raw-body-not-verified", "webhook", Fail, false,
        "A correctly signed body with unusual whitespace, key order or escapes was rejected while the compact one was accepted.",
        "The endpoint verifies a re-serialized body, not the bytes Octopus signed: any delivery whose bytes differ from your JSON library's output (new fields, another key order) will be rejected in production.",
        "Verify the signature over the raw request body before parsing it (e.g. express.raw, request.get_data(), io.ReadAll), never over a re-serialized object.",
        Some(DOCS_VERIFY) }
    UNKNOWN_EVENT_REJECTED = { "unknown-event-rejected", "webhook", Warn, false,
        "A correctly signed delivery of an event type the endpoint does not know was refused.",
        "The API promises new event types may appear at any time; refusing them makes Octopus retry each one until it gives up.",
        "Acknowledge (2xx) event types you do not handle, and ignore them.",
        Some(DOCS_HOOKS) }

    // ---- egress ------------------------------------------------------------------
    EGRESS_IP_UNKNOWN = { "egress-ip-unknown", "egress", Fail, true,
        "golive could not learn the egress address to compare with the allowlist.",
        "Without the address Octopus sees, nobody can tell whether production traffic will be refused with 403 on launch day.",
        "Set egress_ip to your NAT address(es), or egress_ip = \"auto\" with an egress_echo_url reachable from where golive runs (it must answer with the address as plain text or as JSON {\"ip\": ...}).",
        Some(DOCS_PRODUCTION) }
    EGRESS_OUTSIDE_ALLOWLIST = { "egress-outside-allowlist", "egress", Fail, false,
        "An egress address is in none of the allowlisted ranges.",
        "With an allowlist configured, Octopus refuses every request (login included) from any other address with 403: the integration is down from that path.",
        "Add the address's range to the allowlist you give your account manager, or route egress through an allowlisted NAT gateway. Every NAT address traffic may leave by must be listed.",
        Some(DOCS_PRODUCTION) }
    EGRESS_IP_FORBIDDEN = { "egress-ip-forbidden", "egress", Fail, false,
        "The API answered 403 FORBIDDEN \"IP address not authorized\" at login.",
        "This is the API's own verdict on the address golive called from: the allowlist Octopus holds does not include it, whatever the manifest says.",
        "Compare the address in the evidence with the ranges your account manager configured; ask them to add the missing range, then run golive again from the same path.",
        Some(DOCS_ERRORS) }
    ALLOWLIST_EMPTY = { "allowlist-empty", "egress", Warn, false,
        "No egress allowlist is configured.",
        "The allowlist is optional but recommended: without it, leaked production credentials work from any address.",
        "If production runs from fixed addresses (VPC NAT gateways, bare metal), give their CIDRs to your account manager and list them in egress_allowlist. Skip it only for workloads with ephemeral public IPs.",
        Some(DOCS_PRODUCTION) }
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

    // ---- request_id --------------------------------------------------------------
    REQUEST_ID_NOT_ECHOED = { "request-id-not-echoed", "request_id", Warn, false,
        "The API did not return the X-Request-Id golive sent.",
        "Support traces requests by id; if your own ids do not come back (a proxy rewrites them, or they are not KSUID-compatible), your logs and Octopus's cannot be matched in an incident.",
        "Send KSUID-format ids (base62, under 64 characters) and make sure no proxy between you and Octopus strips or rewrites X-Request-Id. Log the id that comes back.",
        Some("https://octopus-docs.pages.dev/docs/best-practices/observability") }

    // ---- retry_policy ------------------------------------------------------------
    CLIENT_CONFIG_MISSING = { "client-config-missing", "retry_policy", Warn, false,
        "The manifest has no [client] table describing the integration's HTTP client.",
        "Timeouts, retries, backoff and idempotency are the most common causes of day-one incidents; without the table they cannot be judged.",
        "Add a [client] table with connect_timeout, request_timeout, max_attempts, backoff_initial, backoff_max, retry_statuses, honours_retry_after, uses_client_reference, logs_request_id and uses_esim, as your client is really configured.",
        Some(DOCS_GOLIVE) }
    RETRIES_NON_RETRYABLE_4XX = { "retries-non-retryable-4xx", "retry_policy", Fail, false,
        "The client retries a 4xx other than 429.",
        "A 400, 403 or 404 fails identically every time: retrying burns the rate limit shared with the rest of your traffic and delays the real error.",
        "Retry only network errors, 5xx and 429. Remove other 4xx codes from retry_statuses; for 401, log in again once, then retry.",
        Some(DOCS_GOLIVE) }
    NO_RETRY_ON_429 = { "no-retry-on-429", "retry_policy", Fail, false,
        "The client does not retry 429 Too Many Requests (or does not declare it).",
        "Rate limits are averaged over rolling windows and short bursts hit them: a client that gives up on 429 turns a brief limit into failed orders.",
        "Add 429 to retry_statuses and wait Retry-After seconds before retrying.",
        Some(DOCS_RATE) }
    RETRY_AFTER_IGNORED = { "retry-after-ignored", "retry_policy", Fail, false,
        "The client does not honour Retry-After on 429 (or does not declare it).",
        "Retrying sooner than Retry-After is answered with another 429, and a fleet doing it keeps the account throttled.",
        "Wait at least Retry-After seconds (fall back to the number in the error message), then retry; set honours_retry_after = true.",
        Some(DOCS_RATE) }
    NO_RETRY_ON_5XX = { "no-retry-on-5xx", "retry_policy", Warn, false,
        "The client does not retry some of 500, 502, 503, 504.",
        "Transient infrastructure errors happen; without a retry with backoff each one becomes a failed order or a missed webhook follow-up.",
        "Add 500, 502, 503 and 504 to retry_statuses, with exponential backoff.",
        Some(DOCS_GOLIVE) }
    BACKOFF_OUT_OF_RANGE = { "backoff-out-of-range", "retry_policy", Warn, false,
        "The backoff is not about 200 ms doubling to a 10 s cap.",
        "Too short a backoff hammers a struggling API (a retry storm); too long a cap stalls orders long after the API recovered.",
        "Start at about 200ms, double each attempt, cap at about 10s (backoff_initial = \"200ms\", backoff_max = \"10s\").",
        Some(DOCS_GOLIVE) }
    ATTEMPTS_UNBOUNDED = { "attempts-unbounded", "retry_policy", Warn, false,
        "The client's attempts are not bounded (or above 10).",
        "Unbounded retries during an outage multiply your traffic exactly when the API can least take it, and never surface the failure.",
        "Bound attempts (max_attempts = 5 is typical), then fail the operation visibly and alert.",
        Some(DOCS_GOLIVE) }
    TIMEOUT_MISSING = { "timeout-missing", "retry_policy", Fail, false,
        "The client has no connect or request timeout.",
        "Without timeouts a hung connection holds a worker forever; under load that exhausts the pool and takes the integration down.",
        "Set connect_timeout (5-10s) and request_timeout (30-60s; above 60s for eSIM orders).",
        Some(DOCS_GOLIVE) }
    TIMEOUT_OUT_OF_RANGE = { "timeout-out-of-range", "retry_policy", Warn, false,
        "A timeout is outside the checklist's range (connect 1-10s; request 30-60s, above 60s with eSIM).",
        "A too-short request timeout abandons orders Octopus is still processing (and a blind retry then duplicates them); a too-long one ties up workers.",
        "Use connect 5-10s and request 30-60s; with eSIM, a request timeout above 60s (about 65s), since eSIM creation may block for 60s by design.",
        Some(DOCS_GOLIVE) }
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

    // ---- client_retry ------------------------------------------------------------
    // Also reported by client_retry, with its own message and remediation:
    // no-retry-on-429, no-retry-on-5xx (as fail) and attempts-unbounded (as fail).
    RETRY_AFTER_NOT_HONOURED = { "retry-after-not-honoured", "client_retry", Fail, false,
        "The client retried sooner than the Retry-After it was given.",
        "A retry before Retry-After is answered with another 429 and counts against the same rate limit; a fleet doing it keeps the whole account throttled.",
        "After a 429 (or any answer with Retry-After), wait at least Retry-After seconds before the next attempt; fall back to the number in the error message when the header is absent.",
        Some(DOCS_RATE) }
    RETRIED_NON_RETRYABLE = { "retried-non-retryable", "client_retry", Fail, false,
        "The client retried a 4xx answer other than 429 (and 401).",
        "A 400, 403 or 404 fails the same way every time: retrying it burns the rate limit shared with the rest of your traffic and delays the real error.",
        "Retry only network errors, 5xx and 429. Treat other 4xx as final (fix the request, or go on without the data); after a 401, log in again once, then retry.",
        Some(DOCS_ERRORS) }
    BACKOFF_TOO_AGGRESSIVE = { "backoff-too-aggressive", "client_retry", Warn, false,
        "The client retried a failure sooner than the 100 ms backoff floor.",
        "Instant retries against a struggling API are a retry storm: they multiply load exactly when the API is least able to take it and exhaust the rate limit.",
        "Back off exponentially: about 200ms before the first retry, doubling each time, capped at 10s (jitter helps a fleet).",
        Some(DOCS_GOLIVE) }
    CLIENT_REFERENCE_CHANGED = { "client-reference-changed", "client_retry", Fail, false,
        "The client sent a different client_reference when it retried an order.",
        "client_reference is the only de-duplication key: a retry with a new one after a lost answer places the order twice, and both ship.",
        "Generate the client_reference once per order, before the first attempt, and send the same value on every retry; after a 400 \"Duplicate client_reference\", look the order up with GET /api/v1/orders?client_reference=...",
        Some("https://octopus-docs.pages.dev/docs/best-practices/idempotency") }
    CLIENT_REFERENCE_MISSING = { "client-reference-missing", "client_retry", Fail, false,
        "The client created an order without a client_reference.",
        "Without client_reference a retried order creation cannot be de-duplicated: a timeout followed by a retry ships the order twice.",
        "Send a unique client_reference (up to 255 printable ASCII characters) on every order creation and reuse it on retries.",
        Some("https://octopus-docs.pages.dev/docs/best-practices/idempotency") }
    REQUEST_ID_MISSING = { "request-id-missing", "client_retry", Warn, false,
        "The client sent a request to /auth or /api/v1 without X-Request-Id.",
        "Support traces requests by id; without your own ids, your logs and Octopus's cannot be matched in an incident.",
        "Send a KSUID-format X-Request-Id on every request and log the id of every response, success or failure.",
        Some("https://octopus-docs.pages.dev/docs/best-practices/observability") }
    UNKNOWN_FIELD_NOT_TOLERATED = { "unknown-field-not-tolerated", "client_retry", Fail, false,
        "The command failed when responses carried an unknown field or enum value, and succeeded without them.",
        "The API promises that new fields and enum values may appear at any time, without a version change; a client that rejects them breaks on an ordinary API release.",
        "Ignore unknown JSON fields, and map unknown enum values (wallet type, order status) to an \"unknown\" case that is logged and handled, never to a crash.",
        Some("https://octopus-docs.pages.dev/docs/getting-started/api-promise") }
    COMMAND_FAILED = { "command-failed", "client_retry", Fail, false,
        "The integration's smoke command failed (non-zero exit) where it should have succeeded, or could not be started.",
        "Every fault of the faults phase is one a correct client recovers from; failing there means the same faults in production become failed orders.",
        "Run the command against `golive proxy` (see the phase's timeline and output in the evidence) and make it recover: retry 429 after Retry-After, retry 5xx with backoff, go on after a non-retryable 4xx.",
        Some(DOCS_GOLIVE) }
    COMMAND_BYPASSED_PROXY = { "command-bypassed-proxy", "client_retry", Fail, false,
        "The command made no request through golive's proxy, so nothing was proven.",
        "A client that ignores the configured base URL (a hard-coded host, a cached config) was not watched at all; its retry behaviour is unknown.",
        "Make the command read the API base URL from the variable named by base_url_env (default OCTOPUS_BASE_URL) and make at least one API call.",
        Some(DOCS_GOLIVE) }
    COMMAND_TIMED_OUT = { "command-timed-out", "client_retry", Fail, true,
        "The command was still running when its share of the check's time ran out; golive killed it and its process group.",
        "A run that did not end proves nothing about giving up or bounding attempts; the result is inconclusive.",
        "Raise the check's timeout (2m is typical: a client backing off to a 10s cap needs about a minute for 10 attempts), or make the smoke command do less.",
        None }
    CLIENT_RETRY_REFUSED = { "client-retry-refused", "client_retry", Fail, true,
        "client_retry refused to run against this env (production, or plain http:// to a remote host).",
        "client_retry injects faults and places test orders; it runs only in front of the sandbox or golive's simulator, never production.",
        "Limit the check to sandbox and simulator envs with envs = [\"sandbox\", \"demo\"].",
        Some(DOCS_ENVIRONMENTS) }
    CLIENT_RETRY_SETUP_FAILED = { "client-retry-setup-failed", "client_retry", Fail, true,
        "client_retry could not set up its run: the fault plan is invalid, or the proxy or simulator could not start.",
        "Without the proxy in place nothing about the client can be judged; the result is inconclusive.",
        "Fix the plan named in `plan` (a built-in name such as default, or the path of a TOML plan file); the message says what is wrong.",
        None }

    // ---- attestation -------------------------------------------------------------
    ATTESTATION_MISSING = { "attestation-missing", "attestation", Fail, false,
        "A go-live step is not signed off: evidence, signer or date missing (or dated in the future).",
        "KYC/KYB, the funding wire, the webhook registration, the allowlist and the production credentials are human steps; launch without them and Octopus does not activate the account, or activates it half-configured.",
        "Complete the step and record it: evidence (a ticket or document link), signed_off_by and date in the attestation check.",
        Some(DOCS_PRODUCTION) }
    ATTESTATION_STALE = { "attestation-stale", "attestation", Warn, false,
        "A sign-off is older than its max_age.",
        "Old sign-offs drift from reality (rotated credentials, changed NAT addresses, renewed documents).",
        "Re-confirm the step and update the date, or raise max_age if the step really does not expire.",
        Some(DOCS_PRODUCTION) }

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

/// Looks a code up.
pub fn find(code: &str) -> Option<&'static Code> {
    ALL.iter().copied().find(|c| c.code == code)
}

/// The known codes closest to `code`, for "did you mean" messages.
pub fn nearest(code: &str) -> Vec<&'static str> {
    let mut scored: Vec<(usize, &'static str)> = ALL
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_kebab_case_and_documented() {
        let mut seen = std::collections::HashSet::new();
        for c in ALL {
            assert!(seen.insert(c.code), "duplicate code {}", c.code);
            assert!(
                c.code
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
                    && !c.code.starts_with('-')
                    && !c.code.ends_with('-'),
                "not kebab-case: {}",
                c.code
            );
            for text in [c.title, c.why, c.fix] {
                assert!(!text.trim().is_empty(), "{} lacks text", c.code);
            }
        }
    }

    #[test]
    fn every_code_is_documented_in_the_readme() {
        let readme = include_str!("../README.md");
        for c in ALL {
            assert!(
                readme.contains(&format!("| `{}` |", c.code)),
                "README.md lacks a row for `{}`",
                c.code
            );
        }
    }

    #[test]
    fn nearest_suggests_close_codes() {
        assert_eq!(nearest("login-rejectd")[0], "login-rejected");
        assert!(nearest("wallet-gone").contains(&"wallet-missing"));
    }
}
