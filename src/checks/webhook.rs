//! `kind = "webhook"`: proves the integration's own endpoint verifies deliveries the
//! way Octopus signs them, before Octopus ever sends one.
//!
//! First the URL: https, what DNS says (every address classified), and the TLS
//! chain and expiry. An endpoint whose TLS cannot be trusted, or whose address the
//! tier refuses, gets no delivery at all. Then deliveries, each signed exactly as
//! Octopus signs (`webhook.rs`): a valid one first, because if it is refused the
//! negative probes prove nothing; then, concurrently, a bad signature, no signature,
//! a tampered body, a wrong secret, a stale timestamp, a duplicate event id, a body
//! whose bytes differ from a JSON library's output, and an unknown event type.
//! Requests go only to the addresses already checked (pinned), never follow
//! redirects, bypass proxies, and are bounded by the check's deadline.

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::Url;
use rustls::pki_types::CertificateDer;
use tokio::time::Instant;

use super::{CheckContext, CheckOutcome};
use crate::codes::{self, Code};
use crate::finding::{Finding, Level};
use crate::manifest::WebhookSpec;
use crate::netclass;
use crate::octopus::is_loopback_host;
use crate::secret::{Secret, SecretError};
use crate::tier::Tier;
use crate::webhook::{self, Delivery};

/// How much of an endpoint's answer golive reads (and shows, shortened).
const MAX_ANSWER_BYTES: usize = 2048;
/// Most addresses of one host whose TLS is inspected.
const MAX_TLS_ADDRESSES: usize = 4;
/// How long golive keeps reading an answer's body after its status arrived.
const BODY_GRACE: Duration = Duration::from_millis(500);
/// Event type no live event has, for the unknown-type probe.
pub const UNKNOWN_EVENT_TYPE: &str = "golive.unknown_probe";

/// The env's webhook settings (the simulator's receiver for a simulator env).
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    /// The endpoint.
    pub url: Option<Url>,
    /// The shared secret.
    pub secret: Result<Secret, SecretError>,
    /// Extra trusted roots from the env's `ca_file`.
    pub extra_roots: Vec<CertificateDer<'static>>,
}

impl Default for WebhookTarget {
    fn default() -> Self {
        WebhookTarget {
            url: None,
            secret: Err(SecretError::Missing(
                "webhook_secret is not configured".into(),
            )),
            extra_roots: Vec::new(),
        }
    }
}

/// Runs the webhook check.
pub async fn run(spec: &WebhookSpec, ctx: &CheckContext) -> CheckOutcome {
    let t = &*ctx.target;
    let w = &t.webhook;
    let sim = t.env.simulator;
    let mut out = CheckOutcome::default();
    // The runner leaves a margin after this deadline, so the check itself says which
    // deadline ended a wait: its own (a hung endpoint: no-ack) or the run's
    // (run-timeout), never the runner's hard cut.
    let deadline = ctx.deadline;

    let Some(url) = &w.url else {
        out.findings.push(Finding::new(
            &codes::WEBHOOK_URL_MISSING,
            format!("env `{}` has no webhook_url", t.name()),
        ));
        return out;
    };
    out.evidence("url", url.as_str());
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let mut may_send = true;
    let mut why_not = Vec::new();

    if url.scheme() != "https" {
        // Plain http to a loopback receiver of a sandbox env is local development
        // (e.g. the receiver `golive sim` prints): nothing crosses the network, and
        // webhook-private-address already says Octopus cannot deliver there. It is
        // noted, not failed; production keeps the fail.
        let local_dev = t.tier() == Tier::Sandbox && is_loopback_host(url);
        let level = if sim || local_dev {
            Level::Info
        } else {
            Level::Fail
        };
        out.findings.push(
            Finding::new(&codes::WEBHOOK_NOT_HTTPS, format!("{url} is not https://"))
                .with_level(level),
        );
        if !is_loopback_host(url) {
            may_send = false;
            why_not.push("the secret would cross the network in clear text");
        }
    }

    // DNS: every address the name gives, classified; deliveries are pinned to them.
    let remaining = deadline.saturating_duration_since(Instant::now());
    let resolved =
        tokio::time::timeout(remaining, tokio::net::lookup_host((host.as_str(), port))).await;
    let addrs: Vec<SocketAddr> = match resolved {
        Ok(Ok(a)) => {
            let mut v: Vec<SocketAddr> = a.collect();
            v.dedup();
            v
        }
        Ok(Err(e)) => {
            out.findings.push(Finding::incomplete(
                &codes::WEBHOOK_DNS_FAILED,
                format!("{host} does not resolve: {e}"),
            ));
            return out;
        }
        Err(_) => {
            // The deadline ended the wait, not DNS.
            out.findings
                .push(ctx.timeout_finding(format_args!("DNS lookup of {host}")));
            return out;
        }
    };
    if addrs.is_empty() {
        out.findings.push(Finding::incomplete(
            &codes::WEBHOOK_DNS_FAILED,
            format!("{host} resolves to no address"),
        ));
        return out;
    }
    let mut listed = Vec::new();
    for a in &addrs {
        let class = netclass::classify(a.ip());
        listed.push(serde_json::json!({ "ip": a.ip().to_string(), "class": class.map_or("public", |c| c.describe()) }));
        if let Some(c) = class {
            let level = match (sim, t.tier()) {
                (true, _) => Level::Info,
                (false, Tier::Production) => Level::Fail,
                (false, Tier::Sandbox) => Level::Warn,
            };
            out.findings.push(
                Finding::new(
                    &codes::WEBHOOK_PRIVATE_ADDRESS,
                    format!(
                        "{host} resolves to {} ({c}); Octopus cannot deliver there",
                        a.ip()
                    ),
                )
                .with_level(level),
            );
            if level == Level::Fail {
                may_send = false;
                why_not.push("its address is not reachable from the internet");
            }
        }
    }
    out.evidence("addresses", listed);

    // TLS: trusted for the host, not expired, not expiring soon, on every address
    // a delivery may reach (the first few, inspected concurrently).
    if url.scheme() == "https" {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let mut set = tokio::task::JoinSet::new();
        for (i, addr) in addrs.iter().take(MAX_TLS_ADDRESSES).enumerate() {
            let (host, addr, roots) = (host.clone(), *addr, w.extra_roots.clone());
            set.spawn(async move {
                (
                    i,
                    addr,
                    crate::tls::inspect(&host, addr, &roots, remaining).await,
                )
            });
        }
        let mut results = Vec::new();
        while let Some(joined) = set.join_next().await {
            if let Ok(r) = joined {
                results.push(r);
            }
        }
        results.sort_by_key(|(i, _, _)| *i);
        let results: Vec<_> = results.into_iter().map(|(_, addr, r)| (addr, r)).collect();
        let several = results.len() > 1;
        let mut seen = std::collections::HashSet::new();
        for (addr, result) in &results {
            let at = if several {
                format!(" at {}", addr.ip())
            } else {
                String::new()
            };
            let facts = match result {
                Err(_) if Instant::now() >= deadline => {
                    // The deadline ended the handshake, not the endpoint.
                    out.findings
                        .push(ctx.timeout_finding(format_args!("TLS handshake with {host}{at}")));
                    return out;
                }
                Err(e) => {
                    out.findings
                        .push(Finding::incomplete(&codes::WEBHOOK_UNREACHABLE, e.clone()));
                    return out;
                }
                Ok(f) => f,
            };
            let mut report = |code: &'static Code, message: String| {
                if seen.insert(code.code) {
                    out.findings.push(Finding::new(code, message));
                }
            };
            if facts.expired() {
                may_send = false;
                why_not.push("its certificate has expired");
                report(
                    &codes::WEBHOOK_TLS_EXPIRED,
                    format!(
                        "the certificate of {host}{at} expired on {} ({} days ago)",
                        facts.not_after, -facts.days_left
                    ),
                );
            }
            // rustls reports the first problem only; an expired chain's other problems show once it is renewed.
            if let Some(reason) = facts
                .untrusted
                .as_ref()
                .filter(|r| !(facts.expired() && r.contains("xpired")))
            {
                may_send = false;
                why_not.push("its certificate is not trusted");
                let what = if facts.self_signed {
                    "a self-signed certificate"
                } else {
                    "a certificate"
                };
                report(
                    &codes::WEBHOOK_TLS_UNTRUSTED,
                    format!(
                        "{host}{at} presents {what} that is not trusted for it ({reason}); issuer: {}",
                        facts.issuer
                    ),
                );
            }
            if !facts.expired() && facts.days_left < i64::from(spec.cert_min_days) {
                report(
                    &codes::WEBHOOK_TLS_EXPIRING,
                    format!(
                        "the certificate of {host}{at} expires on {} ({} days left, cert_min_days is {})",
                        facts.not_after, facts.days_left, spec.cert_min_days
                    ),
                );
            }
        }
        if let Some((_, Ok(first))) = results.first() {
            out.evidence("tls", first);
            out.measures.cert_not_after = first.not_after.parse().ok();
        }
        why_not.dedup();
    }

    let secret = match &w.secret {
        Ok(s) => s.clone(),
        Err(e) => {
            // A reference names its source ("environment variable X is not
            // set"); an absent one says so itself ("webhook_secret is not ...").
            let msg = e.to_string();
            let msg = if msg.starts_with("webhook_secret") {
                msg
            } else {
                format!("webhook_secret: {msg}")
            };
            out.findings
                .push(Finding::new(&codes::WEBHOOK_SECRET_MISSING, msg));
            return out;
        }
    };
    if !may_send {
        out.evidence("deliveries", Vec::<serde_json::Value>::new());
        out.evidence("not_sent", why_not.join("; "));
        return out;
    }

    let client = match delivery_client(&host, &addrs, &w.extra_roots) {
        Ok(c) => c,
        Err(e) => {
            out.findings
                .push(Finding::incomplete(&codes::WEBHOOK_UNREACHABLE, e));
            return out;
        }
    };
    deliveries(spec, ctx, &client, url, &secret, deadline, &mut out).await;
    out
}

fn delivery_client(
    host: &str,
    addrs: &[SocketAddr],
    roots: &[CertificateDer<'static>],
) -> Result<reqwest::Client, String> {
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(webhook::USER_AGENT)
        .resolve_to_addrs(host, addrs);
    for r in roots {
        b = b.add_root_certificate(
            reqwest::Certificate::from_der(r.as_ref()).map_err(|e| e.to_string())?,
        );
    }
    b.build()
        .map_err(|e| format!("cannot build the delivery client: {e}"))
}

/// One probe: what was sent and what a correct endpoint answers.
struct Probe {
    case: &'static str,
    delivery: Delivery,
    /// A correct endpoint acknowledges (2xx) this one.
    due_ack: bool,
    /// The finding when the endpoint answers the wrong way.
    wrong: &'static Code,
}

/// What an endpoint did with one delivery.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status, if any answer came.
    pub status: Option<u16>,
    /// Time to the answer's headers.
    pub latency: Duration,
    /// The first bytes of the answer (cleaned, shortened).
    pub body: String,
    /// Why there was no answer.
    pub error: Option<String>,
    /// No answer within the deadline.
    pub timed_out: bool,
}

impl Answer {
    fn acked(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    fn describe(&self) -> String {
        match (self.status, &self.error) {
            (Some(s), _) => format!("HTTP {s}"),
            (None, Some(e)) => e.clone(),
            (None, None) => "no answer".into(),
        }
    }
}

/// Sends one delivery. The status is the acknowledgement (Octopus ignores the body),
/// so the body is read only for the evidence: at most [`MAX_ANSWER_BYTES`], for at
/// most [`BODY_GRACE`], and never past the deadline; a stalled or endless body
/// cannot hold golive.
pub async fn deliver(
    client: &reqwest::Client,
    url: &Url,
    d: &Delivery,
    deadline: Instant,
) -> Answer {
    let started = Instant::now();
    let mut req = client.post(url.clone()).body(d.body.clone());
    for (name, value) in d.headers() {
        req = req.header(name, value);
    }
    let no_answer = |error: String, timed_out: bool| Answer {
        status: None,
        latency: started.elapsed(),
        body: String::new(),
        error: Some(error),
        timed_out,
    };
    let mut resp = match tokio::time::timeout_at(deadline, req.send()).await {
        Err(_) => return no_answer("no answer in time".into(), true),
        Ok(Err(e)) if e.is_timeout() => return no_answer("no answer in time".into(), true),
        Ok(Err(e)) => return no_answer(crate::text::describe_http_error(&e), false),
        Ok(Ok(resp)) => resp,
    };
    let latency = started.elapsed();
    let status = resp.status().as_u16();
    let body_deadline = deadline.min(Instant::now() + BODY_GRACE);
    let mut body = Vec::new();
    while body.len() < MAX_ANSWER_BYTES {
        match tokio::time::timeout_at(body_deadline, resp.chunk()).await {
            Ok(Ok(Some(c))) => body.extend_from_slice(&c),
            _ => break,
        }
    }
    body.truncate(MAX_ANSWER_BYTES);
    Answer {
        status: Some(status),
        latency,
        body: shorten(&body),
        error: None,
        timed_out: false,
    }
}

/// The receiver's answer as it enters golive: cleaned and scrubbed whole (it may
/// quote the `X-OCTOPUS-WEBHOOK-TOKEN` it was sent), then shortened.
fn shorten(body: &[u8]) -> String {
    crate::text::untrusted(body, 200)
}

async fn deliveries(
    spec: &WebhookSpec,
    ctx: &CheckContext,
    client: &reqwest::Client,
    url: &Url,
    secret: &Secret,
    deadline: Instant,
    out: &mut CheckOutcome,
) {
    let key = secret.expose().as_bytes();
    let now = jiff::Timestamp::now();
    let ts = now.as_second();
    let created = now
        .round(jiff::Unit::Second)
        .map_or_else(|_| now.to_string(), |t| t.to_string());
    let event_type = spec.event_type.as_str();
    let signed = |event_type: &str, body: Vec<u8>, id: &str, ts: i64| {
        Delivery::signed(key, id, event_type, ts, body)
    };
    let fresh_body =
        |id: &str, ty: &str| webhook::event_body(id, ty, &created, webhook::probe_data(ty));

    // The valid delivery goes first: everything else is judged against it.
    let valid_id = webhook::new_event_id();
    let valid = signed(event_type, fresh_body(&valid_id, event_type), &valid_id, ts);
    let answer = deliver(client, url, &valid, deadline).await;
    let mut records = vec![record("valid", &valid, true, &answer)];
    if !answer.acked() {
        if answer.timed_out {
            out.findings
                .push(unanswered_valid(spec, ctx, event_type, answer.latency));
        } else if answer.status.is_none() {
            out.findings.push(Finding::incomplete(
                &codes::WEBHOOK_UNREACHABLE,
                format!("the valid delivery failed: {}", answer.describe()),
            ));
        } else {
            let hint = match answer.status {
                Some(s) if (300..400).contains(&s) => {
                    " (redirects are not followed: a 3xx is not an acknowledgement)"
                }
                Some(401 | 403) => " (the endpoint refused a correct signature)",
                _ => "",
            };
            out.findings.push(Finding::new(
                &codes::VALID_DELIVERY_REJECTED,
                format!(
                    "a valid, correctly signed {event_type} delivery was answered {}{hint}",
                    answer.describe()
                ),
            ));
        }
        out.evidence("deliveries", records);
        out.evidence(
            "skipped_probes",
            "the valid delivery was not acknowledged, so the negative probes would prove nothing",
        );
        return;
    }
    if answer.latency > spec.ack_within {
        out.findings.push(Finding::new(
            &codes::SLOW_ACK,
            format!(
                "the valid delivery was acknowledged after {}ms; ack_within is {}",
                answer.latency.as_millis(),
                crate::duration::format(spec.ack_within)
            ),
        ));
    }

    // Every other probe, concurrently; each with its own fresh event id except the duplicate.
    let mut probes = Vec::new();
    let mut make = |case, due_ack, wrong, d: Delivery| {
        probes.push(Probe {
            case,
            delivery: d,
            due_ack,
            wrong,
        })
    };
    {
        let id = webhook::new_event_id();
        let mut d = signed(event_type, fresh_body(&id, event_type), &id, ts);
        d.signature = Some(webhook::sign(key, b"a different body"));
        make("bad-signature", false, &codes::BAD_SIGNATURE_ACCEPTED, d);
    }
    {
        let id = webhook::new_event_id();
        let mut d = signed(event_type, fresh_body(&id, event_type), &id, ts);
        d.signature = None;
        make(
            "missing-signature",
            false,
            &codes::MISSING_SIGNATURE_ACCEPTED,
            d,
        );
    }
    {
        let id = webhook::new_event_id();
        let mut d = signed(event_type, fresh_body(&id, event_type), &id, ts);
        // Same signature, body changed after signing.
        d.body = String::from_utf8_lossy(&d.body)
            .replace("\"quantity\":0", "\"quantity\":9")
            .into_bytes();
        make("tampered-body", false, &codes::TAMPERED_BODY_ACCEPTED, d);
    }
    {
        let id = webhook::new_event_id();
        let wrong_key = format!("whsec_golive_wrong_{}", crate::ksuid::new());
        let mut d = Delivery::signed(
            wrong_key.as_bytes(),
            &id,
            event_type,
            ts,
            fresh_body(&id, event_type),
        );
        d.token = Some(secret.expose().to_string());
        make("wrong-secret", false, &codes::WRONG_SECRET_ACCEPTED, d);
    }
    {
        let id = webhook::new_event_id();
        let stale = ts - spec.replay_window.as_secs() as i64 - 60;
        make(
            "stale-timestamp",
            false,
            &codes::STALE_TIMESTAMP_ACCEPTED,
            signed(event_type, fresh_body(&id, event_type), &id, stale),
        );
    }
    {
        let mut d = valid.clone();
        d.timestamp = jiff::Timestamp::now().as_second();
        make("duplicate", true, &codes::DUPLICATE_DELIVERY_REJECTED, d);
    }
    {
        let id = webhook::new_event_id();
        make(
            "raw-body",
            true,
            &codes::RAW_BODY_NOT_VERIFIED,
            signed(
                event_type,
                webhook::unusual_body(&id, event_type, &created),
                &id,
                ts,
            ),
        );
    }
    {
        let id = webhook::new_event_id();
        make(
            "unknown-event",
            true,
            &codes::UNKNOWN_EVENT_REJECTED,
            signed(
                UNKNOWN_EVENT_TYPE,
                fresh_body(&id, UNKNOWN_EVENT_TYPE),
                &id,
                ts,
            ),
        );
    }
    let answers = send_probes(client, url, &probes, deadline).await;
    let mut wrong_count = 0;
    let mut unanswered = Vec::new();
    // Some probe's wait was ended by the deadline.
    let mut cut_short = false;
    for (p, a) in probes.iter().zip(&answers) {
        records.push(record(p.case, &p.delivery, p.due_ack, a));
        // A probe without an answer proves nothing either way, except that a forged
        // delivery whose connection was refused or dropped was not accepted.
        if a.status.is_none() && (p.due_ack || a.timed_out) {
            cut_short |= a.timed_out;
            unanswered.push(p.case);
            continue;
        }
        let wrong = if p.due_ack { !a.acked() } else { a.acked() };
        if wrong {
            wrong_count += 1;
            let message = match p.case {
                "bad-signature" => format!(
                    "a delivery with a wrong X-Signature was answered {}",
                    a.describe()
                ),
                "missing-signature" => format!(
                    "a delivery without X-Signature was answered {}",
                    a.describe()
                ),
                "tampered-body" => {
                    format!("a body changed after signing was answered {}", a.describe())
                }
                "wrong-secret" => format!(
                    "a delivery signed with another secret was answered {}",
                    a.describe()
                ),
                "stale-timestamp" => format!(
                    "a correctly signed delivery with X-Timestamp {}s old (replay_window {}) was answered {}",
                    spec.replay_window.as_secs() + 60,
                    crate::duration::format(spec.replay_window),
                    a.describe()
                ),
                "duplicate" => format!(
                    "a repeat of an acknowledged X-Event-ID was answered {}; Octopus would retry it",
                    a.describe()
                ),
                "raw-body" => format!(
                    "a correctly signed body with extra whitespace, reordered keys and a \\u escape was answered {} while the compact one was accepted",
                    a.describe()
                ),
                _ => format!(
                    "a correctly signed {UNKNOWN_EVENT_TYPE} event was answered {}",
                    a.describe()
                ),
            };
            out.findings.push(Finding::new(p.wrong, message));
        }
    }
    out.evidence("deliveries", records);
    if cut_short && ctx.run_deadline_binds {
        // The run's --timeout ended the wait, not the check's own budget.
        out.findings.push(ctx.timeout_finding(format_args!(
            "{} of {} probes ({})",
            unanswered.len(),
            probes.len(),
            unanswered.join(", ")
        )));
    } else if !unanswered.is_empty() {
        out.findings.push(Finding::incomplete(
            &codes::PROBES_UNANSWERED,
            format!(
                "{} of {} probes got no answer within the check's timeout ({}); how the endpoint handles them is unproven",
                unanswered.len(),
                probes.len(),
                unanswered.join(", ")
            ),
        ));
    } else if wrong_count == 0 {
        out.pass_summary = Some(format!(
            "valid delivery acknowledged in {}ms; forged, stale, duplicate, unusual and unknown deliveries all handled correctly",
            answer.latency.as_millis()
        ));
    }
}

/// The finding for a valid delivery whose wait the deadline ended. Whichever deadline
/// expired is the one reported (SPEC 8.1): the run's `--timeout` gives
/// `run-timeout`; the check's own timeout gives `no-ack` (SPEC 3: no answer within
/// the check's timeout) only once the endpoint had at least `ack_within`, the time a
/// correct endpoint is expected to answer in; a check timeout too short for that
/// proves nothing about the endpoint and gives `check-timeout`.
fn unanswered_valid(
    spec: &WebhookSpec,
    ctx: &CheckContext,
    event_type: &str,
    waited: Duration,
) -> Finding {
    let what = format!(
        "the valid {event_type} delivery (no answer after {}ms)",
        waited.as_millis()
    );
    if ctx.run_deadline_binds {
        ctx.timeout_finding(what)
    } else if waited < spec.ack_within {
        Finding::incomplete(
            &codes::CHECK_TIMEOUT,
            format!(
                "{what}: the check's timeout left less than ack_within ({}) for an answer; raise the check's timeout",
                crate::duration::format(spec.ack_within)
            ),
        )
    } else {
        Finding::new(
            &codes::NO_ACK,
            format!(
                "a valid, correctly signed {event_type} delivery got no answer within the check's timeout ({}ms)",
                waited.as_millis()
            ),
        )
    }
}

/// Sends every probe concurrently (each on its own task, all under `deadline`) and
/// returns the answers in probe order.
async fn send_probes(
    client: &reqwest::Client,
    url: &Url,
    probes: &[Probe],
    deadline: Instant,
) -> Vec<Answer> {
    let mut set = tokio::task::JoinSet::new();
    for (i, p) in probes.iter().enumerate() {
        let client = client.clone();
        let url = url.clone();
        let d = p.delivery.clone();
        set.spawn(async move { (i, deliver(&client, &url, &d, deadline).await) });
    }
    let mut answers: Vec<Option<Answer>> = vec![None; probes.len()];
    while let Some(Ok((i, a))) = set.join_next().await {
        answers[i] = Some(a);
    }
    answers
        .into_iter()
        .map(|a| {
            a.unwrap_or(Answer {
                status: None,
                latency: Duration::ZERO,
                body: String::new(),
                error: Some("probe task failed".into()),
                timed_out: false,
            })
        })
        .collect()
}

fn record(case: &str, d: &Delivery, due_ack: bool, a: &Answer) -> serde_json::Value {
    serde_json::json!({
        "case": case,
        "event_id": d.event_id,
        "event_type": d.event_type,
        "expected": if due_ack { "2xx" } else { "rejection" },
        "status": a.status,
        "latency_ms": a.latency.as_millis() as u64,
        "answer": if a.body.is_empty() { a.error.clone().unwrap_or_default() } else { a.body.clone() },
    })
}
