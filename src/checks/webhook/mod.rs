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

use futures_util::future::BoxFuture;

use super::{Check, CheckContext, CheckOutcome, DEFAULT_CHECK_TIMEOUT, Kind, evidence, settings};
use crate::codes::{self, Code};
use crate::finding::{Finding, Level};
use crate::manifest::KindDef;
use crate::manifest::kind::{KindInput, raw};
use crate::netclass;
use crate::octopus::is_loopback_host;
use crate::secret::{Secret, SecretError};
use crate::tier::Tier;

mod probes;

pub use probes::{Answer, deliver};
use probes::{deliveries, delivery_client};

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

/// `kind = "webhook"`.
pub const KIND: Kind = Kind {
    def: KindDef {
        name: "webhook",
        about: "the webhook endpoint accepts good signed deliveries and refuses bad, tampered, stale and re-serialized ones",
        keys: &["ack_within", "replay_window", "event_type", "cert_min_days"],
        default_timeout: DEFAULT_CHECK_TIMEOUT,
        parse: |input| parse(input).and_then(settings),
    },
    codes: CODES,
    evidence_about: "The endpoint, its addresses and certificate, and every probe delivery.",
    evidence,
};

/// The JSON Schema properties of this kind's evidence.
fn evidence() -> serde_json::Value {
    let string = evidence::string();
    serde_json::json!({
        "url": string,
        "addresses": {
            "type": "array",
            "items": { "type": "object", "properties": { "ip": string, "class": string } }
        },
        "tls": {
            "type": "object",
            "description": "The endpoint's certificate as the handshake showed it.",
            "properties": {
                "untrusted": { "type": ["string", "null"] },
                "subject": string, "issuer": string,
                "self_signed": { "type": "boolean" },
                "not_before": string, "not_after": string,
                "days_left": { "type": "integer" },
                "protocol": string
            }
        },
        "deliveries": {
            "type": "array",
            "description": "One entry per probe sent (empty when none was sent; see not_sent).",
            "items": { "type": "object", "properties": {
                "case": string, "event_id": string, "event_type": string,
                "expected": { "enum": ["2xx", "rejection"] },
                "status": { "type": ["integer", "null"] },
                "latency_ms": { "type": "integer", "minimum": 0 },
                "answer": { "type": "string", "description": "The start of the receiver's answer, or why there was none." }
            } }
        },
        "not_sent": { "type": "string", "description": "Why no delivery was sent." },
        "skipped_probes": { "type": "string", "description": "Why the negative probes were not sent." }
    })
}

codes::declare_codes! {
    CODES;
    WEBHOOK_URL_MISSING = { "webhook-url-missing", "webhook", Fail, false,
        "The env has no webhook_url.",
        "Voucher orders over 5 units are asynchronous: without a webhook endpoint the integration never learns that vouchers are ready (or polls forever).",
        "Set webhook_url for this env to the endpoint registered with your account manager.",
        Some(codes::DOCS_HOOKS) }
    WEBHOOK_SECRET_MISSING = { "webhook-secret-missing", "webhook", Fail, false,
        "The env's webhook_secret is not configured, or its variable or file is unset or unreadable.",
        "Without the shared secret golive cannot sign deliveries as Octopus does, and your endpoint cannot verify them either.",
        "Set webhook_secret = { env = \"NAME\" } or { file = \"PATH\" } to the secret shared with Octopus for this environment.",
        Some(codes::DOCS_VERIFY) }
    WEBHOOK_NOT_HTTPS = { "webhook-not-https", "webhook", Fail, false,
        "The webhook URL is not https:// (info for a simulator env, and for a loopback receiver of a sandbox env: local development).",
        "Octopus delivers only to public HTTPS URLs, and every delivery carries the shared secret in X-OCTOPUS-WEBHOOK-TOKEN: over plain HTTP it is readable on the wire. golive sends no delivery over plain HTTP to a non-loopback host.",
        "Serve the endpoint over HTTPS with a publicly trusted certificate and register the https:// URL.",
        Some(codes::DOCS_HOOKS) }
    WEBHOOK_PRIVATE_ADDRESS = { "webhook-private-address", "webhook", Fail, false,
        "The webhook host, or an address DNS gives for it, is private, loopback, link-local, CGNAT or unique-local.",
        "Octopus delivers from the internet: it cannot reach a private address, so production deliveries would all fail (fail for production, warn for sandbox, info for a simulator env). For production golive sends no delivery to such an address.",
        "Expose the endpoint on a public address (load balancer, API gateway) and make its public DNS name resolve only to public addresses.",
        Some(codes::DOCS_HOOKS) }
    WEBHOOK_DNS_FAILED = { "webhook-dns-failed", "webhook", Fail, true,
        "The webhook host name does not resolve.",
        "If golive cannot resolve it, Octopus likely cannot either; the endpoint cannot be probed.",
        "Check the host name in webhook_url and its DNS records.",
        Some(codes::DOCS_HOOKS) }
    WEBHOOK_UNREACHABLE = { "webhook-unreachable", "webhook", Fail, true,
        "The webhook endpoint refused the connection or the TLS handshake failed.",
        "The endpoint cannot be probed while it does not accept connections; Octopus would retry and then drop deliveries.",
        "Check that the endpoint is up and listening on the URL's port, and that nothing between golive and it blocks the connection.",
        Some(codes::DOCS_HOOKS) }
    WEBHOOK_TLS_UNTRUSTED = { "webhook-tls-untrusted", "webhook", Fail, false,
        "The endpoint's certificate is not trusted for its host (self-signed, unknown CA, wrong host).",
        "Octopus rejects self-signed and untrusted certificates: every delivery would fail. golive sends no delivery to such an endpoint.",
        "Install a certificate from a public CA that covers the host name, with the full intermediate chain. A private CA (ca_file) is only good for internal testing.",
        Some(codes::DOCS_HOOKS) }
    WEBHOOK_TLS_EXPIRED = { "webhook-tls-expired", "webhook", Fail, false,
        "The endpoint's certificate has expired.",
        "Every delivery fails the TLS handshake until the certificate is renewed; events pile up in Octopus's retries and are eventually lost.",
        "Renew the certificate now and automate renewal (ACME).",
        Some(codes::DOCS_HOOKS) }
    WEBHOOK_TLS_EXPIRING = { "webhook-tls-expiring", "webhook", Warn, false,
        "The endpoint's certificate expires within cert_min_days (default 14).",
        "A certificate that lapses after launch takes deliveries down without any code change.",
        "Renew the certificate and make sure renewal is automated and monitored.",
        Some(codes::DOCS_HOOKS) }
    VALID_DELIVERY_REJECTED = { "valid-delivery-rejected", "webhook", Fail, false,
        "A correctly signed, fresh delivery got no 2xx.",
        "Octopus retries non-2xx deliveries and eventually gives up: the integration would miss order completions. The other probes prove nothing while the valid one is refused, so they are skipped.",
        "Verify X-Signature as lowercase hex HMAC-SHA256 of the raw body with the webhook secret; answer 2xx as soon as the delivery is verified and stored. Check the evidence for the status and the first bytes of the answer.",
        Some(codes::DOCS_VERIFY) }
    NO_ACK = { "no-ack", "webhook", Fail, false,
        "The valid delivery got no answer within the check's timeout.",
        "A delivery that hangs is retried by Octopus and ties up the endpoint's workers.",
        "Make the endpoint answer quickly; move slow work off the request path.",
        Some(codes::DOCS_HOOKS) }
    PROBES_UNANSWERED = { "probes-unanswered", "webhook", Fail, true,
        "Some probe deliveries got no answer within the check's timeout.",
        "A forged or unusual delivery that is never answered proves nothing: the endpoint may accept it a moment later. An endpoint that answers the valid delivery but hangs on others is also a liability, since Octopus retries unanswered deliveries.",
        "Answer every delivery promptly: 2xx for valid ones (including repeats and unknown event types), 401/400 for forged or stale ones. Raise the check's timeout if the endpoint is merely slow.",
        Some(codes::DOCS_HOOKS) }
    BAD_SIGNATURE_ACCEPTED = { "bad-signature-accepted", "webhook", Fail, false,
        "A delivery with a wrong X-Signature was acknowledged.",
        "Anyone who knows the URL can forge order and wallet events (e.g. mark unpaid orders delivered).",
        "Compute HMAC-SHA256 over the raw request body with the webhook secret, compare it with X-Signature in constant time, and answer 401 on mismatch.",
        Some(codes::DOCS_VERIFY) }
    MISSING_SIGNATURE_ACCEPTED = { "missing-signature-accepted", "webhook", Fail, false,
        "A delivery without X-Signature was acknowledged.",
        "An endpoint that verifies only when the header is present can be bypassed by leaving it out.",
        "Reject every delivery without X-Signature (401).",
        Some(codes::DOCS_VERIFY) }
    TAMPERED_BODY_ACCEPTED = { "tampered-body-accepted", "webhook", Fail, false,
        "A delivery whose body was changed after signing was acknowledged.",
        "The signature protects the body only if it is checked against the exact bytes received; otherwise a captured delivery can be altered and replayed.",
        "Verify the signature over the raw body bytes as received, before parsing.",
        Some(codes::DOCS_VERIFY) }
    WRONG_SECRET_ACCEPTED = { "wrong-secret-accepted", "webhook", Fail, false,
        "A delivery signed with a different secret was acknowledged.",
        "The endpoint does not really check the secret (or checks against several, or a default one): signatures protect nothing.",
        "Verify with exactly the secret shared with Octopus for this environment.",
        Some(codes::DOCS_VERIFY) }
    STALE_TIMESTAMP_ACCEPTED = { "stale-timestamp-accepted", "webhook", Warn, false,
        "A correctly signed delivery with an X-Timestamp older than replay_window was acknowledged.",
        "Without an age check a captured delivery can be replayed at any time (the timestamp is not signed, so this is defence in depth; de-duplication on X-Event-ID is the main defence).",
        "Reject deliveries whose X-Timestamp is more than 5 minutes old (400), and de-duplicate on X-Event-ID.",
        Some(codes::DOCS_VERIFY) }
    DUPLICATE_DELIVERY_REJECTED = { "duplicate-delivery-rejected", "webhook", Fail, false,
        "A repeated X-Event-ID was refused instead of acknowledged.",
        "Octopus retries on any non-2xx: refusing a duplicate makes it retry the same event again and again.",
        "De-duplicate on X-Event-ID (e.g. a unique key or SET NX with a TTL): answer 2xx to a repeat without processing it again.",
        Some(codes::DOCS_HOOKS) }
    RAW_BODY_NOT_VERIFIED = { "raw-body-not-verified", "webhook", Fail, false,
        "A correctly signed body with unusual whitespace, key order or escapes was rejected while the compact one was accepted.",
        "The endpoint verifies a re-serialized body, not the bytes Octopus signed: any delivery whose bytes differ from your JSON library's output (new fields, another key order) will be rejected in production.",
        "Verify the signature over the raw request body before parsing it (e.g. express.raw, request.get_data(), io.ReadAll), never over a re-serialized object.",
        Some(codes::DOCS_VERIFY) }
    UNKNOWN_EVENT_REJECTED = { "unknown-event-rejected", "webhook", Warn, false,
        "A correctly signed delivery of an event type the endpoint does not know was refused.",
        "The API promises new event types may appear at any time; refusing them makes Octopus retry each one until it gives up.",
        "Acknowledge (2xx) event types you do not handle, and ignore them.",
        Some(codes::DOCS_HOOKS) }
}

/// `kind = "webhook"` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookSpec {
    /// A slower 2xx warns.
    pub ack_within: Duration,
    /// Older timestamps must be refused.
    pub replay_window: Duration,
    /// The live event type the valid probe carries.
    pub event_type: String,
    /// Certificates expiring sooner warn.
    pub cert_min_days: u32,
}

impl Check for WebhookSpec {
    fn title(&self, _id: &str) -> String {
        "Webhook endpoint verifies signatures".into()
    }

    fn run<'a>(&'a self, ctx: &'a CheckContext) -> BoxFuture<'a, CheckOutcome> {
        Box::pin(run(self, ctx))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Validates a webhook check's keys, with their defaults.
pub fn parse(input: &mut KindInput<'_, '_, '_>) -> Option<WebhookSpec> {
    let dur = |f: &raw::Field<'_, '_>, d: &mut raw::Diags| raw::duration(f.value, &f.what(), d);
    let ack_within = input.optional("ack_within", dur);
    let replay_window = input.optional("replay_window", dur);
    let event_type = input.optional("event_type", |f, d| {
        raw::non_empty_string(f.value, &f.what(), d).map(str::to_string)
    });
    let cert_min_days = input.optional("cert_min_days", |f, d| {
        let n = raw::integer(f.value, &f.what(), d)?;
        let days = u32::try_from(n).ok();
        if days.is_none() {
            d.error(
                f.value.span(),
                format!("`cert_min_days` must be a whole number of days, 0 or more, found {n}"),
            );
        }
        days
    });
    Some(WebhookSpec {
        ack_within: ack_within.unwrap_or(Duration::from_secs(5)),
        replay_window: replay_window.unwrap_or(Duration::from_secs(300)),
        event_type: event_type.unwrap_or_else(|| "order.delivered".to_string()),
        cert_min_days: cert_min_days.unwrap_or(14),
    })
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
            &WEBHOOK_URL_MISSING,
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
            Finding::new(&WEBHOOK_NOT_HTTPS, format!("{url} is not https://")).with_level(level),
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
                &WEBHOOK_DNS_FAILED,
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
            &WEBHOOK_DNS_FAILED,
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
                    &WEBHOOK_PRIVATE_ADDRESS,
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
                        .push(Finding::incomplete(&WEBHOOK_UNREACHABLE, e.to_string()));
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
                    &WEBHOOK_TLS_EXPIRED,
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
                    &WEBHOOK_TLS_UNTRUSTED,
                    format!(
                        "{host}{at} presents {what} that is not trusted for it ({reason}); issuer: {}",
                        facts.issuer
                    ),
                );
            }
            if !facts.expired() && facts.days_left < i64::from(spec.cert_min_days) {
                report(
                    &WEBHOOK_TLS_EXPIRING,
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
                .push(Finding::new(&WEBHOOK_SECRET_MISSING, msg));
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
                .push(Finding::incomplete(&WEBHOOK_UNREACHABLE, e));
            return out;
        }
    };
    deliveries(spec, ctx, &client, url, &secret, deadline, &mut out).await;
    out
}
