//! The simulated Octopus account: credentials, tokens, wallets, transactions, orders,
//! the rate limiter and the request counters, all in memory behind one mutex.
//!
//! This file holds the business rules (octopus-api.md sections 3, 5, 6, 8 and 9) with
//! no HTTP in sight, so they read like the documentation; `api.rs` maps HTTP onto them.
//! Money is held as integer hundredths (every simulated wallet and product is USD or
//! EUR, both with two decimal places) and rendered as JSON numbers.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ipnet::IpNet;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::mpsc;

use super::error::ApiError;
use super::{Scenario, SimStats};
use crate::tier::Tier;

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
/// Access-token lifetime (documented: 1 h).
const ACCESS_TTL: Duration = Duration::from_secs(3600);
/// Refresh-token lifetime (documented: 7 d).
const REFRESH_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// The rolling rate-limit window.
const WINDOW: Duration = Duration::from_secs(60);
/// Hard cap on an order's quantity, and the `max_quantity` quotes report.
const MAX_QUANTITY: i64 = 5000;
/// Largest quantity fulfilled synchronously.
pub(crate) const SYNC_MAX_QUANTITY: i64 = 5;
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
// Reference data

/// A currency of `GET /api/v1/currencies`, with the simulator's FX reference rate.
struct Currency {
    id: i64,
    name: &'static str,
    code: &'static str,
    precision: u32,
    /// US dollars per unit, for the simulated FX rates.
    usd_per_unit: f64,
}

const CURRENCIES: &[Currency] = &[
    Currency {
        id: 1,
        name: "US Dollar",
        code: "USD",
        precision: 2,
        usd_per_unit: 1.0,
    },
    Currency {
        id: 2,
        name: "Euro",
        code: "EUR",
        precision: 2,
        usd_per_unit: 1.08,
    },
    Currency {
        id: 3,
        name: "Pound Sterling",
        code: "GBP",
        precision: 2,
        usd_per_unit: 1.27,
    },
    Currency {
        id: 4,
        name: "Japanese Yen",
        code: "JPY",
        precision: 0,
        usd_per_unit: 0.0067,
    },
];

fn currency(id: i64) -> &'static Currency {
    CURRENCIES
        .iter()
        .find(|c| c.id == id)
        .unwrap_or(&CURRENCIES[0])
}

/// A voucher product of the small simulated catalogue.
struct Product {
    id: i64,
    name: &'static str,
    currency_id: i64,
    /// Discount in basis points (350 = 3.5 %).
    discount_bp: i64,
    /// Smallest and largest denomination, in hundredths.
    min_denomination: i64,
    max_denomination: i64,
    category_id: i64,
    country_id: i64,
}

const PRODUCTS: &[Product] = &[
    Product {
        id: 123,
        name: "Amazon.com Gift Card",
        currency_id: 1,
        discount_bp: 350,
        min_denomination: 100,
        max_denomination: 100_000,
        category_id: 1,
        country_id: 1,
    },
    Product {
        id: 456,
        name: "Zalando Gift Card",
        currency_id: 2,
        discount_bp: 200,
        min_denomination: 100,
        max_denomination: 100_000,
        category_id: 2,
        country_id: 2,
    },
];

/// A voucher category of `GET /api/v1/categories` (shape not documented: `id` and
/// `name` are the simulator's choice).
const CATEGORIES: &[(i64, &str)] = &[(1, "Shopping"), (2, "Fashion")];

/// `GET /api/v1/categories`: every category, or 400 `INVALID_FEATURE` when the
/// client's voucher feature is off ([`Scenario::VouchersDisabled`]; section 3.6).
pub(crate) fn categories_json(scenario: Scenario) -> Result<Value, ApiError> {
    if scenario == Scenario::VouchersDisabled {
        return Err(ApiError::invalid_feature());
    }
    Ok(Value::Array(
        CATEGORIES
            .iter()
            .map(|(id, name)| json!({"id": id, "name": name}))
            .collect(),
    ))
}

/// A product as `GET /api/v1/products` shows it. The docs read for golive give the
/// product list's pagination but not its element shape; these fields are the
/// simulator's choice: `id`, `name`, `category_id`, `country_id` (1 = the US in
/// sandbox), `currency_id`, `currency`, `discount` (percent), `denominations` (the
/// ranges an order's `denomination` must fall in), `status`.
fn product_json(p: &Product) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "category_id": p.category_id,
        "country_id": p.country_id,
        "currency_id": p.currency_id,
        "currency": currency(p.currency_id).code,
        "discount": p.discount_bp as f64 / 100.0,
        "denominations": [{"min": money(p.min_denomination), "max": money(p.max_denomination)}],
        "status": "ACTIVE",
    })
}

/// `GET /api/v1/products`, id descending (the list default).
pub(crate) fn products_json() -> Vec<Value> {
    PRODUCTS.iter().rev().map(product_json).collect()
}

/// `GET /api/v1/products/:id`.
pub(crate) fn product_by_id(id: i64) -> Option<Value> {
    PRODUCTS.iter().find(|p| p.id == id).map(product_json)
}

/// The products an order may use, one line each, for the `golive sim` banner.
pub fn product_lines() -> Vec<String> {
    PRODUCTS
        .iter()
        .map(|p| {
            format!(
                "{} {} ({}, denomination {} to {})",
                p.id,
                p.name,
                currency(p.currency_id).code,
                money_text(p.min_denomination),
                money_text(p.max_denomination)
            )
        })
        .collect()
}

/// `GET /api/v1/currencies`.
pub(crate) fn currencies_json() -> Value {
    Value::Array(
        CURRENCIES
            .iter()
            .map(|c| json!({"id": c.id, "name": c.name, "currency": c.code, "precision": c.precision}))
            .collect(),
    )
}

/// Hundredths as a JSON number (`2500000` -> `25000.0`).
fn money(hundredths: i64) -> Value {
    json!(hundredths as f64 / 100.0)
}

/// Hundredths as text with two decimals, for messages and remarks.
fn money_text(hundredths: i64) -> String {
    format!("{}.{:02}", hundredths / 100, (hundredths % 100).abs())
}

/// `a / b` rounded half up, for non-negative `a` and positive `b`.
fn round_div(a: i64, b: i64) -> i64 {
    (a + b / 2) / b
}

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

// ---------------------------------------------------------------------------------
// Randomness and token encoding

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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Base64url without padding (the JWT alphabet).
fn b64url(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let n = (u32::from(chunk[0]) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

/// A JWT-looking opaque token: an HS256 header, a payload with `sub`, `typ`, `iat`,
/// `exp` and a random `jti`, and a random "signature". Clients must treat it as opaque.
fn mint_token(kind: TokenKind, client: i64, issued: Timestamp, expires: Timestamp) -> String {
    let payload = json!({
        "sub": client.to_string(),
        "typ": kind.as_str(),
        "iat": issued.as_second(),
        "exp": expires.as_second(),
        "jti": hex(&random_bytes::<16>()),
    });
    format!(
        "{}.{}.{}",
        b64url(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64url(payload.to_string().as_bytes()),
        b64url(&random_bytes::<32>())
    )
}

// ---------------------------------------------------------------------------------
// Tokens

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }
}

/// A live token, stored under the SHA-256 of its text (the text itself is not kept).
#[derive(Debug, Clone, Copy)]
struct TokenInfo {
    kind: TokenKind,
    expires: Instant,
}

// ---------------------------------------------------------------------------------
// Rate limiting

/// A rate-limit class of octopus-api.md section 6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum RateClass {
    /// `POST /auth/login`.
    Login,
    /// `POST /auth/refresh`.
    Refresh,
    /// Every GET under `/api/v1`.
    Get,
    /// `POST /api/v1/orders`.
    Orders,
    /// `POST /api/v1/products/:id/charges`.
    Charges,
}

impl RateClass {
    /// Requests per rolling minute for a tier.
    pub(crate) fn limit(self, tier: Tier) -> usize {
        match (self, tier) {
            (RateClass::Login, Tier::Sandbox) => 30,
            (RateClass::Login, Tier::Production) => 10,
            (RateClass::Refresh, Tier::Sandbox) => 30,
            (RateClass::Refresh, Tier::Production) => 20,
            (RateClass::Get, Tier::Sandbox) => 600,
            (RateClass::Get, Tier::Production) => 300,
            (RateClass::Orders, Tier::Sandbox) => 120,
            (RateClass::Orders, Tier::Production) => 60,
            (RateClass::Charges, Tier::Sandbox) => 300,
            (RateClass::Charges, Tier::Production) => 120,
        }
    }
}

/// Rolling 60 s windows per class, plus the `RateLimited` scenario's one-shot trips.
#[derive(Debug, Default)]
struct RateLimiter {
    windows: HashMap<RateClass, VecDeque<Instant>>,
    tripped: HashSet<RateClass>,
}

impl RateLimiter {
    /// Admits a request at `now` or returns the `Retry-After` seconds (at least 1).
    fn check(
        &mut self,
        class: RateClass,
        tier: Tier,
        scenario: Scenario,
        now: Instant,
    ) -> Result<(), u64> {
        if scenario == Scenario::RateLimited && self.tripped.insert(class) {
            return Err(1);
        }
        let window = self.windows.entry(class).or_default();
        while window
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW)
        {
            window.pop_front();
        }
        if window.len() >= class.limit(tier) {
            let oldest = window.front().copied().unwrap_or(now);
            let wait = (oldest + WINDOW).saturating_duration_since(now);
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Err(secs.max(1));
        }
        window.push_back(now);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------
// Wallets, transactions, orders, events

#[derive(Debug, Clone)]
struct Wallet {
    id: i64,
    currency_id: i64,
    /// Available balance in hundredths.
    amount: i64,
    kind: &'static str,
}

#[derive(Debug, Clone)]
struct Fx {
    source: &'static str,
    destination: &'static str,
    rate: f64,
    fee: i64,
}

#[derive(Debug, Clone)]
struct Transaction {
    id: i64,
    wallet_id: i64,
    currency_id: i64,
    amount: i64,
    kind: &'static str,
    fx: Option<Fx>,
    remarks: String,
    created_at: Timestamp,
}

impl Transaction {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "wallet_id": self.wallet_id,
            "currency_id": self.currency_id,
            "amount": money(self.amount),
            "transaction_type": self.kind,
            "status": "COMPLETED",
            "source_currency": self.fx.as_ref().map(|f| f.source),
            "destination_currency": self.fx.as_ref().map(|f| f.destination),
            "forex_rate": self.fx.as_ref().map(|f| f.rate),
            "conversion_charges": self.fx.as_ref().map(|f| money(f.fee)),
            "remarks": self.remarks,
            "created_at": self.created_at.to_string(),
        })
    }
}

#[derive(Debug, Clone)]
struct Voucher {
    card_number: String,
    pin_code: String,
    expires_at: Timestamp,
}

impl Voucher {
    /// A mock voucher: not redeemable anywhere.
    fn mock() -> Self {
        Voucher {
            card_number: format!("SIM{}", random_digits(13)),
            pin_code: random_digits(6),
            expires_at: ts_plus(now_ts(), Duration::from_secs(365 * 24 * 3600)),
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "card_number": self.card_number,
            "pin_code": self.pin_code,
            "claim_url": null,
            "expires_at": self.expires_at.to_string(),
            "voucher_reference_number": null,
        })
    }
}

#[derive(Debug, Clone)]
struct Order {
    id: i64,
    product_id: i64,
    product_name: &'static str,
    denomination: i64,
    quantity: i64,
    amount: i64,
    discount_bp: i64,
    client_reference: Option<String>,
    wallet_id: i64,
    status: &'static str,
    base_currency: &'static str,
    vouchers: Vec<Voucher>,
    created_at: Timestamp,
    /// What left the wallet (`total_payable`, in the wallet's currency), for refunds.
    paid: i64,
}

impl Order {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "product_id": self.product_id,
            "product_name": self.product_name,
            "denomination": money(self.denomination),
            "quantity": self.quantity,
            "amount": money(self.amount),
            "discount": self.discount_bp as f64 / 100.0,
            "client_reference": self.client_reference,
            "wallet_id": self.wallet_id,
            "status": self.status,
            "base_currency": self.base_currency,
            "vouchers": self.vouchers.iter().map(Voucher::to_json).collect::<Vec<_>>(),
            "created_at": self.created_at.to_string(),
        })
    }

    fn deliver(&mut self) {
        self.status = "DELIVERED";
        self.vouchers = (0..self.quantity).map(|_| Voucher::mock()).collect();
    }
}

/// The `data` of an `order.*` event, with exactly the fields octopus-api.md section
/// 10.5 documents for `order.delivered` / `order.partially_delivered`: `id` (int),
/// `reference_code` (the order's `client_reference`, `null` without one: the
/// simulator's reading of "your reference code"), `status`, `product_name`,
/// `denomination`, `quantity`, `amount` (total face value), `delivered_quantity`,
/// `delivered_on` and `created_at`. No voucher codes, as documented. The docs leave
/// the `order.failed` / `order.cancelled` payloads open; the simulator uses the same
/// shape for them (its own choice).
fn order_event_data(order: &Order, delivered_quantity: i64) -> Value {
    json!({
        "id": order.id,
        "reference_code": order.client_reference,
        "status": order.status,
        "product_name": order.product_name,
        "denomination": money(order.denomination),
        "quantity": order.quantity,
        "amount": money(order.amount),
        "delivered_quantity": delivered_quantity,
        "delivered_on": (delivered_quantity > 0).then(|| now_ts().to_string()),
        "created_at": order.created_at.to_string(),
    })
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

/// A validated `POST /api/v1/orders` or charges body (denomination in hundredths).
#[derive(Debug, Clone)]
pub(crate) struct OrderRequest {
    pub(crate) product_id: i64,
    pub(crate) denomination: i64,
    pub(crate) quantity: i64,
    pub(crate) wallet_id: Option<i64>,
    pub(crate) client_reference: Option<String>,
}

/// A price quote (octopus-api.md section 8.3). Amounts in hundredths; the totals up to
/// `total_amount` are in the product's currency, `net_amount` onwards in the wallet's.
#[derive(Debug, Clone)]
struct Quote {
    product_idx: usize,
    wallet_idx: usize,
    non_discounted_total: i64,
    discount_bp: i64,
    discount_amount: i64,
    total_amount: i64,
    fx: Fx,
    net_amount: i64,
    total_payable: i64,
}

impl Quote {
    fn to_json(&self) -> Value {
        json!({
            "non_discounted_total": money(self.non_discounted_total),
            "discount_amount": money(self.discount_amount),
            "total_amount": money(self.total_amount),
            "discount": self.discount_bp as f64 / 100.0,
            "gst_amount": money(0),
            "total_payable": money(self.total_payable),
            "max_quantity": MAX_QUANTITY,
            "net_amount": money(self.net_amount),
            "handling_fee_amount": money(0),
            "charges_details": {
                "source_currency": self.fx.source,
                "destination_currency": self.fx.destination,
                "forex_rate": self.fx.rate,
                "conversion_fee": money(self.fx.fee),
            },
        })
    }
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

    // --- authentication -----------------------------------------------------------

    /// Checks a key/secret pair in constant time (SHA-256 digests, so equal lengths)
    /// against the pair bound to this simulator's tier, and issues tokens.
    pub(crate) fn login(&mut self, username: &str, password: &str) -> Result<Value, ApiError> {
        let (key, secret) = credentials(self.tier);
        let ok = digest(username).ct_eq(&digest(key)) & digest(password).ct_eq(&digest(secret));
        if !bool::from(ok) {
            return Err(ApiError::unauthorized("Invalid credentials"));
        }
        let now = Instant::now();
        self.rate_check(RateClass::Login, now)?;
        Ok(self.issue_tokens(now))
    }

    /// Rotates a refresh token: the old one is revoked, a new pair is issued.
    pub(crate) fn refresh(&mut self, refresh_token: &str) -> Result<Value, ApiError> {
        let now = Instant::now();
        let key = digest(refresh_token);
        match self.tokens.get(&key) {
            Some(t) if t.kind == TokenKind::Refresh && t.expires > now => {
                // Charged only now that the token identifies the account.
                self.rate_check(RateClass::Refresh, now)?;
                self.tokens.remove(&key);
                Ok(self.issue_tokens(now))
            }
            _ => Err(ApiError::unauthorized("Invalid token")),
        }
    }

    /// Revokes every token of the client (documented logout scope).
    pub(crate) fn logout(&mut self) {
        self.tokens.clear();
    }

    /// Checks an `Authorization` header value: `Bearer <live access token>`.
    pub(crate) fn authorize(&self, header: Option<&[u8]>) -> Result<(), ApiError> {
        let Some(raw) = header else {
            return Err(ApiError::unauthorized("Authorization header required"));
        };
        let invalid = || ApiError::unauthorized("Invalid token");
        let text = std::str::from_utf8(raw).map_err(|_| invalid())?.trim();
        let (scheme, token) = text.split_once(' ').ok_or_else(invalid)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(invalid());
        }
        match self.tokens.get(&digest(token.trim())) {
            Some(t) if t.kind == TokenKind::Access && t.expires > Instant::now() => Ok(()),
            _ => Err(invalid()),
        }
    }

    fn issue_tokens(&mut self, now: Instant) -> Value {
        self.tokens.retain(|_, t| t.expires > now);
        let issued = now_ts();
        let access_exp = ts_plus(issued, ACCESS_TTL);
        let refresh_exp = ts_plus(issued, REFRESH_TTL);
        let client = client_id(self.tier);
        let access = mint_token(TokenKind::Access, client, issued, access_exp);
        let refresh = mint_token(TokenKind::Refresh, client, issued, refresh_exp);
        self.tokens.insert(
            digest(&access),
            TokenInfo {
                kind: TokenKind::Access,
                expires: now + ACCESS_TTL,
            },
        );
        self.tokens.insert(
            digest(&refresh),
            TokenInfo {
                kind: TokenKind::Refresh,
                expires: now + REFRESH_TTL,
            },
        );
        json!({
            "access_token": access,
            "refresh_token": refresh,
            "access_expires_at": access_exp.to_string(),
            "refresh_expires_at": refresh_exp.to_string(),
            "client_id": client,
        })
    }

    // --- wallets and transactions -------------------------------------------------

    /// `GET /api/v1/wallets`.
    pub(crate) fn wallets_json(&self) -> Value {
        Value::Array(
            self.wallets
                .iter()
                .map(|w| {
                    json!({"id": w.id, "currency_id": w.currency_id, "amount": money(w.amount), "type": w.kind})
                })
                .collect(),
        )
    }

    /// One transaction by id.
    pub(crate) fn transaction_json(&self, id: i64) -> Option<Value> {
        self.transactions
            .iter()
            .find(|t| t.id == id)
            .map(Transaction::to_json)
    }

    /// The scenario the account runs.
    pub(crate) fn scenario(&self) -> Scenario {
        self.scenario
    }

    /// Transactions newest first, optionally of one wallet.
    pub(crate) fn transactions_json(&self, wallet_id: Option<i64>) -> Vec<Value> {
        self.transactions
            .iter()
            .rev()
            .filter(|t| wallet_id.is_none_or(|w| t.wallet_id == w))
            .map(Transaction::to_json)
            .collect()
    }

    // --- quotes and orders --------------------------------------------------------

    fn quote(&self, req: &OrderRequest) -> Result<Quote, ApiError> {
        let product_idx = PRODUCTS
            .iter()
            .position(|p| p.id == req.product_id)
            .ok_or_else(|| ApiError::not_found("Product not found"))?;
        let product = &PRODUCTS[product_idx];
        if req.denomination < product.min_denomination
            || req.denomination > product.max_denomination
        {
            return Err(ApiError::validation(format!(
                "denomination must be between {} and {} for this product",
                money_text(product.min_denomination),
                money_text(product.max_denomination)
            )));
        }
        let source = currency(product.currency_id);
        let wallet_idx = match req.wallet_id {
            Some(id) => self
                .wallets
                .iter()
                .position(|w| w.id == id)
                .ok_or_else(|| ApiError::not_found("Wallet not found"))?,
            None => self
                .wallets
                .iter()
                .position(|w| w.currency_id == product.currency_id)
                .ok_or_else(|| {
                    ApiError::bad_request(format!("No wallet in {} for this client", source.code))
                })?,
        };
        let destination = currency(self.wallets[wallet_idx].currency_id);
        let non_discounted_total = req.denomination * req.quantity;
        let discount_amount = round_div(non_discounted_total * product.discount_bp, 10_000);
        let total_amount = non_discounted_total - discount_amount;
        let (fx, net_amount) = if source.id == destination.id {
            let fx = Fx {
                source: source.code,
                destination: destination.code,
                rate: 1.0,
                fee: 0,
            };
            (fx, total_amount)
        } else {
            let rate = (source.usd_per_unit / destination.usd_per_unit * 1e6).round() / 1e6;
            let converted = (total_amount as f64 * rate).round() as i64;
            // A 1 % conversion fee, charged in the wallet's currency.
            let fee = round_div(converted, 100);
            let fx = Fx {
                source: source.code,
                destination: destination.code,
                rate,
                fee,
            };
            (fx, converted + fee)
        };
        Ok(Quote {
            product_idx,
            wallet_idx,
            non_discounted_total,
            discount_bp: product.discount_bp,
            discount_amount,
            total_amount,
            fx,
            net_amount,
            // The handling fee is currently 0 (documented).
            total_payable: net_amount,
        })
    }

    /// `POST /api/v1/products/:id/charges`: a quote, changing nothing.
    pub(crate) fn charges(&self, req: &OrderRequest) -> Result<Value, ApiError> {
        self.quote(req).map(|q| q.to_json())
    }

    /// `POST /api/v1/orders`: validates against the catalogue, rejects a duplicate
    /// `client_reference`, debits the wallet synchronously and records the order.
    /// Returns the order's JSON and, for an asynchronous order, its id (the caller
    /// schedules [`SimState::deliver`]).
    pub(crate) fn create_order(
        &mut self,
        req: &OrderRequest,
    ) -> Result<(Value, Option<i64>), ApiError> {
        let quote = self.quote(req)?;
        if let Some(r) = &req.client_reference
            && self.by_reference.contains_key(r)
        {
            return Err(ApiError::bad_request("Duplicate client_reference"));
        }
        let product = &PRODUCTS[quote.product_idx];
        let wallet = &mut self.wallets[quote.wallet_idx];
        if wallet.kind == "PREPAID" && wallet.amount < quote.total_payable {
            return Err(ApiError::insufficient_funds(format!(
                "Insufficient wallet balance: {} {} needed",
                money_text(quote.total_payable),
                quote.fx.destination
            )));
        }
        wallet.amount -= quote.total_payable;
        let (wallet_id, wallet_currency, balance) = (wallet.id, wallet.currency_id, wallet.amount);

        let id = self.next_order_id;
        self.next_order_id += 1;
        let created_at = now_ts();
        let mut order = Order {
            id,
            product_id: product.id,
            product_name: product.name,
            denomination: req.denomination,
            quantity: req.quantity,
            amount: quote.non_discounted_total,
            discount_bp: quote.discount_bp,
            client_reference: req.client_reference.clone(),
            wallet_id,
            status: "PENDING",
            base_currency: quote.fx.source,
            vouchers: Vec::new(),
            created_at,
            paid: quote.total_payable,
        };
        let sync = req.quantity <= SYNC_MAX_QUANTITY;
        if sync {
            order.deliver();
        }

        let transaction_id = self.next_transaction_id;
        self.next_transaction_id += 1;
        self.transactions.push(Transaction {
            id: transaction_id,
            wallet_id,
            currency_id: wallet_currency,
            amount: quote.total_payable,
            kind: "DEBIT",
            fx: (quote.fx.source != quote.fx.destination).then(|| quote.fx.clone()),
            remarks: format!(
                "Order {id}: {} x {} {} {}",
                req.quantity,
                product.name,
                money_text(req.denomination),
                quote.fx.source
            ),
            created_at,
        });
        self.emit(
            "wallet.debited",
            json!({
                "wallet_id": wallet_id,
                "currency": currency(wallet_currency).code,
                "amount": money(quote.total_payable),
                "balance": money(balance),
                "transaction_id": transaction_id,
                "order_id": id,
            }),
        );
        if sync {
            self.emit_delivered(&order);
        }
        if let Some(r) = &req.client_reference {
            self.by_reference.insert(r.clone(), id);
        }
        let body = order.to_json();
        self.orders.push(order);
        Ok((body, (!sync).then_some(id)))
    }

    /// Completes a pending order: vouchers issued, status `DELIVERED`. In
    /// [`Scenario::FulfilmentFailures`] the asynchronous orders end, in turn,
    /// `FAILED`, `PARTIALLY_DELIVERED`, `CANCELLED` and `DELIVERED` (then again from
    /// the start): the simulator's choice of a predictable rule. The money flow is the
    /// documented one (section 8.1): the debit at creation stays, and what was not
    /// delivered is refunded as a separate `CREDIT` (the whole amount for `FAILED`
    /// and `CANCELLED`; for `PARTIALLY_DELIVERED`, where half the vouchers, rounded
    /// down, fail, their share: a simulator choice), announced by `wallet.credited`.
    pub(crate) fn deliver(&mut self, order_id: i64) {
        let Some(idx) = self
            .orders
            .iter()
            .position(|o| o.id == order_id && o.status == "PENDING")
        else {
            return;
        };
        let outcome = if self.scenario == Scenario::FulfilmentFailures {
            const CYCLE: [&str; 4] = ["FAILED", "PARTIALLY_DELIVERED", "CANCELLED", "DELIVERED"];
            CYCLE[self.async_completed % CYCLE.len()]
        } else {
            "DELIVERED"
        };
        self.async_completed += 1;
        let order = &mut self.orders[idx];
        let (event, delivered) = match outcome {
            "DELIVERED" => {
                order.deliver();
                let order = order.clone();
                self.emit_delivered(&order);
                return;
            }
            "PARTIALLY_DELIVERED" => {
                let delivered = order.quantity - order.quantity / 2;
                order.status = "PARTIALLY_DELIVERED";
                order.vouchers = (0..delivered).map(|_| Voucher::mock()).collect();
                ("order.partially_delivered", delivered)
            }
            "CANCELLED" => {
                order.status = "CANCELLED";
                ("order.cancelled", 0)
            }
            _ => {
                order.status = "FAILED";
                ("order.failed", 0)
            }
        };
        let order = order.clone();
        self.emit(event, order_event_data(&order, delivered));
        let undelivered = order.quantity - delivered;
        let refund = if undelivered == order.quantity {
            order.paid
        } else {
            round_div(order.paid * undelivered, order.quantity)
        };
        self.refund(&order, refund);
    }

    /// Credits `amount` back to the order's wallet as a separate `CREDIT`
    /// transaction and announces it with `wallet.credited`.
    fn refund(&mut self, order: &Order, amount: i64) {
        let Some(wallet) = self.wallets.iter_mut().find(|w| w.id == order.wallet_id) else {
            return;
        };
        wallet.amount += amount;
        let (wallet_id, wallet_currency, balance) = (wallet.id, wallet.currency_id, wallet.amount);
        let transaction_id = self.next_transaction_id;
        self.next_transaction_id += 1;
        self.transactions.push(Transaction {
            id: transaction_id,
            wallet_id,
            currency_id: wallet_currency,
            amount,
            kind: "CREDIT",
            fx: None,
            remarks: format!("Refund for order {} ({})", order.id, order.status),
            created_at: now_ts(),
        });
        self.emit(
            "wallet.credited",
            json!({
                "wallet_id": wallet_id,
                "currency": currency(wallet_currency).code,
                "amount": money(amount),
                "balance": money(balance),
                "transaction_id": transaction_id,
                "order_id": order.id,
            }),
        );
    }

    fn emit_delivered(&mut self, order: &Order) {
        self.emit("order.delivered", order_event_data(order, order.quantity));
    }

    /// One order by id.
    pub(crate) fn order_json(&self, id: i64) -> Option<Value> {
        self.orders.iter().find(|o| o.id == id).map(Order::to_json)
    }

    /// Orders newest first, or the one order with a `client_reference`.
    pub(crate) fn orders_json(&self, client_reference: Option<&str>) -> Vec<Value> {
        match client_reference {
            Some(r) => self
                .by_reference
                .get(r)
                .and_then(|id| self.order_json(*id))
                .into_iter()
                .collect(),
            None => self.orders.iter().rev().map(Order::to_json).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b64url_matches_known_vectors() {
        assert_eq!(b64url(b""), "");
        assert_eq!(b64url(b"f"), "Zg");
        assert_eq!(b64url(b"fo"), "Zm8");
        assert_eq!(b64url(b"foo"), "Zm9v");
        assert_eq!(b64url(b"foob"), "Zm9vYg");
        assert_eq!(b64url(&[0xfb, 0xff]), "-_8");
        assert_eq!(
            b64url(br#"{"alg":"HS256","typ":"JWT"}"#),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
        );
    }

    #[test]
    fn limiter_rolls_and_reports_retry_after() {
        let mut l = RateLimiter::default();
        let t0 = Instant::now();
        for i in 0..10 {
            let t = t0 + Duration::from_secs(i);
            assert!(
                l.check(RateClass::Login, Tier::Production, Scenario::Healthy, t)
                    .is_ok()
            );
        }
        let t = t0 + Duration::from_millis(10_500);
        assert_eq!(
            l.check(RateClass::Login, Tier::Production, Scenario::Healthy, t),
            Err(50)
        );
        // Another class is independent.
        assert!(
            l.check(RateClass::Get, Tier::Production, Scenario::Healthy, t)
                .is_ok()
        );
        // Once the oldest leaves the window, one slot frees.
        let t = t0 + Duration::from_secs(60);
        assert!(
            l.check(RateClass::Login, Tier::Production, Scenario::Healthy, t)
                .is_ok()
        );
        assert!(
            l.check(RateClass::Login, Tier::Production, Scenario::Healthy, t)
                .is_err()
        );
    }

    #[test]
    fn rate_limited_scenario_trips_once_per_class() {
        let mut l = RateLimiter::default();
        let t = Instant::now();
        let s = Scenario::RateLimited;
        assert_eq!(l.check(RateClass::Login, Tier::Sandbox, s, t), Err(1));
        assert!(l.check(RateClass::Login, Tier::Sandbox, s, t).is_ok());
        assert_eq!(l.check(RateClass::Charges, Tier::Sandbox, s, t), Err(1));
    }

    #[test]
    fn cross_currency_quote_converts_and_charges_a_fee() {
        let st = SimState::new(
            Tier::Sandbox,
            Scenario::Healthy,
            "203.0.113.10".parse().unwrap(),
            allowlist_for(Scenario::Healthy),
        );
        let req = OrderRequest {
            product_id: 456,
            denomination: 5_000,
            quantity: 2,
            wallet_id: Some(1),
            client_reference: None,
        };
        let q = st.quote(&req).unwrap();
        assert_eq!(q.non_discounted_total, 10_000);
        assert_eq!(q.discount_amount, 200);
        assert_eq!(q.total_amount, 9_800);
        assert_eq!(q.fx.source, "EUR");
        assert_eq!(q.fx.destination, "USD");
        assert_eq!(q.fx.rate, 1.08);
        // 98.00 EUR -> 105.84 USD, 1 % fee 1.06 USD.
        assert_eq!(q.fx.fee, 106);
        assert_eq!(q.total_payable, 10_584 + 106);
    }
}
