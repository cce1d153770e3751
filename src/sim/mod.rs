//! The Octopus API simulator: a faithful, self-contained Octopus Cards API served on
//! loopback, so that anyone can see golive work without an account, tests run offline
//! and an integration can be developed against it (SPEC section 6).
//!
//! [`start`] binds, spawns the server on the current tokio runtime and returns a
//! [`SimHandle`] with the base URL, the credentials to use and the simulated client
//! IP and allowlist. Everything the API does is documented in
//! `/work/shared/octopus-api.md`; [`Scenario`]s make it misbehave on purpose.
//!
//! It also serves a reference webhook receiver at `/_receiver/octopus` that does
//! everything right (unless a `receiver-*` scenario breaks it), and delivers the
//! events its account records, signed, to a registered URL ([`SimConfig::webhook_url`],
//! by default that receiver), with retries.
//!
//! Layout: `state/` holds the account and its rules, `api/` the HTTP routes,
//! `error.rs` the error envelope, `receiver.rs` the reference webhook receiver,
//! `outbound.rs` the webhook deliveries.

mod api;
mod error;
mod outbound;
mod receiver;
pub use crate::scenario;
mod state;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod webhook_tests;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::secret::Secret;
use crate::tier::Tier;

pub use outbound::DeliveryAttempt;
pub use receiver::ReceivedEvent;
pub use scenario::Scenario;
pub use state::{SimEvent, product_lines};

/// The simulated public egress IP of the caller (a documentation address: it is only
/// compared with the allowlist, no traffic goes there).
pub const DEFAULT_CLIENT_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 10));

/// How to run a simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Where to listen, e.g. `127.0.0.1:0` for any free port.
    pub listen: SocketAddr,
    /// Which tier the simulator impersonates: decides the accepted credentials and
    /// the rate limits.
    pub tier: Tier,
    /// What the simulator does wrong on purpose.
    pub scenario: Scenario,
    /// Delay injected before every API response (benchmarks); zero by default. The
    /// reference webhook receiver is not delayed.
    pub latency: Duration,
    /// Where webhook deliveries go; `None`, the default, means the simulator's own
    /// reference receiver ([`SimHandle::receiver_url`]). It must be `https://`
    /// (octopus-api.md section 10.1: plain HTTP is rejected), unless
    /// [`SimConfig::allow_http_loopback_webhook`] allows `http://` to loopback.
    pub webhook_url: Option<String>,
    /// Opt-in for local development: accept a plain `http://` [`SimConfig::webhook_url`]
    /// whose host is a loopback address (`127.0.0.0/8`, `::1`, `localhost`). Off by
    /// default. The simulator's own reference receiver is always served over plain
    /// HTTP on loopback and needs no opt-in.
    pub allow_http_loopback_webhook: bool,
    /// The wait after a failed delivery attempt, doubled after each further failure
    /// (1 s, 2 s, 4 s, 8 s by default; at most 5 attempts per event).
    pub delivery_backoff: Duration,
    /// How long an asynchronous order (quantity 6 or more) stays `PENDING`: a delay
    /// drawn uniformly from `(min, max)`. The default, 1 s, is the simulator's choice
    /// to keep the demo fast; the docs say usually 10 to 60 s (section 8.1), which
    /// `golive sim --async-delay 10s..60s` gives.
    pub async_delay: (Duration, Duration),
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            tier: Tier::Sandbox,
            scenario: Scenario::Healthy,
            latency: Duration::ZERO,
            webhook_url: None,
            allow_http_loopback_webhook: false,
            delivery_backoff: Duration::from_secs(1),
            async_delay: (Duration::from_secs(1), Duration::from_secs(1)),
        }
    }
}

/// A snapshot of the requests a simulator has served.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Every request, whatever its outcome.
    pub total: usize,
    /// Requests by `"METHOD /route-pattern"` (e.g. `"GET /api/v1/orders/:id"`);
    /// requests matching no route count under `"METHOD (unmatched)"`.
    pub by_route: BTreeMap<String, usize>,
}

/// A running simulator. Dropping it stops the server, as does [`SimHandle::shutdown`].
pub struct SimHandle {
    addr: SocketAddr,
    app: api::App,
    api_key: Secret,
    api_secret: Secret,
    client_ip: IpAddr,
    allowlist: Vec<ipnet::IpNet>,
    webhook_secret: Secret,
    deliveries: outbound::DeliveryLog,
    shutdown: watch::Sender<bool>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("addr", &self.addr)
            .field("client_ip", &self.client_ip)
            .finish_non_exhaustive()
    }
}

impl SimHandle {
    /// The base URL as text, `http://127.0.0.1:PORT` without a trailing slash, for
    /// messages and for appending a path; clients take [`SimHandle::url`].
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL as a [`url::Url`] (`http://127.0.0.1:PORT/`), for clients.
    pub fn url(&self) -> url::Url {
        let mut url = url::Url::parse("http://127.0.0.1/").expect("a fixed URL parses");
        // An IP address and a port are always a valid host and port of http://.
        let _ = url.set_ip_host(self.addr.ip());
        let _ = url.set_port(Some(self.addr.port()));
        url
    }

    /// The address the simulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API key a client should use. In [`Scenario::WrongTier`] it belongs to the
    /// other tier, so this server rejects it.
    pub fn api_key(&self) -> &Secret {
        &self.api_key
    }

    /// The API secret paired with [`SimHandle::api_key`].
    pub fn api_secret(&self) -> &Secret {
        &self.api_secret
    }

    /// The simulated public egress IP of the caller ([`DEFAULT_CLIENT_IP`]).
    pub fn client_ip(&self) -> IpAddr {
        self.client_ip
    }

    /// The account's configured IP allowlist: `203.0.113.0/28` normally, and
    /// `198.51.100.0/24` (excluding the client IP) in [`Scenario::BlockedIp`].
    pub fn allowlist(&self) -> Vec<ipnet::IpNet> {
        self.allowlist.clone()
    }

    /// A snapshot of the request counts.
    pub fn stats(&self) -> SimStats {
        self.app.lock().stats.clone()
    }

    /// The webhook-worthy events recorded so far (oldest first, at most the last
    /// 1000): `wallet.debited` for every order, `order.delivered` when an order
    /// completes and, in [`Scenario::FulfilmentFailures`], `order.failed`,
    /// `order.partially_delivered`, `order.cancelled` and `wallet.credited`. Each is
    /// delivered ([`SimHandle::deliveries`]).
    pub fn events(&self) -> Vec<SimEvent> {
        self.app.lock().events()
    }

    /// The reference webhook receiver's URL, `{base_url}/_receiver/octopus`.
    pub fn receiver_url(&self) -> String {
        format!("{}{}", self.base_url(), receiver::PATH)
    }

    /// The webhook secret of this tier (fake, fixed; each tier has its own): the
    /// reference receiver verifies with it and the simulator signs its deliveries
    /// with it.
    pub fn webhook_secret(&self) -> &Secret {
        &self.webhook_secret
    }

    /// Every delivery the reference receiver answered, whatever the status, in
    /// arrival order (at most the last 10,000). A delivery it never answered
    /// ([`Scenario::ReceiverHangs`]) is not listed.
    pub fn received(&self) -> Vec<ReceivedEvent> {
        self.app.receiver().received()
    }

    /// Every webhook delivery attempt so far, in the order they finished (at most the
    /// last 10,000).
    pub fn deliveries(&self) -> Vec<DeliveryAttempt> {
        self.deliveries.snapshot()
    }

    /// Stops serving: no new connections; requests in flight finish (a hanging
    /// receiver request is released), pending webhook deliveries are abandoned.
    pub fn shutdown(self) {
        // Drop sends the signal.
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}

/// Checks a webhook URL as Octopus registers one (section 10.1: HTTPS only): an
/// absolute `https` URL with a host, or, with `allow_http_loopback`, an `http` URL
/// whose host is a loopback address or `localhost` (never resolved).
pub fn check_webhook_url(url: &str, allow_http_loopback: bool) -> std::io::Result<()> {
    let invalid = |why: &str| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("webhook URL: {why}"),
        )
    };
    let parsed = url::Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
    let Some(host) = parsed.host() else {
        return Err(invalid("must be an https URL with a host"));
    };
    match parsed.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = match host {
                url::Host::Ipv4(ip) => ip.is_loopback(),
                url::Host::Ipv6(ip) => ip.is_loopback(),
                url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
            };
            if !loopback {
                Err(invalid(
                    "must be https:// (Octopus registers HTTPS webhook URLs only); \
                     plain http:// is accepted only to a loopback host, with the opt-in",
                ))
            } else if !allow_http_loopback {
                Err(invalid(
                    "must be https:// (Octopus registers HTTPS webhook URLs only); \
                     for local development, opt in to plain http:// on loopback \
                     (golive sim --allow-http-loopback-webhook)",
                ))
            } else {
                Ok(())
            }
        }
        _ => Err(invalid("must be an https URL with a host")),
    }
}

/// Binds `config.listen`, spawns the simulator (and its webhook delivery task) on the
/// current tokio runtime and returns once it is listening. Fails when the address
/// cannot be bound or [`SimConfig::webhook_url`] fails [`check_webhook_url`].
pub async fn start(config: SimConfig) -> std::io::Result<SimHandle> {
    if let Some(url) = &config.webhook_url {
        check_webhook_url(url, config.allow_http_loopback_webhook)?;
    }
    let client = outbound::client().map_err(std::io::Error::other)?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let client_ip = DEFAULT_CLIENT_IP;
    let allowlist = state::allowlist_for(config.scenario);
    let (shutdown, shutdown_rx) = watch::channel(false);
    let webhook_secret = Secret::new(receiver::webhook_secret(config.tier));

    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let mut account =
        state::SimState::new(config.tier, config.scenario, client_ip, allowlist.clone());
    account.set_outbox(events_tx);
    let receiver =
        receiver::Receiver::new(config.scenario, webhook_secret.clone(), shutdown_rx.clone());
    let app = api::App::new(account, config.latency, receiver, config.async_delay);
    let deliveries = outbound::DeliveryLog::default();
    outbound::spawn(
        outbound::Outbound {
            url: config
                .webhook_url
                .clone()
                .unwrap_or_else(|| format!("http://{addr}{}", receiver::PATH)),
            secret: webhook_secret.clone(),
            backoff: config.delivery_backoff,
            repeat: config.scenario == Scenario::DuplicateDeliveries,
            log: deliveries.clone(),
            shutdown: shutdown_rx.clone(),
        },
        client,
        events_rx,
    );

    let router = api::router(app.clone());
    let mut rx = shutdown_rx;
    tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                // A signal or a dropped sender both mean stop.
                let _ = rx.wait_for(|stop| *stop).await;
            })
            .await;
        if let Err(e) = served {
            tracing::warn!(target: "golive::sim", error = %e, "simulator stopped with an error");
        }
    });
    let credential_tier = match config.scenario {
        Scenario::WrongTier => config.tier.other(),
        _ => config.tier,
    };
    let (key, secret) = state::credentials(credential_tier);
    tracing::info!(
        target: "golive::sim",
        %addr,
        tier = %config.tier,
        scenario = %config.scenario,
        "simulator listening"
    );
    Ok(SimHandle {
        addr,
        app,
        api_key: Secret::new(key),
        api_secret: Secret::new(secret),
        client_ip,
        allowlist,
        webhook_secret,
        deliveries,
        shutdown,
    })
}
