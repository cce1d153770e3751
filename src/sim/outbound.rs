//! Outbound webhook deliveries: every event the simulated account records
//! (`wallet.*`, `order.*`) is POSTed, signed exactly as Octopus signs
//! (`crate::webhook`), to the registered URL, which is the simulator's own reference
//! receiver unless [`super::SimConfig::webhook_url`] says otherwise.
//!
//! A background task takes events from the account's outbox channel, so an API
//! handler never waits on a delivery, and gives each event its own task: up to
//! [`MAX_ATTEMPTS`] attempts of at most [`ATTEMPT_TIMEOUT`] each, the same
//! `X-Event-ID` and body every time, a fresh `X-Timestamp` and signature per attempt,
//! retried on anything but a 2xx after `backoff`, `2 × backoff`, `4 × backoff`, ….
//! Redirects are not followed. Events are not ordered with respect to each other, as
//! Octopus does not promise any order either.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::SimEvent;
use crate::secret::Secret;
use crate::webhook::{self, Delivery};

/// Attempts per event, the first included.
pub(crate) const MAX_ATTEMPTS: u32 = 5;
/// How long one attempt may take before it counts as unanswered.
pub(crate) const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How many attempts [`DeliveryLog`] keeps before dropping the oldest.
const LOG_CAP: usize = 10_000;

/// One attempt to deliver one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    /// `X-Event-ID`, the same for every attempt of an event.
    pub event_id: String,
    /// `X-Event-Type`, e.g. `order.delivered`.
    pub event_type: String,
    /// Where it was sent.
    pub url: String,
    /// 1 for the first attempt, 2 for the first retry, and so on.
    pub attempt: u32,
    /// The HTTP status answered; `None` when there was no answer (connection error,
    /// timeout).
    pub status: Option<u16>,
}

/// Every attempt so far, oldest first, shared by the handle and the delivery tasks.
#[derive(Debug, Clone, Default)]
pub(crate) struct DeliveryLog(Arc<Mutex<VecDeque<DeliveryAttempt>>>);

impl DeliveryLog {
    fn lock(&self) -> MutexGuard<'_, VecDeque<DeliveryAttempt>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, attempt: DeliveryAttempt) {
        let mut log = self.lock();
        log.push_back(attempt);
        if log.len() > LOG_CAP {
            log.pop_front();
        }
    }

    /// A snapshot, oldest first.
    pub(crate) fn snapshot(&self) -> Vec<DeliveryAttempt> {
        self.lock().iter().cloned().collect()
    }
}

/// Where and how to deliver.
pub(crate) struct Outbound {
    /// The registered URL.
    pub(crate) url: String,
    /// The webhook secret deliveries are signed with.
    pub(crate) secret: Secret,
    /// The wait after the first failed attempt; doubled after each further one.
    pub(crate) backoff: Duration,
    /// Where attempts are recorded.
    pub(crate) log: DeliveryLog,
    /// Deliver every event twice (section 10.6: events "can arrive more than once"):
    /// once acknowledged, the same event (same `X-Event-ID` and body) is delivered
    /// again, with its own retries. [`super::Scenario::DuplicateDeliveries`].
    pub(crate) repeat: bool,
    /// Becomes `true` when the simulator stops; deliveries stop with it.
    pub(crate) shutdown: watch::Receiver<bool>,
}

/// The HTTP client for deliveries: no redirects, no proxy (the registered URL is
/// called directly, as Octopus would).
pub(crate) fn client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(ATTEMPT_TIMEOUT)
        .build()
}

/// The URL as it may be logged: scheme, host, port and path only (no credentials,
/// query or fragment, which may carry a token).
fn loggable(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => "(invalid URL)".to_string(),
    }
}

/// Spawns the delivery task: one sub-task per event from `events`, until the
/// simulator shuts down or the channel closes.
pub(crate) fn spawn(
    outbound: Outbound,
    client: reqwest::Client,
    mut events: mpsc::UnboundedReceiver<SimEvent>,
) {
    let outbound = Arc::new(outbound);
    tokio::spawn(async move {
        let mut shutdown = outbound.shutdown.clone();
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Some(event) => {
                        tokio::spawn(deliver(outbound.clone(), client.clone(), event));
                    }
                    None => break,
                },
                _ = shutdown.wait_for(|stop| *stop) => break,
            }
        }
    });
}

/// Delivers one event, retrying with exponential backoff; records every attempt.
async fn deliver(out: Arc<Outbound>, client: reqwest::Client, event: SimEvent) {
    let mut shutdown = out.shutdown.clone();
    let body = webhook::event_body(
        &event.id,
        event.event_type,
        &event.created_at.to_string(),
        event.data.clone(),
    );
    let rounds = if out.repeat { 2 } else { 1 };
    for _ in 0..rounds {
        if !deliver_once(&out, &client, &event, &body, &mut shutdown).await {
            return;
        }
    }
}

/// One delivery of an event with its retries; `true` when it was acknowledged.
async fn deliver_once(
    out: &Outbound,
    client: &reqwest::Client,
    event: &SimEvent,
    body: &[u8],
    shutdown: &mut watch::Receiver<bool>,
) -> bool {
    let url = loggable(&out.url);
    for attempt in 1..=MAX_ATTEMPTS {
        if *shutdown.borrow() {
            return false;
        }
        let delivery = Delivery::signed(
            out.secret.expose().as_bytes(),
            &event.id,
            event.event_type,
            jiff::Timestamp::now().as_second(),
            body.to_vec(),
        );
        let mut request = client.post(&out.url).timeout(ATTEMPT_TIMEOUT);
        for (name, value) in delivery.headers() {
            request = request.header(name, value);
        }
        let request = request.body(delivery.body);
        let status = tokio::select! {
            answer = request.send() => answer.ok().map(|r| r.status().as_u16()),
            _ = shutdown.wait_for(|stop| *stop) => return false,
        };
        tracing::info!(
            target: "golive::sim",
            event_id = %event.id,
            event_type = event.event_type,
            url = %url,
            attempt,
            status = status.map_or_else(|| "no answer".to_string(), |s| s.to_string()),
            "webhook delivery"
        );
        out.log.push(DeliveryAttempt {
            event_id: event.id.clone(),
            event_type: event.event_type.to_string(),
            url: out.url.clone(),
            attempt,
            status,
        });
        if status.is_some_and(|s| (200..300).contains(&s)) {
            return true;
        }
        if attempt == MAX_ATTEMPTS {
            return false;
        }
        let wait = out.backoff.saturating_mul(1 << (attempt - 1));
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = shutdown.wait_for(|stop| *stop) => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loggable_drops_credentials_and_query() {
        assert_eq!(
            loggable("https://user:pw@example.com:8443/hook?token=abc#x"),
            "https://example.com:8443/hook"
        );
        assert_eq!(loggable("not a url"), "(invalid URL)");
    }
}
