//! The simulated Octopus account: credentials, tokens, wallets, transactions, orders,
//! the rate limiter and the request counters, all in memory behind one mutex.
//!
//! This folder holds the business rules (octopus-api.md sections 3, 5, 6, 8 and 9)
//! with no HTTP in sight, so they read like the documentation; `api.rs` maps HTTP
//! onto them. Money is held as integer hundredths (every simulated wallet and
//! product is USD or EUR, both with two decimal places) and rendered as JSON numbers.
//!
//! This file holds [`SimState`], which ties the parts together, and what they
//! share (the account's identity, time, randomness, the event record);
//! `catalogue.rs` the currencies and products, `tokens.rs` the login and tokens,
//! `limiter.rs` the rate limits, `wallets.rs` the wallets and transactions,
//! `orders.rs` quotes, orders and their delivery.

mod catalogue;
mod limiter;
mod orders;
mod tokens;
mod wallets;

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ipnet::IpNet;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::error::ApiError;
use super::{Scenario, SimStats};
use crate::tier::Tier;

pub use catalogue::product_lines;
pub(crate) use catalogue::{categories_json, currencies_json, product_by_id, products_json};
pub(crate) use limiter::RateClass;
use limiter::RateLimiter;
use orders::Order;
pub(crate) use orders::OrderRequest;
use tokens::TokenInfo;
use wallets::{Transaction, Wallet};

/// The `client_id` a sandbox login returns. Each tier is its own client account
/// (octopus-api.md section 2: environments are fully separate), so each has its own
/// id; the values are the simulator's own choice.
pub(crate) const SANDBOX_CLIENT_ID: i64 = 40917;
/// The `client_id` a production login returns.
pub(crate) const PRODUCTION_CLIENT_ID: i64 = 73562;

/// The `client_id` of the simulated account of `tier`.
pub(crate) fn client_id(tier: Tier) -> i64 {
    match tier {
        Tier::Sandbox => SANDBOX_CLIENT_ID,
        Tier::Production => PRODUCTION_CLIENT_ID,
    }
}

/// How many events the webhook outbox keeps before dropping the oldest.
const EVENT_BACKLOG: usize = 1000;

/// The simulator's sandbox credential pair (fake, fixed so that an integration under
/// development can keep its configuration between runs). Random-looking, like real
/// keys, so that scrubbing them never masks ordinary words in a report.
const SANDBOX_PAIR: (&str, &str) = ("simk_sbx_4kQ9zT2wLx7R", "sims_sbx_Hc8vN3pYq6JmB1sD");
/// The simulator's production credential pair (fake).
const PRODUCTION_PAIR: (&str, &str) = ("simk_prd_9Wd3Fh6KsP2a", "sims_prd_Zt5bR8xGm4LyE7uC");

/// The credential pair bound to `tier`: (API key, API secret).
pub(crate) fn credentials(tier: Tier) -> (&'static str, &'static str) {
    match tier {
        Tier::Sandbox => SANDBOX_PAIR,
        Tier::Production => PRODUCTION_PAIR,
    }
}

/// The account's configured IP allowlist for a scenario.
pub(crate) fn allowlist_for(scenario: Scenario) -> Vec<IpNet> {
    let cidr = match scenario {
        Scenario::BlockedIp => "198.51.100.0/24",
        _ => "203.0.113.0/28",
    };
    vec![cidr.parse().expect("a valid literal CIDR")]
}

// ---------------------------------------------------------------------------------
// Time and randomness, shared by tokens and vouchers

/// Now, truncated to whole seconds so that it prints as `2025-01-15T13:00:00Z`.
fn now_ts() -> Timestamp {
    let now = Timestamp::now();
    Timestamp::from_second(now.as_second()).unwrap_or(now)
}

fn ts_plus(ts: Timestamp, d: Duration) -> Timestamp {
    SignedDuration::try_from(d)
        .ok()
        .and_then(|d| ts.checked_add(d).ok())
        .unwrap_or(ts)
}

/// `N` random bytes from the OS; if the OS has none, a hash of the clock and a counter
/// (these are fake tokens on loopback, not real secrets).
fn random_bytes<const N: usize>() -> [u8; N] {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut out = [0u8; N];
    if getrandom::fill(&mut out).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        for (i, chunk) in out.chunks_mut(32).enumerate() {
            let mut h = Sha256::new();
            h.update(nanos.to_le_bytes());
            h.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
            h.update(i.to_le_bytes());
            let d = h.finalize();
            chunk.copy_from_slice(&d[..chunk.len()]);
        }
    }
    out
}

/// `n` random decimal digits.
fn random_digits(n: usize) -> String {
    let bytes = random_bytes::<32>();
    bytes
        .iter()
        .cycle()
        .take(n)
        .map(|b| char::from(b'0' + b % 10))
        .collect()
}

/// Something Octopus would announce by webhook (`order.delivered`, `wallet.debited`).
///
/// The simulator records these ([`super::SimHandle::events`]) and hands each one to
/// the delivery task (`outbound.rs`), which POSTs it, signed, to the registered URL.
#[derive(Debug, Clone, PartialEq)]
pub struct SimEvent {
    /// Event id, `evt_` + a KSUID; what `X-Event-ID` will carry.
    pub id: String,
    /// A live event type, e.g. `order.delivered`.
    pub event_type: &'static str,
    /// When it happened.
    pub created_at: Timestamp,
    /// The event's data object (no voucher codes, as documented).
    pub data: Value,
}

// ---------------------------------------------------------------------------------
// The account

/// Everything the simulated account knows. Lock it briefly; never across an await.
#[derive(Debug)]
pub(crate) struct SimState {
    tier: Tier,
    scenario: Scenario,
    client_ip: IpAddr,
    allowlist: Vec<IpNet>,
    tokens: HashMap<[u8; 32], TokenInfo>,
    limiter: RateLimiter,
    wallets: Vec<Wallet>,
    transactions: Vec<Transaction>,
    orders: Vec<Order>,
    by_reference: HashMap<String, i64>,
    next_order_id: i64,
    next_transaction_id: i64,
    /// Asynchronous orders completed so far ([`Scenario::FulfilmentFailures`] cycles
    /// their outcomes on it).
    async_completed: usize,
    events: VecDeque<SimEvent>,
    /// Where every new event is also sent for delivery, once wired.
    outbox: Option<mpsc::UnboundedSender<SimEvent>>,
    pub(crate) stats: SimStats,
}

impl SimState {
    /// A fresh account for a tier and scenario, with pre-credited USD and EUR wallets.
    pub(crate) fn new(
        tier: Tier,
        scenario: Scenario,
        client_ip: IpAddr,
        allowlist: Vec<IpNet>,
    ) -> Self {
        let (usd, eur) = match scenario {
            Scenario::LowBalance => (25_000, 9_000),
            _ => (2_500_000, 1_200_000),
        };
        // POSTPAID is "by arrangement": orders go through on credit (section 5.1).
        let kind = if scenario == Scenario::Postpaid {
            "POSTPAID"
        } else {
            "PREPAID"
        };
        let wallets = vec![
            Wallet {
                id: 1,
                currency_id: 1,
                amount: usd,
                kind,
            },
            Wallet {
                id: 2,
                currency_id: 2,
                amount: eur,
                kind,
            },
        ];
        let created_at = now_ts();
        let transactions = wallets
            .iter()
            .zip(1..)
            .map(|(w, id)| Transaction {
                id,
                wallet_id: w.id,
                currency_id: w.currency_id,
                amount: w.amount,
                kind: "CREDIT",
                fx: None,
                remarks: "initial top-up".to_string(),
                created_at,
            })
            .collect::<Vec<_>>();
        SimState {
            tier,
            scenario,
            client_ip,
            allowlist,
            tokens: HashMap::new(),
            limiter: RateLimiter::default(),
            next_transaction_id: transactions.len() as i64 + 1,
            async_completed: 0,
            wallets,
            transactions,
            orders: Vec::new(),
            by_reference: HashMap::new(),
            next_order_id: 1001,
            events: VecDeque::new(),
            outbox: None,
            stats: SimStats::default(),
        }
    }

    /// Wires the delivery task: every event recorded from now on is also sent to `tx`
    /// (an unbounded channel, so recording never waits).
    pub(crate) fn set_outbox(&mut self, tx: mpsc::UnboundedSender<SimEvent>) {
        self.outbox = Some(tx);
    }

    /// Counts a request under its route key.
    pub(crate) fn count(&mut self, key: &str) {
        self.stats.total += 1;
        *self.stats.by_route.entry(key.to_string()).or_default() += 1;
    }

    /// The simulated client IP.
    pub(crate) fn client_ip(&self) -> IpAddr {
        self.client_ip
    }

    /// Whether the simulated client IP passes the allowlist (an empty list allows all).
    pub(crate) fn ip_allowed(&self) -> bool {
        self.allowlist.is_empty() || self.allowlist.iter().any(|n| n.contains(&self.client_ip))
    }

    /// Admits a request of `class` now, or answers 429.
    pub(crate) fn rate_check(&mut self, class: RateClass, now: Instant) -> Result<(), ApiError> {
        self.limiter
            .check(class, self.tier, self.scenario, now)
            .map_err(ApiError::too_many_requests)
    }

    /// The recorded webhook-worthy events, oldest first.
    pub(crate) fn events(&self) -> Vec<SimEvent> {
        self.events.iter().cloned().collect()
    }

    fn emit(&mut self, event_type: &'static str, data: Value) {
        if self.events.len() >= EVENT_BACKLOG {
            self.events.pop_front();
        }
        let event = SimEvent {
            id: format!("evt_{}", crate::ksuid::new()),
            event_type,
            created_at: now_ts(),
            data,
        };
        if let Some(tx) = &self.outbox {
            // A closed channel means the simulator is stopping: nothing to deliver.
            let _ = tx.send(event.clone());
        }
        self.events.push_back(event);
    }

    /// The scenario the account runs.
    pub(crate) fn scenario(&self) -> Scenario {
        self.scenario
    }
}
