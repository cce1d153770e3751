//! `golive webhook send`, end to end through the real binary, against the simulator's
//! reference webhook receiver (which verifies signatures, refuses stale timestamps and
//! acknowledges duplicates) and raw servers on loopback.

use std::time::{Duration, Instant};

use crate::support::*;

/// The variable the secret is passed in.
const SECRET_VAR: &str = "GOLIVE_TEST_WEBHOOK_SECRET";

/// `golive webhook send --url URL --secret-env GOLIVE_TEST_WEBHOOK_SECRET ARGS...`
/// with the simulator's secret in that variable.
fn send(sim: &SimServer, url: &str, args: &[&str]) -> Run {
    let mut cmd = golive();
    cmd.env(SECRET_VAR, sim.webhook_secret())
        .args(["webhook", "send", "--url", url, "--secret-env", SECRET_VAR])
        .args(args);
    run(&mut cmd)
}

/// `send` to the simulator's own reference receiver.
fn send_to_receiver(sim: &SimServer, args: &[&str]) -> Run {
    send(sim, &sim.receiver_url(), args)
}

/// The request header `name` as golive printed it (`> Name: value`).
fn sent_header<'a>(out: &'a Run, name: &str) -> &'a str {
    let prefix = format!("> {name}: ");
    out.stdout
        .lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("no `{name}` request header shown:\n{}", out.stdout))
}

/// The body golive printed as sent (`> body: ...`), parsed.
fn sent_body(out: &Run) -> serde_json::Value {
    let line = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("> body: "))
        .unwrap_or_else(|| panic!("no body shown:\n{}", out.stdout));
    serde_json::from_str(line).expect("the body shown is JSON")
}

/// The status golive printed (`< HTTP 200 in 3 ms`).
fn answered_status(out: &Run) -> u16 {
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("< HTTP "))
        .unwrap_or_else(|| panic!("no status line:\n{}\n{}", out.stdout, out.stderr));
    line["< HTTP ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .expect("a status code")
}

/// Asserts the secret appears in neither stream.
fn assert_no_secret(out: &Run, secret: &str) {
    assert!(
        !out.all_output().contains(secret),
        "the webhook secret leaked:\n{}",
        out.all_output()
    );
}

#[test]
fn a_signed_delivery_to_the_reference_receiver_is_acknowledged() {
    let sim = SimServer::sandbox();
    let out = send_to_receiver(&sim, &[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("HTTP 200"), "{}", out.stdout);
    assert_eq!(answered_status(&out), 200);
    assert!(
        out.stdout
            .starts_with(&format!("POST {}\n", sim.receiver_url())),
        "{}",
        out.stdout
    );
    // Every header Octopus sends, the token masked.
    assert_eq!(sent_header(&out, "X-OCTOPUS-WEBHOOK-TOKEN"), "***");
    assert_eq!(
        sent_header(&out, "User-Agent"),
        "octopusrewards.com/webhook-agent"
    );
    assert_eq!(sent_header(&out, "X-Event-Type"), "order.delivered");
    let event_id = sent_header(&out, "X-Event-ID");
    assert!(event_id.starts_with("evt_golive_"), "{event_id}");
    let signature = sent_header(&out, "X-Signature");
    assert_eq!(signature.len(), 64, "{signature}");
    assert!(
        signature
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
        "lowercase hex: {signature}"
    );
    let timestamp: i64 = sent_header(&out, "X-Timestamp")
        .parse()
        .expect("X-Timestamp is Unix seconds");
    let now = jiff::Timestamp::now().as_second();
    assert!((now - timestamp).abs() < 60, "{timestamp} vs {now}");
    // The body agrees with the headers.
    let body = sent_body(&out);
    assert_eq!(body["id"], event_id);
    assert_eq!(body["type"], "order.delivered");
    assert!(body["data"].is_object(), "{body:#}");
    assert_no_secret(&out, &sim.webhook_secret());
    // The receiver verified it.
    let received = sim.received();
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0].event_id, event_id);
    assert_eq!(received[0].status, 200);
    assert!(received[0].verified);
    assert!(!received[0].duplicate);
}

#[test]
fn verbose_output_never_shows_the_secret() {
    let sim = SimServer::sandbox();
    let out = send_to_receiver(&sim, &["-vv"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_no_secret(&out, &sim.webhook_secret());
}

#[test]
fn a_bad_signature_is_refused_with_401() {
    let sim = SimServer::sandbox();
    let out = send_to_receiver(&sim, &["--bad-signature"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(answered_status(&out), 401);
    assert_no_secret(&out, &sim.webhook_secret());
    let received = sim.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].status, 401);
    assert!(!received[0].verified);
}

#[test]
fn a_stale_timestamp_is_refused_with_400() {
    let sim = SimServer::sandbox();
    let stale = (jiff::Timestamp::now().as_second() - 3600).to_string();
    let out = send_to_receiver(&sim, &["--timestamp", &stale]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(answered_status(&out), 400);
    assert_eq!(sent_header(&out, "X-Timestamp"), stale);
    assert_eq!(sim.received()[0].status, 400);
}

#[test]
fn a_timestamp_from_the_future_is_refused_with_400() {
    let sim = SimServer::sandbox();
    let future = (jiff::Timestamp::now().as_second() + 3600).to_string();
    let out = send_to_receiver(&sim, &["--timestamp", &future]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(answered_status(&out), 400);
}

#[test]
fn a_repeated_event_id_is_acknowledged_as_a_duplicate() {
    let sim = SimServer::sandbox();
    let id = "evt_golive_test_duplicate_1";
    let first = send_to_receiver(&sim, &["--event-id", id]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(answered_status(&first), 200);
    let second = send_to_receiver(&sim, &["--event-id", id]);
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    assert_eq!(answered_status(&second), 200);
    assert_eq!(sent_header(&second, "X-Event-ID"), id);
    assert_eq!(sent_body(&second)["id"], id);

    let received = sim.received();
    assert_eq!(received.len(), 2, "{received:?}");
    assert!(received.iter().all(|r| r.event_id == id && r.status == 200));
    assert!(!received[0].duplicate, "{received:?}");
    assert!(received[1].duplicate, "{received:?}");
}

#[test]
fn fresh_event_ids_are_not_duplicates() {
    let sim = SimServer::sandbox();
    let a = send_to_receiver(&sim, &[]);
    let b = send_to_receiver(&sim, &[]);
    assert_eq!((a.code, b.code), (0, 0));
    assert_ne!(sent_header(&a, "X-Event-ID"), sent_header(&b, "X-Event-ID"));
    assert!(sim.received().iter().all(|r| !r.duplicate));
}

#[test]
fn data_given_inline_is_the_event_data() {
    let sim = SimServer::sandbox();
    let out = send_to_receiver(&sim, &["--data", r#"{"x":1}"#]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(sent_body(&out)["data"], serde_json::json!({"x": 1}));
    assert!(
        out.stdout.contains(r#""data":{"x":1}"#),
        "compact: {}",
        out.stdout
    );
    assert!(sim.received()[0].verified);
}

#[test]
fn data_read_from_a_file_is_the_event_data() {
    let sim = SimServer::sandbox();
    let dir = tempdir();
    let file = dir.path().join("data.json");
    std::fs::write(
        &file,
        "{\n  \"order_id\": 7,\n  \"status\": \"DELIVERED\"\n}\n",
    )
    .unwrap();
    let arg = format!("@{}", p(&file));
    let out = send_to_receiver(&sim, &["--data", &arg, "--event", "wallet.debited"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let body = sent_body(&out);
    assert_eq!(
        body["data"],
        serde_json::json!({"order_id": 7, "status": "DELIVERED"})
    );
    assert_eq!(body["type"], "wallet.debited");
    assert_eq!(sent_header(&out, "X-Event-Type"), "wallet.debited");
    let received = sim.received();
    assert_eq!(received[0].event_type, "wallet.debited");
    assert!(received[0].verified);
}

#[test]
fn data_that_is_not_json_is_a_usage_error() {
    let sim = SimServer::sandbox().expect_no_requests();
    let out = send_to_receiver(&sim, &["--data", "{x:1"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.contains("--data"), "{}", out.stderr);
    let dir = tempdir();
    let missing = format!("@{}", p(&dir.path().join("missing.json")));
    let out = send_to_receiver(&sim, &["--data", &missing]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("--data"), "{}", out.stderr);
    assert!(sim.received().is_empty(), "nothing was sent");
}

#[test]
fn data_that_is_not_an_object_is_a_usage_error() {
    let sim = SimServer::sandbox().expect_no_requests();
    let out = send_to_receiver(&sim, &["--data", "[1,2]"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(sim.received().is_empty(), "nothing was sent");
}

#[test]
fn the_secret_may_come_from_a_file() {
    let sim = SimServer::sandbox();
    let dir = tempdir();
    let file = dir.path().join("webhook.secret");
    // One trailing newline is stripped.
    std::fs::write(&file, format!("{}\n", sim.webhook_secret())).unwrap();
    let out = run(golive().args([
        "webhook",
        "send",
        "--url",
        &sim.receiver_url(),
        "--secret-file",
        p(&file),
    ]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(answered_status(&out), 200);
    assert_no_secret(&out, &sim.webhook_secret());
    assert!(sim.received()[0].verified);
}

#[test]
fn a_wrong_secret_is_refused_by_the_receiver() {
    let sim = SimServer::sandbox();
    let mut cmd = golive();
    cmd.env(SECRET_VAR, "whsec_not_the_receivers_secret_123")
        .args([
            "webhook",
            "send",
            "--url",
            &sim.receiver_url(),
            "--secret-env",
            SECRET_VAR,
        ]);
    let out = run(&mut cmd);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(answered_status(&out), 401);
    assert_no_secret(&out, "whsec_not_the_receivers_secret_123");
}

#[test]
fn an_unset_secret_variable_is_a_usage_error() {
    let sim = SimServer::sandbox().expect_no_requests();
    let mut cmd = golive();
    cmd.env_remove("GOLIVE_TEST_UNSET_SECRET").args([
        "webhook",
        "send",
        "--url",
        &sim.receiver_url(),
        "--secret-env",
        "GOLIVE_TEST_UNSET_SECRET",
    ]);
    let out = run(&mut cmd);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr.contains("--secret-env") && out.stderr.contains("GOLIVE_TEST_UNSET_SECRET"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("not set"), "{}", out.stderr);
    assert!(sim.received().is_empty(), "nothing was sent");
}

#[test]
fn a_missing_secret_file_is_a_usage_error() {
    let sim = SimServer::sandbox().expect_no_requests();
    let dir = tempdir();
    let file = dir.path().join("nope.secret");
    let out = run(golive().args([
        "webhook",
        "send",
        "--url",
        &sim.receiver_url(),
        "--secret-file",
        p(&file),
    ]));
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("--secret-file"), "{}", out.stderr);
    assert!(sim.received().is_empty());
}

#[test]
fn no_secret_flag_is_a_usage_error() {
    let sim = SimServer::sandbox().expect_no_requests();
    let out = run(golive().args(["webhook", "send", "--url", &sim.receiver_url()]));
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr.contains("--secret-env") && out.stderr.contains("--secret-file"),
        "{}",
        out.stderr
    );
    assert!(sim.received().is_empty());
}

#[test]
fn plain_http_to_a_non_loopback_host_is_refused_without_connecting() {
    // Anything golive tried to reach would land on the trap proxy, without DNS.
    let trap = RawServer::respond("200 OK", "text/plain", b"trapped").expect_no_connection();
    let mut cmd = golive();
    trap_proxy(&mut cmd, &trap);
    cmd.env(SECRET_VAR, "whsec_refused_before_sending_42")
        .args([
            "webhook",
            "send",
            "--url",
            "http://example.invalid/x",
            "--secret-env",
            SECRET_VAR,
        ]);
    let started = Instant::now();
    let out = run(&mut cmd);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.contains("refusing"), "{}", out.stderr);
    assert!(out.stderr.contains("example.invalid"), "{}", out.stderr);
    assert_no_secret(&out, "whsec_refused_before_sending_42");
    assert_eq!(trap.connections(), 0, "no connection at all");
}

#[test]
fn unsupported_or_malformed_urls_are_usage_errors() {
    let sim = SimServer::sandbox().expect_no_requests();
    for url in ["ftp://127.0.0.1/x", "not a url", "/relative/path"] {
        let out = send(&sim, url, &[]);
        assert_eq!(out.code, 2, "{url}: {}\n{}", out.stdout, out.stderr);
        assert!(out.stderr.contains("--url"), "{url}: {}", out.stderr);
    }
}

#[test]
fn a_receiver_that_never_answers_is_inconclusive_after_the_timeout() {
    let hung = RawServer::start(Behaviour::Hang);
    let mut cmd = golive();
    cmd.env(SECRET_VAR, "whsec_hung_receiver_secret_77").args([
        "webhook",
        "send",
        "--url",
        &format!("{}/hooks", hung.base_url()),
        "--secret-env",
        SECRET_VAR,
        "--timeout",
        "1s",
    ]);
    let started = Instant::now();
    let out = run(&mut cmd);
    let elapsed = started.elapsed();
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(10),
        "{elapsed:?}"
    );
    assert!(out.stdout.contains("no answer"), "{}", out.stdout);
    assert!(out.stdout.contains("1s"), "{}", out.stdout);
    assert_eq!(hung.connections(), 1);
    assert_no_secret(&out, "whsec_hung_receiver_secret_77");
}

#[test]
fn a_closed_port_is_inconclusive() {
    let mut cmd = golive();
    cmd.env(SECRET_VAR, "whsec_closed_port_secret_88").args([
        "webhook",
        "send",
        "--url",
        &format!("http://127.0.0.1:{}/hooks", closed_port()),
        "--secret-env",
        SECRET_VAR,
    ]);
    let out = run(&mut cmd);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("no answer"), "{}", out.stdout);
}

#[test]
fn a_secret_echoed_by_the_receiver_is_masked() {
    let secret = "whsec_echoed_back_by_receiver_99";
    let body = format!("{{\"error\":\"bad token {secret}\"}}");
    let mut answer = format!(
        "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nX-Echo: {secret}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(body.as_bytes());
    let server = RawServer::start(Behaviour::Respond(answer));
    let mut cmd = golive();
    cmd.env(SECRET_VAR, secret).args([
        "webhook",
        "send",
        "--url",
        &format!("{}/hooks", server.base_url()),
        "--secret-env",
        SECRET_VAR,
    ]);
    let out = run(&mut cmd);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(answered_status(&out), 403);
    assert!(out.stdout.contains("bad token"), "{}", out.stdout);
    assert_no_secret(&out, secret);
}

#[test]
fn a_redirect_is_shown_not_followed() {
    let server = RawServer::start(Behaviour::Respond(
        b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .to_vec(),
    ));
    let mut cmd = golive();
    cmd.env(SECRET_VAR, "whsec_redirect_secret_55").args([
        "webhook",
        "send",
        "--url",
        &format!("{}/hooks", server.base_url()),
        "--secret-env",
        SECRET_VAR,
    ]);
    let out = run(&mut cmd);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(answered_status(&out), 302);
    assert_eq!(server.connections(), 1, "the redirect is not followed");
}

#[test]
fn a_loopback_delivery_never_goes_through_a_proxy() {
    let sim = SimServer::sandbox();
    // The trap is on loopback, so the test stays on this machine; a real proxy
    // elsewhere would receive the secret in clear.
    let trap = RawServer::respond("200 OK", "text/plain", b"trapped").expect_no_connection();
    let mut cmd = golive();
    trap_proxy(&mut cmd, &trap);
    cmd.env(SECRET_VAR, sim.webhook_secret()).args([
        "webhook",
        "send",
        "--url",
        &sim.receiver_url(),
        "--secret-env",
        SECRET_VAR,
    ]);
    let out = run(&mut cmd);
    assert_eq!(trap.connections(), 0, "the delivery went to the proxy");
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(sim.received().len(), 1);
}

#[test]
fn an_event_id_that_cannot_be_a_header_is_a_usage_error() {
    let sim = SimServer::sandbox().expect_no_requests();
    let out = send_to_receiver(&sim, &["--event-id", "evt_a\r\nX-Injected: 1"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(sim.received().is_empty());
}

/// An Octopus API host, however spelled (SPEC 8.4), is refused before anything is
/// sent: the proxy trap stands in for the network and sees no connection.
#[test]
fn an_octopus_api_host_is_refused_however_spelled() {
    for url in [
        "https://API.OCTOPUSCARDS.IO/hooks",
        "https://api.octopuscards.io./hooks",
        "https://Api.OctopusCards.Io./hooks",
        "https://SANDBOX-API.octopuscards.io./hooks",
    ] {
        let trap = RawServer::respond("403 Forbidden", "text/plain", b"no tunnels here")
            .expect_no_connection();
        let mut cmd = golive();
        cmd.env(SECRET_VAR, "whsec_never_sent_1").args([
            "webhook",
            "send",
            "--url",
            url,
            "--secret-env",
            SECRET_VAR,
        ]);
        trap_proxy(&mut cmd, &trap);
        let out = run(&mut cmd);
        assert_eq!(out.code, 2, "{url}: {}\n{}", out.stdout, out.stderr);
        assert!(out.stdout.is_empty(), "{url}: {}", out.stdout);
        assert!(
            out.stderr.contains("not a webhook receiver"),
            "{url}: {}",
            out.stderr
        );
        assert!(!out.all_output().contains("whsec_never_sent_1"));
        assert_eq!(trap.connections(), 0, "{url}: something was sent");
    }
}

/// A password in `--url` is refused before anything is sent, and never printed.
#[test]
fn a_url_with_a_password_is_refused_without_echoing_it() {
    let server = RawServer::respond("200 OK", "text/plain", b"ok").expect_no_connection();
    let url = server
        .base_url()
        .replace("http://", "http://user:Hunter2UrlPass@")
        + "/x";
    let out = run(golive()
        .env(SECRET_VAR, "whsec_golive_test_url_password")
        .args(["webhook", "send", "--url", &url, "--secret-env", SECRET_VAR]));
    assert_eq!(out.code, 2, "{}", out.all_output());
    assert!(
        !out.all_output().contains("Hunter2UrlPass"),
        "{}",
        out.all_output()
    );
    assert!(out.stderr.contains("credentials"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(server.connections(), 0, "nothing may be sent");
}

/// A URL that does not parse is not echoed with its password either.
#[test]
fn an_unparsable_url_with_a_password_is_not_echoed() {
    let out = run(golive()
        .env(SECRET_VAR, "whsec_golive_test_url_password")
        .args([
            "webhook",
            "send",
            "--url",
            "http://user:Hunter2UrlPass@[::1/x",
            "--secret-env",
            SECRET_VAR,
        ]));
    assert_eq!(out.code, 2, "{}", out.all_output());
    assert!(
        !out.all_output().contains("Hunter2UrlPass"),
        "{}",
        out.all_output()
    );
}
