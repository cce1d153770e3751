//! The webhook check's deliveries: the HTTP client that posts them, one signed
//! delivery and its answer, and the probe set (valid, bad and missing signatures,
//! tampered and re-serialized bodies, a wrong secret, a stale timestamp, a
//! duplicate, an unknown event type) with what each answer means.

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::Url;
use rustls::pki_types::CertificateDer;
use tokio::time::Instant;

use super::{BODY_GRACE, MAX_ANSWER_BYTES, UNKNOWN_EVENT_TYPE, WebhookSpec};
use crate::checks::{CheckContext, CheckOutcome};
use crate::codes::{self, Code};
use crate::finding::Finding;
use crate::secret::Secret;
use crate::webhook::{self, Delivery};

pub(super) fn delivery_client(
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

pub(super) async fn deliveries(
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
                &super::WEBHOOK_UNREACHABLE,
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
                &super::VALID_DELIVERY_REJECTED,
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
        make("bad-signature", false, &super::BAD_SIGNATURE_ACCEPTED, d);
    }
    {
        let id = webhook::new_event_id();
        let mut d = signed(event_type, fresh_body(&id, event_type), &id, ts);
        d.signature = None;
        make(
            "missing-signature",
            false,
            &super::MISSING_SIGNATURE_ACCEPTED,
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
        make("tampered-body", false, &super::TAMPERED_BODY_ACCEPTED, d);
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
        make("wrong-secret", false, &super::WRONG_SECRET_ACCEPTED, d);
    }
    {
        let id = webhook::new_event_id();
        let stale = ts - spec.replay_window.as_secs() as i64 - 60;
        make(
            "stale-timestamp",
            false,
            &super::STALE_TIMESTAMP_ACCEPTED,
            signed(event_type, fresh_body(&id, event_type), &id, stale),
        );
    }
    {
        let mut d = valid.clone();
        d.timestamp = jiff::Timestamp::now().as_second();
        make("duplicate", true, &super::DUPLICATE_DELIVERY_REJECTED, d);
    }
    {
        let id = webhook::new_event_id();
        make(
            "raw-body",
            true,
            &super::RAW_BODY_NOT_VERIFIED,
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
            &super::UNKNOWN_EVENT_REJECTED,
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
            &super::PROBES_UNANSWERED,
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
            &super::NO_ACK,
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
