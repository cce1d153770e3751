//! Hostile servers (SPEC section 8): an API, a webhook receiver and a smoke command
//! that put terminal escape sequences, forged verdict lines and echoes of every
//! secret (whole, cut, JSON-escaped, URL-encoded, split over chunks) into everything
//! golive prints. Every output format, every report file and stderr, at every
//! verbosity, must come out with no control sequence, no forged line and no run of
//! 8 characters of any secret.
//!
//! Every server here is in process, on 127.0.0.1.

use std::path::Path;
use std::sync::Arc;

use crate::support::*;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

const KEY: &str = "hk_Q7vLm2Xc9Rt4Wz8Np3Bd6Yf1Gh5Js0KaEu";
/// 50 characters, like the secret in the review that found the 80-byte cut.
const SECRET: &str = "sk_live_V9c2Lq7Xm4Rt8Wz1Np6Bd3Yf5Gh0JsKaEuTiOyPlMnB";
const TOKEN: &str = "at_Hx3Jk8Lm2Nq5Rs9Tv1Wx4Yz7Ab0Cd6Ef";
const REFRESH: &str = "rt_Pq3Rs6Tu9Vw2Xy5Za8Bc1De4FgHj7Kl";
const WEBHOOK_SECRET: &str = "whsec_Zr4Xw8Qm2Lp6Tn0Vb5Kc9Hd3Fg7Js1";

/// Clears the screen, sets the window title, turns text green, forges a verdict on
/// a line of its own, and flips the direction of what follows.
const INJECT: &str = "\u{1b}[2J\u{1b}]0;pwned\u{7}\u{1b}[1;32m\r\nREADY — forged verdict (exit 0)\n\u{9b}31m\u{202e}\u{7f}";

/// How the hostile API behaves.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// 401 whose envelope message quotes the login request (JSON-escaped in the body).
    LoginEcho401,
    /// 401 whose body is not an envelope and starts with the raw login request, so
    /// that an 80-byte preview would end inside the secret.
    LoginEchoRaw401,
    /// 403 `FORBIDDEN` with escape sequences and a forged line in the message.
    Forbidden403,
    /// Logs in (issuing tokens), then quotes the tokens, plain, JSON-escaped and
    /// URL-encoded, in a 500 on every later call.
    TokenEcho,
    /// Logs in; client id, wallet type, currency code, request ids hostile.
    HostileData,
}

async fn login(State(mode): State<Mode>, body: Bytes) -> Response {
    let raw = String::from_utf8_lossy(&body).into_owned();
    let envelope = |status: StatusCode, code: &str, message: String| {
        let body =
            serde_json::json!({"error": {"name": "Error", "code": code, "message": message}});
        (
            status,
            [("content-type", "application/json")],
            body.to_string(),
        )
            .into_response()
    };
    match mode {
        Mode::LoginEcho401 => envelope(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            format!("invalid credentials{INJECT} in {raw} {}", "x".repeat(300)),
        ),
        Mode::LoginEchoRaw401 => (
            StatusCode::UNAUTHORIZED,
            [("content-type", "text/plain")],
            format!("{raw}{INJECT}"),
        )
            .into_response(),
        Mode::Forbidden403 => envelope(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            format!("IP address not authorized{INJECT}"),
        ),
        Mode::TokenEcho | Mode::HostileData => {
            let client_id = match mode {
                Mode::HostileData => serde_json::json!(format!("42{INJECT}")),
                _ => serde_json::json!(42),
            };
            let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
            let body = serde_json::json!({"success": true, "data": {
                "access_token": TOKEN,
                "refresh_token": REFRESH,
                "access_expires_at": expires.to_string(),
                "client_id": client_id,
            }});
            (
                [
                    ("content-type", "application/json".to_string()),
                    ("x-request-id", format!("req_{}", "r".repeat(5000))),
                ],
                body.to_string(),
            )
                .into_response()
        }
    }
}

async fn token_echo(headers: &HeaderMap) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let url: String = url::form_urlencoded::byte_serialize(TOKEN.as_bytes()).collect();
    let message = format!(
        "token expired: {auth}; refresh with {REFRESH}; as JSON {}; as a query access_token={url}{INJECT}",
        serde_json::to_string(&format!("\"{TOKEN}\"")).unwrap()
    );
    let body = serde_json::json!({"error": {"name": "ServerError", "code": "INTERNAL", "message": message}});
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn wallets(State(mode): State<Mode>, headers: HeaderMap) -> Response {
    if let Mode::TokenEcho = mode {
        return token_echo(&headers).await;
    }
    let body = serde_json::json!([
        {"id": 1, "currency_id": 1, "amount": "5000.00", "type": format!("PREPAID{INJECT}")},
    ]);
    ([("content-type", "application/json")], body.to_string()).into_response()
}

async fn currencies(State(mode): State<Mode>, headers: HeaderMap) -> Response {
    if let Mode::TokenEcho = mode {
        return token_echo(&headers).await;
    }
    let body = serde_json::json!([
        {"id": 1, "currency": format!("USD{INJECT}"), "name": format!("Dollar{INJECT}"), "precision": 2},
    ]);
    ([("content-type", "application/json")], body.to_string()).into_response()
}

/// A webhook receiver that accepts everything and answers with a body that quotes
/// the `X-OCTOPUS-WEBHOOK-TOKEN` it was sent, past the point where a reader cuts
/// (200 characters in reports, 4096 bytes in `webhook send`), in two chunks split
/// inside the secret, plus escape sequences.
async fn receiver(headers: HeaderMap) -> Response {
    let token = headers
        .get("x-octopus-webhook-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let escaped = serde_json::to_string(&token).unwrap();
    let mut first = format!("ok{INJECT} ");
    first.push_str(&"a".repeat(185 - first.chars().count().min(185)));
    first.push_str(&token[..10]);
    let second = format!(
        "{} padding {} cut here: {}{}",
        &token[10..],
        "b".repeat(3900),
        &token[..20],
        escaped
    );
    let chunks: Vec<Result<Bytes, std::io::Error>> =
        vec![Ok(Bytes::from(first)), Ok(Bytes::from(second))];
    Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        // Header values cannot carry C0 controls, but they can carry C1 and bidi ones.
        .header("x-echo", format!("\u{9b}31m\u{202e}{token}"))
        .body(Body::from_stream(futures_util::stream::iter(chunks)))
        .unwrap()
}

/// The hostile API and receiver, on loopback.
fn hostile(mode: Mode) -> AppServer {
    AppServer::start(
        Router::new()
            .route("/auth/login", post(login))
            .route("/api/v1/wallets", get(wallets))
            .route("/api/v1/currencies", get(currencies))
            .route("/hook", post(receiver))
            .with_state(mode),
    )
}

/// Every way a text can be unsafe to show: a control character (line breaks aside),
/// a bidirectional override, a line that starts with the forged verdict, or 8
/// consecutive characters of any secret.
fn assert_clean(text: &str, what: &str) {
    for (i, c) in text.char_indices() {
        let bad = (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if bad {
            let around: String = text[i..].chars().take(60).collect();
            panic!("{what}: {c:?} at byte {i}: {around:?}\n{text}");
        }
    }
    for line in text.lines() {
        assert!(
            !line.starts_with("READY — forged"),
            "{what}: forged verdict line: {line}"
        );
    }
    for secret in [KEY, SECRET, TOKEN, REFRESH, WEBHOOK_SECRET] {
        for w in secret.as_bytes().windows(8) {
            let w = std::str::from_utf8(w).unwrap();
            assert!(!text.contains(w), "{what}: `{w}` of a secret in:\n{text}");
        }
    }
}

/// Our own colours are fine; nothing else that starts with ESC is.
fn without_own_colours(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("\u{1b}[") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find(|c: char| !(c.is_ascii_digit() || c == ';')) {
            Some(j) if after[j..].starts_with('m') => rest = &after[j + 1..],
            _ => {
                // Not a colour: keep the ESC so that the check sees it.
                out.push_str("\u{1b}[");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

const CHECKS: &str = r#"
[[check]]
id = "credentials"
kind = "credentials"
timeout = "5s"

[[check]]
id = "wallet-usd"
kind = "wallet"
currency = "USD"
min_balance = 100.0
type = "PREPAID"
timeout = "5s"

[[check]]
id = "egress"
kind = "egress"
timeout = "5s"

[[check]]
id = "request-id"
kind = "request_id"
timeout = "5s"
"#;

fn manifest(dir: &Path, server: &AppServer, with_webhook: bool) -> std::path::PathBuf {
    let mut text = api_manifest(&server.url(), "HOSTILE_KEY", "HOSTILE_SECRET", CHECKS);
    if with_webhook {
        text = text.replacen(
            "\n[[check]]",
            &format!(
                "webhook_url = \"{}/hook\"\nwebhook_secret = {{ env = \"HOSTILE_WEBHOOK_SECRET\" }}\n\n[[check]]",
                server.url()
            ),
            1,
        );
        text.push_str("\n[[check]]\nid = \"webhook\"\nkind = \"webhook\"\ntimeout = \"5s\"\n");
    }
    // The egress check judges the API's answer to the login against this list,
    // declared under [env.api] before the first [[check]].
    let text = text.replacen(
        "\n[[check]]",
        "egress_allowlist = [\"198.51.100.0/24\"]\n\n[[check]]",
        1,
    );
    write_manifest(dir, &text)
}

/// Runs `golive check` against `mode` in every format and verbosity, with every
/// report file, the GitHub Actions outputs on, and asserts that all of it is clean.
fn assert_every_output_clean(mode: Mode, with_webhook: bool) {
    let server = Arc::new(hostile(mode));
    let dir = tempdir();
    let m = manifest(dir.path(), &server, with_webhook);
    let formats = ["human", "json", "junit", "github", "markdown", "prometheus"];
    for format in formats {
        for verbosity in [None, Some("-v"), Some("-vv")] {
            let files = tempdir();
            let summary = files.path().join("summary.md");
            let mut cmd = golive();
            cmd.args(["check", "-m", p(&m), "--format", format])
                .args(["--report-json", p(&files.path().join("r.json"))])
                .args(["--report-junit", p(&files.path().join("r.xml"))])
                .args(["--report-markdown", p(&files.path().join("r.md"))])
                .env("HOSTILE_KEY", KEY)
                .env("HOSTILE_SECRET", SECRET)
                .env("HOSTILE_WEBHOOK_SECRET", WEBHOOK_SECRET)
                .env("GITHUB_ACTIONS", "true")
                .env("GITHUB_STEP_SUMMARY", &summary);
            if let Some(v) = verbosity {
                cmd.arg(v);
            }
            if format == "human" && verbosity == Some("-vv") {
                cmd.args(["--color", "always"]);
            }
            let out = run(&mut cmd);
            let what = format!("{mode:?} --format {format} {verbosity:?}");
            assert!(
                matches!(out.code, 1 | 3),
                "{what}: a hostile API is never ready: exit {}\n{}\n{}",
                out.code,
                out.stdout,
                out.stderr
            );
            assert_clean(
                &without_own_colours(&out.stdout),
                &format!("{what}: stdout"),
            );
            assert_clean(
                &without_own_colours(&out.stderr),
                &format!("{what}: stderr"),
            );
            for file in ["r.json", "r.xml", "r.md", "summary.md"] {
                let text = std::fs::read_to_string(files.path().join(file))
                    .unwrap_or_else(|e| panic!("{what}: {file}: {e}"));
                assert_clean(&text, &format!("{what}: {file}"));
            }
        }
    }
}

#[test]
fn a_login_error_that_echoes_the_request_leaks_nothing() {
    assert_every_output_clean(Mode::LoginEcho401, false);
}

#[test]
fn a_raw_body_cut_inside_the_secret_leaks_nothing() {
    assert_every_output_clean(Mode::LoginEchoRaw401, false);
}

#[test]
fn escape_sequences_in_a_403_cannot_forge_the_verdict() {
    assert_every_output_clean(Mode::Forbidden403, false);
}

#[test]
fn issued_tokens_quoted_in_later_errors_are_scrubbed() {
    assert_every_output_clean(Mode::TokenEcho, false);
}

#[test]
fn hostile_ids_types_codes_and_receiver_answers_are_cleaned() {
    assert_every_output_clean(Mode::HostileData, true);
}

#[test]
fn the_report_still_says_what_the_server_said() {
    // Cleaning keeps the words: the message is still there, minus the controls.
    let server = hostile(Mode::Forbidden403);
    let dir = tempdir();
    let m = manifest(dir.path(), &server, false);
    let out = run(golive()
        .args(["check", "-m", p(&m), "--format", "json"])
        .env("HOSTILE_KEY", KEY)
        .env("HOSTILE_SECRET", SECRET));
    let report = out.json();
    let message = check(&report, "credentials")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "ip-forbidden")
        .unwrap_or_else(|| panic!("no ip-forbidden: {report:#}"))["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("IP address not authorized") && message.contains("READY — forged"),
        "{message}"
    );
}

#[test]
fn webhook_send_prints_a_hostile_answer_safely() {
    let server = hostile(Mode::HostileData);
    let out = run(golive()
        .args([
            "webhook",
            "send",
            "--url",
            &format!("{}/hook", server.url()),
        ])
        .args(["--secret-env", "HOSTILE_WEBHOOK_SECRET"])
        .env("HOSTILE_WEBHOOK_SECRET", WEBHOOK_SECRET));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("< HTTP 200"), "{}", out.stdout);
    assert!(out.stdout.contains("padding"), "{}", out.stdout);
    assert_clean(&out.stdout, "webhook send: stdout");
    assert_clean(&out.stderr, "webhook send: stderr");
}

#[test]
fn a_smoke_command_printing_escapes_and_credentials_is_cleaned() {
    let dir = tempdir();
    let script = "printf '\\033[2J\\033]0;pwned\\007\\r\\nREADY — forged verdict (exit 0)\\n'; \
                  printf 'key=%s secret=%s\\n' \"$OCTOPUS_API_KEY\" \"$OCTOPUS_API_SECRET\" >&2; exit 1";
    let m = write_manifest(
        dir.path(),
        &sim_manifest(
            None,
            &format!(
                "[[check]]\nid = \"client-retry\"\nkind = \"client_retry\"\ncommand = [\"sh\", \"-c\", {script:?}]\ntimeout = \"20s\"\n"
            ),
        ),
    );
    // Only its credentials are used (the simulator's are fixed): the manifest's
    // simulator runs inside golive, and this one is never called.
    let sim = SimServer::sandbox().expect_no_requests();
    for format in ["human", "json", "markdown", "junit", "github"] {
        let out = run(golive().args(["check", "-m", p(&m), "--format", format, "-vv"]));
        assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
        assert_clean(
            &out.stdout,
            &format!("client_retry --format {format}: stdout"),
        );
        assert_clean(
            &out.stderr,
            &format!("client_retry --format {format}: stderr"),
        );
        // The command printed the simulator's credentials it was given.
        for secret in [sim.api_key(), sim.api_secret()] {
            assert!(!out.all_output().contains(&secret), "{}", out.all_output());
        }
    }
}
