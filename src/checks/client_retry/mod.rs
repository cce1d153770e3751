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
//!
//! # Layout
//!
//! This file runs the phases and concludes; `judge.rs` judges one phase's
//! timeline; `process.rs` runs the command and captures its output; `family.rs`
//! finds and ends the processes it started.

mod family;
mod judge;
mod process;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use std::path::PathBuf;

use futures_util::future::BoxFuture;

use super::{Check, CheckContext, CheckOutcome, Kind, evidence, settings};
use crate::codes;
use crate::finding::Finding;
use crate::manifest::KindDef;
use crate::manifest::kind::{KindInput, raw};
use crate::proxy::{self, PhasePlan, ProxyConfig, ProxyHandle, RequestClass, Timeline};
use crate::sim::{self, SimConfig};
use crate::tier::Tier;

pub use judge::judge;
pub use process::Ended;
use process::{last_line, no_proxy_env, run_command};

/// Default timeout of a `client_retry` check: it runs the integration's own command
/// twice or three times, and a client backing off to a 10 s cap needs minutes.
pub const CLIENT_RETRY_TIMEOUT: Duration = Duration::from_secs(120);

/// `kind = "client_retry"`.
pub const KIND: Kind = Kind {
    def: KindDef {
        name: "client_retry",
        about: "the integration's own client, run through a fault-injecting proxy, retries, backs off and keeps its references as it should",
        keys: &[
            "command",
            "base_url_env",
            "api_key_env",
            "api_secret_env",
            "plan",
        ],
        default_timeout: CLIENT_RETRY_TIMEOUT,
        parse: |input| parse(input).and_then(settings),
    },
    codes: CODES,
    evidence_about: "The smoke command, the plan and what each phase recorded.",
    evidence,
};

codes::declare_codes! {
    CODES;
    RETRY_AFTER_NOT_HONOURED = { "retry-after-not-honoured", "client_retry", Fail, false,
        "The client retried sooner than the Retry-After it was given.",
        "A retry before Retry-After is answered with another 429 and counts against the same rate limit; a fleet doing it keeps the whole account throttled.",
        "After a 429 (or any answer with Retry-After), wait at least Retry-After seconds before the next attempt; fall back to the number in the error message when the header is absent.",
        Some(codes::DOCS_RATE) }
    RETRIED_NON_RETRYABLE = { "retried-non-retryable", "client_retry", Fail, false,
        "The client retried a 4xx answer other than 429 (and 401).",
        "A 400, 403 or 404 fails the same way every time: retrying it burns the rate limit shared with the rest of your traffic and delays the real error.",
        "Retry only network errors, 5xx and 429. Treat other 4xx as final (fix the request, or go on without the data); after a 401, log in again once, then retry.",
        Some(codes::DOCS_ERRORS) }
    BACKOFF_TOO_AGGRESSIVE = { "backoff-too-aggressive", "client_retry", Warn, false,
        "The client retried a failure sooner than the 100 ms backoff floor.",
        "Instant retries against a struggling API are a retry storm: they multiply load exactly when the API is least able to take it and exhaust the rate limit.",
        "Back off exponentially: about 200ms before the first retry, doubling each time, capped at 10s (jitter helps a fleet).",
        Some(codes::DOCS_GOLIVE) }
    CLIENT_REFERENCE_CHANGED = { "client-reference-changed", "client_retry", Fail, false,
        "The client sent a different client_reference when it retried an order.",
        "client_reference is the only de-duplication key: a retry with a new one after a lost answer places the order twice, and both ship.",
        "Generate the client_reference once per order, before the first attempt, and send the same value on every retry; after a 400 \"Duplicate client_reference\", look the order up with GET /api/v1/orders?client_reference=...",
        Some("https://octopus-docs.pages.dev/docs/best-practices/idempotency") }
    CLIENT_REFERENCE_MISSING = { "client-reference-missing", "client_retry", Fail, false,
        "The client created an order without a client_reference.",
        "Without client_reference a retried order creation cannot be de-duplicated: a timeout followed by a retry ships the order twice.",
        "Send a unique client_reference (up to 255 printable ASCII characters) on every order creation and reuse it on retries.",
        Some("https://octopus-docs.pages.dev/docs/best-practices/idempotency") }
    REQUEST_ID_MISSING = { "request-id-missing", "client_retry", Warn, false,
        "The client sent a request to /auth or /api/v1 without X-Request-Id.",
        "Support traces requests by id; without your own ids, your logs and Octopus's cannot be matched in an incident.",
        "Send a KSUID-format X-Request-Id on every request and log the id of every response, success or failure.",
        Some("https://octopus-docs.pages.dev/docs/best-practices/observability") }
    UNKNOWN_FIELD_NOT_TOLERATED = { "unknown-field-not-tolerated", "client_retry", Fail, false,
        "The command failed when responses carried an unknown field or enum value, and succeeded without them.",
        "The API promises that new fields and enum values may appear at any time, without a version change; a client that rejects them breaks on an ordinary API release.",
        "Ignore unknown JSON fields, and map unknown enum values (wallet type, order status) to an \"unknown\" case that is logged and handled, never to a crash.",
        Some("https://octopus-docs.pages.dev/docs/getting-started/api-promise") }
    COMMAND_FAILED = { "command-failed", "client_retry", Fail, false,
        "The integration's smoke command failed (non-zero exit) where it should have succeeded, or could not be started.",
        "Every fault of the faults phase is one a correct client recovers from; failing there means the same faults in production become failed orders.",
        "Run the command against `golive proxy` (see the phase's timeline and output in the evidence) and make it recover: retry 429 after Retry-After, retry 5xx with backoff, go on after a non-retryable 4xx.",
        Some(codes::DOCS_GOLIVE) }
    COMMAND_BYPASSED_PROXY = { "command-bypassed-proxy", "client_retry", Fail, false,
        "The command made no request through golive's proxy, so nothing was proven.",
        "A client that ignores the configured base URL (a hard-coded host, a cached config) was not watched at all; its retry behaviour is unknown.",
        "Make the command read the API base URL from the variable named by base_url_env (default OCTOPUS_BASE_URL) and make at least one API call.",
        Some(codes::DOCS_GOLIVE) }
    COMMAND_TIMED_OUT = { "command-timed-out", "client_retry", Fail, true,
        "The command was still running when its share of the check's time ran out; golive killed it and its process group.",
        "A run that did not end proves nothing about giving up or bounding attempts; the result is inconclusive.",
        "Raise the check's timeout (2m is typical: a client backing off to a 10s cap needs about a minute for 10 attempts), or make the smoke command do less.",
        None }
    CLIENT_RETRY_REFUSED = { "client-retry-refused", "client_retry", Fail, true,
        "client_retry refused to run against this env (production, or plain http:// to a remote host).",
        "client_retry injects faults and places test orders; it runs only in front of the sandbox or golive's simulator, never production.",
        "Limit the check to sandbox and simulator envs with envs = [\"sandbox\", \"demo\"].",
        Some(codes::DOCS_ENVIRONMENTS) }
    CLIENT_RETRY_SETUP_FAILED = { "client-retry-setup-failed", "client_retry", Fail, true,
        "client_retry could not set up its run: the fault plan is invalid, or the proxy or simulator could not start.",
        "Without the proxy in place nothing about the client can be judged; the result is inconclusive.",
        "Fix the plan named in `plan` (a built-in name such as default, or the path of a TOML plan file); the message says what is wrong.",
        None }
}

/// The JSON Schema properties of this kind's evidence.
fn evidence() -> serde_json::Value {
    let string = evidence::string();
    let strings = evidence::strings();
    serde_json::json!({
        "command": strings,
        "plan": string,
        "base_url_env": string,
        "upstream": string,
        "phases": {
            "type": "array",
            "items": { "type": "object", "properties": {
                "phase": string,
                "result": string,
                "duration_ms": { "type": "integer", "minimum": 0 },
                "timeline": strings,
                "requests": { "type": "array", "items": { "type": "object" } },
                "requests_total": { "type": "integer", "minimum": 0 }
            } }
        }
    })
}

/// `kind = "client_retry"` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientRetrySpec {
    /// The integration's smoke command, argv form.
    pub command: Vec<String>,
    /// Variable that receives the proxy URL.
    pub base_url_env: String,
    /// Variable that receives the simulator's API key (simulator envs only).
    pub api_key_env: String,
    /// Variable that receives the simulator's API secret (simulator envs only).
    pub api_secret_env: String,
    /// Fault plan: a built-in name, or a TOML plan file (relative to `dir`).
    pub plan: String,
    /// The manifest's folder: the command runs in it, and a relative plan file or
    /// program path (one with a `/`) resolves against it.
    pub dir: PathBuf,
}

impl Check for ClientRetrySpec {
    fn title(&self, _id: &str) -> String {
        "Client handles rate limits and failures".into()
    }

    fn run<'a>(&'a self, ctx: &'a CheckContext) -> BoxFuture<'a, CheckOutcome> {
        Box::pin(run(self, ctx))
    }

    fn runs_in_watch(&self) -> bool {
        false
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Validates a client_retry check's keys, with their defaults; a plan file is
/// read and validated here, so a bad plan is a manifest error.
pub fn parse(input: &mut KindInput<'_, '_, '_>) -> Option<ClientRetrySpec> {
    let command = input.required("command", |f, d| {
        let items = raw::array(f.value, &f.what(), d)?;
        if items.is_empty() {
            d.error(
                f.value.span(),
                "`command` is empty; give the program and its arguments, e.g. [\"npm\", \"run\", \"smoke\"]",
            );
            return None;
        }
        let args: Vec<Option<String>> = items
            .iter()
            .map(|item| raw::string(item, "an element of `command`", d).map(str::to_string))
            .collect();
        let args: Vec<String> = args.into_iter().collect::<Option<_>>()?;
        if let (Some(program), Some(first)) = (args.first(), items.first())
            && program.trim().is_empty()
        {
            d.error(first.span(), "the program name in `command` must not be empty");
            return None;
        }
        Some(args)
    });
    let var_name = |f: &raw::Field<'_, '_>, d: &mut raw::Diags| {
        let name = raw::non_empty_string(f.value, &f.what(), d)?;
        if name.contains(['=', '\0']) {
            d.error(
                f.value.span(),
                format!(
                    "{} is not a valid environment variable name (it contains `=` or NUL)",
                    f.what()
                ),
            );
            return None;
        }
        Some(name.to_string())
    };
    let base_url_env = input.optional("base_url_env", var_name);
    let api_key_env = input.optional("api_key_env", var_name);
    let api_secret_env = input.optional("api_secret_env", var_name);
    let base_dir = input.base_dir.to_path_buf();
    let plan = input.optional("plan", |f, d| {
        let plan = raw::non_empty_string(f.value, &f.what(), d)?;
        match load_plan_in(plan, &base_dir) {
            Ok(_) => Some(plan.to_string()),
            Err(e) => {
                d.error(f.value.span(), format!("invalid `plan`: {e}"));
                None
            }
        }
    });
    Some(ClientRetrySpec {
        command: command?,
        base_url_env: base_url_env.unwrap_or_else(|| "OCTOPUS_BASE_URL".to_string()),
        api_key_env: api_key_env.unwrap_or_else(|| "OCTOPUS_API_KEY".to_string()),
        api_secret_env: api_secret_env.unwrap_or_else(|| "OCTOPUS_API_SECRET".to_string()),
        plan: plan.unwrap_or_else(|| "default".to_string()),
        dir: base_dir,
    })
}

/// A retry may come this much sooner than `Retry-After` says.
pub const RETRY_AFTER_TOLERANCE_MS: u64 = 100;
/// A retry not governed by `Retry-After` sooner than this is too aggressive.
pub const BACKOFF_FLOOR_MS: u64 = 100;

/// Most requests of one phase listed in the evidence.
const EVIDENCE_REQUESTS: usize = 200;
/// Time kept back from the check's deadline for stopping and judging.
const RESERVE: Duration = Duration::from_millis(1500);

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
                .push(Finding::incomplete(&CLIENT_RETRY_REFUSED, why));
            return out;
        }
    }
    if spec.command.first().is_none_or(|p| p.is_empty()) {
        out.findings.push(Finding::incomplete(
            &CLIENT_RETRY_SETUP_FAILED,
            "`command` is empty",
        ));
        return out;
    }
    let plan = match load_plan_in(&spec.plan, &spec.dir) {
        Ok(p) if !p.phases.is_empty() => p,
        Ok(p) => {
            out.findings.push(Finding::incomplete(
                &CLIENT_RETRY_SETUP_FAILED,
                format!("plan `{}` has no phase", p.name),
            ));
            return out;
        }
        Err(e) => {
            out.findings.push(Finding::incomplete(
                &CLIENT_RETRY_SETUP_FAILED,
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
                    &CLIENT_RETRY_SETUP_FAILED,
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
        (handle.url(), Some(handle))
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
                &CLIENT_RETRY_SETUP_FAILED,
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
                        &UNKNOWN_FIELD_NOT_TOLERATED,
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
            if f.code == COMMAND_TIMED_OUT.code {
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
            push(Finding::new(&COMMAND_FAILED, why.clone()).with_remediation(
                "Check `command`: it runs without a shell, in the manifest's folder. A program named without a `/` (python3, npm) is looked up on PATH; one with a `/` (./scripts/smoke.sh) resolves against the manifest's folder and must be executable.",
            ));
            return true;
        }
        Ended::TimedOut(budget) => push(Finding::incomplete(
            &COMMAND_TIMED_OUT,
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
            &COMMAND_FAILED,
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
            &COMMAND_BYPASSED_PROXY,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_merge_across_phases() {
        let a = Finding::new(&BACKOFF_TOO_AGGRESSIVE, "phase faults: x");
        let b = Finding::new(&BACKOFF_TOO_AGGRESSIVE, "phase outage: y");
        let c = Finding::new(&COMMAND_FAILED, "phase faults: z");
        let merged = merge(vec![
            ("faults".into(), a),
            ("faults".into(), c),
            ("outage".into(), b),
        ]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].message, "phase faults: x (also in phase outage)");
        assert_eq!(merged[1].message, "phase faults: z");
    }
}
