//! `--report-json PATH`: the same document `--format json` prints.

mod common;

use common::*;
use serde_json::Value;

fn read_report(path: &std::path::Path) -> Value {
    parse_json(&std::fs::read_to_string(path).expect("report file written"))
}

#[test]
fn report_file_equals_stdout_of_the_same_run() {
    let dir = tempdir();
    let path = dir.path().join("golive.json");
    let out = run(golive().current_dir(crate_root()).args([
        "check",
        "-m",
        "checks.toml",
        "--scenario",
        "low-balance",
        "--format",
        "json",
        "--report-json",
        p(&path),
    ]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(read_report(&path), out.json(), "one run, one document");
}

#[test]
fn report_file_matches_the_json_format_of_another_run() {
    for scenario in ["healthy", "low-balance", "wrong-tier"] {
        let dir = tempdir();
        let path = dir.path().join("report.json");
        let human = run(golive().current_dir(crate_root()).args([
            "check",
            "-m",
            "checks.toml",
            "--scenario",
            scenario,
            "--report-json",
            p(&path),
        ]));
        let json = run(golive().current_dir(crate_root()).args([
            "check",
            "-m",
            "checks.toml",
            "--scenario",
            scenario,
            "--format",
            "json",
        ]));
        assert_eq!(human.code, json.code, "{scenario}");
        assert!(
            !human.stdout.trim_start().starts_with('{'),
            "stdout stays human"
        );
        let from_file = read_report(&path);
        assert_consistent(&from_file, human.code);
        assert_same_json(
            &normalized(&from_file),
            &normalized(&json.json()),
            &format!("{scenario}: --report-json and --format json differ"),
        );
    }
}

#[test]
fn report_file_is_valid_against_the_schema() {
    let schema = report_schema();
    let dir = tempdir();
    let path = dir.path().join("r.json");
    let out = run(golive().current_dir(crate_root()).args([
        "check",
        "-m",
        "checks.toml",
        "--report-json",
        p(&path),
    ]));
    assert_eq!(out.code, 0);
    let report = read_report(&path);
    assert_valid(&schema, &report);
    assert_eq!(report["manifest"], "checks.toml", "the path as given");
}

#[test]
fn report_file_is_written_for_an_inconclusive_run() {
    let server = RawServer::respond("502 Bad Gateway", "text/html", b"<h1>bad gateway</h1>");
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &api_manifest(
            &server.base_url(),
            "GL_RF_KEY",
            "GL_RF_SECRET",
            "[[check]]\nid = \"credentials\"\nkind = \"credentials\"\n",
        ),
    );
    let path = dir.path().join("out.json");
    let out = run(golive()
        .args(["check", "-m", p(&m), "--report-json", p(&path)])
        .env("GL_RF_KEY", "k_report_file_1")
        .env("GL_RF_SECRET", "s_report_file_1"));
    assert_eq!(out.code, 3, "{}", out.stdout);
    let report = read_report(&path);
    assert_consistent(&report, 3);
    assert_eq!(status_of(&report, "credentials"), "error");
}

#[test]
fn report_file_overwrites_an_existing_file() {
    let dir = tempdir();
    let path = dir.path().join("old.json");
    std::fs::write(&path, "stale content that is not JSON").unwrap();
    let out = run(golive().current_dir(crate_root()).args([
        "check",
        "-m",
        "checks.toml",
        "--report-json",
        p(&path),
    ]));
    assert_eq!(out.code, 0);
    assert_eq!(read_report(&path)["verdict"], "ready");
}

#[test]
fn no_report_file_on_a_manifest_error() {
    let dir = tempdir();
    let m = write_manifest(dir.path(), "version = 1\nnope = 1\n");
    let path = dir.path().join("never.json");
    let out = run_args(&["check", "-m", p(&m), "--report-json", p(&path)]);
    assert_eq!(out.code, 2);
    assert!(!path.exists());
}

#[test]
fn unwritable_report_path_is_an_internal_error() {
    let dir = tempdir();
    // A directory where the file should go.
    let path = dir.path().join("is-a-dir");
    std::fs::create_dir(&path).unwrap();
    let out = run(golive().current_dir(crate_root()).args([
        "check",
        "-m",
        "checks.toml",
        "--report-json",
        p(&path),
    ]));
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(
        out.stderr.contains("is-a-dir"),
        "names the path: {}",
        out.stderr
    );
}
