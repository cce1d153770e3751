//! `golive proxy`: a fault-injecting reverse proxy that sits between an
//! integration's own client and the Octopus sandbox (or golive's simulator), so
//! golive can watch the client handle rate limits and failures.
//!
//! It answers some requests itself, as a [`Plan`] says (a 429 with `Retry-After`, a
//! 503, a 400), passes the others through, adds unknown fields and never-seen enum
//! values to success bodies, and records a [`Timeline`]: for every request its
//! arrival and response times (milliseconds from the start of the phase), method,
//! path, the status returned, whether the answer was injected or passed through,
//! the order's `client_reference` and the client's `X-Request-Id`. The
//! `client_retry` check ([`crate::checks::client_retry`]) runs the integration's
//! smoke command against it and judges the timeline.
//!
//! Fault counters run per request class ([`RequestClass`]: login, refresh, logout,
//! wallets, other GETs, order create, charges, other), never per `client_reference`.
//!
//! # Plans
//!
//! Built-in plans are named ([`BUILTIN_PLANS`]): `default` (the go-live checklist,
//! see [`Plan::default_plan`]) and `passthrough` (records only). Any other plan is a
//! TOML file:
//!
//! ```toml
//! name = "my-plan"              # optional; defaults to the file name
//!
//! [[phase]]
//! name = "faults"               # unique; each phase is a separate run of the command
//! unknown_fields = true         # passed-through success bodies gain "golive_unknown_field"
//! replace_enums = true          # one wallets and one order response get a never-seen enum value
//! must_succeed = true           # the command must exit 0 (default: true unless stop_after is set)
//!
//! [[phase.fault]]
//! class = "order_create"        # login | refresh | logout | wallets | get | order_create | charges | other
//! nth = 1                       # the n-th request of the class in this phase (1-based), or "all"
//! status = 429                  # 400-599, answered with the Octopus error envelope
//! retry_after = 2               # optional Retry-After seconds
//!
//! [[phase]]
//! name = "outage"
//! stop_after = 10               # more order POSTs than this stop the command
//! [[phase.fault]]
//! class = "order_create"
//! nth = "all"
//! status = 503
//! ```
//!
//! # Safety
//!
//! The proxy refuses the production API as its upstream, and plain `http://` to a
//! host that is not loopback ([`check_upstream`]): it only ever fronts the sandbox or
//! the simulator. Injected answers never reach the upstream, so an order answered
//! 429 by the proxy was never placed.

use crate::faultplan as plan;
mod rewrite;
mod timeline;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use reqwest::Url;
use tokio::sync::watch;

use crate::ksuid;
use crate::octopus::is_loopback_host;
use crate::tier::Tier;

pub use plan::{
    BUILTIN_PLANS, DEFAULT_STOP_AFTER, Fault, Nth, PhasePlan, Plan, RequestClass, load_plan,
    parse_plan,
};
pub use rewrite::{UNKNOWN_FIELD, UNKNOWN_ORDER_STATUS, UNKNOWN_WALLET_TYPE};
pub use timeline::{Exchange, Timeline};

/// Largest request body the proxy accepts (larger ones are answered 413).
const MAX_REQUEST_BODY: usize = 1024 * 1024;
/// Largest upstream response body the proxy relays.
const MAX_RESPONSE_BODY: usize = 8 * 1024 * 1024;
/// Connect timeout towards the upstream.
const UPSTREAM_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Whole-request timeout towards the upstream (eSIM orders may block for 60 s).
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(90);

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The sending end of the request lines of [`ProxyConfig::request_lines`].
pub type RequestLines = tokio::sync::mpsc::UnboundedSender<String>;

/// How to run a proxy.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// Where to listen, e.g. `127.0.0.1:0` for any free port.
    pub listen: SocketAddr,
    /// The API it fronts: the sandbox or a simulator (see [`check_upstream`]).
    pub upstream: Url,
    /// The phase it starts in.
    pub phase: PhasePlan,
    /// Extra trusted roots for an https upstream (an env's `ca_file`).
    pub extra_roots: Vec<reqwest::Certificate>,
    /// Where to send one line per answered request, `PHASE #n ...` (the standalone
    /// `golive proxy` prints them); `None` records the timeline only.
    pub request_lines: Option<RequestLines>,
}

/// Why an upstream is refused, or `--upstream` cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    /// The production API, however spelled.
    #[error(
        "{0} is the production Octopus API; golive injects faults only in front of the sandbox ({sandbox}) or its simulator",
        sandbox = Tier::Sandbox.canonical_url()
    )]
    Production(Url),
    /// Plain `http://` to a host that is not loopback.
    #[error(
        "{0} is plain http:// to a host that is not loopback; the client's credentials would cross the network in clear text"
    )]
    PlainHttp(Url),
    /// Neither `http` nor `https`.
    #[error("{0}: unsupported scheme `{1}` (use https://)")]
    Scheme(Url, String),
    /// `--upstream` is neither `sim` nor an absolute URL.
    #[error("`{input}` is neither `sim` nor a valid URL: {reason}")]
    NotAUrl {
        /// What was given.
        input: String,
        /// Why it does not parse.
        reason: String,
    },
    /// `--upstream` is a URL, but not an http(s) one with a host.
    #[error("`{0}` must be an http(s) URL with a host, or `sim`")]
    NotHttp(String),
}

/// Why an upstream is refused: the proxy fronts only the sandbox or the simulator,
/// and never relays credentials over plain HTTP to a host that is not loopback.
pub fn check_upstream(url: &Url) -> Result<(), UpstreamError> {
    // However it is spelled (`API.octopuscards.io.`): SPEC 8.4.
    if Tier::of_host(url) == Some(Tier::Production) {
        return Err(UpstreamError::Production(url.clone()));
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_host(url) => Ok(()),
        "http" => Err(UpstreamError::PlainHttp(url.clone())),
        other => Err(UpstreamError::Scheme(url.clone(), other.to_string())),
    }
}

/// Where `golive proxy` forwards to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upstream {
    /// An API base URL (the sandbox, or a simulator run elsewhere).
    Url(Url),
    /// A simulator golive starts for the purpose (sandbox tier, healthy).
    Sim,
}

impl std::str::FromStr for Upstream {
    type Err = UpstreamError;

    /// `sim`, or an absolute `http(s)` URL.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "sim" {
            return Ok(Upstream::Sim);
        }
        let url = Url::parse(s).map_err(|e| UpstreamError::NotAUrl {
            input: s.to_string(),
            reason: crate::text::url_problem(e).to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(UpstreamError::NotHttp(s.to_string()));
        }
        Ok(Upstream::Url(url))
    }
}

/// A running proxy. Dropping it stops the server, as does [`ProxyHandle::shutdown`].
pub struct ProxyHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
}

impl std::fmt::Debug for ProxyHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyHandle")
            .field("addr", &self.addr)
            .field("upstream", &self.shared.upstream.as_str())
            .finish_non_exhaustive()
    }
}

impl ProxyHandle {
    /// The proxy's base URL, `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Starts a new phase: the clock, the fault counters, the timeline and the stop
    /// flag start over. Answers still in flight from the old phase are not recorded.
    pub fn begin_phase(&self, phase: PhasePlan) {
        let mut st = self.shared.lock();
        *st = PhaseState::new(phase, st.generation + 1);
    }

    /// A snapshot of the current phase's timeline.
    pub fn timeline(&self) -> Timeline {
        let st = self.shared.lock();
        Timeline {
            phase: st.plan.name.clone(),
            entries: st.entries.clone(),
        }
    }

    /// Whether the current phase's `stop_after` was exceeded: the command should be
    /// stopped now.
    pub fn stop_requested(&self) -> bool {
        self.shared.lock().stop
    }

    /// Stops serving.
    pub fn shutdown(self) {
        // Drop sends the signal.
    }
}

impl Drop for ProxyHandle {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}

struct Shared {
    upstream: Url,
    http: reqwest::Client,
    request_lines: Option<RequestLines>,
    state: Mutex<PhaseState>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, PhaseState> {
        // No code panics while holding the lock; a poisoned one is still consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

struct PhaseState {
    generation: u64,
    plan: PhasePlan,
    started: Instant,
    counts: HashMap<RequestClass, u32>,
    entries: Vec<Exchange>,
    wallet_type_done: bool,
    order_status_done: bool,
    stop: bool,
}

impl PhaseState {
    fn new(plan: PhasePlan, generation: u64) -> Self {
        PhaseState {
            generation,
            plan,
            started: Instant::now(),
            counts: HashMap::new(),
            entries: Vec::new(),
            wallet_type_done: false,
            order_status_done: false,
            stop: false,
        }
    }

    fn offset_ms(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.started).as_millis()).unwrap_or(u64::MAX)
    }
}

/// Binds `config.listen`, spawns the proxy on the current tokio runtime and returns
/// once it is listening. Fails when the address cannot be bound, the upstream is
/// refused ([`check_upstream`]) or the HTTP client cannot be built.
pub async fn serve(config: ProxyConfig) -> std::io::Result<ProxyHandle> {
    check_upstream(&config.upstream)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let mut builder = crate::octopus::client_builder(&config.upstream)
        .connect_timeout(UPSTREAM_CONNECT_TIMEOUT)
        .timeout(UPSTREAM_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none());
    for cert in config.extra_roots {
        builder = builder.add_root_certificate(cert);
    }
    let http = builder.build().map_err(std::io::Error::other)?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        upstream: config.upstream,
        http,
        request_lines: config.request_lines,
        state: Mutex::new(PhaseState::new(config.phase, 0)),
    });
    let router = axum::Router::new()
        .fallback(handle)
        .with_state(shared.clone());
    let (shutdown, mut rx) = watch::channel(false);
    tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = rx.wait_for(|stop| *stop).await;
            })
            .await;
        if let Err(e) = served {
            tracing::warn!(target: "golive::proxy", error = %e, "proxy stopped with an error");
        }
    });
    tracing::debug!(target: "golive::proxy", %addr, upstream = %shared.upstream, "proxy listening");
    Ok(ProxyHandle {
        addr,
        shared,
        shutdown,
    })
}

/// What the handler decided and observed, recorded once the answer is ready.
struct Outcome {
    response: Response,
    status: u16,
    injected: bool,
    retry_after: Option<u64>,
    note: Option<String>,
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let arrived = Instant::now();
    let (parts, body) = req.into_parts();
    let method = parts.method.clone();
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_string(), |p| p.as_str().to_string());
    let class = RequestClass::of(method.as_str(), &path);
    let request_id = parts
        .headers
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    let (body, too_large) = match axum::body::to_bytes(body, MAX_REQUEST_BODY).await {
        Ok(b) => (b, false),
        Err(_) => (Bytes::new(), true),
    };
    let client_reference = (class == RequestClass::OrderCreate)
        .then(|| client_reference_of(&body))
        .flatten();

    let (generation, index, fault, phase_name) = {
        let mut st = shared.lock();
        let n = {
            let count = st.counts.entry(class).or_insert(0);
            *count += 1;
            *count
        };
        let fault = if too_large {
            Some(Fault {
                class,
                nth: Nth::Only(n),
                status: 413,
                retry_after: None,
            })
        } else {
            st.plan.fault_for(class, n).cloned()
        };
        if class == RequestClass::OrderCreate && st.plan.stop_after.is_some_and(|s| n > s) {
            st.stop = true;
        }
        let seq = st.entries.len() + 1;
        let arrived_ms = st.offset_ms(arrived);
        st.entries.push(Exchange {
            seq,
            class,
            method: method.to_string(),
            path: path.clone(),
            arrived_ms,
            responded_ms: None,
            status: None,
            injected: false,
            retry_after: None,
            client_reference,
            request_id: request_id.clone(),
            note: None,
        });
        (st.generation, seq - 1, fault, st.plan.name.clone())
    };

    let outcome = match fault {
        Some(f) => injected_answer(&f, request_id.as_deref(), too_large),
        None => forward(&shared, generation, class, &parts, body).await,
    };

    let line = {
        let mut st = shared.lock();
        let now = st.offset_ms(Instant::now());
        let current = st.generation == generation;
        match st.entries.get_mut(index).filter(|_| current) {
            Some(e) => {
                e.responded_ms = Some(now);
                e.status = Some(outcome.status);
                e.injected = outcome.injected;
                e.retry_after = outcome.retry_after;
                e.note = outcome.note;
                Some(e.line())
            }
            None => None,
        }
    };
    if let Some(line) = line {
        tracing::debug!(target: "golive::proxy", phase = %phase_name, "{line}");
        if let Some(lines) = &shared.request_lines {
            // The receiver gone (the command stopping) is no reason to fail a request.
            let _ = lines.send(format!("{phase_name} {line}"));
        }
    }
    outcome.response
}

/// The `client_reference` of an order body, when it is a non-empty string.
fn client_reference_of(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("client_reference")
        .and_then(serde_json::Value::as_str)
        .filter(|s| !s.is_empty())
        // The client's own text, printed in timelines: cleaned where it enters.
        .map(crate::text::sanitize)
}

/// The proxy's own answer: the documented error envelope, `X-Request-Id` (the
/// client's when it is KSUID-compatible) and `Retry-After` when the fault has one.
fn injected_answer(fault: &Fault, request_id: Option<&str>, too_large: bool) -> Outcome {
    let (name, code, what) = match fault.status {
        400 => ("BadRequestError", "BAD_REQUEST", "Bad request"),
        401 => ("UnauthorizedError", "UNAUTHORIZED", "Invalid token"),
        403 => ("ForbiddenError", "FORBIDDEN", "Forbidden"),
        404 => ("NotFoundError", "NOT_FOUND", "Not found"),
        413 => (
            "PayloadTooLargeError",
            "PAYLOAD_TOO_LARGE",
            "Request body too large",
        ),
        429 => (
            "TooManyRequestsError",
            "TOO_MANY_REQUESTS",
            "Rate limit exceeded.",
        ),
        500 => (
            "InternalServerError",
            "INTERNAL_SERVER_ERROR",
            "Internal server error",
        ),
        502 => ("BadGatewayError", "BAD_GATEWAY", "Bad gateway"),
        503 => (
            "ServiceUnavailableError",
            "SERVICE_UNAVAILABLE",
            "Service unavailable",
        ),
        504 => ("GatewayTimeoutError", "GATEWAY_TIMEOUT", "Gateway timeout"),
        s if s < 500 => ("BadRequestError", "BAD_REQUEST", "Request refused"),
        _ => (
            "InternalServerError",
            "INTERNAL_SERVER_ERROR",
            "Server error",
        ),
    };
    let message = match fault.retry_after {
        Some(s) if fault.status == 429 => format!("{what} Retry after {s} seconds."),
        _ => what.to_string(),
    };
    let body = serde_json::json!({
        "error": { "name": name, "code": code, "message": format!("{message} (injected by golive proxy)") }
    });
    let mut response = json_response(
        StatusCode::from_u16(fault.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
        serde_json::to_vec(&body).unwrap_or_default(),
    );
    let id = request_id
        .filter(|id| ksuid::is_compatible(id))
        .map_or_else(ksuid::new, str::to_string);
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(X_REQUEST_ID, v);
    }
    if let Some(s) = fault.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(s));
    }
    Outcome {
        response,
        status: fault.status,
        injected: true,
        retry_after: fault.retry_after,
        note: too_large.then(|| format!("request body over {MAX_REQUEST_BODY} bytes")),
    }
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Hop-by-hop headers (RFC 9110 section 7.6.1) and those the proxy recomputes.
fn is_hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "proxy-connection"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "host"
            | "content-length"
    )
}

/// Passes a request to the upstream and relays the answer, rewriting success bodies
/// as the phase says. An unreachable upstream is answered 502 (not injected).
async fn forward(
    shared: &Shared,
    generation: u64,
    class: RequestClass,
    parts: &axum::http::request::Parts,
    body: Bytes,
) -> Outcome {
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let target = format!("{}{}", shared.upstream.as_str().trim_end_matches('/'), path);
    let mut headers = HeaderMap::new();
    for (name, value) in &parts.headers {
        // Ask for an identity body, so that it can be rewritten.
        if !is_hop_by_hop(name) && name != header::ACCEPT_ENCODING {
            headers.append(name.clone(), value.clone());
        }
    }
    let sent = async {
        let url = Url::parse(&target).map_err(|e| e.to_string())?;
        let resp = shared
            .http
            .request(parts.method.clone(), url)
            .headers(headers)
            .body(body)
            .send()
            .await
            .map_err(|e| crate::text::describe_http_error(&e))?;
        let status = resp.status();
        let resp_headers = resp.headers().clone();
        let mut resp = resp;
        let mut bytes = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| crate::text::describe_http_error(&e))?
        {
            if bytes.len() + chunk.len() > MAX_RESPONSE_BODY {
                return Err(format!(
                    "the upstream's answer is larger than {MAX_RESPONSE_BODY} bytes"
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok::<_, String>((status, resp_headers, bytes))
    };
    let (status, resp_headers, bytes) = match sent.await {
        Ok(r) => r,
        Err(why) => {
            let body = serde_json::json!({
                "error": { "name": "BadGatewayError", "code": "BAD_GATEWAY",
                           "message": format!("golive proxy: upstream unreachable: {why}") }
            });
            return Outcome {
                response: json_response(
                    StatusCode::BAD_GATEWAY,
                    serde_json::to_vec(&body).unwrap_or_default(),
                ),
                status: 502,
                injected: false,
                retry_after: None,
                note: Some(format!("upstream unreachable: {why}")),
            };
        }
    };

    let retry_after = resp_headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::octopus::parse_retry_after)
        .map(|d| d.as_secs());
    let mut note = None;
    let mut body = bytes;
    let encoded = resp_headers.contains_key(header::CONTENT_ENCODING);
    if status.is_success() && !encoded {
        let mut st = shared.lock();
        if st.generation == generation {
            let is_order = class == RequestClass::OrderCreate
                || (parts.method == axum::http::Method::GET && path.starts_with("/api/v1/orders"));
            let edits = rewrite::Edits {
                unknown_field: st.plan.unknown_fields,
                wallet_type: st.plan.replace_enums
                    && class == RequestClass::Wallets
                    && !st.wallet_type_done,
                order_status: st.plan.replace_enums && is_order && !st.order_status_done,
            };
            let rewritten = rewrite::rewrite(&body, edits);
            st.wallet_type_done |= rewritten.wallet_type;
            st.order_status_done |= rewritten.order_status;
            note = rewritten.note();
            body = rewritten.body;
        }
    }
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    for (name, value) in &resp_headers {
        if !is_hop_by_hop(name) {
            response.headers_mut().append(name.clone(), value.clone());
        }
    }
    Outcome {
        response,
        status: status.as_u16(),
        injected: false,
        retry_after,
        note,
    }
}

#[cfg(test)]
mod tests;
