//! Servers that keep answering while a test blocks on a golive process, each on a
//! runtime of its own: any axum app ([`AppServer`]) and golive's own simulator
//! ([`SimServer`]). Like every test server here, they fail the test when dropped
//! without having been called, unless the test said they must not be.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use golive::sim::{Scenario, SimConfig, SimHandle, SimStats};
use golive::tier::Tier;

/// A multi-thread tokio runtime with `workers` threads, for a server that must keep
/// answering while the test blocks on a golive process.
pub fn server_runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// An axum app served on 127.0.0.1:0 by a runtime of its own. It counts the
/// requests it serves and, like the other test servers, fails the test when dropped
/// without having served one.
pub struct AppServer {
    addr: std::net::SocketAddr,
    served: Arc<AtomicUsize>,
    _rt: tokio::runtime::Runtime,
}

impl AppServer {
    /// Serves `app` on 127.0.0.1:0.
    pub fn start(app: axum::Router) -> AppServer {
        let rt = server_runtime(1);
        let served = Arc::new(AtomicUsize::new(0));
        let counter = served.clone();
        let app = app.layer(axum::middleware::map_request(
            move |request: axum::extract::Request| {
                counter.fetch_add(1, Ordering::SeqCst);
                async move { request }
            },
        ));
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        rt.spawn(async move { axum::serve(listener, app).await });
        AppServer {
            addr,
            served,
            _rt: rt,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for AppServer {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert!(
                self.served.load(Ordering::SeqCst) > 0,
                "the server at {} expected requests and served none",
                self.url()
            );
        }
    }
}

// ---------------------------------------------------------------------------------
// The built-in simulator, in-process

/// A simulator served by a multi-thread runtime of its own, so it keeps answering
/// while a test blocks on the golive process.
///
/// It expects to be called: dropped without having served a single request, it
/// fails the test, unless the test said that it must not be called
/// ([`SimServer::expect_no_requests`]), and then it fails the test if it was.
pub struct SimServer {
    // Declared before the runtime: the handle stops the server before the runtime goes.
    handle: Option<SimHandle>,
    rt: tokio::runtime::Runtime,
    /// Whether the test expects requests (checked on drop).
    expects_requests: bool,
}

impl SimServer {
    /// Starts a simulator for `tier` misbehaving as `scenario`, on 127.0.0.1:0.
    pub fn start(tier: Tier, scenario: Scenario) -> SimServer {
        let rt = server_runtime(2);
        let handle = rt
            .block_on(golive::sim::start(SimConfig {
                tier,
                scenario,
                ..SimConfig::default()
            }))
            .expect("simulator starts");
        SimServer {
            handle: Some(handle),
            rt,
            expects_requests: true,
        }
    }

    /// This simulator must never be called (golive refuses before connecting):
    /// dropping it after a request fails the test.
    pub fn expect_no_requests(mut self) -> SimServer {
        self.expects_requests = false;
        self
    }

    /// A healthy sandbox simulator.
    pub fn sandbox() -> SimServer {
        Self::start(Tier::Sandbox, Scenario::Healthy)
    }

    fn h(&self) -> &SimHandle {
        self.handle.as_ref().expect("running")
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.h().base_url()
    }

    /// The API key a client should use.
    pub fn api_key(&self) -> String {
        self.h().api_key().expose().to_string()
    }

    /// The API secret paired with the key.
    pub fn api_secret(&self) -> String {
        self.h().api_secret().expose().to_string()
    }

    /// Requests served so far.
    pub fn stats(&self) -> SimStats {
        self.h().stats()
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        let Some(h) = self.handle.take() else {
            return;
        };
        let served = h.stats().total;
        let url = h.base_url();
        {
            let _guard = self.rt.enter();
            h.shutdown();
        }
        if std::thread::panicking() {
            return;
        }
        if self.expects_requests {
            assert!(
                served > 0,
                "the simulator at {url} expected requests and served none"
            );
        } else {
            assert_eq!(
                served, 0,
                "the simulator at {url} must never be called, and served {served} request(s)"
            );
        }
    }
}

impl SimServer {
    /// The reference webhook receiver's URL, `{base_url}/_receiver/octopus`.
    pub fn receiver_url(&self) -> String {
        self.h().receiver_url()
    }

    /// The webhook secret the reference receiver verifies with (fake, fixed).
    pub fn webhook_secret(&self) -> String {
        self.h().webhook_secret().expose().to_string()
    }

    /// Every delivery the reference receiver answered, in arrival order.
    pub fn received(&self) -> Vec<golive::sim::ReceivedEvent> {
        self.h().received()
    }
}
