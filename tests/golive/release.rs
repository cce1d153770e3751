//! Shipping golive: `--version` names the commit, `scripts/install.sh` installs a
//! release only after verifying it (tested against a fake release served on
//! 127.0.0.1), and the release workflow, the install script and Cargo.toml's binstall
//! metadata agree on every archive name, so they cannot drift apart.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::support::{RawServer, crate_root, golive, http_response};
use assert_cmd::Command;
use sha2::{Digest, Sha256};

const VERSION: &str = "v1.2.3";

// ---------------------------------------------------------------------------------
// golive --version

#[test]
fn version_names_the_crate_version_and_the_commit() {
    let commit = env!("GOLIVE_COMMIT");
    let out = golive().arg("--version").output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout,
        format!("golive {} (commit {commit})\n", env!("CARGO_PKG_VERSION"))
    );
    assert!(
        !commit.is_empty()
            && commit
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
        "odd commit {commit:?}"
    );
    // Built from a git checkout without GOLIVE_COMMIT: it is the checkout's HEAD.
    if std::env::var_os("GOLIVE_COMMIT").is_none()
        && let Ok(git) = StdCommand::new("git")
            .args(["rev-parse", "--short=7", "HEAD"])
            .current_dir(crate_root())
            .output()
        && git.status.success()
    {
        assert_eq!(commit, String::from_utf8_lossy(&git.stdout).trim());
    }
}

#[test]
fn subcommands_name_the_same_version() {
    let out = golive().args(["check", "--version"]).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(&format!("(commit {})", env!("GOLIVE_COMMIT"))),
        "{stdout}"
    );
}

// ---------------------------------------------------------------------------------
// A fake release, served over HTTP on 127.0.0.1

/// A tiny HTTP/1.1 file server: `GET /releases/latest` redirects to the latest tag,
/// `GET /releases/download/TAG/FILE` serves `root/TAG/FILE`, anything else is a 404.
struct Server {
    base: String,
    raw: RawServer,
}

impl Server {
    fn start(root: &Path, latest: Option<&str>) -> Server {
        let (root, latest) = (root.to_path_buf(), latest.map(str::to_owned));
        // The redirect names the server's own address, known once it listens.
        let own_base = Arc::new(OnceLock::<String>::new());
        let location = own_base.clone();
        let raw = RawServer::answer(move |request| {
            let base = location.get().expect("the base is set before any request");
            answer(&request.path, &root, latest.as_deref(), base)
        });
        let base = format!("{}/releases", raw.base_url());
        own_base.set(base.clone()).expect("set once");
        Server { base, raw }
    }

    /// The path of every request so far.
    fn requests(&self) -> Vec<String> {
        self.raw.requests().into_iter().map(|r| r.path).collect()
    }
}

fn answer(path: &str, root: &Path, latest: Option<&str>, base: &str) -> Vec<u8> {
    let not_found = || http_response("404 Not Found", "text/plain", &[], b"Not Found");
    if path == "/releases/latest" {
        match latest {
            Some(tag) => http_response(
                "302 Found",
                "text/plain",
                &[("Location", &format!("{base}/tag/{tag}"))],
                b"",
            ),
            None => not_found(),
        }
    } else if let Some(rest) = path.strip_prefix("/releases/download/")
        && !rest.split('/').any(|part| part == ".." || part.is_empty())
        && let Ok(bytes) = fs::read(root.join(rest))
    {
        http_response("200 OK", "application/octet-stream", &[], &bytes)
    } else {
        not_found()
    }
}

fn sha256_hex(path: &Path) -> String {
    hex::encode(Sha256::digest(fs::read(path).unwrap()))
}

/// Builds `root/TAG/golive-TAG-TARGET.{tar.gz,zip}` the way the release workflow lays
/// it out: a directory `golive-TAG-TARGET` holding the binary (here a shell script
/// that prints a version, so it runs on this machine whatever the target), the README
/// and the licences. Returns the archive's path.
fn fake_archive(root: &Path, tag: &str, target: &str) -> PathBuf {
    let windows = target.contains("windows");
    let stage = tempfile::tempdir().unwrap();
    let dir_name = format!("golive-{tag}-{target}");
    let dir = stage.path().join(&dir_name);
    fs::create_dir_all(&dir).unwrap();
    let exe = dir.join(if windows { "golive.exe" } else { "golive" });
    fs::write(
        &exe,
        format!(
            "#!/bin/sh\necho \"golive {} (commit fake123) {target}\"\n",
            tag.trim_start_matches('v')
        ),
    )
    .unwrap();
    make_executable(&exe);
    for file in ["README.md", "LICENSE-MIT", "LICENSE-APACHE"] {
        fs::write(dir.join(file), file).unwrap();
    }
    let out_dir = root.join(tag);
    fs::create_dir_all(&out_dir).unwrap();
    let archive = out_dir.join(format!(
        "{dir_name}.{}",
        if windows { "zip" } else { "tar.gz" }
    ));
    let status = if windows {
        StdCommand::new("zip")
            .args(["-qr"])
            .arg(&archive)
            .arg(&dir_name)
            .current_dir(stage.path())
            .status()
    } else {
        StdCommand::new("tar")
            .arg("-czf")
            .arg(&archive)
            .arg(&dir_name)
            .current_dir(stage.path())
            .status()
    };
    assert!(status.expect("zip/tar runs").success());
    archive
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// Writes `root/TAG/SHA256SUMS` for every archive of that tag, like the release job.
fn write_sums(root: &Path, tag: &str) {
    let dir = root.join(tag);
    let mut names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("golive-"))
        .collect();
    names.sort();
    let sums: String = names
        .iter()
        .map(|n| format!("{}  {n}\n", sha256_hex(&dir.join(n))))
        .collect();
    fs::write(dir.join("SHA256SUMS"), sums).unwrap();
}

/// A fake release of every target at `tag`, with its SHA256SUMS.
fn full_release(root: &Path, tag: &str) {
    for (target, _) in workflow_matrix() {
        fake_archive(root, tag, &target);
    }
    write_sums(root, tag);
}

/// `bash scripts/install.sh ARGS` for the given `uname -s`/`uname -m`, downloading
/// from `base`, with no proxy or curl configuration from the caller's environment.
fn install(base: &str, os: &str, arch: &str, home: &Path, args: &[&str]) -> crate::support::Run {
    let out = Command::new("bash")
        .arg(crate_root().join("scripts/install.sh"))
        .args(args)
        .env("GOLIVE_RELEASE_BASE_URL", base)
        .env("GOLIVE_OS", os)
        .env("GOLIVE_ARCH", arch)
        .env("GOLIVE_CURL_TIMEOUT", "10")
        .env("GOLIVE_CURL_RETRIES", "0")
        .env("HOME", home)
        .env("CURL_HOME", home)
        .env_remove("GOLIVE_VERSION")
        .env_remove("GOLIVE_INSTALL_DIR")
        .env_remove("GOLIVE_REPO")
        .env_remove("GOLIVE_ACTION_PATH")
        .env_remove("GITHUB_REPOSITORY")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("https_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .timeout(Duration::from_secs(60))
        .output()
        .expect("bash runs");
    crate::support::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

// ---------------------------------------------------------------------------------
// install.sh against the fake release

#[test]
fn installs_the_verified_archive_for_each_platform() {
    let root = tempfile::tempdir().unwrap();
    full_release(root.path(), VERSION);
    let server = Server::start(root.path(), None);
    for (os, arch, target, exe) in [
        ("Linux", "x86_64", "x86_64-unknown-linux-musl", "golive"),
        ("Linux", "aarch64", "aarch64-unknown-linux-musl", "golive"),
        ("Darwin", "x86_64", "x86_64-apple-darwin", "golive"),
        ("Darwin", "arm64", "aarch64-apple-darwin", "golive"),
        (
            "MINGW64_NT-10.0-20348",
            "x86_64",
            "x86_64-pc-windows-msvc",
            "golive.exe",
        ),
    ] {
        let home = tempfile::tempdir().unwrap();
        let bin = home.path().join("bin");
        let run = install(
            &server.base,
            os,
            arch,
            home.path(),
            &["--version", VERSION, "--dir", bin.to_str().unwrap()],
        );
        assert_eq!(run.code, 0, "{os} {arch}: {run:?}");
        let ext = if exe.ends_with(".exe") {
            "zip"
        } else {
            "tar.gz"
        };
        let asset = format!("golive-{VERSION}-{target}.{ext}");
        assert!(run.stdout.contains(&format!("verified {asset}")), "{run:?}");
        // The installed binary runs; it is the one from this target's archive.
        assert!(
            run.stdout
                .contains(&format!("golive 1.2.3 (commit fake123) {target}")),
            "{run:?}"
        );
        let installed = bin.join(exe);
        let out = StdCommand::new(&installed)
            .arg("--version")
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains(target));
        let requests = server.requests();
        assert!(
            requests.contains(&format!("/releases/download/{VERSION}/{asset}")),
            "{requests:?}"
        );
    }
}

#[test]
fn latest_resolves_to_the_newest_tag_first() {
    let root = tempfile::tempdir().unwrap();
    full_release(root.path(), VERSION);
    let server = Server::start(root.path(), Some(VERSION));
    let home = tempfile::tempdir().unwrap();

    let run = install(
        &server.base,
        "Linux",
        "x86_64",
        home.path(),
        &["--resolve-version", "--version", "latest"],
    );
    assert_eq!((run.code, run.stdout.as_str()), (0, "v1.2.3\n"), "{run:?}");

    // The default version is latest; the default directory is ~/.local/bin.
    let run = install(&server.base, "Linux", "x86_64", home.path(), &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(home.path().join(".local/bin/golive").is_file());
    assert!(server.requests().contains(&format!(
        "/releases/download/{VERSION}/golive-{VERSION}-x86_64-unknown-linux-musl.tar.gz"
    )));
}

#[test]
fn no_published_release_fails_clearly() {
    let root = tempfile::tempdir().unwrap();
    let server = Server::start(root.path(), None);
    let home = tempfile::tempdir().unwrap();
    let run = install(&server.base, "Linux", "x86_64", home.path(), &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("could not ask http://127.0.0.1:")
            && run
                .stderr
                .contains("/releases/latest for the newest release"),
        "{run:?}"
    );
}

#[test]
fn a_checksum_mismatch_is_refused_and_nothing_is_installed() {
    let root = tempfile::tempdir().unwrap();
    full_release(root.path(), VERSION);
    // The archive changes after SHA256SUMS was written: a tampered download.
    let archive = fake_archive(root.path(), VERSION, "x86_64-unknown-linux-musl");
    fs::OpenOptions::new()
        .append(true)
        .open(&archive)
        .unwrap()
        .write_all(b"tampered")
        .unwrap();
    let server = Server::start(root.path(), None);
    let home = tempfile::tempdir().unwrap();
    let bin = home.path().join("bin");
    let run = install(
        &server.base,
        "Linux",
        "x86_64",
        home.path(),
        &["--version", VERSION, "--dir", bin.to_str().unwrap()],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let actual = sha256_hex(&archive);
    assert!(
        run.stderr.contains(&format!(
            "checksum mismatch for golive-{VERSION}-x86_64-unknown-linux-musl.tar.gz"
        )) && run.stderr.contains(&format!("the download is {actual}"))
            && run.stderr.contains("refusing to install"),
        "{run:?}"
    );
    assert!(!bin.exists(), "nothing may be installed on a mismatch");
}

#[test]
fn an_archive_missing_from_sha256sums_is_refused() {
    let root = tempfile::tempdir().unwrap();
    full_release(root.path(), VERSION);
    let sums_path = root.path().join(VERSION).join("SHA256SUMS");
    let sums = fs::read_to_string(&sums_path).unwrap();
    // Only a line for a longer name that merely contains this one.
    let kept: String = sums
        .lines()
        .filter(|l| !l.contains("aarch64-apple-darwin"))
        .map(|l| format!("{l}\n"))
        .collect();
    let darwin = sums
        .lines()
        .find(|l| l.contains("aarch64-apple-darwin"))
        .unwrap();
    fs::write(&sums_path, format!("{kept}{darwin}.old\n")).unwrap();
    let server = Server::start(root.path(), None);
    let home = tempfile::tempdir().unwrap();
    let bin = home.path().join("bin");
    let run = install(
        &server.base,
        "Darwin",
        "arm64",
        home.path(),
        &["--version", VERSION, "--dir", bin.to_str().unwrap()],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "SHA256SUMS of {VERSION} has no line for golive-{VERSION}-aarch64-apple-darwin.tar.gz"
        )),
        "{run:?}"
    );
    assert!(!bin.exists());
}

#[test]
fn a_missing_sha256sums_is_refused() {
    let root = tempfile::tempdir().unwrap();
    fake_archive(root.path(), VERSION, "x86_64-unknown-linux-musl");
    let server = Server::start(root.path(), None);
    let home = tempfile::tempdir().unwrap();
    let bin = home.path().join("bin");
    let run = install(
        &server.base,
        "Linux",
        "amd64",
        home.path(),
        &["--version", VERSION, "--dir", bin.to_str().unwrap()],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("could not download SHA256SUMS")
            && run
                .stderr
                .contains("refusing to install an unverified archive"),
        "{run:?}"
    );
    assert!(!bin.exists());
}

#[test]
fn a_missing_asset_fails_clearly() {
    let root = tempfile::tempdir().unwrap();
    fake_archive(root.path(), VERSION, "x86_64-unknown-linux-musl");
    write_sums(root.path(), VERSION);
    let server = Server::start(root.path(), None);
    let home = tempfile::tempdir().unwrap();
    let run = install(
        &server.base,
        "Linux",
        "arm64",
        home.path(),
        &["--version", VERSION],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "could not download golive-{VERSION}-aarch64-unknown-linux-musl.tar.gz"
        )) && run.stderr.contains("404")
            && run
                .stderr
                .contains("with an asset for aarch64-unknown-linux-musl?"),
        "{run:?}"
    );
    assert!(!home.path().join(".local").exists());
}

#[test]
fn unsupported_platforms_fail_clearly_without_downloading() {
    let home = tempfile::tempdir().unwrap();
    // Nothing listens on the base URL: none of these may get as far as downloading.
    let base = "http://127.0.0.1:9/releases";
    for (os, arch, message) in [
        (
            "FreeBSD",
            "x86_64",
            "unsupported operating system 'FreeBSD'",
        ),
        ("Linux", "riscv64", "unsupported architecture 'riscv64'"),
        ("Linux", "armv7l", "unsupported architecture 'armv7l'"),
        (
            "Windows_NT",
            "arm64",
            "unsupported platform 'Windows_NT arm64'",
        ),
    ] {
        let run = install(base, os, arch, home.path(), &["--version", VERSION]);
        assert_eq!(run.code, 1, "{os} {arch}: {run:?}");
        assert!(
            run.stderr.contains(message) && run.stderr.contains("build from source"),
            "{os} {arch}: {run:?}"
        );
    }
}

#[test]
fn refuses_plain_http_beyond_loopback_and_bad_versions() {
    let home = tempfile::tempdir().unwrap();
    let run = install(
        "http://example.com/releases",
        "Linux",
        "x86_64",
        home.path(),
        &["--version", VERSION],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("only https"), "{run:?}");

    let run = install(
        "http://127.0.0.1:9/releases",
        "Linux",
        "x86_64",
        home.path(),
        &["--version", "main; rm -rf /"],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("version must be"), "{run:?}");
}

#[test]
fn the_repository_defaults_to_the_actions_own() {
    let url = |action_path: &str, repository: &str| {
        let out = Command::new("bash")
            .arg(crate_root().join("scripts/install.sh"))
            .args(["--print-url", "--version", VERSION])
            .env("GOLIVE_OS", "Linux")
            .env("GOLIVE_ARCH", "x86_64")
            .env("GOLIVE_ACTION_PATH", action_path)
            .env("GITHUB_REPOSITORY", repository)
            .env_remove("GOLIVE_REPO")
            .env_remove("GOLIVE_RELEASE_BASE_URL")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let expected = format!(
        "https://github.com/acme/golive/releases/download/{VERSION}/golive-{VERSION}-x86_64-unknown-linux-musl.tar.gz\n"
    );
    // Used as acme/golive/.github/actions/golive@v1 from another repository...
    assert_eq!(
        url(
            "/home/runner/work/_actions/acme/golive/v1/.github/actions/golive",
            "someone/app"
        ),
        expected
    );
    assert_eq!(
        url(
            r"D:\a\_actions\acme\golive\v1\.github\actions\golive",
            "someone/app"
        ),
        expected
    );
    // ... or as ./.github/actions/golive from golive's own repository.
    assert_eq!(
        url(
            "/home/runner/work/golive/golive/./.github/actions/golive",
            "acme/golive"
        ),
        expected
    );
}

// ---------------------------------------------------------------------------------
// The release workflow, the install script and binstall name the same archives

/// `(target, archive extension)` of every entry of release.yml's build matrix, read
/// line by line (`- target: ...` followed by `archive: ...`).
fn workflow_matrix() -> Vec<(String, String)> {
    let text = fs::read_to_string(crate_root().join(".github/workflows/release.yml")).unwrap();
    let mut entries = Vec::new();
    let mut target: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if let Some(t) = line.strip_prefix("- target: ") {
            assert!(
                target.is_none(),
                "a matrix entry without archive: {target:?}"
            );
            target = Some(t.trim().to_owned());
        } else if let Some(a) = line.strip_prefix("archive: ") {
            let t = target.take().expect("archive: follows its target");
            entries.push((t, a.trim().to_owned()));
        }
    }
    assert!(target.is_none());
    assert!(!entries.is_empty(), "no matrix in release.yml");
    entries
}

/// The archive names release.yml produces for tag `tag`.
fn workflow_assets(tag: &str) -> BTreeSet<String> {
    let text = fs::read_to_string(crate_root().join(".github/workflows/release.yml")).unwrap();
    // The names are made in exactly one place; pin it, then apply it.
    for line in [
        "DIR: golive-${{ github.ref_name }}-${{ matrix.target }}",
        "ASSET: golive-${{ github.ref_name }}-${{ matrix.target }}.${{ matrix.archive }}",
        "sha256sum -- golive-* > SHA256SUMS",
    ] {
        assert!(
            text.lines().any(|l| l.trim() == line),
            "release.yml lacks `{line}`"
        );
    }
    workflow_matrix()
        .into_iter()
        .map(|(target, ext)| format!("golive-{tag}-{target}.{ext}"))
        .collect()
}

#[test]
fn the_install_script_asks_for_exactly_the_archives_the_release_builds() {
    let mut asked = BTreeSet::new();
    for os in [
        "Linux",
        "Darwin",
        "MINGW64_NT-10.0-20348",
        "MSYS_NT-10.0",
        "CYGWIN_NT-10.0",
        "Windows_NT",
        "FreeBSD",
        "SunOS",
    ] {
        for arch in ["x86_64", "amd64", "aarch64", "arm64", "i686", "riscv64"] {
            let out = Command::new("bash")
                .arg(crate_root().join("scripts/install.sh"))
                .args(["--print-asset", "--version", VERSION])
                .env("GOLIVE_OS", os)
                .env("GOLIVE_ARCH", arch)
                .output()
                .unwrap();
            if out.status.success() {
                asked.insert(String::from_utf8(out.stdout).unwrap().trim().to_owned());
            } else {
                assert_eq!(out.status.code(), Some(1), "{os} {arch}: {out:?}");
            }
        }
    }
    assert_eq!(asked, workflow_assets(VERSION));
}

#[test]
fn binstall_metadata_names_the_release_archives() {
    let manifest: toml::Table =
        toml::from_str(&fs::read_to_string(crate_root().join("Cargo.toml")).unwrap()).unwrap();
    let binstall = &manifest["package"]["metadata"]["binstall"];
    let version = env!("CARGO_PKG_VERSION");
    let tag = format!("v{version}");
    let repo = "https://github.com/acme/golive";
    let render = |template: &str, target: &str, binary_ext: &str| {
        template
            .replace("{ repo }", repo)
            .replace("{ name }", "golive")
            .replace("{ bin }", "golive")
            .replace("{ version }", version)
            .replace("{ target }", target)
            .replace("{ binary-ext }", binary_ext)
    };
    let assets = workflow_assets(&tag);
    let mut named = BTreeSet::new();
    for (target, ext) in workflow_matrix() {
        let overrides = binstall.get("overrides").and_then(|o| o.get(&target));
        let key = |k: &str| {
            overrides
                .and_then(|o| o.get(k))
                .or_else(|| binstall.get(k))
                .and_then(toml::Value::as_str)
                .unwrap_or_else(|| panic!("binstall {k} for {target}"))
                .to_owned()
        };
        let binary_ext = if target.contains("windows") {
            ".exe"
        } else {
            ""
        };
        let url = render(&key("pkg-url"), &target, binary_ext);
        let asset = url
            .strip_prefix(&format!("{repo}/releases/download/{tag}/"))
            .unwrap_or_else(|| panic!("{url} is not a release download of {tag}"));
        named.insert(asset.to_owned());
        assert_eq!(
            key("pkg-fmt"),
            if ext == "zip" { "zip" } else { "tgz" },
            "{target}"
        );
        assert_eq!(
            render(&key("bin-dir"), &target, binary_ext),
            format!("golive-{tag}-{target}/golive{binary_ext}")
        );
    }
    assert_eq!(named, assets);
}

#[test]
fn licence_files_match_the_manifest() {
    let manifest = fs::read_to_string(crate_root().join("Cargo.toml")).unwrap();
    assert!(manifest.contains("license = \"MIT OR Apache-2.0\""));
    let mit = fs::read_to_string(crate_root().join("LICENSE-MIT")).unwrap();
    assert!(mit.starts_with("MIT License\n\nCopyright (c) the golive developers\n"));
    let apache = fs::read_to_string(crate_root().join("LICENSE-APACHE")).unwrap();
    assert!(
        apache.contains("Apache License\n                           Version 2.0, January 2004")
    );
    // The release archives carry both, and the README.
    let workflow = fs::read_to_string(crate_root().join(".github/workflows/release.yml")).unwrap();
    assert!(workflow.contains("README.md LICENSE-MIT LICENSE-APACHE \"$DIR/\""));
}

// ---------------------------------------------------------------------------------
// The composite action

/// A `key: value` whose plain (unquoted) value holds `: ` or ` #` is not the YAML it
/// looks like: GitHub refuses to load the action. actionlint does not read action
/// metadata, so this guards it (block scalars, `|` and `>`, are skipped).
fn plain_scalar_problems(text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut block_indent: Option<usize> = None;
    for (n, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        if let Some(b) = block_indent {
            if line.trim().is_empty() || indent > b {
                continue;
            }
            block_indent = None;
        }
        let item = line.trim_start().trim_start_matches("- ");
        let Some((key, value)) = item.split_once(": ") else {
            continue;
        };
        if key.starts_with('#') || key.contains(' ') {
            continue;
        }
        let value = value.trim();
        if value.starts_with(['|', '>']) {
            block_indent = Some(indent);
        } else if !value.starts_with(['"', '\'', '[', '{'])
            && (value.contains(": ") || value.contains(" #"))
        {
            problems.push(format!("line {}: {line}", n + 1));
        }
    }
    problems
}

#[test]
fn the_action_is_valid_yaml_and_finds_the_install_script() {
    let action = crate_root().join(".github/actions/golive/action.yml");
    let text = fs::read_to_string(&action).unwrap();
    assert_eq!(plain_scalar_problems(&text), Vec::<String>::new());
    assert_eq!(
        plain_scalar_problems("  env:\n    description: Envs (default: all).\n"),
        vec!["line 2:     description: Envs (default: all).".to_owned()]
    );
    // The action runs the script from its own checkout.
    assert!(text.contains("\"$GOLIVE_ACTION_PATH/../../../scripts/install.sh\""));
    assert!(
        action
            .parent()
            .unwrap()
            .join("../../../scripts/install.sh")
            .is_file()
    );
    // Releases by default, source only when asked.
    for line in [
        "    default: latest",
        "      if: inputs.source == '' && steps.cache.outputs.cache-hit != 'true'",
        "      if: inputs.source != ''",
    ] {
        assert!(text.lines().any(|l| l == line), "action.yml lacks `{line}`");
    }
}
