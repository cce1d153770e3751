//! Reading golive's JSON reports: checks, statuses and finding codes by id, the
//! invariants every report holds, its schema, and the report with what differs
//! between two runs taken out. Also the `golive check` runs whose report the tests
//! read.

use std::path::Path;

use serde_json::Value;

use super::{Run, golive, p, parse_json, run, run_args};

/// `golive check -m PATH --format json ARGS...`, with extra environment variables.
pub fn check_json(manifest: &Path, args: &[&str], vars: &[(&str, &str)]) -> Run {
    let mut cmd = golive();
    cmd.args(["check", "-m", p(manifest), "--format", "json"])
        .args(args);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

/// Runs `check_json` and returns the report, after checking it is consistent with the
/// exit code and that the exit code is `want`.
pub fn report_with_exit(manifest: &Path, args: &[&str], vars: &[(&str, &str)], want: i32) -> Value {
    let out = check_json(manifest, args, vars);
    assert_eq!(
        out.code, want,
        "exit code\nstdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
    let report = out.json();
    assert_consistent(&report, out.code);
    report
}

/// The finding of check `id` with `code` (the first one).
pub fn finding<'a>(report: &'a Value, id: &str, code: &str) -> &'a Value {
    check(report, id)["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no finding `{code}` in `{id}`:\n{report:#}"))
}

/// The level of the finding `code` of check `id`.
pub fn level_of<'a>(report: &'a Value, id: &str, code: &str) -> &'a str {
    finding(report, id, code)["level"]
        .as_str()
        .expect("level is a string")
}

/// The checks of a JSON report.
pub fn checks(report: &Value) -> &Vec<Value> {
    report["checks"].as_array().expect("`checks` is an array")
}

/// The check with `id` in a JSON report.
pub fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    checks(report)
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check `{id}` in the report:\n{report:#}"))
}

/// The status of check `id`.
pub fn status_of<'a>(report: &'a Value, id: &str) -> &'a str {
    check(report, id)["status"]
        .as_str()
        .expect("status is a string")
}

/// The finding codes of check `id`.
pub fn codes_of(report: &Value, id: &str) -> Vec<String> {
    check(report, id)["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .map(|f| f["code"].as_str().expect("code is a string").to_string())
        .collect()
}

/// The ids of the report's checks, in report order.
pub fn ids(report: &Value) -> Vec<String> {
    checks(report)
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect()
}

/// The report's JSON Schema, as printed by `golive schema`.
pub fn report_schema() -> Value {
    let out = run_args(&["schema"]);
    assert_eq!(out.code, 0, "golive schema failed: {}", out.stderr);
    parse_json(&out.stdout)
}

/// Asserts that `report` is valid against `schema`, listing every violation.
pub fn assert_valid(schema: &Value, report: &Value) {
    let validator = jsonschema::validator_for(schema).expect("the report schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report does not match `golive schema`:\n{}\n{report:#}",
        errors.join("\n")
    );
}

/// Asserts the invariants every report must hold: the process exit code is the
/// report's, the verdict goes with it, and the summary counts add up.
pub fn assert_consistent(report: &Value, process_exit: i32) {
    assert_eq!(
        report["exit_code"], process_exit,
        "exit_code in the report differs from the process exit"
    );
    let verdict = match process_exit {
        0 => "ready",
        1 => "not_ready",
        3 => "inconclusive",
        other => panic!("a report came with exit code {other}"),
    };
    assert_eq!(report["verdict"], verdict);
    let summary = &report["summary"];
    let list = checks(report);
    assert_eq!(summary["total"], list.len(), "summary.total");
    let mut sum = 0;
    for status in ["pass", "warn", "fail", "error", "skip", "waived"] {
        let n = list.iter().filter(|c| c["status"] == status).count();
        assert_eq!(summary[status], n, "summary.{status}");
        sum += n;
    }
    assert_eq!(sum, list.len(), "every check has one of the six statuses");
}

/// A copy of `report` without what legitimately differs between two runs (or two
/// renderings): times, durations, request ids, token expiry, loopback ports, and
/// `evidence.api_calls` (the one shared login is recorded under whichever check
/// happened to make it, which depends on scheduling).
pub fn normalized(report: &Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for key in [
                    "started_at",
                    "duration_ms",
                    "request_ids",
                    "request_id",
                    "access_expires_at",
                    "api_calls",
                    // Values of the webhook and request-id probes that differ per run.
                    "latency_ms",
                    "event_id",
                    "sent",
                    "returned",
                ] {
                    map.remove(key);
                }
                map.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            Value::String(s) => *s = mask_run_values(&strip_loopback_ports(s)),
            _ => {}
        }
    }
    let mut v = report.clone();
    walk(&mut v);
    v
}

/// Masks values that differ between two runs of the same checks: durations such as
/// `6ms` become `Nms`, and 27-character KSUIDs (request ids) become `KSUID`.
pub fn mask_run_values(s: &str) -> String {
    s.split(' ')
        .map(|word| {
            let core = word.trim_end_matches([';', ',', '.', ':', ')']);
            let tail = &word[core.len()..];
            let digits = core.trim_end_matches("ms");
            if core.ends_with("ms")
                && !digits.is_empty()
                && digits.chars().all(|c| c.is_ascii_digit())
            {
                format!("Nms{tail}")
            } else if core.len() == 27 && core.chars().all(|c| c.is_ascii_alphanumeric()) {
                format!("KSUID{tail}")
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `http://127.0.0.1:41234/x` -> `http://127.0.0.1:PORT/x`, wherever it occurs.
pub fn strip_loopback_ports(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("127.0.0.1:") {
        let (head, tail) = rest.split_at(i + "127.0.0.1:".len());
        out.push_str(head);
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 {
            out.push_str("PORT");
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

/// Asserts two JSON documents are equal, showing both pretty-printed when not.
pub fn assert_same_json(left: &Value, right: &Value, context: &str) {
    if left != right {
        panic!("{context}\n--- left:\n{left:#}\n--- right:\n{right:#}");
    }
}
