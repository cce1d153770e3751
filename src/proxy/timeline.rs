//! What the proxy saw: one [`Exchange`] per request, in a [`Timeline`] per phase,
//! as data for the `client_retry` judge and as one human line each.

use serde::Serialize;

use super::RequestClass;

/// One request the proxy saw, and what it answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exchange {
    /// Arrival order in the phase, from 1.
    pub seq: usize,
    /// The request class fault counters run by.
    pub class: RequestClass,
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Arrival, in milliseconds since the phase began.
    pub arrived_ms: u64,
    /// When the answer was complete, in milliseconds since the phase began; `None`
    /// while the request is in flight.
    pub responded_ms: Option<u64>,
    /// The status returned to the client; `None` while in flight.
    pub status: Option<u16>,
    /// The proxy answered itself (a planned fault); false when passed through.
    pub injected: bool,
    /// The `Retry-After` seconds the client was given, injected or passed through.
    pub retry_after: Option<u64>,
    /// The order body's `client_reference` (order creation only).
    pub client_reference: Option<String>,
    /// The `X-Request-Id` the client sent.
    pub request_id: Option<String>,
    /// What else happened: body rewrites, an unreachable upstream.
    pub note: Option<String>,
}

impl Exchange {
    /// Whether the answer was not a success (or never came).
    pub fn failed(&self) -> bool {
        self.status.is_none_or(|s| s >= 400)
    }

    /// One human line: offset, method, path, status, injected or not, reference,
    /// request id, e.g.
    /// `#3 +2.513s POST /api/v1/orders -> 503 injected ref=smoke-1 id=2Nd...`.
    pub fn line(&self) -> String {
        let status = self
            .status
            .map_or_else(|| "(no answer)".to_string(), |s| s.to_string());
        let how = if self.injected { "injected" } else { "passed" };
        let retry_after = self
            .retry_after
            .map(|s| format!(" Retry-After: {s}"))
            .unwrap_or_default();
        let mut path = self.path.clone();
        if path.chars().count() > 120 {
            path = path.chars().take(117).collect::<String>() + "...";
        }
        let note = self
            .note
            .as_ref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        format!(
            "#{} +{}.{:03}s {} {} -> {status} {how}{retry_after} ref={} id={}{note}",
            self.seq,
            self.arrived_ms / 1000,
            self.arrived_ms % 1000,
            self.method,
            path,
            self.client_reference.as_deref().unwrap_or("-"),
            self.request_id.as_deref().unwrap_or("-"),
        )
    }
}

/// What the proxy saw during one phase, in arrival order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Timeline {
    /// The phase name.
    pub phase: String,
    /// Every request, in arrival order.
    pub entries: Vec<Exchange>,
}

impl Timeline {
    /// One line per request ([`Exchange::line`]).
    pub fn lines(&self) -> Vec<String> {
        self.entries.iter().map(Exchange::line).collect()
    }
}
