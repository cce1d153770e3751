//! The Octopus API simulator: a faithful, self-contained Octopus Cards API served on
//! loopback, so that anyone can see golive work without an account, tests run offline
//! and an integration can be developed against it (SPEC section 6).
//!
//! [`start`] binds, spawns the server on the current tokio runtime and returns a
//! [`SimHandle`] with the base URL, the credentials to use and the simulated client
//! IP and allowlist. Everything the API does is documented in
//! `/work/shared/octopus-api.md`; [`Scenario`]s make it misbehave on purpose.
//!
//! Layout: `state.rs` holds the account and its rules, `api.rs` the HTTP routes,
//! `error.rs` the error envelope.

mod api;
mod error;
pub mod scenario;
mod state;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::secret::Secret;
use crate::tier::Tier;

pub use scenario::Scenario;
pub use state::SimEvent;

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
    /// Delay injected before every response (benchmarks); zero by default.
    pub latency: Duration,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            tier: Tier::Sandbox,
            scenario: Scenario::Healthy,
            latency: Duration::ZERO,
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
    shutdown: Option<oneshot::Sender<()>>,
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
    /// The base URL, `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
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
    /// completes. Nothing is delivered yet; this is the hook for webhook deliveries.
    pub fn events(&self) -> Vec<SimEvent> {
        self.app.lock().events()
    }

    /// Stops serving: no new connections; requests in flight finish.
    pub fn shutdown(self) {
        // Drop sends the signal.
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Binds `config.listen`, spawns the simulator on the current tokio runtime and
/// returns once it is listening.
pub async fn start(config: SimConfig) -> std::io::Result<SimHandle> {
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let client_ip = DEFAULT_CLIENT_IP;
    let allowlist = state::allowlist_for(config.scenario);
    let account = state::SimState::new(config.tier, config.scenario, client_ip, allowlist.clone());
    let app = api::App::new(account, config.latency);
    let router = api::router(app.clone());
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                // A send or a dropped sender both mean stop.
                let _ = rx.await;
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
        shutdown: Some(tx),
    })
}
