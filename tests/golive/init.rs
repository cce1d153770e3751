//! `golive init`: a starter that validates and runs the demo, never overwriting a
//! file without `--force`; `--path` with new folders, stdout, and folders given as
//! the path.

use crate::support::*;

/// `golive init ARGS...` run in `dir`.
fn init_in(dir: &std::path::Path, args: &[&str]) -> Run {
    in_dir(dir, &[&["init"][..], args].concat())
}

#[test]
fn missing_folders_are_created() {
    let dir = tempdir();
    let out = init_in(dir.path(), &["--path", "newdir/deeper/checks.toml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let path = dir.path().join("newdir/deeper/checks.toml");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        golive::cmd::init::STARTER_MANIFEST
    );
    assert!(
        out.stdout.contains("wrote newdir/deeper/checks.toml"),
        "{}",
        out.stdout
    );
    let v =
        run(golive()
            .current_dir(dir.path())
            .args(["validate", "-m", "newdir/deeper/checks.toml"]));
    assert_eq!(v.code, 0, "{}", v.stderr);
}

#[test]
fn dash_means_stdout_and_writes_no_file() {
    let dir = tempdir();
    let out = init_in(dir.path(), &["--path", "-"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, golive::cmd::init::STARTER_MANIFEST);
    assert!(!dir.path().join("-").exists(), "a file named - was created");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // What it printed is a manifest golive accepts.
    let path = write_manifest(dir.path(), &out.stdout);
    let v = run(golive().args(["validate", "-m", p(&path)]));
    assert_eq!(v.code, 0, "{}", v.stderr);
}

#[test]
fn a_folder_as_the_path_is_refused_even_with_force() {
    let dir = tempdir();
    std::fs::create_dir(dir.path().join("ops")).unwrap();
    for args in [&["--path", "ops"][..], &["--path", "ops", "--force"][..]] {
        let out = init_in(dir.path(), args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{}", out.stdout);
        assert!(
            out.stderr.contains("--path ops: is a folder"),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr.contains("--path ops/checks.toml"),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains("pass --force"), "{}", out.stderr);
    }
    assert_eq!(
        std::fs::read_dir(dir.path().join("ops")).unwrap().count(),
        0
    );
}

#[test]
fn a_folder_that_cannot_be_created_is_a_usage_error() {
    let dir = tempdir();
    // A file stands where the folder would go.
    std::fs::write(dir.path().join("taken"), "x").unwrap();
    let out = init_in(dir.path(), &["--path", "taken/checks.toml"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("--path taken/checks.toml: cannot create the folder taken"),
        "{}",
        out.stderr
    );
}

#[test]
fn init_writes_a_starter_that_validates_and_runs_the_demo() {
    let dir = tempdir();
    let out = in_dir(dir.path(), &["init"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let path = dir.path().join("checks.toml");
    let written = std::fs::read_to_string(&path).expect("checks.toml written");
    assert!(written.contains("version = 1"));
    assert!(written.contains("[env.demo]"));
    assert!(out.stdout.contains("wrote checks.toml"), "{}", out.stdout);

    let v = in_dir(dir.path(), &["validate"]);
    assert_eq!(v.code, 0, "{}", v.stderr);
    assert!(v.stdout.contains("valid"), "{}", v.stdout);

    let c = in_dir(dir.path(), &["check", "-e", "demo", "--format", "json"]);
    assert_eq!(c.code, 0, "{}\n{}", c.stdout, c.stderr);
    let report = c.json();
    assert_consistent(&report, 0);
    assert_eq!(report["verdict"], "ready");
    assert_eq!(report["environment"]["name"], "demo");
    for id in [
        "kyc",
        "wallet-funded",
        "webhook-registered",
        "allowlist-submitted",
        "prod-credentials-stored",
    ] {
        assert_eq!(status_of(&report, id), "skip", "{id}");
    }
    for id in [
        "credentials",
        "wallet-usd",
        "webhook",
        "egress",
        "request-id",
        "client-policy",
    ] {
        assert_eq!(status_of(&report, id), "pass", "{id}: {report:#}");
    }
    assert_valid(&report_schema(), &report);
}

#[test]
fn init_never_overwrites_without_force() {
    let dir = tempdir();
    let path = dir.path().join("checks.toml");
    std::fs::write(&path, "# my own manifest\n").unwrap();
    let out = in_dir(dir.path(), &["init"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.contains("--force"), "{}", out.stderr);
    assert!(out.stderr.contains("already exists"), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "# my own manifest\n"
    );

    let out = in_dir(dir.path(), &["init", "--force"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.contains("[env.demo]"), "{written}");
    assert!(!written.contains("my own manifest"));
}

#[test]
fn a_second_init_leaves_the_first_untouched() {
    let dir = tempdir();
    assert_eq!(in_dir(dir.path(), &["init"]).code, 0);
    let path = dir.path().join("checks.toml");
    let first = std::fs::read(&path).unwrap();
    let out = in_dir(dir.path(), &["init"]);
    assert_eq!(out.code, 2);
    assert_eq!(std::fs::read(&path).unwrap(), first);
}

#[test]
fn init_writes_to_another_path() {
    let dir = tempdir();
    let out = in_dir(dir.path(), &["init", "--path", "other.toml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("other.toml"), "{}", out.stdout);
    assert!(dir.path().join("other.toml").is_file());
    assert!(
        !dir.path().join("checks.toml").exists(),
        "only --path is written"
    );
    let v = in_dir(dir.path(), &["validate", "-m", "other.toml"]);
    assert_eq!(v.code, 0, "{}", v.stderr);
    // Existing file at --path: refused too.
    let again = in_dir(dir.path(), &["init", "--path", "other.toml"]);
    assert_eq!(again.code, 2);
}
