//! An API that answers badly or not at all: the run is inconclusive (exit 3), never
//! a pass, and it ends within its time budget.

use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::Value;

const KEY: &str = "k_bad_api_key_0001";
const SECRET: &str = "s_bad_api_secret_0001";

/// Runs the credentials check (timeout `timeout`) plus `extra` checks against
/// `base_url`, with `args` added to `golive check`; returns the run, its report and
/// how long it took.
fn check_against(
    base_url: &str,
    timeout: &str,
    extra: &str,
    args: &[&str],
) -> (Run, Value, Duration) {
    let dir = tempdir();
    let checks = format!(
        "[[check]]\nid = \"credentials\"\nkind = \"credentials\"\ntimeout = \"{timeout}\"\n\n{extra}"
    );
    let m = write_manifest(
        dir.path(),
        &api_manifest(base_url, "GL_BAD_KEY", "GL_BAD_SECRET", &checks),
    );
    let started = Instant::now();
    let out = run(golive()
        .args(["check", "-m", p(&m), "--format", "json"])
        .args(args)
        .env("GL_BAD_KEY", KEY)
        .env("GL_BAD_SECRET", SECRET));
    let elapsed = started.elapsed();
    let report = out.json();
    assert_consistent(&report, out.code);
    assert!(!out.all_output().contains(SECRET), "{}", out.all_output());
    (out, report, elapsed)
}

#[test]
fn non_json_answer_is_an_invalid_response() {
    let server = RawServer::respond(
        "200 OK",
        "text/html",
        b"<html><body>Welcome to the captive portal</body></html>",
    );
    let (out, report, _) = check_against(&server.base_url(), "5s", "", &[]);
    assert_eq!(out.code, 3, "{}", out.stdout);
    assert_eq!(status_of(&report, "credentials"), "error");
    let f = finding(&report, "credentials", "api-response-invalid");
    // The message shows what came back, on one line.
    let message = f["message"].as_str().unwrap();
    assert!(message.contains("captive portal"), "{message}");
    assert!(!message.contains('\n'));
    assert!(server.connections() >= 1);
}

#[test]
fn json_of_the_wrong_shape_is_an_invalid_response() {
    let server = RawServer::respond("200 OK", "application/json", br#"{"hello":"world"}"#);
    let (out, report, _) = check_against(&server.base_url(), "5s", "", &[]);
    assert_eq!(out.code, 3, "{}", out.stdout);
    assert!(codes_of(&report, "credentials").contains(&"api-response-invalid".to_string()));
}

#[test]
fn oversized_answer_is_refused() {
    let mut body = b"{\"data\":\"".to_vec();
    body.resize(2 * 1024 * 1024, b'a');
    body.extend_from_slice(b"\"}");
    let server = RawServer::respond("200 OK", "application/json", &body);
    let (out, report, _) = check_against(&server.base_url(), "5s", "", &[]);
    assert_eq!(out.code, 3, "{}", out.stdout);
    assert_eq!(status_of(&report, "credentials"), "error");
    assert!(codes_of(&report, "credentials").contains(&"api-response-invalid".to_string()));
    // Nothing of the body is copied into the report.
    assert!(out.stdout.len() < 200_000, "{} bytes", out.stdout.len());
}

#[test]
fn oversized_chunked_answer_is_refused() {
    // No Content-Length: the cap must hold while reading.
    let mut raw =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            .to_vec();
    let chunk = vec![b'a'; 64 * 1024];
    for _ in 0..32 {
        raw.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        raw.extend_from_slice(&chunk);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let server = RawServer::start(Behaviour::Respond(raw));
    let (out, report, _) = check_against(&server.base_url(), "5s", "", &[]);
    assert_eq!(out.code, 3, "{}", out.stdout);
    assert!(codes_of(&report, "credentials").contains(&"api-response-invalid".to_string()));
}

#[test]
fn truncated_answer_is_an_invalid_response() {
    let raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"data\":{".to_vec();
    let server = RawServer::start(Behaviour::Respond(raw));
    let (out, report, elapsed) = check_against(&server.base_url(), "5s", "", &[]);
    assert_eq!(out.code, 3, "{}", out.stdout);
    assert_eq!(status_of(&report, "credentials"), "error");
    assert!(codes_of(&report, "credentials").contains(&"api-response-invalid".to_string()));
    assert!(elapsed < Duration::from_secs(20));
}

#[test]
fn server_error_is_inconclusive() {
    let server = RawServer::respond(
        "503 Service Unavailable",
        "application/json",
        br#"{"error":{"code":"UNAVAILABLE","message":"maintenance"}}"#,
    );
    let (out, report, _) = check_against(&server.base_url(), "5s", "", &[]);
    assert_eq!(out.code, 3, "{}", out.stdout);
    assert_eq!(status_of(&report, "credentials"), "error");
    assert!(codes_of(&report, "credentials").contains(&"api-unreachable".to_string()));
}

#[test]
fn refused_connection_is_inconclusive() {
    // A port that was free a moment ago: nothing listens there.
    let port = closed_port();
    let (out, report, elapsed) = check_against(&format!("http://127.0.0.1:{port}"), "5s", "", &[]);
    assert_eq!(out.code, 3, "{}", out.stdout);
    assert_eq!(status_of(&report, "credentials"), "error");
    assert!(codes_of(&report, "credentials").contains(&"api-unreachable".to_string()));
    assert!(elapsed < Duration::from_secs(20));
}

/// `ApiError::Transport` already starts with "POST /auth/login: ", and the finding
/// prefixes it again: "POST /auth/login: POST /auth/login: could not connect: ...".
#[test]
fn refused_connection_message_names_the_call_once() {
    let port = closed_port();
    let (_, report, _) = check_against(&format!("http://127.0.0.1:{port}"), "5s", "", &[]);
    let message = finding(&report, "credentials", "api-unreachable")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(message.matches("POST /auth/login").count(), 1, "{message}");
}

const HUNG_WALLET: &str =
    "[[check]]\nid = \"wallet-usd\"\nkind = \"wallet\"\ncurrency = \"USD\"\ntimeout = \"1s\"\n";

#[test]
fn hung_api_is_inconclusive_within_the_check_timeout() {
    let server = RawServer::start(Behaviour::Hang);
    let (out, report, elapsed) = check_against(&server.base_url(), "1s", HUNG_WALLET, &[]);
    assert_eq!(out.code, 3, "{}", out.stdout);
    assert_eq!(report["verdict"], "inconclusive");
    assert_eq!(status_of(&report, "credentials"), "error");
    assert_eq!(status_of(&report, "wallet-usd"), "error");
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
    assert!(server.connections() >= 1, "the login was sent");
}

/// The API client's own request timeout is set to the same deadline as the runner's
/// and fires first, so a hung API is reported as `api-unreachable` ("no answer
/// within the check's time budget") and `check-timeout` never appears.
#[test]
fn hung_api_reports_check_timeout() {
    let server = RawServer::start(Behaviour::Hang);
    let (out, report, _) = check_against(&server.base_url(), "1s", HUNG_WALLET, &[]);
    assert_eq!(out.code, 3, "{}", out.stdout);
    assert!(
        codes_of(&report, "credentials").contains(&"check-timeout".to_string()),
        "{report:#}"
    );
}

#[test]
fn hung_api_is_cut_by_the_run_timeout() {
    let server = RawServer::start(Behaviour::Hang);
    let (out, report, elapsed) = check_against(&server.base_url(), "30s", "", &["--timeout", "1s"]);
    assert_eq!(out.code, 3, "{}", out.stdout);
    assert_eq!(status_of(&report, "credentials"), "error");
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
}

/// Same cause as above; worse, the message blames "the check's time budget" when
/// it was the run's `--timeout 1s` that expired (the check's own timeout is 30s).
#[test]
fn hung_api_reports_run_timeout() {
    let server = RawServer::start(Behaviour::Hang);
    let (out, report, _) = check_against(&server.base_url(), "30s", "", &["--timeout", "1s"]);
    assert_eq!(out.code, 3, "{}", out.stdout);
    assert!(
        codes_of(&report, "credentials").contains(&"run-timeout".to_string()),
        "{report:#}"
    );
}

#[test]
fn hung_api_report_quotes_the_request_id_it_sent() {
    // A call that never got an answer can still be quoted in a support ticket.
    let server = RawServer::start(Behaviour::Hang);
    let (_, report, _) = check_against(&server.base_url(), "1s", "", &[]);
    let ids = check(&report, "credentials")["request_ids"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(ids.len(), 1, "{report:#}");
}

#[test]
fn api_error_run_against_the_human_format() {
    // The human report of an inconclusive run says so and names the check.
    let server = RawServer::respond("200 OK", "text/plain", b"not json at all");
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &api_manifest(
            &server.base_url(),
            "GL_BAD_KEY",
            "GL_BAD_SECRET",
            "[[check]]\nid = \"credentials\"\nkind = \"credentials\"\n",
        ),
    );
    let out = run(golive()
        .args(["check", "-m", p(&m)])
        .env("GL_BAD_KEY", KEY)
        .env("GL_BAD_SECRET", SECRET));
    assert_eq!(out.code, 3);
    assert!(out.stdout.contains("INCONCLUSIVE"), "{}", out.stdout);
    assert!(
        out.stdout.contains("api-response-invalid"),
        "{}",
        out.stdout
    );
    assert!(!out.all_output().contains(SECRET));
}

// ---------------------------------------------------------------------------------
// Balances that are not finite numbers (SPEC 8.1)

/// A loopback API that logs in and lists one USD wallet whose `amount` is the raw
/// JSON `amount` (a number or a string, written as is).
fn wallet_api(amount: &str) -> RawServer {
    let wallets = format!(
        r#"{{"success":true,"data":[{{"id":7,"currency_id":1,"amount":{amount},"type":"PREPAID"}}]}}"#
    );
    RawServer::answer(move |request| answer(request, &wallets))
}

/// Answers one request by path.
fn answer(request: &Request, wallets: &str) -> Vec<u8> {
    let (status, body) = if request.path == "/auth/login" {
        ("200 OK", session_json())
    } else if request.path == "/api/v1/wallets" {
        ("200 OK", wallets.to_string())
    } else if request.path == "/api/v1/currencies" {
        (
            "200 OK",
            r#"{"success":true,"data":[{"id":1,"currency":"USD","name":"US Dollar","precision":2}]}"#
                .to_string(),
        )
    } else {
        (
            "404 Not Found",
            r#"{"error":{"code":"NOT_FOUND","message":"no such route"}}"#.to_string(),
        )
    };
    http_response(status, "application/json", &[], body.as_bytes())
}

const WALLET_USD: &str =
    "[[check]]\nid = \"wallet-usd\"\nkind = \"wallet\"\ncurrency = \"USD\"\nmin_balance = 1000.0\n";

#[test]
fn a_finite_balance_is_judged() {
    // The fake API itself works: a real balance passes and a low one fails.
    let api = wallet_api(r#""25000.00""#);
    let (out, report, _) = check_against(&api.base_url(), "5s", WALLET_USD, &[]);
    assert_eq!(out.code, 0, "{report:#}");
    assert_eq!(status_of(&report, "wallet-usd"), "pass");
    let api = wallet_api("12.5");
    let (out, report, _) = check_against(&api.base_url(), "5s", WALLET_USD, &[]);
    assert_eq!(out.code, 1, "{report:#}");
    assert!(codes_of(&report, "wallet-usd").contains(&"balance-below-minimum".to_string()));
}

#[test]
fn a_balance_that_is_not_a_finite_number_is_an_invalid_response() {
    for amount in [
        r#""NaN""#,
        r#""-nan""#,
        r#""inf""#,
        r#""infinity""#,
        r#""-Infinity""#,
        r#""1e999""#,
        "1e999",
        "-1e999",
    ] {
        let api = wallet_api(amount);
        let (out, report, _) = check_against(&api.base_url(), "5s", WALLET_USD, &[]);
        assert_eq!(out.code, 3, "{amount}: {report:#}");
        assert_eq!(report["verdict"], "inconclusive", "{amount}");
        // Login worked: only the wallet read is at fault.
        assert_ne!(status_of(&report, "credentials"), "error", "{amount}");
        assert_eq!(status_of(&report, "wallet-usd"), "error", "{amount}");
        assert_eq!(
            codes_of(&report, "wallet-usd"),
            ["api-response-invalid"],
            "{amount}: {report:#}"
        );
    }
}
