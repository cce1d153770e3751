//! The proxy against the simulator: injected answers, passed-through answers and
//! their rewrites, the timeline, phases and the stop signal.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use serde_json::{Value, json};

use super::*;
use crate::sim::{self, SimConfig};

fn loopback() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0)
}

struct Rig {
    _sim: sim::SimHandle,
    proxy: ProxyHandle,
    http: reqwest::Client,
    key: String,
    secret: String,
}

async fn rig(phase: PhasePlan) -> Rig {
    let sim = sim::start(SimConfig::default()).await.unwrap();
    let proxy = serve(ProxyConfig {
        listen: loopback(),
        upstream: Url::parse(&sim.base_url()).unwrap(),
        phase,
        extra_roots: Vec::new(),
        request_lines: None,
    })
    .await
    .unwrap();
    Rig {
        key: sim.api_key().expose().to_string(),
        secret: sim.api_secret().expose().to_string(),
        _sim: sim,
        proxy,
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
    }
}

impl Rig {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        request_id: Option<&str>,
    ) -> (u16, HeaderMap, Vec<u8>) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.proxy.url()));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        if let Some(id) = request_id {
            req = req.header("x-request-id", id);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.unwrap().to_vec();
        (status, headers, body)
    }

    async fn login(&self) -> String {
        let (status, _, body) = self
            .send(
                reqwest::Method::POST,
                "/auth/login",
                None,
                Some(json!({"username": self.key, "password": self.secret})),
                Some("loginid1"),
            )
            .await;
        assert_eq!(status, 200);
        let v: Value = serde_json::from_slice(&body).unwrap();
        v["data"]["access_token"].as_str().unwrap().to_string()
    }
}

fn order(reference: Option<&str>) -> Value {
    let mut o = json!({"product_id": 123, "denomination": 10, "quantity": 1});
    if let Some(r) = reference {
        o["client_reference"] = json!(r);
    }
    o
}

#[tokio::test]
async fn the_default_faults_phase_injects_and_rewrites() {
    let plan = Plan::default_plan();
    let rig = rig(plan.phases[0].clone()).await;
    let token = rig.login().await;

    // The first wallets GET: 400, injected, never reaching the simulator.
    let (status, headers, body) = rig
        .send(
            reqwest::Method::GET,
            "/api/v1/wallets",
            Some(&token),
            None,
            Some("wal1"),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(headers["x-request-id"], "wal1");
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["code"], "BAD_REQUEST");

    // The second passes through, with an unknown field and one never-seen type.
    let (status, headers, body) = rig
        .send(
            reqwest::Method::GET,
            "/api/v1/wallets",
            Some(&token),
            None,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        headers[header::CONTENT_LENGTH].to_str().unwrap(),
        body.len().to_string(),
        "Content-Length matches the rewritten body"
    );
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v[0]["type"], UNKNOWN_WALLET_TYPE);
    assert_eq!(v[0][UNKNOWN_FIELD]["probe"], true);
    // Only one wallets response has the replaced type.
    let (_, _, body) = rig
        .send(
            reqwest::Method::GET,
            "/api/v1/wallets",
            Some(&token),
            None,
            None,
        )
        .await;
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_ne!(v[0]["type"], UNKNOWN_WALLET_TYPE);
    assert_eq!(v[0][UNKNOWN_FIELD]["probe"], true);

    // Orders: 429 with Retry-After 2, then 503, then through (whatever the reference).
    let (status, headers, body) = rig
        .send(
            reqwest::Method::POST,
            "/api/v1/orders",
            Some(&token),
            Some(order(Some("ref-1"))),
            None,
        )
        .await;
    assert_eq!(status, 429);
    assert_eq!(headers[header::RETRY_AFTER], "2");
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["code"], "TOO_MANY_REQUESTS");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Retry after 2 seconds")
    );
    let (status, _, _) = rig
        .send(
            reqwest::Method::POST,
            "/api/v1/orders",
            Some(&token),
            Some(order(Some("ref-other"))),
            None,
        )
        .await;
    assert_eq!(status, 503);
    let (status, _, body) = rig
        .send(
            reqwest::Method::POST,
            "/api/v1/orders",
            Some(&token),
            Some(order(Some("ref-1"))),
            None,
        )
        .await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["status"], UNKNOWN_ORDER_STATUS);
    assert_eq!(v["client_reference"], "ref-1");
    // The injected answers never reached the simulator: one order exists.
    let (_, _, body) = rig
        .send(
            reqwest::Method::GET,
            "/api/v1/orders",
            Some(&token),
            None,
            None,
        )
        .await;
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["status"], "DELIVERED", "one order response only");

    let t = rig.proxy.timeline();
    assert_eq!(t.phase, "faults");
    let summary: Vec<(RequestClass, u16, bool)> = t
        .entries
        .iter()
        .map(|e| (e.class, e.status.unwrap(), e.injected))
        .collect();
    assert_eq!(
        summary,
        [
            (RequestClass::Login, 200, false),
            (RequestClass::Wallets, 400, true),
            (RequestClass::Wallets, 200, false),
            (RequestClass::Wallets, 200, false),
            (RequestClass::OrderCreate, 429, true),
            (RequestClass::OrderCreate, 503, true),
            (RequestClass::OrderCreate, 201, false),
            (RequestClass::Get, 200, false),
        ]
    );
    let e = &t.entries[4];
    assert_eq!(e.retry_after, Some(2));
    assert_eq!(e.client_reference.as_deref(), Some("ref-1"));
    assert_eq!(t.entries[5].client_reference.as_deref(), Some("ref-other"));
    assert_eq!(t.entries[0].request_id.as_deref(), Some("loginid1"));
    assert_eq!(t.entries[2].request_id, None);
    assert!(
        t.entries
            .iter()
            .all(|e| e.responded_ms >= Some(e.arrived_ms))
    );
    let lines = t.lines();
    assert!(
        lines[4].starts_with("#5 +")
            && lines[4]
                .contains("POST /api/v1/orders -> 429 injected Retry-After: 2 ref=ref-1 id=-"),
        "{}",
        lines[4]
    );
    assert!(
        lines[0].contains("-> 200 passed ref=- id=loginid1 (+unknown field)"),
        "{}",
        lines[0]
    );
    assert!(!rig.proxy.stop_requested());
}

#[tokio::test]
async fn the_outage_phase_stops_after_its_bound_and_phases_start_over() {
    let plan = Plan::default_plan();
    let rig = rig(plan.phases[0].clone()).await;
    let token = rig.login().await;
    rig.proxy.begin_phase(plan.phases[1].clone());
    assert!(rig.proxy.timeline().entries.is_empty());
    for attempt in 1..=11 {
        assert!(!rig.proxy.stop_requested(), "attempt {attempt}");
        let (status, _, _) = rig
            .send(
                reqwest::Method::POST,
                "/api/v1/orders",
                Some(&token),
                Some(order(None)),
                None,
            )
            .await;
        assert_eq!(status, 503);
    }
    assert!(rig.proxy.stop_requested());
    let t = rig.proxy.timeline();
    assert_eq!(t.phase, "outage");
    assert_eq!(t.entries.len(), 11);
    assert!(
        t.entries
            .iter()
            .all(|e| e.injected && e.client_reference.is_none())
    );
    // Success bodies pass unchanged in the outage phase.
    let (_, _, body) = rig
        .send(
            reqwest::Method::GET,
            "/api/v1/wallets",
            Some(&token),
            None,
            None,
        )
        .await;
    assert!(!String::from_utf8_lossy(&body).contains(UNKNOWN_FIELD));

    rig.proxy.begin_phase(PhasePlan::passthrough("again"));
    assert!(!rig.proxy.stop_requested());
    assert!(rig.proxy.timeline().entries.is_empty());
}

#[tokio::test]
async fn an_unreachable_upstream_is_a_502_that_was_not_injected() {
    // A port that was free a moment ago.
    let port = std::net::TcpListener::bind(loopback())
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let proxy = serve(ProxyConfig {
        listen: loopback(),
        upstream: Url::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
        phase: PhasePlan::passthrough("p"),
        extra_roots: Vec::new(),
        request_lines: None,
    })
    .await
    .unwrap();
    let resp = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{}/api/v1/wallets", proxy.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 502);
    let e = &proxy.timeline().entries[0];
    assert_eq!((e.status, e.injected), (Some(502), false));
    assert!(
        e.note
            .as_deref()
            .unwrap()
            .starts_with("upstream unreachable")
    );
}

#[tokio::test]
async fn production_and_clear_text_upstreams_are_refused() {
    for url in [
        "https://api.octopuscards.io",
        "https://API.octopuscards.io/",
        "https://api.octopuscards.io./",
        "https://API.OCTOPUSCARDS.IO./x",
        "https://Api.OctopusCards.Io.:443",
        "http://sandbox-api.octopuscards.io",
        "ftp://127.0.0.1",
    ] {
        let url = Url::parse(url).unwrap();
        assert!(check_upstream(&url).is_err(), "{url}");
        let e = serve(ProxyConfig {
            listen: loopback(),
            upstream: url.clone(),
            phase: PhasePlan::passthrough("p"),
            extra_roots: Vec::new(),
            request_lines: None,
        })
        .await
        .unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{url}");
    }
    for url in [
        "https://sandbox-api.octopuscards.io",
        "http://127.0.0.1:8080",
        "http://localhost:1",
    ] {
        assert!(check_upstream(&Url::parse(url).unwrap()).is_ok(), "{url}");
    }
}

#[test]
fn upstream_arguments() {
    assert_eq!("sim".parse::<Upstream>(), Ok(Upstream::Sim));
    assert_eq!(
        "https://sandbox-api.octopuscards.io".parse::<Upstream>(),
        Ok(Upstream::Url(
            Url::parse("https://sandbox-api.octopuscards.io").unwrap()
        ))
    );
    assert!("simulator".parse::<Upstream>().is_err());
    assert!("mailto:a@b.c".parse::<Upstream>().is_err());
}
