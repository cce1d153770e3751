//! golive in pipelines: several environments in one run (`-e a,b`, `--all-envs`),
//! every stdout format (json, junit, github, markdown, prometheus), several report
//! files at once, the GitHub Actions environment (annotations on stderr, the step
//! summary), `golive report merge`, and the packaging commands (schema,
//! completions, man, --help).
//!
//! Everything runs against golive's own simulator on loopback: one manifest with
//! four simulator envs whose checks, between them, reach every status.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::*;
use serde_json::Value;

/// Every check status (SPEC section 3).
const STATUSES: [&str; 6] = ["pass", "warn", "fail", "error", "skip", "waived"];

/// The envs of [`fleet_manifest`], in manifest order.
const ENVS: [&str; 4] = ["ok", "low", "down", "limited"];

/// The checks of [`fleet_manifest`], in manifest order.
const CHECK_IDS: [&str; 6] = [
    "credentials",
    "credentials-fast",
    "wallet-usd",
    "wallet-gbp",
    "webhook",
    "kyc",
];

/// A manifest of four simulator envs whose checks, between them, reach every status.
/// Balances of the simulator: USD 25000 (healthy) or 250 (low-balance); there is
/// never a GBP wallet.
///
/// | check            | ok     | low    | down   | limited |
/// | ---------------- | ------ | ------ | ------ | ------- |
/// | credentials      | pass   | pass   | pass   | skip    |
/// | credentials-fast | skip   | skip   | skip   | error   |
/// | wallet-usd       | warn   | fail   | warn   | skip    |
/// | wallet-gbp       | waived | waived | waived | skip    |
/// | webhook          | pass   | skip   | fail   | skip    |
/// | kyc              | pass   | pass   | pass   | pass    |
///
/// `credentials-fast` errors because the rate-limited simulator answers 429 with a
/// `Retry-After` longer than its 500ms budget. `kyc`'s summary ("signed off by
/// ops|team@example.com on ...") and the waiver's reason carry a `|`.
fn fleet_manifest(waiver_reason_toml: &str) -> String {
    format!(
        r#"version = 1
default_env = "ok"

[env.ok]
tier = "sandbox"
simulator = true

[env.low]
tier = "sandbox"
simulator = true
scenario = "low-balance"

[env.down]
tier = "sandbox"
simulator = true
scenario = "receiver-down"

[env.limited]
tier = "sandbox"
simulator = true
scenario = "rate-limited"

[[check]]
id = "credentials"
kind = "credentials"
envs = ["ok", "low", "down"]

[[check]]
id = "credentials-fast"
kind = "credentials"
timeout = "500ms"
envs = ["limited"]

[[check]]
id = "wallet-usd"
kind = "wallet"
currency = "USD"
min_balance = 1000.0
warn_balance = 30000.0
envs = ["ok", "low", "down"]

[[check]]
id = "wallet-gbp"
kind = "wallet"
currency = "GBP"
envs = ["ok", "low", "down"]

[[check]]
id = "webhook"
kind = "webhook"
envs = ["ok", "down"]

[[check]]
id = "kyc"
kind = "attestation"
title = "KYC/KYB approved"
evidence = "https://tracker.example.com/ONB-42"
signed_off_by = "ops|team@example.com"
date = 2026-01-20

[[waiver]]
check = "wallet-gbp"
reason = {waiver_reason_toml}
owner = "finance@example.com"
expires = 2099-01-01
"#
    )
}

/// The status every check of [`fleet_manifest`] reaches in `env`, in manifest order.
fn expected_statuses(env: &str) -> [&'static str; 6] {
    match env {
        "ok" => ["pass", "skip", "warn", "waived", "pass", "pass"],
        "low" => ["pass", "skip", "fail", "waived", "skip", "pass"],
        "down" => ["pass", "skip", "warn", "waived", "fail", "pass"],
        "limited" => ["skip", "error", "skip", "skip", "skip", "pass"],
        other => panic!("no env {other} in the fleet"),
    }
}

/// The verdict and exit code of `env` alone.
fn expected_verdict(env: &str) -> (&'static str, i32) {
    match env {
        "ok" => ("ready", 0),
        "low" | "down" => ("not_ready", 1),
        "limited" => ("inconclusive", 3),
        other => panic!("no env {other} in the fleet"),
    }
}

/// A temp dir holding the fleet manifest (with a plain waiver reason).
fn fleet() -> (tempfile::TempDir, PathBuf) {
    fleet_with_reason(r#""GBP wallet | opening next week""#)
}

fn fleet_with_reason(reason_toml: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempdir();
    let m = write_manifest(dir.path(), &fleet_manifest(reason_toml));
    (dir, m)
}

/// `golive check -m MANIFEST ARGS...`.
fn check_run(manifest: &Path, args: &[&str]) -> Run {
    run(golive().args(["check", "-m", p(manifest)]).args(args))
}

/// The names of the environments of a multi-environment report, in order.
fn env_names(multi: &Value) -> Vec<String> {
    multi["reports"]
        .as_array()
        .expect("`reports` is an array")
        .iter()
        .map(|r| {
            r["environment"]["name"]
                .as_str()
                .expect("environment.name")
                .to_string()
        })
        .collect()
}

/// The report of env `name` inside a multi-environment report.
fn report_of<'a>(multi: &'a Value, name: &str) -> &'a Value {
    multi["reports"]
        .as_array()
        .expect("`reports` is an array")
        .iter()
        .find(|r| r["environment"]["name"] == name)
        .unwrap_or_else(|| panic!("no report for env `{name}`:\n{multi:#}"))
}

/// The statuses of a single report's checks, in report order.
fn statuses(report: &Value) -> Vec<String> {
    checks(report)
        .iter()
        .map(|c| c["status"].as_str().expect("status").to_string())
        .collect()
}

/// Asserts that a multi-environment report is one consistent document: valid against
/// the schema as a whole and entry by entry, each entry consistent with its own
/// verdict, the overall verdict the worst of them and the summary their sum.
fn assert_multi(schema: &Value, multi: &Value, process_exit: i32) {
    assert_valid(schema, multi);
    assert_eq!(multi["schema_version"], 1);
    assert_eq!(multi["tool"]["name"], "golive");
    assert!(
        multi.get("checks").is_none(),
        "a multi-env document has no top-level checks"
    );
    let reports = multi["reports"].as_array().expect("`reports` is an array");
    let mut worst = 0;
    for r in reports {
        assert_valid(schema, r);
        let code = r["exit_code"].as_i64().expect("exit_code") as i32;
        assert_consistent(r, code);
        // not_ready (1) beats inconclusive (3) beats ready (0).
        worst = match (worst, code) {
            (1, _) | (_, 1) => 1,
            (3, _) | (_, 3) => 3,
            _ => 0,
        };
    }
    assert_eq!(multi["exit_code"], process_exit, "{multi:#}");
    assert_eq!(worst, process_exit, "the process exit is the worst verdict");
    let verdict = match process_exit {
        0 => "ready",
        1 => "not_ready",
        3 => "inconclusive",
        other => panic!("unexpected exit {other}"),
    };
    assert_eq!(multi["verdict"], verdict);
    for key in ["total", "pass", "warn", "fail", "error", "skip", "waived"] {
        let sum: u64 = reports
            .iter()
            .map(|r| r["summary"][key].as_u64().expect("summary count"))
            .sum();
        assert_eq!(multi["summary"][key], sum, "summary.{key} is the sum");
    }
}

/// Asserts that `report` is the fleet's `env` with the expected statuses.
fn assert_fleet_env(report: &Value, env: &str) {
    assert_eq!(report["environment"]["name"], env);
    assert_eq!(ids(report), CHECK_IDS, "checks in manifest order");
    assert_eq!(
        statuses(report),
        expected_statuses(env),
        "env {env}:\n{report:#}"
    );
    let (verdict, code) = expected_verdict(env);
    assert_eq!(report["verdict"], verdict, "env {env}");
    assert_eq!(report["exit_code"], code, "env {env}");
}

// ---------------------------------------------------------------------------------
// 1. Several environments in one run

#[test]
fn two_envs_human_has_a_report_per_env_and_an_overall_line() {
    let (_dir, m) = fleet();
    let out = check_run(&m, &["-e", "ok,low"]);
    assert_eq!(out.code, 1, "the worst verdict wins\n{}", out.stderr);
    let headers: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("golive ") && l.contains(" · env "))
        .collect();
    assert_eq!(headers.len(), 2, "one report per env:\n{}", out.stdout);
    assert!(headers[0].contains("env ok "), "{headers:?}");
    assert!(headers[1].contains("env low "), "{headers:?}");
    let overall: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("Overall:"))
        .collect();
    assert_eq!(overall.len(), 1, "{}", out.stdout);
    assert!(overall[0].contains("NOT READY"), "{}", overall[0]);
    assert!(overall[0].contains("2 environments"), "{}", overall[0]);
    assert!(overall[0].contains("exit 1"), "{}", overall[0]);
    assert!(
        out.stdout.trim_end().ends_with(overall[0]),
        "the overall line comes last:\n{}",
        out.stdout
    );
    // Each env's own verdict line is there too.
    assert!(
        out.stdout
            .contains("READY (simulated) — no blocking check failed")
    );
    assert!(
        out.stdout
            .contains("NOT READY (simulated) — 1 blocking check failed: wallet-usd")
    );
}

#[test]
fn all_envs_human_checks_every_env_and_exits_with_the_worst() {
    let (_dir, m) = fleet();
    let out = check_run(&m, &["--all-envs"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let headers: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("golive ") && l.contains(" · env "))
        .collect();
    assert_eq!(headers.len(), 4, "{}", out.stdout);
    for (h, env) in headers.iter().zip(ENVS) {
        assert!(h.contains(&format!("env {env} ")), "{h}");
    }
    assert!(
        out.stdout
            .contains("Overall: NOT READY (simulated) — worst of 4 environments (exit 1)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("INCONCLUSIVE"),
        "the limited env's verdict"
    );
}

#[test]
fn two_envs_json_is_one_document_in_the_requested_order() {
    let schema = report_schema();
    let (_dir, m) = fleet();
    for (list, order) in [("ok,low", ["ok", "low"]), ("low,ok", ["low", "ok"])] {
        let out = check_run(&m, &["-e", list, "--format", "json"]);
        assert_eq!(out.code, 1, "{list}: {}", out.stderr);
        let multi = out.json();
        assert_eq!(env_names(&multi), order, "{list}");
        assert_multi(&schema, &multi, 1);
        assert_eq!(multi["verdict"], "not_ready");
        assert_eq!(multi["summary"]["total"], 12);
        for env in order {
            assert_fleet_env(report_of(&multi, env), env);
        }
    }
}

#[test]
fn all_envs_json_holds_every_env_and_every_status() {
    let schema = report_schema();
    let (_dir, m) = fleet();
    let out = check_run(&m, &["--all-envs", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let multi = out.json();
    assert_eq!(env_names(&multi), ENVS, "manifest order");
    assert_multi(&schema, &multi, 1);
    for env in ENVS {
        assert_fleet_env(report_of(&multi, env), env);
    }
    for status in STATUSES {
        assert!(
            multi["summary"][status].as_u64().unwrap() > 0,
            "status {status} appears in the fleet: {:#}",
            multi["summary"]
        );
    }
    let error = check(report_of(&multi, "limited"), "credentials-fast");
    assert!(
        codes_of(report_of(&multi, "limited"), "credentials-fast")
            .contains(&"api-rate-limited".to_string())
    );
    assert_eq!(error["blocking"], true);
    let waived = check(report_of(&multi, "ok"), "wallet-gbp");
    assert_eq!(waived["waiver"]["owner"], "finance@example.com");
    assert_eq!(waived["blocking"], false);
}

#[test]
fn inconclusive_loses_to_not_ready_but_beats_ready() {
    let schema = report_schema();
    let (_dir, m) = fleet();
    let out = check_run(&m, &["-e", "ok,limited", "--format", "json"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    let multi = out.json();
    assert_multi(&schema, &multi, 3);
    assert_eq!(multi["verdict"], "inconclusive");

    let out = check_run(&m, &["-e", "limited,low", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let multi = out.json();
    assert_multi(&schema, &multi, 1);
    assert_eq!(env_names(&multi), ["limited", "low"]);
}

#[test]
fn one_env_still_prints_a_plain_report() {
    let schema = report_schema();
    let (_dir, m) = fleet();
    let out = check_run(&m, &["-e", "ok", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = out.json();
    assert!(report.get("reports").is_none(), "{report:#}");
    assert_valid(&schema, &report);
    assert_consistent(&report, 0);
    assert_fleet_env(&report, "ok");
    // Human: no Overall line for one env.
    let out = check_run(&m, &["-e", "ok"]);
    assert_eq!(out.code, 0);
    assert!(!out.stdout.contains("Overall:"), "{}", out.stdout);
}

#[test]
fn a_repeated_env_is_checked_once() {
    let schema = report_schema();
    let (_dir, m) = fleet();
    let out = check_run(&m, &["-e", "ok,ok", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = out.json();
    assert!(
        report.get("reports").is_none(),
        "ok,ok is one env: a plain report\n{report:#}"
    );
    assert_fleet_env(&report, "ok");

    let out = check_run(&m, &["-e", "low,ok,low", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let multi = out.json();
    assert_eq!(env_names(&multi), ["low", "ok"], "first occurrence wins");
    assert_multi(&schema, &multi, 1);

    // Spaces around names and a trailing comma are forgiven.
    let out = check_run(&m, &["-e", " low , ok ,", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(env_names(&out.json()), ["low", "ok"]);
}

#[test]
fn an_unknown_env_in_the_list_is_a_usage_error() {
    let (_dir, m) = fleet();
    let out = check_run(&m, &["-e", "ok,nope", "--format", "json"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "nothing probed, nothing printed");
    assert!(out.stderr.contains("nope"), "{}", out.stderr);
    // The known envs are listed to help.
    assert!(out.stderr.contains("low"), "{}", out.stderr);

    let out = check_run(&m, &["-e", "nope,ok"]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("nope"), "{}", out.stderr);
}

#[test]
fn all_envs_and_env_together_are_a_usage_error() {
    let (_dir, m) = fleet();
    let out = check_run(&m, &["--all-envs", "-e", "ok"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("--all-envs"), "{}", out.stderr);
}

#[test]
fn all_envs_overrides_golive_env_from_the_environment() {
    let (_dir, m) = fleet();
    let out = run(golive().env("GOLIVE_ENV", "ok").args([
        "check",
        "-m",
        p(&m),
        "--all-envs",
        "--format",
        "json",
    ]));
    assert_eq!(
        out.code, 1,
        "a flag on the command line beats a variable of the environment:\n{}",
        out.stderr
    );
    assert_eq!(env_names(&out.json()), ENVS);
}

// ---------------------------------------------------------------------------------
// 2. JUnit

/// Per-suite counts from the XML elements, after checking the suite's own
/// attributes agree with them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct SuiteCounts {
    tests: u64,
    failures: u64,
    errors: u64,
    skipped: u64,
}

/// Parses JUnit XML with quick-xml and returns, per `<testsuite>` (in order), its
/// name and counts; also checks the root's totals and the testcase names.
fn junit_suites(xml: &str) -> Vec<(String, SuiteCounts, Vec<String>)> {
    use quick_xml::Reader;
    use quick_xml::events::Event;

    fn attrs(e: &quick_xml::events::BytesStart<'_>) -> BTreeMap<String, String> {
        e.attributes()
            .map(|a| {
                let a = a.expect("well-formed attribute");
                (
                    String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                    a.normalized_value(quick_xml::XmlVersion::default())
                        .expect("attribute value")
                        .into_owned(),
                )
            })
            .collect()
    }
    let num = |a: &BTreeMap<String, String>, k: &str| -> u64 {
        a.get(k).map_or(0, |v| v.parse().expect("a count"))
    };

    let mut reader = Reader::from_str(xml);
    let mut root: Option<BTreeMap<String, String>> = None;
    let mut suites: Vec<(String, SuiteCounts, SuiteCounts, Vec<String>)> = Vec::new();
    let mut depth: i64 = 0;
    loop {
        let event = reader.read_event().expect("well-formed XML");
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            Event::End(_) => {
                depth -= 1;
                (None, false)
            }
            Event::Eof => break,
            _ => (None, false),
        };
        let Some(e) = start else { continue };
        if !empty {
            depth += 1;
        }
        let a = attrs(&e);
        match e.name().as_ref() {
            b"testsuites" => root = Some(a),
            b"testsuite" => {
                let declared = SuiteCounts {
                    tests: num(&a, "tests"),
                    failures: num(&a, "failures"),
                    errors: num(&a, "errors"),
                    skipped: num(&a, "skipped"),
                };
                suites.push((
                    a["name"].clone(),
                    declared,
                    SuiteCounts::default(),
                    Vec::new(),
                ));
            }
            b"testcase" => {
                let s = suites.last_mut().expect("testcase inside a testsuite");
                s.2.tests += 1;
                s.3.push(a["name"].clone());
                assert!(a.contains_key("classname"), "{a:?}");
            }
            b"failure" => suites.last_mut().unwrap().2.failures += 1,
            b"error" => suites.last_mut().unwrap().2.errors += 1,
            b"skipped" => suites.last_mut().unwrap().2.skipped += 1,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "every element is closed");
    let root = root.expect("a <testsuites> root");
    assert_eq!(root["name"], "golive");
    let mut total = SuiteCounts::default();
    let out: Vec<(String, SuiteCounts, Vec<String>)> = suites
        .into_iter()
        .map(|(name, declared, counted, cases)| {
            assert_eq!(declared, counted, "suite {name}: attributes vs elements");
            total.tests += counted.tests;
            total.failures += counted.failures;
            total.errors += counted.errors;
            total.skipped += counted.skipped;
            (name, counted, cases)
        })
        .collect();
    assert_eq!(num(&root, "tests"), total.tests, "root tests");
    assert_eq!(num(&root, "failures"), total.failures, "root failures");
    assert_eq!(num(&root, "errors"), total.errors, "root errors");
    assert_eq!(num(&root, "skipped"), total.skipped, "root skipped");
    out
}

/// The JUnit counts a JSON report implies (without `--strict`).
fn counts_from_json(report: &Value) -> SuiteCounts {
    let n = |s: &str| report["summary"][s].as_u64().unwrap();
    SuiteCounts {
        tests: n("total"),
        failures: n("fail"),
        errors: n("error"),
        skipped: n("skip") + n("waived"),
    }
}

#[test]
fn junit_has_one_suite_per_env_with_counts_matching_the_json() {
    let (dir, m) = fleet();
    let junit_path = dir.path().join("out").join("golive.xml");
    std::fs::create_dir_all(junit_path.parent().unwrap()).unwrap();
    let json_path = dir.path().join("golive.json");
    let out = check_run(
        &m,
        &[
            "--all-envs",
            "--format",
            "junit",
            "--report-junit",
            p(&junit_path),
            "--report-json",
            p(&json_path),
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
        "{}",
        out.stdout
    );
    let file = std::fs::read_to_string(&junit_path).expect("--report-junit written");
    assert_eq!(file, out.stdout, "one run, one JUnit document");

    let multi = parse_json(&std::fs::read_to_string(&json_path).unwrap());
    let suites = junit_suites(&out.stdout);
    let names: Vec<&str> = suites.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ENVS.map(|e| format!("golive {e} (simulated)")),
        "one testsuite per env, in order"
    );
    for ((_, counts, cases), env) in suites.iter().zip(ENVS) {
        let report = report_of(&multi, env);
        assert_eq!(*counts, counts_from_json(report), "env {env}");
        assert_eq!(cases, &CHECK_IDS, "env {env}: one testcase per check");
    }
    // The fleet's totals, spelled out.
    let totals: Vec<SuiteCounts> = suites.iter().map(|(_, c, _)| c.clone()).collect();
    assert_eq!(
        totals,
        [
            SuiteCounts {
                tests: 6,
                failures: 0,
                errors: 0,
                skipped: 2
            },
            SuiteCounts {
                tests: 6,
                failures: 1,
                errors: 0,
                skipped: 3
            },
            SuiteCounts {
                tests: 6,
                failures: 1,
                errors: 0,
                skipped: 2
            },
            SuiteCounts {
                tests: 6,
                failures: 0,
                errors: 1,
                skipped: 4
            },
        ]
    );
    assert!(
        out.stdout.contains(r#"type="balance-below-minimum""#),
        "a failure is typed by its finding code"
    );
    assert!(out.stdout.contains(r#"type="api-rate-limited""#));
    assert!(out.stdout.contains(r#"type="waived""#));
}

#[test]
fn junit_report_file_beside_human_output() {
    let (dir, m) = fleet();
    let junit_path = dir.path().join("j.xml");
    let out = check_run(&m, &["-e", "low,down", "--report-junit", p(&junit_path)]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stdout.contains("Overall:"), "stdout stays human");
    let xml = std::fs::read_to_string(&junit_path).unwrap();
    let suites = junit_suites(&xml);
    assert_eq!(suites.len(), 2);
    assert_eq!(suites[0].0, "golive low (simulated)");
    assert_eq!(suites[1].0, "golive down (simulated)");
}

#[test]
fn junit_under_strict_fails_the_warnings_that_block() {
    let (_dir, m) = fleet();
    let json = check_run(&m, &["-e", "ok", "--strict", "--format", "json"]);
    assert_eq!(json.code, 1, "a warning blocks under --strict");
    let report = json.json();
    assert_eq!(status_of(&report, "wallet-usd"), "warn");
    assert_eq!(check(&report, "wallet-usd")["blocking"], true);

    let out = check_run(&m, &["-e", "ok", "--strict", "--format", "junit"]);
    assert_eq!(out.code, 1);
    let suites = junit_suites(&out.stdout);
    assert_eq!(suites.len(), 1);
    assert_eq!(
        suites[0].1,
        SuiteCounts {
            tests: 6,
            failures: 1,
            errors: 0,
            skipped: 2
        },
        "the JUnit view agrees with the exit code"
    );
}

// ---------------------------------------------------------------------------------
// 3. GitHub Actions

/// One parsed workflow command: level, title, message.
fn workflow_commands(text: &str) -> Vec<(String, String, String)> {
    assert!(!text.contains('\r'), "no raw CR: {text:?}");
    text.lines()
        .map(|line| {
            let rest = line
                .strip_prefix("::")
                .unwrap_or_else(|| panic!("not a workflow command: {line:?}"));
            let (level, rest) = rest
                .split_once(' ')
                .unwrap_or_else(|| panic!("no properties: {line:?}"));
            assert!(
                ["error", "warning", "notice"].contains(&level),
                "unknown command {level}: {line}"
            );
            let rest = rest
                .strip_prefix("title=")
                .unwrap_or_else(|| panic!("no title: {line}"));
            let (title, message) = rest
                .split_once("::")
                .unwrap_or_else(|| panic!("no message: {line}"));
            assert!(
                !title.contains([':', ',']),
                "`:` and `,` in a property are escaped: {line}"
            );
            (level.to_string(), title.to_string(), message.to_string())
        })
        .collect()
}

fn has_command(cmds: &[(String, String, String)], level: &str, title_prefix: &str) -> bool {
    cmds.iter()
        .any(|(l, t, _)| l == level && t.starts_with(title_prefix))
}

#[test]
fn github_format_annotates_every_env_and_ends_with_the_verdict() {
    let (_dir, m) = fleet();
    let out = check_run(&m, &["--all-envs", "--format", "github"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let cmds = workflow_commands(&out.stdout);
    assert!(
        has_command(&cmds, "error", "golive low/wallet-usd"),
        "{cmds:#?}"
    );
    assert!(
        has_command(&cmds, "error", "golive down/webhook"),
        "{cmds:#?}"
    );
    assert!(
        has_command(&cmds, "error", "golive limited/credentials-fast"),
        "an error check is an ::error: {cmds:#?}"
    );
    assert!(
        has_command(&cmds, "warning", "golive ok/wallet-usd"),
        "{cmds:#?}"
    );
    assert!(
        has_command(&cmds, "notice", "golive ok/wallet-gbp"),
        "a waived check is a notice: {cmds:#?}"
    );
    // Nothing is an error in the ready env, and passing checks make no noise.
    assert!(
        !cmds
            .iter()
            .any(|(l, t, _)| l == "error" && t.starts_with("golive ok/")),
        "{cmds:#?}"
    );
    assert!(
        !cmds
            .iter()
            .any(|(_, t, _)| t.starts_with("golive ok/credentials")
                || t.starts_with("golive ok/kyc")),
        "{cmds:#?}"
    );
    // The finding code and its fix are in each annotation.
    let (_, title, message) = cmds
        .iter()
        .find(|(l, t, _)| l == "error" && t.starts_with("golive low/wallet-usd"))
        .unwrap();
    assert!(title.contains("balance-below-minimum"), "{title}");
    assert!(message.contains("fix: "), "{message}");
    // The last line is the overall verdict.
    let (level, title, message) = cmds.last().unwrap();
    assert_eq!((level.as_str(), title.as_str()), ("notice", "golive"));
    assert!(
        message.starts_with("NOT READY (exit 1), simulated"),
        "{message}"
    );
    for env in ENVS {
        assert!(message.contains(&format!("{env}: ")), "{message}");
    }
}

#[test]
fn github_commands_escape_line_breaks_and_percent_signs() {
    let (_dir, m) = fleet_with_reason("\"\"\"GBP wallet 100% ready,\nopening: next week\"\"\"");
    let out = check_run(&m, &["-e", "ok", "--format", "github"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Every line is a whole command: no raw line break inside one.
    let cmds = workflow_commands(&out.stdout);
    let (_, _, message) = cmds
        .iter()
        .find(|(_, t, _)| t.starts_with("golive ok/wallet-gbp"))
        .unwrap_or_else(|| panic!("{cmds:#?}"));
    assert!(
        message.contains("GBP wallet 100%25 ready,%0Aopening: next week"),
        "{message}"
    );
}

#[test]
fn under_github_actions_json_stays_clean_and_annotations_go_to_stderr() {
    let schema = report_schema();
    let (_dir, m) = fleet();
    let out = run(golive()
        .env("GITHUB_ACTIONS", "true")
        .env_remove("GITHUB_STEP_SUMMARY")
        .args(["check", "-m", p(&m), "-e", "ok,low", "--format", "json"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let multi = out.json();
    assert_multi(&schema, &multi, 1);
    assert!(!out.stdout.contains("::error"), "stdout is JSON only");
    let annotations: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("::")).collect();
    let cmds = workflow_commands(&annotations.join("\n"));
    assert!(
        has_command(&cmds, "error", "golive low/wallet-usd"),
        "{}",
        out.stderr
    );

    // Without GITHUB_ACTIONS there are none.
    let out = run(golive()
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .args(["check", "-m", p(&m), "-e", "ok,low", "--format", "json"]));
    assert_eq!(out.code, 1);
    assert!(!out.stderr.contains("::"), "{}", out.stderr);
}

#[test]
fn under_github_actions_the_github_format_is_not_doubled_on_stderr() {
    let (_dir, m) = fleet();
    let out = run(golive()
        .env("GITHUB_ACTIONS", "true")
        .env_remove("GITHUB_STEP_SUMMARY")
        .args(["check", "-m", p(&m), "-e", "low", "--format", "github"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(has_command(
        &workflow_commands(&out.stdout),
        "error",
        "golive low/wallet-usd"
    ));
    assert!(
        !out.stderr.contains("::error"),
        "each annotation once:\n{}",
        out.stderr
    );
}

#[test]
fn step_summary_is_appended_on_every_run() {
    let (dir, m) = fleet();
    let summary = dir.path().join("step_summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    for _ in 0..2 {
        let out = run(golive()
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", &summary)
            .args(["check", "-m", p(&m), "-e", "ok,low"]));
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(out.stdout.contains("Overall:"), "stdout keeps its format");
        assert!(!out.stdout.contains("## "), "the board is not on stdout");
    }
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("earlier step\n"),
        "appended, not overwritten:\n{text}"
    );
    let heading = "## ❌ NOT READY (simulated) · golive · 2 environments";
    assert_eq!(text.matches(heading).count(), 2, "{text}");
    // Each board lists both envs.
    assert_eq!(text.matches("· golive · ok\n").count(), 2, "{text}");
    assert_eq!(text.matches("· golive · low\n").count(), 2, "{text}");
}

// ---------------------------------------------------------------------------------
// 4. Markdown

/// The `|` separators of a table row, ignoring escaped ones (`\|`).
fn unescaped_pipes(line: &str) -> usize {
    let bytes = line.as_bytes();
    (0..bytes.len())
        .filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\'))
        .count()
}

/// Every table row has as many cells as its header.
fn assert_tables_are_rectangular(md: &str) {
    let mut width = None;
    for line in md.lines() {
        if line.starts_with('|') {
            let n = unescaped_pipes(line);
            match width {
                None => width = Some(n),
                Some(w) => assert_eq!(n, w, "ragged table row: {line}"),
            }
        } else {
            width = None;
        }
    }
}

/// The body rows of the table whose header line is `header` (after the `| --- |` line).
fn table_rows<'a>(md: &'a str, header: &str) -> Vec<&'a str> {
    let mut lines = md.lines().skip_while(|l| *l != header);
    assert_eq!(lines.next(), Some(header), "no table `{header}`:\n{md}");
    let separator = lines.next().unwrap_or_default();
    assert!(separator.starts_with("| ---"), "{separator}");
    lines.take_while(|l| l.starts_with('|')).collect()
}

#[test]
fn markdown_board_has_verdict_rows_findings_and_request_ids() {
    let (dir, m) = fleet();
    let md_path = dir.path().join("board.md");
    let out = check_run(
        &m,
        &[
            "-e",
            "down",
            "--format",
            "markdown",
            "--report-markdown",
            p(&md_path),
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let md = &out.stdout;
    assert_eq!(
        &std::fs::read_to_string(&md_path).unwrap(),
        md,
        "--report-markdown and stdout are the same board"
    );
    assert!(
        md.starts_with("## ❌ NOT READY (simulated) · golive · down\n"),
        "{md}"
    );
    assert!(
        md.contains("- **Verdict:** ❌ NOT READY (simulated) (`not_ready`, exit 1)"),
        "{md}"
    );
    assert!(md.contains("1 blocking check failed: `webhook`"), "{md}");
    let checks_table = table_rows(md, "| status | check | kind | summary | time |");
    assert_eq!(
        checks_table.len(),
        CHECK_IDS.len(),
        "a row per check:\n{md}"
    );
    for (id, status) in CHECK_IDS.iter().zip(expected_statuses("down")) {
        let rows: Vec<&&str> = checks_table
            .iter()
            .filter(|l| l.contains(&format!("| `{id}` |")))
            .collect();
        assert_eq!(rows.len(), 1, "one row for {id}:\n{md}");
        assert!(rows[0].contains(&format!(" {status} |")), "{}", rows[0]);
    }
    // Findings with their fix and docs.
    assert!(md.contains("### Findings"), "{md}");
    assert!(
        md.contains("- **fail** `valid-delivery-rejected`: "),
        "{md}"
    );
    assert!(md.contains("  - fix: "), "{md}");
    assert!(md.contains("  - docs: <https://"), "{md}");
    // Request ids, for support tickets.
    assert!(md.contains("### Request ids"), "{md}");
    assert!(md.contains("- `credentials`: `"), "{md}");
    // `|` inside a summary and a waiver reason does not break the tables.
    assert!(
        md.contains("signed off by ops\\|team@example.com on 2026-01-20"),
        "{md}"
    );
    assert!(!md.contains("ops|team"), "every `|` escaped:\n{md}");
    assert!(md.contains("GBP wallet \\| opening next week |"), "{md}");
    assert_tables_are_rectangular(md);
}

#[test]
fn markdown_for_several_envs_opens_with_the_overall_verdict() {
    let (_dir, m) = fleet();
    let out = check_run(&m, &["--all-envs", "--format", "markdown"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let md = &out.stdout;
    assert!(
        md.starts_with("## ❌ NOT READY (simulated) · golive · 4 environments\n"),
        "{md}"
    );
    assert!(
        md.contains("**Overall:** ❌ NOT READY (simulated) (`not_ready`, exit 1)"),
        "{md}"
    );
    for (env, badge) in [
        ("ok", "✅ READY"),
        ("low", "❌ NOT READY"),
        ("down", "❌ NOT READY"),
        ("limited", "⚠️ INCONCLUSIVE"),
    ] {
        assert!(
            md.contains(&format!("### {badge} (simulated) · golive · {env}\n")),
            "{env}:\n{md}"
        );
        assert!(
            md.lines()
                .any(|l| l.starts_with(&format!("| `{env}` |")) && l.contains(badge)),
            "{env} in the environments table:\n{md}"
        );
    }
    assert_tables_are_rectangular(md);
}

// ---------------------------------------------------------------------------------
// 5. Prometheus

/// A sample: metric name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

/// Parses OpenMetrics text strictly: `# HELP`/`# TYPE` comments, samples
/// `name{labels} value`, and a final `# EOF`.
fn parse_metrics(text: &str) -> Vec<Sample> {
    assert!(text.ends_with("# EOF\n"), "ends with # EOF:\n{text}");
    let mut samples = Vec::new();
    let valid_name = |s: &str| {
        let mut c = s.chars();
        c.next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && c.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    };
    for line in text.lines() {
        assert!(!line.is_empty(), "no blank lines");
        if line == "# EOF" {
            continue;
        }
        if let Some(rest) = line
            .strip_prefix("# HELP ")
            .or_else(|| line.strip_prefix("# TYPE "))
        {
            let name = rest.split(' ').next().unwrap();
            assert!(valid_name(name), "{line}");
            continue;
        }
        assert!(!line.starts_with('#'), "unexpected comment: {line}");
        let brace = line
            .find('{')
            .unwrap_or_else(|| panic!("no labels: {line}"));
        let name = &line[..brace];
        assert!(valid_name(name), "bad metric name: {line}");
        // Labels: k="v" pairs with \\, \" and \n escapes.
        let mut labels = BTreeMap::new();
        let mut rest = &line[brace + 1..];
        loop {
            if let Some(after) = rest.strip_prefix('}') {
                rest = after;
                break;
            }
            let (key, after) = rest
                .split_once("=\"")
                .unwrap_or_else(|| panic!("bad label: {line}"));
            assert!(valid_name(key), "bad label name: {line}");
            let mut value = String::new();
            let mut chars = after.char_indices();
            let end = loop {
                match chars.next() {
                    Some((_, '\\')) => match chars.next() {
                        Some((_, '\\')) => value.push('\\'),
                        Some((_, '"')) => value.push('"'),
                        Some((_, 'n')) => value.push('\n'),
                        _ => panic!("bad escape: {line}"),
                    },
                    Some((i, '"')) => break i,
                    Some((_, c)) => value.push(c),
                    None => panic!("unterminated label value: {line}"),
                }
            };
            labels.insert(key.to_string(), value);
            rest = &after[end + 1..];
            rest = rest.strip_prefix(',').unwrap_or(rest);
        }
        let value = rest
            .strip_prefix(' ')
            .unwrap_or_else(|| panic!("no value: {line}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("bad value: {line}")),
        };
        samples.push((name.to_string(), labels, value));
    }
    samples
}

fn sample(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|(n, l, _)| {
            n == name
                && l.len() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|(_, _, v)| *v)
}

#[test]
fn prometheus_text_parses_and_carries_balances_and_statuses() {
    let (_dir, m) = fleet();
    let out = check_run(&m, &["--all-envs", "--format", "prometheus"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let text = &out.stdout;
    let samples = parse_metrics(text);
    assert!(!samples.is_empty());
    assert!(
        text.contains("# TYPE golive_check_status gauge\n"),
        "{text}"
    );

    assert_eq!(
        sample(
            &samples,
            "golive_wallet_balance",
            &[("env", "ok"), ("check", "wallet-usd"), ("currency", "USD")]
        ),
        Some(25000.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &samples,
            "golive_wallet_balance",
            &[("env", "low"), ("check", "wallet-usd"), ("currency", "USD")]
        ),
        Some(250.0),
        "{text}"
    );
    for env in ENVS {
        let (verdict, _) = expected_verdict(env);
        assert_eq!(
            sample(
                &samples,
                "golive_verdict",
                &[("env", env), ("verdict", verdict)]
            ),
            Some(1.0),
            "{env}"
        );
        for (id, status) in CHECK_IDS.iter().zip(expected_statuses(env)) {
            let series: Vec<&Sample> = samples
                .iter()
                .filter(|(n, l, _)| {
                    n == "golive_check_status"
                        && l.get("env").map(String::as_str) == Some(env)
                        && l.get("check").map(String::as_str) == Some(*id)
                })
                .collect();
            assert_eq!(series.len(), 6, "{env}/{id}: one series per status");
            for (_, labels, value) in series {
                let want = if labels["status"] == status { 1.0 } else { 0.0 };
                assert_eq!(*value, want, "{env}/{id} {labels:?}");
            }
        }
    }
    promtool_accepts(text);
}

#[test]
fn prometheus_for_one_env_passes_promtool() {
    let (_dir, m) = fleet();
    let out = check_run(&m, &["-e", "ok", "--format", "prometheus"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let samples = parse_metrics(&out.stdout);
    assert_eq!(
        sample(
            &samples,
            "golive_check_status",
            &[
                ("env", "ok"),
                ("check", "wallet-gbp"),
                ("kind", "wallet"),
                ("status", "waived")
            ]
        ),
        Some(1.0)
    );
    promtool_accepts(&out.stdout);
}

// ---------------------------------------------------------------------------------
// 6. Several report files at once

#[test]
fn every_report_file_at_once_with_prometheus_on_stdout() {
    let schema = report_schema();
    let (dir, m) = fleet();
    let json_path = dir.path().join("a.json");
    let junit_path = dir.path().join("j.xml");
    let md_path = dir.path().join("m.md");
    let out = check_run(
        &m,
        &[
            "--all-envs",
            "--report-json",
            p(&json_path),
            "--report-junit",
            p(&junit_path),
            "--report-markdown",
            p(&md_path),
            "--format",
            "prometheus",
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    // stdout is the Prometheus text and nothing else.
    assert!(out.stdout.starts_with("# HELP golive_"), "{}", out.stdout);
    parse_metrics(&out.stdout);
    // The JSON file: one multi-env document.
    let multi = parse_json(&std::fs::read_to_string(&json_path).expect("a.json written"));
    assert_multi(&schema, &multi, 1);
    assert_eq!(env_names(&multi), ENVS);
    // The JUnit file: one suite per env, counts as in the JSON of the same run.
    let xml = std::fs::read_to_string(&junit_path).expect("j.xml written");
    let suites = junit_suites(&xml);
    assert_eq!(suites.len(), 4);
    for ((_, counts, _), env) in suites.iter().zip(ENVS) {
        assert_eq!(*counts, counts_from_json(report_of(&multi, env)), "{env}");
    }
    // The Markdown file: the overall board.
    let md = std::fs::read_to_string(&md_path).expect("m.md written");
    assert!(
        md.starts_with("## ❌ NOT READY (simulated) · golive · 4 environments\n"),
        "{md}"
    );
    // The same run: the JSON's durations appear in the Prometheus text.
    let ok_ms = report_of(&multi, "ok")["duration_ms"].as_u64().unwrap();
    let samples = parse_metrics(&out.stdout);
    assert_eq!(
        sample(&samples, "golive_run_duration_seconds", &[("env", "ok")]),
        Some(ok_ms as f64 / 1000.0)
    );
}

// ---------------------------------------------------------------------------------
// 7. golive report merge

/// Runs `golive check` for `env` with `--report-json dir/file`.
fn report_file(manifest: &Path, dir: &Path, envs: &str, file: &str) -> PathBuf {
    let path = dir.join(file);
    let out = check_run(manifest, &["-e", envs, "--report-json", p(&path), "-q"]);
    assert!([0, 1, 3].contains(&out.code), "{}", out.stderr);
    path
}

/// `golive report merge ARGS...` run in `dir` (so file labels are the bare names).
fn merge_in(dir: &Path, args: &[&str]) -> Run {
    run(golive()
        .current_dir(dir)
        .args(["report", "merge"])
        .args(args))
}

#[test]
fn merge_two_single_env_reports() {
    let schema = report_schema();
    let (dir, m) = fleet();
    report_file(&m, dir.path(), "ok", "ok.json");
    report_file(&m, dir.path(), "low", "low.json");

    let out = merge_in(dir.path(), &["ok.json", "low.json", "--format", "json"]);
    assert_eq!(out.code, 1, "the worst verdict: {}", out.stderr);
    let merged = out.json();
    assert_multi(&schema, &merged, 1);
    assert_eq!(
        env_names(&merged),
        ["ok", "low"],
        "names unique: left alone"
    );
    assert_fleet_env(report_of(&merged, "ok"), "ok");
    assert_fleet_env(report_of(&merged, "low"), "low");

    // Human by default, with the overall line.
    let out = merge_in(dir.path(), &["ok.json", "low.json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("Overall: NOT READY (simulated) — worst of 2 environments (exit 1)"),
        "{}",
        out.stdout
    );

    // A ready report alone merges to ready; with an inconclusive one, to 3.
    report_file(&m, dir.path(), "limited", "limited.json");
    let out = merge_in(dir.path(), &["ok.json", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = merge_in(dir.path(), &["ok.json", "limited.json", "--format", "json"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert_multi(&schema, &out.json(), 3);
}

#[test]
fn merge_a_multi_env_report_with_a_single_env_report() {
    let schema = report_schema();
    let (dir, m) = fleet();
    report_file(&m, dir.path(), "ok,down", "both.json");
    report_file(&m, dir.path(), "limited", "limited.json");
    let out = merge_in(
        dir.path(),
        &["both.json", "limited.json", "--format", "json"],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let merged = out.json();
    assert_multi(&schema, &merged, 1);
    assert_eq!(env_names(&merged), ["ok", "down", "limited"]);
    assert_eq!(merged["summary"]["total"], 18);

    // A merged document merges again, unchanged in its names.
    std::fs::write(dir.path().join("merged.json"), &out.stdout).unwrap();
    let again = merge_in(dir.path(), &["merged.json", "--format", "json"]);
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert_eq!(env_names(&again.json()), ["ok", "down", "limited"]);
}

#[test]
fn merge_keeps_both_reports_of_one_env_labelled_by_file() {
    let schema = report_schema();
    let (dir, m) = fleet();
    report_file(&m, dir.path(), "ok", "eu.json");
    report_file(&m, dir.path(), "ok", "us.json");
    report_file(&m, dir.path(), "low", "low.json");
    let out = merge_in(
        dir.path(),
        &["eu.json", "low.json", "us.json", "--format", "json"],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let merged = out.json();
    assert_multi(&schema, &merged, 1);
    assert_eq!(env_names(&merged), ["ok (eu.json)", "low", "ok (us.json)"]);

    // The Markdown board names both.
    let out = merge_in(dir.path(), &["eu.json", "us.json", "--format", "markdown"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("ok (eu.json)"), "{}", out.stdout);
    assert!(out.stdout.contains("ok (us.json)"), "{}", out.stdout);

    // Given by path, the label still names the file.
    let eu = dir.path().join("eu.json");
    let us = dir.path().join("us.json");
    let out = run_args(&["report", "merge", p(&eu), p(&us), "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let names = env_names(&out.json());
    assert_eq!(names.len(), 2);
    assert_ne!(names[0], names[1], "{names:?}");
    assert!(
        names[0].starts_with("ok (") && names[0].contains("eu.json"),
        "{names:?}"
    );
    assert!(
        names[1].starts_with("ok (") && names[1].contains("us.json"),
        "{names:?}"
    );

    // The same file twice: both kept, still distinct.
    let out = merge_in(dir.path(), &["eu.json", "eu.json", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let names = env_names(&out.json());
    assert_eq!(names.len(), 2);
    assert_ne!(names[0], names[1], "{names:?}");
}

#[test]
fn merge_rejects_another_schema_version_naming_the_file() {
    let (dir, m) = fleet();
    let ok = report_file(&m, dir.path(), "ok", "ok.json");
    let mut v2 = parse_json(&std::fs::read_to_string(&ok).unwrap());
    v2["schema_version"] = 2.into();
    std::fs::write(
        dir.path().join("future.json"),
        serde_json::to_string_pretty(&v2).unwrap(),
    )
    .unwrap();
    let out = merge_in(dir.path(), &["ok.json", "future.json", "--format", "json"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.contains("future.json"), "{}", out.stderr);
    assert!(out.stderr.contains("schema_version 2"), "{}", out.stderr);
}

#[test]
fn merge_rejects_a_file_that_is_not_json_naming_it() {
    let (dir, m) = fleet();
    report_file(&m, dir.path(), "ok", "ok.json");
    std::fs::write(dir.path().join("notes.txt"), "launch is on Monday\n").unwrap();
    let out = merge_in(dir.path(), &["ok.json", "notes.txt"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("notes.txt"), "{}", out.stderr);

    // JSON, but not a golive report.
    std::fs::write(dir.path().join("other.json"), r#"{"name": "x"}"#).unwrap();
    let out = merge_in(dir.path(), &["other.json", "ok.json"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("other.json"), "{}", out.stderr);
}

#[test]
fn merge_of_a_missing_file_is_a_usage_error() {
    let (dir, m) = fleet();
    report_file(&m, dir.path(), "ok", "ok.json");
    let out = merge_in(dir.path(), &["ok.json", "missing.json"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("missing.json"), "{}", out.stderr);

    // No file at all: clap says so.
    let out = merge_in(dir.path(), &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

#[test]
fn merge_markdown_shows_the_overall_verdict_and_every_env() {
    let (dir, m) = fleet();
    report_file(&m, dir.path(), "ok", "ok.json");
    report_file(&m, dir.path(), "down", "down.json");
    let out = merge_in(
        dir.path(),
        &["ok.json", "down.json", "--format", "markdown"],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let md = &out.stdout;
    assert!(
        md.starts_with("## ❌ NOT READY (simulated) · golive · "),
        "{md}"
    );
    assert!(
        md.contains("**Overall:** ❌ NOT READY (simulated) (`not_ready`, exit 1)"),
        "{md}"
    );
    assert!(
        md.contains("`ok.json`") && md.contains("`down.json`"),
        "{md}"
    );
    assert!(
        md.contains("### ✅ READY (simulated) · golive · ok\n"),
        "{md}"
    );
    assert!(
        md.contains("### ❌ NOT READY (simulated) · golive · down\n"),
        "{md}"
    );
    assert!(md.lines().any(|l| l.starts_with("| `ok` |")), "{md}");
    assert!(md.lines().any(|l| l.starts_with("| `down` |")), "{md}");
    assert_tables_are_rectangular(md);
}

// ---------------------------------------------------------------------------------
// 8-10. Packaging: schema, completions, man, --help

#[test]
fn schema_command_prints_the_committed_schema_byte_for_byte() {
    let out = run(golive().arg("schema"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let committed = std::fs::read_to_string(crate_root().join("schema/report.v1.json"))
        .expect("schema/report.v1.json");
    assert!(
        out.stdout == committed,
        "`golive schema` differs from schema/report.v1.json (regenerate it with `golive schema > schema/report.v1.json`)"
    );
}

#[test]
fn completions_for_every_common_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run_args(&["completions", shell]);
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        assert!(out.stdout.contains("golive"), "{shell}");
        assert!(out.stdout.contains("check"), "{shell}");
        assert!(out.stdout.contains("merge"), "{shell}: nested subcommands");
        assert!(out.stdout.contains("all-envs"), "{shell}: check's flags");
    }
    let out = run_args(&["completions", "tcsh-or-something"]);
    assert_eq!(out.code, 2, "an unknown shell is a usage error");
}

#[test]
fn man_page_is_roff() {
    let out = run_args(&["man"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let head: Vec<&str> = out.stdout.lines().take(10).collect();
    assert!(
        head.iter().any(|l| l.starts_with(".TH ")),
        "a .TH line near the top:\n{}",
        head.join("\n")
    );
    assert!(out.stdout.contains("golive"));
    assert!(out.stdout.contains(".SH"), "sections");
    assert!(out.stdout.contains("check"), "the subcommands are listed");
}

#[test]
fn check_help_lists_every_format_and_all_envs() {
    let out = run_args(&["check", "--help"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for word in [
        "human",
        "json",
        "junit",
        "github",
        "markdown",
        "prometheus",
        "--all-envs",
        "--report-json",
        "--report-junit",
        "--report-markdown",
    ] {
        assert!(out.stdout.contains(word), "{word} missing:\n{}", out.stdout);
    }
    let out = run_args(&["report", "merge", "--help"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for word in ["json", "markdown", "human"] {
        assert!(out.stdout.contains(word), "{word}:\n{}", out.stdout);
    }
}

// ---------------------------------------------------------------------------------
// Machine formats stay machine-readable

#[test]
fn json_report_file_of_several_envs_is_the_stdout_document() {
    let (dir, m) = fleet();
    let path = dir.path().join("golive.json");
    let out = check_run(
        &m,
        &[
            "-e",
            "ok,down",
            "--format",
            "json",
            "--report-json",
            p(&path),
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let file = std::fs::read_to_string(&path).expect("--report-json written");
    assert_eq!(parse_json(&file), out.json(), "one run, one document");
}

#[test]
fn forced_colour_never_reaches_a_machine_format() {
    let (_dir, m) = fleet();
    for format in ["json", "junit", "github", "markdown", "prometheus"] {
        let out = check_run(
            &m,
            &["-e", "ok,low", "--color", "always", "--format", format],
        );
        assert_eq!(out.code, 1, "{format}: {}", out.stderr);
        assert!(
            !out.stdout.contains('\u{1b}'),
            "{format}: ANSI escape in stdout:\n{}",
            out.stdout
        );
    }
}

/// SPEC 8.5: a crafted report with a 70,000-character check id or a wrapped
/// duration used to panic `report merge` (exit 101); it is refused with exit 2
/// naming the file, in every format, and nothing reaches stdout.
#[test]
fn merge_refuses_crafted_values_without_a_panic() {
    let (dir, m) = fleet();
    let ok = report_file(&m, dir.path(), "ok", "ok.json");
    let mut crafted: Value = serde_json::from_str(&std::fs::read_to_string(&ok).unwrap()).unwrap();
    crafted["checks"][0]["id"] = "x".repeat(70_000).into();
    std::fs::write(dir.path().join("crafted.json"), crafted.to_string()).unwrap();
    for format in ["human", "markdown", "json"] {
        let out = merge_in(dir.path(), &["ok.json", "crafted.json", "--format", format]);
        assert_eq!(out.code, 2, "{format}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{format}: {}", out.stdout);
        assert!(
            out.stderr
                .contains("crafted.json is not a golive report: the check id `checks[0].id` is 70000 characters long"),
            "{format}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }
    // Durations at the top of u64 render, they do not overflow.
    let mut slow: Value = serde_json::from_str(&std::fs::read_to_string(&ok).unwrap()).unwrap();
    slow["duration_ms"] = u64::MAX.into();
    slow["checks"][0]["duration_ms"] = u64::MAX.into();
    std::fs::write(dir.path().join("slow.json"), slow.to_string()).unwrap();
    for format in ["human", "markdown"] {
        let out = merge_in(dir.path(), &["slow.json", "--format", format]);
        assert_eq!(out.code, 0, "{format}: {}", out.stderr);
        assert!(
            out.stdout.contains("307445734561825m51s"),
            "{format}: {}",
            out.stdout
        );
    }
}

#[test]
fn a_multi_env_run_reports_an_env_with_nothing_selected() {
    let dir = tempdir();
    let path = write_manifest(
        dir.path(),
        "version = 1\n\n[env.a]\ntier = \"sandbox\"\nsimulator = true\n\n[env.b]\ntier = \"sandbox\"\nsimulator = true\n\n\
         [[check]]\nid = \"credentials\"\nkind = \"credentials\"\nenvs = [\"a\"]\n",
    );
    let out = run(golive().args(["check", "-m", p(&path), "--all-envs", "--format", "json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = out.json();
    assert_eq!(report["reports"][1]["environment"]["name"], "b");
    assert_eq!(report["reports"][1]["summary"]["skip"], 1);
    // One env alone with nothing to run is still refused: it would say ready for nothing.
    let out = run(golive().args(["check", "-m", p(&path), "-e", "b"]));
    assert_eq!(out.code, 2, "{}", out.stdout);
}
