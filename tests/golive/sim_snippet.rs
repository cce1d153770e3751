//! `golive sim` as a process: the `[env.local]` snippet it prints passes
//! `golive check` as printed, and listening beyond loopback is warned about.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};

use crate::support::*;

/// A running `golive sim`, killed when dropped.
struct SimProcess {
    child: Child,
    /// Its stdout up to and including the "Press Ctrl-C" line.
    banner: String,
}

impl SimProcess {
    fn start(listen: &str) -> SimProcess {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("golive"))
            .args(["sim", "--listen", listen])
            .env("NO_COLOR", "1")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("golive sim starts");
        let mut banner = String::new();
        let mut lines = BufReader::new(child.stdout.take().expect("stdout piped"));
        loop {
            let mut line = String::new();
            let n = lines.read_line(&mut line).expect("banner readable");
            banner.push_str(&line);
            if n == 0 || line.starts_with("Press Ctrl-C") {
                break;
            }
        }
        SimProcess { child, banner }
    }

    /// Stops the process and returns its stderr.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        err
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value printed after `label` in the banner's table (`  api_key      VALUE`).
fn banner_value<'a>(banner: &'a str, label: &str) -> &'a str {
    banner
        .lines()
        .find_map(|l| {
            let rest = l.strip_prefix("  ")?.strip_prefix(label)?;
            rest.starts_with("  ")
                .then(|| rest.split_whitespace().next())?
        })
        .unwrap_or_else(|| panic!("no `{label}` in the banner:\n{banner}"))
}

#[test]
fn the_printed_snippet_passes_check_as_printed() {
    let sim = SimProcess::start("127.0.0.1:0");
    let banner = sim.banner.clone();
    // The snippet exactly as printed: from `[env.local]` to the blank line, unindented.
    let snippet: String = banner
        .lines()
        .skip_while(|l| l.trim() != "[env.local]")
        .take_while(|l| !l.trim().is_empty())
        .map(|l| format!("{}\n", l.strip_prefix("  ").unwrap_or(l)))
        .collect();
    assert!(snippet.starts_with("[env.local]\n"), "{banner}");
    // The repository's own checks, with the snippet as the env to check.
    let repo = std::fs::read_to_string(crate_root().join("checks.toml")).unwrap();
    let dir = tempdir();
    let manifest = write_manifest(dir.path(), &format!("{repo}\n{snippet}"));
    let out = run(golive()
        .args([
            "check",
            "-m",
            p(&manifest),
            "-e",
            "local",
            "--format",
            "json",
        ])
        .env("SIM_API_KEY", banner_value(&banner, "api_key"))
        .env("SIM_API_SECRET", banner_value(&banner, "api_secret"))
        .env("SIM_WEBHOOK_SECRET", banner_value(&banner, "webhook key")));
    let stderr = sim.stop();
    assert_eq!(out.code, 0, "{}\n{}\nsim: {stderr}", out.stdout, out.stderr);
    let report = out.json();
    assert_eq!(report["verdict"], "ready");
    // Each code at most once per check (no warn and info pair of the same finding).
    for c in checks(&report) {
        let mut codes = codes_of(&report, c["id"].as_str().unwrap());
        let all = codes.len();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), all, "a repeated code in {c:#}");
    }
    // Plain http to the loopback receiver of a sandbox env is noted, not failed.
    let webhook = check(&report, "webhook");
    assert_eq!(webhook["status"], "warn", "{webhook:#}");
    let not_https = webhook["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "webhook-not-https")
        .expect("webhook-not-https is still reported");
    assert_eq!(not_https["level"], "info");
    assert!(
        !webhook["evidence"]["deliveries"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn listening_on_every_interface_prints_a_warning() {
    // Bound only; nothing is sent to it.
    let sim = SimProcess::start("0.0.0.0:0");
    assert!(sim.banner.contains("listening on"), "{}", sim.banner);
    let stderr = sim.stop();
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("warning: the simulator serves on every interface (0.0.0.0:"),
        "{stderr}"
    );
    assert!(first.contains("--listen 127.0.0.1:"), "{stderr}");
}

#[test]
fn listening_on_loopback_prints_no_warning() {
    let sim = SimProcess::start("127.0.0.1:0");
    let stderr = sim.stop();
    assert!(!stderr.contains("warning"), "{stderr}");
}
