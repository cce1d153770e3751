//! The long-running commands, `golive sim` and `golive proxy`, driven as a user
//! would: start the binary, read the URL and credentials it prints, talk to it over
//! loopback, stop it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running golive process whose banner has been read.
struct Running {
    child: Child,
    banner: Vec<String>,
    stderr: mpsc::Receiver<String>,
}

impl Running {
    /// Starts `golive ARGS` and reads stdout until a line containing `until`.
    fn start(args: &[&str], until: &str) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_golive"))
            .args(args)
            .env("NO_COLOR", "1")
            .env_remove("GOLIVE_MANIFEST")
            .env_remove("GOLIVE_ENV")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("golive starts");
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let (etx, erx) = mpsc::channel();
        let stderr = child.stderr.take().expect("piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if etx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut banner = Vec::new();
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| {
                    let _ = child.kill();
                    panic!("no `{until}` line in time; got {banner:#?}")
                });
            let done = line.contains(until);
            banner.push(line);
            if done {
                break;
            }
        }
        Running {
            child,
            banner,
            stderr: erx,
        }
    }

    /// The second whitespace-separated word of the first banner line starting with `key`.
    fn value(&self, key: &str) -> String {
        self.banner
            .iter()
            .find(|l| l.trim_start().starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or_else(|| panic!("no `{key}` in {:#?}", self.banner))
            .to_string()
    }

    /// Waits up to 10 s for a stderr line containing `text`.
    fn stderr_line_with(&self, text: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if let Ok(line) = self.stderr.recv_timeout(Duration::from_millis(200))
                && line.contains(text)
            {
                return line;
            }
        }
        panic!("no stderr line containing `{text}`")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn login(client: &reqwest::Client, base: &str, key: &str, secret: &str) -> reqwest::Response {
    client
        .post(format!("{base}/auth/login"))
        .json(&serde_json::json!({ "username": key, "password": secret }))
        .send()
        .await
        .expect("login answers")
}

#[tokio::test]
async fn sim_prints_what_to_use_and_serves_its_scenario() {
    let sim = Running::start(
        &[
            "-v",
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--scenario",
            "low-balance",
            "--tier",
            "production",
        ],
        "Press Ctrl-C",
    );
    let base = sim.value("base_url");
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert!(
        sim.banner[0].contains("production tier, scenario low-balance"),
        "{:?}",
        sim.banner[0]
    );
    let client = reqwest::Client::new();
    let resp = login(
        &client,
        &base,
        &sim.value("api_key"),
        &sim.value("api_secret"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    let token = body["data"]["access_token"].as_str().unwrap().to_string();
    let wallets: serde_json::Value = client
        .get(format!("{base}/api/v1/wallets"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(wallets[0]["amount"].as_f64(), Some(250.0), "{wallets}");
    // -v logs every request on stderr, without the credentials.
    let line = sim.stderr_line_with("/api/v1/wallets");
    assert!(!line.contains(&token), "{line}");
    // The IP echo and the reference receiver are printed and served.
    let ip = client
        .get(format!("{base}/ip"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let printed = sim
        .banner
        .iter()
        .find(|l| l.trim_start().starts_with("client IP"))
        .unwrap();
    assert!(printed.contains(ip.trim()), "{printed} vs {ip}");
    assert!(sim.value("receiver").ends_with("/_receiver/octopus"));
}

#[test]
fn sim_refuses_an_unknown_scenario() {
    let out = Command::new(env!("CARGO_BIN_EXE_golive"))
        .args(["sim", "--listen", "127.0.0.1:0", "--scenario", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown scenario") && stderr.contains("receiver-no-verify"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn proxy_injects_the_default_plan_in_front_of_a_simulator() {
    let proxy = Running::start(
        &["proxy", "--upstream", "sim", "--listen", "127.0.0.1:0"],
        "Press Ctrl-C",
    );
    let url = proxy.banner[0]
        .split_whitespace()
        .last()
        .unwrap()
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{:?}", proxy.banner);
    let client = reqwest::Client::new();
    let resp = login(
        &client,
        &url,
        &proxy.value("api_key"),
        &proxy.value("api_secret"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        body["golive_unknown_field"]["probe"], true,
        "success bodies gain an unknown field: {body}"
    );
    let token = body["data"]["access_token"].as_str().unwrap().to_string();
    let wallets = |id: &'static str| {
        client
            .get(format!("{url}/api/v1/wallets"))
            .bearer_auth(&token)
            .header("X-Request-Id", id)
            .send()
    };
    // Phase "faults": the first wallets GET is answered 400, the next passes through.
    assert_eq!(wallets("first").await.unwrap().status(), 400);
    assert_eq!(wallets("second").await.unwrap().status(), 200);
    let line = proxy.stderr_line_with("id=first");
    assert!(line.contains("400") && line.contains("injected"), "{line}");
}

#[test]
fn proxy_refuses_production_and_bad_plans() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_golive"))
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&[
        "proxy",
        "--upstream",
        "https://api.octopuscards.io",
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("production"));

    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.toml");
    std::fs::write(
        &plan,
        "[[phase]]\nname = \"x\"\n[[phase.fault]]\nclass = \"nope\"\nnth = 1\nstatus = 503\n",
    )
    .unwrap();
    let out = run(&[
        "proxy",
        "--upstream",
        "sim",
        "--listen",
        "127.0.0.1:0",
        "--plan",
        plan.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("plan.toml"), "{stderr}");
}
