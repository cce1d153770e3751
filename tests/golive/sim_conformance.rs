//! Conformance of `golive sim` with the documented Octopus API (issue #12).
//!
//! One table: each row states a documented behaviour with its section number of
//! `octopus-api.md`, the request (after optional set-up requests) made over HTTP
//! against a freshly started simulator, and the expected status and shape. Each row
//! is its own test, named after the behaviour, so a regression names what broke.
//! `docs/simulator.md` carries the same table for humans.

use std::time::{Duration, Instant};

use golive::sim::{self, Scenario, SimConfig, SimHandle};
use golive::tier::Tier;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// How a step authenticates.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Auth {
    /// No `Authorization` header.
    None,
    /// `Bearer` with a token from a login made before the first step.
    Bearer,
    /// `Bearer` with a token the simulator never issued.
    BadBearer,
}

/// One HTTP request. `{key}` and `{secret}` in the body are replaced by the
/// simulator's credentials, `{refresh}` by the refresh token of the set-up login.
#[derive(Clone)]
struct Step {
    method: &'static str,
    path: String,
    auth: Auth,
    content_type: Option<&'static str>,
    body: Option<String>,
    times: usize,
}

fn get(path: &str) -> Step {
    Step {
        method: "GET",
        path: path.to_string(),
        auth: Auth::Bearer,
        content_type: None,
        body: None,
        times: 1,
    }
}

fn post(path: &str, body: &str) -> Step {
    Step {
        method: "POST",
        path: path.to_string(),
        auth: Auth::Bearer,
        content_type: Some("application/json"),
        body: Some(body.to_string()),
        times: 1,
    }
}

const LOGIN: &str = r#"{"username":"{key}","password":"{secret}"}"#;
const BAD_LOGIN: &str = r#"{"username":"{key}","password":"nope"}"#;

fn login() -> Step {
    post("/auth/login", LOGIN).auth(Auth::None)
}

fn order(quantity: u32) -> Step {
    post(
        "/api/v1/orders",
        &format!(r#"{{"product_id":123,"denomination":10,"quantity":{quantity}}}"#),
    )
}

impl Step {
    fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }
    fn content_type(mut self, ct: Option<&'static str>) -> Self {
        self.content_type = ct;
        self
    }
    fn times(mut self, n: usize) -> Self {
        self.times = n;
        self
    }
}

type Check = fn(&Value, &HeaderMap) -> Result<(), String>;
type After = fn(&SimHandle) -> Result<(), String>;

/// One documented behaviour.
struct Row {
    section: &'static str,
    tier: Tier,
    scenario: Scenario,
    setup: Vec<Step>,
    request: Step,
    status: u16,
    check: Option<Check>,
    /// A check of what the simulator did afterwards (its webhook events), retried
    /// for up to 5 s.
    after: Option<After>,
    /// A wait between the set-up and the request (async completions).
    pause: Duration,
}

fn row(section: &'static str, request: Step, status: u16) -> Row {
    Row {
        section,
        tier: Tier::Sandbox,
        scenario: Scenario::Healthy,
        setup: Vec::new(),
        request,
        status,
        check: None,
        after: None,
        pause: Duration::ZERO,
    }
}

impl Row {
    fn tier(mut self, tier: Tier) -> Self {
        self.tier = tier;
        self
    }
    fn scenario(mut self, scenario: Scenario) -> Self {
        self.scenario = scenario;
        self
    }
    fn setup(mut self, steps: Vec<Step>) -> Self {
        self.setup = steps;
        self
    }
    fn check(mut self, check: Check) -> Self {
        self.check = Some(check);
        self
    }
    fn pause(mut self, pause: Duration) -> Self {
        self.pause = pause;
        self
    }
    fn after(mut self, after: After) -> Self {
        self.after = Some(after);
        self
    }
}

struct Ctx {
    http: reqwest::Client,
    handle: SimHandle,
    access: Option<String>,
    refresh: Option<String>,
}

impl Ctx {
    async fn send(&mut self, step: &Step) -> (u16, HeaderMap, Value) {
        if step.auth == Auth::Bearer && self.access.is_none() {
            let (status, _, v) = Box::pin(self.send(&login())).await;
            assert_eq!(status, 200, "set-up login: {v}");
            self.access = v["data"]["access_token"].as_str().map(str::to_string);
            self.refresh = v["data"]["refresh_token"].as_str().map(str::to_string);
        }
        let url = format!("{}{}", self.handle.base_url(), step.path);
        let method = reqwest::Method::from_bytes(step.method.as_bytes()).unwrap();
        let mut req = self.http.request(method, url);
        match step.auth {
            Auth::None => {}
            Auth::Bearer => req = req.bearer_auth(self.access.as_deref().unwrap_or("")),
            Auth::BadBearer => req = req.bearer_auth("eyJhbGciOiJIUzI1NiJ9.e30.bm9wZQ"),
        }
        if let Some(ct) = step.content_type {
            req = req.header("content-type", ct);
        }
        if let Some(body) = &step.body {
            let body = body
                .replace("{key}", self.handle.api_key().expose())
                .replace("{secret}", self.handle.api_secret().expose())
                .replace("{refresh}", self.refresh.as_deref().unwrap_or(""));
            req = req.body(body);
        }
        let resp = req.send().await.expect("the simulator answers");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap_or_default();
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, headers, value)
    }
}

async fn run(behaviour: &str, row: Row) {
    let handle = sim::start(SimConfig {
        tier: row.tier,
        scenario: row.scenario,
        ..SimConfig::default()
    })
    .await
    .expect("the simulator starts");
    let mut ctx = Ctx {
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
        handle,
        access: None,
        refresh: None,
    };
    let what = format!("section {} / {behaviour}", row.section);
    for step in &row.setup {
        for _ in 0..step.times {
            ctx.send(step).await;
        }
    }
    tokio::time::sleep(row.pause).await;
    let mut last = None;
    for _ in 0..row.request.times {
        last = Some(ctx.send(&row.request).await);
    }
    let (status, headers, body) = last.expect("at least one request");
    assert_eq!(status, row.status, "{what}: status; body {body}");
    // Every answer carries X-Request-Id (section 4.1), every error the envelope (7.1).
    assert!(headers.contains_key("x-request-id"), "{what}: X-Request-Id");
    if status >= 400 {
        envelope(&body).unwrap_or_else(|e| panic!("{what}: {e}"));
    }
    if let Some(check) = row.check {
        check(&body, &headers).unwrap_or_else(|e| panic!("{what}: {e}; body {body}"));
    }
    if let Some(after) = row.after {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match after(&ctx.handle) {
                Ok(()) => break,
                Err(e) if Instant::now() > deadline => panic!("{what}: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// Shape checks

fn ensure(ok: bool, why: impl Into<String>) -> Result<(), String> {
    if ok { Ok(()) } else { Err(why.into()) }
}

fn envelope(v: &Value) -> Result<(), String> {
    let e = &v["error"];
    ensure(
        e["name"].is_string() && e["code"].is_string() && e["message"].is_string(),
        "not the error envelope {error:{name,code,message}}",
    )
}

fn error_code(v: &Value, code: &str) -> Result<(), String> {
    ensure(
        v["error"]["code"] == code,
        format!("error.code is not {code}"),
    )
}

fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .map(|a| a.iter().filter_map(|o| o["id"].as_i64()).collect())
        .unwrap_or_default()
}

fn login_shape(v: &Value, _: &HeaderMap) -> Result<(), String> {
    let d = &v["data"];
    ensure(v["success"] == true, "success is not true")?;
    for f in [
        "access_token",
        "refresh_token",
        "access_expires_at",
        "refresh_expires_at",
    ] {
        ensure(d[f].is_string(), format!("data.{f} is not a string"))?;
    }
    ensure(d["client_id"].is_i64(), "client_id is not an integer")
}

fn sandbox_client_id(v: &Value, h: &HeaderMap) -> Result<(), String> {
    login_shape(v, h)?;
    ensure(v["data"]["client_id"] == 40917, "sandbox client_id")
}

fn production_client_id(v: &Value, h: &HeaderMap) -> Result<(), String> {
    login_shape(v, h)?;
    ensure(v["data"]["client_id"] == 73562, "production client_id")
}

fn validation_failure(v: &Value, _: &HeaderMap) -> Result<(), String> {
    error_code(v, "VALIDATION_FAILURE")
}

fn unauthorized(v: &Value, _: &HeaderMap) -> Result<(), String> {
    error_code(v, "UNAUTHORIZED")
}

fn forbidden(v: &Value, _: &HeaderMap) -> Result<(), String> {
    error_code(v, "FORBIDDEN")?;
    ensure(
        v["error"]["message"] == "IP address not authorized",
        "message",
    )
}

fn too_many(v: &Value, h: &HeaderMap) -> Result<(), String> {
    error_code(v, "TOO_MANY_REQUESTS")?;
    ensure(h.contains_key("retry-after"), "no Retry-After")
}

fn not_found(v: &Value, _: &HeaderMap) -> Result<(), String> {
    error_code(v, "NOT_FOUND")
}

fn duplicate(v: &Value, _: &HeaderMap) -> Result<(), String> {
    error_code(v, "BAD_REQUEST")?;
    ensure(
        v["error"]["message"] == "Duplicate client_reference",
        "message",
    )
}

fn insufficient(v: &Value, _: &HeaderMap) -> Result<(), String> {
    error_code(v, "INSUFFICIENT_FUNDS")
}

fn wallets_shape(v: &Value, _: &HeaderMap) -> Result<(), String> {
    let a = v.as_array().ok_or("not an array")?;
    ensure(!a.is_empty(), "no wallet")?;
    for w in a {
        ensure(w["id"].is_i64() && w["currency_id"].is_i64(), "ids")?;
        ensure(w["amount"].is_number(), "amount")?;
        ensure(w["type"] == "PREPAID" || w["type"] == "POSTPAID", "type")?;
    }
    Ok(())
}

fn currencies_shape(v: &Value, _: &HeaderMap) -> Result<(), String> {
    let a = v.as_array().ok_or("not an array")?;
    ensure(
        a.iter()
            .any(|c| c["currency"] == "USD" && c["precision"] == 2),
        "USD",
    )?;
    ensure(
        a.iter().any(|c| c["precision"] == 0),
        "a 0-precision currency",
    )
}

fn transactions_shape(v: &Value, h: &HeaderMap) -> Result<(), String> {
    pagination_headers(v, h)?;
    let a = v.as_array().ok_or("not an array")?;
    for t in a {
        for f in [
            "id",
            "wallet_id",
            "currency_id",
            "amount",
            "transaction_type",
            "status",
            "remarks",
            "created_at",
        ] {
            ensure(!t[f].is_null(), format!("transaction.{f} missing"))?;
        }
        for f in [
            "source_currency",
            "destination_currency",
            "forex_rate",
            "conversion_charges",
        ] {
            ensure(t.get(f).is_some(), format!("transaction.{f} absent"))?;
        }
    }
    Ok(())
}

fn pagination_headers(_: &Value, h: &HeaderMap) -> Result<(), String> {
    for name in [
        "x-page",
        "x-per-page",
        "x-total-count",
        "x-total-pages",
        "x-page-size",
        "x-has-more",
    ] {
        ensure(h.contains_key(name), format!("{name} missing"))?;
    }
    Ok(())
}

fn newest_first(v: &Value, h: &HeaderMap) -> Result<(), String> {
    pagination_headers(v, h)?;
    let ids = ids(v);
    ensure(ids.len() >= 2, "fewer than 2 items")?;
    ensure(
        ids.windows(2).all(|w| w[0] > w[1]),
        format!("not id DESC: {ids:?}"),
    )
}

fn oldest_first(v: &Value, _: &HeaderMap) -> Result<(), String> {
    let ids = ids(v);
    ensure(ids.len() >= 2, "fewer than 2 items")?;
    ensure(
        ids.windows(2).all(|w| w[0] < w[1]),
        format!("not id ASC: {ids:?}"),
    )
}

fn sync_order(v: &Value, _: &HeaderMap) -> Result<(), String> {
    ensure(v["status"] == "DELIVERED", "status")?;
    let vouchers = v["vouchers"].as_array().ok_or("vouchers")?;
    ensure(vouchers.len() == 2, "2 vouchers")?;
    for f in [
        "card_number",
        "pin_code",
        "claim_url",
        "expires_at",
        "voucher_reference_number",
    ] {
        ensure(vouchers[0].get(f).is_some(), format!("voucher.{f}"))?;
    }
    for f in [
        "id",
        "product_id",
        "product_name",
        "denomination",
        "quantity",
        "amount",
        "discount",
        "client_reference",
        "wallet_id",
        "status",
        "base_currency",
    ] {
        ensure(v.get(f).is_some(), format!("order.{f}"))?;
    }
    Ok(())
}

fn async_order(v: &Value, _: &HeaderMap) -> Result<(), String> {
    ensure(v["status"] == "PENDING", "status")?;
    ensure(v["vouchers"] == serde_json::json!([]), "vouchers not []")
}

fn one_order(v: &Value, _: &HeaderMap) -> Result<(), String> {
    let a = v.as_array().ok_or("not an array")?;
    ensure(
        a.len() == 1 && a[0]["client_reference"] == "REF-1",
        "one order",
    )
}

fn quote_shape(v: &Value, _: &HeaderMap) -> Result<(), String> {
    for f in [
        "non_discounted_total",
        "discount_amount",
        "total_amount",
        "discount",
        "gst_amount",
        "total_payable",
        "max_quantity",
        "net_amount",
        "handling_fee_amount",
    ] {
        ensure(v[f].is_number(), f.to_string())?;
    }
    let d = &v["charges_details"];
    for f in [
        "source_currency",
        "destination_currency",
        "forex_rate",
        "conversion_fee",
    ] {
        ensure(!d[f].is_null(), format!("charges_details.{f}"))?;
    }
    ensure(v["handling_fee_amount"] == 0.0, "handling fee is 0")
}

fn logged_out(v: &Value, _: &HeaderMap) -> Result<(), String> {
    ensure(
        v["data"]["message"] == "Successfully logged out",
        "logout message",
    )
}

fn order_delivered_payload(h: &SimHandle) -> Result<(), String> {
    let e = h
        .events()
        .into_iter()
        .find(|e| e.event_type == "order.delivered")
        .ok_or("no order.delivered yet")?;
    let d = e.data.as_object().ok_or("data is not an object")?;
    let documented = [
        "id",
        "reference_code",
        "status",
        "product_name",
        "denomination",
        "quantity",
        "amount",
        "delivered_quantity",
        "delivered_on",
        "created_at",
    ];
    for f in documented {
        ensure(d.contains_key(f), format!("data.{f} missing"))?;
    }
    ensure(d["id"].is_i64(), "data.id is not an int")?;
    ensure(e.id.starts_with("evt_"), "event id prefix")?;
    let extra: Vec<_> = d
        .keys()
        .filter(|k| !documented.contains(&k.as_str()))
        .collect();
    ensure(extra.is_empty(), format!("undocumented fields {extra:?}"))
}

fn wallet_debited_sent(h: &SimHandle) -> Result<(), String> {
    ensure(
        h.events().iter().any(|e| e.event_type == "wallet.debited"),
        "no wallet.debited",
    )
}

fn products_page(v: &Value, h: &HeaderMap) -> Result<(), String> {
    pagination_headers(v, h)?;
    ensure(h["x-per-page"] == "10", "default limit is not 10")?;
    let a = v.as_array().ok_or("not an array")?;
    ensure(!a.is_empty(), "no product")?;
    ensure(a.iter().all(|p| p["id"].is_i64()), "product ids")
}

fn one_product(v: &Value, _: &HeaderMap) -> Result<(), String> {
    ensure(v["id"] == 123, "product 123")
}

fn categories_list(v: &Value, _: &HeaderMap) -> Result<(), String> {
    let a = v.as_array().ok_or("not an array")?;
    ensure(
        !a.is_empty() && a.iter().all(|c| c["id"].is_i64()),
        "categories",
    )
}

fn invalid_feature(v: &Value, _: &HeaderMap) -> Result<(), String> {
    error_code(v, "INVALID_FEATURE")?;
    ensure(v["error"]["name"] == "BadRequestError", "name")
}

fn one_transaction(v: &Value, _: &HeaderMap) -> Result<(), String> {
    ensure(
        v["id"] == 1 && v["transaction_type"] == "CREDIT",
        "transaction 1",
    )
}

fn postpaid_wallets(v: &Value, h: &HeaderMap) -> Result<(), String> {
    wallets_shape(v, h)?;
    let a = v.as_array().ok_or("not an array")?;
    ensure(a.iter().all(|w| w["type"] == "POSTPAID"), "not POSTPAID")?;
    ensure(
        a.iter()
            .any(|w| w["amount"].as_f64().is_some_and(|x| x < 0.0)),
        "no wallet went below zero on credit",
    )
}

/// After four async orders in `fulfilment-failures`: FAILED, PARTIALLY_DELIVERED,
/// CANCELLED, DELIVERED (oldest first), and each debit matched by refund CREDITs.
fn failure_outcomes(v: &Value, _: &HeaderMap) -> Result<(), String> {
    let a = v.as_array().ok_or("not an array")?;
    let statuses: Vec<&str> = a.iter().filter_map(|o| o["status"].as_str()).collect();
    ensure(
        statuses == ["FAILED", "PARTIALLY_DELIVERED", "CANCELLED", "DELIVERED"],
        format!("statuses {statuses:?}"),
    )?;
    ensure(
        a[1]["vouchers"].as_array().is_some_and(|v| v.len() == 3),
        "3 of 6 delivered",
    )?;
    ensure(
        a[0]["vouchers"] == serde_json::json!([]),
        "failed has no vouchers",
    )
}

fn refund_credits(v: &Value, _: &HeaderMap) -> Result<(), String> {
    let a = v.as_array().ok_or("not an array")?;
    let refunds: Vec<&Value> = a
        .iter()
        .filter(|t| {
            t["transaction_type"] == "CREDIT"
                && t["remarks"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("Refund"))
        })
        .collect();
    ensure(
        refunds.len() == 3,
        format!("{} refunds, not 3", refunds.len()),
    )?;
    let debits = a
        .iter()
        .filter(|t| t["transaction_type"] == "DEBIT")
        .count();
    ensure(debits == 4, format!("{debits} debits, not 4"))
}

fn failure_events(h: &SimHandle) -> Result<(), String> {
    let events = h.events();
    for t in [
        "order.failed",
        "order.partially_delivered",
        "order.cancelled",
        "wallet.credited",
        "order.delivered",
    ] {
        ensure(events.iter().any(|e| e.event_type == t), format!("no {t}"))?;
    }
    let partial = events
        .iter()
        .find(|e| e.event_type == "order.partially_delivered")
        .ok_or("no order.partially_delivered")?;
    ensure(
        partial.data["delivered_quantity"] == 3,
        "delivered_quantity",
    )
}

fn every_third_is_5xx(v: &Value, _: &HeaderMap) -> Result<(), String> {
    ensure(
        v["error"]["name"] == "InternalServerError",
        "5xx name is not InternalServerError",
    )
}

fn each_event_delivered_twice(h: &SimHandle) -> Result<(), String> {
    let events = h.events();
    ensure(events.len() >= 2, "events")?;
    for e in events {
        let acks = h
            .deliveries()
            .iter()
            .filter(|d| d.event_id == e.id && d.status == Some(200))
            .count();
        ensure(acks == 2, format!("{} acknowledged {acks} times", e.id))?;
    }
    Ok(())
}

fn names_topups_not_simulated(v: &Value, _: &HeaderMap) -> Result<(), String> {
    not_found(v, &HeaderMap::new())?;
    ensure(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not simulated")),
        "message does not say not simulated",
    )
}

fn header_required(v: &Value, _: &HeaderMap) -> Result<(), String> {
    error_code(v, "UNAUTHORIZED")?;
    ensure(
        v["error"]["message"] == "Authorization header required",
        "message",
    )
}

fn retry_after_message(v: &Value, h: &HeaderMap) -> Result<(), String> {
    too_many(v, h)?;
    let secs = h["retry-after"].to_str().map_err(|e| e.to_string())?;
    ensure(
        v["error"]["message"] == format!("Rate limit exceeded. Retry after {secs} seconds."),
        "message does not carry the Retry-After seconds",
    )
}

fn one_of_two_with_more(v: &Value, h: &HeaderMap) -> Result<(), String> {
    pagination_headers(v, h)?;
    ensure(v.as_array().is_some_and(|a| a.len() == 1), "one item")?;
    ensure(h["x-has-more"] == "true", "X-Has-More")?;
    ensure(
        h["x-page"] == "1" && h["x-total-count"] == "2",
        "page/total",
    )
}

fn only_wallet_2(v: &Value, _: &HeaderMap) -> Result<(), String> {
    let a = v.as_array().ok_or("not an array")?;
    ensure(
        !a.is_empty() && a.iter().all(|t| t["wallet_id"] == 2),
        "wallet_id filter",
    )
}

fn cross_currency_quote(v: &Value, _: &HeaderMap) -> Result<(), String> {
    let d = &v["charges_details"];
    ensure(
        d["source_currency"] == "EUR" && d["destination_currency"] == "USD",
        "source is the product's currency, destination the wallet's",
    )
}

fn order_by_id(v: &Value, _: &HeaderMap) -> Result<(), String> {
    ensure(v["id"] == 1001 && v["status"] == "DELIVERED", "order 1001")?;
    ensure(
        v["vouchers"].as_array().is_some_and(|a| a.len() == 1),
        "vouchers",
    )
}

// ---------------------------------------------------------------------------------
// The table

macro_rules! conformance {
    ($($behaviour:ident => $row:expr;)*) => {
        $(
            #[tokio::test]
            async fn $behaviour() {
                run(stringify!($behaviour), $row).await;
            }
        )*
    };
}

conformance! {
    // 3. Authentication
    login_returns_wrapped_tokens_and_integer_client_id =>
        row("3.2", login(), 200).check(login_shape);
    login_with_an_empty_field_is_a_validation_failure =>
        row("3.2", post("/auth/login", r#"{"username":"","password":"x"}"#).auth(Auth::None), 400)
            .check(validation_failure);
    login_with_bad_credentials_is_401_invalid_credentials =>
        row("3.2", post("/auth/login", BAD_LOGIN).auth(Auth::None), 401).check(unauthorized);
    protected_route_without_authorization_is_401 =>
        row("3.5", get("/api/v1/wallets").auth(Auth::None), 401).check(unauthorized);
    protected_route_with_a_bad_token_is_401 =>
        row("3.6", get("/api/v1/wallets").auth(Auth::BadBearer), 401).check(unauthorized);
    refresh_returns_the_login_shape =>
        row("3.4", post("/auth/refresh", r#"{"refresh_token":"{refresh}"}"#).auth(Auth::None), 200)
            .setup(vec![get("/api/v1/currencies")])
            .check(login_shape);
    refresh_reusing_a_rotated_token_is_401 =>
        row("3.4", post("/auth/refresh", r#"{"refresh_token":"{refresh}"}"#).auth(Auth::None), 401)
            .setup(vec![
                get("/api/v1/currencies"),
                post("/auth/refresh", r#"{"refresh_token":"{refresh}"}"#).auth(Auth::None),
            ]);
    refresh_without_a_token_is_a_validation_failure =>
        row("3.4", post("/auth/refresh", "{}").auth(Auth::None), 400).check(validation_failure);
    logout_answers_successfully_logged_out =>
        row("3.5", post("/auth/logout", ""), 200).check(logged_out);
    logout_revokes_the_access_token =>
        row("3.5", get("/api/v1/wallets"), 401)
            .setup(vec![post("/auth/logout", "")]);

    logout_without_authorization_is_401_header_required =>
        row("3.5", post("/auth/logout", "").auth(Auth::None), 401).check(header_required);

    // 2. Environments
    each_tier_has_its_own_client_id_sandbox =>
        row("2", login(), 200).check(sandbox_client_id);
    each_tier_has_its_own_client_id_production =>
        row("2", login(), 200).tier(Tier::Production).check(production_client_id);
    other_tier_credentials_are_refused =>
        row("2", login(), 401).scenario(Scenario::WrongTier).check(unauthorized);

    // 4. Conventions
    post_without_content_type_is_refused =>
        row("4.1", login().content_type(None), 400).check(validation_failure);
    post_with_text_plain_is_refused =>
        row("4.1", post("/api/v1/products/123/charges", r#"{"denomination":10,"quantity":1}"#)
            .content_type(Some("text/plain")), 400).check(validation_failure);
    post_with_json_charset_is_accepted =>
        row("4.1", login().content_type(Some("application/json; charset=utf-8")), 200);
    lists_default_to_id_desc =>
        row("4.2", get("/api/v1/orders"), 200)
            .setup(vec![order(1).times(3)])
            .check(newest_first);
    sort_asc_is_honoured_on_orders =>
        row("4.2", get("/api/v1/orders?sort=%7B%22Field%22%3A%22id%22%2C%22Direction%22%3A%22ASC%22%7D"), 200)
            .setup(vec![order(1).times(3)])
            .check(oldest_first);
    sort_asc_is_honoured_on_transactions =>
        row("4.2", get("/api/v1/transactions?sort=%7B%22Field%22%3A%22id%22%2C%22Direction%22%3A%22ASC%22%7D"), 200)
            .check(oldest_first);
    malformed_sort_is_a_validation_failure =>
        row("4.2", get("/api/v1/orders?sort=id"), 400).check(validation_failure);
    sort_on_an_unknown_field_is_a_validation_failure =>
        row("4.2", get("/api/v1/orders?sort=%7B%22Field%22%3A%22nope%22%7D"), 400)
            .check(validation_failure);
    limit_out_of_range_is_a_validation_failure =>
        row("4.2", get("/api/v1/transactions?limit=10001"), 400).check(validation_failure);
    pagination_headers_on_lists =>
        row("4.2", get("/api/v1/transactions?limit=1"), 200).check(pagination_headers);

    list_pages_carry_x_has_more =>
        row("4.2", get("/api/v1/orders?limit=1"), 200)
            .setup(vec![order(1).times(2)])
            .check(one_of_two_with_more);

    // 5. Wallets
    wallets_are_a_raw_array_of_documented_elements =>
        row("5.1", get("/api/v1/wallets"), 200).check(wallets_shape);
    currencies_have_code_and_precision =>
        row("5.1", get("/api/v1/currencies"), 200).check(currencies_shape);
    transactions_have_the_documented_shape =>
        row("5.3", get("/api/v1/transactions"), 200)
            .setup(vec![order(1)])
            .check(transactions_shape);
    transactions_are_newest_first =>
        row("5.3", get("/api/v1/transactions"), 200)
            .setup(vec![order(1)])
            .check(newest_first);
    transactions_filter_on_wallet_id =>
        row("5.3", get("/api/v1/transactions?wallet_id=2"), 200).check(only_wallet_2);
    transactions_wallet_id_zero_is_400 =>
        row("5.3", get("/api/v1/transactions?wallet_id=0"), 400).check(validation_failure);

    // 6. Rate limits
    production_login_is_limited_to_ten_per_minute =>
        row("6", login().times(11), 429).tier(Tier::Production).check(too_many);
    failed_logins_do_not_consume_the_quota =>
        row("6", login(), 200)
            .tier(Tier::Production)
            .setup(vec![post("/auth/login", BAD_LOGIN).auth(Auth::None).times(15)]);
    unauthenticated_requests_do_not_consume_the_quota =>
        row("6", get("/api/v1/wallets"), 200)
            .tier(Tier::Production)
            .setup(vec![get("/api/v1/wallets").auth(Auth::BadBearer).times(300)]);
    a_bad_token_gets_401_not_429_on_a_full_bucket =>
        row("6", get("/api/v1/wallets").auth(Auth::BadBearer), 401)
            .tier(Tier::Production)
            .setup(vec![get("/api/v1/wallets").times(300)])
            .check(unauthorized);
    bad_credentials_get_401_not_429_on_a_full_bucket =>
        row("6", post("/auth/login", BAD_LOGIN).auth(Auth::None), 401)
            .tier(Tier::Production)
            .setup(vec![login().times(10)])
            .check(unauthorized);
    rate_limit_message_carries_the_retry_after_seconds =>
        row("6", login().times(11), 429).tier(Tier::Production).check(retry_after_message);
    rate_limited_answers_429_with_retry_after =>
        row("6", login(), 429).scenario(Scenario::RateLimited).check(too_many);

    // 8. Orders
    small_order_is_delivered_synchronously =>
        row("8.1", post("/api/v1/orders", r#"{"product_id":123,"denomination":50,"quantity":2,"client_reference":"ABC-1"}"#), 201)
            .check(sync_order);
    large_order_is_pending_with_no_vouchers =>
        row("8.1", order(6), 201).check(async_order);
    every_order_fires_wallet_debited =>
        row("10.7", order(1), 201).after(wallet_debited_sent);
    order_delivered_carries_the_documented_fields =>
        row("10.5", order(1), 201).after(order_delivered_payload);
    duplicate_client_reference_is_400_bad_request =>
        row("8.2", post("/api/v1/orders", r#"{"product_id":123,"denomination":10,"quantity":1,"client_reference":"REF-1"}"#), 400)
            .setup(vec![post("/api/v1/orders", r#"{"product_id":123,"denomination":10,"quantity":1,"client_reference":"REF-1"}"#)])
            .check(duplicate);
    lookup_by_client_reference_returns_one_order =>
        row("8.2", get("/api/v1/orders?client_reference=REF-1"), 200)
            .setup(vec![post("/api/v1/orders", r#"{"product_id":123,"denomination":10,"quantity":1,"client_reference":"REF-1"}"#)])
            .check(one_order);
    order_quantity_above_5000_is_a_validation_failure =>
        row("8.1", order(5001), 400).check(validation_failure);
    order_for_an_unknown_product_is_404 =>
        row("8.1", post("/api/v1/orders", r#"{"product_id":999,"denomination":10,"quantity":1}"#), 404)
            .check(not_found);
    insufficient_balance_is_insufficient_funds =>
        row("5.1", post("/api/v1/orders", r#"{"product_id":123,"denomination":1000,"quantity":1}"#), 400)
            .scenario(Scenario::LowBalance)
            .check(insufficient);
    unknown_order_is_404 =>
        row("7.2", get("/api/v1/orders/999999"), 404).check(not_found);
    charges_return_the_documented_quote =>
        row("8.3", post("/api/v1/products/123/charges", r#"{"denomination":50,"quantity":5}"#), 200)
            .check(quote_shape);
    cross_currency_quote_names_source_and_destination =>
        row("8.3", post("/api/v1/products/456/charges", r#"{"denomination":50,"quantity":1,"wallet_id":1}"#), 200)
            .check(cross_currency_quote);
    order_by_id_returns_the_raw_order_with_codes =>
        row("8.1", get("/api/v1/orders/1001"), 200)
            .setup(vec![order(1)])
            .check(order_by_id);
    charges_denomination_out_of_range_is_400 =>
        row("8.3", post("/api/v1/products/123/charges", r#"{"denomination":0,"quantity":1}"#), 400)
            .check(validation_failure);

    // Catalogue (section 4.2 for the products page, 3.6 for categories, 5.3)
    products_page_defaults_to_limit_10 =>
        row("4.2", get("/api/v1/products"), 200).check(products_page);
    products_limit_above_500_is_a_validation_failure =>
        row("4.2", get("/api/v1/products?limit=501"), 400).check(validation_failure);
    product_by_id_is_the_raw_entity =>
        row("4.3", get("/api/v1/products/123"), 200).check(one_product);
    unknown_product_is_404 =>
        row("7.2", get("/api/v1/products/999"), 404).check(not_found);
    categories_are_listed =>
        row("3.6", get("/api/v1/categories"), 200).check(categories_list);
    categories_without_the_voucher_feature_is_400_invalid_feature =>
        row("3.6", get("/api/v1/categories"), 400)
            .scenario(Scenario::VouchersDisabled)
            .check(invalid_feature);
    transaction_by_id_is_the_raw_entity =>
        row("5.3", get("/api/v1/transactions/1"), 200).check(one_transaction);
    unknown_transaction_is_404 =>
        row("5.3", get("/api/v1/transactions/999999"), 404).check(not_found);
    postpaid_wallets_take_orders_on_credit =>
        row("5.1", get("/api/v1/wallets"), 200)
            .scenario(Scenario::Postpaid)
            .setup(vec![post("/api/v1/orders", r#"{"product_id":123,"denomination":1000,"quantity":30}"#)])
            .check(postpaid_wallets);

    // Failure paths (sections 8.1, 10.5)
    failed_partial_and_cancelled_orders_exist =>
        row("8.1", get("/api/v1/orders?sort=%7B%22Field%22%3A%22id%22%2C%22Direction%22%3A%22ASC%22%7D"), 200)
            .scenario(Scenario::FulfilmentFailures)
            .setup(vec![order(6).times(4)])
            .pause(Duration::from_millis(1800))
            .check(failure_outcomes);
    failed_orders_are_refunded_as_a_separate_credit =>
        row("8.1", get("/api/v1/transactions"), 200)
            .scenario(Scenario::FulfilmentFailures)
            .setup(vec![order(6).times(4)])
            .pause(Duration::from_millis(1800))
            .check(refund_credits);
    failure_events_are_sent =>
        row("10.5", order(6), 201)
            .scenario(Scenario::FulfilmentFailures)
            .setup(vec![order(6).times(3)])
            .after(failure_events);

    // 5xx (sections 7.2, 11)
    flaky_answers_a_share_with_5xx_in_the_envelope =>
        row("7.2", get("/api/v1/currencies").times(2), 500)
            .scenario(Scenario::Flaky)
            .check(every_third_is_5xx);
    flaky_cycles_through_502_503_504 =>
        row("7.2", get("/api/v1/currencies").times(3), 502)
            .scenario(Scenario::Flaky)
            .setup(vec![get("/api/v1/currencies").times(2)]);

    // Repeated deliveries (section 10.6)
    duplicate_deliveries_repeat_the_same_event_id =>
        row("10.6", order(1), 201)
            .scenario(Scenario::DuplicateDeliveries)
            .after(each_event_delivered_twice);

    // Not simulated (sections 8.4, 8.5)
    topups_are_named_not_simulated =>
        row("8.4", post("/api/v1/topups/orders", "{}"), 404).check(names_topups_not_simulated);
    esim_is_named_not_simulated =>
        row("8.5", get("/api/v1/esim/orders"), 404).check(names_topups_not_simulated);

    // 9. IP allowlist
    blocked_ip_gets_403_on_login =>
        row("9", login(), 403).scenario(Scenario::BlockedIp).check(forbidden);

    // 7. Errors
    unknown_route_is_404_in_the_envelope =>
        row("7.1", get("/api/v1/nothing-here"), 404).check(not_found);
}

/// Every test `docs/simulator.md`'s conformance table names is a row of this table.
#[test]
fn the_docs_table_names_existing_rows() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/simulator.md"))
        .expect("docs/simulator.md");
    let me = include_str!("sim_conformance.rs");
    let table = doc
        .split("## Conformance table")
        .nth(1)
        .and_then(|t| t.split("Behaviours proved by").next())
        .expect("the conformance table");
    let mut named = 0;
    for line in table.lines().filter(|l| l.starts_with("| ")) {
        if let Some(name) = line.rsplit('`').nth(1)
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !name.is_empty()
        {
            named += 1;
            assert!(
                me.contains(&format!("    {name} =>")),
                "{name} is not a row"
            );
        }
    }
    assert!(named >= 60, "only {named} rows named");
}

/// `golive sim` refuses a reversed `--async-delay` range and a plain `http://`
/// `--webhook-url` (section 10.1) with a usage error, before listening.
#[test]
fn golive_sim_refuses_a_reversed_delay_and_a_plain_http_webhook_url() {
    for (args, needle) in [
        (&["--async-delay", "60s..10s"][..], "async-delay"),
        (&["--async-delay", "soon"][..], "async-delay"),
        (
            &["--webhook-url", "http://hooks.example.com/h"][..],
            "https",
        ),
        (
            &["--webhook-url", "http://127.0.0.1:9/h"][..],
            "allow-http-loopback-webhook",
        ),
    ] {
        let out = assert_cmd::Command::cargo_bin("golive")
            .unwrap()
            .args(["sim", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("NO_COLOR", "1")
            .timeout(Duration::from_secs(20))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}
