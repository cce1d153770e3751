//! `golive init --path`: new folders, stdout, and folders given as the path.

mod common;

use common::*;

fn init_in(dir: &std::path::Path, args: &[&str]) -> Run {
    run(golive().current_dir(dir).arg("init").args(args))
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
