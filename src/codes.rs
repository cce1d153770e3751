//! The catalogue of finding codes: one place that names every code golive can
//! report, with what it means, why it matters and how to fix it.
//!
//! Codes are a contract (reports, dashboards and waivers quote them): add new ones,
//! never rename one. `golive explain CODE` prints an entry; tests keep the codes
//! unique, kebab-case and documented in the README.

use crate::finding::Level;

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
        "The API answered with a body golive could not read (not JSON, truncated, or too large).",
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

    // ---- runner ------------------------------------------------------------------
    CHECK_TIMEOUT = { "check-timeout", "runner", Fail, true,
        "The check did not finish within its timeout.",
        "A probe that did not finish proved nothing; the result is inconclusive.",
        "Find out which call hung (run with -v), or raise the check's timeout if the endpoint is merely slow.",
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
            let d = edit_distance(code, c.code);
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

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
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
            assert!(readme.contains(&format!("| `{}` |", c.code)), "README.md lacks a row for `{}`", c.code);
        }
    }

    #[test]
    fn nearest_suggests_close_codes() {
        assert_eq!(nearest("login-rejectd")[0], "login-rejected");
        assert!(nearest("wallet-gone").contains(&"wallet-missing"));
    }
}
