//! Helpers of the `webhook` tests: webhook receivers on loopback whose behaviour is a
//! parameter (plain HTTP, TLS, or a raw TCP server for streaming answers), a test CA
//! with leaf certificates, and a runner that calls the `webhook` check in-process
//! and wraps its outcome with convenient assertions.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Request;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use golive::checks::webhook::WebhookSpec;
use golive::checks::webhook::WebhookTarget;
use golive::checks::{CheckContext, CheckOutcome, Target};
use golive::finding::{Finding, Level};
use golive::manifest::{EnvSpec, Severity};
use golive::octopus::{ClientConfig, OctopusClient};
use golive::report::Status;
use golive::secret::{Secret, SecretError};
use golive::tier::Tier;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The webhook secret every receiver verifies with and every target signs with.
pub const SECRET: &str = "whsec_test_golive_receiver_K3yQ9";
/// How old an `X-Timestamp` a correct receiver still accepts (documented: 5 minutes).
pub const REPLAY_WINDOW_SECS: i64 = 300;

// ---------------------------------------------------------------------------------
// Receivers
// ---------------------------------------------------------------------------------

/// How a receiver treats deliveries. `Correct` does everything octopus-api.md
/// section 10 asks; every other variant breaks exactly one thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Verifies `X-Signature` over the raw body (401), refuses an `X-Timestamp` more
    /// than 5 minutes old (400), acknowledges a repeated `X-Event-ID` (200) and
    /// unknown event types (200).
    Correct,
    /// Verifies nothing, acknowledges everything.
    AcceptAll,
    /// Verifies the signature only when `X-Signature` is present.
    VerifyIfPresent,
    /// Verifies over `serde_json::to_vec(&parsed)` instead of the raw bytes.
    Reserialized,
    /// Refuses a repeated `X-Event-ID` with 409.
    Dedup409,
    /// Does not look at `X-Timestamp`.
    NoReplayCheck,
    /// Refuses event types it does not know with 400.
    RejectUnknown,
    /// Correct, but answers after this long.
    Slow(Duration),
    /// Verifies nothing and acknowledges everything, after this long.
    SlowAcceptAll(Duration),
    /// Never answers.
    Hang,
    /// Answers 401 to everything.
    RejectAll401,
    /// Answers 302 to everything (to a path on the same receiver).
    Redirect302,
    /// Answers 500 to everything.
    Error500,
    /// Correct for the first delivery; never answers any later one.
    AnswerOnlyFirst,
    /// Correct, except that a repeated `X-Event-ID` is never answered.
    HangOnDuplicate,
}

/// One request a receiver got.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Seen {
    /// A header as text (panics when missing or not text).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("request lacks {name}: {:?}", self.headers))
            .to_str()
            .expect("header is text")
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("body is JSON")
    }
}

/// What a receiver does with one request.
enum Reply {
    Status(StatusCode),
    Hang,
}

struct Shared {
    behaviour: Behaviour,
    hits: AtomicUsize,
    log: Mutex<Vec<Seen>>,
    accepted_ids: Mutex<HashSet<String>>,
}

impl Shared {
    fn new(behaviour: Behaviour) -> Arc<Self> {
        Arc::new(Shared {
            behaviour,
            hits: AtomicUsize::new(0),
            log: Mutex::new(Vec::new()),
            accepted_ids: Mutex::new(HashSet::new()),
        })
    }

    /// Counts and records the request, then decides the answer.
    fn receive(&self, path: &str, headers: &HeaderMap, body: &[u8]) -> Reply {
        let n = self.hits.fetch_add(1, Ordering::SeqCst);
        self.log.lock().unwrap().push(Seen {
            path: path.to_string(),
            headers: headers.clone(),
            body: Bytes::copy_from_slice(body),
        });
        match self.behaviour {
            Behaviour::Hang => Reply::Hang,
            Behaviour::AnswerOnlyFirst if n > 0 => Reply::Hang,
            Behaviour::AcceptAll | Behaviour::SlowAcceptAll(_) => Reply::Status(StatusCode::OK),
            Behaviour::RejectAll401 => Reply::Status(StatusCode::UNAUTHORIZED),
            Behaviour::Error500 => Reply::Status(StatusCode::INTERNAL_SERVER_ERROR),
            Behaviour::Redirect302 => Reply::Status(StatusCode::FOUND),
            _ => self.judge(headers, body),
        }
    }

    fn judge(&self, headers: &HeaderMap, body: &[u8]) -> Reply {
        use Behaviour::*;
        let b = self.behaviour;
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let status = |s: StatusCode| Reply::Status(s);

        // 1. The signature, over the raw bytes.
        match text("x-signature") {
            None if b == VerifyIfPresent => {}
            None => return status(StatusCode::UNAUTHORIZED),
            Some(sig) => {
                let ok = if b == Reserialized {
                    match serde_json::from_slice::<Value>(body) {
                        Ok(v) => golive::webhook::verify(
                            SECRET.as_bytes(),
                            &serde_json::to_vec(&v).unwrap(),
                            sig,
                        ),
                        Err(_) => false,
                    }
                } else {
                    golive::webhook::verify(SECRET.as_bytes(), body, sig)
                };
                if !ok {
                    return status(StatusCode::UNAUTHORIZED);
                }
            }
        }
        // 2. The age of the delivery.
        if b != NoReplayCheck {
            let Some(ts) = text("x-timestamp").and_then(|t| t.parse::<i64>().ok()) else {
                return status(StatusCode::BAD_REQUEST);
            };
            if (unix_now() - ts).abs() > REPLAY_WINDOW_SECS {
                return status(StatusCode::BAD_REQUEST);
            }
        }
        // 3. The event agrees with its headers.
        let Ok(event) = serde_json::from_slice::<Value>(body) else {
            return status(StatusCode::BAD_REQUEST);
        };
        let (Some(id), Some(ty)) = (event["id"].as_str(), event["type"].as_str()) else {
            return status(StatusCode::BAD_REQUEST);
        };
        if text("x-event-id") != Some(id) || text("x-event-type") != Some(ty) {
            return status(StatusCode::BAD_REQUEST);
        }
        // 4. De-duplication.
        if self.accepted_ids.lock().unwrap().contains(id) {
            return match b {
                Dedup409 => status(StatusCode::CONFLICT),
                HangOnDuplicate => Reply::Hang,
                _ => status(StatusCode::OK),
            };
        }
        // 5. Unknown types.
        if !golive::webhook::LIVE_EVENT_TYPES.contains(&ty) && b == RejectUnknown {
            return status(StatusCode::BAD_REQUEST);
        }
        self.accepted_ids.lock().unwrap().insert(id.to_string());
        status(StatusCode::OK)
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A receiver running on loopback; stops when dropped.
///
/// It expects deliveries: dropped without a single request, it fails the test, unless
/// the test said that nothing may reach it ([`Receiver::expect_no_requests`]), and
/// then it fails the test if something did.
pub struct Receiver {
    pub addr: SocketAddr,
    /// Also listening on [::1] (same port); TLS receivers only.
    pub v6: bool,
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
    /// Whether the test expects requests (checked on drop).
    expects_requests: bool,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        if std::thread::panicking() {
            return;
        }
        let hits = self.hits();
        if self.expects_requests {
            assert!(
                hits > 0,
                "the receiver at {} expected requests and got none",
                self.addr
            );
        } else {
            assert_eq!(
                hits, 0,
                "the receiver at {} must never be reached, and got {hits} request(s)",
                self.addr
            );
        }
    }
}

impl Receiver {
    /// Nothing may reach this receiver (golive must refuse first): dropping it after
    /// a request fails the test.
    pub fn expect_no_requests(mut self) -> Receiver {
        self.expects_requests = false;
        self
    }

    /// Requests received so far, whatever the answer.
    pub fn hits(&self) -> usize {
        self.shared.hits.load(Ordering::SeqCst)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Seen> {
        self.shared.log.lock().unwrap().clone()
    }

    /// `http://127.0.0.1:PORT/hooks/octopus`.
    pub fn http_url(&self) -> String {
        format!("http://{}/hooks/octopus", self.addr)
    }

    /// `https://HOST:PORT/hooks/octopus`.
    pub fn https_url(&self, host: &str) -> String {
        format!("https://{host}:{}/hooks/octopus", self.addr.port())
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Behaviour::Slow(d) | Behaviour::SlowAcceptAll(d) = shared.behaviour {
        tokio::time::sleep(d).await;
    }
    match shared.receive(uri.path(), &headers, &body) {
        Reply::Hang => std::future::pending().await,
        Reply::Status(StatusCode::FOUND) => (
            StatusCode::FOUND,
            [(header::LOCATION, "/followed-the-redirect")],
            "moved",
        )
            .into_response(),
        Reply::Status(s) if s.is_success() => (s, "{\"received\":true}").into_response(),
        Reply::Status(s) => (s, "{\"error\":\"refused\"}").into_response(),
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// An HTTP receiver on 127.0.0.1.
pub async fn serve(behaviour: Behaviour) -> Receiver {
    serve_on("127.0.0.1:0", behaviour)
        .await
        .expect("bind 127.0.0.1")
}

/// An HTTP receiver on the given loopback address, or `None` when it cannot be bound.
pub async fn serve_on(bind: &str, behaviour: Behaviour) -> Option<Receiver> {
    let listener = TcpListener::bind(bind).await.ok()?;
    let addr = listener.local_addr().unwrap();
    let shared = Shared::new(behaviour);
    let app = router(shared.clone());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Some(Receiver {
        addr,
        v6: false,
        shared,
        tasks: vec![task],
        expects_requests: true,
    })
}

// ---- TLS ----------------------------------------------------------------------

/// Hands completed TLS connections to axum.
struct TlsListener {
    rx: tokio::sync::mpsc::Receiver<(tokio_rustls::server::TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(conn) => conn,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

/// A receiver served over TLS with `cert` on 127.0.0.1 (and on ::1, same port,
/// when that can be bound, so that `localhost` works whatever it resolves to first).
pub async fn serve_tls(behaviour: Behaviour, cert: &ServerCert) -> Receiver {
    let shared = Shared::new(behaviour);
    let (addr, v6, tasks) = serve_app_tls(router(shared.clone()), cert).await;
    Receiver {
        addr,
        v6,
        shared,
        tasks,
        expects_requests: true,
    }
}

/// Serves `app` over TLS with `cert` on 127.0.0.1:0, and on ::1 with the same port
/// when that can be bound. Returns the IPv4 address, whether ::1 is served too, and
/// the tasks to abort to stop serving.
pub async fn serve_app_tls(
    app: Router,
    cert: &ServerCert,
) -> (SocketAddr, bool, Vec<JoinHandle<()>>) {
    let acceptor = cert.acceptor();
    let v4 = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = v4.local_addr().unwrap();
    let mut listeners = vec![v4];
    let mut v6 = false;
    if let Ok(l) = TcpListener::bind(("::1", addr.port())).await {
        listeners.push(l);
        v6 = true;
    }
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let mut tasks = Vec::new();
    for l in listeners {
        let tx = tx.clone();
        let acceptor = acceptor.clone();
        tasks.push(tokio::spawn(async move {
            while let Ok((tcp, peer)) = l.accept().await {
                let tx = tx.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let handshake =
                        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await;
                    if let Ok(Ok(tls)) = handshake {
                        let _ = tx.send((tls, peer)).await;
                    }
                });
            }
        }));
    }
    tasks.push(tokio::spawn(async move {
        let _ = axum::serve(TlsListener { rx, local: addr }, app).await;
    }));
    (addr, v6, tasks)
}

// ---- raw TCP, for answers axum cannot easily produce -----------------------------

/// How the raw receiver answers a delivery the `Correct` rules acknowledge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Streaming {
    /// `200` with a chunked body that never ends.
    Endless,
    /// `200` headers and one chunk, then nothing, ever (the connection stays open).
    StallAfterHeaders,
}

/// A `Correct` receiver written on raw TCP whose 2xx answers stream as `mode` says;
/// refusals are ordinary empty answers.
pub async fn serve_streaming(mode: Streaming) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shared = Shared::new(Behaviour::Correct);
    let s = shared.clone();
    let task = tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(raw_connection(sock, s.clone(), mode));
        }
    });
    Receiver {
        addr,
        v6: false,
        shared,
        tasks: vec![task],
        expects_requests: true,
    }
}

async fn raw_connection(mut sock: TcpStream, shared: Arc<Shared>, mode: Streaming) {
    let mut buf = Vec::new();
    loop {
        // Headers.
        let end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 4096];
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let request = Request::parse_head(&String::from_utf8_lossy(&buf[..end]));
        buf.drain(..end);
        let mut headers = HeaderMap::new();
        for (name, value) in &request.headers {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                headers.append(n, v);
            }
        }
        let path = request.path;
        // Body.
        let len = request.content_length;
        while buf.len() < len {
            let mut chunk = [0u8; 4096];
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body: Vec<u8> = buf.drain(..len).collect();

        match shared.receive(&path, &headers, &body) {
            Reply::Status(s) if s.is_success() => {
                let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";
                if sock.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("100\r\n{}\r\n", "x".repeat(256));
                match mode {
                    Streaming::Endless => loop {
                        if sock.write_all(chunk.as_bytes()).await.is_err() {
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    },
                    Streaming::StallAfterHeaders => {
                        let _ = sock.write_all(chunk.as_bytes()).await;
                        std::future::pending::<()>().await;
                    }
                }
            }
            Reply::Status(s) => {
                let answer = format!(
                    "HTTP/1.1 {} {}\r\nContent-Length: 0\r\n\r\n",
                    s.as_u16(),
                    s.canonical_reason().unwrap_or("")
                );
                if sock.write_all(answer.as_bytes()).await.is_err() {
                    return;
                }
            }
            Reply::Hang => std::future::pending::<()>().await,
        }
    }
}

// ---------------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------------

/// A server certificate chain and its key.
pub struct ServerCert {
    pub chain: Vec<CertificateDer<'static>>,
    key_der: Vec<u8>,
}

impl ServerCert {
    pub fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }

    /// A TLS acceptor that presents this certificate.
    pub fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key())
            .expect("a valid server certificate");
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    }
}

fn dn(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "golive tests");
    dn.push(DnType::CommonName, cn);
    dn
}

/// Validity from `from_days` to `to_days` days from now (negative: in the past).
fn set_validity(params: &mut CertificateParams, from_days: i64, to_days: i64) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    let at = |days: i64| {
        let base = epoch + now;
        let d = Duration::from_secs(days.unsigned_abs() * 86_400);
        if days >= 0 { base + d } else { base - d }
    };
    params.not_before = at(from_days);
    params.not_after = at(to_days);
}

fn leaf_params(cn: &str, sans: &[&str], from_days: i64, to_days: i64) -> CertificateParams {
    let sans: Vec<String> = sans.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(sans).unwrap();
    params.distinguished_name = dn(cn);
    params.is_ca = IsCa::NoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    set_validity(&mut params, from_days, to_days);
    params
}

/// A private certificate authority.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    pub pem: String,
}

impl TestCa {
    pub fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = dn("golive test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        set_validity(&mut params, -30, 3650);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        TestCa {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// The CA as an env's `ca_file` would give it.
    pub fn roots(&self) -> Vec<CertificateDer<'static>> {
        golive::tls::parse_pem_roots(self.pem.as_bytes()).expect("the CA PEM parses")
    }

    /// A leaf for `sans`, valid from `from_days` to `to_days` days from now.
    pub fn leaf(&self, sans: &[&str], from_days: i64, to_days: i64) -> ServerCert {
        let params = leaf_params("golive test leaf", sans, from_days, to_days);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        ServerCert {
            chain: vec![cert.der().clone()],
            key_der: key.serialize_der(),
        }
    }
}

/// The names a loopback test certificate covers.
pub const LOOPBACK_SANS: &[&str] = &["localhost", "127.0.0.1", "::1"];

/// A self-signed leaf for loopback, valid for a year.
pub fn self_signed_leaf() -> ServerCert {
    let params = leaf_params("golive self-signed", LOOPBACK_SANS, -1, 365);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    ServerCert {
        chain: vec![cert.der().clone()],
        key_der: key.serialize_der(),
    }
}

// ---------------------------------------------------------------------------------
// Running the check
// ---------------------------------------------------------------------------------

/// Which kind of env the check runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Env {
    Sandbox,
    Production,
    /// A sandbox env with `simulator = true` (loopback and http:// are info there).
    Simulator,
}

/// One run of the check: target, spec and deadline, built fluently.
pub struct Setup {
    env: Env,
    url: Option<String>,
    secret: Result<Secret, SecretError>,
    roots: Vec<CertificateDer<'static>>,
    spec: WebhookSpec,
    timeout: Duration,
}

/// A run against `env` with `url` as the webhook URL and the right secret.
pub fn setup(env: Env, url: Option<&str>) -> Setup {
    Setup {
        env,
        url: url.map(str::to_string),
        secret: Ok(Secret::new(SECRET)),
        roots: Vec::new(),
        spec: WebhookSpec {
            ack_within: Duration::from_secs(5),
            replay_window: Duration::from_secs(REPLAY_WINDOW_SECS as u64),
            event_type: "order.delivered".into(),
            cert_min_days: 14,
        },
        timeout: Duration::from_secs(20),
    }
}

impl Setup {
    pub fn roots(mut self, roots: Vec<CertificateDer<'static>>) -> Self {
        self.roots = roots;
        self
    }

    pub fn secret(mut self, secret: Result<Secret, SecretError>) -> Self {
        self.secret = secret;
        self
    }

    pub fn ack_within(mut self, d: Duration) -> Self {
        self.spec.ack_within = d;
        self
    }

    /// The check's deadline, from the moment it starts.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    fn target(&self) -> Target {
        let (name, tier, simulator) = match self.env {
            Env::Sandbox => ("sandbox", Tier::Sandbox, false),
            Env::Production => ("production", Tier::Production, false),
            Env::Simulator => ("sim", Tier::Sandbox, true),
        };
        let url = self.url.as_deref().map(|u| u.parse().expect("a valid URL"));
        Target {
            env: EnvSpec {
                name: name.into(),
                webhook_url: url.clone(),
                ..super::bare_env(tier, simulator)
            },
            base_url: "http://127.0.0.1:9/".parse().unwrap(),
            api_key: Err(SecretError::Missing("api_key (not needed here)".into())),
            api_secret: Err(SecretError::Missing("api_secret (not needed here)".into())),
            others: vec![],
            client: None,
            egress: Default::default(),
            webhook: WebhookTarget {
                url,
                secret: self.secret.clone(),
                extra_roots: self.roots.clone(),
            },
            today: jiff::Timestamp::now()
                .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .date(),
        }
    }

    /// Runs the check in-process.
    pub async fn run(self) -> Run {
        let target = self.target();
        let api = OctopusClient::new(ClientConfig {
            base_url: target.base_url.clone(),
            tier: target.tier(),
            ca_pem: None,
        })
        .expect("the API client builds");
        let started = Instant::now();
        let ctx = CheckContext {
            target: Arc::new(target),
            api,
            log: Default::default(),
            deadline: started + self.timeout,
            login_reported_by: None,
            run_deadline_binds: false,
        };
        let outcome = golive::checks::webhook::run(&self.spec, &ctx).await;
        let finished = Instant::now();
        Run {
            outcome,
            elapsed: finished - started,
            finished,
            deadline: ctx.deadline,
        }
    }
}

/// What one run of the check produced, with its timing.
pub struct Run {
    pub outcome: CheckOutcome,
    pub elapsed: Duration,
    pub finished: Instant,
    pub deadline: Instant,
}

impl Run {
    pub fn findings(&self) -> &[Finding] {
        &self.outcome.findings
    }

    /// Findings and evidence, for assertion messages.
    pub fn dump(&self) -> String {
        let findings: Vec<String> = self
            .findings()
            .iter()
            .map(|f| {
                format!(
                    "  {} [{}{}] {}",
                    f.code,
                    f.level.as_str(),
                    if f.incomplete { ", incomplete" } else { "" },
                    f.message
                )
            })
            .collect();
        format!(
            "findings:\n{}\nevidence: {}\nskipped: {:?}\nelapsed: {:?}",
            findings.join("\n"),
            serde_json::to_string_pretty(&self.outcome.evidence).unwrap(),
            self.outcome.skipped,
            self.elapsed
        )
    }

    /// The finding with `code` (panics with the whole outcome when there is none).
    pub fn finding(&self, code: &str) -> &Finding {
        self.findings()
            .iter()
            .find(|f| f.code == code)
            .unwrap_or_else(|| panic!("no `{code}` finding\n{}", self.dump()))
    }

    pub fn has(&self, code: &str) -> bool {
        self.findings().iter().any(|f| f.code == code)
    }

    /// Asserts that `code` was reported at `level` and returns it.
    pub fn expect(&self, code: &str, level: Level) -> &Finding {
        let f = self.finding(code);
        assert_eq!(f.level, level, "level of `{code}`\n{}", self.dump());
        f
    }

    /// Every finding above info, as `(code, level)`, sorted.
    pub fn notable(&self) -> Vec<(String, Level)> {
        let mut v: Vec<(String, Level)> = self
            .findings()
            .iter()
            .filter(|f| f.level > Level::Info || f.incomplete)
            .map(|f| (f.code.clone(), f.level))
            .collect();
        v.sort();
        v
    }

    /// Asserts that the findings above info are exactly `want` (any order).
    pub fn assert_notable(&self, want: &[(&str, Level)]) {
        let mut want: Vec<(String, Level)> =
            want.iter().map(|(c, l)| (c.to_string(), *l)).collect();
        want.sort();
        assert_eq!(self.notable(), want, "findings above info\n{}", self.dump());
    }

    /// The check's status at severity `error`.
    pub fn status(&self) -> Status {
        golive::runner::status_of(self.findings(), Severity::Error)
    }

    /// `evidence.deliveries` when it is a list of delivery records, else empty.
    pub fn deliveries(&self) -> Vec<Value> {
        match self.outcome.evidence.get("deliveries") {
            Some(Value::Array(a)) => a.clone(),
            _ => Vec::new(),
        }
    }

    /// The delivery record of `case`.
    pub fn delivery(&self, case: &str) -> Value {
        self.deliveries()
            .into_iter()
            .find(|d| d["case"] == case)
            .unwrap_or_else(|| panic!("no delivery `{case}`\n{}", self.dump()))
    }

    /// An evidence value (panics when missing).
    pub fn evidence(&self, key: &str) -> &Value {
        self.outcome
            .evidence
            .get(key)
            .unwrap_or_else(|| panic!("no evidence `{key}`\n{}", self.dump()))
    }

    /// `evidence.addresses` as `(ip, class)` pairs.
    pub fn addresses(&self) -> Vec<(String, String)> {
        self.evidence("addresses")
            .as_array()
            .expect("addresses is a list")
            .iter()
            .map(|a| {
                (
                    a["ip"].as_str().unwrap().to_string(),
                    a["class"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}
