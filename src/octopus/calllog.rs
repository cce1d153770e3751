//! The calls one check made, recorded as they are sent: method, path, status,
//! request id and time, for the report and for support tickets.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;

/// One HTTP request golive made, for the report and for support tickets.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CallRecord {
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Status code, when an answer came.
    pub status: Option<u16>,
    /// The `X-Request-Id` the API returned (or the one golive sent, if none came back).
    pub request_id: String,
    /// Whether the API echoed the id golive sent.
    pub echoed: bool,
    /// Time to the full answer, in milliseconds.
    pub duration_ms: u64,
}

/// The calls one check made: a cheap, cloneable handle, so that the runner can
/// still read the request ids of a check it cancelled on timeout. A call is recorded
/// before it is sent, so even a request that never got an answer can be quoted.
#[derive(Debug, Clone, Default)]
pub struct CallLog {
    inner: Arc<Mutex<LogInner>>,
}

#[derive(Debug, Default)]
struct LogInner {
    calls: Vec<CallRecord>,
    shared_ids: Vec<String>,
}

impl CallLog {
    pub(super) fn begin(&self, method: &Method, path: &str, sent_id: &str) -> usize {
        let mut inner = self.lock();
        inner.calls.push(CallRecord {
            method: method.to_string(),
            path: path.to_string(),
            status: None,
            request_id: sent_id.to_string(),
            echoed: false,
            duration_ms: 0,
        });
        inner.calls.len() - 1
    }

    pub(super) fn finish(
        &self,
        index: usize,
        status: Option<u16>,
        returned: Option<&str>,
        elapsed: Duration,
    ) {
        let mut inner = self.lock();
        if let Some(call) = inner.calls.get_mut(index) {
            call.status = status;
            call.duration_ms = elapsed.as_millis() as u64;
            if let Some(id) = returned {
                call.echoed = call.request_id == id;
                call.request_id = id.to_string();
            }
        }
    }

    pub(super) fn extend(&self, other: &CallLog) {
        let calls = other.calls();
        self.lock().calls.extend(calls);
    }

    /// Records the request id of a shared call (the run's login) this check relied on.
    pub fn add_shared(&self, id: &str) {
        let mut inner = self.lock();
        if !inner.shared_ids.iter().any(|s| s == id) {
            inner.shared_ids.push(id.to_string());
        }
    }

    /// The calls this check made itself, in order.
    pub fn calls(&self) -> Vec<CallRecord> {
        self.lock().calls.clone()
    }

    /// Every request id this check can quote, in order, without duplicates.
    pub fn request_ids(&self) -> Vec<String> {
        let inner = self.lock();
        let mut ids: Vec<String> = Vec::new();
        for id in inner
            .shared_ids
            .iter()
            .chain(inner.calls.iter().map(|c| &c.request_id))
        {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        ids
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LogInner> {
        // A panic while holding this lock cannot leave the log inconsistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}
