//! Manifest loader tests: the SPEC example, then one test per class of manifest error,
//! each pinning the rendered `FILE:LINE:COL`, the message and the caret.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::checks::attestation::AttestationSpec;
use crate::checks::wallet::WalletSpec;
use crate::checks::webhook::WebhookSpec;
use crate::checks::{DEFAULT_CHECK_TIMEOUT, Settings};
use crate::secret::SecretRef;
use crate::tier::Tier;

/// golive's own kinds, as the loader sees them.
pub(super) fn kinds() -> Vec<&'static KindDef<Settings>> {
    crate::checks::KINDS.iter().map(|k| &k.def).collect()
}

/// Manifest text loaded against golive's own kinds.
fn parse(text: &str, path: &Path) -> Result<Manifest<Settings>, ManifestError> {
    super::parse(text, path, &kinds())
}

/// A check's settings as the concrete type of its kind.
fn settings_of<T: 'static>(spec: &CheckSpec<Settings>) -> &T {
    match spec.settings.as_any().downcast_ref::<T>() {
        Some(s) => s,
        None => panic!(
            "check `{}` has settings of another kind: {:?}",
            spec.id, spec.settings
        ),
    }
}

const FILE: &str = "checks.toml";

/// The SPEC section 2 example, verbatim.
const SPEC_EXAMPLE: &str = r#"version = 1
default_env = "demo"

[env.demo]
tier = "sandbox"            # "sandbox" | "production": canonical host and safety rules
simulator = true            # golive starts its simulator and reference receiver and points this env at them

[env.sandbox]
tier = "sandbox"
base_url = "https://sandbox-api.octopuscards.io"    # default: the tier's canonical host
api_key = { env = "API_KEY_SANDBOX" }               # secrets: { env = "NAME" } or { file = "PATH" } only
api_secret = { env = "API_SECRET_SANDBOX" }
webhook_url = "https://staging.example.com/hooks/octopus"
webhook_secret = { env = "WEBHOOK_SECRET_SANDBOX" }
egress_allowlist = []                               # CIDRs given to the account manager; empty = none
egress_ip = "auto"                                  # "auto" | "198.51.100.7" | ["198.51.100.7", ...]
egress_echo_url = "https://checkip.amazonaws.com"   # plain-text "what is my IP" service used by "auto"
ca_file = "certs/corp-root.pem"                     # optional extra trusted root, for this env only

[env.production]
tier = "production"
api_key = { env = "API_KEY_PROD" }
api_secret = { env = "API_SECRET_PROD" }
webhook_url = "https://hooks.example.com/octopus"
webhook_secret = { file = "/run/secrets/octopus_webhook" }
egress_allowlist = ["203.0.113.0/28", "2001:db8:1::/48"]

[client]                     # how the integration's own HTTP client is configured (retry_policy check)
connect_timeout = "5s"
request_timeout = "30s"
max_attempts = 5
backoff_initial = "200ms"
backoff_max = "10s"
retry_statuses = [429, 500, 502, 503, 504]
honours_retry_after = true
uses_client_reference = true
logs_request_id = true
uses_esim = false

[[check]]
id = "credentials"           # unique, kebab-case, stable: reports, --only/--skip and waivers use it
kind = "credentials"
severity = "error"           # "error" (default, blocks go-live) | "warn" | "info"
envs = ["sandbox", "production"]   # default: every env
tags = ["auth"]
timeout = "10s"              # default 15s

[[check]]
id = "wallet-usd"
kind = "wallet"
currency = "USD"
min_balance = 1000.0         # below: fail
warn_balance = 5000.0        # below: warn
daily_spend = 1500.0         # with settlement_days (default 3), a runway warning
type = "PREPAID"             # optional expected wallet type
settlement_days = 3          # how long a wire top-up takes to clear

[[check]]
id = "webhook"
kind = "webhook"
ack_within = "5s"            # slower 2xx: warn; no answer within timeout: fail
replay_window = "5m"
event_type = "order.delivered"   # the live event type the valid probe carries
cert_min_days = 14

[[check]]
id = "egress"
kind = "egress"

[[check]]
id = "request-id"
kind = "request_id"

[[check]]
id = "client-policy"
kind = "retry_policy"

[[check]]
id = "kyc"
kind = "attestation"
title = "KYC/KYB approved by the account manager"
evidence = "https://tracker.example.com/ONB-42"   # empty or missing: fail
signed_off_by = "ops@example.com"
date = 2026-11-20
max_age = "90d"              # optional: older sign-offs warn

[[waiver]]
check = "wallet-usd"
reason = "top-up wire sent 2026-11-27, clears Monday"
owner = "finance@example.com"
expires = 2026-12-02         # inclusive, UTC; an expired waiver stops hiding the check and says so
"#;

/// The SPEC example's checks: id, kind, and the line of its `kind` key.
const SPEC_CHECKS: &[(&str, &str, usize)] = &[
    ("credentials", "credentials", 42),
    ("wallet-usd", "wallet", 50),
    ("webhook", "webhook", 60),
    ("egress", "egress", 68),
    ("request-id", "request_id", 72),
    ("client-policy", "retry_policy", 76),
    ("kyc", "attestation", 80),
];

fn ok(text: &str) -> Manifest<Settings> {
    match parse(text, Path::new(FILE)) {
        Ok(m) => m,
        Err(e) => panic!("expected a valid manifest, got:\n{}", e.render()),
    }
}

fn err(text: &str) -> ManifestError {
    match parse(text, Path::new(FILE)) {
        Ok(_) => panic!("expected manifest errors for:\n{text}"),
        Err(e) => e,
    }
}

/// `FILE:LINE:COL: error: MESSAGE` headers of every diagnostic, in order.
fn headers(e: &ManifestError) -> Vec<String> {
    e.render()
        .lines()
        .filter(|l| l.starts_with(FILE) && l.contains(": error: "))
        .map(str::to_string)
        .collect()
}

/// The one diagnostic of a manifest that must have exactly one problem.
fn single(text: &str) -> Diagnostic {
    let e = err(text);
    assert_eq!(e.diagnostics.len(), 1, "{}", e.render());
    e.diagnostics[0].clone()
}

/// Asserts position, caret length and that the message contains `needle`.
fn assert_at(d: &Diagnostic, line: usize, column: usize, caret: usize, needle: &str) {
    assert_eq!(
        (d.line, d.column, d.caret_len),
        (line, column, caret),
        "position of: {}",
        d.message
    );
    assert!(
        d.message.contains(needle),
        "message {:?} lacks {needle:?}",
        d.message
    );
}

const HEAD: &str = "version = 1\n[env.demo]\ntier = \"sandbox\"\n";

#[test]
fn the_spec_example_parses_into_domain_values() {
    let m = ok(SPEC_EXAMPLE);
    assert_eq!(m.path, PathBuf::from(FILE));
    assert_eq!(m.base_dir, PathBuf::from("."));
    assert_eq!(m.version, 1);
    assert_eq!(m.default_env.as_deref(), Some("demo"));

    let names: Vec<&str> = m.envs.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["demo", "sandbox", "production"], "file order kept");

    let demo = m.env("demo").unwrap();
    assert_eq!(demo.tier, Tier::Sandbox);
    assert!(demo.simulator);
    assert_eq!(demo.scenario, None);
    assert_eq!(demo.api_key, None);
    assert_eq!(demo.egress_allowlist, None);

    let sandbox = m.env("sandbox").unwrap();
    assert!(!sandbox.simulator);
    assert_eq!(
        sandbox.base_url.as_ref().map(|u| u.as_str()),
        Some("https://sandbox-api.octopuscards.io/")
    );
    assert_eq!(
        sandbox.api_key,
        Some(SecretRef::Env("API_KEY_SANDBOX".into()))
    );
    assert_eq!(
        sandbox.api_secret,
        Some(SecretRef::Env("API_SECRET_SANDBOX".into()))
    );
    assert_eq!(
        sandbox.webhook_url.as_ref().map(|u| u.as_str()),
        Some("https://staging.example.com/hooks/octopus")
    );
    assert_eq!(sandbox.egress_allowlist, Some(vec![]));
    assert_eq!(sandbox.egress_ip, Some(EgressIpSpec::Auto));
    assert_eq!(
        sandbox.egress_echo_url.as_ref().map(|u| u.as_str()),
        Some("https://checkip.amazonaws.com/")
    );
    assert_eq!(
        sandbox.ca_file,
        Some(PathBuf::from("certs/corp-root.pem")),
        "relative paths stay as written"
    );

    let prod = m.env("production").unwrap();
    assert_eq!(prod.tier, Tier::Production);
    assert_eq!(prod.base_url, None);
    assert_eq!(
        prod.webhook_secret,
        Some(SecretRef::File("/run/secrets/octopus_webhook".into()))
    );
    assert_eq!(
        prod.egress_allowlist,
        Some(vec![
            "203.0.113.0/28".parse().unwrap(),
            "2001:db8:1::/48".parse().unwrap()
        ])
    );

    assert_eq!(
        m.client,
        Some(ClientSpec {
            connect_timeout: Some(Duration::from_secs(5)),
            request_timeout: Some(Duration::from_secs(30)),
            max_attempts: Some(5),
            backoff_initial: Some(Duration::from_millis(200)),
            backoff_max: Some(Duration::from_secs(10)),
            retry_statuses: Some(vec![429, 500, 502, 503, 504]),
            honours_retry_after: Some(true),
            uses_client_reference: Some(true),
            logs_request_id: Some(true),
            uses_esim: Some(false),
        })
    );

    let ids: Vec<&str> = m.checks.iter().map(|c| c.id.as_str()).collect();
    let expected: Vec<&str> = SPEC_CHECKS.iter().map(|(id, _, _)| *id).collect();
    assert_eq!(ids, expected, "checks in file order");
    let cred = &m.checks[0];
    assert_eq!(cred.id, "credentials");
    assert_eq!(cred.kind, "credentials");
    assert_eq!(cred.severity, Severity::Error);
    assert_eq!(
        cred.envs,
        Some(vec!["sandbox".to_string(), "production".to_string()])
    );
    assert_eq!(cred.tags, ["auth"]);
    assert_eq!(cred.timeout, Duration::from_secs(10));
    assert_eq!(cred.line, 41, "line of the id key");

    let wallet = &m.checks[1];
    assert_eq!(wallet.id, "wallet-usd");
    assert_eq!(wallet.severity, Severity::Error);
    assert_eq!(wallet.envs, None);
    assert!(wallet.tags.is_empty());
    assert_eq!(wallet.timeout, DEFAULT_CHECK_TIMEOUT);
    assert_eq!(wallet.line, 49);
    let w: &WalletSpec = settings_of(wallet);
    assert_eq!(
        *w,
        WalletSpec {
            currency: "USD".into(),
            min_balance: Some(1000.0),
            warn_balance: Some(5000.0),
            daily_spend: Some(1500.0),
            wallet_type: Some("PREPAID".into()),
            settlement_days: 3.0,
        }
    );

    // The other kinds: their SPEC settings, if they have any.
    for c in &m.checks[2..] {
        match c.kind {
            "webhook" => assert_eq!(
                *settings_of::<WebhookSpec>(c),
                WebhookSpec {
                    ack_within: Duration::from_secs(5),
                    replay_window: Duration::from_secs(300),
                    event_type: "order.delivered".into(),
                    cert_min_days: 14,
                }
            ),
            "egress" | "request_id" | "retry_policy" => {}
            "attestation" => assert_eq!(
                *settings_of::<AttestationSpec>(c),
                AttestationSpec {
                    title: Some("KYC/KYB approved by the account manager".into()),
                    evidence: Some("https://tracker.example.com/ONB-42".into()),
                    signed_off_by: Some("ops@example.com".into()),
                    date: Some(jiff::civil::date(2026, 11, 20)),
                    max_age: Some(Duration::from_secs(90 * 86_400)),
                }
            ),
            other => panic!("unexpected kind {other:?}"),
        }
    }

    assert_eq!(
        m.waivers,
        vec![WaiverSpec {
            check: "wallet-usd".into(),
            reason: "top-up wire sent 2026-11-27, clears Monday".into(),
            owner: "finance@example.com".into(),
            expires: jiff::civil::date(2026, 12, 2),
        }]
    );
}

#[test]
fn the_full_spec_example_loads_every_check() {
    let m = ok(SPEC_EXAMPLE);
    let kinds: Vec<(&str, &str)> = m.checks.iter().map(|c| (c.id.as_str(), c.kind)).collect();
    let expected: Vec<(&str, &str)> = SPEC_CHECKS.iter().map(|(id, k, _)| (*id, *k)).collect();
    assert_eq!(kinds, expected);
}

#[test]
fn a_kind_s_keys_are_validated_against_its_own_list() {
    let text = format!(
        "{HEAD}[[check]]\nid = \"smoke\"\nkind = \"client_retry\"\ncommand = \"npm test\"\ncurrency = \"USD\"\n"
    );
    let e = err(&text);
    let expected = [
        "checks.toml:7:11: error: invalid type for `command`: expected an array, found a string",
        "checks.toml:8:1: error: unknown key `currency` in a `client_retry` check (`currency` belongs to checks of kind `wallet`); valid keys: id, kind, severity, envs, tags, timeout, retries, retry_delay, command, base_url_env, api_key_env, api_secret_env, plan",
    ];
    assert_eq!(headers(&e), expected);
}

#[test]
fn kinds_with_settings_report_their_own_problems() {
    let text = format!(
        "{HEAD}[[check]]\nid = \"c\"\nkind = \"client_retry\"\ncommand = []\nplan = \"\"\n\
[[check]]\nid = \"h\"\nkind = \"webhook\"\nack_within = \"soon\"\ncert_min_days = -1\n\
[[check]]\nid = \"k\"\nkind = \"attestation\"\ndate = \"yesterday\"\nevidence = 42\n"
    );
    let e = err(&text);
    let h = headers(&e);
    assert_eq!(
        h,
        [
            "checks.toml:7:11: error: `command` is empty; give the program and its arguments, e.g. [\"npm\", \"run\", \"smoke\"]",
            "checks.toml:8:8: error: `plan` must not be empty",
            "checks.toml:12:14: error: `ack_within`: invalid duration `soon`: expected a whole number (use a number and a unit: ms, s, m, h or d, e.g. \"250ms\", \"5s\", \"2m\", \"1h30m\")",
            "checks.toml:13:17: error: `cert_min_days` must be a whole number of days, 0 or more, found -1",
            "checks.toml:17:8: error: `date` is not a valid date; write it as YYYY-MM-DD, e.g. 2026-11-20",
            "checks.toml:18:12: error: invalid type for `evidence`: expected a string, found an integer",
        ]
    );
}

#[test]
fn syntax_errors_point_at_the_toml_error() {
    let d = single("version = 1\n[env.demo]\ntier = = \"sandbox\"\n");
    assert_at(&d, 3, 8, 1, "invalid TOML: ");
    assert_eq!(d.snippet.as_deref(), Some("tier = = \"sandbox\""));

    let e = err("version = 1\nversion = 1\n");
    assert_eq!(
        headers(&e),
        ["checks.toml:2:1: error: invalid TOML: duplicate key"]
    );
}

#[test]
fn version_is_required_and_must_be_1() {
    let d = single("[env.demo]\ntier = \"sandbox\"\n");
    assert_at(&d, 1, 1, 1, "missing required key `version`");

    let d = single("version = 2\n");
    assert_at(&d, 1, 11, 1, "unsupported manifest version 2");

    let d = single("version = \"1\"\n");
    assert_at(
        &d,
        1,
        11,
        3,
        "invalid type for `version`: expected an integer, found a string",
    );
}

#[test]
fn default_env_must_name_an_env() {
    let d = single(&format!("default_env = \"dmeo\"\n{HEAD}"));
    assert_at(
        &d,
        1,
        15,
        6,
        "default_env `dmeo` is not defined; did you mean `demo`?",
    );

    let d = single(&format!("default_env = \"staging\"\n{HEAD}"));
    assert_at(&d, 1, 15, 9, "defined envs: demo");
}

#[test]
fn unknown_keys_are_reported_at_every_level() {
    let text = "version = 1\ncolour = 1\n\
[env.demo]\ntiers = \"sandbox\"\n\
[client]\nmax_attempt = 3\nfoo = true\n\
[[check]]\nid = \"w\"\nkind = \"wallet\"\ncurrency = \"USD\"\nack_within = \"5s\"\n\
[[waiver]]\ncheck = \"w\"\nreason = \"r\"\nowner = \"o\"\nexpires = 2026-01-01\nexpiry = 1\n";
    let e = err(text);
    let h = headers(&e);
    assert_eq!(
        h,
        [
            "checks.toml:2:1: error: unknown key `colour` at the top level; valid keys: version, default_env, env, client, check, waiver",
            "checks.toml:3:1: error: missing required key `tier` in env `demo`",
            "checks.toml:4:1: error: unknown key `tiers` in env `demo`; did you mean `tier`?",
            "checks.toml:6:1: error: unknown key `max_attempt` in [client]; did you mean `max_attempts`?",
            "checks.toml:7:1: error: unknown key `foo` in [client]; valid keys: connect_timeout, request_timeout, max_attempts, backoff_initial, backoff_max, retry_statuses, honours_retry_after, uses_client_reference, logs_request_id, uses_esim",
            "checks.toml:12:1: error: unknown key `ack_within` in a `wallet` check (`ack_within` belongs to checks of kind `webhook`); valid keys: id, kind, severity, envs, tags, timeout, retries, retry_delay, currency, min_balance, warn_balance, daily_spend, type, settlement_days",
            "checks.toml:18:1: error: unknown key `expiry` in [[waiver]]; did you mean `expires`?",
        ]
    );
    let tiers = &e.diagnostics[2];
    assert_eq!(tiers.caret_len, 5, "caret under the whole key");
    assert!(e.render().ends_with("\n7 errors in checks.toml"));
}

#[test]
fn title_is_for_attestations_only() {
    let d = single(&format!(
        "{HEAD}[[check]]\nid = \"c\"\nkind = \"credentials\"\ntitle = \"Login\"\n"
    ));
    assert_at(
        &d,
        7,
        1,
        5,
        "unknown key `title` in a `credentials` check (`title` belongs to checks of kind `attestation`); valid keys: id, kind, severity, envs, tags, timeout",
    );
}

#[test]
fn an_unparsable_url_is_explained_in_a_user_s_words() {
    for (url, says) in [
        (
            "https://api.example.com:99999/",
            "its port is not a number from 0 to 65535",
        ),
        ("https://[::1/", "its host is not a valid IPv6 address"),
        (
            "https://api example.com/",
            "its host is not a valid host name",
        ),
        ("https://exa<mple.com/", "its host is not a valid host name"),
        ("https:///", "it has no host"),
    ] {
        let d = single(&format!("{HEAD}base_url = {url:?}\n"));
        assert!(
            d.message
                .contains(&format!("`base_url` is not a valid URL: {says}"))
                || d.message.contains(&format!("`base_url` {says}")),
            "{url}: {}",
            d.message
        );
        assert!(!d.message.contains("relative URL"), "{}", d.message);
    }
}

#[test]
fn env_values_are_checked() {
    let text = "version = 1\n\
[env.a]\ntier = \"prod\"\nbase_url = \"ftp://example.com\"\nwebhook_url = \"not a url\"\nsimulator = \"yes\"\n\
[env.b]\ntier = \"sandbox\"\nscenario = \"low-balance\"\n\
[env.c]\ntier = \"sandbox\"\nsimulator = true\nscenario = \"lowbalance\"\nca_file = 3\n";
    let e = err(text);
    assert_eq!(
        headers(&e),
        [
            "checks.toml:3:8: error: invalid tier `prod`: expected \"sandbox\" or \"production\"; did you mean `production`?",
            "checks.toml:4:12: error: `base_url` must be an http:// or https:// URL, found scheme `ftp`",
            "checks.toml:5:15: error: `webhook_url` is not a valid URL: it is not an absolute URL; write the whole address, e.g. \"https://api.example.com/\"",
            "checks.toml:6:13: error: invalid type for `simulator`: expected a boolean (true or false), found a string",
            "checks.toml:9:1: error: `scenario` only applies to an env with `simulator = true`",
            &format!(
                "checks.toml:13:12: error: unknown scenario `lowbalance` (did you mean `low-balance`?); known scenarios: {}",
                crate::scenario::Scenario::names()
            ),
            "checks.toml:14:1: error: `ca_file` is a real setting, but env `c` has `simulator = true`, which ignores it and runs against golive's simulator; remove `ca_file` or remove `simulator = true`",
            "checks.toml:14:11: error: invalid type for `ca_file`: expected a string, found an integer",
        ]
    );
    assert_eq!(e.diagnostics[1].caret_len, "\"ftp://example.com\"".len());
}

#[test]
fn a_simulator_env_with_a_scenario_parses() {
    let m = ok(
        "version = 1\n[env.demo]\ntier = \"sandbox\"\nsimulator = true\nscenario = \"blocked-ip\"\n",
    );
    assert_eq!(m.envs[0].scenario.as_deref(), Some("blocked-ip"));
    assert_eq!(m.default_env, None);
}

#[test]
fn a_simulator_env_refuses_every_real_setting_at_its_key() {
    // SPEC 8.1: a leftover `simulator = true` must not turn a real env into a
    // simulated READY.
    let text = "version = 1\n[env.prod]\ntier = \"production\"\nsimulator = true\n\
base_url = \"https://api.octopuscards.io\"\n\
api_key = { env = \"K\" }\n\
api_secret = { file = \"s\" }\n\
webhook_url = \"https://hooks.example.com/x\"\n\
webhook_secret = { env = \"W\" }\n\
egress_allowlist = [\"203.0.113.0/28\"]\n\
egress_ip = \"auto\"\n\
egress_echo_url = \"https://checkip.example.com\"\n\
ca_file = \"root.pem\"\n";
    let e = err(text);
    let keys = [
        "base_url",
        "api_key",
        "api_secret",
        "webhook_url",
        "webhook_secret",
        "egress_allowlist",
        "egress_ip",
        "egress_echo_url",
        "ca_file",
    ];
    assert_eq!(e.diagnostics.len(), keys.len(), "{}", e.render());
    for (i, (d, key)) in e.diagnostics.iter().zip(keys).enumerate() {
        assert_at(
            d,
            5 + i,
            1,
            key.len(),
            &format!(
                "`{key}` is a real setting, but env `prod` has `simulator = true`, which ignores it and runs against golive's simulator; remove `{key}` or remove `simulator = true`"
            ),
        );
    }
    // The same keys without `simulator = true`, or `simulator = false`, are fine.
    ok(&text.replace("simulator = true\n", ""));
    ok(&text.replace("simulator = true", "simulator = false"));
    // One real key in a sandbox simulator env is enough.
    let d = single(
        "version = 1\n[env.demo]\ntier = \"sandbox\"\nsimulator = true\nscenario = \"low-balance\"\nwebhook_url = \"https://x.example.com/h\"\n",
    );
    assert_at(
        &d,
        6,
        1,
        "webhook_url".len(),
        "remove `webhook_url` or remove `simulator = true`",
    );
}

#[test]
fn over_long_values_are_manifest_errors_at_their_line() {
    // SPEC 8.5: a 65,536-character id used to validate, then panic `list` and the
    // human report.
    let long_id = "a".repeat(65_536);
    let d = single(&format!(
        "{HEAD}[[check]]\nid = \"{long_id}\"\nkind = \"credentials\"\n"
    ));
    assert_at(
        &d,
        5,
        6,
        long_id.len() + 2,
        "`id` is 65536 characters long; at most 64 are allowed",
    );
    // At the limit, fine.
    let id64 = "b".repeat(64);
    let m = ok(&format!(
        "{HEAD}[[check]]\nid = \"{id64}\"\nkind = \"credentials\"\ntags = [\"{id64}\"]\n"
    ));
    assert_eq!(m.checks[0].id, id64);

    let cases = [
        (
            format!(
                "{HEAD}[[check]]\nid = \"c\"\nkind = \"credentials\"\ntags = [\"{}\"]\n",
                "t".repeat(65)
            ),
            7,
            "an element of `tags` is 65 characters long; at most 64",
        ),
        (
            format!(
                "{HEAD}[[check]]\nid = \"k\"\nkind = \"attestation\"\ntitle = \"{}\"\n",
                "T".repeat(201)
            ),
            7,
            "`title` is 201 characters long; at most 200",
        ),
        (
            format!(
                "{HEAD}[[check]]\nid = \"k\"\nkind = \"attestation\"\nsigned_off_by = \"{}\"\n",
                "o".repeat(201)
            ),
            7,
            "`signed_off_by` is 201 characters long; at most 200",
        ),
        (
            format!(
                "{HEAD}[[check]]\nid = \"k\"\nkind = \"attestation\"\nevidence = \"{}\"\n",
                "e".repeat(1001)
            ),
            7,
            "`evidence` is 1001 characters long; at most 1000",
        ),
        (
            format!(
                "version = 1\n[env.{}]\ntier = \"sandbox\"\n",
                "n".repeat(65)
            ),
            2,
            "env name is 65 characters long; at most 64",
        ),
        (
            format!(
                "{HEAD}base_url = \"https://example.com/{}\"\n",
                "p".repeat(1000)
            ),
            4,
            "`base_url` is 1020 characters long; at most 1000",
        ),
        (
            format!(
                "{HEAD}[[check]]\nid = \"c\"\nkind = \"credentials\"\n[[waiver]]\ncheck = \"c\"\nreason = \"{}\"\nowner = \"o\"\nexpires = 2026-12-01\n",
                "r".repeat(1001)
            ),
            9,
            "`reason` is 1001 characters long; at most 1000",
        ),
        (
            format!(
                "{HEAD}[[check]]\nid = \"c\"\nkind = \"credentials\"\n[[waiver]]\ncheck = \"c\"\nreason = \"r\"\nowner = \"{}\"\nexpires = 2026-12-01\n",
                "o".repeat(201)
            ),
            10,
            "`owner` is 201 characters long; at most 200",
        ),
    ];
    for (text, line, needle) in cases {
        let d = single(&text);
        assert_eq!(d.line, line, "{needle}: {}", d.message);
        assert!(d.message.contains(needle), "{needle}: {}", d.message);
    }
}

#[test]
fn a_literal_secret_is_refused_and_never_echoed() {
    let text = "version = 1\n[env.prod]\ntier = \"production\"\napi_key = \"sk_live_LEAKME123\"\n\
webhook_secret = \"\"\"\nsk_live_LEAKME123\"\"\"\napi_secret = { env = \"X\", value = \"sk_live_LEAKME123\" }\n";
    let e = err(text);
    let out = e.render();
    assert!(!out.contains("LEAKME"), "secret echoed:\n{out}");
    assert!(!format!("{e:?}").contains("LEAKME"), "secret in Debug");
    let h = headers(&e);
    assert_eq!(
        h[0],
        "checks.toml:4:11: error: api_key holds a literal secret; write { env = \"NAME\" } or { file = \"PATH\" } (code: literal-secret)"
    );
    assert!(
        out.contains("  | api_key = \"*****************\"\n  |           ^^^^^^^^^^^^^^^^^^^\n"),
        "{out}"
    );
    assert!(h[1].starts_with("checks.toml:5:18: error: webhook_secret holds a literal secret"));
    assert!(h[2].starts_with(
        "checks.toml:7:27: error: unknown key in the `api_secret` reference; valid keys: env, file"
    ));
    assert_eq!(h.len(), 3);
}

#[test]
fn a_secret_in_a_file_that_does_not_parse_is_not_echoed() {
    let e = err("version = 1\n[env.prod]\napi_key = \"sk_live_LEAKME123\n");
    let out = e.render();
    assert!(out.contains("invalid TOML"), "{out}");
    assert!(!out.contains("LEAKME"), "secret echoed:\n{out}");
}

#[test]
fn a_typo_of_a_secret_key_does_not_echo_its_value() {
    let e = err("version = 1\n[env.prod]\ntier = \"production\"\napikey = \"sk_live_LEAKME123\"\n");
    let out = e.render();
    assert!(out.contains("did you mean `api_key`?"), "{out}");
    assert!(!out.contains("LEAKME"), "secret echoed:\n{out}");
}

#[test]
fn secret_references_take_exactly_one_form() {
    let text = "version = 1\n[env.p]\ntier = \"sandbox\"\n\
api_key = { env = \"A\", file = \"b\" }\napi_secret = { env = \"\" }\nwebhook_secret = {}\n";
    let e = err(text);
    assert_eq!(
        headers(&e),
        [
            "checks.toml:4:24: error: `api_key` takes exactly one of `env` or `file`, not both",
            "checks.toml:5:22: error: `api_secret.env` must name an environment variable; it is empty",
            "checks.toml:6:18: error: `webhook_secret` is an empty reference; write { env = \"NAME\" } or { file = \"PATH\" }",
        ]
    );
    let d = single(&format!("{HEAD}api_key = 42\n"));
    assert_at(
        &d,
        4,
        11,
        2,
        "invalid type for `api_key`: expected { env = \"NAME\" } or { file = \"PATH\" }, found an integer",
    );
    let m = ok(&format!("{HEAD}api_key = {{ file = \"secrets/key\" }}\n"));
    assert_eq!(
        m.envs[0].api_key,
        Some(SecretRef::File("secrets/key".into()))
    );
}

#[test]
fn each_bad_cidr_is_reported_where_it_is() {
    let text = format!(
        "{HEAD}egress_allowlist = [\"203.0.113.0/28\", \"10.0.0.0/33\", 7, \"203.0.113.5\", \"2001:db8::/48\"]\n"
    );
    let e = err(&text);
    assert_eq!(
        headers(&e),
        [
            "checks.toml:4:39: error: invalid CIDR `10.0.0.0/33` in `egress_allowlist`: expected an address range such as \"203.0.113.0/28\" or \"2001:db8::/48\"",
            "checks.toml:4:54: error: invalid type for an element of `egress_allowlist`: expected a string, found an integer",
            "checks.toml:4:57: error: invalid CIDR `203.0.113.5` in `egress_allowlist`: expected an address range such as \"203.0.113.0/28\" or \"2001:db8::/48\"; for a single address write \"203.0.113.5/32\"",
        ]
    );
    assert_eq!(e.diagnostics[0].caret_len, 13);
}

#[test]
fn egress_ip_is_auto_an_address_or_addresses() {
    let m = ok(&format!("{HEAD}egress_ip = \"198.51.100.7\"\n"));
    let ip: IpAddr = "198.51.100.7".parse().unwrap();
    assert_eq!(m.envs[0].egress_ip, Some(EgressIpSpec::Addrs(vec![ip])));
    let m = ok(&format!(
        "{HEAD}egress_ip = [\"198.51.100.7\", \"2001:db8::1\"]\n"
    ));
    assert!(matches!(&m.envs[0].egress_ip, Some(EgressIpSpec::Addrs(a)) if a.len() == 2));

    let e = err(&format!(
        "{HEAD}egress_ip = [\"198.51.100.7\", \"nope\", \"203.0.113.0/24\"]\n"
    ));
    assert_eq!(
        headers(&e),
        [
            "checks.toml:4:30: error: invalid egress_ip `nope`: expected \"auto\", an IP address, or an array of IP addresses",
            "checks.toml:4:38: error: invalid egress_ip `203.0.113.0/24`: egress_ip takes addresses, not CIDR ranges",
        ]
    );
    let d = single(&format!("{HEAD}egress_ip = []\n"));
    assert_at(&d, 4, 13, 2, "`egress_ip` lists no addresses");
}

#[test]
fn client_values_are_checked() {
    let text = "version = 1\n[client]\nconnect_timeout = \"5 seconds\"\nmax_attempts = 0\n\
retry_statuses = [429, 600, \"503\"]\nuses_esim = 1\n";
    let e = err(text);
    let h = headers(&e);
    assert_eq!(h.len(), 5, "{}", e.render());
    assert!(
        h[0].starts_with(
            "checks.toml:3:19: error: `connect_timeout`: invalid duration `5 seconds`"
        )
    );
    assert_eq!(
        h[1],
        "checks.toml:4:16: error: `max_attempts` must be a positive integer (the first attempt counts), found 0"
    );
    assert_eq!(
        h[2],
        "checks.toml:5:24: error: 600 in `retry_statuses` is not an HTTP status (100-599)"
    );
    assert_eq!(
        h[3],
        "checks.toml:5:29: error: invalid type for an element of `retry_statuses`: expected an integer, found a string"
    );
    assert_eq!(
        h[4],
        "checks.toml:6:13: error: invalid type for `uses_esim`: expected a boolean (true or false), found an integer"
    );
    // An empty [client] is present but says nothing.
    let m = ok("version = 1\n[client]\n");
    assert_eq!(m.client, Some(ClientSpec::default()));
}

#[test]
fn check_ids_are_required_kebab_case_and_unique() {
    let text = format!(
        "{HEAD}\
[[check]]\nid = \"Wallet_USD\"\nkind = \"credentials\"\n\
[[check]]\nkind = \"credentials\"\n\
[[check]]\nid = \"login\"\nkind = \"credentials\"\n\
[[check]]\nid = \"login\"\nkind = \"credentials\"\n"
    );
    let e = err(&text);
    assert_eq!(
        headers(&e),
        [
            "checks.toml:5:6: error: check id `Wallet_USD` is not kebab-case (lower-case letters and digits joined by single dashes, e.g. \"wallet-usd\")",
            "checks.toml:7:1: error: missing required key `id` in [[check]]",
            "checks.toml:13:6: error: duplicate check id `login`; it is first defined on line 10",
        ]
    );
    assert_eq!(e.diagnostics[1].caret_len, "[[check]]".len());
}

#[test]
fn check_kinds_must_be_known() {
    let text = format!(
        "{HEAD}[[check]]\nid = \"a\"\nkind = \"walet\"\n[[check]]\nid = \"b\"\nkind = \"dns\"\n[[check]]\nid = \"c\"\n"
    );
    let e = err(&text);
    assert_eq!(
        headers(&e),
        [
            "checks.toml:6:8: error: unknown check kind `walet` (did you mean `wallet`?); known kinds: credentials, wallet, webhook, egress, request_id, retry_policy, attestation, client_retry",
            "checks.toml:9:8: error: unknown check kind `dns`; known kinds: credentials, wallet, webhook, egress, request_id, retry_policy, attestation, client_retry",
            "checks.toml:10:1: error: missing required key `kind` in check `c`",
        ]
    );
}

#[test]
fn check_common_values_are_checked() {
    let text = "version = 1\n[env.sandbox]\ntier = \"sandbox\"\n[env.production]\ntier = \"production\"\n\
[[check]]\nid = \"a\"\nkind = \"credentials\"\nseverity = \"warning\"\nenvs = [\"sandbx\", \"production\", \"staging\"]\n\
tags = [\"auth\", \"Auth Flow\"]\ntimeout = \"0s\"\n\
[[check]]\nid = \"b\"\nkind = \"credentials\"\nenvs = []\ntimeout = 5\n";
    let e = err(text);
    assert_eq!(
        headers(&e),
        [
            "checks.toml:9:12: error: invalid severity `warning`: expected \"error\", \"warn\" or \"info\"; did you mean `warn`?",
            "checks.toml:10:9: error: unknown env `sandbx`; did you mean `sandbox`?",
            "checks.toml:10:33: error: unknown env `staging`; defined envs: sandbox, production",
            "checks.toml:11:17: error: tag `Auth Flow` is not kebab-case (lower-case letters and digits joined by single dashes)",
            "checks.toml:12:11: error: `timeout` must be greater than 0",
            "checks.toml:16:8: error: `envs` is empty, so the check would never run; list at least one env, or remove `envs` to run it in every env",
            "checks.toml:17:11: error: invalid type for `timeout`: expected a duration string such as \"5s\", found an integer",
        ]
    );
}

#[test]
fn wallet_values_are_checked() {
    let text = format!(
        "{HEAD}[[check]]\nid = \"w\"\nkind = \"wallet\"\ncurrency = \"usd\"\nmin_balance = -1\n\
warn_balance = \"lots\"\ntype = \"prepaid\"\nsettlement_days = 0\n\
[[check]]\nid = \"x\"\nkind = \"wallet\"\n"
    );
    let e = err(&text);
    assert_eq!(
        headers(&e),
        [
            "checks.toml:7:12: error: currency `usd` is not a 3-letter upper-case ISO 4217 code such as \"USD\"; write \"USD\"",
            "checks.toml:8:15: error: `min_balance` must not be negative",
            "checks.toml:9:16: error: invalid type for `warn_balance`: expected a number, found a string",
            "checks.toml:10:8: error: wallet type `prepaid` must be written in upper case as the API spells it, e.g. \"PREPAID\" or \"POSTPAID\"",
            "checks.toml:11:19: error: `settlement_days` must be greater than 0",
            "checks.toml:12:1: error: missing required key `currency` in a `wallet` check",
        ]
    );

    // Integers are numbers, and new upper-case wallet types are accepted.
    let m = ok(&format!(
        "{HEAD}[[check]]\nid = \"w\"\nkind = \"wallet\"\ncurrency = \"HKD\"\nmin_balance = 100\n\
type = \"CREDIT_LINE\"\nsettlement_days = 1.5\n"
    ));
    let w: &WalletSpec = settings_of(&m.checks[0]);
    assert_eq!(w.min_balance, Some(100.0));
    assert_eq!(w.wallet_type.as_deref(), Some("CREDIT_LINE"));
    assert_eq!(w.settlement_days, 1.5);
    assert_eq!(w.warn_balance, None);
}

#[test]
fn waivers_are_checked() {
    let text = format!(
        "{HEAD}[[check]]\nid = \"login\"\nkind = \"credentials\"\n\
[[waiver]]\ncheck = \"logn\"\nreason = \"\"\nowner = \"ops@example.com\"\nexpires = \"2026-02-30\"\n\
[[waiver]]\ncheck = \"login\"\n\
[[waiver]]\ncheck = \"login\"\nreason = \"r\"\nowner = \"o\"\nexpires = 2026-12-02T10:00:00Z\n"
    );
    let e = err(&text);
    assert_eq!(
        headers(&e),
        [
            "checks.toml:8:9: error: waiver names unknown check `logn`; did you mean `login`?",
            "checks.toml:9:10: error: `reason` must not be empty",
            "checks.toml:11:11: error: `expires` is not a valid date; write it as YYYY-MM-DD, e.g. 2026-11-20",
            "checks.toml:12:1: error: missing required key `reason` in [[waiver]]",
            "checks.toml:12:1: error: missing required key `owner` in [[waiver]]",
            "checks.toml:12:1: error: missing required key `expires` in [[waiver]]",
            "checks.toml:15:9: error: check `login` already has a waiver on line 13; keep one waiver per check",
            "checks.toml:18:11: error: invalid type for `expires`: expected a date such as 2026-11-20, found a date-time",
        ]
    );
}

#[test]
fn waiver_dates_may_be_strings() {
    let m = ok(&format!(
        "{HEAD}[[check]]\nid = \"login\"\nkind = \"credentials\"\n\
[[waiver]]\ncheck = \"login\"\nreason = \"r\"\nowner = \"o\"\nexpires = \"2026-12-02\"\n"
    ));
    assert_eq!(m.waivers[0].expires, jiff::civil::date(2026, 12, 2));
}

#[test]
fn many_errors_are_all_reported_in_file_order() {
    let text = "version = 3\ndefault_env = \"nowhere\"\n\
[[check]]\nid = \"b\"\nkind = \"wallet\"\n\
[env.x]\ntier = \"sandbox\"\negress_allowlist = [\"bad\"]\n";
    let e = err(text);
    let lines: Vec<(usize, usize)> = e.diagnostics.iter().map(|d| (d.line, d.column)).collect();
    assert_eq!(lines, [(1, 11), (2, 15), (3, 1), (8, 21)], "{}", e.render());
    assert!(e.render().ends_with("\n4 errors in checks.toml"));
}

#[test]
fn a_missing_file_is_one_whole_file_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.toml");
    let e = load(&path, &kinds()).unwrap_err();
    assert_eq!(e.diagnostics.len(), 1);
    let d = &e.diagnostics[0];
    assert_eq!((d.line, d.column, d.snippet.as_deref()), (0, 0, None));
    let shown = path.display().to_string();
    let out = e.render();
    assert!(
        out.starts_with(&format!("{shown}: error: cannot read manifest: ")),
        "{out}"
    );
    assert!(out.ends_with(&format!("\n1 error in {shown}")), "{out}");
    assert_eq!(e.to_string(), out);
}

#[test]
fn load_sets_path_and_base_dir() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checks.toml");
    std::fs::write(&path, HEAD).unwrap();
    let m = load(&path, &kinds()).unwrap();
    assert_eq!(m.path, path);
    assert_eq!(m.base_dir, dir.path());
    let m = parse(HEAD, Path::new("conf/checks.toml")).unwrap();
    assert_eq!(m.base_dir, PathBuf::from("conf"));
}

#[test]
fn wrong_section_types_are_reported() {
    let e = err("version = 1\nenv = \"demo\"\nclient = 1\ncheck = { id = \"x\" }\nwaiver = [1]\n");
    assert_eq!(
        headers(&e),
        [
            "checks.toml:2:7: error: invalid type for `env` (write one [env.NAME] table per env): expected a table, found a string",
            "checks.toml:3:10: error: invalid type for `client`: expected a table, found an integer",
            "checks.toml:4:9: error: invalid type for `check` (write each one as a [[check]] table): expected an array, found a table",
            "checks.toml:5:11: error: invalid type for a [[waiver]] entry: expected a table, found an integer",
        ]
    );
}

#[test]
fn odd_inputs_never_panic() {
    let inputs = [
        "",
        "\n",
        "\u{feff}version = 1",
        "version = 99999999999999999999999\n",
        "version = 1\n[env.\"\"]\ntier = \"sandbox\"\n",
        "version = 1\n[env.a]\ntier = \"sandbox\"\nsimulator = true\nscenario = 3\n",
        "version = 1\n[[check]]\nid = \"\"\nkind = \"\"\n[[waiver]]\n",
        "version = 1\n[[check]]\nid = 1\nkind = [\"wallet\"]\n",
        "version = 1\n[[check]]\nid = \"w\"\nkind = \"wallet\"\ncurrency = \"ÉÉÉ\"\nmin_balance = nan\ndaily_spend = inf\n",
        "version = 1\n[[check]]\nid = \"c\"\nkind = \"client_retry\"\ncommand = [\"\", 1]\n",
        "version = 1\n[env.a]\ntier = \"sandbox\"\napi_key = { env = { env = \"x\" } }\n",
        "version = 1\r\n[env.a]\r\ntier = \"nope\"\r\n",
        "\t\tversion = 1\n\tfoo = \"\u{1F600}\"\n",
        "[[[",
        "version = 1\n[env.a]\ntier = \"sandbox\"\nbase_url = \"http://[::1\"\n",
    ];
    for input in inputs {
        let result = parse(input, Path::new(FILE));
        if let Err(e) = result {
            let out = e.render();
            assert!(!e.diagnostics.is_empty(), "{input:?}");
            assert!(out.contains("error"), "{input:?}: {out}");
            for d in &e.diagnostics {
                assert!(
                    d.line >= 1 && d.column >= 1 && d.caret_len >= 1,
                    "{input:?}: {out}"
                );
            }
        }
    }
}

#[test]
fn crlf_files_get_clean_snippets() {
    let d = single("version = 1\r\n[env.a]\r\ntier = \"nope\"\r\n");
    assert_at(&d, 3, 8, 6, "invalid tier `nope`");
    assert_eq!(d.snippet.as_deref(), Some("tier = \"nope\""));
}

#[test]
fn every_prefix_and_mutation_of_the_spec_example_is_handled_without_panic() {
    // Every line end, and a stride through the middle of lines (a full character-by-
    // character sweep is too slow for an unoptimised test build).
    let boundaries = SPEC_EXAMPLE
        .char_indices()
        .enumerate()
        .filter(|(n, (_, c))| *c == '\n' || n % 11 == 0)
        .map(|(_, (i, _))| i)
        .chain([SPEC_EXAMPLE.len()]);
    for end in boundaries {
        let text = &SPEC_EXAMPLE[..end];
        if let Err(e) = parse(text, Path::new(FILE)) {
            assert!(!e.diagnostics.is_empty(), "prefix {end}");
            let _ = e.render();
        }
    }
    // Replace each line in turn with something hostile.
    let lines: Vec<&str> = SPEC_EXAMPLE.lines().collect();
    for i in 0..lines.len() {
        for junk in [
            "= \"",
            "[[",
            "x = é",
            "\u{0}",
            "api_key = \"sk_live_LEAKME123\"",
        ] {
            let mut mutated = lines.clone();
            mutated[i] = junk;
            let text = mutated.join("\n");
            if let Err(e) = parse(&text, Path::new(FILE)) {
                assert!(!e.render().contains("LEAKME"), "line {i}: {}", e.render());
            }
        }
    }
}

#[test]
fn retries_and_retry_delay_are_read_and_bounded() {
    let base = "version = 1\n[env.demo]\ntier = \"sandbox\"\nsimulator = true\n\n[[check]]\nid = \"w\"\nkind = \"request_id\"\n";
    let m = ok(base);
    assert_eq!(m.checks[0].retries, 0);
    assert_eq!(m.checks[0].retry_delay, Duration::from_secs(2));
    let m = ok(&format!("{base}retries = 3\nretry_delay = \"250ms\"\n"));
    assert_eq!(m.checks[0].retries, 3);
    assert_eq!(m.checks[0].retry_delay, Duration::from_millis(250));
    let d = single(&format!("{base}retries = 4\n"));
    assert_at(&d, 9, 11, 1, "`retries` must be between 0 and 3, not 4");
    let d = single(&format!("{base}retries = -1\n"));
    assert_at(&d, 9, 11, 2, "`retries` must be between 0 and 3, not -1");
    let d = single(&format!("{base}retry_delay = \"1h\"\n"));
    assert_at(&d, 9, 15, 4, "`retry_delay` must be at most 5m");
}
