//! `golive watch` (SPEC section 7) driven as a process on 127.0.0.1 port 0: the
//! served /metrics (promtool when present, required under CI=true), /report.json
//! against the schema, /healthz, status changes between runs, SIGTERM, the
//! production interval refusal; `retries` and flaky checks; and the shipped alert
//! rules and dashboard, which may use only metrics golive serves.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::*;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

/// A running `golive watch`, its stderr lines arriving on a channel. Killed on drop.
struct Watch {
    child: Child,
    addr: String,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Watch {
    fn start(dir: &std::path::Path, args: &[&str], envs: &[(&str, &str)]) -> Watch {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("golive"));
        cmd.current_dir(dir)
            .arg("watch")
            .args(args)
            .env("NO_COLOR", "1")
            .env_remove("GOLIVE_ENV")
            .env_remove("HTTP_PROXY")
            .env_remove("HTTPS_PROXY")
            .env_remove("ALL_PROXY")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("golive watch starts");
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let first = lines
            .recv_timeout(Duration::from_secs(30))
            .expect("a first stderr line");
        let addr = first
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("first stderr line names the address: {first}"))
            .to_string();
        Watch {
            child,
            addr,
            lines,
            seen: vec![first],
        }
    }

    /// Waits for a stderr line containing `needle`.
    fn wait_for_line(&mut self, needle: &str, within: Duration) -> String {
        let until = Instant::now() + within;
        if let Some(l) = self.seen.iter().find(|l| l.contains(needle)) {
            return l.clone();
        }
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!(
            "no stderr line with `{needle}`; got:\n{}",
            self.seen.join("\n")
        );
    }

    fn get(&self, path: &str) -> (u16, String) {
        http_get(&self.addr, path)
    }

    /// Polls `path` until it answers 200.
    fn wait_ok(&self, path: &str, within: Duration) -> String {
        let until = Instant::now() + within;
        loop {
            let (status, body) = self.get(path);
            if status == 200 {
                return body;
            }
            assert!(Instant::now() < until, "{path} still {status}: {body}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM; returns the exit code and how long the process took to go.
    fn terminate(mut self) -> (Option<i32>, Duration) {
        let pid = self.child.id().to_string();
        let started = Instant::now();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status.code(), started.elapsed());
            }
            if started.elapsed() > Duration::from_secs(10) {
                return (None, started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 GET on loopback: status and body.
fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect to the watch");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.to_string())
}

/// The repository's demo manifest in a temp dir.
fn demo_dir() -> tempfile::TempDir {
    let dir = tempdir();
    std::fs::copy(
        crate_root().join("checks.toml"),
        dir.path().join("checks.toml"),
    )
    .unwrap();
    dir
}

/// Families named by `# TYPE` lines.
fn families(metrics: &str) -> Vec<String> {
    metrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next())
        .map(str::to_string)
        .collect()
}

#[test]
fn watch_serves_metrics_report_and_health_and_stops_on_sigterm() {
    let dir = demo_dir();
    let watch = Watch::start(
        dir.path(),
        &["--interval", "1s", "--listen", "127.0.0.1:0"],
        &[],
    );
    let report: Value =
        serde_json::from_str(&watch.wait_ok("/report.json", Duration::from_secs(30)))
            .expect("/report.json is JSON");
    assert_valid(&report_schema(), &report);
    assert_eq!(report["verdict"], "ready", "{report:#}");
    assert_eq!(report["reports"][0]["environment"]["simulator"], true);

    assert_eq!(watch.get("/healthz"), (200, "ok\n".to_string()));

    // A second run completes, and every family is there.
    let second = Instant::now() + Duration::from_secs(20);
    let metrics = loop {
        let (status, body) = watch.get("/metrics");
        assert_eq!(status, 200);
        if body.contains("golive_runs_total{env=\"demo\",verdict=\"ready\"} 2")
            || body.contains("golive_runs_total{env=\"demo\",verdict=\"ready\"} 3")
        {
            break body;
        }
        assert!(Instant::now() < second, "no second run:\n{body}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let served = families(&metrics);
    for family in golive::watch::FAMILIES {
        assert!(
            served.iter().any(|f| f == family),
            "{family} missing:\n{metrics}"
        );
    }
    assert!(metrics.contains("golive_verdict{env=\"demo\",verdict=\"ready\"} 1"));
    assert!(metrics.contains("golive_last_run_timestamp_seconds{env=\"demo\"}"));
    assert!(
        metrics.contains("golive_check_status_changes_total{env=\"demo\",check=\"credentials\"} 0")
    );
    assert!(metrics.ends_with("# EOF\n"));
    promtool_accepts(&metrics);
    // The healthy demo does not drift.
    assert!(
        !watch.seen.iter().any(|l| l.contains("status change")),
        "{:?}",
        watch.seen
    );

    let (code, took) = watch.terminate();
    assert_eq!(code, Some(0), "SIGTERM exits 0");
    assert!(took < Duration::from_secs(5), "stopped in {took:?}");
}

#[test]
fn report_json_is_a_503_json_error_before_the_first_run() {
    // An API that never answers: the first run takes its whole check timeout.
    let hung = RawServer::start(Behaviour::Hang);
    let dir = tempdir();
    write_manifest(
        dir.path(),
        &api_manifest(
            &hung.base_url(),
            "W_KEY",
            "W_SECRET",
            "[[check]]\nid = \"credentials\"\nkind = \"credentials\"\ntimeout = \"4s\"\n",
        ),
    );
    let watch = Watch::start(
        dir.path(),
        &["--interval", "10s", "--listen", "127.0.0.1:0"],
        &[("W_KEY", "k_watch_key_1"), ("W_SECRET", "s_watch_secret_1")],
    );
    let (status, body) = watch.get("/report.json");
    assert_eq!(status, 503, "{body}");
    let error: Value = serde_json::from_str(&body).expect("a JSON error");
    assert!(
        error["error"].as_str().unwrap().contains("no run"),
        "{error}"
    );
    assert_eq!(watch.get("/healthz").0, 200);
    // The first run is under way: the API got its login, which it never answers.
    let since = Instant::now();
    while hung.connections() == 0 && since.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// An API whose USD balance drops below the minimum after the first wallet read.
#[derive(Default)]
struct Draining {
    wallet_reads: AtomicUsize,
    logins: AtomicUsize,
    /// Logins that fail with a 500 before one succeeds.
    failing_logins: usize,
}

async fn login(State(api): State<Arc<Draining>>) -> Response {
    let n = api.logins.fetch_add(1, Ordering::SeqCst);
    if n < api.failing_logins {
        let body = serde_json::json!({"error": {"name": "ServerError", "code": "INTERNAL", "message": "try again"}});
        return (StatusCode::INTERNAL_SERVER_ERROR, body.to_string()).into_response();
    }
    let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
    let body = serde_json::json!({"access_token": "at_watch_tok_7Qm2", "access_expires_at": expires.to_string(), "client_id": 7});
    ([("content-type", "application/json")], body.to_string()).into_response()
}

async fn wallets(State(api): State<Arc<Draining>>) -> Response {
    let n = api.wallet_reads.fetch_add(1, Ordering::SeqCst);
    let amount = if n == 0 { 5000.0 } else { 10.0 };
    let body =
        serde_json::json!([{"id": 1, "currency_id": 1, "amount": amount, "type": "PREPAID"}]);
    ([("content-type", "application/json")], body.to_string()).into_response()
}

async fn currencies() -> Response {
    let body = serde_json::json!([{"id": 1, "currency": "USD"}]);
    ([("content-type", "application/json")], body.to_string()).into_response()
}

struct Api {
    url: String,
    state: Arc<Draining>,
    _server: AppServer,
}

fn draining_api(failing_logins: usize) -> Api {
    let state = Arc::new(Draining {
        failing_logins,
        ..Draining::default()
    });
    let server = AppServer::start(
        Router::new()
            .route("/auth/login", post(login))
            .route("/api/v1/wallets", get(wallets))
            .route("/api/v1/currencies", get(currencies))
            .with_state(state.clone()),
    );
    Api {
        url: server.url(),
        state,
        _server: server,
    }
}

const WALLET: &str = "[[check]]\nid = \"wallet-usd\"\nkind = \"wallet\"\ncurrency = \"USD\"\nmin_balance = 100.0\ntimeout = \"5s\"\n";

#[test]
fn a_balance_that_drops_between_runs_is_a_status_change() {
    let api = draining_api(0);
    let dir = tempdir();
    write_manifest(
        dir.path(),
        &api_manifest(&api.url, "W_KEY", "W_SECRET", WALLET),
    );
    let mut watch = Watch::start(
        dir.path(),
        &["--interval", "1s", "--listen", "127.0.0.1:0"],
        &[("W_KEY", "k_watch_key_1"), ("W_SECRET", "s_watch_secret_1")],
    );
    let line = watch.wait_for_line("status change", Duration::from_secs(30));
    assert_eq!(
        line,
        "status change: env api check wallet-usd pass -> fail (balance-below-minimum)"
    );
    let metrics = watch.get("/metrics").1;
    assert!(
        metrics.contains("golive_check_status_changes_total{env=\"api\",check=\"wallet-usd\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("golive_runs_total{env=\"api\",verdict=\"ready\"} 1"),
        "{metrics}"
    );
    promtool_accepts(&metrics);
    let report: Value = serde_json::from_str(&watch.get("/report.json").1).unwrap();
    assert_valid(&report_schema(), &report);
    assert_eq!(report["verdict"], "not_ready");
    // Secrets never reach what the watch serves.
    assert!(
        !metrics.contains("s_watch_secret_1") && !report.to_string().contains("s_watch_secret_1")
    );
}

#[test]
fn production_is_not_watched_more_often_than_every_five_minutes() {
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &format!(
            "version = 1\ndefault_env = \"production\"\n\n[env.production]\ntier = \"production\"\nbase_url = \"http://127.0.0.1:{}\"\napi_key = {{ env = \"W_KEY\" }}\napi_secret = {{ env = \"W_SECRET\" }}\n\n[[check]]\nid = \"credentials\"\nkind = \"credentials\"\n",
            closed_port()
        ),
    );
    let out = run(golive().args([
        "watch",
        "-m",
        p(&m),
        "--interval",
        "1m",
        "--listen",
        "127.0.0.1:0",
    ]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("env `production` is production") && out.stderr.contains("5m"),
        "{}",
        out.stderr
    );
}

#[test]
fn client_retry_is_skipped_and_a_non_loopback_listen_is_warned_about() {
    let dir = tempdir();
    write_manifest(
        dir.path(),
        &sim_manifest(
            None,
            "[[check]]\nid = \"credentials\"\nkind = \"credentials\"\n\n[[check]]\nid = \"client-retry\"\nkind = \"client_retry\"\ncommand = [\"sh\", \"-c\", \"exit 1\"]\n",
        ),
    );
    // Bound on every interface, but nothing here talks to any address but 127.0.0.1.
    let mut watch = Watch::start(
        dir.path(),
        &["--interval", "5s", "--listen", "0.0.0.0:0"],
        &[],
    );
    watch.wait_for_line("warning: serving on 0.0.0.0", Duration::from_secs(5));
    let port = watch.addr.rsplit(':').next().unwrap().to_string();
    let local = format!("127.0.0.1:{port}");
    let until = Instant::now() + Duration::from_secs(30);
    let report: Value = loop {
        let (status, body) = http_get(&local, "/report.json");
        if status == 200 {
            break serde_json::from_str(&body).unwrap();
        }
        assert!(Instant::now() < until, "no run");
        std::thread::sleep(Duration::from_millis(100));
    };
    let check = report["reports"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "client-retry")
        .unwrap()
        .clone();
    assert_eq!(check["status"], "skip");
    assert!(
        check["summary"].as_str().unwrap().contains("watch mode"),
        "{check}"
    );
}

#[test]
fn a_check_that_passes_on_a_retry_is_flaky_in_every_report() {
    let api = draining_api(1);
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &api_manifest(
            &api.url,
            "W_KEY",
            "W_SECRET",
            "[[check]]\nid = \"credentials\"\nkind = \"credentials\"\nretries = 2\nretry_delay = \"50ms\"\n",
        ),
    );
    let files = tempdir();
    let out = run(golive()
        .args(["check", "-m", p(&m), "--format", "json"])
        .args(["--report-junit", p(&files.path().join("j.xml"))])
        .args(["--report-markdown", p(&files.path().join("b.md"))])
        .env("W_KEY", "k_watch_key_1")
        .env("W_SECRET", "s_watch_secret_1"));
    let report = out.json();
    assert_consistent(&report, out.code);
    assert_valid(&report_schema(), &report);
    let credentials = check(&report, "credentials");
    // `warn` only for the loopback host (non-canonical-host): it logged in.
    assert_eq!(credentials["status"], "warn", "{credentials:#}");
    assert_eq!(
        codes_of(&report, "credentials").last().map(String::as_str),
        Some("login-ok")
    );
    assert_eq!(credentials["flaky"], true);
    assert_eq!(credentials["attempts"], 2);
    assert_eq!(
        api.state.logins.load(Ordering::SeqCst),
        2,
        "one login per attempt"
    );
    let junit = std::fs::read_to_string(files.path().join("j.xml")).unwrap();
    assert!(junit.contains("flakyFailure"), "{junit}");
    let board = std::fs::read_to_string(files.path().join("b.md")).unwrap();
    assert!(board.contains("flaky: passed on attempt 2"), "{board}");
    let human = run(golive()
        .args(["check", "-m", p(&m)])
        .env("W_KEY", "k_watch_key_1")
        .env("W_SECRET", "s_watch_secret_1"));
    // The API's state moved on (the login now succeeds at once): no retry, no note.
    assert_eq!(human.code, 0, "{}", human.stdout);
    assert!(!human.stdout.contains("flaky"), "{}", human.stdout);

    // A check that never passes is re-run, then reported as it is, not flaky.
    let down = RawServer::respond(
        "503 Service Unavailable",
        "application/json",
        br#"{"error":{"name":"E","code":"UNAVAILABLE","message":"down"}}"#,
    );
    let m = write_manifest(
        dir.path(),
        &api_manifest(
            &down.base_url(),
            "W_KEY",
            "W_SECRET",
            "[[check]]\nid = \"credentials\"\nkind = \"credentials\"\nretries = 2\nretry_delay = \"10ms\"\n",
        ),
    );
    let out = run(golive()
        .args(["check", "-m", p(&m), "--format", "json"])
        .env("W_KEY", "k_watch_key_1")
        .env("W_SECRET", "s_watch_secret_1"));
    let report = out.json();
    let credentials = check(&report, "credentials");
    assert_eq!(credentials["status"], "error");
    assert_eq!(credentials["attempts"], 3);
    assert!(credentials.get("flaky").is_none(), "{credentials:#}");
    assert_eq!(down.connections(), 3, "one login per attempt");
}

#[test]
fn production_keeps_one_login_and_five_calls_across_retries() {
    let sim = SimServer::start(
        golive::tier::Tier::Production,
        golive::sim::Scenario::Healthy,
    );
    let dir = tempdir();
    let checks = "[[check]]\nid = \"credentials\"\nkind = \"credentials\"\nretries = 3\nretry_delay = \"10ms\"\n\n\
                  [[check]]\nid = \"wallet-usd\"\nkind = \"wallet\"\ncurrency = \"USD\"\nmin_balance = 1e12\nretries = 3\nretry_delay = \"10ms\"\n\n\
                  [[check]]\nid = \"wallet-eur\"\nkind = \"wallet\"\ncurrency = \"EUR\"\nmin_balance = 1e12\nretries = 3\nretry_delay = \"10ms\"\n";
    let m = write_manifest(
        dir.path(),
        &format!(
            "version = 1\ndefault_env = \"production\"\n\n[env.production]\ntier = \"production\"\nbase_url = \"{}\"\napi_key = {{ env = \"W_KEY\" }}\napi_secret = {{ env = \"W_SECRET\" }}\n\n{checks}",
            sim.base_url()
        ),
    );
    let out = run(golive()
        .args(["check", "-m", p(&m), "--format", "json"])
        .env("W_KEY", sim.api_key())
        .env("W_SECRET", sim.api_secret()));
    let report = out.json();
    assert_consistent(&report, out.code);
    // The wallets are far below 1e12: both wallet checks fail and are re-run.
    assert_eq!(check(&report, "wallet-usd")["attempts"], 4, "{report:#}");
    let stats = sim.stats();
    assert_eq!(
        stats.by_route.get("POST /auth/login"),
        Some(&1),
        "{stats:?}"
    );
    assert!(stats.total <= 5, "{stats:?}");
}

#[test]
fn alert_rules_and_dashboard_use_only_metrics_golive_serves() {
    let root = crate_root();
    let rules = std::fs::read_to_string(root.join("deploy/prometheus/golive.rules.yml")).unwrap();
    let dashboard = std::fs::read_to_string(root.join("deploy/grafana/golive.json")).unwrap();
    let dashboard_json: Value = serde_json::from_str(&dashboard).expect("the dashboard is JSON");
    assert!(
        dashboard_json["panels"]
            .as_array()
            .is_some_and(|p| p.len() >= 6)
    );
    let served: Vec<&str> = golive::report::prometheus::FAMILIES
        .iter()
        .chain(golive::watch::FAMILIES)
        .copied()
        .collect();
    let mut used = Vec::new();
    for text in [&rules, &dashboard] {
        let mut rest = text.as_str();
        while let Some(i) = rest.find("golive_") {
            let name: String = rest[i..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            used.push(name.clone());
            rest = &rest[i + name.len()..];
        }
    }
    for name in &used {
        assert!(
            served.contains(&name.as_str()),
            "{name} is used but golive serves no such metric"
        );
    }
    for wanted in [
        "golive_verdict",
        "golive_check_blocking",
        "golive_webhook_cert_expiry_timestamp_seconds",
        "golive_wallet_balance",
        "golive_last_run_timestamp_seconds",
        "golive_check_status_changes_total",
        "golive_run_duration_seconds",
    ] {
        assert!(used.iter().any(|u| u == wanted), "{wanted} is not used");
    }
    // The rules' own unit tests, when promtool is here (required under CI=true).
    promtool(
        &["test", "rules", "golive.rules.test.yml"],
        &root.join("deploy/prometheus"),
        "",
    );
}
