//! The runner: which checks run, running them concurrently under their time
//! budgets, and turning findings into statuses, waivers and a verdict.
//!
//! The policy lives here and only here: checks report findings, renderers print
//! the result, and neither decides what blocks go-live. Results are kept in
//! manifest order whatever order checks finish in.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::checks::{self, CheckContext, Target};
use crate::checks::{CheckSpec, Manifest};
use crate::codes;
use crate::finding::{Finding, Level};
use crate::manifest::{Severity, WaiverSpec};
use crate::octopus::{CallLog, OctopusClient};
use crate::report::{CheckReport, Status, Verdict, WaiverReport};

/// A check of the manifest and whether it runs in this run.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The check.
    pub spec: CheckSpec,
    /// `None` when it runs; otherwise why it is skipped.
    pub skip: Option<String>,
}

/// Why `--only`/`--skip` could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{flag} `{value}` matches no check id or tag in the manifest{}{}", .near.as_ref().map(|n| format!("; did you mean `{n}`?")).unwrap_or_default(), if .known.is_empty() { String::new() } else { format!(" (ids and tags: {})", .known) })]
pub struct SelectError {
    /// `--only` or `--skip`.
    pub flag: &'static str,
    /// The value given.
    pub value: String,
    /// Known ids and tags.
    pub known: String,
    /// The id or tag `value` is a near miss of, if any.
    pub near: Option<String>,
}

/// Decides which checks run for `env`: those that apply to it, narrowed by `--only`
/// and `--skip` (each an id or a tag). Every check of the manifest is returned, so
/// the report can say why a check did not run.
pub fn plan(
    manifest: &Manifest,
    env: &str,
    only: &[String],
    skip: &[String],
) -> Result<Vec<Planned>, SelectError> {
    let matches =
        |spec: &CheckSpec, sel: &str| spec.id == sel || spec.tags.iter().any(|t| t == sel);
    let mut known: Vec<&str> = manifest.checks.iter().map(|c| c.id.as_str()).collect();
    for c in &manifest.checks {
        known.extend(c.tags.iter().map(String::as_str));
    }
    known.sort_unstable();
    known.dedup();
    for (flag, values) in [("--only", only), ("--skip", skip)] {
        if let Some(v) = values
            .iter()
            .find(|v| !manifest.checks.iter().any(|c| matches(c, v)))
        {
            return Err(SelectError {
                flag,
                value: v.clone(),
                near: crate::manifest::suggest(v, known.iter().copied()).map(str::to_string),
                known: known.join(", "),
            });
        }
    }
    Ok(manifest
        .checks
        .iter()
        .map(|spec| {
            let skip_reason = if !spec.applies_to(env) {
                Some(format!(
                    "not enabled for env `{env}` (envs = {:?})",
                    spec.envs.as_deref().unwrap_or_default()
                ))
            } else if !only.is_empty() && !only.iter().any(|o| matches(spec, o)) {
                Some("not selected by --only".to_string())
            } else {
                skip.iter()
                    .find(|s| matches(spec, s))
                    .map(|s| format!("skipped by --skip {s}"))
            };
            Planned {
                spec: spec.clone(),
                skip: skip_reason,
            }
        })
        .collect())
}

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Most checks in flight at once.
    pub jobs: usize,
    /// Whole-run time budget.
    pub timeout: Option<Duration>,
    /// Warnings block.
    pub strict: bool,
    /// Apply `[[waiver]]` entries.
    pub use_waivers: bool,
    /// Today's date (UTC) for waiver expiry.
    pub today: jiff::civil::Date,
}

/// Notified as checks start and finish (the terminal progress display).
pub trait Progress: Send + Sync {
    /// A check started.
    fn started(&self, id: &str);
    /// A check finished with a provisional status.
    fn finished(&self, id: &str, status: Status);
}

/// Runs the planned checks against one target and returns their reports in plan order.
pub async fn run(
    planned: &[Planned],
    target: Arc<Target>,
    api: Arc<OctopusClient>,
    waivers: &[WaiverSpec],
    opts: &RunOptions,
    progress: Option<Arc<dyn Progress>>,
) -> Vec<CheckReport> {
    let run_deadline = opts
        .timeout
        .map(|t| crate::duration::instant_after(Instant::now(), t));
    let login_reported_by = planned
        .iter()
        .find(|p| p.skip.is_none() && p.spec.settings.reports_login())
        .map(|p| p.spec.id.clone());
    let permits = Arc::new(Semaphore::new(opts.jobs.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let mut reports: Vec<Option<CheckReport>> = vec![None; planned.len()];

    for (index, p) in planned.iter().enumerate() {
        if let Some(reason) = &p.skip {
            reports[index] = Some(skipped_report(&p.spec, reason.clone()));
            continue;
        }
        let spec = p.spec.clone();
        let target = target.clone();
        let api = api.clone();
        let permits = permits.clone();
        let progress = progress.clone();
        let login_reported_by = login_reported_by.clone();
        tasks.spawn(async move {
            let _permit = permits
                .acquire_owned()
                .await
                .expect("semaphore is never closed");
            if let Some(p) = &progress {
                p.started(&spec.id);
            }
            // A `fail` or `error` is re-run up to `retries` times (SPEC 7), each
            // attempt with the check's full timeout, within the run's deadline.
            let mut attempt: u32 = 1;
            let mut api = api;
            let report = loop {
                let report = attempt_once(
                    &spec,
                    &target,
                    &api,
                    run_deadline,
                    login_reported_by.clone(),
                )
                .await;
                let failed = matches!(report.status, Status::Fail | Status::Error);
                let run_left = run_deadline.map_or(Duration::MAX, |r| {
                    r.saturating_duration_since(Instant::now())
                });
                if !failed || attempt > u32::from(spec.retries) || run_left <= spec.retry_delay {
                    break report;
                }
                tracing::info!(
                    target: "golive::runner",
                    "{}: {} on attempt {attempt}; re-running in {}",
                    spec.id,
                    report.status.as_str(),
                    crate::duration::format(spec.retry_delay)
                );
                tokio::time::sleep(spec.retry_delay).await;
                api = api.retry_client();
                attempt += 1;
            };
            let report = CheckReport {
                attempts: (attempt > 1).then_some(attempt),
                flaky: attempt > 1 && !matches!(report.status, Status::Fail | Status::Error),
                ..report
            };
            if let Some(p) = &progress {
                p.finished(&spec.id, report.status);
            }
            (index, report)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((index, report)) => reports[index] = Some(report),
            Err(e) => tracing::error!("a check task failed: {e}"),
        }
    }
    // A check whose task died anyway still gets a report: an error, never a silent
    // gap, and never mistaken for a timeout.
    let mut out: Vec<CheckReport> = reports
        .into_iter()
        .zip(planned)
        .map(|(r, p)| {
            r.unwrap_or_else(|| {
                build_report(&p.spec, crashed(), &CallLog::default(), Duration::ZERO)
            })
        })
        .collect();
    apply_policy(&mut out, planned, waivers, opts);
    out
}

/// One attempt of a check: its report before waivers and policy.
async fn attempt_once(
    spec: &CheckSpec,
    target: &Arc<Target>,
    api: &Arc<OctopusClient>,
    run_deadline: Option<Instant>,
    login_reported_by: Option<String>,
) -> CheckReport {
    let started = Instant::now();
    tracing::debug!(
        target: "golive::runner",
        "check {} ({}) started, timeout {}",
        spec.id,
        spec.kind,
        crate::duration::format(spec.timeout)
    );
    let check_deadline = crate::duration::instant_after(started, spec.timeout);
    let deadline = run_deadline.map_or(check_deadline, |r| r.min(check_deadline));
    let log = CallLog::default();
    // Checks get a little less than their budget, so a hung call is reported by
    // the check itself (naming the call) before the runner's hard cut.
    let budget = deadline.saturating_duration_since(started);
    let margin = (budget / 4).min(Duration::from_millis(300));
    let ctx = CheckContext {
        target: target.clone(),
        api: api.clone(),
        log: log.clone(),
        deadline: deadline - margin,
        login_reported_by,
        run_deadline_binds: run_deadline.is_some_and(|r| r <= check_deadline),
    };
    let outcome = guarded(checks::run(spec, &ctx), deadline).await;
    let elapsed = started.elapsed();
    let outcome = outcome.unwrap_or_else(|| {
        let by_run = run_deadline.is_some_and(|r| r <= check_deadline);
        let finding = if by_run {
            Finding::incomplete(
                &codes::RUN_TIMEOUT,
                "cancelled when the run's --timeout expired",
            )
        } else {
            Finding::incomplete(
                &codes::CHECK_TIMEOUT,
                format!(
                    "did not finish within its timeout of {}",
                    crate::duration::format(spec.timeout)
                ),
            )
        };
        checks::CheckOutcome {
            findings: vec![finding],
            ..Default::default()
        }
    });
    let report = build_report(spec, outcome, &log, elapsed);
    tracing::debug!(
        target: "golive::runner",
        "check {} finished: {} in {}ms ({} finding{}, {} API call{})",
        spec.id,
        report.status.as_str(),
        elapsed.as_millis(),
        report.findings.len(),
        if report.findings.len() == 1 { "" } else { "s" },
        report.request_ids.len(),
        if report.request_ids.len() == 1 { "" } else { "s" },
    );
    report
}

/// Runs a check until `deadline`: its outcome, or `None` when the deadline came
/// first. A panic inside the check is caught here and becomes a `check-crashed`
/// outcome (SPEC 8.5), so it is neither lost nor reported as a timeout.
async fn guarded(
    check: impl Future<Output = checks::CheckOutcome>,
    deadline: Instant,
) -> Option<checks::CheckOutcome> {
    use futures_util::FutureExt as _;
    let check = std::panic::AssertUnwindSafe(check).catch_unwind();
    match tokio::time::timeout_at(deadline, check).await {
        Ok(Ok(outcome)) => Some(outcome),
        Ok(Err(_panic)) => Some(crashed()),
        Err(_) => None,
    }
}

/// The outcome of a check that panicked. The panic's own message went to stderr
/// through the panic hook; it is not copied into reports, which may be published.
fn crashed() -> checks::CheckOutcome {
    checks::CheckOutcome {
        findings: vec![Finding::incomplete(
            &codes::CHECK_CRASHED,
            "the check stopped on an internal error (a panic in golive; its message is on stderr)",
        )],
        ..Default::default()
    }
}

fn skipped_report(spec: &CheckSpec, reason: String) -> CheckReport {
    CheckReport {
        id: spec.id.clone(),
        kind: spec.kind.to_string(),
        title: checks::title(spec),
        severity: spec.severity,
        status: Status::Skip,
        blocking: false,
        duration_ms: 0,
        summary: reason,
        findings: vec![],
        evidence: serde_json::json!({}),
        request_ids: vec![],
        waiver: None,
        attempts: None,
        flaky: false,
        measures: Default::default(),
    }
}

fn build_report(
    spec: &CheckSpec,
    mut outcome: checks::CheckOutcome,
    log: &CallLog,
    elapsed: Duration,
) -> CheckReport {
    let calls = log.calls();
    if !calls.is_empty() {
        outcome.evidence("api_calls", &calls);
    }
    // Most important first: fail, warn, info; stable within a level.
    outcome
        .findings
        .sort_by_key(|f| (std::cmp::Reverse(f.incomplete), std::cmp::Reverse(f.level)));
    let status = match &outcome.skipped {
        Some(_) => Status::Skip,
        None => status_of(&outcome.findings, spec.severity),
    };
    let summary = match (&outcome.skipped, outcome.findings.first()) {
        (Some(reason), _) => reason.clone(),
        (None, Some(top)) if top.level > Level::Info || top.incomplete => top.message.clone(),
        _ => outcome
            .pass_summary
            .clone()
            .unwrap_or_else(|| "no problems found".to_string()),
    };
    CheckReport {
        id: spec.id.clone(),
        kind: spec.kind.to_string(),
        title: checks::title(spec),
        severity: spec.severity,
        status,
        blocking: false,
        duration_ms: elapsed.as_millis() as u64,
        summary,
        findings: outcome.findings,
        evidence: serde_json::Value::Object(outcome.evidence),
        request_ids: log.request_ids(),
        waiver: None,
        attempts: None,
        flaky: false,
        measures: outcome.measures,
    }
}

/// A check's status from its findings and severity (SPEC section 3).
pub fn status_of(findings: &[Finding], severity: Severity) -> Status {
    if findings.iter().any(|f| f.incomplete) {
        return Status::Error;
    }
    match findings.iter().map(|f| f.level).max() {
        Some(Level::Fail) if severity == Severity::Error => Status::Fail,
        Some(Level::Fail | Level::Warn) => Status::Warn,
        _ => Status::Pass,
    }
}

/// Whether a result holds the launch back.
pub fn is_blocking(status: Status, severity: Severity, strict: bool) -> bool {
    match (status, severity) {
        (_, Severity::Info) => false,
        (Status::Fail, _) => true,
        (Status::Error, Severity::Error) => true,
        (Status::Error | Status::Warn, Severity::Warn) => strict,
        (Status::Warn, Severity::Error) => strict,
        _ => false,
    }
}

/// Applies `--strict` and waivers, setting `blocking`, `waived` and `waiver`.
pub fn apply_policy(
    reports: &mut [CheckReport],
    planned: &[Planned],
    waivers: &[WaiverSpec],
    opts: &RunOptions,
) {
    for (report, p) in reports.iter_mut().zip(planned) {
        report.blocking = is_blocking(report.status, report.severity, opts.strict);
        if !opts.use_waivers || p.skip.is_some() {
            continue;
        }
        // The latest-expiring waiver for the check wins.
        let Some(w) = waivers
            .iter()
            .filter(|w| w.check == report.id)
            .max_by_key(|w| w.expires)
        else {
            continue;
        };
        let expired = opts.today > w.expires;
        report.waiver = Some(WaiverReport {
            reason: w.reason.clone(),
            owner: w.owner.clone(),
            expires: w.expires.to_string(),
            expired,
        });
        if expired {
            report.findings.push(Finding::new(
                &codes::WAIVER_EXPIRED,
                format!(
                    "the waiver by {} expired on {} and no longer hides this check",
                    w.owner, w.expires
                ),
            ));
            if report.status == Status::Pass {
                report.status = Status::Warn;
                report.summary = format!("waiver by {} expired on {}", w.owner, w.expires);
                report.blocking = is_blocking(report.status, report.severity, opts.strict);
            }
        } else if report.blocking {
            report.status = Status::Waived;
            report.blocking = false;
        }
    }
}

/// The verdict of a set of check reports.
pub fn verdict(reports: &[CheckReport]) -> Verdict {
    let blocking = || reports.iter().filter(|r| r.blocking);
    if blocking().any(|r| matches!(r.status, Status::Fail | Status::Warn)) {
        Verdict::NotReady
    } else if blocking().any(|r| r.status == Status::Error) {
        Verdict::Inconclusive
    } else {
        Verdict::Ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(level: Level, incomplete: bool) -> Finding {
        let mut f = Finding::new(&codes::LOGIN_OK, "x").with_level(level);
        f.incomplete = incomplete;
        f
    }

    #[test]
    fn status_table() {
        use Severity as Sv;
        let cases = [
            (vec![], Sv::Error, Status::Pass),
            (vec![finding(Level::Info, false)], Sv::Error, Status::Pass),
            (vec![finding(Level::Warn, false)], Sv::Error, Status::Warn),
            (vec![finding(Level::Fail, false)], Sv::Error, Status::Fail),
            (vec![finding(Level::Fail, false)], Sv::Warn, Status::Warn),
            (vec![finding(Level::Fail, false)], Sv::Info, Status::Warn),
            (
                vec![finding(Level::Fail, false), finding(Level::Info, true)],
                Sv::Error,
                Status::Error,
            ),
        ];
        for (findings, severity, want) in cases {
            assert_eq!(
                status_of(&findings, severity),
                want,
                "{findings:?} {severity:?}"
            );
        }
    }

    #[test]
    fn blocking_table() {
        use Severity as Sv;
        use Status as St;
        let cases = [
            (St::Fail, Sv::Error, false, true),
            (St::Error, Sv::Error, false, true),
            (St::Warn, Sv::Error, false, false),
            (St::Warn, Sv::Error, true, true),
            (St::Warn, Sv::Warn, false, false),
            (St::Warn, Sv::Warn, true, true),
            (St::Error, Sv::Warn, false, false),
            (St::Warn, Sv::Info, true, false),
            (St::Pass, Sv::Error, true, false),
            (St::Skip, Sv::Error, true, false),
        ];
        for (status, severity, strict, want) in cases {
            assert_eq!(
                is_blocking(status, severity, strict),
                want,
                "{status:?} {severity:?} strict={strict}"
            );
        }
    }

    #[tokio::test]
    async fn a_panic_inside_a_check_is_check_crashed_not_a_timeout() {
        let soon = Instant::now() + Duration::from_secs(5);
        let outcome = guarded(
            async {
                let ids: Vec<&str> = Vec::new();
                let _ = ids[usize::from(ids.is_empty())]; // index out of bounds
                checks::CheckOutcome::default()
            },
            soon,
        )
        .await
        .expect("a panic is an outcome, not a timeout");
        let codes: Vec<&str> = outcome.findings.iter().map(|f| f.code.as_ref()).collect();
        assert_eq!(codes, ["check-crashed"]);
        assert!(outcome.findings[0].incomplete);
        assert_eq!(status_of(&outcome.findings, Severity::Error), Status::Error);
        assert!(!codes.contains(&codes::CHECK_TIMEOUT.code));

        // A check that does not finish in time is still a timeout (None), and one
        // that finishes is its own outcome.
        let hung = guarded(
            std::future::pending::<checks::CheckOutcome>(),
            Instant::now() + Duration::from_millis(20),
        )
        .await;
        assert!(hung.is_none());
        let fine = guarded(async { checks::CheckOutcome::default() }, soon).await;
        assert!(fine.is_some_and(|o| o.findings.is_empty()));
    }

    #[test]
    fn check_crashed_is_documented_and_distinct() {
        let code = codes::find("check-crashed").expect("check-crashed is a known code");
        assert_ne!(code.code, codes::CHECK_TIMEOUT.code);
        assert!(!code.title.is_empty() && !code.why.is_empty());
    }

    #[test]
    fn deadlines_never_overflow() {
        let now = Instant::now();
        for d in [
            Duration::ZERO,
            Duration::from_millis(u64::MAX),
            Duration::MAX,
        ] {
            let t = crate::duration::instant_after(now, d);
            assert!(t >= now, "{d:?}");
        }
        assert_eq!(
            crate::duration::instant_after(now, Duration::from_secs(5)),
            now + Duration::from_secs(5)
        );
    }
}
