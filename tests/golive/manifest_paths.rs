//! Every relative path in a manifest resolves against the manifest's folder, not
//! the working directory: `golive check -m sub/checks.toml` from the parent folder
//! runs a `client_retry` command (and its arguments) in `sub/` and finds its plan
//! there. A plan file is validated when the manifest loads (exit 2 at `plan`), and a
//! command that cannot be found says where it was looked for.

use std::path::Path;

use crate::support::{crate_root, golive, run, tempdir};
use serde_json::Value;

const HEAD: &str = "version = 1\n\n[env.demo]\ntier = \"sandbox\"\nsimulator = true\n\n";

/// A one-phase plan without faults: the good client passes it quickly.
const PLAN: &str = "name = \"calm\"\n\n[[phase]]\nname = \"calm\"\n";

/// `sub/checks.toml` with one client_retry check running `command` under `plan`.
fn manifest(dir: &Path, command: &str, plan: &str) {
    std::fs::create_dir_all(dir.join("sub")).expect("sub folder");
    let text = format!(
        "{HEAD}[[check]]\nid = \"client-retry\"\nkind = \"client_retry\"\ncommand = {command}\nplan = \"{plan}\"\ntimeout = \"60s\"\n"
    );
    std::fs::write(dir.join("sub/checks.toml"), text).expect("manifest written");
}

/// `golive check -m sub/checks.toml --format json` from `dir`: the report's only check.
fn check_from_parent(dir: &Path) -> (i32, Value, String) {
    let out =
        run(golive()
            .current_dir(dir)
            .args(["check", "-m", "sub/checks.toml", "--format", "json"]));
    let report = out.json();
    let check = report["checks"][0].clone();
    (out.code, check, out.stderr)
}

fn codes(check: &Value) -> Vec<String> {
    check["findings"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .filter_map(|f| f["code"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_relative_command_and_plan_resolve_against_the_manifest_folder() {
    let dir = tempdir();
    std::fs::create_dir_all(dir.path().join("sub/clients")).expect("folders");
    std::fs::copy(
        crate_root().join("tests/clients/smoke_client.py"),
        dir.path().join("sub/clients/smoke.py"),
    )
    .expect("client copied");
    std::fs::write(dir.path().join("sub/calm.toml"), PLAN).expect("plan written");
    manifest(
        dir.path(),
        "[\"python3\", \"clients/smoke.py\"]",
        "calm.toml",
    );
    let (code, check, stderr) = check_from_parent(dir.path());
    assert_eq!(code, 0, "{check:#}\n{stderr}");
    assert_eq!(check["status"], "pass", "{check:#}");
    assert!(
        !codes(&check).iter().any(|c| c.starts_with("command-")),
        "{check:#}"
    );
}

#[test]
fn a_program_with_a_slash_that_is_missing_says_where_it_was_looked_for() {
    let dir = tempdir();
    manifest(dir.path(), "[\"./scripts/smoke.sh\"]", "default");
    let (code, check, stderr) = check_from_parent(dir.path());
    assert_eq!(code, 1, "{check:#}\n{stderr}");
    assert_eq!(codes(&check), ["command-failed"], "{check:#}");
    let message = check["findings"][0]["message"].as_str().unwrap_or_default();
    let expected = std::path::absolute(dir.path().join("sub"))
        .expect("absolute")
        .join("scripts/smoke.sh");
    assert!(
        message.contains(&format!("there is no {}", expected.display())),
        "{message}"
    );
    assert!(message.contains("the manifest's folder"), "{message}");
    let fix = check["findings"][0]["remediation"]
        .as_str()
        .unwrap_or_default();
    assert!(!fix.contains("Retry-After"), "no retry advice: {fix}");
    assert!(fix.contains("looked up on PATH"), "{fix}");
}

#[test]
fn a_program_missing_from_path_names_the_path() {
    let dir = tempdir();
    manifest(dir.path(), "[\"golive-no-such-smoke-program\"]", "default");
    let out = run(golive()
        .current_dir(dir.path())
        .env(
            "PATH",
            "/nonexistent/golive-bin-a:/nonexistent/golive-bin-b",
        )
        .args(["check", "-m", "sub/checks.toml", "--format", "json"]));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let check = &out.json()["checks"][0];
    assert_eq!(codes(check), ["command-failed"], "{check:#}");
    let message = check["findings"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(
            "could not start `golive-no-such-smoke-program`: not found on PATH (looked in /nonexistent/golive-bin-a:/nonexistent/golive-bin-b)"
        ),
        "{message}"
    );
}

#[test]
fn a_bad_plan_file_is_a_manifest_error_at_plan() {
    let dir = tempdir();
    std::fs::create_dir_all(dir.path().join("sub")).expect("sub folder");
    std::fs::write(
        dir.path().join("sub/bad.toml"),
        "[[phase]]\nname = \"x\"\nbogus = 1\n",
    )
    .expect("plan written");
    manifest(dir.path(), "[\"true\"]", "bad.toml");
    // The plan key is on line 11, its value at column 8.
    for sub in ["validate", "check"] {
        let out = run(golive()
            .current_dir(dir.path())
            .args([sub, "-m", "sub/checks.toml"]));
        assert_eq!(out.code, 2, "{sub}: {}\n{}", out.stdout, out.stderr);
        assert!(out.stdout.is_empty(), "{sub}: {}", out.stdout);
        assert!(
            out.stderr
                .contains("sub/checks.toml:11:8: error: invalid `plan`: sub/bad.toml:3:1:"),
            "{sub}: {}",
            out.stderr
        );
        assert!(out.stderr.contains("bogus"), "{sub}: {}", out.stderr);
    }

    // A missing file and an unknown name, each at `plan` too.
    manifest(dir.path(), "[\"true\"]", "missing.toml");
    let out = run(golive()
        .current_dir(dir.path())
        .args(["validate", "-m", "sub/checks.toml"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "sub/checks.toml:11:8: error: invalid `plan`: cannot read plan file sub/missing.toml"
        ),
        "{}",
        out.stderr
    );
    manifest(dir.path(), "[\"true\"]", "chaos");
    let out = run(golive()
        .current_dir(dir.path())
        .args(["validate", "-m", "sub/checks.toml"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("unknown plan `chaos`"),
        "{}",
        out.stderr
    );
}
