//! The `webhook` check, run in-process against receivers on loopback whose behaviour
//! is a parameter: one correct receiver, one defective variant per finding, broken
//! transports (hangs, redirects, 5xx, endless bodies, closed ports), URL hygiene per
//! tier, and HTTPS with a private test CA.

use std::collections::HashMap;
use std::time::Duration;

use crate::support::closed_port;
use crate::support::webhook::*;
use golive::finding::Level::{Fail, Info, Warn};
use golive::report::Status;
use golive::secret::SecretError;

/// How long after `ctx.deadline` the runner lets a check finish (runner.rs: the
/// smaller of a quarter of the budget and 300 ms).
const RUNNER_MARGIN: Duration = Duration::from_millis(300);

/// Every negative probe a correct receiver must refuse, and their findings.
const FORGERIES: &[(&str, &str)] = &[
    ("bad-signature", "bad-signature-accepted"),
    ("missing-signature", "missing-signature-accepted"),
    ("tampered-body", "tampered-body-accepted"),
    ("wrong-secret", "wrong-secret-accepted"),
];

/// Runs the check against a plain-HTTP receiver with `behaviour` on a simulator env
/// (so that http:// and loopback are info only).
async fn against(behaviour: Behaviour) -> (Run, Receiver) {
    let r = serve(behaviour).await;
    let run = setup(Env::Simulator, Some(&r.http_url())).run().await;
    (run, r)
}

// ---------------------------------------------------------------------------------
// Receivers
// ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_receiver_passes_with_nine_deliveries() {
    let (run, r) = against(Behaviour::Correct).await;
    run.assert_notable(&[]);
    assert_eq!(run.status(), Status::Pass, "{}", run.dump());
    assert!(run.outcome.skipped.is_none());
    assert!(run.outcome.pass_summary.is_some(), "{}", run.dump());
    assert!(
        !run.outcome.evidence.contains_key("skipped_probes"),
        "{}",
        run.dump()
    );

    let deliveries = run.deliveries();
    assert_eq!(deliveries.len(), 9, "{}", run.dump());
    assert_eq!(r.hits(), 9);
    assert_eq!(
        deliveries[0]["case"], "valid",
        "the valid delivery goes first"
    );
    let cases: Vec<&str> = deliveries
        .iter()
        .map(|d| d["case"].as_str().unwrap())
        .collect();
    for case in [
        "valid",
        "bad-signature",
        "missing-signature",
        "tampered-body",
        "wrong-secret",
        "stale-timestamp",
        "duplicate",
        "raw-body",
        "unknown-event",
    ] {
        assert!(cases.contains(&case), "no `{case}` delivery in {cases:?}");
    }
    // What a correct receiver answered, as recorded.
    for (case, status) in [
        ("valid", 200),
        ("bad-signature", 401),
        ("missing-signature", 401),
        ("tampered-body", 401),
        ("wrong-secret", 401),
        ("stale-timestamp", 400),
        ("duplicate", 200),
        ("raw-body", 200),
        ("unknown-event", 200),
    ] {
        assert_eq!(
            run.delivery(case)["status"],
            status,
            "{case}\n{}",
            run.dump()
        );
    }
    assert_eq!(run.delivery("valid")["expected"], "2xx");
    assert_eq!(run.delivery("bad-signature")["expected"], "rejection");
    assert_eq!(
        run.delivery("unknown-event")["event_type"],
        golive::checks::webhook::UNKNOWN_EVENT_TYPE
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_carry_every_header_octopus_sends() {
    let (run, r) = against(Behaviour::Correct).await;
    assert_eq!(run.status(), Status::Pass, "{}", run.dump());
    let requests = r.requests();
    assert_eq!(requests.len(), 9);

    let mut ids: HashMap<String, usize> = HashMap::new();
    for req in &requests {
        assert_eq!(req.path, "/hooks/octopus");
        assert_eq!(req.header("user-agent"), "octopusrewards.com/webhook-agent");
        assert_eq!(req.header("content-type"), "application/json");
        assert_eq!(
            req.header("x-octopus-webhook-token"),
            SECRET,
            "Octopus sends the secret itself"
        );
        assert!(!req.header("x-webhook-id").is_empty());
        req.header("x-timestamp")
            .parse::<i64>()
            .expect("X-Timestamp is Unix seconds");
        let body = req.json();
        assert_eq!(
            req.header("x-event-id"),
            body["id"].as_str().unwrap(),
            "X-Event-ID = body id"
        );
        assert_eq!(
            req.header("x-event-type"),
            body["type"].as_str().unwrap(),
            "X-Event-Type = body type"
        );
        assert!(body["created_at"].is_string());
        assert!(body["data"].is_object());
        let id = req.header("x-event-id");
        assert!(id.starts_with("evt_golive_"), "synthetic event id: {id}");
        *ids.entry(id.to_string()).or_default() += 1;
    }
    // Fresh for every probe except the duplicate, which repeats the valid one.
    assert_eq!(ids.len(), 8, "{ids:?}");
    let repeated: Vec<_> = ids.iter().filter(|(_, n)| **n > 1).collect();
    assert_eq!(repeated.len(), 1, "{ids:?}");
    assert_eq!(*repeated[0].1, 2);
    assert_eq!(
        repeated[0].0,
        run.delivery("valid")["event_id"].as_str().unwrap()
    );
    assert_eq!(
        run.delivery("duplicate")["event_id"],
        run.delivery("valid")["event_id"]
    );

    // The valid delivery: a live event type, compact JSON that survives re-serialization,
    // correctly signed, fresh, and not mistakable for money moving.
    let valid = &requests[0];
    assert_eq!(valid.header("x-event-type"), "order.delivered");
    let parsed = valid.json();
    assert_eq!(serde_json::to_vec(&parsed).unwrap(), valid.body.to_vec());
    assert!(valid.body.is_ascii());
    assert!(golive::webhook::verify(
        SECRET.as_bytes(),
        &valid.body,
        valid.header("x-signature")
    ));
    let age =
        jiff::Timestamp::now().as_second() - valid.header("x-timestamp").parse::<i64>().unwrap();
    assert!((0..60).contains(&age), "fresh X-Timestamp, {age}s old");
    assert_eq!(parsed["data"]["amount"], 0);
    assert_eq!(parsed["data"]["test"], true);

    // X-Signature is bare lowercase hex (no `sha256=` prefix).
    let sig = valid.header("x-signature");
    assert_eq!(sig.len(), 64, "{sig}");
    assert!(
        sig.chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
        "{sig}"
    );

    // Exactly one delivery lacks X-Signature (the missing-signature probe).
    let unsigned = requests
        .iter()
        .filter(|q| !q.headers.contains_key("x-signature"))
        .count();
    assert_eq!(unsigned, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receiver_accepting_everything_fails_every_forgery_probe() {
    let (run, r) = against(Behaviour::AcceptAll).await;
    let mut want: Vec<(&str, golive::finding::Level)> =
        FORGERIES.iter().map(|(_, c)| (*c, Fail)).collect();
    want.push(("stale-timestamp-accepted", Warn));
    run.assert_notable(&want);
    assert_eq!(run.status(), Status::Fail);
    assert!(run.outcome.pass_summary.is_none());
    assert_eq!(r.hits(), 9);
    assert_eq!(run.deliveries().len(), 9);
    for (case, _) in FORGERIES {
        assert_eq!(run.delivery(case)["status"], 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receiver_verifying_only_when_signed_is_caught() {
    let (run, _r) = against(Behaviour::VerifyIfPresent).await;
    run.assert_notable(&[("missing-signature-accepted", Fail)]);
    assert_eq!(run.status(), Status::Fail);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receiver_verifying_a_reserialized_body_is_caught() {
    let (run, r) = against(Behaviour::Reserialized).await;
    run.assert_notable(&[("raw-body-not-verified", Fail)]);
    assert_eq!(run.delivery("raw-body")["status"], 401);
    // The raw-body probe differs from a JSON library's output but is correctly signed.
    let raw = r
        .requests()
        .into_iter()
        .find(|q| q.header("x-event-id") == run.delivery("raw-body")["event_id"].as_str().unwrap())
        .unwrap();
    assert_ne!(serde_json::to_vec(&raw.json()).unwrap(), raw.body.to_vec());
    assert!(golive::webhook::verify(
        SECRET.as_bytes(),
        &raw.body,
        raw.header("x-signature")
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receiver_refusing_duplicates_is_caught() {
    let (run, _r) = against(Behaviour::Dedup409).await;
    run.assert_notable(&[("duplicate-delivery-rejected", Fail)]);
    assert_eq!(run.delivery("duplicate")["status"], 409);
    assert!(
        run.finding("duplicate-delivery-rejected")
            .message
            .contains("409"),
        "{}",
        run.dump()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receiver_without_replay_check_warns() {
    let (run, _r) = against(Behaviour::NoReplayCheck).await;
    run.assert_notable(&[("stale-timestamp-accepted", Warn)]);
    assert_eq!(run.status(), Status::Warn);
    assert_eq!(
        golive::runner::status_of(run.findings(), golive::manifest::Severity::Warn),
        Status::Warn
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receiver_refusing_unknown_event_types_warns() {
    let (run, _r) = against(Behaviour::RejectUnknown).await;
    run.assert_notable(&[("unknown-event-rejected", Warn)]);
    assert_eq!(run.status(), Status::Warn);
    assert_eq!(run.delivery("unknown-event")["status"], 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_acknowledgement_warns() {
    let r = serve(Behaviour::Slow(Duration::from_millis(1500))).await;
    let run = setup(Env::Simulator, Some(&r.http_url()))
        .ack_within(Duration::from_millis(500))
        .timeout(Duration::from_secs(30))
        .run()
        .await;
    run.assert_notable(&[("slow-ack", Warn)]);
    assert!(
        run.delivery("valid")["latency_ms"].as_u64().unwrap() >= 1400,
        "{}",
        run.dump()
    );
    assert_eq!(
        r.hits(),
        9,
        "a slow but correct receiver still gets every probe"
    );
    assert!(run.elapsed < Duration::from_secs(15), "{:?}", run.elapsed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_receiver_is_no_ack_and_the_check_returns_before_its_deadline() {
    let r = serve(Behaviour::Hang).await;
    // The endpoint had more than ack_within to answer: its silence is its own fault.
    let run = setup(Env::Simulator, Some(&r.http_url()))
        .ack_within(Duration::from_millis(500))
        .timeout(Duration::from_secs(2))
        .run()
        .await;
    run.assert_notable(&[("no-ack", Fail)]);
    assert!(
        !run.finding("no-ack").incomplete,
        "no-ack is the endpoint's fault, not an incomplete probe"
    );
    // The runner cuts a check off at most 300 ms after `ctx.deadline` (its margin):
    // the check must have returned by then, or no-ack becomes a check timeout.
    assert!(
        run.finished <= run.deadline + RUNNER_MARGIN,
        "the check overran its deadline by {:?}\n{}",
        run.finished - run.deadline,
        run.dump()
    );
    assert!(run.elapsed < Duration::from_secs(15));
    assert_eq!(
        r.hits(),
        1,
        "nothing else is sent after the valid delivery hangs"
    );
    assert_eq!(run.deliveries().len(), 1);
    assert!(run.outcome.evidence.contains_key("skipped_probes"));
}

/// A check timeout shorter than ack_within never gave the endpoint the time a
/// correct one may take: the check's deadline is reported, not the endpoint (SPEC 8.1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_receiver_cut_before_ack_within_is_a_check_timeout() {
    let r = serve(Behaviour::Hang).await;
    let run = setup(Env::Simulator, Some(&r.http_url()))
        .ack_within(Duration::from_secs(5))
        .timeout(Duration::from_secs(1))
        .run()
        .await;
    assert!(run.has("check-timeout"), "{}", run.dump());
    assert!(!run.has("no-ack"), "{}", run.dump());
    assert!(run.finding("check-timeout").incomplete, "{}", run.dump());
    assert_eq!(run.status(), Status::Error, "{}", run.dump());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receiver_refusing_the_valid_delivery_skips_the_probes() {
    let (run, r) = against(Behaviour::RejectAll401).await;
    run.assert_notable(&[("valid-delivery-rejected", Fail)]);
    let f = run.finding("valid-delivery-rejected");
    assert!(f.message.contains("401"), "{}", run.dump());
    assert!(
        run.evidence("skipped_probes")
            .as_str()
            .unwrap()
            .contains("valid delivery")
    );
    assert_eq!(run.deliveries().len(), 1, "{}", run.dump());
    assert_eq!(run.delivery("valid")["status"], 401);
    assert_eq!(r.hits(), 1, "the negative probes are not sent");
    assert_eq!(run.status(), Status::Fail);
    assert!(
        run.outcome.skipped.is_none(),
        "the check ran: it fails, it is not skipped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_is_not_an_acknowledgement_and_is_not_followed() {
    let (run, r) = against(Behaviour::Redirect302).await;
    run.assert_notable(&[("valid-delivery-rejected", Fail)]);
    let msg = &run.finding("valid-delivery-rejected").message;
    assert!(msg.contains("302") && msg.contains("redirect"), "{msg}");
    assert_eq!(r.hits(), 1, "the redirect was followed: {:?}", r.requests());
    assert!(r.requests().iter().all(|q| q.path == "/hooks/octopus"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_error_is_a_rejection() {
    let (run, r) = against(Behaviour::Error500).await;
    run.assert_notable(&[("valid-delivery-rejected", Fail)]);
    let f = run.finding("valid-delivery-rejected");
    assert!(f.message.contains("500"), "{}", run.dump());
    assert!(
        !f.incomplete,
        "an HTTP answer is judged, not an incomplete probe"
    );
    assert_eq!(run.status(), Status::Fail);
    assert_eq!(r.hits(), 1);
    // The first bytes of the answer are kept as evidence.
    assert!(
        run.delivery("valid")["answer"]
            .as_str()
            .unwrap()
            .contains("refused"),
        "{}",
        run.dump()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endlessly_streaming_answer_counts_as_acknowledged_and_does_not_hold_the_check() {
    let r = serve_streaming(Streaming::Endless).await;
    let run = setup(Env::Simulator, Some(&r.http_url()))
        .timeout(Duration::from_secs(60))
        .run()
        .await;
    run.assert_notable(&[]);
    assert_eq!(run.delivery("valid")["status"], 200);
    assert_eq!(run.deliveries().len(), 9);
    assert_eq!(r.hits(), 9);
    // Promptly: nowhere near the 60 s deadline.
    assert!(run.elapsed < Duration::from_secs(15), "{:?}", run.elapsed);
    // Only a little of the answer is read and shown.
    let answer = run.delivery("valid")["answer"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(answer.starts_with("xxx") && answer.len() <= 210, "{answer}");
}

/// A 200 whose body never finishes: the status line is the acknowledgement
/// (octopus-api.md 10.1: the response body is ignored), so golive should not wait
/// for the body, and the probes should still be sent and judged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_body_after_a_200_counts_as_acknowledged() {
    let r = serve_streaming(Streaming::StallAfterHeaders).await;
    let run = setup(Env::Simulator, Some(&r.http_url()))
        .timeout(Duration::from_secs(20))
        .run()
        .await;
    assert_eq!(run.delivery("valid")["status"], 200, "{}", run.dump());
    assert!(
        run.elapsed < Duration::from_secs(15),
        "held for {:?}",
        run.elapsed
    );
    assert_eq!(r.hits(), 9, "the probes were not sent\n{}", run.dump());
    run.assert_notable(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_is_unreachable() {
    let port = closed_port();
    let run = setup(
        Env::Simulator,
        Some(&format!("http://127.0.0.1:{port}/hook")),
    )
    .run()
    .await;
    run.assert_notable(&[("webhook-unreachable", Fail)]);
    assert!(run.finding("webhook-unreachable").incomplete);
    assert_eq!(run.status(), Status::Error);
    assert!(run.elapsed < Duration::from_secs(15));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_over_https_is_unreachable() {
    let port = closed_port();
    let run = setup(
        Env::Simulator,
        Some(&format!("https://127.0.0.1:{port}/hook")),
    )
    .roots(TestCa::new().roots())
    .run()
    .await;
    run.assert_notable(&[("webhook-unreachable", Fail)]);
    assert_eq!(run.status(), Status::Error);
    assert!(!run.outcome.evidence.contains_key("deliveries"));
}

/// A receiver that answers the valid delivery and then never answers again: nothing
/// about forgeries, duplicates or unknown types was learnt, so this must not pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_probes_do_not_pass() {
    let r = serve(Behaviour::AnswerOnlyFirst).await;
    let run = setup(Env::Simulator, Some(&r.http_url()))
        .timeout(Duration::from_secs(3))
        .run()
        .await;
    assert_eq!(r.hits(), 9);
    assert_ne!(run.status(), Status::Pass, "{}", run.dump());
}

/// A receiver that accepts forgeries, but slowly: once the valid delivery has used
/// most of the time, the forged probes time out and are counted as refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_receiver_accepting_forgeries_does_not_pass() {
    let r = serve(Behaviour::SlowAcceptAll(Duration::from_secs(3))).await;
    let run = setup(Env::Simulator, Some(&r.http_url()))
        .timeout(Duration::from_secs(4))
        .run()
        .await;
    assert_eq!(run.delivery("valid")["status"], 200, "{}", run.dump());
    assert_ne!(run.status(), Status::Pass, "{}", run.dump());
    assert!(run.has("probes-unanswered"), "{}", run.dump());
}

/// Octopus retries a delivery that times out just as one that is refused: a repeat
/// that hangs is not acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_duplicate_is_not_acknowledged() {
    let r = serve(Behaviour::HangOnDuplicate).await;
    let run = setup(Env::Simulator, Some(&r.http_url()))
        .timeout(Duration::from_secs(3))
        .run()
        .await;
    assert!(
        run.delivery("duplicate")["status"].is_null(),
        "{}",
        run.dump()
    );
    assert!(
        run.has("duplicate-delivery-rejected") || run.status() != Status::Pass,
        "{}",
        run.dump()
    );
}

// ---------------------------------------------------------------------------------
// URL hygiene
// ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_url() {
    let run = setup(Env::Sandbox, None).run().await;
    run.assert_notable(&[("webhook-url-missing", Fail)]);
    assert_eq!(run.findings().len(), 1);
    assert_eq!(run.status(), Status::Fail);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_secret_sends_nothing() {
    let r = serve(Behaviour::Correct).await.expect_no_requests();
    let run = setup(Env::Simulator, Some(&r.http_url()))
        .secret(Err(SecretError::Missing(
            "environment variable WEBHOOK_SECRET".into(),
        )))
        .run()
        .await;
    run.assert_notable(&[("webhook-secret-missing", Fail)]);
    assert!(
        run.finding("webhook-secret-missing")
            .message
            .contains("WEBHOOK_SECRET")
    );
    assert_eq!(r.hits(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_loopback_on_sandbox_is_local_development_and_still_probed() {
    // Plain http to a loopback receiver of a sandbox env (what `golive sim` prints)
    // is noted as info; Octopus not reaching it is the warning. Production fails.
    let r = serve(Behaviour::Correct).await;
    let run = setup(Env::Sandbox, Some(&r.http_url())).run().await;
    run.assert_notable(&[("webhook-private-address", Warn)]);
    run.expect("webhook-not-https", Info);
    assert_eq!(run.status(), Status::Warn);
    assert_eq!(r.hits(), 9, "loopback is probed even over http://");
    assert_eq!(run.deliveries().len(), 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_loopback_on_a_simulator_env_is_info_only() {
    let (run, r) = against(Behaviour::Correct).await;
    run.expect("webhook-not-https", Info);
    run.expect("webhook-private-address", Info);
    assert_eq!(run.status(), Status::Pass);
    assert_eq!(
        run.addresses(),
        vec![("127.0.0.1".to_string(), "loopback".to_string())]
    );
    assert_eq!(run.evidence("url").as_str().unwrap(), r.http_url());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_on_production_is_refused_and_nothing_is_sent() {
    let r = serve(Behaviour::Correct).await.expect_no_requests();
    let run = setup(Env::Production, Some(&r.http_url())).run().await;
    run.expect("webhook-private-address", Fail);
    run.expect("webhook-not-https", Fail);
    assert_eq!(
        r.hits(),
        0,
        "a delivery was sent to a private address on production"
    );
    assert!(run.deliveries().is_empty());
    assert_eq!(run.evidence("deliveries"), &serde_json::json!([]));
    let why = run.evidence("not_sent").as_str().unwrap();
    assert!(why.contains("not reachable from the internet"), "{why}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_loopback_on_production_is_refused_and_nothing_is_sent() {
    let ca = TestCa::new();
    let r = serve_tls(Behaviour::Correct, &ca.leaf(LOOPBACK_SANS, -1, 365))
        .await
        .expect_no_requests();
    let run = setup(Env::Production, Some(&r.https_url("127.0.0.1")))
        .roots(ca.roots())
        .run()
        .await;
    run.assert_notable(&[("webhook-private-address", Fail)]);
    assert_eq!(r.hits(), 0);
    assert!(run.deliveries().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_a_remote_name_sends_nothing() {
    let run = setup(Env::Sandbox, Some("http://hooks.example.invalid/x"))
        .timeout(Duration::from_secs(5))
        .run()
        .await;
    assert!(
        run.has("webhook-dns-failed") || run.has("webhook-not-https"),
        "{}",
        run.dump()
    );
    if run.has("webhook-not-https") {
        assert_eq!(run.finding("webhook-not-https").level, Fail);
    }
    assert!(
        run.deliveries().is_empty(),
        "a delivery was attempted\n{}",
        run.dump()
    );
    assert!(run.elapsed < Duration::from_secs(15));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn localhost_addresses_are_all_classified_loopback() {
    let r = serve(Behaviour::Correct).await;
    let url = format!("http://localhost:{}/hooks/octopus", r.addr.port());
    let run = setup(Env::Simulator, Some(&url)).run().await;
    let mut resolved: Vec<String> = tokio::net::lookup_host(("localhost", r.addr.port()))
        .await
        .unwrap()
        .map(|a| a.ip().to_string())
        .collect();
    resolved.sort();
    resolved.dedup();
    let addresses = run.addresses();
    let mut ips: Vec<String> = addresses.iter().map(|(ip, _)| ip.clone()).collect();
    ips.sort();
    ips.dedup();
    assert_eq!(ips, resolved, "every address DNS gives is listed");
    assert!(
        addresses.iter().all(|(_, class)| class == "loopback"),
        "{addresses:?}"
    );
    let private = run
        .findings()
        .iter()
        .filter(|f| f.code == "webhook-private-address")
        .count();
    assert_eq!(
        private,
        addresses.len(),
        "one finding per address\n{}",
        run.dump()
    );
    if !resolved.contains(&"::1".to_string()) {
        eprintln!("note: localhost does not resolve to ::1 here; only {resolved:?} was checked");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_loopback_is_classified_and_probed() {
    let Some(r) = serve_on("[::1]:0", Behaviour::Correct).await else {
        eprintln!("note: ::1 cannot be bound here; skipped");
        return;
    };
    let run = setup(
        Env::Simulator,
        Some(&format!("http://{}/hooks/octopus", r.addr)),
    )
    .run()
    .await;
    assert_eq!(
        run.addresses(),
        vec![("::1".to_string(), "loopback".to_string())]
    );
    run.assert_notable(&[]);
    assert_eq!(r.hits(), 9);
}

// ---------------------------------------------------------------------------------
// HTTPS with a private test CA
// ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_certificate_passes_with_tls_evidence() {
    let ca = TestCa::new();
    let r = serve_tls(Behaviour::Correct, &ca.leaf(LOOPBACK_SANS, -1, 365)).await;
    let run = setup(Env::Simulator, Some(&r.https_url("127.0.0.1")))
        .roots(ca.roots())
        .run()
        .await;
    run.assert_notable(&[]);
    assert_eq!(run.status(), Status::Pass);
    assert!(!run.has("webhook-not-https"));
    assert_eq!(r.hits(), 9);

    let tls = run.evidence("tls");
    assert!(
        tls["subject"]
            .as_str()
            .unwrap()
            .contains("golive test leaf"),
        "{tls}"
    );
    assert!(
        tls["issuer"].as_str().unwrap().contains("golive test CA"),
        "{tls}"
    );
    assert_eq!(tls["self_signed"], false);
    assert!(tls["untrusted"].is_null(), "{tls}");
    let not_after: jiff::Timestamp = tls["not_after"]
        .as_str()
        .unwrap()
        .parse()
        .expect("RFC 3339");
    assert!(not_after > jiff::Timestamp::now());
    let days_left = tls["days_left"].as_i64().unwrap();
    assert!((363..=365).contains(&days_left), "{tls}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_certificate_for_localhost_by_name() {
    let ca = TestCa::new();
    let r = serve_tls(Behaviour::Correct, &ca.leaf(&["localhost"], -1, 365)).await;
    let run = setup(Env::Simulator, Some(&r.https_url("localhost")))
        .roots(ca.roots())
        .run()
        .await;
    run.assert_notable(&[]);
    assert_eq!(r.hits(), 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_receiver_defects_are_found_over_tls_too() {
    let ca = TestCa::new();
    let r = serve_tls(Behaviour::VerifyIfPresent, &ca.leaf(LOOPBACK_SANS, -1, 365)).await;
    let run = setup(Env::Simulator, Some(&r.https_url("127.0.0.1")))
        .roots(ca.roots())
        .run()
        .await;
    run.assert_notable(&[("missing-signature-accepted", Fail)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ca_is_untrusted_and_nothing_is_sent() {
    let ca = TestCa::new();
    let r = serve_tls(Behaviour::Correct, &ca.leaf(LOOPBACK_SANS, -1, 365))
        .await
        .expect_no_requests();
    let run = setup(Env::Simulator, Some(&r.https_url("127.0.0.1")))
        .run()
        .await;
    run.assert_notable(&[("webhook-tls-untrusted", Fail)]);
    assert!(
        !run.finding("webhook-tls-untrusted")
            .message
            .contains("self-signed"),
        "{}",
        run.dump()
    );
    assert_eq!(r.hits(), 0, "a delivery reached an untrusted endpoint");
    assert!(run.deliveries().is_empty());
    assert!(
        run.evidence("not_sent")
            .as_str()
            .unwrap()
            .contains("not trusted")
    );
    // The chain is still described.
    assert!(
        run.evidence("tls")["issuer"]
            .as_str()
            .unwrap()
            .contains("golive test CA")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_certificate_sends_nothing() {
    let ca = TestCa::new();
    let r = serve_tls(Behaviour::Correct, &ca.leaf(LOOPBACK_SANS, -30, -1))
        .await
        .expect_no_requests();
    let run = setup(Env::Simulator, Some(&r.https_url("127.0.0.1")))
        .roots(ca.roots())
        .run()
        .await;
    run.assert_notable(&[("webhook-tls-expired", Fail)]);
    assert_eq!(
        r.hits(),
        0,
        "a delivery reached an endpoint with an expired certificate"
    );
    assert!(run.evidence("tls")["days_left"].as_i64().unwrap() < 0);
    assert!(
        run.evidence("not_sent")
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_expiring_soon_warns_and_still_probes() {
    let ca = TestCa::new();
    let r = serve_tls(Behaviour::Correct, &ca.leaf(LOOPBACK_SANS, -80, 5)).await;
    let run = setup(Env::Simulator, Some(&r.https_url("127.0.0.1")))
        .roots(ca.roots())
        .run()
        .await;
    run.assert_notable(&[("webhook-tls-expiring", Warn)]);
    assert!(
        run.finding("webhook-tls-expiring")
            .message
            .contains("cert_min_days is 14")
    );
    let days_left = run.evidence("tls")["days_left"].as_i64().unwrap();
    assert!((4..=5).contains(&days_left), "{days_left}");
    assert_eq!(r.hits(), 9);
    assert_eq!(run.status(), Status::Warn);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_not_yet_valid_is_untrusted() {
    let ca = TestCa::new();
    let r = serve_tls(Behaviour::Correct, &ca.leaf(LOOPBACK_SANS, 2, 365))
        .await
        .expect_no_requests();
    let run = setup(Env::Simulator, Some(&r.https_url("127.0.0.1")))
        .roots(ca.roots())
        .run()
        .await;
    run.assert_notable(&[("webhook-tls-untrusted", Fail)]);
    assert_eq!(r.hits(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_certificate_on_ipv6_loopback() {
    let ca = TestCa::new();
    let r = serve_tls(Behaviour::Correct, &ca.leaf(LOOPBACK_SANS, -1, 365)).await;
    if !r.v6 {
        eprintln!("note: ::1 cannot be bound here; skipped");
        return;
    }
    let run = setup(Env::Simulator, Some(&r.https_url("[::1]")))
        .roots(ca.roots())
        .run()
        .await;
    run.assert_notable(&[]);
    assert_eq!(
        run.addresses(),
        vec![("::1".to_string(), "loopback".to_string())]
    );
    assert_eq!(r.hits(), 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_for_another_host_is_untrusted() {
    let ca = TestCa::new();
    let r = serve_tls(Behaviour::Correct, &ca.leaf(&["other.example"], -1, 365))
        .await
        .expect_no_requests();
    let run = setup(Env::Simulator, Some(&r.https_url("127.0.0.1")))
        .roots(ca.roots())
        .run()
        .await;
    run.assert_notable(&[("webhook-tls-untrusted", Fail)]);
    assert_eq!(r.hits(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_for_another_host_is_untrusted_by_name_too() {
    let ca = TestCa::new();
    let r = serve_tls(Behaviour::Correct, &ca.leaf(&["other.example"], -1, 365))
        .await
        .expect_no_requests();
    let run = setup(Env::Simulator, Some(&r.https_url("localhost")))
        .roots(ca.roots())
        .run()
        .await;
    run.assert_notable(&[("webhook-tls-untrusted", Fail)]);
    assert_eq!(r.hits(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_signed_certificate_is_untrusted_and_named_so() {
    let r = serve_tls(Behaviour::Correct, &self_signed_leaf())
        .await
        .expect_no_requests();
    let run = setup(Env::Simulator, Some(&r.https_url("127.0.0.1")))
        .roots(TestCa::new().roots())
        .run()
        .await;
    run.assert_notable(&[("webhook-tls-untrusted", Fail)]);
    assert!(
        run.finding("webhook-tls-untrusted")
            .message
            .contains("self-signed"),
        "{}",
        run.dump()
    );
    assert_eq!(run.evidence("tls")["self_signed"], true);
    assert_eq!(r.hits(), 0);
}
