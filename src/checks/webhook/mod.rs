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

use super::{Check, CheckContext, CheckOutcome, DEFAULT_CHECK_TIMEOUT, Kind, settings};
use crate::codes::{self, Code};
use crate::finding::{Finding, Level};
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
    name: "webhook",
    about: "the webhook endpoint accepts good signed deliveries and refuses bad, tampered, stale and re-serialized ones",
    keys: &["ack_within", "replay_window", "event_type", "cert_min_days"],
    default_timeout: DEFAULT_CHECK_TIMEOUT,
    parse: |input| parse(input).and_then(settings),
};

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
