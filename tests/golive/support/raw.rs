//! A loopback HTTP server written on raw TCP, for answers a real server would not
//! give: canned bytes, silence, or an answer computed from the request. The one
//! reader of raw HTTP requests in the tests lives here too.
//!
//! A server expects to be called: dropped without a single connection, it fails the
//! test (as xh's test server does), so that a test cannot pass by never reaching the
//! server it is about. A server that must never be reached (a proxy trap, an
//! upstream golive must refuse before connecting) says so with
//! [`RawServer::expect_no_connection`], and then fails the test if it was reached.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use assert_cmd::Command;

/// One HTTP request as a raw server read it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target, as sent.
    pub path: String,
    /// Header names and values, in order, as sent.
    pub headers: Vec<(String, String)>,
    /// The `Content-Length` (0 without one).
    pub content_length: usize,
}

impl Request {
    /// Parses a request head: the request line, then `Name: value` lines.
    pub fn parse_head(head: &str) -> Request {
        let mut lines = head.lines();
        let mut first = lines.next().unwrap_or_default().split(' ');
        let method = first.next().unwrap_or_default().to_string();
        let path = first.next().unwrap_or_default().to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        let content_length = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        Request {
            method,
            path,
            headers,
            content_length,
        }
    }

    /// The first header called `name`, whatever its case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one HTTP request (head, then a Content-Length body, which is dropped), so
/// that closing the socket afterwards does not reset the connection under unread
/// data. `None` when the head never completes.
pub fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let request = Request::parse_head(&String::from_utf8_lossy(&buf[..head_end]));
    let length = request.content_length;
    while buf.len() < head_end + length {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    Some(request)
}

/// A whole HTTP/1.1 answer: `status_line`, `content_type`, the `extra` headers and
/// `body`, with a correct Content-Length and `Connection: close`.
pub fn http_response(
    status_line: &str,
    content_type: &str,
    extra: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {status_line}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// The body of a successful `POST /auth/login` of the Octopus API, for stub APIs:
/// access token `t`, valid for an hour, client 42.
pub fn session_json() -> String {
    let expires = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1))
        .round(jiff::Unit::Second)
        .unwrap();
    format!(
        r#"{{"success":true,"data":{{"access_token":"t","access_expires_at":"{expires}","client_id":42}}}}"#
    )
}

/// How a request is answered when the answer depends on it.
pub type Answer = Arc<dyn Fn(&Request) -> Vec<u8> + Send + Sync>;

/// What a [`RawServer`] does with every connection.
#[derive(Clone)]
pub enum Behaviour {
    /// Read the request, never answer, keep the socket open until the server is dropped.
    Hang,
    /// Read the request, write these bytes, close.
    Respond(Vec<u8>),
    /// Read the request, write what the function makes of it, close.
    Answer(Answer),
}

/// A loopback TCP server answering every connection with one [`Behaviour`], which
/// keeps every request it read.
pub struct RawServer {
    port: u16,
    stop: Arc<AtomicBool>,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<Request>>>,
    acceptor: Option<JoinHandle<()>>,
    /// Whether the test expects a connection (checked on drop).
    expects_connections: bool,
}

impl RawServer {
    /// Binds 127.0.0.1:0 and serves in a background thread.
    pub fn start(behaviour: Behaviour) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("local addr").port();
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let acceptor = {
            let stop = stop.clone();
            let connections = connections.clone();
            let requests = requests.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            connections.fetch_add(1, Ordering::SeqCst);
                            let behaviour = behaviour.clone();
                            let stop = stop.clone();
                            let requests = requests.clone();
                            std::thread::spawn(move || serve(stream, behaviour, stop, requests));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
            })
        };
        RawServer {
            port,
            stop,
            connections,
            requests,
            acceptor: Some(acceptor),
            expects_connections: true,
        }
    }

    /// Answers every request with `status` and `body` (and a correct Content-Length).
    pub fn respond(status_line: &str, content_type: &str, body: &[u8]) -> RawServer {
        RawServer::start(Behaviour::Respond(http_response(
            status_line,
            content_type,
            &[],
            body,
        )))
    }

    /// Answers every request with what `answer` makes of it.
    pub fn answer(answer: impl Fn(&Request) -> Vec<u8> + Send + Sync + 'static) -> RawServer {
        RawServer::start(Behaviour::Answer(Arc::new(answer)))
    }

    /// This server must never be reached: dropping it after a connection fails the
    /// test (instead of dropping it without one).
    pub fn expect_no_connection(mut self) -> RawServer {
        self.expects_connections = false;
        self
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Every request read so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.acceptor.take() {
            let _ = t.join();
        }
        if std::thread::panicking() {
            return;
        }
        let n = self.connections();
        if self.expects_connections {
            assert!(
                n > 0,
                "the server at {} expected a connection and got none",
                self.base_url()
            );
        } else {
            assert_eq!(
                n,
                0,
                "the server at {} must never be reached, and got {n} connection(s)",
                self.base_url()
            );
        }
    }
}

fn serve(
    mut stream: TcpStream,
    behaviour: Behaviour,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<Request>>>,
) {
    let _ = stream.set_nonblocking(false);
    let request = read_request(&mut stream);
    if let Some(r) = &request {
        requests.lock().unwrap().push(r.clone());
    }
    let bytes = match behaviour {
        Behaviour::Hang => {
            // Keep the socket open, silent, until the server is dropped.
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(20));
            }
            return;
        }
        Behaviour::Respond(bytes) => bytes,
        Behaviour::Answer(answer) => match &request {
            Some(r) => answer(r),
            None => return,
        },
    };
    let _ = stream.write_all(&bytes);
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
    // Drain whatever the client still sends, briefly, then close.
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut sink = [0u8; 1024];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}

/// Points every proxy variable of `cmd` at `trap`, a loopback server: whatever golive
/// tries to reach that is not loopback lands there (and is counted) instead of on
/// the network, without any DNS lookup of the real host.
pub fn trap_proxy(cmd: &mut Command, trap: &RawServer) {
    for var in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
        cmd.env(var, trap.base_url());
    }
}

/// A loopback port that nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.local_addr().expect("local addr").port()
}
