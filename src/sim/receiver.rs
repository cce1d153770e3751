//! The simulator's reference webhook receiver, `POST /_receiver/octopus`: a receiver
//! that does everything octopus-api.md section 10 asks, so that golive's `webhook`
//! check has something correct to pass against, and the `receiver-*` [`Scenario`]s
//! break it one way at a time.
//!
//! The correct behaviour, in order: verify `X-Signature` over the raw body bytes with
//! the webhook secret (401 when missing or invalid); reject an `X-Timestamp` that is
//! not an integer or more than 5 minutes away from now, either way (400); check the
//! body is an event whose `id` and `type` agree with `X-Event-ID` and `X-Event-Type`
//! (400); acknowledge a repeat of an already-accepted `X-Event-ID` with 200 without
//! processing it again; acknowledge an unknown event type with 200 and ignore it;
//! otherwise acknowledge first (200 `{"received":true}`) and process after, in a
//! spawned task. The receiver is not part of the simulated API: no IP allowlist, no
//! rate limit, no bearer token.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::watch;

use super::Scenario;
use crate::secret::Secret;
use crate::webhook;

/// Where the receiver is served, on the simulator's own listener.
pub(crate) const PATH: &str = "/_receiver/octopus";
/// What [`super::SimStats`] counts receiver requests under.
pub(crate) const ROUTE_KEY: &str = "POST /_receiver/octopus";
/// The simulator's sandbox webhook secret (fake, fixed so that a receiver under
/// development can keep its configuration between runs): the reference receiver
/// verifies with it and the simulator signs its deliveries with it.
pub(crate) const SANDBOX_WEBHOOK_SECRET: &str = "whsec_sbx_R7kQ2mX9vT4pL8sNc3Yd";
/// The production tier's webhook secret: environments are fully separate
/// (octopus-api.md section 2), so the two tiers never share one.
pub(crate) const PRODUCTION_WEBHOOK_SECRET: &str = "whsec_prd_K2wN8dF5rQ1yH6tVb9Ls";

/// The webhook secret of the simulated account of `tier`.
pub(crate) fn webhook_secret(tier: crate::tier::Tier) -> &'static str {
    match tier {
        crate::tier::Tier::Sandbox => SANDBOX_WEBHOOK_SECRET,
        crate::tier::Tier::Production => PRODUCTION_WEBHOOK_SECRET,
    }
}
/// The secret [`Scenario::ReceiverWrongSecret`] verifies with instead.
pub(crate) const OTHER_WEBHOOK_SECRET: &str = "whsec_B3nF6yW1cJ5hD0zGq8Ua";
/// How far `X-Timestamp` may be from now, either way (documented: 5 minutes).
const REPLAY_WINDOW_SECS: i64 = 300;
/// How long [`Scenario::ReceiverSlow`] takes to acknowledge.
const SLOW_ACK: Duration = Duration::from_secs(6);
/// How many answered deliveries [`Receiver::received`] keeps before dropping the oldest.
const LOG_CAP: usize = 10_000;
/// How many accepted event ids are remembered for de-duplication.
const SEEN_CAP: usize = 100_000;

/// One delivery the reference receiver answered, whatever the status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedEvent {
    /// `X-Event-ID`, or the body's `id` when the header is missing; empty when neither
    /// could be read.
    pub event_id: String,
    /// The body's `type`, or `X-Event-Type` when the body could not be read; empty
    /// when neither could be read.
    pub event_type: String,
    /// The HTTP status the receiver answered.
    pub status: u16,
    /// Whether the receiver checked the signature and found it valid, by its own
    /// (in some scenarios defective) rule. `false` when it did not check at all.
    pub verified: bool,
    /// Whether the event id had already been accepted before this delivery.
    pub duplicate: bool,
}

/// An accepted event, as the spawned processing task recorded it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ProcessedEvent {
    /// The event id.
    pub(crate) event_id: String,
    /// The event type.
    pub(crate) event_type: String,
    /// The parsed body.
    pub(crate) body: Value,
}

#[derive(Debug, Default)]
struct Inner {
    /// Arrival sequence of the next delivery.
    next_seq: u64,
    /// Answered deliveries, sorted by arrival sequence.
    log: VecDeque<(u64, ReceivedEvent)>,
    /// Accepted event ids, and the order they were accepted in (to bound the set).
    seen: HashSet<String>,
    seen_order: VecDeque<String>,
    /// Processed events, in processing order.
    processed: Vec<ProcessedEvent>,
}

/// The reference receiver: its scenario, its secret and what it has seen.
#[derive(Clone)]
pub(crate) struct Receiver {
    inner: Arc<Mutex<Inner>>,
    scenario: Scenario,
    secret: Secret,
    shutdown: watch::Receiver<bool>,
}

/// The outcome of judging one delivery, before it is answered.
struct Verdict {
    status: StatusCode,
    body: Value,
    event: ReceivedEvent,
    /// The event to process after acknowledging, if any.
    process: Option<ProcessedEvent>,
}

impl Verdict {
    fn reject(status: StatusCode, error: &str, event: ReceivedEvent) -> Self {
        Verdict {
            status,
            body: json!({"received": false, "error": error}),
            event,
            process: None,
        }
    }
}

/// A header as trimmed text; `None` when missing or not visible ASCII.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

impl Receiver {
    /// A receiver misbehaving as `scenario` (correct for every non-receiver scenario),
    /// verifying with `secret`; `shutdown` releases a hanging request.
    pub(crate) fn new(scenario: Scenario, secret: Secret, shutdown: watch::Receiver<bool>) -> Self {
        Receiver {
            inner: Arc::default(),
            scenario,
            secret,
            shutdown,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every answered delivery, in arrival order (at most the last 10,000).
    pub(crate) fn received(&self) -> Vec<ReceivedEvent> {
        self.lock().log.iter().map(|(_, e)| e.clone()).collect()
    }

    /// Every processed event, in processing order.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn processed(&self) -> Vec<ProcessedEvent> {
        self.lock().processed.clone()
    }

    /// Receives one delivery and answers it.
    pub(crate) async fn handle(
        &self,
        headers: &HeaderMap,
        body: Result<Bytes, BytesRejection>,
    ) -> Response {
        let seq = {
            let mut inner = self.lock();
            inner.next_seq += 1;
            inner.next_seq
        };
        match self.scenario {
            Scenario::ReceiverHangs => {
                // Holds the request open until the client gives up (which drops this
                // future) or the simulator shuts down.
                let mut shutdown = self.shutdown.clone();
                let _ = shutdown.wait_for(|stop| *stop).await;
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
            Scenario::ReceiverSlow => tokio::time::sleep(SLOW_ACK).await,
            _ => {}
        }
        let verdict = self.judge(headers, body);
        let Verdict {
            status,
            body,
            event,
            process,
        } = verdict;
        tracing::info!(
            target: "golive::sim",
            // A sender's words: no terminal control reaches the log.
            event_id = %crate::text::sanitize(&event.event_id),
            event_type = %crate::text::sanitize(&event.event_type),
            status = status.as_u16(),
            verified = event.verified,
            duplicate = event.duplicate,
            scenario = %self.scenario,
            "webhook received"
        );
        {
            let mut inner = self.lock();
            let at = inner.log.partition_point(|(s, _)| *s < seq);
            inner.log.insert(at, (seq, event));
            if inner.log.len() > LOG_CAP {
                inner.log.pop_front();
            }
        }
        if let Some(event) = process {
            // Acknowledge first, process after.
            let me = self.clone();
            tokio::spawn(async move {
                me.lock().processed.push(event);
            });
        }
        (status, Json(body)).into_response()
    }

    /// Decides the answer to a delivery; records the event id as accepted when it is.
    fn judge(&self, headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Verdict {
        let header_id = header(headers, "x-event-id").unwrap_or_default();
        let header_type = header(headers, "x-event-type").unwrap_or_default();
        let mut event = ReceivedEvent {
            event_id: header_id.to_string(),
            event_type: header_type.to_string(),
            status: 0,
            verified: false,
            duplicate: false,
        };
        let reject = |status: StatusCode, error: &str, mut event: ReceivedEvent| {
            event.status = status.as_u16();
            Verdict::reject(status, error, event)
        };

        if self.scenario == Scenario::ReceiverDown {
            return reject(
                StatusCode::INTERNAL_SERVER_ERROR,
                "receiver unavailable",
                event,
            );
        }
        let raw = match body {
            Ok(raw) => raw,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return reject(StatusCode::PAYLOAD_TOO_LARGE, "body too large", event);
            }
            Err(_) => return reject(StatusCode::BAD_REQUEST, "unreadable body", event),
        };
        let parsed = serde_json::from_slice::<Value>(&raw).ok();

        // 1. The signature, over the raw bytes.
        if self.scenario != Scenario::ReceiverNoVerify {
            let Some(signature) = header(headers, "x-signature") else {
                return reject(StatusCode::UNAUTHORIZED, "missing signature", event);
            };
            let ok = match self.scenario {
                Scenario::ReceiverReserializes => {
                    let Some(v) = &parsed else {
                        return reject(StatusCode::BAD_REQUEST, "malformed JSON body", event);
                    };
                    let again = serde_json::to_vec(v).unwrap_or_default();
                    webhook::verify(self.secret.expose().as_bytes(), &again, signature)
                }
                Scenario::ReceiverWrongSecret => {
                    webhook::verify(OTHER_WEBHOOK_SECRET.as_bytes(), &raw, signature)
                }
                _ => webhook::verify(self.secret.expose().as_bytes(), &raw, signature),
            };
            if !ok {
                return reject(StatusCode::UNAUTHORIZED, "invalid signature", event);
            }
            event.verified = true;
        }

        // 2. The replay window.
        if self.scenario != Scenario::ReceiverNoReplayCheck {
            let Some(ts) = header(headers, "x-timestamp").and_then(|t| t.parse::<i64>().ok())
            else {
                return reject(
                    StatusCode::BAD_REQUEST,
                    "missing or malformed X-Timestamp",
                    event,
                );
            };
            let now = jiff::Timestamp::now().as_second();
            if now.abs_diff(ts) > REPLAY_WINDOW_SECS.unsigned_abs() {
                return reject(
                    StatusCode::BAD_REQUEST,
                    "X-Timestamp outside the 5-minute window",
                    event,
                );
            }
        }

        // 3. The event itself.
        let fields = parsed.as_ref().and_then(|v| {
            let id = v.get("id")?.as_str()?;
            let ty = v.get("type")?.as_str()?;
            Some((id.to_string(), ty.to_string()))
        });
        let Some((body_id, body_type)) = fields else {
            return reject(StatusCode::BAD_REQUEST, "not an event envelope", event);
        };
        if event.event_id.is_empty() {
            event.event_id = body_id.clone();
        }
        event.event_type = body_type.clone();
        if event.event_id != body_id || (!header_type.is_empty() && header_type != body_type) {
            return reject(
                StatusCode::BAD_REQUEST,
                "X-Event-ID or X-Event-Type disagrees with the body",
                event,
            );
        }
        let known = webhook::LIVE_EVENT_TYPES.contains(&body_type.as_str());
        if !known && self.scenario == Scenario::ReceiverRejectsUnknown {
            return reject(StatusCode::BAD_REQUEST, "unknown event type", event);
        }

        // 4. De-duplication, and acceptance, under one lock.
        let mut inner = self.lock();
        if inner.seen.contains(&body_id) {
            event.duplicate = true;
            if self.scenario == Scenario::ReceiverRejectsDuplicates {
                return reject(StatusCode::CONFLICT, "duplicate event", event);
            }
            event.status = 200;
            return Verdict {
                status: StatusCode::OK,
                body: json!({"received": true, "duplicate": true}),
                event,
                process: None,
            };
        }
        inner.seen.insert(body_id.clone());
        inner.seen_order.push_back(body_id.clone());
        if inner.seen_order.len() > SEEN_CAP
            && let Some(old) = inner.seen_order.pop_front()
        {
            inner.seen.remove(&old);
        }
        drop(inner);
        event.status = 200;
        // An unknown type is acknowledged and ignored.
        let process = known.then(|| ProcessedEvent {
            event_id: body_id,
            event_type: body_type,
            body: parsed.unwrap_or_default(),
        });
        Verdict {
            status: StatusCode::OK,
            body: json!({"received": true}),
            event,
            process,
        }
    }
}
