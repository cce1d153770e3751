//! The `request_id` check, end to end through the real binary: a request id sent
//! with `X-Request-Id` comes back on the simulator, and a stub API that echoes it,
//! sends another one or none is judged accordingly.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

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

/// What the stub saw of one request: method, path and `X-Request-Id`.
type Seen = Arc<Mutex<Vec<(String, String, Option<String>)>>>;

/// A stub Octopus API on loopback: `POST /auth/login` answers a session,
/// `GET /api/v1/currencies` a currency list with an `X-Request-Id` per `mode`,
/// anything else 404. It records `(method, path, x-request-id)` of every request.
struct ApiStub {
    port: u16,
    stop: Arc<AtomicBool>,
    seen: Seen,
    acceptor: Option<JoinHandle<()>>,
}

const OTHER_REQUEST_ID: &str = "2zzzzzzzzzzzzzzzzzzzzzzzzzz";

impl ApiStub {
    fn start(mode: RequestIdMode) -> ApiStub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let acceptor = {
            let (stop, seen) = (stop.clone(), seen.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let seen = seen.clone();
                            std::thread::spawn(move || serve_api(stream, mode, &seen));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
            })
        };
        ApiStub {
            port,
            stop,
            seen,
            acceptor: Some(acceptor),
        }
    }

    fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn seen(&self) -> Vec<(String, String, Option<String>)> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for ApiStub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.acceptor.take() {
            let _ = t.join();
        }
    }
}

fn serve_api(
    mut stream: TcpStream,
    mode: RequestIdMode,
    seen: &Mutex<Vec<(String, String, Option<String>)>>,
) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_string();
    let path = first.next().unwrap_or_default().to_string();
    let mut request_id = None;
    let mut length = 0usize;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "x-request-id" => request_id = Some(value.trim().to_string()),
                "content-length" => length = value.trim().parse().unwrap_or(0),
                _ => {}
            }
        }
    }
    while buf.len() < head_end + length {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    seen.lock()
        .unwrap()
        .push((method.clone(), path.clone(), request_id.clone()));

    let echo = request_id.clone().unwrap_or_default();
    let (status, body, returned) = match (method.as_str(), path.as_str()) {
        ("POST", "/auth/login") => {
            let expires = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1))
                .round(jiff::Unit::Second)
                .unwrap();
            (
                "200 OK",
                format!(
                    r#"{{"success":true,"data":{{"access_token":"t","access_expires_at":"{expires}","client_id":42}}}}"#
                ),
                Some(echo),
            )
        }
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
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(id) = returned {
        response.push_str(&format!("X-Request-Id: {id}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(&body);
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut sink = [0u8; 1024];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}

/// The request-id check against an `ApiStub` in `mode`.
fn request_id_against(mode: RequestIdMode) -> (Value, ApiStub) {
    let api = ApiStub::start(mode);
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
    let seen = api.seen();
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
        api.seen().last().unwrap().2.as_deref(),
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
    let api = ApiStub::start(RequestIdMode::Absent);
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
