//! `kind = "credentials"`: credential/host pairing, then one real login.
//!
//! Static checks come first (are the credentials there and well-formed, does the
//! host match the tier, are variables crossed between tiers, is the same value used
//! on both tiers), then a login when it is safe and meaningful to try one. The
//! login's session is shared with every other check of the run.

use url::Host;

use super::{
    CheckContext, CheckOutcome, DEFAULT_CHECK_TIMEOUT, Kind, NoSettings, Target, evidence, settings,
};
use crate::codes;
use crate::finding::{Finding, Level};
use crate::manifest::KindDef;
use crate::octopus::{ApiError, is_loopback_host};
use crate::secret::{Secret, SecretError, SecretRef};
use crate::tier::Tier;

/// `kind = "credentials"`: no keys of its own.
pub const KIND: Kind = Kind {
    def: KindDef {
        name: "credentials",
        about: "the env's key and secret are well formed, paired with the right host, and log in",
        keys: &[],
        default_timeout: DEFAULT_CHECK_TIMEOUT,
        parse: |_| {
            settings(NoSettings {
                title: "Credentials match the host and log in",
                run: |ctx| Box::pin(run(ctx)),
                reports_login: true,
            })
        },
    },
    codes: CODES,
    evidence_about: "What the credentials check saw.",
    evidence,
};

/// The JSON Schema properties of this kind's evidence.
fn evidence() -> serde_json::Value {
    let string = evidence::string();
    serde_json::json!({
        "base_url": string,
        "tier": { "enum": ["sandbox", "production"] },
        "canonical_host": string,
        "credential_sources": {
            "type": "object",
            "description": "Where api_key and api_secret come from (a variable or file name, never a value).",
            "properties": { "api_key": string, "api_secret": string }
        },
        "login": {
            "type": "object",
            "description": "The login: not attempted (with the reason), accepted (status, client_id, access_expires_at) or refused (error).",
            "properties": {
                "attempted": { "type": "boolean" },
                "reason": string,
                "status": { "type": ["string", "integer", "null"] },
                "client_id": { "type": ["string", "null"] },
                "access_expires_at": { "type": ["string", "null"] },
                "error": string
            }
        }
    })
}

codes::declare_codes! {
    CODES;
    CREDENTIAL_MISSING = { "credential-missing", "credentials", Fail, false,
        "An API key or secret is not configured or its source is empty or unreadable.",
        "Without both halves of the key pair the integration cannot log in; a deployment that starts anyway fails on its first call instead of at start-up.",
        "Set api_key and api_secret for this env to { env = \"NAME\" } or { file = \"PATH\" } and make sure the variable is set or the file is readable where golive runs. The deployment itself should refuse to start when they are missing.",
        Some(codes::DOCS_GOLIVE) }
    CREDENTIAL_MALFORMED = { "credential-malformed", "credentials", Fail, false,
        "A credential has surrounding whitespace, a newline, control characters or is a placeholder.",
        "A key copied with a trailing newline or left as `your_api_key` is rejected at login, and the error (401) looks like a wrong key rather than a formatting problem.",
        "Store the exact value with no surrounding whitespace (a secret file may end in one newline). Replace placeholders such as your_api_key or changeme with the real credentials from your account manager.",
        Some(codes::DOCS_AUTH) }
    NON_CANONICAL_HOST = { "non-canonical-host", "credentials", Warn, false,
        "The base URL is neither canonical Octopus host (for example a proxy).",
        "Octopus asks clients to call the canonical host names and keep the original host name for SNI through proxies; a proxy or typo adds a failure point and can break TLS when certificates rotate.",
        "Use the tier's canonical host, or make sure the proxy forwards to it transparently and preserves SNI. Waive this check if the proxy is intended.",
        Some(codes::DOCS_SECURITY) }
    INSECURE_SCHEME = { "insecure-scheme", "credentials", Fail, false,
        "The base URL uses plain http:// to a host that is not loopback.",
        "Credentials and tokens would cross the network in clear text; Octopus rejects plain HTTP at the edge anyway. golive refuses to send credentials over it.",
        "Use an https:// base URL.",
        Some(codes::DOCS_SECURITY) }
    ENV_VAR_TIER_MISMATCH = { "env-var-tier-mismatch", "credentials", Warn, false,
        "A production env reads a variable named like *_SANDBOX or *_TEST, or a sandbox env one named like *_PROD.",
        "Crossed variable names are the most common way sandbox keys reach a production deployment (or the reverse), and they survive code review because the code looks right.",
        "Read production secrets from variables named for production (e.g. API_KEY_PROD) and sandbox secrets from variables named for sandbox.",
        Some(codes::DOCS_PRODUCTION) }
    LOGIN_REJECTED = { "login-rejected", "credentials", Fail, false,
        "POST /auth/login answered 401: the key pair is not valid on this host.",
        "Every API call of the integration depends on this login; a 401 here usually means wrong-environment keys, a typo, or revoked credentials.",
        "Check that this env uses the key pair issued for this tier (production keys only work on the production host), without extra characters. Ask your account manager if the pair may have been revoked.",
        Some(codes::DOCS_AUTH) }
    IP_FORBIDDEN = { "ip-forbidden", "credentials", Fail, false,
        "The API answered 403 FORBIDDEN: this machine's IP is not in the account's allowlist.",
        "With an allowlist configured, every request from another address is refused, including login; the integration cannot work from here.",
        "Run golive from the deployment's egress path, or ask your account manager to add the egress CIDR to the allowlist.",
        Some(codes::DOCS_ERRORS) }
    TOKEN_CLOCK_SKEW = { "token-clock-skew", "credentials", Warn, false,
        "The access token's expiry is not about one hour ahead of this machine's clock.",
        "Access tokens live one hour. An integration that refreshes 'five minutes before expiry' by its own clock will refresh too late or too often if the clock is off.",
        "Synchronise this machine's clock (NTP). If the clock is right, note the observed lifetime when planning token refresh.",
        Some(codes::DOCS_AUTH) }
    API_RATE_LIMITED = { "api-rate-limited", "credentials", Fail, true,
        "The API kept answering 429 until the check's time budget ran out.",
        "golive shares the account's rate limits with the live integration; it waits as Retry-After says but will not exceed its check's timeout.",
        "Run golive again once traffic is lower, or raise the check's timeout above the Retry-After the API sends.",
        Some(codes::DOCS_RATE) }
}

/// Runs the credentials check.
pub async fn run(ctx: &CheckContext) -> CheckOutcome {
    let t = &*ctx.target;
    let mut out = CheckOutcome::default();

    // Host and scheme.
    let url = &t.base_url;
    // One notion of a host (SPEC 8.4): `API.OCTOPUSCARDS.IO.` is the production host.
    let host = crate::tier::normalize_host(url.host_str().unwrap_or(""));
    let host_tier = Tier::of_host(url);
    out.evidence("base_url", url.as_str());
    out.evidence("tier", t.tier());
    out.evidence("canonical_host", t.tier().canonical_host());
    if t.env.simulator {
        out.findings.push(
            Finding::new(
                &NON_CANONICAL_HOST,
                format!("{host} is golive's built-in simulator, not an Octopus host"),
            )
            .with_level(Level::Info)
            .with_remediation(
                "Nothing to do for a simulator env; point a real env at the canonical host.",
            ),
        );
    } else if host_tier == Some(t.tier().other()) {
        out.findings.push(Finding::new(
            &codes::HOST_TIER_MISMATCH,
            format!(
                "a {} env points at the {} host {host}",
                t.tier(),
                t.tier().other()
            ),
        ));
    } else if host_tier != Some(t.tier()) {
        // One finding per code: plain http on loopback is said in the same line.
        let local = if url.scheme() == "http" && is_loopback_host(url) {
            " (plain http:// on loopback: a local proxy or test server)"
        } else {
            ""
        };
        out.findings.push(Finding::new(
            &NON_CANONICAL_HOST,
            format!(
                "{host} is not the canonical {} host {}{local}",
                t.tier(),
                t.tier().canonical_host()
            ),
        ));
    }
    if url.scheme() == "http" && !is_loopback_host(url) {
        out.findings.push(Finding::new(
            &INSECURE_SCHEME,
            format!("{url} uses plain http:// to a non-loopback host"),
        ));
    }
    if matches!(url.host(), Some(Host::Ipv4(_) | Host::Ipv6(_)))
        && !t.env.simulator
        && !is_loopback_host(url)
    {
        out.findings.push(Finding::new(
            &NON_CANONICAL_HOST,
            format!("{host} is an IP address; TLS to Octopus needs the host name for SNI"),
        ));
    }

    // Presence and form of the credentials (simulator envs get theirs from the simulator).
    for (field, value) in [("api_key", &t.api_key), ("api_secret", &t.api_secret)] {
        if let Some(SecretRef::Env(name)) = reference(t, field)
            && !crate::secret::looks_like_variable_name(name)
        {
            // Never echoed: it may be the secret itself.
            out.findings.push(Finding::new(
                &CREDENTIAL_MISSING,
                format!(
                    "the variable name given for {field} does not look like a variable name; did you paste the secret itself?"
                ),
            ));
            continue;
        }
        match value {
            Err(SecretError::Missing(what)) => {
                let msg = match reference(t, field) {
                    None => format!("{field} is not configured for env `{}`", t.name()),
                    Some(_) => format!("{field}: {what}"),
                };
                out.findings.push(Finding::new(&CREDENTIAL_MISSING, msg));
            }
            Err(e @ SecretError::Unreadable { .. }) => {
                out.findings
                    .push(Finding::new(&CREDENTIAL_MISSING, format!("{field}: {e}")));
            }
            Ok(secret) => {
                if let Some(problem) = malformation(secret) {
                    out.findings.push(Finding::new(
                        &CREDENTIAL_MALFORMED,
                        format!("{field} {problem}"),
                    ));
                }
            }
        }
    }
    let mut sources = serde_json::Map::new();
    for field in ["api_key", "api_secret"] {
        let desc = match reference(t, field) {
            Some(r) => r.to_string(),
            None if t.env.simulator => "supplied by the simulator".to_string(),
            None => "not configured".to_string(),
        };
        sources.insert(field.to_string(), desc.into());
    }
    out.evidence("credential_sources", sources);

    // Variables named for the other tier.
    for field in ["api_key", "api_secret", "webhook_secret"] {
        let r = match field {
            "webhook_secret" => t.env.webhook_secret.as_ref(),
            _ => reference(t, field),
        };
        if let Some(SecretRef::Env(name)) = r
            && crate::secret::looks_like_variable_name(name)
            && let Some(named_for) = tier_named_in(name)
            && named_for != t.tier()
        {
            out.findings.push(Finding::new(
                &ENV_VAR_TIER_MISMATCH,
                format!(
                    "{} env `{}` reads {field} from {name}, which is named for {named_for}",
                    t.tier(),
                    t.name()
                ),
            ));
        }
    }

    // The same credentials configured on both tiers.
    if !t.env.simulator {
        shared_with_other_tier(t, &mut out);
    }

    // The login itself, only when the shared rule allows it, so that no other check
    // can send what this one refused to.
    if let Some(reason) = super::login_blocker(t) {
        out.evidence(
            "login",
            serde_json::json!({ "attempted": false, "reason": reason.to_string() }),
        );
        return out;
    }
    let Some(creds) = t.credentials() else {
        return out;
    };
    match ctx.api.login(Some(&creds), &ctx.log, ctx.deadline).await {
        Ok(session) => {
            let client = session
                .client_id
                .clone()
                .unwrap_or_else(|| "(not given)".into());
            out.evidence("login", serde_json::json!({ "attempted": true, "status": session.status, "client_id": session.client_id, "access_expires_at": session.access_expires_at }));
            out.findings.push(Finding::new(
                &codes::LOGIN_OK,
                format!("logged in to {host} as client {client}"),
            ));
            if let Some(f) = clock_skew(session.access_expires_at.as_deref()) {
                out.findings.push(f);
            }
            out.pass_summary = Some(format!(
                "logged in as client {client} on the {} host",
                if t.env.simulator {
                    "simulator"
                } else {
                    t.tier().as_str()
                }
            ));
        }
        Err(e) => {
            out.evidence(
                "login",
                serde_json::json!({ "attempted": true, "error": e.to_string() }),
            );
            out.findings.push(login_finding(&e, ctx));
        }
    }
    out
}

/// The finding for a failed login; shared with other checks that need the session.
pub fn login_finding(e: &ApiError, ctx: &CheckContext) -> Finding {
    let t = &*ctx.target;
    match e {
        ApiError::Unauthorized { .. } => Finding::new(
            &LOGIN_REJECTED,
            format!("POST /auth/login on the {} host answered {e}", t.tier()),
        ),
        ApiError::Forbidden { .. } if e.code().is_none_or(|c| c == "FORBIDDEN") => Finding::new(
            &IP_FORBIDDEN,
            format!("POST /auth/login answered {e}: this machine's egress IP is not allowlisted"),
        ),
        ApiError::RateLimited { .. } => {
            Finding::incomplete(&API_RATE_LIMITED, format!("POST /auth/login: {e}"))
        }
        ApiError::InvalidResponse(m) => {
            Finding::incomplete(&codes::API_RESPONSE_INVALID, m.clone())
        }
        ApiError::Timeout(what) => ctx.timeout_finding(what),
        // Transport errors already name the call.
        ApiError::Transport(m) => Finding::incomplete(&codes::API_UNREACHABLE, m.clone()),
        ApiError::BudgetExhausted => {
            Finding::incomplete(&codes::CALL_BUDGET_EXHAUSTED, e.to_string())
        }
        ApiError::InsecureScheme(_) => Finding::new(&INSECURE_SCHEME, e.to_string()),
        ApiError::WrongTierHost(_) => Finding::new(&codes::HOST_TIER_MISMATCH, e.to_string()),
        ApiError::NoCredentials => Finding::new(
            &CREDENTIAL_MISSING,
            "api_key or api_secret is not available".to_string(),
        ),
        _ => Finding::incomplete(&codes::API_UNREACHABLE, format!("POST /auth/login: {e}")),
    }
}

fn reference<'a>(t: &'a Target, field: &str) -> Option<&'a SecretRef> {
    match field {
        "api_key" => t.env.api_key.as_ref(),
        "api_secret" => t.env.api_secret.as_ref(),
        _ => None,
    }
}

/// What is wrong with a credential's form, if anything. Never quotes the value.
pub fn malformation(secret: &Secret) -> Option<String> {
    let v = secret.expose();
    if v.trim() != v {
        let what =
            if v.trim_end_matches(['\n', '\r']) != v || v.trim_start_matches(['\n', '\r']) != v {
                "a line break"
            } else {
                "whitespace"
            };
        return Some(format!("has leading or trailing {what}"));
    }
    if v.chars().any(char::is_control) {
        return Some("contains control characters".into());
    }
    let lower = v.to_ascii_lowercase();
    let placeholders = [
        "your_api_key",
        "your_api_secret",
        "your-api-key",
        "your-api-secret",
        "yourapikey",
        "changeme",
        "change_me",
        "change-me",
        "replace_me",
        "replaceme",
        "placeholder",
        "todo",
        "xxx",
        "example",
        "secret",
        "password",
        "none",
        "null",
    ];
    if (v.starts_with('<') && v.ends_with('>'))
        || (v.starts_with("${") && v.ends_with('}'))
        || v.starts_with("...")
        || v.ends_with("...")
        || v == "…"
    {
        return Some("is a placeholder, not a credential".into());
    }
    if placeholders
        .iter()
        .any(|p| lower == *p || lower.starts_with("your_") || lower.starts_with("your-"))
    {
        return Some("is a placeholder, not a credential".into());
    }
    if lower.chars().all(|c| c == 'x' || c == '*' || c == '0') {
        return Some("is a placeholder, not a credential".into());
    }
    None
}

/// The tier a variable name is named for: `API_KEY_SANDBOX` -> sandbox, `API_KEY_PROD` -> production.
pub fn tier_named_in(name: &str) -> Option<Tier> {
    let upper = name.to_ascii_uppercase();
    let words: Vec<&str> = upper
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let sandbox = words.iter().any(|w| {
        matches!(
            *w,
            "SANDBOX" | "SBX" | "TEST" | "TESTING" | "STAGING" | "DEV"
        )
    });
    let production = words
        .iter()
        .any(|w| matches!(*w, "PROD" | "PRODUCTION" | "LIVE" | "PRD"));
    match (sandbox, production) {
        (true, false) => Some(Tier::Sandbox),
        (false, true) => Some(Tier::Production),
        _ => None,
    }
}

fn shared_with_other_tier(t: &Target, out: &mut CheckOutcome) {
    let mine = [
        ("api_key", reference(t, "api_key"), &t.api_key),
        ("api_secret", reference(t, "api_secret"), &t.api_secret),
    ];
    for other in t
        .others
        .iter()
        .filter(|o| o.tier != t.tier() && !o.simulator)
    {
        for (field, my_ref, my_value) in &mine {
            let theirs = if *field == "api_key" {
                &other.key
            } else {
                &other.secret
            };
            let Some((their_ref, their_digest)) = theirs else {
                continue;
            };
            let same_value =
                matches!((my_value, their_digest), (Ok(v), Some(d)) if v.digest() == *d);
            let same_source = my_ref.is_some_and(|r| r == their_ref);
            if same_value || same_source {
                let how = if same_source {
                    format!("both read it from the {their_ref}")
                } else {
                    "the values are identical (compared by SHA-256 digest)".to_string()
                };
                out.findings.push(Finding::new(
                    &codes::CREDENTIALS_SHARED,
                    format!(
                        "{field} of {} env `{}` is also the {field} of {} env `{}`: {how}",
                        t.tier(),
                        t.name(),
                        other.tier,
                        other.name
                    ),
                ));
            }
        }
    }
}

fn clock_skew(expires_at: Option<&str>) -> Option<Finding> {
    let raw = expires_at?;
    let Ok(when) = raw.parse::<jiff::Timestamp>() else {
        return Some(Finding::new(
            &TOKEN_CLOCK_SKEW,
            format!("access_expires_at `{raw}` is not an RFC 3339 time"),
        ));
    };
    let ahead = when.as_second() - jiff::Timestamp::now().as_second();
    // Documented lifetime: one hour. Allow ten minutes either way for latency and rounding.
    if !(50 * 60..=70 * 60).contains(&ahead) {
        let minutes = ahead as f64 / 60.0;
        return Some(Finding::new(
            &TOKEN_CLOCK_SKEW,
            format!(
                "the access token expires {minutes:.0} minutes from now by this machine's clock; about 60 was expected"
            ),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_credentials_are_named_without_the_value() {
        let cases = [
            ("abc123\n", Some("line break")),
            (" abc123", Some("whitespace")),
            ("abc\u{7}123", Some("control")),
            ("your_api_key", Some("placeholder")),
            ("<API_KEY>", Some("placeholder")),
            ("changeme", Some("placeholder")),
            ("xxxxxxxx", Some("placeholder")),
            ("k_9f8a7b6c5d4e3f2a", None),
        ];
        for (value, want) in cases {
            let got = malformation(&Secret::new(value));
            match want {
                None => assert_eq!(got, None, "{value:?}"),
                Some(w) => {
                    let msg = got.unwrap_or_else(|| panic!("{value:?} not flagged"));
                    assert!(msg.contains(w), "{value:?}: {msg}");
                    assert!(!msg.contains(value.trim()), "message echoes the value");
                }
            }
        }
    }

    #[test]
    fn variable_names_map_to_tiers() {
        assert_eq!(tier_named_in("API_KEY_SANDBOX"), Some(Tier::Sandbox));
        assert_eq!(tier_named_in("OCTOPUS_TEST_SECRET"), Some(Tier::Sandbox));
        assert_eq!(tier_named_in("API_KEY_PROD"), Some(Tier::Production));
        assert_eq!(tier_named_in("live_api_key"), Some(Tier::Production));
        assert_eq!(tier_named_in("API_KEY"), None);
        assert_eq!(tier_named_in("PRODUCTION_KEY_TEST"), None);
        assert_eq!(tier_named_in("LATEST_KEY"), None);
    }

    #[test]
    fn clock_skew_bounds() {
        let in_an_hour = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(3600);
        assert!(clock_skew(Some(&in_an_hour.to_string())).is_none());
        let in_two_hours = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(7200);
        assert!(clock_skew(Some(&in_two_hours.to_string())).is_some());
        assert!(clock_skew(Some("tomorrow")).is_some());
        assert!(clock_skew(None).is_none());
    }

    #[test]
    fn pasted_secrets_are_not_variable_names() {
        use crate::secret::looks_like_variable_name as ok;
        for name in [
            "API_KEY_SANDBOX",
            "OCTOPUS_API_SECRET",
            "api_key",
            "_X",
            "KEY2",
            "OCTOPUS_API_KEY_PROD_2",
            "MyApiKey",
            "GL_NEVER_SET_KEY_7f3a",
            "camelCaseVariableNameLong",
            "X_2026_11_29_ROTATED",
        ] {
            assert!(ok(name), "{name}");
        }
        for name in [
            "",
            "sk_live_abcdef1234567890",
            "pk_test_abc",
            "whsec_abc",
            "9ABC",
            "key with spaces",
            "a-b",
            "s3cr3t=value",
            "AbCdEfGh1234IjKlMnOp5678",
            "a1b2c3d4e5f6a7b8c9d0e1f2a3b4",
        ] {
            assert!(!ok(name), "{name}");
        }
        // Its reference is described without the name.
        let r = SecretRef::Env("sk_live_abcdef1234567890".into());
        assert!(!r.to_string().contains("sk_live"), "{r}");
        assert!(
            SecretRef::Env("API_KEY".into())
                .to_string()
                .contains("API_KEY")
        );
    }
}
