//! Shared helpers of the integration tests: a `golive` command builder, manifest
//! files in temporary directories, promtool; reading reports (`report`); the
//! built-in simulator and axum apps served from a runtime of their own (`servers`),
//! and a raw TCP server with canned (mis)behaviour (`raw`).
//!
//! The webhook receivers and certificates of the in-process `webhook` tests are in
//! [`webhook`].

pub mod isolated;
mod raw;
mod report;
mod servers;
pub mod webhook;

pub use raw::*;
pub use report::*;
pub use servers::*;

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use golive::tier::Tier;
use serde_json::Value;

/// The crate root (where the repository's `checks.toml` lives).
pub fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The golive binary with a clean, colourless environment. Its working directory is
/// the system temp dir unless a test sets another one, so that a stray
/// `./checks.toml` is never picked up by accident.
pub fn golive() -> Command {
    let mut cmd = Command::cargo_bin("golive").expect("the golive binary is built");
    cmd.env("NO_COLOR", "1")
        .env_remove("GOLIVE_MANIFEST")
        .env_remove("GOLIVE_ENV")
        .env_remove("GOLIVE_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("RUST_LOG")
        // No proxy from the caller's environment: loopback traffic stays direct.
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .current_dir(std::env::temp_dir())
        // A safety net only: a hung golive fails its test instead of the whole suite.
        .timeout(Duration::from_secs(120));
    cmd
}

/// The output of one golive run, with the streams as text.
#[derive(Debug)]
pub struct Run {
    /// The exit code (-1 if killed by a signal).
    pub code: i32,
    /// stdout.
    pub stdout: String,
    /// stderr.
    pub stderr: String,
}

impl Run {
    /// stdout parsed as one JSON document.
    pub fn json(&self) -> Value {
        parse_json(&self.stdout)
    }

    /// Both streams, for "never appears anywhere" assertions.
    pub fn all_output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Runs a prepared command to completion and captures everything.
pub fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("golive runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `golive ARGS...` with the clean environment.
pub fn run_args(args: &[&str]) -> Run {
    run(golive().args(args))
}

/// `golive ARGS...` run in `dir`.
pub fn in_dir(dir: &Path, args: &[&str]) -> Run {
    let mut cmd = golive();
    cmd.current_dir(dir).args(args);
    run(&mut cmd)
}

/// `golive check -m checks.toml ARGS...` run from the crate root (the README's demo).
pub fn demo(args: &[&str]) -> Run {
    let mut cmd = golive();
    cmd.current_dir(crate_root())
        .args(["check", "-m", "checks.toml"])
        .args(args);
    run(&mut cmd)
}

/// Parses text as exactly one JSON document (trailing whitespace allowed, nothing else).
pub fn parse_json(text: &str) -> Value {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let first = match stream.next() {
        Some(Ok(v)) => v,
        Some(Err(e)) => panic!("stdout is not JSON ({e}):\n{text}"),
        None => panic!("stdout holds no JSON document"),
    };
    assert!(
        stream.next().is_none(),
        "stdout holds more than one JSON document:\n{text}"
    );
    first
}

/// Writes `text` to `dir/checks.toml` and returns the path.
pub fn write_manifest(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("checks.toml");
    std::fs::write(&path, text).expect("manifest written");
    path
}

/// A fresh temporary directory.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// The manifest path as a `&str` for command arguments.
pub fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

// ---------------------------------------------------------------------------------
// Manifests and envs used by several modules

/// Today's date, UTC, as golive computes it.
pub fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
}

/// An env as the manifest loader would make it, with nothing set beyond its tier and
/// whether it is a simulator (named `demo` then, else after its tier), for the tests
/// that call a check in process.
pub fn bare_env(tier: Tier, simulator: bool) -> golive::manifest::EnvSpec {
    golive::manifest::EnvSpec {
        name: if simulator { "demo" } else { tier.as_str() }.to_string(),
        tier,
        simulator,
        scenario: None,
        base_url: None,
        api_key: None,
        api_secret: None,
        webhook_url: None,
        webhook_secret: None,
        egress_allowlist: None,
        egress_ip: None,
        egress_echo_url: None,
        ca_file: None,
    }
}

/// A one-check manifest whose env `e` has `tier` and the given extra lines; with
/// `sim`, its base URL and credentials (from `SIM_KEY`/`SIM_SECRET`) are the
/// simulator's, otherwise it has no credentials and a base URL nothing listens on, so
/// that nothing is ever sent anywhere.
pub fn env_manifest(tier: &str, sim: Option<&SimServer>, env_lines: &str, checks: &str) -> String {
    let api = match sim {
        Some(s) => format!(
            "base_url = \"{}\"\napi_key = {{ env = \"SIM_KEY\" }}\napi_secret = {{ env = \"SIM_SECRET\" }}\n",
            s.base_url()
        ),
        None => format!("base_url = \"http://127.0.0.1:{}\"\n", closed_port()),
    };
    format!(
        "version = 1\ndefault_env = \"e\"\n\n[env.e]\ntier = \"{tier}\"\n{api}{env_lines}\n\n{checks}"
    )
}

/// A manifest with one non-simulator sandbox env `api` at `base_url`, credentials
/// from the variables `key_var` and `secret_var`, followed by `checks`.
pub fn api_manifest(base_url: &str, key_var: &str, secret_var: &str, checks: &str) -> String {
    format!(
        r#"version = 1
default_env = "api"

[env.api]
tier = "sandbox"
base_url = "{base_url}"
api_key = {{ env = "{key_var}" }}
api_secret = {{ env = "{secret_var}" }}

{checks}"#
    )
}

/// A manifest with one simulator env `demo` (scenario optional), followed by `checks`.
pub fn sim_manifest(scenario: Option<&str>, checks: &str) -> String {
    let scenario = scenario
        .map(|s| format!("scenario = \"{s}\"\n"))
        .unwrap_or_default();
    format!(
        r#"version = 1
default_env = "demo"

[env.demo]
tier = "sandbox"
simulator = true
{scenario}
{checks}"#
    )
}

/// The first `name` on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Runs `promtool check metrics` on `text` and asserts it passes (see [`promtool`]).
pub fn promtool_accepts(text: &str) {
    promtool(&["check", "metrics"], &std::env::temp_dir(), text);
}

/// Runs `promtool ARGS...` in `dir` with `input` on its stdin and asserts that it
/// passes, when promtool is installed. Under CI (`CI` set) it must be installed.
pub fn promtool(args: &[&str], dir: &Path, input: &str) {
    use std::io::Write;
    let Some(promtool) = which("promtool") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "promtool is not on PATH, and CI needs it"
        );
        eprintln!(
            "note: promtool is not on PATH; skipping `promtool {}`",
            args.join(" ")
        );
        return;
    };
    let mut child = std::process::Command::new(promtool)
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool {} failed:\n{}{}\n--- input ---\n{input}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Where proptest keeps the seeds of past failures: beside the test's source file,
/// `tests/golive/NAME.rs` -> `tests/golive/NAME.proptest-regressions`, read and
/// replayed before any new case. (proptest's default would put them in a
/// `tests/proptest-regressions/` folder once this binary has a `main.rs`.)
pub fn regressions_beside_the_source() -> Option<Box<dyn proptest::test_runner::FailurePersistence>>
{
    Some(Box::new(
        proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
    ))
}
