//! `golive check`: the repository's demo manifest, every simulator scenario, and the
//! exit-code table.

use std::time::{Duration, Instant};

use crate::support::*;
use predicates::prelude::*;

#[test]
fn demo_manifest_is_ready() {
    golive()
        .current_dir(crate_root())
        .args(["check", "-m", "checks.toml"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("READY"))
        .stdout(predicate::str::contains("NOT READY").not())
        .stdout(predicate::str::contains("credentials"))
        .stdout(predicate::str::contains("wallet-usd"))
        .stdout(predicate::str::contains("wallet-eur"));
}

#[test]
fn demo_manifest_is_the_default_manifest() {
    // Without -m, ./checks.toml is used.
    golive()
        .current_dir(crate_root())
        .arg("check")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("READY"));
}

#[test]
fn demo_json_passes_every_check() {
    let out = demo(&["--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = out.json();
    assert_eq!(report["verdict"], "ready");
    assert_eq!(report["environment"]["name"], "demo");
    assert_eq!(report["environment"]["tier"], "sandbox");
    assert_eq!(report["environment"]["simulator"], true);
    assert_eq!(
        ids(&report),
        [
            "credentials",
            "wallet-usd",
            "wallet-eur",
            "webhook",
            "egress",
            "request-id",
            "client-policy"
        ]
    );
    for c in checks(&report) {
        assert_eq!(c["status"], "pass", "{c:#}");
        assert_eq!(c["blocking"], false);
    }
    // The simulator's loopback host is reported, but only as info.
    let creds = check(&report, "credentials");
    assert!(codes_of(&report, "credentials").contains(&"login-ok".to_string()));
    for f in creds["findings"].as_array().unwrap() {
        assert_eq!(f["level"], "info", "{f:#}");
    }
}

#[test]
fn scenario_low_balance_is_not_ready() {
    let out = demo(&["--scenario", "low-balance", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = out.json();
    assert_eq!(report["verdict"], "not_ready");
    assert_eq!(status_of(&report, "credentials"), "pass");
    for id in ["wallet-usd", "wallet-eur"] {
        assert_eq!(status_of(&report, id), "fail");
        assert!(codes_of(&report, id).contains(&"balance-below-minimum".to_string()));
        assert_eq!(check(&report, id)["blocking"], true);
    }
}

#[test]
fn scenario_low_balance_human() {
    let out = demo(&["--scenario", "low-balance"]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("NOT READY"), "{}", out.stdout);
    assert!(
        out.stdout.contains("balance-below-minimum"),
        "{}",
        out.stdout
    );
}

#[test]
fn scenario_blocked_ip_is_not_ready() {
    let out = demo(&["--scenario", "blocked-ip", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = out.json();
    assert_eq!(status_of(&report, "credentials"), "fail");
    assert!(codes_of(&report, "credentials").contains(&"ip-forbidden".to_string()));
    assert!(out.stdout.contains("ip-forbidden"));
}

#[test]
fn scenario_wrong_tier_is_not_ready() {
    let out = demo(&["--scenario", "wrong-tier", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = out.json();
    assert_eq!(status_of(&report, "credentials"), "fail");
    assert!(codes_of(&report, "credentials").contains(&"login-rejected".to_string()));
    // The wallet checks cannot run without a login; the credentials check says why.
    for id in ["wallet-usd", "wallet-eur"] {
        assert_ne!(status_of(&report, id), "pass", "{report:#}");
    }
}

#[test]
fn scenario_rate_limited_waits_and_is_ready() {
    let out = demo(&["--scenario", "rate-limited", "--format", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let report = out.json();
    assert_eq!(report["verdict"], "ready");
    assert_eq!(report["summary"]["pass"], 7);
}

#[test]
fn scenario_from_the_manifest_and_overridden_on_the_command_line() {
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &sim_manifest(
            Some("low-balance"),
            "[[check]]\nid = \"wallet-usd\"\nkind = \"wallet\"\ncurrency = \"USD\"\nmin_balance = 1000.0\n",
        ),
    );
    let out = run_args(&["check", "-m", p(&m), "--format", "json"]);
    assert_eq!(out.code, 1, "the env's scenario applies: {}", out.stdout);
    assert!(codes_of(&out.json(), "wallet-usd").contains(&"balance-below-minimum".to_string()));

    let out = run_args(&[
        "check",
        "-m",
        p(&m),
        "--scenario",
        "healthy",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.code, 0,
        "--scenario overrides the env's: {}",
        out.stdout
    );
}

#[test]
fn unknown_scenario_is_a_usage_error() {
    let out = demo(&["--scenario", "on-fire"]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("on-fire"), "{}", out.stderr);
    assert!(
        out.stderr.contains("low-balance"),
        "lists the scenarios: {}",
        out.stderr
    );
}

#[test]
fn scenario_on_a_non_simulator_env_is_a_usage_error() {
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &api_manifest(
            "https://sandbox-api.octopuscards.io",
            "GL_UNUSED_KEY",
            "GL_UNUSED_SECRET",
            "[[check]]\nid = \"credentials\"\nkind = \"credentials\"\n",
        ),
    );
    // Nothing may be probed; a proxy trap catches any attempt to reach the real host.
    let trap = RawServer::respond("403 Forbidden", "text/plain", b"no").expect_no_connection();
    let mut cmd = golive();
    cmd.args(["check", "-m", p(&m), "--scenario", "low-balance"])
        .env("GL_UNUSED_KEY", "k_unused_1")
        .env("GL_UNUSED_SECRET", "s_unused_1");
    trap_proxy(&mut cmd, &trap);
    let out = run(&mut cmd);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("simulator"), "{}", out.stderr);
    assert_eq!(trap.connections(), 0);
}

/// Every exit code of SPEC section 1, each produced for real.
#[test]
fn exit_code_table() {
    // 0: ready.
    assert_eq!(demo(&[]).code, 0, "ready");

    // 1: not ready.
    assert_eq!(demo(&["--scenario", "low-balance"]).code, 1, "not ready");

    // 2: a manifest error; nothing probed, nothing on stdout.
    let dir = tempdir();
    let bad = write_manifest(dir.path(), "version = 1\nsurprise = true\n");
    let out = run_args(&["check", "-m", p(&bad)]);
    assert_eq!(out.code, 2, "manifest error: {}", out.stderr);
    assert!(out.stdout.is_empty(), "stdout on exit 2: {}", out.stdout);

    // 3: inconclusive: the API never answers and the check times out.
    let hung = RawServer::start(Behaviour::Hang);
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &api_manifest(
            &hung.base_url(),
            "GL_EXIT_KEY",
            "GL_EXIT_SECRET",
            "[[check]]\nid = \"credentials\"\nkind = \"credentials\"\ntimeout = \"1s\"\n",
        ),
    );
    let started = Instant::now();
    let out = run(golive()
        .args(["check", "-m", p(&m)])
        .env("GL_EXIT_KEY", "k_exit_table_key")
        .env("GL_EXIT_SECRET", "s_exit_table_secret"));
    assert_eq!(out.code, 3, "inconclusive: {}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("INCONCLUSIVE"), "{}", out.stdout);
    assert!(started.elapsed() < Duration::from_secs(20));

    // 4: internal error: the report file cannot be written (a folder stands where
    // the file should go; a missing folder is created since SPEC 8.8). The verdict
    // still reaches stdout.
    let dir = tempdir();
    let target = dir.path().join("report.json");
    std::fs::create_dir(&target).unwrap();
    let out = demo(&["--report-json", p(&target)]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(out.stderr.contains("report"), "{}", out.stderr);
    assert!(target.is_dir());
    assert!(out.stdout.contains("READY (simulated)"), "{}", out.stdout);
}

// ---------------------------------------------------------------------------------
// A deadline that expires is a timeout of the run or the check, never the
// endpoint's fault (SPEC 8.1)

fn webhook_codes(args: &[&str]) -> (Run, Vec<String>) {
    let mut all = vec!["--only", "webhook", "--format", "json"];
    all.extend_from_slice(args);
    let out = demo(&all);
    let report = out.json();
    assert_consistent(&report, out.code);
    let codes = codes_of(&report, "webhook");
    (out, codes)
}

#[test]
fn slow_receiver_cut_by_the_run_timeout_is_a_run_timeout() {
    // The simulator's receiver answers after 6 s; the run gives 3 s in all.
    let started = Instant::now();
    let (out, codes) = webhook_codes(&["--scenario", "receiver-slow", "--timeout", "3s"]);
    assert_eq!(out.code, 3, "{codes:?}\n{}", out.stdout);
    assert!(codes.contains(&"run-timeout".to_string()), "{codes:?}");
    assert!(!codes.contains(&"no-ack".to_string()), "{codes:?}");
    assert_eq!(status_of(&out.json(), "webhook"), "error");
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[test]
fn healthy_receiver_cut_by_a_tiny_run_timeout_is_a_run_timeout() {
    let (out, codes) = webhook_codes(&["--timeout", "1ms"]);
    assert_eq!(out.code, 3, "{codes:?}\n{}", out.stdout);
    assert!(codes.contains(&"run-timeout".to_string()), "{codes:?}");
    assert!(!codes.contains(&"no-ack".to_string()), "{codes:?}");
}

#[test]
fn slow_receiver_within_the_check_timeout_is_a_slow_ack() {
    // With the check's own 20 s the same receiver is judged: slow, but it answers.
    let (out, codes) = webhook_codes(&["--scenario", "receiver-slow"]);
    assert!(codes.contains(&"slow-ack".to_string()), "{codes:?}");
    assert!(!codes.contains(&"no-ack".to_string()), "{codes:?}");
    assert!(!codes.contains(&"run-timeout".to_string()), "{codes:?}");
    assert_eq!(out.code, 0, "{}", out.stdout);
}
