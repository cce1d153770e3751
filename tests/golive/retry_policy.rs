//! The `retry_policy` check, end to end through the real binary: the manifest's
//! `[client]` table judged against the go-live checklist.

use crate::support::*;

const POLICY_CHECK: &str = "[[check]]\nid = \"client-policy\"\nkind = \"retry_policy\"\n";

#[test]
fn the_repository_client_table_passes() {
    let mut cmd = golive();
    cmd.current_dir(crate_root()).args([
        "check",
        "-m",
        "checks.toml",
        "--only",
        "client-policy",
        "--format",
        "json",
    ]);
    let out = run(&mut cmd);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = out.json();
    assert_consistent(&report, 0);
    assert_eq!(status_of(&report, "client-policy"), "pass", "{report:#}");
    assert!(codes_of(&report, "client-policy").is_empty());
    assert_eq!(
        check(&report, "client-policy")["summary"],
        "the declared client follows the go-live checklist"
    );
}

#[test]
fn a_manifest_without_a_client_table_warns() {
    let dir = tempdir();
    let path = write_manifest(dir.path(), &env_manifest("sandbox", None, "", POLICY_CHECK));
    let report = report_with_exit(&path, &[], &[], 0);
    assert_eq!(status_of(&report, "client-policy"), "warn");
    assert_eq!(
        codes_of(&report, "client-policy"),
        ["client-config-missing"]
    );
    assert_eq!(
        level_of(&report, "client-policy", "client-config-missing"),
        "warn"
    );
}

#[test]
fn a_bad_client_table_has_every_expected_code() {
    let client = r#"[client]
request_timeout = "5s"
max_attempts = 50
backoff_initial = "10ms"
backoff_max = "10s"
retry_statuses = [400, 401, 500]
honours_retry_after = false
uses_client_reference = false
logs_request_id = false
"#;
    let dir = tempdir();
    let path = write_manifest(
        dir.path(),
        &env_manifest("sandbox", None, "", &format!("{client}\n{POLICY_CHECK}")),
    );
    let report = report_with_exit(&path, &[], &[], 1);
    assert_eq!(status_of(&report, "client-policy"), "fail");
    let mut got: Vec<(String, String)> = check(&report, "client-policy")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["level"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let mut want: Vec<(String, String)> = [
        ("attempts-unbounded", "warn"),
        ("backoff-out-of-range", "warn"),
        ("client-reference-unused", "fail"),
        ("no-retry-on-429", "fail"),
        ("no-retry-on-5xx", "warn"),
        ("request-id-not-logged", "warn"),
        ("retries-non-retryable-4xx", "fail"),
        ("retries-non-retryable-4xx", "warn"),
        ("retry-after-ignored", "fail"),
        ("timeout-missing", "fail"),
        ("timeout-out-of-range", "warn"),
    ]
    .iter()
    .map(|(c, l)| (c.to_string(), l.to_string()))
    .collect();
    want.sort();
    assert_eq!(got, want, "{report:#}");
}

#[test]
fn an_esim_client_needs_a_request_timeout_above_a_minute() {
    let client = |timeout: &str| {
        format!(
            r#"[client]
connect_timeout = "5s"
request_timeout = "{timeout}"
max_attempts = 5
backoff_initial = "200ms"
backoff_max = "10s"
retry_statuses = [429, 500, 502, 503, 504]
honours_retry_after = true
uses_client_reference = true
logs_request_id = true
uses_esim = true
"#
        )
    };
    let dir = tempdir();
    let path = write_manifest(
        dir.path(),
        &env_manifest(
            "sandbox",
            None,
            "",
            &format!("{}\n{POLICY_CHECK}", client("30s")),
        ),
    );
    let report = report_with_exit(&path, &[], &[], 0);
    assert_eq!(codes_of(&report, "client-policy"), ["timeout-out-of-range"]);

    let path = write_manifest(
        dir.path(),
        &env_manifest(
            "sandbox",
            None,
            "",
            &format!("{}\n{POLICY_CHECK}", client("90s")),
        ),
    );
    let report = report_with_exit(&path, &[], &[], 0);
    assert_eq!(status_of(&report, "client-policy"), "pass", "{report:#}");
}
