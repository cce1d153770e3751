//! End-to-end tests of the simulator's webhook side over real loopback HTTP: the
//! reference receiver doing everything right, each `receiver-*` scenario showing its
//! defect, and the signed outbound deliveries with their retries.
//!
//! Tests named `slow_*` take several seconds of real time; skip them with
//! `cargo test --lib sim:: -- --skip slow_`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap as AxumHeaders;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use super::receiver::OTHER_WEBHOOK_SECRET;
use super::*;
use crate::webhook::{self, Delivery};

async fn sim(scenario: Scenario) -> SimHandle {
    sim_with(SimConfig {
        scenario,
        ..SimConfig::default()
    })
    .await
}

async fn sim_with(config: SimConfig) -> SimHandle {
    start(config).await.expect("simulator starts")
}

fn client() -> Client {
    Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap()
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn secret(h: &SimHandle) -> Vec<u8> {
    h.webhook_secret().expose().as_bytes().to_vec()
}

/// A compact, correctly signed, fresh delivery of a probe event of `event_type`.
fn valid_with(key: &[u8], event_type: &str) -> Delivery {
    let id = webhook::new_event_id();
    let body = webhook::event_body(
        &id,
        event_type,
        "2026-01-15T14:30:00Z",
        webhook::probe_data(event_type),
    );
    Delivery::signed(key, &id, event_type, now(), body)
}

fn valid(h: &SimHandle) -> Delivery {
    valid_with(&secret(h), "order.delivered")
}

async fn send_to(c: &Client, url: &str, d: &Delivery) -> reqwest::Result<reqwest::Response> {
    let mut rb = c.post(url).body(d.body.clone());
    for (name, value) in d.headers() {
        rb = rb.header(name, value);
    }
    rb.send().await
}

async fn send(c: &Client, h: &SimHandle, d: &Delivery) -> StatusCode {
    send_to(c, &h.receiver_url(), d)
        .await
        .expect("receiver answers")
        .status()
}

/// Polls `cond` every 20 ms until it holds or `within` passes.
async fn wait_for(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---------------------------------------------------------------------------------
// The reference receiver

#[tokio::test]
async fn receiver_accepts_a_valid_delivery_and_processes_it_after() {
    let h = sim(Scenario::Healthy).await;
    let c = client();
    let d = valid(&h);
    let r = send_to(&c, &h.receiver_url(), &d).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!r.headers().contains_key("x-request-id"));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v, json!({"received": true}));
    assert_eq!(
        h.received(),
        vec![ReceivedEvent {
            event_id: d.event_id.clone(),
            event_type: "order.delivered".into(),
            status: 200,
            verified: true,
            duplicate: false,
        }]
    );
    let processed = wait_for(Duration::from_secs(2), || {
        h.app.receiver().processed().len() == 1
    })
    .await;
    assert!(processed);
    let p = &h.app.receiver().processed()[0];
    assert_eq!(p.event_id, d.event_id);
    assert_eq!(p.event_type, "order.delivered");
    assert_eq!(p.body["id"], d.event_id.as_str());
    // Counted under its own key, nothing else.
    let s = h.stats();
    assert_eq!(s.total, 1);
    assert_eq!(s.by_route.get("POST /_receiver/octopus"), Some(&1));
    assert_eq!(
        h.receiver_url(),
        format!("{}/_receiver/octopus", h.base_url())
    );
    assert!(h.webhook_secret().expose().starts_with("whsec_"));
}

#[tokio::test]
async fn receiver_rejects_bad_missing_and_wrong_key_signatures() {
    let h = sim(Scenario::Healthy).await;
    let c = client();

    let mut bad = valid(&h);
    bad.signature = Some(webhook::sign(&secret(&h), b"another body"));
    assert_eq!(send(&c, &h, &bad).await, StatusCode::UNAUTHORIZED);

    let mut garbage = valid(&h);
    garbage.signature = Some("sha256=not-hex".into());
    assert_eq!(send(&c, &h, &garbage).await, StatusCode::UNAUTHORIZED);

    let mut missing = valid(&h);
    missing.signature = None;
    assert_eq!(send(&c, &h, &missing).await, StatusCode::UNAUTHORIZED);

    // Same signature, one byte of the body changed.
    let mut tampered = valid(&h);
    let at = tampered.body.len() - 2;
    tampered.body[at] = b' ';
    assert_eq!(send(&c, &h, &tampered).await, StatusCode::UNAUTHORIZED);

    let wrong = valid_with(b"whsec_someone_else", "order.delivered");
    assert_eq!(send(&c, &h, &wrong).await, StatusCode::UNAUTHORIZED);

    let got = h.received();
    assert_eq!(got.len(), 5);
    assert!(
        got.iter()
            .all(|e| e.status == 401 && !e.verified && !e.duplicate)
    );
    // Nothing rejected is processed, and the rejected ids are not "seen": the valid
    // delivery of one of them is accepted afresh.
    let mut retry = valid(&h);
    retry.event_id = bad.event_id.clone();
    retry.body = webhook::event_body(
        &bad.event_id,
        "order.delivered",
        "2026-01-15T14:30:00Z",
        webhook::probe_data("order.delivered"),
    );
    retry.signature = Some(webhook::sign(&secret(&h), &retry.body));
    assert_eq!(send(&c, &h, &retry).await, StatusCode::OK);
    assert!(!h.received().last().unwrap().duplicate);
}

#[tokio::test]
async fn receiver_enforces_the_replay_window() {
    let h = sim(Scenario::Healthy).await;
    let c = client();
    let mut stale = valid(&h);
    stale.timestamp = now() - 600;
    assert_eq!(send(&c, &h, &stale).await, StatusCode::BAD_REQUEST);
    let mut future = valid(&h);
    future.timestamp = now() + 600;
    assert_eq!(send(&c, &h, &future).await, StatusCode::BAD_REQUEST);
    let mut recent = valid(&h);
    recent.timestamp = now() - 240;
    assert_eq!(send(&c, &h, &recent).await, StatusCode::OK);

    // Not an integer, or missing.
    let d = valid(&h);
    let mut rb = c.post(h.receiver_url()).body(d.body.clone());
    for (name, value) in d.headers() {
        let value = if name == "X-Timestamp" {
            format!("{value}.5")
        } else {
            value
        };
        rb = rb.header(name, value);
    }
    assert_eq!(rb.send().await.unwrap().status(), StatusCode::BAD_REQUEST);
    let mut rb = c.post(h.receiver_url()).body(d.body.clone());
    for (name, value) in d.headers() {
        if name != "X-Timestamp" {
            rb = rb.header(name, value);
        }
    }
    assert_eq!(rb.send().await.unwrap().status(), StatusCode::BAD_REQUEST);
    // A stale delivery was verified (signature first) but refused.
    let first = &h.received()[0];
    assert!(first.verified && first.status == 400);
}

#[tokio::test]
async fn receiver_acknowledges_a_duplicate_without_processing_it_again() {
    let h = sim(Scenario::Healthy).await;
    let c = client();
    let d = valid(&h);
    assert_eq!(send(&c, &h, &d).await, StatusCode::OK);
    let mut again = d.clone();
    again.timestamp = now();
    let r = send_to(&c, &h.receiver_url(), &again).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let got = h.received();
    assert_eq!(got.len(), 2);
    assert!(!got[0].duplicate);
    assert!(got[1].duplicate && got[1].status == 200 && got[1].verified);
    assert_eq!(got[0].event_id, got[1].event_id);
    assert!(
        wait_for(Duration::from_secs(2), || {
            !h.app.receiver().processed().is_empty()
        })
        .await
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(h.app.receiver().processed().len(), 1);
}

#[tokio::test]
async fn receiver_acknowledges_and_ignores_unknown_event_types() {
    let h = sim(Scenario::Healthy).await;
    let c = client();
    let d = valid_with(&secret(&h), "order.teleported");
    assert_eq!(send(&c, &h, &d).await, StatusCode::OK);
    let got = h.received();
    assert_eq!(got[0].event_type, "order.teleported");
    assert_eq!(got[0].status, 200);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(h.app.receiver().processed().is_empty());
}

#[tokio::test]
async fn receiver_verifies_the_raw_bytes() {
    let h = sim(Scenario::Healthy).await;
    let c = client();
    let id = webhook::new_event_id();
    let raw = webhook::unusual_body(&id, "order.delivered", "2026-01-15T14:30:00Z");
    let d = Delivery::signed(&secret(&h), &id, "order.delivered", now(), raw);
    assert_eq!(send(&c, &h, &d).await, StatusCode::OK);
    assert!(h.received()[0].verified);
}

#[tokio::test]
async fn receiver_checks_the_envelope_and_caps_the_body() {
    let h = sim(Scenario::Healthy).await;
    let c = client();
    let key = secret(&h);
    // Signed, fresh, but not an event envelope.
    let d = Delivery::signed(&key, "evt_x", "order.delivered", now(), b"[1,2]".to_vec());
    assert_eq!(send(&c, &h, &d).await, StatusCode::BAD_REQUEST);
    // X-Event-ID disagreeing with the body's id.
    let mut other = valid(&h);
    other.event_id = "evt_golive_other".into();
    assert_eq!(send(&c, &h, &other).await, StatusCode::BAD_REQUEST);
    // Over 1 MiB.
    let big = Delivery::signed(
        &key,
        "evt_big",
        "order.delivered",
        now(),
        vec![b' '; 1024 * 1024 + 1],
    );
    assert_eq!(send(&c, &h, &big).await, StatusCode::PAYLOAD_TOO_LARGE);
    // Another method on the path.
    let r = c.get(h.receiver_url()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "POST");
    let s = h.stats();
    assert_eq!(s.by_route.get("POST /_receiver/octopus"), Some(&3));
    assert_eq!(s.by_route.get("GET (unmatched)"), Some(&1));
}

#[tokio::test]
async fn receiver_ignores_the_api_allowlist_and_rate_limits() {
    for scenario in [Scenario::BlockedIp, Scenario::RateLimited] {
        let h = sim(scenario).await;
        let c = client();
        assert_eq!(send(&c, &h, &valid(&h)).await, StatusCode::OK, "{scenario}");
        assert_eq!(send(&c, &h, &valid(&h)).await, StatusCode::OK, "{scenario}");
    }
}

// ---------------------------------------------------------------------------------
// Receiver scenarios

#[test]
fn receiver_scenarios_have_names_and_leave_the_api_alone() {
    let names = [
        "receiver-no-verify",
        "receiver-reserializes",
        "receiver-rejects-duplicates",
        "receiver-slow",
        "receiver-hangs",
        "receiver-no-replay-check",
        "receiver-rejects-unknown",
        "receiver-down",
        "receiver-wrong-secret",
    ];
    for name in names {
        let s = Scenario::parse(name).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(s.name(), name);
        assert!(s.is_receiver());
        assert_eq!(
            state::allowlist_for(s),
            state::allowlist_for(Scenario::Healthy)
        );
    }
    for old in [
        "healthy",
        "low-balance",
        "blocked-ip",
        "wrong-tier",
        "rate-limited",
    ] {
        assert!(!Scenario::parse(old).unwrap().is_receiver());
    }
    let mut all: Vec<&str> = Scenario::ALL.iter().map(|(_, n, _)| *n).collect();
    let count = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), count);
    assert!(Scenario::ALL.iter().all(|(_, _, d)| !d.is_empty()));
}

#[tokio::test]
async fn receiver_no_verify_accepts_any_signature_or_none() {
    let h = sim(Scenario::ReceiverNoVerify).await;
    let c = client();
    let mut bad = valid(&h);
    bad.signature = Some("00".repeat(32));
    assert_eq!(send(&c, &h, &bad).await, StatusCode::OK);
    let mut none = valid(&h);
    none.signature = None;
    assert_eq!(send(&c, &h, &none).await, StatusCode::OK);
    assert!(h.received().iter().all(|e| !e.verified && e.status == 200));
}

#[tokio::test]
async fn receiver_reserializes_rejects_a_body_whose_bytes_differ() {
    let h = sim(Scenario::ReceiverReserializes).await;
    let c = client();
    assert_eq!(send(&c, &h, &valid(&h)).await, StatusCode::OK);
    let id = webhook::new_event_id();
    let raw = webhook::unusual_body(&id, "order.delivered", "2026-01-15T14:30:00Z");
    let d = Delivery::signed(&secret(&h), &id, "order.delivered", now(), raw);
    assert_eq!(send(&c, &h, &d).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn receiver_rejects_duplicates_answers_409_to_a_repeat() {
    let h = sim(Scenario::ReceiverRejectsDuplicates).await;
    let c = client();
    let d = valid(&h);
    assert_eq!(send(&c, &h, &d).await, StatusCode::OK);
    assert_eq!(send(&c, &h, &d).await, StatusCode::CONFLICT);
    let got = h.received();
    assert!(got[1].duplicate && got[1].status == 409);
}

#[tokio::test]
async fn slow_receiver_acknowledges_after_six_seconds() {
    let h = sim(Scenario::ReceiverSlow).await;
    let c = client();
    let started = Instant::now();
    assert_eq!(send(&c, &h, &valid(&h)).await, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_secs(6));
    assert_eq!(h.received()[0].status, 200);
}

#[tokio::test]
async fn receiver_hangs_until_the_client_gives_up() {
    let h = sim(Scenario::ReceiverHangs).await;
    let c = Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let started = Instant::now();
    let e = send_to(&c, &h.receiver_url(), &valid(&h))
        .await
        .expect_err("no answer");
    assert!(e.is_timeout(), "{e}");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(h.received().is_empty());
}

#[tokio::test]
async fn receiver_no_replay_check_accepts_a_stale_timestamp() {
    let h = sim(Scenario::ReceiverNoReplayCheck).await;
    let c = client();
    let mut stale = valid(&h);
    stale.timestamp = now() - 600;
    assert_eq!(send(&c, &h, &stale).await, StatusCode::OK);
    // Still verifies the signature.
    let mut bad = valid(&h);
    bad.signature = None;
    assert_eq!(send(&c, &h, &bad).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn receiver_rejects_unknown_answers_400_to_a_new_type() {
    let h = sim(Scenario::ReceiverRejectsUnknown).await;
    let c = client();
    let d = valid_with(&secret(&h), "order.teleported");
    assert_eq!(send(&c, &h, &d).await, StatusCode::BAD_REQUEST);
    assert_eq!(send(&c, &h, &valid(&h)).await, StatusCode::OK);
}

#[tokio::test]
async fn receiver_down_answers_500_to_everything() {
    let h = sim(Scenario::ReceiverDown).await;
    let c = client();
    assert_eq!(
        send(&c, &h, &valid(&h)).await,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let mut none = valid(&h);
    none.signature = None;
    assert_eq!(send(&c, &h, &none).await, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn receiver_wrong_secret_rejects_valid_and_accepts_the_other_key() {
    let h = sim(Scenario::ReceiverWrongSecret).await;
    let c = client();
    assert_eq!(send(&c, &h, &valid(&h)).await, StatusCode::UNAUTHORIZED);
    let other = valid_with(OTHER_WEBHOOK_SECRET.as_bytes(), "order.delivered");
    assert_eq!(send(&c, &h, &other).await, StatusCode::OK);
}

// ---------------------------------------------------------------------------------
// Outbound deliveries

/// Logs in and places an order of `quantity` Amazon cards of 10 USD; returns the
/// order's JSON.
async fn place_order(c: &Client, h: &SimHandle, quantity: i64) -> Value {
    let creds = json!({"username": h.api_key().expose(), "password": h.api_secret().expose()});
    let r = c
        .post(format!("{}/auth/login", h.base_url()))
        .json(&creds)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let token = v["data"]["access_token"].as_str().unwrap().to_string();
    let r = c
        .post(format!("{}/api/v1/orders", h.base_url()))
        .bearer_auth(token)
        .json(&json!({"product_id": 123, "denomination": 10, "quantity": quantity}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

#[tokio::test]
async fn async_order_is_announced_to_the_reference_receiver() {
    let h = sim(Scenario::Healthy).await;
    let c = client();
    let order = place_order(&c, &h, 6).await;
    assert_eq!(order["status"], "PENDING");
    let both = wait_for(Duration::from_secs(10), || {
        let got = h.received();
        got.len() == 2 && got.iter().all(|e| e.status == 200)
    })
    .await;
    assert!(both, "{:?} / {:?}", h.received(), h.deliveries());
    let got = h.received();
    assert_eq!(got[0].event_type, "wallet.debited");
    assert_eq!(got[1].event_type, "order.delivered");
    assert!(got.iter().all(|e| e.verified && !e.duplicate));
    // The ids are the recorded events', and each was delivered once, to the receiver.
    let events = h.events();
    assert_eq!(
        got.iter().map(|e| &e.event_id).collect::<Vec<_>>(),
        events.iter().map(|e| &e.id).collect::<Vec<_>>()
    );
    assert!(wait_for(Duration::from_secs(2), || h.deliveries().len() == 2).await);
    for d in h.deliveries() {
        assert_eq!(d.url, h.receiver_url());
        assert_eq!((d.attempt, d.status), (1, Some(200)));
    }
    // The processed bodies carry the event data.
    assert!(
        wait_for(Duration::from_secs(2), || h
            .app
            .receiver()
            .processed()
            .len()
            == 2)
        .await
    );
    let delivered = h
        .app
        .receiver()
        .processed()
        .into_iter()
        .find(|p| p.event_type == "order.delivered")
        .unwrap();
    assert_eq!(delivered.body["data"]["id"], order["id"]);
    assert_eq!(delivered.body["data"]["status"], "DELIVERED");
    assert_eq!(h.stats().by_route.get("POST /_receiver/octopus"), Some(&2));
}

/// What the flaky test endpoint saw.
#[derive(Default)]
struct Seen {
    /// Requests per event id.
    count: HashMap<String, u32>,
    /// (event id, timestamp, signature valid, user agent) per request.
    requests: Vec<(String, String, bool, String)>,
}

/// A local endpoint answering 500 to the first two deliveries of each event id, then
/// 200; it checks each signature with `key`.
async fn flaky_endpoint(key: Vec<u8>) -> (String, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let state = (seen.clone(), key);
    let app = axum::Router::new()
        .route(
            "/hook",
            axum::routing::post(
                |axum::extract::State((seen, key)): axum::extract::State<(
                    Arc<Mutex<Seen>>,
                    Vec<u8>,
                )>,
                 headers: AxumHeaders,
                 body: axum::body::Bytes| async move {
                    let h = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string()
                    };
                    let id = h("x-event-id");
                    let ok = webhook::verify(&key, &body, &h("x-signature"));
                    let mut seen = seen.lock().unwrap();
                    seen.requests
                        .push((id.clone(), h("x-timestamp"), ok, h("user-agent")));
                    let n = seen.count.entry(id).or_default();
                    *n += 1;
                    if *n <= 2 {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::OK
                    }
                },
            ),
        )
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, seen)
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_the_same_event_id() {
    let key = receiver::SANDBOX_WEBHOOK_SECRET.as_bytes().to_vec();
    let (url, seen) = flaky_endpoint(key).await;
    let h = sim_with(SimConfig {
        webhook_url: Some(url.clone()),
        allow_http_loopback_webhook: true,
        delivery_backoff: Duration::from_millis(20),
        ..SimConfig::default()
    })
    .await;
    let c = client();
    place_order(&c, &h, 1).await;
    let done = wait_for(Duration::from_secs(10), || {
        h.deliveries()
            .iter()
            .filter(|d| d.status == Some(200))
            .count()
            == 2
    })
    .await;
    assert!(done, "{:?}", h.deliveries());
    let events = h.events();
    assert_eq!(events.len(), 2, "wallet.debited and order.delivered");
    for event in &events {
        let attempts: Vec<(u32, Option<u16>)> = h
            .deliveries()
            .iter()
            .filter(|d| d.event_id == event.id)
            .inspect(|d| {
                assert_eq!(d.url, url);
                assert_eq!(d.event_type, event.event_type);
            })
            .map(|d| (d.attempt, d.status))
            .collect();
        assert_eq!(
            attempts,
            vec![(1, Some(500)), (2, Some(500)), (3, Some(200))],
            "{}",
            event.event_type
        );
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.requests.len(), 6);
    assert!(seen.requests.iter().all(|(_, ts, ok, ua)| {
        *ok && ua == webhook::USER_AGENT && ts.parse::<i64>().is_ok_and(|t| now().abs_diff(t) <= 5)
    }));
    // The reference receiver was not involved.
    assert!(h.received().is_empty());
}

#[tokio::test]
async fn deliveries_to_a_dead_port_are_retried_and_bounded() {
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let h = sim_with(SimConfig {
        webhook_url: Some(format!("http://{dead}/hook")),
        allow_http_loopback_webhook: true,
        delivery_backoff: Duration::from_millis(10),
        ..SimConfig::default()
    })
    .await;
    let c = client();
    place_order(&c, &h, 1).await;
    let all = wait_for(Duration::from_secs(10), || h.deliveries().len() == 10).await;
    assert!(all, "{:?}", h.deliveries());
    // 10 + 20 + 40 + 80 ms of backoff: well over by now if it did not stop.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let attempts = h.deliveries();
    assert_eq!(attempts.len(), 10);
    for event in h.events() {
        let mine: Vec<u32> = attempts
            .iter()
            .filter(|d| d.event_id == event.id)
            .map(|d| d.attempt)
            .collect();
        assert_eq!(mine, vec![1, 2, 3, 4, 5]);
    }
    assert!(attempts.iter().all(|d| d.status.is_none()));
}

#[tokio::test]
async fn a_hanging_receiver_never_blocks_the_api() {
    let h = sim(Scenario::ReceiverHangs).await;
    let c = client();
    let started = Instant::now();
    place_order(&c, &h, 1).await;
    place_order(&c, &h, 1).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    // The first attempts are in flight, unanswered.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(h.deliveries().is_empty());
    assert!(h.received().is_empty());
}

#[tokio::test]
async fn receiver_rejections_are_retried_by_the_simulator() {
    let h = sim_with(SimConfig {
        scenario: Scenario::ReceiverDown,
        delivery_backoff: Duration::from_millis(10),
        ..SimConfig::default()
    })
    .await;
    let c = client();
    place_order(&c, &h, 1).await;
    assert!(wait_for(Duration::from_secs(10), || h.deliveries().len() == 10).await);
    assert!(h.deliveries().iter().all(|d| d.status == Some(500)));
    assert_eq!(h.received().len(), 10);
}

#[tokio::test]
async fn an_invalid_webhook_url_is_refused_at_start() {
    for url in ["not a url", "ftp://127.0.0.1/hook", "file:///tmp/x"] {
        let e = start(SimConfig {
            webhook_url: Some(url.into()),
            ..SimConfig::default()
        })
        .await
        .expect_err(url);
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{url}");
    }
}

/// Section 10.1: webhook URLs are HTTPS only. Plain http:// is refused, except to a
/// loopback host with the explicit opt-in.
#[tokio::test]
async fn plain_http_webhook_urls_need_https_or_the_loopback_opt_in() {
    use super::check_webhook_url;
    assert!(check_webhook_url("https://hooks.example.com/octopus", false).is_ok());
    for url in [
        "http://127.0.0.1:9/hook",
        "http://[::1]:9/hook",
        "http://localhost:9/h",
    ] {
        let e = check_webhook_url(url, false).expect_err(url);
        assert!(e.to_string().contains("allow-http-loopback-webhook"), "{e}");
        assert!(check_webhook_url(url, true).is_ok(), "{url}");
    }
    for url in ["http://hooks.example.com/octopus", "http://10.0.0.1/hook"] {
        assert!(check_webhook_url(url, false).is_err(), "{url}");
        assert!(check_webhook_url(url, true).is_err(), "{url}");
    }
    // start refuses it the same way.
    let e = start(SimConfig {
        webhook_url: Some("http://127.0.0.1:9/hook".into()),
        ..SimConfig::default()
    })
    .await
    .expect_err("plain http without the opt-in");
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
}
