//! `--report-json PATH`: the same document `--format json` prints.

use crate::support::*;
use serde_json::Value;

fn read_report(path: &std::path::Path) -> Value {
    parse_json(&std::fs::read_to_string(path).expect("report file written"))
}

#[test]
fn report_file_equals_stdout_of_the_same_run() {
    let dir = tempdir();
    let path = dir.path().join("golive.json");
    let out = demo(&[
        "--scenario",
        "low-balance",
        "--format",
        "json",
        "--report-json",
        p(&path),
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(read_report(&path), out.json(), "one run, one document");
}

#[test]
fn report_file_matches_the_json_format_of_another_run() {
    for scenario in ["healthy", "low-balance", "wrong-tier"] {
        let dir = tempdir();
        let path = dir.path().join("report.json");
        let human = demo(&["--scenario", scenario, "--report-json", p(&path)]);
        let json = demo(&["--scenario", scenario, "--format", "json"]);
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
    let out = demo(&["--report-json", p(&path)]);
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
    let out = demo(&["--report-json", p(&path)]);
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
    let out = demo(&["--report-json", p(&path)]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(
        out.stderr.contains("is-a-dir"),
        "names the path: {}",
        out.stderr
    );
    // SPEC 8.8: the verdict is not lost to the output error: the report is on
    // stdout all the same (this used to be empty).
    assert!(
        out.stdout
            .contains("READY (simulated) — no blocking check failed (exit 0)"),
        "the verdict on stdout: {}",
        out.stdout
    );
}

/// SPEC 8.8: `--report-json out/golive.json` with no `out/` used to probe, then
/// exit 4 with an empty stdout. The folders are created before the run.
#[test]
fn report_paths_in_missing_folders_are_created() {
    let dir = tempdir();
    let json = dir.path().join("out").join("golive.json");
    let junit = dir.path().join("a").join("b").join("junit.xml");
    let markdown = dir.path().join("md").join("board.md");
    let out = demo(&[
        "--format",
        "json",
        "--report-json",
        p(&json),
        "--report-junit",
        p(&junit),
        "--report-markdown",
        p(&markdown),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(read_report(&json), out.json(), "one run, one document");
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .starts_with("<?xml")
    );
    assert!(
        std::fs::read_to_string(&markdown)
            .unwrap()
            .starts_with("## ")
    );

    // A relative path, from the working directory.
    let out = run(golive().current_dir(dir.path()).args([
        "check",
        "-m",
        &crate_root().join("checks.toml").display().to_string(),
        "-q",
        "--report-json",
        "rel/out/golive.json",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        read_report(&dir.path().join("rel/out/golive.json"))["verdict"],
        "ready"
    );
}

/// A report folder that cannot be created (a file stands where it should be) is a
/// usage error before anything is probed: exit 2, empty stdout, the flag named.
#[test]
fn a_report_folder_that_cannot_be_created_is_refused_before_probing() {
    let dir = tempdir();
    let file = dir.path().join("taken");
    std::fs::write(&file, "a file, not a folder").unwrap();
    let sim = SimServer::start(golive::tier::Tier::Sandbox, golive::sim::Scenario::Healthy)
        .expect_no_requests();
    let m = write_manifest(
        dir.path(),
        &api_manifest(
            &sim.base_url(),
            "GL_RF_KEY2",
            "GL_RF_SECRET2",
            "[[check]]\nid = \"credentials\"\nkind = \"credentials\"\n",
        ),
    );
    for flag in ["--report-json", "--report-junit", "--report-markdown"] {
        let path = file.join("golive.out");
        let out = run(golive()
            .args(["check", "-m", p(&m), flag, p(&path)])
            .env("GL_RF_KEY2", sim.api_key())
            .env("GL_RF_SECRET2", sim.api_secret()));
        assert_eq!(out.code, 2, "{flag}: {}\n{}", out.stdout, out.stderr);
        assert!(out.stdout.is_empty(), "{flag}: {}", out.stdout);
        assert!(
            out.stderr.contains(flag) && out.stderr.contains("cannot create its folder"),
            "{flag}: {}",
            out.stderr
        );
    }
    assert_eq!(sim.stats().total, 0, "nothing was probed");
}
