//! `client_retry` end to end: the example smoke client of `tests/clients/` run
//! through golive's proxy in front of a simulator, once doing everything right and
//! once per mistake. Every mistake must raise its own code, and the good client
//! nothing above info.
//!
//! The judged timings come from the client: it waits Retry-After plus 500 ms, backs
//! off from 200 ms, and its mistakes wait 200 ms against a 2 s Retry-After or 0 ms
//! against the 100 ms floor, so the verdicts hold with wide margins. The runs of the
//! mistakes are concurrent, so the whole module takes about as long as the slowest
//! client (a few seconds per phase).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::support::bare_env;
use golive::checks::client_retry::ClientRetrySpec;
use golive::checks::{CheckContext, CheckOutcome, Target, client_retry};
use golive::finding::{Finding, Level};
use golive::manifest::EnvSpec;
use golive::octopus::{CallLog, ClientConfig, OctopusClient};
use golive::secret::SecretError;
use golive::tier::Tier;
use serde_json::Value;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients/smoke_client.py")
}

fn client_command(mistake: Option<&str>) -> Vec<String> {
    let mut argv = vec!["python3".to_string(), script().display().to_string()];
    if let Some(m) = mistake {
        argv.push("--mistake".into());
        argv.push(m.into());
    }
    argv
}

/// A context like `golive check` builds for `env`, with a check timeout of `timeout`.
fn context(env: EnvSpec, timeout: Duration) -> CheckContext {
    let base_url = reqwest::Url::parse(env.tier.canonical_url()).unwrap();
    let api = OctopusClient::new(ClientConfig {
        base_url: base_url.clone(),
        tier: env.tier,
        ca_pem: None,
    })
    .unwrap();
    let target = Target {
        env,
        base_url,
        api_key: Err(SecretError::Missing("api_key (not configured)".into())),
        api_secret: Err(SecretError::Missing("api_secret (not configured)".into())),
        others: Vec::new(),
        client: None,
        egress: Default::default(),
        webhook: Default::default(),
        today: jiff::civil::date(2026, 11, 29),
    };
    CheckContext {
        target: Arc::new(target),
        api,
        log: CallLog::default(),
        deadline: tokio::time::Instant::now() + timeout,
        login_reported_by: None,
        run_deadline_binds: false,
    }
}

fn spec(command: Vec<String>, plan: &str) -> ClientRetrySpec {
    ClientRetrySpec {
        command,
        base_url_env: "OCTOPUS_BASE_URL".into(),
        api_key_env: "OCTOPUS_API_KEY".into(),
        api_secret_env: "OCTOPUS_API_SECRET".into(),
        plan: plan.into(),
        dir: ".".into(),
    }
}

/// The check against a simulator env, for the smoke client making `mistake`.
async fn run_client(mistake: Option<&str>) -> CheckOutcome {
    let ctx = context(bare_env(Tier::Sandbox, true), Duration::from_secs(90));
    client_retry::run(&spec(client_command(mistake), "default"), &ctx).await
}

fn find<'a>(out: &'a CheckOutcome, code: &str) -> Option<&'a Finding> {
    out.findings.iter().find(|f| f.code == code)
}

fn describe(out: &CheckOutcome) -> String {
    let findings: Vec<String> = out
        .findings
        .iter()
        .map(|f| format!("  {} {}: {}", f.level.as_str(), f.code, f.message))
        .collect();
    let phases = out
        .evidence
        .get("phases")
        .map(|p| serde_json::to_string_pretty(p).unwrap_or_default())
        .unwrap_or_default();
    format!("findings:\n{}\nphases: {phases}", findings.join("\n"))
}

/// The phase names and results from the evidence.
fn phases(out: &CheckOutcome) -> Vec<(String, String)> {
    out.evidence["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["phase"].as_str().unwrap().to_string(),
                p["result"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_good_client_passes_with_a_readable_timeline() {
    let out = run_client(None).await;
    let above_info: Vec<&Finding> = out
        .findings
        .iter()
        .filter(|f| f.level > Level::Info || f.incomplete)
        .collect();
    assert!(above_info.is_empty(), "{}", describe(&out));
    assert_eq!(
        phases(&out),
        [
            ("faults".to_string(), "exited with status 0".to_string()),
            ("outage".to_string(), "exited with status 1".to_string()),
        ],
        "{}",
        describe(&out)
    );
    let summary = out.pass_summary.clone().unwrap();
    assert!(
        summary.contains("gave up after 5 order attempts in the outage"),
        "{summary}"
    );

    // The timeline: one line per request, with offset, method, path, status,
    // injected or not, reference and request id.
    let faults = &out.evidence["phases"][0];
    let lines: Vec<&str> = faults["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    let text = lines.join("\n");
    assert!(lines[0].starts_with("#1 +0."), "{text}");
    assert!(
        lines[0].contains("POST /auth/login -> 200 passed ref=- id="),
        "{text}"
    );
    assert!(
        text.contains("GET /api/v1/wallets -> 400 injected ref=- id="),
        "{text}"
    );
    assert!(
        text.contains("POST /api/v1/orders -> 429 injected Retry-After: 2 ref=smoke-"),
        "{text}"
    );
    assert!(
        text.contains("POST /api/v1/orders -> 503 injected ref=smoke-"),
        "{text}"
    );
    assert!(
        text.contains("POST /api/v1/orders -> 201 passed ref=smoke-"),
        "{text}"
    );
    assert!(text.contains("order status replaced"), "{text}");
    // The structured form says the same.
    let requests = faults["requests"].as_array().unwrap();
    assert_eq!(requests.len(), lines.len());
    let orders: Vec<&Value> = requests
        .iter()
        .filter(|r| r["class"] == "order_create")
        .collect();
    assert_eq!(orders.len(), 3);
    let reference = &orders[0]["client_reference"];
    assert!(orders.iter().all(|o| &o["client_reference"] == reference));
    let retry_gap =
        orders[1]["arrived_ms"].as_u64().unwrap() - orders[0]["responded_ms"].as_u64().unwrap();
    assert!(retry_gap >= 2000, "waited Retry-After: {retry_gap}ms");
    // The outage: five attempts, then the client gave up by itself.
    let outage = &out.evidence["phases"][1]["requests"];
    let attempts = outage
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["class"] == "order_create")
        .count();
    assert_eq!(attempts, 5);
    // The client's own log made it into the evidence.
    assert!(
        faults["stderr"]
            .as_str()
            .unwrap()
            .contains("X-Request-Id: "),
        "{}",
        faults["stderr"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_mistake_raises_its_own_code() {
    let cases: &[(&str, &str, Level)] = &[
        (
            "ignore-retry-after",
            "retry-after-not-honoured",
            Level::Fail,
        ),
        ("no-retry-429", "no-retry-on-429", Level::Fail),
        ("no-retry-5xx", "no-retry-on-5xx", Level::Fail),
        ("retry-400", "retried-non-retryable", Level::Fail),
        ("zero-backoff", "backoff-too-aggressive", Level::Warn),
        ("unbounded", "attempts-unbounded", Level::Fail),
        ("new-reference", "client-reference-changed", Level::Fail),
        ("no-reference", "client-reference-missing", Level::Fail),
        ("no-request-id", "request-id-missing", Level::Warn),
        ("strict-parsing", "unknown-field-not-tolerated", Level::Fail),
        ("always-fail", "command-failed", Level::Fail),
        ("bypass", "command-bypassed-proxy", Level::Fail),
    ];
    let mut runs = tokio::task::JoinSet::new();
    for (i, (mistake, _, _)) in cases.iter().enumerate() {
        let mistake = mistake.to_string();
        runs.spawn(async move { (i, run_client(Some(&mistake)).await) });
    }
    let mut outcomes: Vec<Option<CheckOutcome>> = (0..cases.len()).map(|_| None).collect();
    while let Some(joined) = runs.join_next().await {
        let (i, out) = joined.expect("a check run does not panic");
        outcomes[i] = Some(out);
    }
    let mut problems = Vec::new();
    for ((mistake, code, level), out) in cases.iter().zip(&outcomes) {
        let out = out.as_ref().unwrap();
        match find(out, code) {
            Some(f) if f.level == *level && !f.incomplete => {}
            Some(f) => problems.push(format!(
                "--mistake {mistake}: `{code}` is {} (incomplete: {}), expected {}\n{}",
                f.level.as_str(),
                f.incomplete,
                level.as_str(),
                describe(out)
            )),
            None => problems.push(format!(
                "--mistake {mistake}: `{code}` did not fire\n{}",
                describe(out)
            )),
        }
        // No mistake makes the check inconclusive.
        if let Some(f) = out.findings.iter().find(|f| f.incomplete) {
            problems.push(format!(
                "--mistake {mistake}: incomplete {}: {}",
                f.code, f.message
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));

    // A few specifics worth pinning.
    let by = |m: &str| {
        outcomes[cases.iter().position(|c| c.0 == m).unwrap()]
            .as_ref()
            .unwrap()
    };
    // The unbounded client was stopped at its 11th attempt.
    let out = by("unbounded");
    assert!(
        phases(out).contains(&(
            "outage".to_string(),
            "was stopped by golive after too many order attempts".to_string()
        )),
        "{}",
        describe(out)
    );
    // The strict client failed with unknown fields and passed without them.
    let out = by("strict-parsing");
    let names: Vec<String> = phases(out).into_iter().map(|p| p.0).collect();
    assert_eq!(
        names,
        ["faults", "faults-rerun", "outage"],
        "{}",
        describe(out)
    );
    assert!(find(out, "command-failed").is_some(), "{}", describe(out));
    // A client that always fails is not mistaken for an intolerant one.
    let out = by("always-fail");
    assert!(
        find(out, "unknown-field-not-tolerated").is_none(),
        "{}",
        describe(out)
    );
    // The bypassing client stops the check after its first phase.
    let out = by("bypass");
    assert_eq!(phases(out).len(), 1, "{}", describe(out));
    assert_eq!(out.findings.len(), 1, "{}", describe(out));
    // Retrying the 400 is the only thing wrong with that client.
    let out = by("retry-400");
    assert_eq!(
        out.findings
            .iter()
            .map(|f| f.code.as_str())
            .collect::<Vec<_>>(),
        ["retried-non-retryable"],
        "{}",
        describe(out)
    );
}

#[tokio::test]
async fn production_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let command = vec!["touch".to_string(), marker.display().to_string()];
    let ctx = context(bare_env(Tier::Production, false), Duration::from_secs(30));
    let out = client_retry::run(&spec(command, "default"), &ctx).await;
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!(
        (f.code.as_str(), f.incomplete),
        ("client-retry-refused", true)
    );
    assert!(f.message.contains("production env"), "{}", f.message);
    assert!(!marker.exists(), "the command never ran");
}

#[tokio::test]
async fn a_production_simulator_env_is_allowed() {
    // The simulator impersonating production is not production.
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let command = vec!["touch".to_string(), marker.display().to_string()];
    let ctx = context(bare_env(Tier::Production, true), Duration::from_secs(30));
    let out = client_retry::run(&spec(command, "passthrough"), &ctx).await;
    assert!(marker.exists(), "the command ran");
    // `touch` makes no request: nothing was proven.
    assert_eq!(
        out.findings
            .iter()
            .map(|f| f.code.as_str())
            .collect::<Vec<_>>(),
        ["command-bypassed-proxy"]
    );
}

#[tokio::test]
async fn setup_problems_are_inconclusive_or_command_failures() {
    let ctx = context(bare_env(Tier::Sandbox, true), Duration::from_secs(30));
    let out = client_retry::run(&spec(client_command(None), "chaos-monkey"), &ctx).await;
    let f = &out.findings[0];
    assert_eq!(
        (f.code.as_str(), f.incomplete),
        ("client-retry-setup-failed", true)
    );
    assert!(
        f.message.contains("unknown plan `chaos-monkey`"),
        "{}",
        f.message
    );

    let out = client_retry::run(
        &spec(vec!["/nonexistent/smoke-test".into()], "default"),
        &ctx,
    )
    .await;
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!((f.code.as_str(), f.level), ("command-failed", Level::Fail));
    assert!(
        f.message
            .starts_with("could not start `/nonexistent/smoke-test`"),
        "{}",
        f.message
    );
}

#[tokio::test]
async fn a_command_that_overruns_is_killed_and_the_check_is_inconclusive() {
    // Three seconds in all: each phase gets a share of what is left after the reserve.
    let ctx = context(bare_env(Tier::Sandbox, true), Duration::from_secs(4));
    let command = vec!["sleep".to_string(), "60".to_string()];
    let started = std::time::Instant::now();
    let out = client_retry::run(&spec(command, "default"), &ctx).await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    let f = find(&out, "command-timed-out").expect("timed out");
    assert!(f.incomplete);
    assert!(find(&out, "command-bypassed-proxy").is_none());
}

/// The same overrun when the run's `--timeout` set the deadline: the run's deadline
/// expired, not the command's fault (SPEC 8.1).
#[tokio::test]
async fn a_command_cut_by_the_run_timeout_is_a_run_timeout() {
    let mut ctx = context(bare_env(Tier::Sandbox, true), Duration::from_secs(4));
    ctx.run_deadline_binds = true;
    let command = vec!["sleep".to_string(), "60".to_string()];
    let out = client_retry::run(&spec(command, "default"), &ctx).await;
    let f = find(&out, "run-timeout").unwrap_or_else(|| panic!("{}", describe(&out)));
    assert!(f.incomplete);
    assert!(
        find(&out, "command-timed-out").is_none(),
        "{}",
        describe(&out)
    );
}

#[test]
fn golive_check_runs_client_retry_from_a_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("checks.toml");
    let command = client_command(None)
        .iter()
        .map(|a| format!("{a:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    std::fs::write(
        &manifest,
        format!(
            "version = 1\ndefault_env = \"demo\"\n\n[env.demo]\ntier = \"sandbox\"\nsimulator = true\n\n\
             [[check]]\nid = \"client-retry\"\nkind = \"client_retry\"\ncommand = [{command}]\ntimeout = \"90s\"\n"
        ),
    )
    .unwrap();
    let out = assert_cmd::Command::cargo_bin("golive")
        .unwrap()
        .env("NO_COLOR", "1")
        .env_remove("OCTOPUS_BASE_URL")
        .current_dir(dir.path())
        .args(["check", "-m", "checks.toml", "--format", "json"])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "client-retry")
        .unwrap();
    assert_eq!(check["kind"], "client_retry");
    assert_eq!(check["status"], "pass", "{check:#}");
    assert_eq!(out.status.code(), Some(0), "{check:#}");
    assert!(
        check["evidence"]["phases"][0]["timeline"][0]
            .as_str()
            .unwrap()
            .contains("POST /auth/login -> 200 passed"),
        "{check:#}"
    );
}

/// Processes a test started, killed when the test ends, pass or fail.
#[cfg(target_os = "linux")]
struct KillOnDrop(PathBuf);

#[cfg(target_os = "linux")]
impl KillOnDrop {
    fn pids(&self) -> Vec<u32> {
        std::fs::read_to_string(&self.0)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }
}

#[cfg(target_os = "linux")]
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        for pid in self.pids() {
            if alive(pid) {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
        }
    }
}

/// Whether `pid` is a live process (a zombie is not).
#[cfg(target_os = "linux")]
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let state = stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next());
        !matches!(state, Some("Z" | "X"))
    })
}

/// SPEC 8.6: a command that starts `setsid sleep 300 &` (leaving its process group
/// and session) and exits leaves nothing running once golive has returned.
#[cfg(target_os = "linux")]
#[test]
fn processes_that_leave_the_process_group_are_gone_when_the_check_ends() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let guard = KillOnDrop(pids.clone());
    let script = dir.path().join("leaver.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nsetsid sleep 300 </dev/null >/dev/null 2>&1 &\necho $! >> \"$1\"\nsleep 0.2\nexit 0\n",
    )
    .unwrap();
    let manifest = dir.path().join("checks.toml");
    std::fs::write(
        &manifest,
        format!(
            "version = 1\ndefault_env = \"demo\"\n\n[env.demo]\ntier = \"sandbox\"\nsimulator = true\n\n\
             [[check]]\nid = \"client-retry\"\nkind = \"client_retry\"\ncommand = [\"sh\", {:?}, {:?}]\ntimeout = \"30s\"\n",
            script.display().to_string(),
            pids.display().to_string()
        ),
    )
    .unwrap();
    let out = assert_cmd::Command::cargo_bin("golive")
        .unwrap()
        .env("NO_COLOR", "1")
        .env_remove("OCTOPUS_BASE_URL")
        .current_dir(dir.path())
        .args(["check", "-m", "checks.toml", "--format", "json"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let started = guard.pids();
    assert!(
        !started.is_empty(),
        "the command never ran: {report:#}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let left: Vec<u32> = started.iter().copied().filter(|p| alive(*p)).collect();
    assert!(
        left.is_empty(),
        "still running after golive returned: {left:?} (of {started:?})"
    );
}
