//! End-to-end tests of the simulator over real loopback HTTP, with reqwest, checking
//! each documented behaviour the rest of golive relies on.

use std::time::{Duration, Instant};

use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

use super::*;

async fn sim(tier: Tier, scenario: Scenario) -> SimHandle {
    start(SimConfig {
        tier,
        scenario,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

fn creds(h: &SimHandle) -> Value {
    json!({"username": h.api_key().expose(), "password": h.api_secret().expose()})
}

async fn post(
    c: &Client,
    h: &SimHandle,
    path: &str,
    body: &Value,
    token: Option<&str>,
) -> Response {
    let mut rb = c.post(format!("{}{path}", h.base_url())).json(body);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    rb.send().await.expect("request sent")
}

async fn get(c: &Client, h: &SimHandle, path: &str, token: Option<&str>) -> Response {
    let mut rb = c.get(format!("{}{path}", h.base_url()));
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    rb.send().await.expect("request sent")
}

/// Logs in with the handle's credentials; returns `data`.
async fn login(c: &Client, h: &SimHandle) -> Value {
    let r = post(c, h, "/auth/login", &creds(h), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["success"], true);
    v["data"].clone()
}

async fn token(c: &Client, h: &SimHandle) -> String {
    login(c, h).await["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Asserts the error envelope and returns the message.
async fn envelope(r: Response, status: StatusCode, name: &str, code: &str) -> String {
    assert_eq!(r.status(), status);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("application/json"), "{ct}");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["name"], name, "{v}");
    assert_eq!(v["error"]["code"], code, "{v}");
    v["error"]["message"].as_str().unwrap().to_string()
}

fn rfc3339_z(v: &Value) -> jiff::Timestamp {
    let s = v.as_str().unwrap();
    assert!(s.ends_with('Z'), "{s}");
    s.parse().unwrap()
}

#[tokio::test]
async fn login_succeeds_with_documented_shape() {
    let h = sim(Tier::Sandbox, Scenario::Healthy).await;
    let c = Client::new();
    let d = login(&c, &h).await;
    assert_eq!(d["client_id"], 40917);
    let access = d["access_token"].as_str().unwrap();
    let refresh = d["refresh_token"].as_str().unwrap();
    assert!(access.starts_with("eyJ") && access.split('.').count() == 3);
    assert_ne!(access, refresh);
    let now = jiff::Timestamp::now();
    let a = rfc3339_z(&d["access_expires_at"]).as_second() - now.as_second();
    let r = rfc3339_z(&d["refresh_expires_at"]).as_second() - now.as_second();
    assert!((3590..=3610).contains(&a), "{a}");
    assert!((7 * 86400 - 10..=7 * 86400 + 10).contains(&r), "{r}");
}

#[tokio::test]
async fn login_rejects_bad_and_missing_credentials() {
    let h = sim(Tier::Sandbox, Scenario::Healthy).await;
    let c = Client::new();
    let bad = json!({"username": h.api_key().expose(), "password": "nope"});
    let r = post(&c, &h, "/auth/login", &bad, None).await;
    let m = envelope(
        r,
        StatusCode::UNAUTHORIZED,
        "UnauthorizedError",
        "UNAUTHORIZED",
    )
    .await;
    assert_eq!(m, "Invalid credentials");
    for body in [
        json!({"username": "", "password": "x"}),
        json!({"username": "x"}),
        json!({}),
    ] {
        let r = post(&c, &h, "/auth/login", &body, None).await;
        let m = envelope(
            r,
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "VALIDATION_FAILURE",
        )
        .await;
        assert_eq!(m, "Username and password are required");
    }
}

#[tokio::test]
async fn credentials_are_bound_to_the_tier() {
    let c = Client::new();
    let prod = sim(Tier::Production, Scenario::Healthy).await;
    let sandbox = sim(Tier::Sandbox, Scenario::Healthy).await;
    // The sandbox pair against the production simulator, and the reverse.
    let r = post(&c, &prod, "/auth/login", &creds(&sandbox), None).await;
    envelope(
        r,
        StatusCode::UNAUTHORIZED,
        "UnauthorizedError",
        "UNAUTHORIZED",
    )
    .await;
    let r = post(&c, &sandbox, "/auth/login", &creds(&prod), None).await;
    envelope(
        r,
        StatusCode::UNAUTHORIZED,
        "UnauthorizedError",
        "UNAUTHORIZED",
    )
    .await;
    assert_ne!(prod.api_key().digest(), sandbox.api_key().digest());
    assert_ne!(prod.api_secret().digest(), sandbox.api_secret().digest());
    // Fully separate accounts: own webhook secret and own client_id (section 2).
    assert_ne!(
        prod.webhook_secret().digest(),
        sandbox.webhook_secret().digest()
    );
    let prod_id = login(&c, &prod).await["client_id"].clone();
    let sandbox_id = login(&c, &sandbox).await["client_id"].clone();
    assert!(prod_id.is_i64() && sandbox_id.is_i64());
    assert_ne!(prod_id, sandbox_id);
}

#[tokio::test]
async fn wrong_tier_hands_out_credentials_it_rejects() {
    let c = Client::new();
    let h = sim(Tier::Production, Scenario::WrongTier).await;
    let sandbox = sim(Tier::Sandbox, Scenario::Healthy).await;
    assert_eq!(h.api_key().digest(), sandbox.api_key().digest());
    let r = post(&c, &h, "/auth/login", &creds(&h), None).await;
    let m = envelope(
        r,
        StatusCode::UNAUTHORIZED,
        "UnauthorizedError",
        "UNAUTHORIZED",
    )
    .await;
    assert_eq!(m, "Invalid credentials");
}

#[tokio::test]
async fn wallets_and_currencies_have_documented_shapes() {
    let c = Client::new();
    let h = sim(Tier::Sandbox, Scenario::Healthy).await;
    let t = token(&c, &h).await;
    let r = get(&c, &h, "/api/v1/wallets", Some(&t)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let w: Value = r.json().await.unwrap();
    assert_eq!(
        w,
        json!([
            {"id": 1, "currency_id": 1, "amount": 25000.0, "type": "PREPAID"},
            {"id": 2, "currency_id": 2, "amount": 12000.0, "type": "PREPAID"}
        ])
    );
    let r = get(&c, &h, "/api/v1/currencies", Some(&t)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let cur: Value = r.json().await.unwrap();
    assert_eq!(
        cur,
        json!([
            {"id": 1, "name": "US Dollar", "currency": "USD", "precision": 2},
            {"id": 2, "name": "Euro", "currency": "EUR", "precision": 2},
            {"id": 3, "name": "Pound Sterling", "currency": "GBP", "precision": 2},
            {"id": 4, "name": "Japanese Yen", "currency": "JPY", "precision": 0}
        ])
    );

    let low = sim(Tier::Sandbox, Scenario::LowBalance).await;
    let t = token(&c, &low).await;
    let w: Value = get(&c, &low, "/api/v1/wallets", Some(&t))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(w[0]["amount"], 250.0);
    assert_eq!(w[1]["amount"], 90.0);
}

#[tokio::test]
async fn protected_routes_need_a_valid_bearer() {
    let c = Client::new();
    let h = sim(Tier::Sandbox, Scenario::Healthy).await;
    let r = get(&c, &h, "/api/v1/wallets", None).await;
    let m = envelope(
        r,
        StatusCode::UNAUTHORIZED,
        "UnauthorizedError",
        "UNAUTHORIZED",
    )
    .await;
    assert_eq!(m, "Authorization header required");
    let r = get(&c, &h, "/api/v1/wallets", Some("garbage")).await;
    let m = envelope(
        r,
        StatusCode::UNAUTHORIZED,
        "UnauthorizedError",
        "UNAUTHORIZED",
    )
    .await;
    assert_eq!(m, "Invalid token");
    // A refresh token is not an access token.
    let d = login(&c, &h).await;
    let r = get(&c, &h, "/api/v1/wallets", d["refresh_token"].as_str()).await;
    envelope(
        r,
        StatusCode::UNAUTHORIZED,
        "UnauthorizedError",
        "UNAUTHORIZED",
    )
    .await;
}

#[tokio::test]
async fn logout_revokes_every_token_of_the_client() {
    let c = Client::new();
    let h = sim(Tier::Sandbox, Scenario::Healthy).await;
    let first = login(&c, &h).await;
    let second = login(&c, &h).await;
    let t1 = first["access_token"].as_str().unwrap();
    let t2 = second["access_token"].as_str().unwrap();
    let r = post(&c, &h, "/auth/logout", &json!({}), Some(t2)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v,
        json!({"success": true, "data": {"message": "Successfully logged out"}})
    );
    for t in [t1, t2] {
        let r = get(&c, &h, "/api/v1/wallets", Some(t)).await;
        let m = envelope(
            r,
            StatusCode::UNAUTHORIZED,
            "UnauthorizedError",
            "UNAUTHORIZED",
        )
        .await;
        assert_eq!(m, "Invalid token");
    }
    let r = post(
        &c,
        &h,
        "/auth/refresh",
        &json!({"refresh_token": first["refresh_token"]}),
        None,
    )
    .await;
    envelope(
        r,
        StatusCode::UNAUTHORIZED,
        "UnauthorizedError",
        "UNAUTHORIZED",
    )
    .await;
    // Logout itself needs a header.
    let r = post(&c, &h, "/auth/logout", &json!({}), None).await;
    let m = envelope(
        r,
        StatusCode::UNAUTHORIZED,
        "UnauthorizedError",
        "UNAUTHORIZED",
    )
    .await;
    assert_eq!(m, "Authorization header required");
}

#[tokio::test]
async fn refresh_rotates_and_revokes_the_old_token() {
    let c = Client::new();
    let h = sim(Tier::Sandbox, Scenario::Healthy).await;
    let d = login(&c, &h).await;
    let old = d["refresh_token"].clone();
    let r = post(
        &c,
        &h,
        "/auth/refresh",
        &json!({"refresh_token": old}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["success"], true);
    let new_access = v["data"]["access_token"].as_str().unwrap();
    assert_ne!(v["data"]["refresh_token"], old);
    assert_eq!(v["data"]["client_id"], 40917);
    let r = get(&c, &h, "/api/v1/wallets", Some(new_access)).await;
    assert_eq!(r.status(), StatusCode::OK);
    // Reusing the rotated-out token fails.
    let r = post(
        &c,
        &h,
        "/auth/refresh",
        &json!({"refresh_token": old}),
        None,
    )
    .await;
    let m = envelope(
        r,
        StatusCode::UNAUTHORIZED,
        "UnauthorizedError",
        "UNAUTHORIZED",
    )
    .await;
    assert_eq!(m, "Invalid token");
    let r = post(&c, &h, "/auth/refresh", &json!({}), None).await;
    let m = envelope(
        r,
        StatusCode::BAD_REQUEST,
        "ValidationException",
        "VALIDATION_FAILURE",
    )
    .await;
    assert_eq!(m, "Refresh token is required");
}

#[tokio::test]
async fn blocked_ip_gets_403_on_login_and_protected_routes() {
    let c = Client::new();
    let h = sim(Tier::Production, Scenario::BlockedIp).await;
    assert!(!h.allowlist().iter().any(|n| n.contains(&h.client_ip())));
    let r = post(&c, &h, "/auth/login", &creds(&h), None).await;
    let m = envelope(r, StatusCode::FORBIDDEN, "ForbiddenError", "FORBIDDEN").await;
    assert_eq!(m, "IP address not authorized");
    let r = get(&c, &h, "/api/v1/wallets", Some("any")).await;
    envelope(r, StatusCode::FORBIDDEN, "ForbiddenError", "FORBIDDEN").await;
    let r = post(
        &c,
        &h,
        "/auth/refresh",
        &json!({"refresh_token": "x"}),
        None,
    )
    .await;
    envelope(r, StatusCode::FORBIDDEN, "ForbiddenError", "FORBIDDEN").await;

    let healthy = sim(Tier::Production, Scenario::Healthy).await;
    assert_eq!(healthy.client_ip().to_string(), "203.0.113.10");
    assert_eq!(
        healthy.allowlist(),
        vec!["203.0.113.0/28".parse::<ipnet::IpNet>().unwrap()]
    );
    assert!(healthy.allowlist()[0].contains(&healthy.client_ip()));
}

#[tokio::test]
async fn rate_limited_scenario_trips_the_first_call_of_each_class() {
    let c = Client::new();
    let h = sim(Tier::Sandbox, Scenario::RateLimited).await;
    let r = post(&c, &h, "/auth/login", &creds(&h), None).await;
    assert_eq!(r.headers()["retry-after"], "1");
    let m = envelope(
        r,
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequestsError",
        "TOO_MANY_REQUESTS",
    )
    .await;
    assert_eq!(m, "Rate limit exceeded. Retry after 1 seconds.");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let t = token(&c, &h).await;
    // The GET class trips once too, independently.
    let r = get(&c, &h, "/api/v1/wallets", Some(&t)).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["retry-after"], "1");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let r = get(&c, &h, "/api/v1/wallets", Some(&t)).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn production_login_limit_is_ten_per_minute() {
    let c = Client::new();
    let h = sim(Tier::Production, Scenario::Healthy).await;
    for _ in 0..10 {
        login(&c, &h).await;
    }
    let r = post(&c, &h, "/auth/login", &creds(&h), None).await;
    let secs: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((55..=60).contains(&secs), "{secs}");
    let m = envelope(
        r,
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequestsError",
        "TOO_MANY_REQUESTS",
    )
    .await;
    assert_eq!(
        m,
        format!("Rate limit exceeded. Retry after {secs} seconds.")
    );
    // Other classes are unaffected.
    let r = get(&c, &h, "/api/v1/currencies", Some("x")).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

async fn wallet_amount(c: &Client, h: &SimHandle, t: &str, id: usize) -> f64 {
    let w: Value = get(c, h, "/api/v1/wallets", Some(t))
        .await
        .json()
        .await
        .unwrap();
    w[id - 1]["amount"].as_f64().unwrap()
}

#[tokio::test]
async fn small_orders_deliver_synchronously_and_debit_the_wallet() {
    let c = Client::new();
    let h = sim(Tier::Sandbox, Scenario::Healthy).await;
    let t = token(&c, &h).await;
    let body = json!({"product_id": 123, "denomination": 50.0, "quantity": 2, "client_reference": "ABC-1"});
    let r = post(&c, &h, "/api/v1/orders", &body, Some(&t)).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let o: Value = r.json().await.unwrap();
    assert_eq!(o["status"], "DELIVERED");
    assert_eq!(o["product_id"], 123);
    assert_eq!(o["product_name"], "Amazon.com Gift Card");
    assert_eq!(o["denomination"], 50.0);
    assert_eq!(o["quantity"], 2);
    assert_eq!(o["amount"], 100.0);
    assert_eq!(o["discount"], 3.5);
    assert_eq!(o["client_reference"], "ABC-1");
    assert_eq!(o["wallet_id"], 1);
    assert_eq!(o["base_currency"], "USD");
    let vouchers = o["vouchers"].as_array().unwrap();
    assert_eq!(vouchers.len(), 2);
    for v in vouchers {
        assert!(v["card_number"].is_string() && v["pin_code"].is_string());
        assert!(v["claim_url"].is_null() && v["voucher_reference_number"].is_null());
        rfc3339_z(&v["expires_at"]);
    }
    // 100.00 less 3.5 % = 96.50.
    assert_eq!(wallet_amount(&c, &h, &t, 1).await, 25000.0 - 96.5);
    // The lookup by reference and by id find it.
    let r = get(&c, &h, "/api/v1/orders?client_reference=ABC-1", Some(&t)).await;
    assert_eq!(r.headers()["x-total-count"], "1");
    let list: Value = r.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], o["id"]);
    let r = get(&c, &h, &format!("/api/v1/orders/{}", o["id"]), Some(&t)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = get(&c, &h, "/api/v1/orders/999999", Some(&t)).await;
    envelope(r, StatusCode::NOT_FOUND, "NotFoundError", "NOT_FOUND").await;
    let r = get(&c, &h, "/api/v1/orders?client_reference=nope", Some(&t)).await;
    assert_eq!(r.json::<Value>().await.unwrap(), json!([]));
    // The debit shows in the transaction log, newest first.
    let r = get(&c, &h, "/api/v1/transactions?wallet_id=1", Some(&t)).await;
    let tx: Value = r.json().await.unwrap();
    assert_eq!(tx[0]["transaction_type"], "DEBIT");
    assert_eq!(tx[0]["amount"], 96.5);
    assert_eq!(tx[1]["transaction_type"], "CREDIT");
    assert_eq!(tx[1]["remarks"], "initial top-up");
    // Events for the webhook hook.
    let types: Vec<&str> = h.events().iter().map(|e| e.event_type).collect();
    assert_eq!(types, ["wallet.debited", "order.delivered"]);
}

#[tokio::test]
async fn large_orders_are_pending_then_delivered() {
    let c = Client::new();
    let h = sim(Tier::Sandbox, Scenario::Healthy).await;
    let t = token(&c, &h).await;
    let body = json!({"product_id": 456, "denomination": 10, "quantity": 6});
    let r = post(&c, &h, "/api/v1/orders", &body, Some(&t)).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let o: Value = r.json().await.unwrap();
    assert_eq!(o["status"], "PENDING");
    assert_eq!(o["vouchers"], json!([]));
    assert_eq!(o["base_currency"], "EUR");
    assert_eq!(o["wallet_id"], 2);
    // Debited synchronously: 60.00 less 2 % = 58.80.
    assert_eq!(wallet_amount(&c, &h, &t, 2).await, 12000.0 - 58.8);
    let deadline = Instant::now() + Duration::from_secs(10);
    let delivered = loop {
        let r = get(&c, &h, &format!("/api/v1/orders/{}", o["id"]), Some(&t)).await;
        let v: Value = r.json().await.unwrap();
        if v["status"] == "DELIVERED" {
            break v;
        }
        assert_eq!(v["status"], "PENDING");
        assert!(Instant::now() < deadline, "order never delivered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(delivered["vouchers"].as_array().unwrap().len(), 6);
}

#[tokio::test]
async fn duplicate_client_reference_is_refused_without_a_second_order() {
    let c = Client::new();
    let h = sim(Tier::Sandbox, Scenario::Healthy).await;
    let t = token(&c, &h).await;
    let body =
        json!({"product_id": 123, "denomination": 25, "quantity": 1, "client_reference": "dup-1"});
    let r = post(&c, &h, "/api/v1/orders", &body, Some(&t)).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let balance = wallet_amount(&c, &h, &t, 1).await;
    let r = post(&c, &h, "/api/v1/orders", &body, Some(&t)).await;
    let m = envelope(r, StatusCode::BAD_REQUEST, "BadRequestError", "BAD_REQUEST").await;
    assert_eq!(m, "Duplicate client_reference");
    let all: Value = get(&c, &h, "/api/v1/orders", Some(&t))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 1);
    assert_eq!(wallet_amount(&c, &h, &t, 1).await, balance);
}

#[tokio::test]
async fn order_validation_and_insufficient_funds() {
    let c = Client::new();
    let h = sim(Tier::Sandbox, Scenario::LowBalance).await;
    let t = token(&c, &h).await;
    // 3 x 100.00 less 3.5 % = 289.50 > 250.00.
    let body = json!({"product_id": 123, "denomination": 100, "quantity": 3});
    let r = post(&c, &h, "/api/v1/orders", &body, Some(&t)).await;
    envelope(
        r,
        StatusCode::BAD_REQUEST,
        "BadRequestError",
        "INSUFFICIENT_FUNDS",
    )
    .await;
    assert_eq!(wallet_amount(&c, &h, &t, 1).await, 250.0);
    let r = post(
        &c,
        &h,
        "/api/v1/orders",
        &json!({"product_id": 999, "denomination": 10, "quantity": 1}),
        Some(&t),
    )
    .await;
    envelope(r, StatusCode::NOT_FOUND, "NotFoundError", "NOT_FOUND").await;
    for bad in [
        json!({"denomination": 10, "quantity": 1}),
        json!({"product_id": 123, "denomination": 10, "quantity": 0}),
        json!({"product_id": 123, "denomination": 10, "quantity": 5001}),
        json!({"product_id": 123, "denomination": -1, "quantity": 1}),
        json!({"product_id": 123, "denomination": 5000, "quantity": 1}),
        json!({"product_id": 123, "denomination": "10", "quantity": 1}),
        json!({"product_id": 123, "denomination": 10, "quantity": 1, "wallet_id": 0}),
        json!({"product_id": 123, "denomination": 10, "quantity": 1, "client_reference": "tab\there"}),
        json!({"product_id": 123, "denomination": 10, "quantity": 1, "client_reference": "x".repeat(256)}),
        json!([1, 2]),
    ] {
        let r = post(&c, &h, "/api/v1/orders", &bad, Some(&t)).await;
        envelope(
            r,
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "VALIDATION_FAILURE",
        )
        .await;
    }
    assert!(h.events().is_empty());
}

#[tokio::test]
async fn charges_return_a_quote() {
    let c = Client::new();
    let h = sim(Tier::Sandbox, Scenario::Healthy).await;
    let t = token(&c, &h).await;
    let body = json!({"denomination": 50.00, "quantity": 5});
    let r = post(&c, &h, "/api/v1/products/123/charges", &body, Some(&t)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let q: Value = r.json().await.unwrap();
    assert_eq!(
        q,
        json!({
            "non_discounted_total": 250.0, "discount_amount": 8.75, "total_amount": 241.25,
            "discount": 3.5, "gst_amount": 0.0, "total_payable": 241.25, "max_quantity": 5000,
            "net_amount": 241.25, "handling_fee_amount": 0.0,
            "charges_details": {"source_currency": "USD", "destination_currency": "USD",
                                "forex_rate": 1.0, "conversion_fee": 0.0}
        })
    );
    // Cross-currency: a EUR product paid from the USD wallet.
    let body = json!({"denomination": 50, "quantity": 2, "wallet_id": 1});
    let q: Value = post(&c, &h, "/api/v1/products/456/charges", &body, Some(&t))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(q["charges_details"]["source_currency"], "EUR");
    assert_eq!(q["charges_details"]["destination_currency"], "USD");
    assert_eq!(q["total_payable"], 106.9);
    let r = post(&c, &h, "/api/v1/products/777/charges", &body, Some(&t)).await;
    envelope(r, StatusCode::NOT_FOUND, "NotFoundError", "NOT_FOUND").await;
    let r = post(&c, &h, "/api/v1/products/abc/charges", &body, Some(&t)).await;
    envelope(r, StatusCode::NOT_FOUND, "NotFoundError", "NOT_FOUND").await;
    // A quote changes nothing.
    assert_eq!(wallet_amount(&c, &h, &t, 1).await, 25000.0);
}

#[tokio::test]
async fn ip_echo_in_text_and_json() {
    let c = Client::new();
    let h = sim(Tier::Production, Scenario::BlockedIp).await;
    let r = get(&c, &h, "/ip", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(r.text().await.unwrap(), "203.0.113.10\n");
    let r = get(&c, &h, "/ip?format=json", None).await;
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"ip": "203.0.113.10"})
    );
}

#[tokio::test]
async fn request_id_is_echoed_or_generated() {
    let c = Client::new();
    let h = sim(Tier::Sandbox, Scenario::Healthy).await;
    let mine = "2F7vTVG3Y8aZrqP1wJhdEkM9oYB";
    let r = c
        .get(format!("{}/api/v1/wallets", h.base_url()))
        .header("X-Request-Id", mine)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["x-request-id"], mine);
    let r = c
        .get(format!("{}/ip", h.base_url()))
        .header("X-Request-Id", "not-a-ksuid!")
        .send()
        .await
        .unwrap();
    let generated = r.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(generated.len(), 27);
    assert!(crate::ksuid::is_compatible(generated));
    let r = get(&c, &h, "/nowhere", None).await;
    assert!(r.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn stats_count_every_request_by_route() {
    let c = Client::new();
    let h = sim(Tier::Sandbox, Scenario::BlockedIp).await;
    assert_eq!(h.stats(), SimStats::default());
    post(&c, &h, "/auth/login", &creds(&h), None).await;
    post(&c, &h, "/auth/login", &creds(&h), None).await;
    get(&c, &h, "/api/v1/wallets", None).await;
    get(&c, &h, "/api/v1/orders/5", None).await;
    post(&c, &h, "/api/v1/products/123/charges", &json!({}), None).await;
    post(&c, &h, "/auth/logout", &json!({}), None).await;
    get(&c, &h, "/ip", None).await;
    get(&c, &h, "/nope", None).await;
    c.delete(format!("{}/api/v1/wallets", h.base_url()))
        .send()
        .await
        .unwrap();
    let s = h.stats();
    assert_eq!(s.total, 9);
    let expect: Vec<(&str, usize)> = vec![
        ("DELETE (unmatched)", 1),
        ("GET (unmatched)", 1),
        ("GET /api/v1/orders/:id", 1),
        ("GET /api/v1/wallets", 1),
        ("GET /ip", 1),
        ("POST /api/v1/products/:id/charges", 1),
        ("POST /auth/login", 2),
        ("POST /auth/logout", 1),
    ];
    let got: Vec<(&str, usize)> = s.by_route.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(got, expect);
}

#[tokio::test]
async fn malformed_bodies_and_unknown_routes_get_the_envelope() {
    let c = Client::new();
    let h = sim(Tier::Sandbox, Scenario::Healthy).await;
    let r = c
        .post(format!("{}/auth/login", h.base_url()))
        .header("content-type", "application/json")
        .body("{\"username\": ")
        .send()
        .await
        .unwrap();
    let m = envelope(
        r,
        StatusCode::BAD_REQUEST,
        "ValidationException",
        "VALIDATION_FAILURE",
    )
    .await;
    assert_eq!(m, "Malformed JSON body");
    let t = token(&c, &h).await;
    let r = c
        .post(format!("{}/api/v1/orders", h.base_url()))
        .bearer_auth(&t)
        .body("not json")
        .send()
        .await
        .unwrap();
    envelope(
        r,
        StatusCode::BAD_REQUEST,
        "ValidationException",
        "VALIDATION_FAILURE",
    )
    .await;
    let r = c
        .post(format!("{}/api/v1/orders", h.base_url()))
        .bearer_auth(&t)
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    envelope(
        r,
        StatusCode::PAYLOAD_TOO_LARGE,
        "PayloadTooLargeError",
        "PAYLOAD_TOO_LARGE",
    )
    .await;
    let r = get(&c, &h, "/api/v2/whatever", Some(&t)).await;
    let m = envelope(r, StatusCode::NOT_FOUND, "NotFoundError", "NOT_FOUND").await;
    assert_eq!(m, "Route not found");
    let r = c
        .put(format!("{}/auth/login", h.base_url()))
        .send()
        .await
        .unwrap();
    envelope(r, StatusCode::NOT_FOUND, "NotFoundError", "NOT_FOUND").await;
}

#[tokio::test]
async fn transactions_paginate_and_validate_wallet_id() {
    let c = Client::new();
    let h = sim(Tier::Sandbox, Scenario::Healthy).await;
    let t = token(&c, &h).await;
    let r = get(&c, &h, "/api/v1/transactions?limit=1", Some(&t)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let hd = r.headers().clone();
    assert_eq!(hd["x-page"], "1");
    assert_eq!(hd["x-per-page"], "1");
    assert_eq!(hd["x-total-count"], "2");
    assert_eq!(hd["x-total-pages"], "2");
    assert_eq!(hd["x-page-size"], "1");
    assert_eq!(hd["x-has-more"], "true");
    let tx: Value = r.json().await.unwrap();
    // Newest first: the EUR wallet's credit was recorded second.
    assert_eq!(tx[0]["wallet_id"], 2);
    for key in [
        "id",
        "wallet_id",
        "currency_id",
        "amount",
        "transaction_type",
        "status",
        "source_currency",
        "destination_currency",
        "forex_rate",
        "conversion_charges",
        "remarks",
        "created_at",
    ] {
        assert!(tx[0].get(key).is_some(), "{key}");
    }
    let r = get(&c, &h, "/api/v1/transactions?limit=1&page=2", Some(&t)).await;
    assert_eq!(r.headers()["x-has-more"], "false");
    for q in [
        "wallet_id=0",
        "wallet_id=-3",
        "wallet_id=x",
        "limit=0",
        "limit=10001",
        "page=0",
    ] {
        let r = get(&c, &h, &format!("/api/v1/transactions?{q}"), Some(&t)).await;
        envelope(
            r,
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "VALIDATION_FAILURE",
        )
        .await;
    }
}

#[tokio::test]
async fn latency_is_injected() {
    let h = start(SimConfig {
        latency: Duration::from_millis(200),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let c = Client::new();
    let started = Instant::now();
    let r = get(&c, &h, "/ip", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let h = sim(Tier::Sandbox, Scenario::Healthy).await;
    let url = format!("{}/ip", h.base_url());
    assert!(h.base_url().starts_with("http://127.0.0.1:") && !h.base_url().ends_with('/'));
    h.shutdown();
    // A fresh client (no pooled connection) is refused once the listener is gone.
    let c = Client::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if c.get(&url).send().await.is_err() {
            break;
        }
        assert!(Instant::now() < deadline, "still serving after shutdown");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Section 8.1: async orders usually take 10-60 s; the simulator's delay is
/// configurable (`--async-delay`), 1 s by default.
#[tokio::test]
async fn async_delay_is_configurable() {
    assert_eq!(
        SimConfig::default().async_delay,
        (Duration::from_secs(1), Duration::from_secs(1))
    );
    let h = start(SimConfig {
        async_delay: (Duration::from_millis(2500), Duration::from_millis(3000)),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let c = Client::new();
    let t = token(&c, &h).await;
    let body = json!({"product_id": 123, "denomination": 10, "quantity": 6});
    let r = post(&c, &h, "/api/v1/orders", &body, Some(&t)).await;
    let o: Value = r.json().await.unwrap();
    let started = Instant::now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let r = get(&c, &h, &format!("/api/v1/orders/{}", o["id"]), Some(&t)).await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "PENDING", "still pending after 1.5 s");
    let delivered = loop {
        let r = get(&c, &h, &format!("/api/v1/orders/{}", o["id"]), Some(&t)).await;
        let v: Value = r.json().await.unwrap();
        if v["status"] == "DELIVERED" {
            break started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(delivered >= Duration::from_millis(2000), "{delivered:?}");
}
