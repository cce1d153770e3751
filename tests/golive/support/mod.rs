//! Shared helpers of the integration tests: a `golive` command builder, manifest
//! files in temporary directories, the built-in simulator served from a runtime of
//! its own, and (in `raw`) a raw TCP server with canned (mis)behaviour.
//!
//! The webhook receivers and certificates of the in-process `webhook` tests are in
//! [`webhook`].

pub mod isolated;
mod raw;
pub mod webhook;

pub use raw::*;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use assert_cmd::Command;
use golive::sim::{Scenario, SimConfig, SimHandle, SimStats};
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
// Report helpers

/// Today's date, UTC, as golive computes it.
pub fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
}

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

// ---------------------------------------------------------------------------------
// Servers with a runtime of their own

/// A multi-thread tokio runtime with `workers` threads, for a server that must keep
/// answering while the test blocks on a golive process.
pub fn server_runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// An axum app served on 127.0.0.1:0 by a runtime of its own. It counts the
/// requests it serves and, like the other test servers, fails the test when dropped
/// without having served one.
pub struct AppServer {
    addr: std::net::SocketAddr,
    served: Arc<AtomicUsize>,
    _rt: tokio::runtime::Runtime,
}

impl AppServer {
    /// Serves `app` on 127.0.0.1:0.
    pub fn start(app: axum::Router) -> AppServer {
        let rt = server_runtime(1);
        let served = Arc::new(AtomicUsize::new(0));
        let counter = served.clone();
        let app = app.layer(axum::middleware::map_request(
            move |request: axum::extract::Request| {
                counter.fetch_add(1, Ordering::SeqCst);
                async move { request }
            },
        ));
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        rt.spawn(async move { axum::serve(listener, app).await });
        AppServer {
            addr,
            served,
            _rt: rt,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for AppServer {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert!(
                self.served.load(Ordering::SeqCst) > 0,
                "the server at {} expected requests and served none",
                self.url()
            );
        }
    }
}

// ---------------------------------------------------------------------------------
// The built-in simulator, in-process

/// A simulator served by a multi-thread runtime of its own, so it keeps answering
/// while a test blocks on the golive process.
///
/// It expects to be called: dropped without having served a single request, it
/// fails the test, unless the test said that it must not be called
/// ([`SimServer::expect_no_requests`]), and then it fails the test if it was.
pub struct SimServer {
    // Declared before the runtime: the handle stops the server before the runtime goes.
    handle: Option<SimHandle>,
    rt: tokio::runtime::Runtime,
    /// Whether the test expects requests (checked on drop).
    expects_requests: bool,
}

impl SimServer {
    /// Starts a simulator for `tier` misbehaving as `scenario`, on 127.0.0.1:0.
    pub fn start(tier: Tier, scenario: Scenario) -> SimServer {
        let rt = server_runtime(2);
        let handle = rt
            .block_on(golive::sim::start(SimConfig {
                tier,
                scenario,
                ..SimConfig::default()
            }))
            .expect("simulator starts");
        SimServer {
            handle: Some(handle),
            rt,
            expects_requests: true,
        }
    }

    /// This simulator must never be called (golive refuses before connecting):
    /// dropping it after a request fails the test.
    pub fn expect_no_requests(mut self) -> SimServer {
        self.expects_requests = false;
        self
    }

    /// A healthy sandbox simulator.
    pub fn sandbox() -> SimServer {
        Self::start(Tier::Sandbox, Scenario::Healthy)
    }

    fn h(&self) -> &SimHandle {
        self.handle.as_ref().expect("running")
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.h().base_url()
    }

    /// The API key a client should use.
    pub fn api_key(&self) -> String {
        self.h().api_key().expose().to_string()
    }

    /// The API secret paired with the key.
    pub fn api_secret(&self) -> String {
        self.h().api_secret().expose().to_string()
    }

    /// Requests served so far.
    pub fn stats(&self) -> SimStats {
        self.h().stats()
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        let Some(h) = self.handle.take() else {
            return;
        };
        let served = h.stats().total;
        let url = h.base_url();
        {
            let _guard = self.rt.enter();
            h.shutdown();
        }
        if std::thread::panicking() {
            return;
        }
        if self.expects_requests {
            assert!(
                served > 0,
                "the simulator at {url} expected requests and served none"
            );
        } else {
            assert_eq!(
                served, 0,
                "the simulator at {url} must never be called, and served {served} request(s)"
            );
        }
    }
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

// ---------------------------------------------------------------------------------
// Manifests used by several test files

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

/// Asserts two JSON documents are equal, showing both pretty-printed when not.
pub fn assert_same_json(left: &Value, right: &Value, context: &str) {
    if left != right {
        panic!("{context}\n--- left:\n{left:#}\n--- right:\n{right:#}");
    }
}

// ---------------------------------------------------------------------------------
// The simulator's reference webhook receiver (the `webhook_send` tests)

impl SimServer {
    /// The reference webhook receiver's URL, `{base_url}/_receiver/octopus`.
    pub fn receiver_url(&self) -> String {
        self.h().receiver_url()
    }

    /// The webhook secret the reference receiver verifies with (fake, fixed).
    pub fn webhook_secret(&self) -> String {
        self.h().webhook_secret().expose().to_string()
    }

    /// Every delivery the reference receiver answered, in arrival order.
    pub fn received(&self) -> Vec<golive::sim::ReceivedEvent> {
        self.h().received()
    }
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
