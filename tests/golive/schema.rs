//! The JSON report against `golive schema`, for real runs covering every check
//! status (pass, warn, fail, error, skip, waived) and every verdict.

use std::collections::BTreeSet;

use crate::support::*;
use serde_json::Value;

/// Every status a check can have (SPEC section 3).
const STATUSES: [&str; 6] = ["pass", "warn", "fail", "error", "skip", "waived"];

/// A simulator manifest whose healthy run yields pass, warn, fail, skip and waived.
/// Balances of the healthy simulator: USD 25000, EUR 12000, no GBP wallet.
const MIXED: &str = r#"version = 1
default_env = "demo"

[env.demo]
tier = "sandbox"
simulator = true

[env.other]
tier = "sandbox"
simulator = true

[[check]]
id = "credentials"
kind = "credentials"
tags = ["auth"]

[[check]]
id = "wallet-usd"
kind = "wallet"
currency = "USD"
min_balance = 1000.0
warn_balance = 30000.0
tags = ["funding"]

[[check]]
id = "wallet-eur"
kind = "wallet"
currency = "EUR"
min_balance = 20000.0
tags = ["funding"]

[[check]]
id = "other-env-only"
kind = "credentials"
envs = ["other"]

[[check]]
id = "wallet-gbp"
kind = "wallet"
currency = "GBP"
tags = ["funding"]

[[check]]
id = "wallet-usd-launch"
kind = "wallet"
currency = "USD"
min_balance = 100000.0

[[check]]
id = "wallet-eur-extra"
kind = "wallet"
currency = "EUR"

[[waiver]]
check = "wallet-usd-launch"
reason = "top-up wire sent, clears Monday"
owner = "finance@example.com"
expires = 2099-01-01
"#;

const MIXED_ORDER: [&str; 7] = [
    "credentials",
    "wallet-usd",
    "wallet-eur",
    "other-env-only",
    "wallet-gbp",
    "wallet-usd-launch",
    "wallet-eur-extra",
];

/// Runs `golive check --format json`, validates the report against the schema and
/// its own invariants, and returns it.
fn checked_report(schema: &Value, manifest: &std::path::Path, extra: &[&str]) -> (i32, Value) {
    let mut cmd = golive();
    cmd.args(["check", "-m", p(manifest), "--format", "json"])
        .args(extra);
    let out = run(&mut cmd);
    assert!(
        [0, 1, 3].contains(&out.code),
        "exit {}: {}",
        out.code,
        out.stderr
    );
    let report = out.json();
    assert_valid(schema, &report);
    assert_consistent(&report, out.code);
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["tool"]["name"], "golive");
    (out.code, report)
}

#[test]
fn evidence_of_every_kind_is_described() {
    let schema = report_schema();
    let described: Vec<&Value> = schema["$defs"]["CheckReport"]["allOf"]
        .as_array()
        .expect("per-kind evidence rules")
        .iter()
        .map(|c| &c["if"]["properties"]["kind"]["const"])
        .collect();
    for kind in golive::checks::KINDS {
        assert!(
            described.iter().any(|k| **k == kind.def.name),
            "no evidence schema for kind `{}`",
            kind.def.name
        );
    }
}

#[test]
fn the_committed_schema_is_current() {
    const SCHEMA_PATH: &str = golive::report::schema::SCHEMA_PATH;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SCHEMA_PATH);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let out = run_args(&["schema"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        committed == out.stdout,
        "{SCHEMA_PATH} is missing or out of date with the report model.\n\
         Regenerate it with:\n\n    cargo run -- schema > {SCHEMA_PATH}\n\n\
         and commit the result (it is the published contract for dashboards)."
    );
}

#[test]
fn schema_is_a_json_schema() {
    let schema = report_schema();
    assert!(
        schema.get("$schema").is_some() || schema.get("properties").is_some(),
        "{schema:#}"
    );
    // It compiles, and it rejects something that is obviously not a report.
    let validator = jsonschema::validator_for(&schema).expect("compiles");
    assert!(!validator.is_valid(&serde_json::json!({"verdict": "maybe"})));
    assert!(!validator.is_valid(&serde_json::json!([])));
}

#[test]
fn every_status_validates_against_the_schema() {
    let schema = report_schema();
    let mut seen = BTreeSet::new();

    // pass, warn, fail, skip (env filter and --skip) and waived in one run.
    let dir = tempdir();
    let m = write_manifest(dir.path(), MIXED);
    let (code, report) = checked_report(&schema, &m, &["--skip", "wallet-eur-extra"]);
    assert_eq!(code, 1);
    assert_eq!(report["verdict"], "not_ready");
    assert_eq!(ids(&report), MIXED_ORDER, "checks keep manifest order");
    assert_eq!(status_of(&report, "credentials"), "pass");
    assert_eq!(status_of(&report, "wallet-usd"), "warn");
    assert!(codes_of(&report, "wallet-usd").contains(&"balance-low".to_string()));
    assert_eq!(status_of(&report, "wallet-eur"), "fail");
    assert!(codes_of(&report, "wallet-eur").contains(&"balance-below-minimum".to_string()));
    assert_eq!(status_of(&report, "other-env-only"), "skip");
    assert_eq!(status_of(&report, "wallet-gbp"), "fail");
    assert!(codes_of(&report, "wallet-gbp").contains(&"wallet-missing".to_string()));
    assert_eq!(status_of(&report, "wallet-usd-launch"), "waived");
    assert_eq!(status_of(&report, "wallet-eur-extra"), "skip");

    let waived = check(&report, "wallet-usd-launch");
    assert_eq!(waived["blocking"], false);
    assert_eq!(waived["waiver"]["owner"], "finance@example.com");
    assert_eq!(waived["waiver"]["expires"], "2099-01-01");
    assert_eq!(waived["waiver"]["expired"], false);
    assert!(codes_of(&report, "wallet-usd-launch").contains(&"balance-below-minimum".to_string()));
    assert_eq!(check(&report, "wallet-eur")["blocking"], true);
    assert_eq!(check(&report, "wallet-usd")["blocking"], false);
    for c in checks(&report) {
        seen.insert(c["status"].as_str().unwrap().to_string());
    }

    // error: the API keeps answering 429 with a Retry-After longer than the budget.
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &sim_manifest(
            Some("rate-limited"),
            "[[check]]\nid = \"credentials\"\nkind = \"credentials\"\ntimeout = \"500ms\"\n",
        ),
    );
    let (code, report) = checked_report(&schema, &m, &[]);
    assert_eq!(code, 3, "{report:#}");
    assert_eq!(report["verdict"], "inconclusive");
    assert_eq!(status_of(&report, "credentials"), "error");
    assert!(codes_of(&report, "credentials").contains(&"api-rate-limited".to_string()));
    assert_eq!(check(&report, "credentials")["blocking"], true);
    for c in checks(&report) {
        seen.insert(c["status"].as_str().unwrap().to_string());
    }

    let want: BTreeSet<String> = STATUSES.iter().map(|s| s.to_string()).collect();
    assert_eq!(seen, want, "every status was produced and validated");
}

#[test]
fn error_from_a_hung_api_validates() {
    let schema = report_schema();
    let hung = RawServer::start(Behaviour::Hang);
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &api_manifest(
            &hung.base_url(),
            "GL_SCHEMA_KEY",
            "GL_SCHEMA_SECRET",
            "[[check]]\nid = \"credentials\"\nkind = \"credentials\"\ntimeout = \"1s\"\n\n\
             [[check]]\nid = \"wallet-usd\"\nkind = \"wallet\"\ncurrency = \"USD\"\ntimeout = \"1s\"\n",
        ),
    );
    let out = run(golive()
        .args(["check", "-m", p(&m), "--format", "json"])
        .env("GL_SCHEMA_KEY", "k_schema_key_1")
        .env("GL_SCHEMA_SECRET", "s_schema_secret_1"));
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    let report = out.json();
    assert_valid(&schema, &report);
    assert_consistent(&report, 3);
    assert_eq!(status_of(&report, "credentials"), "error");
    assert_eq!(status_of(&report, "wallet-usd"), "error");
}

#[test]
fn every_verdict_validates() {
    let schema = report_schema();
    for (scenario, want) in [
        ("healthy", 0),
        ("low-balance", 1),
        ("blocked-ip", 1),
        ("wrong-tier", 1),
    ] {
        let out = demo(&["--format", "json", "--scenario", scenario]);
        assert_eq!(out.code, want, "{scenario}: {}", out.stderr);
        let report = out.json();
        assert_valid(&schema, &report);
        assert_consistent(&report, want);
        assert_eq!(
            ids(&report),
            [
                "credentials",
                "wallet-usd",
                "wallet-eur",
                "webhook",
                "egress",
                "request-id",
                "client-policy"
            ]
        );
    }
}

#[test]
fn every_check_and_finding_has_the_required_text() {
    let dir = tempdir();
    let m = write_manifest(dir.path(), MIXED);
    let out = run_args(&["check", "-m", p(&m), "--format", "json"]);
    assert_eq!(out.code, 1);
    let report = out.json();
    for c in checks(&report) {
        for key in ["title", "summary"] {
            let text = c[key].as_str().unwrap_or_default();
            assert!(!text.trim().is_empty(), "{key} of {}", c["id"]);
            assert!(!text.contains('\n'), "{key} of {} is one line", c["id"]);
        }
        assert!(c["evidence"].is_object());
        assert!(c["request_ids"].is_array());
        for f in c["findings"].as_array().unwrap() {
            let message = f["message"].as_str().unwrap_or_default();
            assert!(!message.is_empty() && !message.contains('\n'), "{f:#}");
            assert!(
                !f["remediation"].as_str().unwrap_or_default().is_empty(),
                "{f:#}"
            );
            assert!(
                ["fail", "warn", "info"].contains(&f["level"].as_str().unwrap()),
                "a finding level is fail, warn or info, never error: {f:#}"
            );
        }
    }
    // Checks that called the API quote the request ids they got back.
    assert!(
        !check(&report, "credentials")["request_ids"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// Every string inside `v`, with its JSON pointer.
fn strings_in(v: &Value, at: String, out: &mut Vec<(String, String)>) {
    match v {
        Value::String(s) => out.push((at, s.clone())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                strings_in(item, format!("{at}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                strings_in(item, format!("{at}/{k}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn evidence_is_data_not_debug_strings() {
    let out = demo(&["--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = out.json();
    assert_valid(&report_schema(), &report);
    let client = &check(&report, "client-policy")["evidence"]["client"];
    assert_eq!(client["connect_timeout_ms"], 5000, "{client:#}");
    assert_eq!(client["request_timeout_ms"], 30000, "{client:#}");
    assert_eq!(client["backoff_initial_ms"], 200, "{client:#}");
    assert_eq!(client["max_attempts"], 5, "{client:#}");
    assert_eq!(
        client["retry_statuses"],
        serde_json::json!([429, 500, 502, 503, 504])
    );
    assert_eq!(client["honours_retry_after"], true);
    let login = &check(&report, "credentials")["evidence"]["login"];
    assert_eq!(login["attempted"], true, "{login:#}");
    // No evidence anywhere is a Rust debug rendering of a struct or an option.
    for c in checks(&report) {
        let mut strings = Vec::new();
        strings_in(
            &c["evidence"],
            c["id"].as_str().unwrap().to_string(),
            &mut strings,
        );
        for (at, s) in strings {
            let debug = s.contains("Some(") || s.contains(": None") || s.contains("Spec {");
            assert!(!debug, "{at} is a debug string: {s}");
        }
    }
}
