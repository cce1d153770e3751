//! What `golive watch` serves (SPEC section 7): the latest run of every env,
//! its counters and status changes, over HTTP for Prometheus.
//!
//! The command itself (the loop that runs each env's checks every `--interval`
//! and prints status changes) lives in `cmd/watch.rs`; this module prints
//! nothing. The latest report of every env, run counters and status changes live
//! in one [`State`], which an axum server ([`router`]) renders on each request:
//!
//! - `GET /metrics`: the families of `--format prometheus` for the latest run of
//!   every env, then `golive_runs_total`, `golive_last_run_timestamp_seconds`
//!   and `golive_check_status_changes_total` (Prometheus text format 0.0.4);
//! - `GET /report.json`: the latest reports as one multi-env JSON report (503
//!   with a JSON error before the first run completes);
//! - `GET /healthz`: 200 while the loop is alive.
//!
//! A check whose status changes between two runs of its env counts in
//! `golive_check_status_changes_total`, and [`State::record`] returns a line
//! saying so for the command to print.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State as AxumState;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::manifest::EnvSpec;
use crate::report::{MultiReport, Report, Verdict};
use crate::tier::Tier;

/// The shortest interval a production env may be watched at: each run makes
/// real API calls against the live integration's quotas.
pub const PRODUCTION_MIN_INTERVAL: Duration = Duration::from_secs(300);

/// The families `/metrics` adds to those of `--format prometheus`
/// ([`crate::report::prometheus::FAMILIES`]).
pub const FAMILIES: &[&str] = &[
    "golive_runs_total",
    "golive_last_run_timestamp_seconds",
    "golive_check_status_changes_total",
];

/// What the server shows: the latest run of every env and the counters.
#[derive(Debug, Default)]
pub struct State {
    /// Env names in the order they are watched.
    pub envs: Vec<String>,
    /// The latest report of each env that has completed a run.
    pub latest: BTreeMap<String, Report>,
    /// Completed runs per (env, verdict).
    pub runs: BTreeMap<(String, &'static str), u64>,
    /// When each env's latest run completed, as Unix seconds.
    pub last_run: BTreeMap<String, f64>,
    /// Status changes per (env, check).
    pub changes: BTreeMap<(String, String), u64>,
}

impl State {
    /// Records a completed run; returns one line per check whose status changed
    /// since the env's previous run.
    pub fn record(&mut self, report: Report, finished_at: f64) -> Vec<String> {
        let env = report.environment.name.clone();
        let mut drift = Vec::new();
        if let Some(previous) = self.latest.get(&env) {
            for check in &report.checks {
                let Some(before) = previous.checks.iter().find(|c| c.id == check.id) else {
                    continue;
                };
                if before.status != check.status {
                    *self
                        .changes
                        .entry((env.clone(), check.id.clone()))
                        .or_default() += 1;
                    let codes: Vec<&str> = check.findings.iter().map(|f| f.code.as_str()).collect();
                    drift.push(format!(
                        "status change: env {env} check {} {} -> {}{}",
                        check.id,
                        before.status.as_str(),
                        check.status.as_str(),
                        if codes.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", codes.join(", "))
                        }
                    ));
                }
            }
        }
        *self
            .runs
            .entry((env.clone(), report.verdict.as_str()))
            .or_default() += 1;
        self.last_run.insert(env.clone(), finished_at);
        self.latest.insert(env, report);
        drift
    }

    /// The latest reports, in watch order.
    pub fn reports(&self) -> Vec<Report> {
        self.envs
            .iter()
            .filter_map(|e| self.latest.get(e).cloned())
            .collect()
    }

    /// `/metrics`: every family of `--format prometheus` for the latest runs,
    /// then the watch's own families, in Prometheus text format.
    pub fn metrics(&self) -> std::io::Result<String> {
        let reports = self.reports();
        let mut text = String::new();
        if !reports.is_empty() {
            let mut buf = Vec::new();
            crate::report::prometheus::render(&reports, &mut buf)?;
            text = String::from_utf8_lossy(&buf).into_owned();
            // The report's own terminator goes after the watch's families.
            if let Some(i) = text.rfind("# EOF") {
                text.truncate(i);
            }
        }
        let label = |s: &str| crate::report::prometheus::escape_label(s);
        let _ = writeln!(
            text,
            "# HELP golive_runs_total Completed runs of the env's checks, by verdict.\n# TYPE golive_runs_total counter"
        );
        for env in &self.envs {
            for verdict in [Verdict::Ready, Verdict::NotReady, Verdict::Inconclusive] {
                let n = self
                    .runs
                    .get(&(env.clone(), verdict.as_str()))
                    .copied()
                    .unwrap_or(0);
                let _ = writeln!(
                    text,
                    "golive_runs_total{{env=\"{}\",verdict=\"{}\"}} {n}",
                    label(env),
                    verdict.as_str()
                );
            }
        }
        if !self.last_run.is_empty() {
            let _ = writeln!(
                text,
                "# HELP golive_last_run_timestamp_seconds When the env's latest run completed, as Unix time.\n# TYPE golive_last_run_timestamp_seconds gauge"
            );
            for env in &self.envs {
                if let Some(t) = self.last_run.get(env) {
                    let _ = writeln!(
                        text,
                        "golive_last_run_timestamp_seconds{{env=\"{}\"}} {t:.3}",
                        label(env)
                    );
                }
            }
        }
        let _ = writeln!(
            text,
            "# HELP golive_check_status_changes_total Times a check's status changed between two runs.\n# TYPE golive_check_status_changes_total counter"
        );
        for env in &self.envs {
            if let Some(report) = self.latest.get(env) {
                for check in &report.checks {
                    let n = self
                        .changes
                        .get(&(env.clone(), check.id.clone()))
                        .copied()
                        .unwrap_or(0);
                    let _ = writeln!(
                        text,
                        "golive_check_status_changes_total{{env=\"{}\",check=\"{}\"}} {n}",
                        label(env),
                        label(&check.id)
                    );
                }
            }
        }
        text.push_str("# EOF\n");
        Ok(text)
    }
}

/// The state the server and the watch loops share.
pub type Shared = Arc<Mutex<State>>;

/// The state, even if a loop panicked while holding it.
pub fn lock(state: &Shared) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// The HTTP routes, over `state`.
pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/report.json", get(report_json))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(state)
}

async fn metrics(AxumState(state): AxumState<Shared>) -> Response {
    match lock(&state).metrics() {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn report_json(AxumState(state): AxumState<Shared>) -> Response {
    let reports = lock(&state).reports();
    if reports.is_empty() {
        let body = serde_json::json!({
            "error": "no run has completed yet",
            "status": 503,
        });
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response();
    }
    match serde_json::to_string_pretty(&MultiReport::from_reports(reports)) {
        Ok(text) => ([(header::CONTENT_TYPE, "application/json")], text).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// A production env watched more often than [`PRODUCTION_MIN_INTERVAL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "--interval {}: env `{env}` is production, which is watched at most every {} \
     (each run makes real API calls against the live integration's quotas)",
    crate::duration::format(*.interval),
    crate::duration::format(PRODUCTION_MIN_INTERVAL)
)]
pub struct IntervalTooShort {
    /// The interval asked for.
    pub interval: Duration,
    /// The production env.
    pub env: String,
}

/// Refuses what a watch must not do before anything runs: a production env at
/// an interval under [`PRODUCTION_MIN_INTERVAL`].
pub fn check_interval(envs: &[EnvSpec], interval: Duration) -> Result<(), IntervalTooShort> {
    match envs
        .iter()
        .find(|e| e.tier == Tier::Production && !e.simulator)
    {
        Some(env) if interval < PRODUCTION_MIN_INTERVAL => Err(IntervalTooShort {
            interval,
            env: env.name.clone(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Status, fixtures};

    #[test]
    fn a_status_change_is_one_line_and_one_count() {
        let mut state = State {
            envs: vec!["production".into()],
            ..State::default()
        };
        let first = fixtures::all_statuses();
        let env = first.environment.name.clone();
        state.envs = vec![env.clone()];
        assert!(state.record(first.clone(), 1.0).is_empty());
        let mut second = first.clone();
        second.checks[0].status = Status::Fail;
        let drift = state.record(second, 2.0);
        assert_eq!(
            drift.len(),
            usize::from(first.checks[0].status != Status::Fail)
        );
        if let Some(line) = drift.first() {
            assert!(line.contains(&format!("env {env} check {}", first.checks[0].id)));
            assert!(line.contains("-> fail"), "{line}");
        }
        let metrics = state.metrics().unwrap();
        assert!(metrics.ends_with("# EOF\n"));
        assert_eq!(metrics.matches("# EOF").count(), 1);
        assert!(metrics.contains("# TYPE golive_runs_total counter"));
        assert!(metrics.contains("golive_last_run_timestamp_seconds"));
    }

    #[test]
    fn production_refuses_a_short_interval() {
        let env = |tier, simulator| EnvSpec {
            name: "p".into(),
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
        };
        let minute = Duration::from_secs(60);
        assert!(check_interval(&[env(Tier::Production, false)], minute).is_err());
        assert!(check_interval(&[env(Tier::Production, false)], PRODUCTION_MIN_INTERVAL).is_ok());
        assert!(check_interval(&[env(Tier::Sandbox, false)], minute).is_ok());
        assert!(check_interval(&[env(Tier::Production, true)], minute).is_ok());
    }
}
