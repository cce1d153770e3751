//! The `request_id` check, end to end through the real binary: a request id sent
//! with `X-Request-Id` comes back on the simulator, and a stub API that echoes it,
//! sends another one or none is judged accordingly.

use crate::support::*;
use serde_json::Value;

#[test]
fn request_id_round_trips_on_the_simulator() {
    let dir = tempdir();
    let path = write_manifest(
        dir.path(),
        &sim_manifest(None, "[[check]]\nid = \"rid\"\nkind = \"request_id\"\n"),
    );
    let report = report_with_exit(&path, &[], &[], 0);
    assert_eq!(status_of(&report, "rid"), "pass", "{report:#}");
    let evidence = &check(&report, "rid")["evidence"];
    let sent = evidence["sent"].as_str().expect("sent is a string");
    assert_eq!(sent.len(), 27, "a KSUID: {sent}");
    assert_eq!(evidence["returned"], sent);
    let request_ids: Vec<&str> = check(&report, "rid")["request_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(request_ids.contains(&sent), "{request_ids:?}");
}

/// What the stub API does with the `X-Request-Id` of `GET /api/v1/currencies`.
#[derive(Debug, Clone, Copy)]
enum RequestIdMode {
    /// Send the client's back.
    Echo,
    /// Send back a different one.
    Other,
    /// Send none.
    Absent,
}

const OTHER_REQUEST_ID: &str = "2zzzzzzzzzzzzzzzzzzzzzzzzzz";

/// A stub Octopus API on loopback: `POST /auth/login` answers a session,
/// `GET /api/v1/currencies` a currency list with an `X-Request-Id` per `mode`,
/// anything else 404.
fn api_stub(mode: RequestIdMode) -> RawServer {
    RawServer::answer(move |request| serve_api(request, mode))
}

/// What the stub saw of each request: method, path and `X-Request-Id`.
fn seen(api: &RawServer) -> Vec<(String, String, Option<String>)> {
    api.requests()
        .into_iter()
        .map(|r| {
            let id = r.header("x-request-id").map(str::to_string);
            (r.method, r.path, id)
        })
        .collect()
}

fn serve_api(request: &Request, mode: RequestIdMode) -> Vec<u8> {
    let echo = request
        .header("x-request-id")
        .unwrap_or_default()
        .to_string();
    let (status, body, returned) = match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/auth/login") => ("200 OK", session_json(), Some(echo)),
        ("GET", "/api/v1/currencies") => (
            "200 OK",
            r#"{"success":true,"data":[{"id":1,"code":"USD","name":"US Dollar"}]}"#.to_string(),
            match mode {
                RequestIdMode::Echo => Some(echo),
                RequestIdMode::Other => Some(OTHER_REQUEST_ID.to_string()),
                RequestIdMode::Absent => None,
            },
        ),
        _ => (
            "404 Not Found",
            r#"{"success":false,"error":{"code":"NOT_FOUND","message":"no such route"}}"#
                .to_string(),
            Some(echo),
        ),
    };
    let returned: Vec<(&str, &str)> = returned
        .as_deref()
        .map(|id| ("X-Request-Id", id))
        .into_iter()
        .collect();
    http_response(status, "application/json", &returned, body.as_bytes())
}

/// The request-id check against an `api_stub` in `mode`.
fn request_id_against(mode: RequestIdMode) -> (Value, RawServer) {
    let api = api_stub(mode);
    let dir = tempdir();
    let path = write_manifest(
        dir.path(),
        &api_manifest(
            &api.base_url(),
            "STUB_KEY",
            "STUB_SECRET",
            "[[check]]\nid = \"rid\"\nkind = \"request_id\"\n",
        ),
    );
    let report = report_with_exit(
        &path,
        &[],
        &[
            ("STUB_KEY", "stub-key-1234"),
            ("STUB_SECRET", "stub-secret-5678"),
        ],
        0,
    );
    (report, api)
}

#[test]
fn request_id_echoed_by_a_stub_api_passes() {
    let (report, api) = request_id_against(RequestIdMode::Echo);
    assert_eq!(status_of(&report, "rid"), "pass", "{report:#}");
    let evidence = &check(&report, "rid")["evidence"];
    assert_eq!(evidence["returned"], evidence["sent"]);
    // The probe is one login and one harmless GET carrying the id.
    let seen = seen(&api);
    let paths: Vec<(&str, &str)> = seen
        .iter()
        .map(|(m, p, _)| (m.as_str(), p.as_str()))
        .collect();
    assert_eq!(
        paths,
        [("POST", "/auth/login"), ("GET", "/api/v1/currencies")]
    );
    assert_eq!(
        seen[1].2.as_deref(),
        evidence["sent"].as_str(),
        "the GET carried the id in the evidence"
    );
}

#[test]
fn a_different_request_id_back_is_not_echoed() {
    let (report, api) = request_id_against(RequestIdMode::Other);
    assert_eq!(status_of(&report, "rid"), "warn", "{report:#}");
    assert_eq!(codes_of(&report, "rid"), ["request-id-not-echoed"]);
    assert_eq!(level_of(&report, "rid", "request-id-not-echoed"), "warn");
    let evidence = &check(&report, "rid")["evidence"];
    assert_eq!(evidence["returned"], OTHER_REQUEST_ID);
    let sent = evidence["sent"].as_str().unwrap();
    assert_ne!(sent, OTHER_REQUEST_ID);
    let message = finding(&report, "rid", "request-id-not-echoed")["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains(sent) && message.contains(OTHER_REQUEST_ID),
        "{message}"
    );
    assert_eq!(
        seen(&api).last().unwrap().2.as_deref(),
        Some(sent),
        "the id sent is the id in the evidence"
    );
    // The id the API returned is recorded for support tickets.
    assert!(
        check(&report, "rid")["request_ids"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == OTHER_REQUEST_ID),
        "{report:#}"
    );
}

#[test]
fn no_request_id_back_is_not_echoed() {
    let (report, _api) = request_id_against(RequestIdMode::Absent);
    assert_eq!(status_of(&report, "rid"), "warn", "{report:#}");
    assert_eq!(codes_of(&report, "rid"), ["request-id-not-echoed"]);
    assert_eq!(level_of(&report, "rid", "request-id-not-echoed"), "warn");
    assert_eq!(check(&report, "rid")["evidence"]["returned"], Value::Null);
}

#[test]
fn request_id_not_echoed_blocks_only_under_strict() {
    let api = api_stub(RequestIdMode::Absent);
    let dir = tempdir();
    let path = write_manifest(
        dir.path(),
        &api_manifest(
            &api.base_url(),
            "STUB_KEY",
            "STUB_SECRET",
            "[[check]]\nid = \"rid\"\nkind = \"request_id\"\n",
        ),
    );
    let vars = [
        ("STUB_KEY", "stub-key-1234"),
        ("STUB_SECRET", "stub-secret-5678"),
    ];
    let report = report_with_exit(&path, &["--strict"], &vars, 1);
    assert_eq!(check(&report, "rid")["blocking"], true);
}
