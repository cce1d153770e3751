//! `kind = "client_retry"`: runs the integration's own smoke command through
//! golive's fault-injecting proxy ([`crate::proxy`]) and judges what the client
//! actually did: whether it retries network errors, 5xx and 429 (after
//! `Retry-After`), never other 4xx, backs off, bounds its attempts, keeps one
//! `client_reference` per order, sends `X-Request-Id`, and tolerates unknown fields
//! and enum values. `retry_policy` judges what a team *declares*; this watches it.
//!
//! # How it runs
//!
//! Only against a sandbox env or a simulator env (a production env is refused,
//! making the check inconclusive with `client-retry-refused`). For a simulator env
//! golive starts a dedicated simulator as the upstream, so the command's orders
//! never disturb other checks, and hands the command its credentials in
//! `OCTOPUS_API_KEY` and `OCTOPUS_API_SECRET`; for a sandbox env the upstream is the
//! env's base URL and the command brings its own credentials. Either way the command
//! inherits golive's environment plus `base_url_env` (default `OCTOPUS_BASE_URL`) set
//! to the proxy's URL, and `127.0.0.1,localhost` added to `NO_PROXY`.
//!
//! Each phase of the plan is a separate run of the command (argv, no shell, stdin
//! closed, output captured, working directory the manifest's folder, so that every
//! relative path in it resolves as it does for the manifest's other paths), in its own process group, which is killed when the
//! command exits, overruns its share of the check's time, or exceeds the phase's
//! `stop_after`. The check's time is split evenly between the phases still to run.
//! If a phase that must succeed and that rewrote bodies failed, the command runs
//! once more with the same faults and no unknown fields or enum values: if that run
//! succeeds, the unknown fields were the cause (`unknown-field-not-tolerated`).
//!
//! # How the timeline is judged
//!
//! Retries are found per phase. Order creations are grouped by sequence, whatever
//! their `client_reference`: every order POST after a failed one is a retry of it,
//! until one succeeds. Any other request is a retry of a failed one when it has the
//! same method and path and only logins or refreshes came between them. Each retry
//! is measured at the proxy, from the end of the failed answer to the arrival of the
//! retry, against what governed it: after an answer with `Retry-After`, only that
//! (less [`RETRY_AFTER_TOLERANCE_MS`]); otherwise only the [`BACKOFF_FLOOR_MS`]
//! floor. A retry after a 401 (re-login, then retry) is always allowed. A client
//! "gave up at once" when the last attempt of a sequence was a 429 (or a 5xx) and
//! it never retried a 429 (a 5xx) in that sequence; this is judged only when the
//! command ended by itself.

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{CheckContext, CheckOutcome};
use crate::codes::{self, Code};
use crate::finding::{Finding, Level};
use crate::manifest::ClientRetrySpec;
use crate::proxy::{self, Exchange, PhasePlan, ProxyConfig, ProxyHandle, RequestClass, Timeline};
use crate::sim::{self, SimConfig};
use crate::tier::Tier;

/// A retry may come this much sooner than `Retry-After` says.
pub const RETRY_AFTER_TOLERANCE_MS: u64 = 100;
/// A retry not governed by `Retry-After` sooner than this is too aggressive.
pub const BACKOFF_FLOOR_MS: u64 = 100;

/// Most bytes of each output stream kept (the tail).
const OUTPUT_CAP: usize = 64 * 1024;
/// Lines of each stream shown in the evidence.
const OUTPUT_LINES: usize = 30;
/// Most requests of one phase listed in the evidence.
const EVIDENCE_REQUESTS: usize = 200;
/// Time kept back from the check's deadline for stopping and judging.
const RESERVE: Duration = Duration::from_millis(1500);
/// How often the running command is looked at.
const POLL: Duration = Duration::from_millis(20);
/// How long terminated processes get before SIGKILL.
const GRACE: Duration = Duration::from_millis(500);
/// The command's descendants are looked for every this many polls.
const OBSERVE_EVERY: u32 = 5;

/// Runs the client-retry check.
pub async fn run(spec: &ClientRetrySpec, ctx: &CheckContext) -> CheckOutcome {
    let t = &*ctx.target;
    let mut out = CheckOutcome::default();
    out.evidence("command", &spec.command);
    out.evidence("plan", &spec.plan);
    out.evidence("base_url_env", &spec.base_url_env);

    // Safety first: never in front of production.
    if !t.env.simulator {
        let refusal = if t.tier() == Tier::Production {
            Some(format!(
                "env `{}` is a production env: client_retry injects faults and places test orders, so it runs only against a sandbox env or the simulator",
                t.name()
            ))
        } else {
            proxy::check_upstream(&t.base_url)
                .err()
                .map(|e| e.to_string())
        };
        if let Some(why) = refusal {
            out.findings
                .push(Finding::incomplete(&codes::CLIENT_RETRY_REFUSED, why));
            return out;
        }
    }
    if spec.command.first().is_none_or(|p| p.is_empty()) {
        out.findings.push(Finding::incomplete(
            &codes::CLIENT_RETRY_SETUP_FAILED,
            "`command` is empty",
        ));
        return out;
    }
    let plan = match load_plan_in(&spec.plan, &spec.dir) {
        Ok(p) if !p.phases.is_empty() => p,
        Ok(p) => {
            out.findings.push(Finding::incomplete(
                &codes::CLIENT_RETRY_SETUP_FAILED,
                format!("plan `{}` has no phase", p.name),
            ));
            return out;
        }
        Err(e) => {
            out.findings.push(Finding::incomplete(
                &codes::CLIENT_RETRY_SETUP_FAILED,
                format!("plan: {e}"),
            ));
            return out;
        }
    };

    // The upstream: a dedicated simulator, or the sandbox.
    let loopback = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
    let mut env: Vec<(String, String)> = Vec::new();
    let (upstream, _sim) = if t.env.simulator {
        let handle = match sim::start(SimConfig {
            tier: t.tier(),
            ..SimConfig::default()
        })
        .await
        {
            Ok(h) => h,
            Err(e) => {
                out.findings.push(Finding::incomplete(
                    &codes::CLIENT_RETRY_SETUP_FAILED,
                    format!("cannot start a simulator for the command: {e}"),
                ));
                return out;
            }
        };
        env.push((
            spec.api_key_env.clone(),
            handle.api_key().expose().to_string(),
        ));
        env.push((
            spec.api_secret_env.clone(),
            handle.api_secret().expose().to_string(),
        ));
        out.evidence(
            "upstream",
            format!("golive's simulator ({} tier)", t.tier()),
        );
        let url = reqwest::Url::parse(&handle.base_url()).expect("the simulator's URL is valid");
        (url, Some(handle))
    } else {
        out.evidence("upstream", t.base_url.as_str());
        (t.base_url.clone(), None)
    };
    let extra_roots = t
        .webhook
        .extra_roots
        .iter()
        .filter_map(|der| reqwest::Certificate::from_der(der.as_ref()).ok())
        .collect();
    let proxy = match proxy::serve(ProxyConfig {
        listen: loopback,
        upstream,
        phase: plan.phases[0].clone(),
        extra_roots,
        request_lines: None,
    })
    .await
    {
        Ok(p) => p,
        Err(e) => {
            out.findings.push(Finding::incomplete(
                &codes::CLIENT_RETRY_SETUP_FAILED,
                format!("cannot start the proxy: {e}"),
            ));
            return out;
        }
    };
    env.push((spec.base_url_env.clone(), proxy.url()));
    env.extend(no_proxy_env());

    let deadline = Instant::now()
        + ctx
            .deadline
            .saturating_duration_since(tokio::time::Instant::now());
    let mut runs: Vec<PhaseRun> = Vec::new();
    let mut findings: Vec<(String, Finding)> = Vec::new();
    for (i, phase) in plan.phases.iter().enumerate() {
        let left = plan.phases.len() - i;
        let run = run_phase(&proxy, phase.clone(), spec, &env, deadline, left).await;
        let stop = conclude(&run, spec, &proxy, false, &mut findings);
        let failed_alone = phase.must_succeed
            && phase.rewrites_bodies()
            && matches!(run.ended, Ended::Exited(_) | Ended::Signalled(_))
            && !run.ended.success()
            && !run.timeline.entries.is_empty();
        runs.push(run);
        if stop {
            break;
        }
        if failed_alone {
            let control = phase.without_unknown_fields(&format!("{}-rerun", phase.name));
            let rerun = run_phase(&proxy, control, spec, &env, deadline, left).await;
            conclude(&rerun, spec, &proxy, true, &mut findings);
            if rerun.ended.success() {
                findings.push((
                    phase.name.clone(),
                    Finding::new(
                        &codes::UNKNOWN_FIELD_NOT_TOLERATED,
                        format!(
                            "the command failed in phase {} ({}), where success bodies carried an unknown field and never-seen enum values, and succeeded when run again without them",
                            phase.name,
                            runs.last().map_or_else(String::new, |r| r.ended.describe())
                        ),
                    ),
                ));
            }
            runs.push(rerun);
        }
    }
    drop(proxy);

    // A phase's share of time came from the run's --timeout: that deadline, not the
    // command, is what expired (SPEC 8.1).
    if ctx.run_deadline_binds {
        for (phase, f) in &mut findings {
            if f.code == codes::COMMAND_TIMED_OUT.code {
                *f = ctx.timeout_finding(format_args!(
                    "phase {phase}: the command was stopped at the end of its share of the run's time"
                ));
            }
        }
    }
    out.findings = merge(findings);
    out.evidence(
        "phases",
        runs.iter().map(PhaseRun::evidence).collect::<Vec<_>>(),
    );
    let requests: usize = runs.iter().map(|r| r.timeline.entries.len()).sum();
    out.pass_summary = Some(summary(&runs, requests));
    out
}

/// The judged findings of one run, tagged with the phase they came from. Returns
/// whether the remaining phases are pointless (the command never ran, or bypassed
/// the proxy).
fn conclude(
    run: &PhaseRun,
    spec: &ClientRetrySpec,
    proxy: &ProxyHandle,
    control: bool,
    findings: &mut Vec<(String, Finding)>,
) -> bool {
    let phase = &run.plan.name;
    let mut push = |f: Finding| findings.push((phase.clone(), f));
    match &run.ended {
        Ended::NotStarted(why) => {
            push(Finding::new(&codes::COMMAND_FAILED, why.clone()).with_remediation(
                "Check `command`: it runs without a shell, in the manifest's folder. A program named without a `/` (python3, npm) is looked up on PATH; one with a `/` (./scripts/smoke.sh) resolves against the manifest's folder and must be executable.",
            ));
            return true;
        }
        Ended::TimedOut(budget) => push(Finding::incomplete(
            &codes::COMMAND_TIMED_OUT,
            format!(
                "phase {phase}: the command was still running after its share of the check's time ({}) with {} request(s) through the proxy, and was killed with its process group",
                crate::duration::format(*budget),
                run.timeline.entries.len()
            ),
        )),
        _ => {}
    }
    if control {
        return false;
    }
    if run.plan.must_succeed
        && matches!(run.ended, Ended::Exited(_) | Ended::Signalled(_))
        && !run.ended.success()
    {
        let last = last_line(&run.stderr).or_else(|| last_line(&run.stdout));
        push(Finding::new(
            &codes::COMMAND_FAILED,
            format!(
                "phase {phase}: the command {}{}",
                run.ended.describe(),
                last.map(|l| format!("; its last output line: {l}"))
                    .unwrap_or_default()
            ),
        ));
    }
    if run.timeline.entries.is_empty() && !matches!(run.ended, Ended::TimedOut(_)) {
        push(Finding::new(
            &codes::COMMAND_BYPASSED_PROXY,
            format!(
                "phase {phase}: the command {} without a single request through the proxy at {} (it must take the API base URL from {})",
                run.ended.describe(),
                proxy.url(),
                spec.base_url_env
            ),
        ));
        return true;
    }
    for f in judge(&run.plan, &run.timeline, run.ended.by_itself()) {
        push(f);
    }
    false
}

/// One finding per code: the first phase's message, naming the other phases where
/// it was seen too.
fn merge(findings: Vec<(String, Finding)>) -> Vec<Finding> {
    let mut merged: Vec<(Finding, Vec<String>)> = Vec::new();
    for (phase, f) in findings {
        match merged.iter_mut().find(|(m, _)| m.code == f.code) {
            Some((_, phases)) => {
                if !phases.contains(&phase) {
                    phases.push(phase);
                }
            }
            None => merged.push((f, vec![phase])),
        }
    }
    merged
        .into_iter()
        .map(|(mut f, phases)| {
            if phases.len() > 1 {
                f.message = format!("{} (also in phase {})", f.message, phases[1..].join(", "));
            }
            f
        })
        .collect()
}

fn summary(runs: &[PhaseRun], requests: usize) -> String {
    let outage = runs
        .iter()
        .filter(|r| !r.plan.must_succeed)
        .map(|r| {
            r.timeline
                .entries
                .iter()
                .filter(|e| e.class == RequestClass::OrderCreate)
                .count()
        })
        .max();
    let phases = runs
        .iter()
        .map(|r| r.plan.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    match outage {
        Some(n) if n > 0 => format!(
            "the command handled every fault ({phases}; {requests} requests) and gave up after {n} order attempts in the outage"
        ),
        _ => format!("the command handled every fault ({phases}; {requests} requests)"),
    }
}

// ---------------------------------------------------------------------------------
// Judging

/// What an incident needs to become a finding.
struct Incidents {
    code: &'static Code,
    level: Option<Level>,
    remediation: Option<&'static str>,
    items: Vec<String>,
}

/// Judges one phase's timeline against the checklist. `ended_by_itself` is false
/// when golive stopped the command (time budget, `stop_after`): then nobody "gave
/// up", and that is not judged. Pure, so it is table-tested.
pub fn judge(phase: &PhasePlan, timeline: &Timeline, ended_by_itself: bool) -> Vec<Finding> {
    let entries = &timeline.entries;
    let mut not_honoured = incidents(&codes::RETRY_AFTER_NOT_HONOURED);
    let mut aggressive = incidents(&codes::BACKOFF_TOO_AGGRESSIVE);
    let mut non_retryable = incidents(&codes::RETRIED_NON_RETRYABLE);
    let mut no_429 = incidents(&codes::NO_RETRY_ON_429);
    no_429.remediation = Some(
        "Retry a 429 after waiting Retry-After seconds (fall back to the number in the error message), with a bounded number of attempts; count it as a failure only after 3-5 consecutive 429s.",
    );
    let mut no_5xx = incidents(&codes::NO_RETRY_ON_5XX);
    no_5xx.level = Some(Level::Fail);
    no_5xx.remediation = Some(
        "Retry 5xx answers and network errors with exponential backoff (about 200ms doubling to a 10s cap) and a bounded number of attempts; retry an order with the same client_reference.",
    );
    let mut unbounded = incidents(&codes::ATTEMPTS_UNBOUNDED);
    unbounded.level = Some(Level::Fail);
    unbounded.remediation = Some(
        "Bound the attempts (5 is typical), then fail the operation visibly and alert: during an outage, retrying without a bound multiplies your traffic exactly when the API can least take it.",
    );
    let mut changed = incidents(&codes::CLIENT_REFERENCE_CHANGED);
    let mut missing = incidents(&codes::CLIENT_REFERENCE_MISSING);
    let mut no_request_id = incidents(&codes::REQUEST_ID_MISSING);

    for chain in chains(entries) {
        for pair in chain.windows(2) {
            let (a, b) = (&entries[pair[0]], &entries[pair[1]]);
            let Some(status) = a.status else { continue };
            let gap = a
                .responded_ms
                .map(|r| i128::from(b.arrived_ms) - i128::from(r));
            match status {
                401 => {}
                429 | 500..=599 => match (a.retry_after, gap) {
                    (Some(ra), Some(gap))
                        if gap
                            < i128::from((ra * 1000).saturating_sub(RETRY_AFTER_TOLERANCE_MS)) =>
                    {
                        not_honoured.items.push(format!(
                            "{} #{} came {} after the {status} of #{}, which said Retry-After: {ra} (at least {}ms expected)",
                            what(b),
                            b.seq,
                            millis(gap),
                            a.seq,
                            (ra * 1000).saturating_sub(RETRY_AFTER_TOLERANCE_MS)
                        ));
                    }
                    (None, Some(gap)) if gap < i128::from(BACKOFF_FLOOR_MS) => {
                        aggressive.items.push(format!(
                            "{} #{} retried the {status} of #{} after {} (the floor is {BACKOFF_FLOOR_MS}ms)",
                            what(b),
                            b.seq,
                            a.seq,
                            millis(gap)
                        ));
                    }
                    _ => {}
                },
                400..=499 => non_retryable.items.push(format!(
                    "{} #{} retried the {status} of #{}, which fails the same way every time",
                    what(b),
                    b.seq,
                    a.seq
                )),
                _ => {}
            }
        }

        let last = &entries[*chain.last().expect("chains are never empty")];
        let earlier = &chain[..chain.len() - 1];
        if ended_by_itself && let Some(status) = last.status {
            let retried = |pred: &dyn Fn(u16) -> bool| {
                earlier.iter().any(|&i| entries[i].status.is_some_and(pred))
            };
            if status == 429 && !retried(&|s| s == 429) {
                no_429.items.push(format!(
                    "the client gave up on {} after the 429 of #{}{} without retrying",
                    what(last),
                    last.seq,
                    last.retry_after
                        .map(|s| format!(" (Retry-After: {s})"))
                        .unwrap_or_default()
                ));
            } else if (500..=599).contains(&status) && !retried(&|s| (500..=599).contains(&s)) {
                no_5xx.items.push(format!(
                    "the client gave up on {} after the {status} of #{} without retrying",
                    what(last),
                    last.seq
                ));
            }
        }

        let first = &entries[chain[0]];
        if first.class == RequestClass::OrderCreate {
            if let Some(bound) = phase.stop_after
                && chain.len() > bound as usize
            {
                unbounded.items.push(format!(
                    "{} attempts at one order (#{} to #{}), more than {bound}{}",
                    chain.len(),
                    first.seq,
                    last.seq,
                    if ended_by_itself {
                        ""
                    } else {
                        "; golive stopped the command"
                    }
                ));
            }
            let mut refs: Vec<(&str, usize)> = Vec::new();
            for &i in &chain {
                if let Some(r) = entries[i].client_reference.as_deref()
                    && !refs.iter().any(|(seen, _)| *seen == r)
                {
                    refs.push((r, entries[i].seq));
                }
            }
            if refs.len() > 1 {
                changed.items.push(format!(
                    "the attempts at one order used {} client_references: {}",
                    refs.len(),
                    refs.iter()
                        .take(4)
                        .map(|(r, seq)| format!("`{r}` (#{seq})"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
    }

    let without_ref: Vec<&Exchange> = entries
        .iter()
        .filter(|e| e.class == RequestClass::OrderCreate && e.client_reference.is_none())
        .collect();
    if !without_ref.is_empty() {
        missing.items.push(format!(
            "{} order POST(s) had no client_reference: {}",
            without_ref.len(),
            seqs(&without_ref)
        ));
    }
    let without_id: Vec<&Exchange> = entries
        .iter()
        .filter(|e| {
            let p = e.path.as_str();
            (p.starts_with("/auth") || p.starts_with("/api/v1")) && e.request_id.is_none()
        })
        .collect();
    if !without_id.is_empty() {
        no_request_id.items.push(format!(
            "{} of {} requests had no X-Request-Id, e.g. #{} {}",
            without_id.len(),
            entries.len(),
            without_id[0].seq,
            what(without_id[0])
        ));
    }

    [
        not_honoured,
        no_429,
        no_5xx,
        non_retryable,
        unbounded,
        changed,
        missing,
        aggressive,
        no_request_id,
    ]
    .into_iter()
    .filter(|i| !i.items.is_empty())
    .map(|i| {
        let more = match i.items.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        let mut f = Finding::new(
            i.code,
            format!("phase {}: {}{more}", phase.name, i.items[0]),
        );
        if let Some(level) = i.level {
            f = f.with_level(level);
        }
        if let Some(r) = i.remediation {
            f = f.with_remediation(r);
        }
        f
    })
    .collect()
}

fn incidents(code: &'static Code) -> Incidents {
    Incidents {
        code,
        level: None,
        remediation: None,
        items: Vec::new(),
    }
}

/// `POST /api/v1/orders` (no query).
fn what(e: &Exchange) -> String {
    format!("{} {}", e.method, e.path.split('?').next().unwrap_or(""))
}

fn millis(ms: i128) -> String {
    if ms < 0 {
        format!("{}ms before the answer was complete", -ms)
    } else {
        format!("{ms}ms")
    }
}

fn seqs(entries: &[&Exchange]) -> String {
    let mut s: Vec<String> = entries
        .iter()
        .take(6)
        .map(|e| format!("#{}", e.seq))
        .collect();
    if entries.len() > 6 {
        s.push("...".into());
    }
    s.join(", ")
}

/// Attempt sequences, as indices into `entries`: order creations split after each
/// success; any other failed request followed by the next request with the same
/// method and path when only logins or refreshes came between them.
fn chains(entries: &[Exchange]) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if e.class != RequestClass::OrderCreate {
            continue;
        }
        current.push(i);
        if !e.failed() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    let same = |a: &Exchange, b: &Exchange| a.method == b.method && a.path == b.path;
    let mut claimed = vec![false; entries.len()];
    for i in 0..entries.len() {
        if entries[i].class == RequestClass::OrderCreate || claimed[i] {
            continue;
        }
        claimed[i] = true;
        let mut chain = vec![i];
        let mut last = i;
        while entries[last].failed() {
            let next = (last + 1..entries.len())
                .find(|&j| same(&entries[j], &entries[last]) || !entries[j].class.is_auth());
            match next {
                Some(j) if same(&entries[j], &entries[last]) && !claimed[j] => {
                    claimed[j] = true;
                    chain.push(j);
                    last = j;
                }
                _ => break,
            }
        }
        out.push(chain);
    }
    out
}

// ---------------------------------------------------------------------------------
// Running the command

/// How a run of the command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// It exited with this status.
    Exited(i32),
    /// A signal it did not get from golive ended it.
    Signalled(i32),
    /// golive stopped it: more order attempts than the phase's `stop_after`.
    Stopped,
    /// golive stopped it: its share of the check's time ran out.
    TimedOut(Duration),
    /// It could not be started.
    NotStarted(String),
}

impl Ended {
    fn success(&self) -> bool {
        *self == Ended::Exited(0)
    }

    fn by_itself(&self) -> bool {
        matches!(self, Ended::Exited(_) | Ended::Signalled(_))
    }

    fn describe(&self) -> String {
        match self {
            Ended::Exited(0) => "exited with status 0".into(),
            Ended::Exited(c) => format!("exited with status {c}"),
            Ended::Signalled(s) => format!("was killed by signal {s}"),
            Ended::Stopped => "was stopped by golive after too many order attempts".into(),
            Ended::TimedOut(d) => format!(
                "was stopped by golive after {} (its share of the check's time)",
                crate::duration::format(*d)
            ),
            Ended::NotStarted(why) => why.clone(),
        }
    }
}

/// One run of the command under one phase.
struct PhaseRun {
    plan: PhasePlan,
    ended: Ended,
    duration: Duration,
    timeline: Timeline,
    stdout: String,
    stderr: String,
}

impl PhaseRun {
    fn evidence(&self) -> serde_json::Value {
        serde_json::json!({
            "phase": self.plan.name,
            "result": self.ended.describe(),
            "duration_ms": u64::try_from(self.duration.as_millis()).unwrap_or(u64::MAX),
            "unknown_fields": self.plan.unknown_fields,
            "replace_enums": self.plan.replace_enums,
            "timeline": self.timeline.lines().into_iter().take(EVIDENCE_REQUESTS).collect::<Vec<_>>(),
            "requests": self.timeline.entries.iter().take(EVIDENCE_REQUESTS).collect::<Vec<_>>(),
            "requests_total": self.timeline.entries.len(),
            "stdout": self.stdout,
            "stderr": self.stderr,
        })
    }
}

async fn run_phase(
    proxy: &ProxyHandle,
    phase: PhasePlan,
    spec: &ClientRetrySpec,
    env: &[(String, String)],
    deadline: Instant,
    phases_left: usize,
) -> PhaseRun {
    let remaining = deadline
        .saturating_duration_since(Instant::now())
        .saturating_sub(RESERVE);
    let budget = remaining / u32::try_from(phases_left.max(1)).unwrap_or(1);
    proxy.begin_phase(phase.clone());
    let started = Instant::now();
    let (ended, stdout, stderr) = run_command(&spec.command, &spec.dir, env, budget, || {
        proxy.stop_requested()
    })
    .await;
    PhaseRun {
        timeline: proxy.timeline(),
        plan: phase,
        ended,
        duration: started.elapsed(),
        stdout,
        stderr,
    }
}

pub use crate::faultplan::load_plan_in;

/// The program to start: a name without a `/` as it is (looked up on PATH); a
/// relative path with one, against `dir`, made absolute so that it does not depend
/// on how the platform combines a relative program with a working directory.
fn program_path(program: &str, dir: &Path) -> PathBuf {
    let given = Path::new(program);
    if given.is_absolute() || !program.contains(['/', '\\']) {
        return given.to_path_buf();
    }
    let joined = dir.join(given);
    std::path::absolute(&joined).unwrap_or(joined)
}

/// Why `program` could not be started, saying where it was looked for.
fn not_started(program: &str, resolved: &Path, dir: &Path, e: &std::io::Error) -> String {
    let looked = if e.kind() != std::io::ErrorKind::NotFound {
        format!("{e} ({})", resolved.display())
    } else if resolved.is_absolute() && program.contains(['/', '\\']) {
        let folder = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        if Path::new(program).is_absolute() {
            format!("not found: there is no {}", resolved.display())
        } else {
            format!(
                "not found: there is no {} (a program given with a `/` resolves against the manifest's folder, {})",
                resolved.display(),
                folder.display()
            )
        }
    } else if !dir.is_dir() {
        format!(
            "the manifest's folder {} is not a folder to run it in",
            dir.display()
        )
    } else {
        match std::env::var_os("PATH") {
            Some(path) if !path.is_empty() => {
                format!("not found on PATH (looked in {})", path.to_string_lossy())
            }
            _ => "not found: PATH is not set, so only a program given with a `/` can be found"
                .to_string(),
        }
    };
    format!("could not start `{program}`: {looked}")
}

/// Runs `argv` in its own process group, in `dir`, until it exits, `stop()` says
/// so, or `budget` runs out; then kills what is left of the group. Returns how it
/// ended and the tails of stdout and stderr.
async fn run_command(
    argv: &[String],
    dir: &Path,
    env: &[(String, String)],
    budget: Duration,
    stop: impl Fn() -> bool,
) -> (Ended, String, String) {
    let program = program_path(&argv[0], dir);
    let mut cmd = Command::new(&program);
    cmd.args(&argv[1..])
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    // Started and registered as one step, so that another check looking for its
    // own command's orphans never mistakes this new command for one.
    let spawning = family::spawn_lock();
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return (
                Ended::NotStarted(not_started(&argv[0], &program, dir, &e)),
                String::new(),
                String::new(),
            );
        }
    };
    let mut running = Running::new(child);
    drop(spawning);
    let out = Capture::start(running.child.stdout.take());
    let err = Capture::start(running.child.stderr.take());
    let until = Instant::now() + budget;
    let mut polls: u32 = 0;
    let ended = loop {
        match running.child.try_wait() {
            Ok(Some(status)) => break from_status(status),
            Ok(None) => {}
            Err(e) => {
                running.stop().await;
                break Ended::NotStarted(format!("lost track of the command: {e}"));
            }
        }
        if stop() {
            running.stop().await;
            break Ended::Stopped;
        }
        if Instant::now() >= until {
            running.stop().await;
            break Ended::TimedOut(budget);
        }
        if polls.is_multiple_of(OBSERVE_EVERY) {
            running.observe();
        }
        polls += 1;
        tokio::time::sleep(POLL).await;
    };
    // Whatever the command left behind goes too, in its group or not.
    running.finish().await;
    let (stdout, stderr) = (out.finish().await, err.finish().await);
    (ended, stdout, stderr)
}

fn from_status(status: ExitStatus) -> Ended {
    if let Some(code) = status.code() {
        return Ended::Exited(code);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return Ended::Signalled(sig);
        }
    }
    Ended::Exited(-1)
}

/// A started command and every process it started. Dropping it (the check was
/// cancelled) kills them all at once.
///
/// What "every process" means depends on the system (SPEC 8.6):
/// - Linux: golive makes itself a child subreaper (`PR_SET_CHILD_SUBREAPER`), so a
///   process whose parent exits is re-parented to golive instead of init, and it
///   follows the command's family in `/proc` while the command runs: everything in
///   its process group, everything whose parent chain leads back to the command, and
///   every orphan re-parented to golive that left golive's group or session (the
///   `setsid` case). At the end all of them get SIGTERM, a short grace, SIGKILL, and
///   are reaped.
/// - Other Unix systems (macOS, the BSDs): the command's process group gets SIGTERM,
///   a grace, then SIGKILL. A process that left the group (`setsid`, `setpgid`)
///   survives: these systems have no subreaper and no `/proc` to find it by.
/// - Windows: only the command itself is killed; processes it started survive (that
///   would need a job object).
struct Running {
    child: Child,
    done: bool,
    family: family::Family,
}

impl Running {
    fn new(child: Child) -> Self {
        let family = family::Family::new(child.id());
        Running {
            child,
            done: false,
            family,
        }
    }

    /// Notes the processes the command has started so far.
    fn observe(&mut self) {
        self.family.observe();
    }

    /// Ends the command and everything it started: SIGTERM, a grace period while
    /// anything is left, then SIGKILL; reaps the command.
    async fn stop(&mut self) {
        self.terminate().await;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The command ended: whatever it left behind goes too, and is reaped.
    async fn finish(&mut self) {
        self.terminate().await;
        self.done = true;
    }

    async fn terminate(&mut self) {
        self.family.observe();
        self.family.signal_all(family::Sig::Term);
        let until = Instant::now() + GRACE;
        loop {
            self.family.reap();
            let command_gone = !matches!(self.child.try_wait(), Ok(None));
            if command_gone && !self.family.any_alive() {
                break;
            }
            if Instant::now() >= until {
                break;
            }
            tokio::time::sleep(POLL).await;
            self.family.observe();
        }
        self.family.signal_all(family::Sig::Kill);
        self.family.reap_all().await;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.done {
            self.family.observe();
            self.family.signal_all(family::Sig::Kill);
            let _ = self.child.kill();
            let _ = self.child.wait();
            self.family.reap();
        }
    }
}

/// Finding and ending a command's descendants (see [`Running`]).
mod family {
    /// The signals golive sends.
    #[derive(Debug, Clone, Copy)]
    pub enum Sig {
        Term,
        Kill,
    }

    #[cfg(target_os = "linux")]
    pub use linux::Family;

    #[cfg(all(unix, not(target_os = "linux")))]
    pub use unix::Family;

    #[cfg(not(unix))]
    pub use other::Family;

    /// Held while a command is started and registered, and while a family is
    /// looked for: a new command is never taken for another's orphan.
    static SPAWNING: std::sync::Mutex<()> = std::sync::Mutex::new(());

    pub fn spawn_lock() -> std::sync::MutexGuard<'static, ()> {
        SPAWNING.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(unix)]
    fn to_signal(sig: Sig) -> rustix::process::Signal {
        match sig {
            Sig::Term => rustix::process::Signal::TERM,
            Sig::Kill => rustix::process::Signal::KILL,
        }
    }

    /// SIGTERM/SIGKILL to the command's process group; errors (it is gone) ignored.
    #[cfg(unix)]
    fn signal_group(root: i32, sig: Sig) {
        if let Some(pid) = rustix::process::Pid::from_raw(root) {
            let _ = rustix::process::kill_process_group(pid, to_signal(sig));
        }
    }

    #[cfg(target_os = "linux")]
    mod linux {
        use std::collections::HashMap;
        use std::sync::{Mutex, Once};
        use std::time::{Duration, Instant};

        use rustix::process::{Pid, WaitOptions};

        use super::{Sig, signal_group, to_signal};

        /// Every process some running command's family holds, by (pid, start
        /// time), with the root of that family: an orphan already claimed by one
        /// check is not taken by another running at the same time.
        static CLAIMED: Mutex<Option<HashMap<(i32, u64), i32>>> = Mutex::new(None);

        fn claimed<T>(f: impl FnOnce(&mut HashMap<(i32, u64), i32>) -> T) -> T {
            let mut guard = CLAIMED.lock().unwrap_or_else(|e| e.into_inner());
            f(guard.get_or_insert_with(HashMap::new))
        }

        /// One line of `/proc/PID/stat`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) struct Stat {
            pub pid: i32,
            pub ppid: i32,
            pub pgid: i32,
            pub sid: i32,
            pub start: u64,
            pub zombie: bool,
        }

        /// Parses `/proc/PID/stat` (`pid (comm) state ppid pgrp session ...
        /// starttime` as field 22); `comm` may hold spaces and parentheses.
        pub(crate) fn parse_stat(text: &str) -> Option<Stat> {
            let open = text.find('(')?;
            let close = text.rfind(')')?;
            let pid = text.get(..open)?.trim().parse().ok()?;
            let rest: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
            Some(Stat {
                pid,
                zombie: matches!(*rest.first()?, "Z" | "X"),
                ppid: rest.get(1)?.parse().ok()?,
                pgid: rest.get(2)?.parse().ok()?,
                sid: rest.get(3)?.parse().ok()?,
                start: rest.get(19)?.parse().ok()?,
            })
        }

        fn stat_of(pid: i32) -> Option<Stat> {
            parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
        }

        /// Every process this machine shows in `/proc`, by pid.
        fn snapshot() -> HashMap<i32, Stat> {
            let Ok(dir) = std::fs::read_dir("/proc") else {
                return HashMap::new();
            };
            dir.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
                .filter_map(stat_of)
                .map(|s| (s.pid, s))
                .collect()
        }

        /// The processes a command started, followed through `/proc`.
        pub struct Family {
            root: i32,
            root_start: Option<u64>,
            me: Stat,
            /// Descendants seen so far (not the command itself), with start times.
            members: HashMap<i32, u64>,
        }

        impl Family {
            pub fn new(root: u32) -> Family {
                static SUBREAPER: Once = Once::new();
                SUBREAPER.call_once(|| {
                    // Safe wrapper of prctl(PR_SET_CHILD_SUBREAPER, 1): orphans of the
                    // commands golive starts are re-parented to golive, not to init.
                    if let Err(e) =
                        rustix::process::set_child_subreaper(Some(rustix::process::getpid()))
                    {
                        tracing::debug!("cannot become a child subreaper: {e}");
                    }
                });
                let root = i32::try_from(root).unwrap_or(i32::MAX);
                let me =
                    stat_of(rustix::process::getpid().as_raw_nonzero().get()).unwrap_or(Stat {
                        pid: rustix::process::getpid().as_raw_nonzero().get(),
                        ppid: 0,
                        pgid: 0,
                        sid: 0,
                        start: 0,
                        zombie: false,
                    });
                let root_start = stat_of(root).map(|s| s.start);
                claimed(|c| c.insert((root, root_start.unwrap_or(0)), root));
                Family {
                    root,
                    root_start,
                    me,
                    members: HashMap::new(),
                }
            }

            fn is_root(&self, s: &Stat) -> bool {
                s.pid == self.root && self.root_start.is_none_or(|t| t == s.start)
            }

            fn is_member(&self, s: &Stat) -> bool {
                self.members.get(&s.pid) == Some(&s.start)
            }

            /// Adds every process of the command's family to `members`: its process
            /// group, its descendants (through members already known, so a
            /// descendant of a re-parented orphan counts), and orphans re-parented
            /// to golive that left golive's group or session and that no other
            /// running command holds.
            pub fn observe(&mut self) {
                let _registered = super::spawn_lock();
                let procs = snapshot();
                let mut new = Vec::new();
                // A few passes reach a fixpoint: each finds the children of the last.
                for _ in 0..8 {
                    let before = new.len();
                    for s in procs.values() {
                        if s.pid == self.me.pid
                            || s.pid <= 1
                            || self.is_root(s)
                            || self.is_member(s)
                        {
                            continue;
                        }
                        let owner = claimed(|c| c.get(&(s.pid, s.start)).copied());
                        if owner.is_some_and(|o| o != self.root) {
                            continue;
                        }
                        let parent_in_family = procs
                            .get(&s.ppid)
                            .is_some_and(|p| self.is_root(p) || self.is_member(p));
                        let stray_orphan = s.ppid == self.me.pid
                            && owner.is_none()
                            && (s.pgid != self.me.pgid || s.sid != self.me.sid);
                        if s.pgid == self.root || parent_in_family || stray_orphan {
                            self.members.insert(s.pid, s.start);
                            new.push((s.pid, s.start));
                        }
                    }
                    if new.len() == before {
                        break;
                    }
                }
                if !new.is_empty() {
                    claimed(|c| {
                        for key in new {
                            c.insert(key, self.root);
                        }
                    });
                }
            }

            /// Members still present (and the same process), zombies included.
            fn present(&self) -> Vec<Stat> {
                self.members
                    .iter()
                    .filter_map(|(pid, start)| stat_of(*pid).filter(|s| s.start == *start))
                    .collect()
            }

            pub fn any_alive(&self) -> bool {
                self.present().iter().any(|s| !s.zombie)
            }

            /// `sig` to the command's process group and to every member.
            pub fn signal_all(&self, sig: Sig) {
                signal_group(self.root, sig);
                for s in self.present().iter().filter(|s| !s.zombie) {
                    if let Some(pid) = Pid::from_raw(s.pid) {
                        let _ = rustix::process::kill_process(pid, to_signal(sig));
                    }
                }
            }

            /// Reaps the members that are golive's children (re-parented orphans)
            /// and have exited, without waiting. Never waits for any other child.
            pub fn reap(&mut self) {
                for s in self.present() {
                    if s.ppid == self.me.pid
                        && let Some(pid) = Pid::from_raw(s.pid)
                    {
                        let _ = rustix::process::waitpid(Some(pid), WaitOptions::NOHANG);
                    }
                }
                let gone: Vec<i32> = self
                    .members
                    .iter()
                    .filter(|(pid, start)| stat_of(**pid).is_none_or(|s| s.start != **start))
                    .map(|(pid, _)| *pid)
                    .collect();
                for pid in gone {
                    if let Some(start) = self.members.remove(&pid) {
                        claimed(|c| c.remove(&(pid, start)));
                    }
                }
            }

            /// Reaps until every member is gone (after SIGKILL), for at most a second.
            pub async fn reap_all(&mut self) {
                let until = Instant::now() + Duration::from_secs(1);
                loop {
                    self.reap();
                    if self.members.is_empty() || Instant::now() >= until {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }

        impl Drop for Family {
            fn drop(&mut self) {
                let root = self.root;
                claimed(|c| c.retain(|_, owner| *owner != root));
            }
        }
    }

    #[cfg(all(unix, not(target_os = "linux")))]
    mod unix {
        use super::{Sig, signal_group};

        /// Without `/proc` or a subreaper, the command's process group is all golive
        /// can find.
        pub struct Family {
            root: i32,
        }

        impl Family {
            pub fn new(root: u32) -> Family {
                Family {
                    root: i32::try_from(root).unwrap_or(i32::MAX),
                }
            }
            pub fn observe(&mut self) {}
            pub fn any_alive(&self) -> bool {
                rustix::process::Pid::from_raw(self.root)
                    .is_some_and(|p| rustix::process::test_kill_process_group(p).is_ok())
            }
            pub fn signal_all(&self, sig: Sig) {
                signal_group(self.root, sig);
            }
            pub fn reap(&mut self) {}
            pub async fn reap_all(&mut self) {}
        }
    }

    #[cfg(not(unix))]
    mod other {
        use super::Sig;

        /// No process groups: only the command itself is killed (by its `Child`).
        pub struct Family;

        impl Family {
            pub fn new(_root: u32) -> Family {
                Family
            }
            pub fn observe(&mut self) {}
            pub fn any_alive(&self) -> bool {
                false
            }
            pub fn signal_all(&self, _sig: Sig) {}
            pub fn reap(&mut self) {}
            pub async fn reap_all(&mut self) {}
        }
    }

    #[cfg(all(test, target_os = "linux"))]
    mod tests {
        use super::linux::parse_stat;

        #[test]
        fn stat_lines_parse_even_with_odd_command_names() {
            let line = "4242 (we ird) (name)) S 4000 4242 4100 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 100 18446744073709551615";
            let s = parse_stat(line).unwrap();
            assert_eq!(
                (s.pid, s.ppid, s.pgid, s.sid, s.start, s.zombie),
                (4242, 4000, 4242, 4100, 987654, false)
            );
            let zombie = "7 (sh) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55 0 0";
            assert!(parse_stat(zombie).unwrap().zombie);
            assert!(parse_stat("garbage").is_none());
            assert!(parse_stat("12 (x) S 1 2").is_none());
        }
    }
}

/// The captured tail of one output stream, read on a thread of its own so that a
/// chatty command never blocks on a full pipe.
struct Capture {
    buf: Arc<Mutex<Vec<u8>>>,
    thread: Option<JoinHandle<()>>,
}

impl Capture {
    fn start(pipe: Option<impl Read + Send + 'static>) -> Capture {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let thread = pipe.map(|mut pipe| {
            let buf = buf.clone();
            std::thread::spawn(move || {
                let mut chunk = [0u8; 8192];
                while let Ok(n) = pipe.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    let mut b = buf.lock().unwrap_or_else(|e| e.into_inner());
                    b.extend_from_slice(&chunk[..n]);
                    if b.len() > 2 * OUTPUT_CAP {
                        let cut = b.len() - OUTPUT_CAP;
                        b.drain(..cut);
                    }
                }
            })
        });
        Capture { buf, thread }
    }

    /// The last [`OUTPUT_LINES`] lines, once the stream closed (or after a short
    /// wait, if a stray process still holds it open).
    async fn finish(mut self) -> String {
        if let Some(t) = self.thread.take() {
            let until = Instant::now() + Duration::from_secs(1);
            while !t.is_finished() && Instant::now() < until {
                tokio::time::sleep(POLL).await;
            }
        }
        let b = self.buf.lock().unwrap_or_else(|e| e.into_inner());
        // The command's output enters golive here: cleaned of terminal control and
        // scrubbed whole (it holds the simulator's credentials), then shortened.
        tail(&crate::secret::scrub(&crate::text::sanitize_lines(
            &String::from_utf8_lossy(&b),
        )))
    }
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(OUTPUT_LINES);
    let mut out = String::new();
    if start > 0 {
        out.push_str(&format!("[... {start} earlier lines]\n"));
    }
    for line in &lines[start..] {
        if line.chars().count() > 300 {
            out.extend(line.chars().take(297));
            out.push_str("...");
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

fn last_line(text: &str) -> Option<String> {
    let line = text.lines().rev().map(str::trim).find(|l| !l.is_empty())?;
    Some(if line.chars().count() > 160 {
        line.chars().take(157).collect::<String>() + "..."
    } else {
        line.to_string()
    })
}

/// `NO_PROXY`/`no_proxy` with loopback added, so that an HTTP proxy configured in
/// golive's environment does not carry the command's requests away from golive's.
fn no_proxy_env() -> Vec<(String, String)> {
    ["NO_PROXY", "no_proxy"]
        .iter()
        .map(|name| {
            let value = match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => format!("{v},127.0.0.1,localhost"),
                _ => "127.0.0.1,localhost".to_string(),
            };
            (name.to_string(), value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::Plan;

    /// A timeline entry: (class, method, path, arrived, responded, status, retry_after, reference, request id).
    #[allow(clippy::too_many_arguments)]
    fn x(
        seq: usize,
        class: RequestClass,
        path: &str,
        arrived: u64,
        responded: u64,
        status: u16,
        retry_after: Option<u64>,
        reference: Option<&str>,
    ) -> Exchange {
        let method = match class {
            RequestClass::Wallets | RequestClass::Get => "GET",
            _ => "POST",
        };
        Exchange {
            seq,
            class,
            method: method.into(),
            path: path.into(),
            arrived_ms: arrived,
            responded_ms: Some(responded),
            status: Some(status),
            injected: status >= 400,
            retry_after,
            client_reference: reference.map(str::to_string),
            request_id: Some(format!("id{seq}")),
            note: None,
        }
    }

    fn login(seq: usize, at: u64) -> Exchange {
        x(
            seq,
            RequestClass::Login,
            "/auth/login",
            at,
            at + 2,
            200,
            None,
            None,
        )
    }

    fn wallets(seq: usize, at: u64, status: u16) -> Exchange {
        x(
            seq,
            RequestClass::Wallets,
            "/api/v1/wallets",
            at,
            at + 2,
            status,
            None,
            None,
        )
    }

    fn order(seq: usize, at: u64, status: u16, ra: Option<u64>, r: Option<&str>) -> Exchange {
        x(
            seq,
            RequestClass::OrderCreate,
            "/api/v1/orders",
            at,
            at + 2,
            status,
            ra,
            r,
        )
    }

    fn timeline(phase: &str, entries: Vec<Exchange>) -> Timeline {
        Timeline {
            phase: phase.into(),
            entries,
        }
    }

    fn codes_of(findings: &[Finding]) -> Vec<(&str, Level)> {
        findings
            .iter()
            .map(|f| (f.code.as_str(), f.level))
            .collect()
    }

    /// Moves an entry in time (its answer takes 2ms).
    fn at(e: &mut Exchange, ms: u64) {
        e.arrived_ms = ms;
        e.responded_ms = Some(ms + 2);
    }

    fn faults() -> PhasePlan {
        Plan::default_plan().phases[0].clone()
    }

    fn outage() -> PhasePlan {
        Plan::default_plan().phases[1].clone()
    }

    /// The good client's faults phase: 429 then 2.5s, 503 then 200ms, success.
    fn good_faults() -> Vec<Exchange> {
        vec![
            login(1, 0),
            wallets(2, 10, 400),
            order(3, 20, 429, Some(2), Some("r1")),
            order(4, 2522, 503, None, Some("r1")),
            order(5, 2724, 201, None, Some("r1")),
            x(
                6,
                RequestClass::Get,
                "/api/v1/orders/1",
                2800,
                2802,
                200,
                None,
                None,
            ),
        ]
    }

    #[test]
    fn a_good_client_has_nothing_to_answer_for() {
        assert!(judge(&faults(), &timeline("faults", good_faults()), true).is_empty());
        // The outage: five attempts with 200ms doubling backoff, then it gives up.
        let mut t = vec![login(1, 0), wallets(2, 5, 200)];
        let mut at = 10;
        for (k, wait) in [200, 400, 800, 1600, 0].iter().enumerate() {
            t.push(order(3 + k, at, 503, None, Some("r2")));
            at += 2 + wait;
        }
        assert!(judge(&outage(), &timeline("outage", t), true).is_empty());
    }

    #[test]
    fn each_mistake_has_its_code() {
        let f = faults();
        let case = |entries: Vec<Exchange>| {
            codes_of(&judge(&f, &timeline("faults", entries), true))
                .into_iter()
                .map(|(c, l)| (c.to_string(), l))
                .collect::<Vec<_>>()
        };
        let own = |c: &str, l: Level| vec![(c.to_string(), l)];

        // Retry 200ms after Retry-After: 2.
        let mut t = good_faults();
        at(&mut t[3], 222);
        at(&mut t[4], 430);
        assert_eq!(case(t), own("retry-after-not-honoured", Level::Fail));
        // 1.95s is inside the 100ms tolerance.
        let mut t = good_faults();
        at(&mut t[3], 22 + 1950);
        at(&mut t[4], 2300);
        assert!(case(t).is_empty());

        // Gave up on the 429.
        let t = vec![
            login(1, 0),
            wallets(2, 10, 400),
            order(3, 20, 429, Some(2), Some("r")),
        ];
        assert_eq!(case(t), own("no-retry-on-429", Level::Fail));
        // Gave up on the 503.
        let mut t = good_faults();
        t.truncate(4);
        assert_eq!(case(t), own("no-retry-on-5xx", Level::Fail));

        // Retried the wallets 400 (logins between do not hide it).
        let mut t = good_faults();
        t.insert(2, login(90, 210));
        t.insert(3, wallets(91, 400, 200));
        assert_eq!(case(t), own("retried-non-retryable", Level::Fail));
        // A GET to another path is no retry.
        let mut t = good_faults();
        t.insert(
            2,
            x(
                90,
                RequestClass::Get,
                "/api/v1/currencies",
                12,
                14,
                200,
                None,
                None,
            ),
        );
        t.insert(3, wallets(91, 400, 200));
        assert!(case(t).is_empty());

        // No backoff after the 503.
        let mut t = good_faults();
        at(&mut t[4], 2525);
        assert_eq!(case(t), own("backoff-too-aggressive", Level::Warn));

        // A new reference per attempt.
        let mut t = good_faults();
        t[3].client_reference = Some("r2".into());
        t[4].client_reference = Some("r3".into());
        let c = case(t);
        assert_eq!(c, own("client-reference-changed", Level::Fail));

        // No reference at all.
        let mut t = good_faults();
        for e in &mut t[2..5] {
            e.client_reference = None;
        }
        assert_eq!(case(t), own("client-reference-missing", Level::Fail));

        // No request id.
        let mut t = good_faults();
        for e in &mut t {
            e.request_id = None;
        }
        assert_eq!(case(t), own("request-id-missing", Level::Warn));
    }

    #[test]
    fn a_retry_after_a_401_is_allowed() {
        let t = vec![
            login(1, 0),
            wallets(2, 10, 401),
            login(3, 12),
            wallets(4, 16, 200),
            order(5, 20, 401, None, Some("r")),
            login(6, 23),
            order(7, 26, 201, None, Some("r")),
        ];
        assert!(judge(&faults(), &timeline("faults", t), true).is_empty());
    }

    #[test]
    fn a_new_order_after_a_success_is_a_new_sequence() {
        let t = vec![
            login(1, 0),
            order(2, 10, 201, None, Some("a")),
            order(3, 20, 201, None, Some("b")),
        ];
        assert!(judge(&faults(), &timeline("faults", t), true).is_empty());
    }

    #[test]
    fn the_outage_bound() {
        let mut t = vec![login(1, 0)];
        for k in 0..11 {
            t.push(order(2 + k, 10 + 160 * k as u64, 503, None, Some("r")));
        }
        let f = judge(&outage(), &timeline("outage", t.clone()), false);
        assert_eq!(codes_of(&f), [("attempts-unbounded", Level::Fail)]);
        assert!(
            f[0].message.contains(
                "11 attempts at one order (#2 to #12), more than 10; golive stopped the command"
            ),
            "{}",
            f[0].message
        );
        // Ten attempts are within the bound.
        t.pop();
        assert!(judge(&outage(), &timeline("outage", t), true).is_empty());
        // A client stopped by golive did not give up.
        let t = vec![login(1, 0), order(2, 10, 503, None, Some("r"))];
        assert!(judge(&outage(), &timeline("outage", t.clone()), false).is_empty());
        assert_eq!(
            codes_of(&judge(&outage(), &timeline("outage", t), true)),
            [("no-retry-on-5xx", Level::Fail)]
        );
    }

    #[test]
    fn a_retry_before_the_answer_ended_counts_as_too_soon() {
        let t = vec![
            order(1, 0, 503, None, Some("r")),
            order(2, 1, 201, None, Some("r")),
        ];
        let f = judge(&faults(), &timeline("faults", t), true);
        assert_eq!(codes_of(&f), [("backoff-too-aggressive", Level::Warn)]);
        assert!(
            f[0].message.contains("1ms before the answer was complete"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn findings_merge_across_phases() {
        let a = Finding::new(&codes::BACKOFF_TOO_AGGRESSIVE, "phase faults: x");
        let b = Finding::new(&codes::BACKOFF_TOO_AGGRESSIVE, "phase outage: y");
        let c = Finding::new(&codes::COMMAND_FAILED, "phase faults: z");
        let merged = merge(vec![
            ("faults".into(), a),
            ("faults".into(), c),
            ("outage".into(), b),
        ]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].message, "phase faults: x (also in phase outage)");
        assert_eq!(merged[1].message, "phase faults: z");
    }

    #[test]
    fn output_tails() {
        let text: String = (1..=40).map(|i| format!("line {i}\n")).collect();
        let t = tail(&text);
        assert!(t.starts_with("[... 10 earlier lines]\nline 11\n"), "{t}");
        assert_eq!(last_line("a\nb\n\n  \n"), Some("b".into()));
        assert_eq!(last_line(""), None);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn an_overrunning_command_is_killed_with_its_group() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("child-survived");
        // The shell starts a grandchild that would write the marker after 1.5s.
        let script = format!(
            "(sleep 1.5; touch '{}') & echo started; sleep 30",
            marker.display()
        );
        let argv = vec!["sh".to_string(), "-c".to_string(), script];
        let started = Instant::now();
        let (ended, stdout, _) = run_command(
            &argv,
            Path::new("."),
            &[],
            Duration::from_millis(300),
            || false,
        )
        .await;
        assert_eq!(ended, Ended::TimedOut(Duration::from_millis(300)));
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(stdout, "started\n");
        tokio::time::sleep(Duration::from_millis(2000)).await;
        assert!(!marker.exists(), "the grandchild was killed with the group");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn exit_codes_output_and_a_missing_program() {
        let argv = |s: &str| vec!["sh".to_string(), "-c".to_string(), s.to_string()];
        let env = [("GOLIVE_T".to_string(), "v1".to_string())];
        let (ended, out, err) = run_command(
            &argv("echo $GOLIVE_T; echo oops >&2; exit 3"),
            Path::new("."),
            &env,
            Duration::from_secs(20),
            || false,
        )
        .await;
        assert_eq!(
            (ended, out.as_str(), err.as_str()),
            (Ended::Exited(3), "v1\n", "oops\n")
        );
        let (ended, _, _) = run_command(
            &argv("sleep 5"),
            Path::new("."),
            &[],
            Duration::from_secs(20),
            || true,
        )
        .await;
        assert_eq!(ended, Ended::Stopped);
        let (ended, _, _) = run_command(
            &["/nonexistent/golive-smoke".to_string()],
            Path::new("."),
            &[],
            Duration::from_secs(5),
            || false,
        )
        .await;
        assert!(
            matches!(&ended, Ended::NotStarted(m) if m.starts_with("could not start `/nonexistent/golive-smoke`")),
            "{ended:?}"
        );
    }
}
