//! The Octopus API client golive uses for its probes.
//!
//! It is deliberately small and read-mostly, and the production-safety rules of
//! SPEC section 5 are enforced here, in code, rather than by convention in checks:
//!
//! - there is no method for `/auth/logout`, `/auth/refresh` or order creation at all;
//! - login happens at most once per client (one client per run and environment) and
//!   the session is shared by every check;
//! - against a production tier the whole run may make at most [`PRODUCTION_CALL_BUDGET`]
//!   HTTP requests, retries included;
//! - credentials are never sent over plain HTTP to a non-loopback host, and TLS
//!   verification is never disabled (an env's `ca_file` can only *add* a root);
//! - every request carries a fresh KSUID `X-Request-Id`, has a timeout bounded by the
//!   calling check's deadline, and its body is read with a size cap;
//! - a 429 is retried after `Retry-After` only while that fits in the deadline.

mod calllog;
pub mod types;

pub use calllog::{CallLog, CallRecord};

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use tokio::sync::OnceCell;
use tokio::time::Instant;

use crate::secret::Secret;
use crate::tier::Tier;
use types::{Currency, ErrorBody, LoginData, Wallet};

/// Most HTTP requests golive makes against a production tier in one run.
pub const PRODUCTION_CALL_BUDGET: usize = 5;
/// Largest response body golive reads.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Connect timeout for API connections (also bounded by each check's deadline).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest `X-Request-Id` from the API that golive keeps (a KSUID has 27).
const MAX_REQUEST_ID_CHARS: usize = 128;
/// Longest API error text (code, message) golive keeps.
const MAX_ERROR_TEXT_CHARS: usize = 300;
/// How much of an unexpected body golive quotes.
const PREVIEW_CHARS: usize = 80;
/// Most 429 retries of one call.
const MAX_429_RETRIES: usize = 3;
/// The longest `Retry-After` golive takes at its word (one day): a longer one is
/// read as this, so no arithmetic on it can overflow (SPEC 8.5). No check's
/// budget comes near it, so such a 429 is reported as rate limited, not waited for.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(86_400);

/// Why an API call gave no usable answer. Messages never contain secrets.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// 401: credentials or token refused.
    #[error("HTTP 401 {}", describe(.body))]
    Unauthorized {
        /// The error envelope, if any.
        body: ErrorBody,
    },
    /// 403: blocked by the IP allowlist or a feature flag.
    #[error("HTTP 403 {}", describe(.body))]
    Forbidden {
        /// The error envelope, if any.
        body: ErrorBody,
    },
    /// 429 until the deadline.
    #[error("HTTP 429 Too Many Requests{}", .retry_after.map(|d| format!(" (Retry-After {}s does not fit in the check's remaining time)", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// The last `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// Any other non-2xx status.
    #[error("HTTP {status} {}", describe(.body))]
    Status {
        /// The HTTP status.
        status: u16,
        /// The error envelope, if any.
        body: ErrorBody,
    },
    /// No answer before the deadline.
    #[error("no answer within the check's time budget ({0})")]
    Timeout(String),
    /// Could not connect, DNS failure, TLS failure, reset.
    #[error("{0}")]
    Transport(String),
    /// The body is not what the API documents (not JSON, wrong shape, truncated, too large).
    #[error("{0}")]
    InvalidResponse(String),
    /// The production call budget is spent.
    #[error(
        "golive's production call budget ({PRODUCTION_CALL_BUDGET} API calls per run) is spent"
    )]
    BudgetExhausted,
    /// Refused to send credentials over plain HTTP to a non-loopback host.
    #[error("refusing to send credentials over plain http:// to {0}")]
    InsecureScheme(String),
    /// There are no credentials to log in with.
    #[error("no credentials to log in with")]
    NoCredentials,
    /// The base URL is the other tier's API host: nothing is sent (SPEC 8.4).
    #[error("refusing to call {0}")]
    WrongTierHost(String),
}

fn describe(body: &ErrorBody) -> String {
    match (&body.code, &body.message) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.clone(),
        (None, Some(m)) => m.clone(),
        (None, None) => String::new(),
    }
}

impl ApiError {
    /// The API's error code (`FORBIDDEN`, ...), when it sent an envelope.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Unauthorized { body }
            | ApiError::Forbidden { body }
            | ApiError::Status { body, .. } => body.code.as_deref(),
            _ => None,
        }
    }
}

/// The key pair used at login.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// API key (login `username`).
    pub key: Secret,
    /// API secret (login `password`).
    pub secret: Secret,
}

/// A logged-in session, shared by every check of a run.
#[derive(Debug, Clone)]
pub struct Session {
    token: Secret,
    /// The account the credentials belong to.
    pub client_id: Option<String>,
    /// Raw `access_expires_at` from the API.
    pub access_expires_at: Option<String>,
    /// Request id of the login call.
    pub request_id: String,
    /// HTTP status of the login call.
    pub status: u16,
}

/// Wallets with their currency codes, fetched once per run.
#[derive(Debug, Clone)]
pub struct WalletBook {
    /// `GET /api/v1/wallets`.
    pub wallets: Vec<Wallet>,
    /// `GET /api/v1/currencies`.
    pub currencies: Vec<Currency>,
    /// Request ids of the two calls.
    pub request_ids: Vec<String>,
}

impl WalletBook {
    /// The ISO code for a currency id.
    pub fn code_of(&self, currency_id: i64) -> Option<&str> {
        self.currencies
            .iter()
            .find(|c| c.id == currency_id)
            .map(|c| c.currency.as_str())
    }
}

/// How to build a client for one environment.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// API base URL, e.g. `https://api.octopuscards.io`.
    pub base_url: Url,
    /// The env's tier; production turns on the call budget.
    pub tier: Tier,
    /// Extra trusted root certificate, PEM.
    pub ca_pem: Option<Vec<u8>>,
}

/// The Octopus API client for one run against one environment.
#[derive(Debug)]
pub struct OctopusClient {
    http: reqwest::Client,
    base: Url,
    /// The tier whose rules apply: production's whenever the host is production's.
    tier: Tier,
    /// Set when the env's tier and its host's tier differ: then nothing is sent.
    wrong_tier_host: Option<String>,
    /// Shared with every [`OctopusClient::retry_client`] of the run, so that the
    /// production call budget covers retries too.
    calls_made: Arc<AtomicUsize>,
    session: OnceCell<Result<Session, ApiError>>,
    wallets: OnceCell<Result<WalletBook, ApiError>>,
}

/// An HTTP client builder for requests to `url`: golive's user agent, and no proxy
/// for a loopback target, so that nothing meant for this machine (a simulator's
/// credentials, a local receiver's secret) ever travels to a proxy from the
/// environment. Other targets honour the usual proxy variables, as the integration
/// itself would.
pub fn client_builder(url: &Url) -> reqwest::ClientBuilder {
    let builder =
        reqwest::Client::builder().user_agent(concat!("golive/", env!("CARGO_PKG_VERSION")));
    if is_loopback_host(url) {
        builder.no_proxy()
    } else {
        builder
    }
}

impl OctopusClient {
    /// Builds the client. Fails only on a bad `ca_pem`.
    pub fn new(config: ClientConfig) -> Result<Arc<Self>, String> {
        let mut builder = client_builder(&config.base_url)
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none());
        if let Some(pem) = &config.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| format!("ca_file is not a PEM certificate: {e}"))?;
            if certs.is_empty() {
                return Err("ca_file holds no PEM certificate".into());
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        // One notion of a host (SPEC 8.4): whatever the env says, a client aimed at
        // the production host keeps production's budget, and a client aimed at the
        // other tier's host sends nothing at all.
        let host_tier = Tier::of_host(&config.base_url);
        let tier = host_tier.unwrap_or(config.tier).max_safety(config.tier);
        let wrong_tier_host = host_tier.filter(|h| *h != config.tier).map(|h| {
            format!(
                "{}: it is the {h} API host, and this env's tier is {}",
                crate::tier::normalize_host(config.base_url.host_str().unwrap_or("")),
                config.tier
            )
        });
        Ok(Arc::new(OctopusClient {
            http,
            base: config.base_url,
            tier,
            wrong_tier_host,
            calls_made: Arc::new(AtomicUsize::new(0)),
            session: OnceCell::new(),
            wallets: OnceCell::new(),
        }))
    }

    /// A client for re-running a check (`retries`): the same connection settings
    /// and the same call counter, so the production budget spans every attempt,
    /// but nothing cached from the failed attempt: its wallets are fetched again.
    /// Against production the run's login outcome is kept (golive logs in at most
    /// once per run); elsewhere the retry logs in afresh.
    pub fn retry_client(&self) -> Arc<Self> {
        let session = OnceCell::new();
        if self.tier == Tier::Production
            && let Some(outcome) = self.session.get()
        {
            let _ = session.set(outcome.clone());
        }
        Arc::new(OctopusClient {
            http: self.http.clone(),
            base: self.base.clone(),
            tier: self.tier,
            wrong_tier_host: self.wrong_tier_host.clone(),
            calls_made: self.calls_made.clone(),
            session,
            wallets: OnceCell::new(),
        })
    }

    /// The base URL.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// How many HTTP requests this client has made.
    pub fn calls_made(&self) -> usize {
        self.calls_made.load(Ordering::SeqCst)
    }

    /// Whether sending credentials to the base URL is allowed (https, or http to loopback).
    pub fn transport_is_safe(&self) -> Result<(), ApiError> {
        if self.base.scheme() == "https" || is_loopback_host(&self.base) {
            Ok(())
        } else {
            Err(ApiError::InsecureScheme(
                self.base.host_str().unwrap_or("?").to_string(),
            ))
        }
    }

    /// Logs in once; every later caller gets the same outcome without a new request.
    /// The login's request id is added to `log` of every caller.
    pub async fn login(
        &self,
        creds: Option<&Credentials>,
        log: &CallLog,
        deadline: Instant,
    ) -> Result<Session, ApiError> {
        let own_log = CallLog::default();
        let result = self
            .session
            .get_or_init(|| async {
                let creds = creds.ok_or(ApiError::NoCredentials)?;
                self.transport_is_safe()?;
                let body = serde_json::json!({
                    "username": creds.key.expose(),
                    "password": creds.secret.expose(),
                });
                let (status, value, request_id) = self
                    .send_json(
                        Method::POST,
                        "/auth/login",
                        None,
                        Some(body),
                        &own_log,
                        deadline,
                    )
                    .await?;
                let data: LoginData =
                    serde_json::from_value(types::unwrap_data(value)).map_err(|e| {
                        ApiError::InvalidResponse(format!(
                            "login answer is not the documented shape: {e}"
                        ))
                    })?;
                let token = Secret::new(data.access_token);
                crate::secret::register(&token);
                Ok(Session {
                    token,
                    client_id: data.client_id.map(|v| match v {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    }),
                    access_expires_at: data.access_expires_at,
                    request_id,
                    status,
                })
            })
            .await
            .clone();
        log.extend(&own_log);
        if let Ok(session) = &result {
            log.add_shared(&session.request_id);
        }
        result
    }

    /// The login outcome, if some check already logged in (or failed to).
    pub fn session(&self) -> Option<&Result<Session, ApiError>> {
        self.session.get()
    }

    /// Wallets and currencies, fetched once per run and shared by every wallet check.
    pub async fn wallet_book(
        &self,
        session: &Session,
        log: &CallLog,
        deadline: Instant,
    ) -> Result<WalletBook, ApiError> {
        let own_log = CallLog::default();
        let result = self
            .wallets
            .get_or_init(|| async {
                let (w, c) = tokio::join!(
                    self.get::<Vec<Wallet>>("/api/v1/wallets", session, &own_log, deadline),
                    self.get::<Vec<Currency>>("/api/v1/currencies", session, &own_log, deadline),
                );
                Ok(WalletBook {
                    wallets: w?,
                    currencies: c?,
                    request_ids: own_log.request_ids(),
                })
            })
            .await
            .clone();
        match &result {
            Ok(book) => book.request_ids.iter().for_each(|id| log.add_shared(id)),
            Err(_) => log.extend(&own_log),
        }
        result
    }

    /// A GET of a documented resource, typed.
    pub async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        session: &Session,
        log: &CallLog,
        deadline: Instant,
    ) -> Result<T, ApiError> {
        let (_, value, _) = self
            .send_json(Method::GET, path, Some(session), None, log, deadline)
            .await?;
        serde_json::from_value(types::unwrap_data(value)).map_err(|e| {
            ApiError::InvalidResponse(format!(
                "GET {path}: the answer is not the documented shape: {e}"
            ))
        })
    }

    /// A GET that sends a caller-chosen `X-Request-Id` and returns the id that came back.
    pub async fn get_with_request_id(
        &self,
        path: &str,
        session: &Session,
        request_id: &str,
        log: &CallLog,
        deadline: Instant,
    ) -> Result<Option<String>, ApiError> {
        let reply = self
            .send(
                Method::GET,
                path,
                Some(session),
                None,
                Some(request_id),
                log,
                deadline,
            )
            .await?;
        Ok(reply.returned_id)
    }

    async fn send_json(
        &self,
        method: Method,
        path: &str,
        session: Option<&Session>,
        body: Option<serde_json::Value>,
        log: &CallLog,
        deadline: Instant,
    ) -> Result<(u16, serde_json::Value, String), ApiError> {
        let reply = self
            .send(method.clone(), path, session, body, None, log, deadline)
            .await?;
        let mut value: serde_json::Value = serde_json::from_slice(&reply.body).map_err(|e| {
            ApiError::InvalidResponse(format!(
                "{method} {path}: the answer is not JSON ({e}); it starts with {}",
                preview(&reply.body)
            ))
        })?;
        intake(&mut value);
        Ok((reply.status, value, reply.request_id))
    }

    /// Sends one request, honouring `Retry-After` on 429 while it fits the deadline.
    #[allow(clippy::too_many_arguments)]
    async fn send(
        &self,
        method: Method,
        path: &str,
        session: Option<&Session>,
        body: Option<serde_json::Value>,
        request_id: Option<&str>,
        log: &CallLog,
        deadline: Instant,
    ) -> Result<Reply, ApiError> {
        let url = self
            .base
            .join(path)
            .map_err(|e| ApiError::Transport(format!("cannot build the URL for {path}: {e}")))?;
        if let Some(why) = &self.wrong_tier_host {
            return Err(ApiError::WrongTierHost(why.clone()));
        }
        let mut retries = 0;
        loop {
            if self.tier == Tier::Production
                && self.calls_made.fetch_add(1, Ordering::SeqCst) >= PRODUCTION_CALL_BUDGET
            {
                return Err(ApiError::BudgetExhausted);
            } else if self.tier != Tier::Production {
                self.calls_made.fetch_add(1, Ordering::SeqCst);
            }
            let sent_id = request_id.map_or_else(crate::ksuid::new, str::to_string);
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(ApiError::Timeout(format!("{method} {path} not sent")));
            }
            let mut req = self
                .http
                .request(method.clone(), url.clone())
                .timeout(remaining)
                .header("X-Request-Id", &sent_id)
                .header("Accept", "application/json");
            if let Some(s) = session {
                req = req.bearer_auth(s.token.expose());
            }
            if let Some(b) = &body {
                req = req.json(b);
            }
            let started = Instant::now();
            let index = log.begin(&method, path, &sent_id);
            let outcome = tokio::time::timeout(remaining, async {
                let resp = req
                    .send()
                    .await
                    .map_err(|e| transport_error(e, &method, path))?;
                let status = resp.status();
                let returned = resp
                    .headers()
                    .get("x-request-id")
                    .map(|v| crate::text::untrusted(v.as_bytes(), MAX_REQUEST_ID_CHARS));
                let retry_after = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let bytes = read_capped(resp, &method, path).await?;
                Ok::<_, ApiError>((status, returned, retry_after, bytes))
            })
            .await;
            let elapsed = started.elapsed();
            let (status, returned, retry_after, bytes) = match outcome {
                Ok(Ok(parts)) => parts,
                Ok(Err(e)) => {
                    log.finish(index, None, None, elapsed);
                    tracing::info!(target: "golive::api", "{method} {path} -> {e} (request id {sent_id}, {}ms)", elapsed.as_millis());
                    return Err(e);
                }
                Err(_) => {
                    log.finish(index, None, None, elapsed);
                    tracing::info!(target: "golive::api", "{method} {path} -> timed out (request id {sent_id})");
                    return Err(ApiError::Timeout(format!(
                        "{method} {path} after {}ms",
                        elapsed.as_millis()
                    )));
                }
            };
            log.finish(index, Some(status.as_u16()), returned.as_deref(), elapsed);
            tracing::info!(target: "golive::api", "{method} {path} -> {} (request id {}, {}ms)", status.as_u16(),
                returned.as_deref().unwrap_or(&sent_id), elapsed.as_millis());
            if status.is_success() {
                return Ok(Reply {
                    status: status.as_u16(),
                    request_id: returned.clone().unwrap_or(sent_id),
                    returned_id: returned,
                    body: bytes,
                });
            }
            let envelope = error_envelope(&bytes);
            match status {
                StatusCode::UNAUTHORIZED => return Err(ApiError::Unauthorized { body: envelope }),
                StatusCode::FORBIDDEN => return Err(ApiError::Forbidden { body: envelope }),
                StatusCode::TOO_MANY_REQUESTS => {
                    let wait = retry_after
                        .as_deref()
                        .and_then(parse_retry_after)
                        .or_else(|| {
                            envelope
                                .message
                                .as_deref()
                                .and_then(retry_after_from_message)
                        })
                        .unwrap_or(Duration::from_secs(1))
                        .min(MAX_RETRY_AFTER);
                    let fits = Instant::now()
                        .checked_add(wait.saturating_add(Duration::from_millis(50)))
                        .is_some_and(|ready| ready < deadline);
                    if retries >= MAX_429_RETRIES || !fits {
                        return Err(ApiError::RateLimited {
                            retry_after: Some(wait),
                        });
                    }
                    retries += 1;
                    tracing::info!(target: "golive::api", "{method} {path}: rate limited, waiting {}ms as Retry-After says", wait.as_millis());
                    tokio::time::sleep(wait).await;
                }
                _ => {
                    return Err(ApiError::Status {
                        status: status.as_u16(),
                        body: envelope,
                    });
                }
            }
        }
    }
}

struct Reply {
    status: u16,
    request_id: String,
    returned_id: Option<String>,
    body: Vec<u8>,
}

fn transport_error(e: reqwest::Error, method: &Method, path: &str) -> ApiError {
    if e.is_timeout() {
        return ApiError::Timeout(format!("{method} {path}"));
    }
    ApiError::Transport(format!(
        "{method} {path}: {}",
        crate::text::describe_http_error(&e)
    ))
}

async fn read_capped(
    mut resp: reqwest::Response,
    method: &Method,
    path: &str,
) -> Result<Vec<u8>, ApiError> {
    if resp
        .content_length()
        .is_some_and(|n| u64::try_from(MAX_BODY_BYTES).is_ok_and(|max| n > max))
    {
        return Err(ApiError::InvalidResponse(format!(
            "{method} {path}: the answer is larger than {} KiB",
            MAX_BODY_BYTES / 1024
        )));
    }
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(ApiError::InvalidResponse(format!(
                        "{method} {path}: the answer is larger than {} KiB",
                        MAX_BODY_BYTES / 1024
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) if e.is_timeout() => {
                return Err(ApiError::Timeout(format!(
                    "{method} {path} while reading the answer"
                )));
            }
            Err(e) => {
                return Err(ApiError::InvalidResponse(format!(
                    "{method} {path}: the answer was cut off after {} bytes ({})",
                    body.len(),
                    e.without_url()
                )));
            }
        }
    }
}

/// Parses `Retry-After`: delay-seconds or an HTTP-date, at most
/// [`MAX_RETRY_AFTER`] (any number of digits: a longer delay is capped, not refused).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        let secs = v.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    let when = jiff::fmt::rfc2822::parse(v).ok()?.timestamp();
    let now = jiff::Timestamp::now();
    let secs = u64::try_from(when.as_second().saturating_sub(now.as_second())).unwrap_or(0);
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

/// The docs' fallback: "Rate limit exceeded. Retry after 12 seconds."
fn retry_after_from_message(message: &str) -> Option<Duration> {
    let lower = message.to_ascii_lowercase();
    let rest = &lower[lower.find("retry after")? + "retry after".len()..];
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    if digits.is_empty() {
        return None;
    }
    let secs = digits.parse::<u64>().unwrap_or(u64::MAX);
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

/// Whether a URL's host is a loopback name or address.
pub fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// The start of a body that is not what the API documents, safe to quote: the
/// whole body is cleaned and scrubbed before it is shortened, so a cut can never
/// leave part of an echoed credential behind.
fn preview(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        "(an empty body)".into()
    } else {
        format!("`{}`", crate::text::untrusted(bytes, PREVIEW_CHARS))
    }
}

/// The error envelope of a non-2xx answer, its texts cleaned where they enter.
fn error_envelope(bytes: &[u8]) -> ErrorBody {
    match types::parse_error(bytes) {
        Some(body) => {
            let clean =
                |t: Option<String>| t.map(|t| crate::text::untrusted_str(&t, MAX_ERROR_TEXT_CHARS));
            ErrorBody {
                name: clean(body.name),
                code: clean(body.code),
                message: clean(body.message),
            }
        }
        None => ErrorBody {
            message: Some(format!(
                "(no error envelope; body starts with {})",
                preview(bytes)
            )),
            ..ErrorBody::default()
        },
    }
}

/// Where an API answer enters golive: every issued token (any string under a key
/// that names a token: `access_token`, `refresh_token`, ...) is registered as a
/// secret at once, so that no later text can quote it; every other string is
/// cleaned of terminal control. Token values themselves are kept as sent.
fn intake(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) => *s = crate::text::sanitize(s),
        Value::Array(items) => items.iter_mut().for_each(intake),
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match v {
                    Value::String(token) if k.to_ascii_lowercase().contains("token") => {
                        crate::secret::register(&Secret::new(token.clone()));
                    }
                    _ => intake(v),
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("12"), Some(Duration::from_secs(12)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::from_secs(0)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after(""), None);
        assert_eq!(parse_retry_after("-1"), None);
        // SPEC 8.5: no wrap-around, whatever the server says.
        for huge in [
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999999999999999",
            "Tue, 31 Dec 2999 23:59:59 GMT",
        ] {
            assert_eq!(parse_retry_after(huge), Some(MAX_RETRY_AFTER), "{huge}");
        }
        assert_eq!(
            retry_after_from_message("Retry after 18446744073709551615 seconds"),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(
            retry_after_from_message("Rate limit exceeded. Retry after 12 seconds."),
            Some(Duration::from_secs(12))
        );
    }

    fn client(base: &str, tier: Tier) -> Arc<OctopusClient> {
        OctopusClient::new(ClientConfig {
            base_url: Url::parse(base).unwrap(),
            tier,
            ca_pem: None,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn a_client_aimed_at_the_other_tiers_host_sends_nothing() {
        // SPEC 8.4: every spelling of the production host is the production host.
        // The refusal comes before any connection, so no traffic can leave here.
        for base in [
            "https://API.OCTOPUSCARDS.IO",
            "https://api.octopuscards.io./",
            "https://Api.OctopusCards.Io./",
        ] {
            let api = client(base, Tier::Sandbox);
            assert_eq!(
                api.tier,
                Tier::Production,
                "{base}: production's budget applies"
            );
            let creds = Credentials {
                key: Secret::new("k"),
                secret: Secret::new("s"),
            };
            let log = CallLog::default();
            let deadline = Instant::now() + Duration::from_secs(5);
            let e = api.login(Some(&creds), &log, deadline).await.unwrap_err();
            assert!(
                matches!(&e, ApiError::WrongTierHost(why) if why.starts_with("api.octopuscards.io: it is the production API host")),
                "{base}: {e:?}"
            );
            assert_eq!(api.calls_made(), 0, "{base}");
            assert!(log.calls().is_empty(), "{base}");
        }
        // A production env on the sandbox host: refused, and production's rules.
        let api = client("https://SANDBOX-API.octopuscards.io.", Tier::Production);
        assert_eq!(api.tier, Tier::Production);
        assert!(api.wrong_tier_host.is_some());
        // The right pairings and other hosts are left alone.
        for (base, tier) in [
            ("https://api.octopuscards.io./", Tier::Production),
            ("https://sandbox-api.octopuscards.io", Tier::Sandbox),
            ("http://127.0.0.1:1", Tier::Sandbox),
            ("http://127.0.0.1:1", Tier::Production),
        ] {
            let api = client(base, tier);
            assert_eq!(api.tier, tier, "{base}");
            assert!(api.wrong_tier_host.is_none(), "{base}");
        }
    }

    /// A loopback server that answers every connection with `answer`.
    async fn answering(answer: &'static str) -> Url {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.shutdown().await;
            }
        });
        url
    }

    #[tokio::test]
    async fn an_enormous_retry_after_is_rate_limited_not_a_panic() {
        // SPEC 8.5: this used to panic with "overflow when adding duration to instant".
        let base = answering(
            "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 18446744073709551615\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n",
        )
        .await;
        let api = client(base.as_str(), Tier::Sandbox);
        let creds = Credentials {
            key: Secret::new("k"),
            secret: Secret::new("s"),
        };
        let log = CallLog::default();
        let deadline = Instant::now() + Duration::from_secs(5);
        let e = api.login(Some(&creds), &log, deadline).await.unwrap_err();
        assert!(
            matches!(e, ApiError::RateLimited { retry_after: Some(d) } if d == MAX_RETRY_AFTER),
            "{e:?}"
        );
        assert_eq!(api.calls_made(), 1, "not waited for, not retried");
    }

    #[test]
    fn loopback_detection() {
        for (u, want) in [
            ("http://127.0.0.1:8080", true),
            ("http://localhost:1", true),
            ("http://[::1]:1", true),
            ("http://example.com", false),
            ("http://10.0.0.1", false),
        ] {
            assert_eq!(is_loopback_host(&Url::parse(u).unwrap()), want, "{u}");
        }
    }
}
