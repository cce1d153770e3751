//! The `egress` check, end to end through the real binary: the address the simulator
//! or an echo service sees, judged against the env's allowlist (simulator envs,
//! non-simulator sandbox envs, IPv4 and IPv6, declared addresses, the accepted login
//! as evidence), the allowlist lints, and an env's `ca_file` trusted by the echo
//! client (SPEC 8.7).
//!
//! Every connection goes to loopback: the simulator, raw servers and closed ports.
//! Documentation addresses (203.0.113.x, 198.51.100.x, 2001:db8::) appear only as
//! strings in manifests and in what the simulator or an echo server answers.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::support::webhook::{LOOPBACK_SANS, ServerCert, TestCa, serve_app_tls};
use crate::support::*;
use golive::sim::Scenario;
use golive::tier::Tier;
use serde_json::Value;

// ---------------------------------------------------------------------------------
// Helpers

const EGRESS_CHECK: &str = "[[check]]\nid = \"egress\"\nkind = \"egress\"\n";

/// The simulator's credentials as the environment variables `env_manifest` names.
fn sim_vars(sim: &SimServer) -> [(&'static str, String); 2] {
    [("SIM_KEY", sim.api_key()), ("SIM_SECRET", sim.api_secret())]
}

/// Runs the egress check of an `env_manifest` and returns the report.
fn egress_report(tier: &str, sim: Option<&SimServer>, env_lines: &str, want_exit: i32) -> Value {
    let dir = tempdir();
    let path = write_manifest(
        dir.path(),
        &env_manifest(tier, sim, env_lines, EGRESS_CHECK),
    );
    let vars = sim.map(sim_vars);
    let vars: Vec<(&str, &str)> = vars
        .iter()
        .flatten()
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    report_with_exit(&path, &[], &vars, want_exit)
}

/// The `egress_ips` evidence of the egress check.
fn egress_ips(report: &Value) -> &Vec<Value> {
    check(report, "egress")["evidence"]["egress_ips"]
        .as_array()
        .unwrap_or_else(|| panic!("no egress_ips evidence:\n{report:#}"))
}

/// How many `GET /ip` requests the simulator served.
fn ip_hits(sim: &SimServer) -> usize {
    sim.stats().by_route.get("GET /ip").copied().unwrap_or(0)
}

// ---------------------------------------------------------------------------------
// 1. egress on a simulator env

#[test]
fn egress_on_a_healthy_simulator_env_passes_inside_its_allowlist() {
    let dir = tempdir();
    let path = write_manifest(dir.path(), &sim_manifest(None, EGRESS_CHECK));
    let report = report_with_exit(&path, &[], &[], 0);
    assert_eq!(status_of(&report, "egress"), "pass", "{report:#}");
    let ips = egress_ips(&report);
    assert_eq!(ips.len(), 1, "{report:#}");
    assert_eq!(ips[0]["inside"], "203.0.113.0/28", "{report:#}");
    assert_eq!(ips[0]["ip"], "203.0.113.10");
    assert_eq!(ips[0]["source"], "echo");
    let evidence = &check(&report, "egress")["evidence"];
    assert_eq!(evidence["allowlist"], serde_json::json!(["203.0.113.0/28"]));
    assert_eq!(evidence["login"], "accepted from this address");
    // Nothing above info.
    for f in check(&report, "egress")["findings"].as_array().unwrap() {
        assert_eq!(f["level"], "info", "{f:#}");
    }
}

#[test]
fn egress_on_a_blocked_ip_simulator_env_fails_twice() {
    let dir = tempdir();
    let path = write_manifest(dir.path(), &sim_manifest(Some("blocked-ip"), EGRESS_CHECK));
    let report = report_with_exit(&path, &[], &[], 1);
    assert_eq!(status_of(&report, "egress"), "fail");
    assert_eq!(check(&report, "egress")["blocking"], true);
    let codes = codes_of(&report, "egress");
    assert!(
        codes.contains(&"egress-outside-allowlist".to_string()),
        "{codes:?}"
    );
    assert!(
        codes.contains(&"egress-ip-forbidden".to_string()),
        "{codes:?}"
    );
    assert_eq!(
        level_of(&report, "egress", "egress-outside-allowlist"),
        "fail"
    );
    assert_eq!(level_of(&report, "egress", "egress-ip-forbidden"), "fail");
    assert_eq!(egress_ips(&report)[0]["inside"], Value::Null);
    assert!(
        finding(&report, "egress", "egress-ip-forbidden")["message"]
            .as_str()
            .unwrap()
            .contains("203.0.113.10"),
        "{report:#}"
    );
}

#[test]
fn the_scenario_flag_blocks_the_egress_ip_too() {
    let dir = tempdir();
    let path = write_manifest(dir.path(), &sim_manifest(None, EGRESS_CHECK));
    let report = report_with_exit(&path, &["--scenario", "blocked-ip"], &[], 1);
    let codes = codes_of(&report, "egress");
    assert!(
        codes.contains(&"egress-outside-allowlist".to_string())
            && codes.contains(&"egress-ip-forbidden".to_string()),
        "{codes:?}"
    );
}

// ---------------------------------------------------------------------------------
// 2. egress on a non-simulator sandbox env

#[test]
fn egress_auto_with_a_plain_text_echo_inside_the_allowlist_passes() {
    let sim = SimServer::sandbox();
    let lines = format!(
        "egress_allowlist = [\"203.0.113.0/28\"]\negress_ip = \"auto\"\negress_echo_url = \"{}/ip\"\n",
        sim.base_url()
    );
    let report = egress_report("sandbox", Some(&sim), &lines, 0);
    assert_eq!(status_of(&report, "egress"), "pass", "{report:#}");
    let ips = egress_ips(&report);
    assert_eq!(ips.len(), 1);
    assert_eq!(ips[0]["ip"], "203.0.113.10");
    assert_eq!(ips[0]["source"], "echo");
    assert_eq!(ips[0]["inside"], "203.0.113.0/28");
    let evidence = &check(&report, "egress")["evidence"];
    assert_eq!(evidence["echo_url"], format!("{}/ip", sim.base_url()));
    assert_eq!(evidence["login"], "accepted from this address");
    assert_eq!(ip_hits(&sim), 1, "one echo request");
}

#[test]
fn egress_auto_with_a_json_echo_inside_the_allowlist_passes() {
    let sim = SimServer::sandbox();
    let lines = format!(
        "egress_allowlist = [\"203.0.113.8/29\"]\negress_ip = \"auto\"\negress_echo_url = \"{}/ip?format=json\"\n",
        sim.base_url()
    );
    let report = egress_report("sandbox", Some(&sim), &lines, 0);
    assert_eq!(status_of(&report, "egress"), "pass", "{report:#}");
    assert_eq!(egress_ips(&report)[0]["ip"], "203.0.113.10");
    assert_eq!(egress_ips(&report)[0]["inside"], "203.0.113.8/29");
    assert_eq!(ip_hits(&sim), 1);
}

#[test]
fn egress_auto_outside_the_allowlist_fails() {
    for echo in ["/ip", "/ip?format=json"] {
        let sim = SimServer::sandbox();
        let lines = format!(
            "egress_allowlist = [\"198.51.100.0/24\", \"203.0.113.0/29\"]\negress_ip = \"auto\"\negress_echo_url = \"{}{echo}\"\n",
            sim.base_url()
        );
        let report = egress_report("sandbox", Some(&sim), &lines, 1);
        assert_eq!(status_of(&report, "egress"), "fail", "{echo}: {report:#}");
        assert_eq!(codes_of(&report, "egress"), ["egress-outside-allowlist"]);
        let f = finding(&report, "egress", "egress-outside-allowlist");
        assert_eq!(f["level"], "fail");
        let message = f["message"].as_str().unwrap();
        assert!(message.contains("203.0.113.10"), "{message}");
        assert_eq!(egress_ips(&report)[0]["inside"], Value::Null);
        // The simulated API itself accepts this address: no egress-ip-forbidden.
        assert_eq!(
            check(&report, "egress")["evidence"]["login"],
            "accepted from this address"
        );
    }
}

#[test]
fn an_ipv6_json_echo_inside_an_ipv6_allowlist_passes() {
    let echo = RawServer::respond("200 OK", "application/json", br#"{"ip":"2001:db8:1::5"}"#);
    let lines = format!(
        "egress_allowlist = [\"2001:db8:1::/48\"]\negress_ip = \"auto\"\negress_echo_url = \"{}/ip\"\n",
        echo.base_url()
    );
    let report = egress_report("sandbox", None, &lines, 0);
    assert_eq!(status_of(&report, "egress"), "pass", "{report:#}");
    let ips = egress_ips(&report);
    assert_eq!(ips[0]["ip"], "2001:db8:1::5");
    assert_eq!(ips[0]["inside"], "2001:db8:1::/48");
    assert_eq!(echo.connections(), 1);
}

#[test]
fn an_ipv6_echo_against_an_ipv4_only_allowlist_is_outside() {
    let echo = RawServer::respond("200 OK", "application/json", br#"{"ip":"2001:db8:1::5"}"#);
    let lines = format!(
        "egress_allowlist = [\"203.0.113.0/28\"]\negress_ip = \"auto\"\negress_echo_url = \"{}/ip\"\n",
        echo.base_url()
    );
    let report = egress_report("sandbox", None, &lines, 1);
    assert_eq!(codes_of(&report, "egress"), ["egress-outside-allowlist"]);
    assert!(
        finding(&report, "egress", "egress-outside-allowlist")["message"]
            .as_str()
            .unwrap()
            .contains("2001:db8:1::5")
    );
}

#[test]
fn an_ipv6_echo_with_the_simulator_api_judges_both() {
    // With credentials the API login is judged as well; the simulator accepts it.
    let sim = SimServer::sandbox();
    let echo = RawServer::respond("200 OK", "application/json", br#"{"ip":"2001:db8:1::5"}"#);
    let lines = format!(
        "egress_allowlist = [\"2001:db8:1::/48\", \"203.0.113.0/28\"]\negress_ip = \"auto\"\negress_echo_url = \"{}/\"\n",
        echo.base_url()
    );
    let report = egress_report("sandbox", Some(&sim), &lines, 0);
    assert_eq!(status_of(&report, "egress"), "pass", "{report:#}");
    assert_eq!(egress_ips(&report)[0]["inside"], "2001:db8:1::/48");
    assert_eq!(
        check(&report, "egress")["evidence"]["login"],
        "accepted from this address"
    );
}

#[test]
fn declared_egress_ips_are_each_judged() {
    let sim = SimServer::sandbox();
    let lines = "egress_allowlist = [\"203.0.113.0/28\"]\negress_ip = [\"203.0.113.5\", \"203.0.113.99\"]\n";
    let report = egress_report("sandbox", Some(&sim), lines, 1);
    assert_eq!(status_of(&report, "egress"), "fail");
    assert_eq!(codes_of(&report, "egress"), ["egress-outside-allowlist"]);
    let message = finding(&report, "egress", "egress-outside-allowlist")["message"]
        .as_str()
        .unwrap();
    assert!(message.contains("203.0.113.99"), "{message}");
    assert!(!message.contains("203.0.113.5 "), "{message}");
    let ips = egress_ips(&report);
    assert_eq!(ips.len(), 2, "{report:#}");
    assert_eq!(ips[0]["ip"], "203.0.113.5");
    assert_eq!(ips[0]["source"], "declared");
    assert_eq!(ips[0]["inside"], "203.0.113.0/28");
    assert_eq!(ips[1]["ip"], "203.0.113.99");
    assert_eq!(ips[1]["source"], "declared");
    assert_eq!(ips[1]["inside"], Value::Null);
    // Declared addresses need no echo service.
    assert_eq!(ip_hits(&sim), 0);
}

#[test]
fn an_html_echo_answer_leaves_the_egress_ip_unknown() {
    let echo = RawServer::respond(
        "200 OK",
        "text/html",
        b"<html><body>Your IP is somewhere</body></html>",
    );
    let sim = SimServer::sandbox();
    let lines = format!(
        "egress_allowlist = [\"203.0.113.0/28\"]\negress_ip = \"auto\"\negress_echo_url = \"{}/\"\n",
        echo.base_url()
    );
    let report = egress_report("sandbox", Some(&sim), &lines, 3);
    assert_eq!(report["verdict"], "inconclusive");
    assert_eq!(status_of(&report, "egress"), "error", "{report:#}");
    assert!(codes_of(&report, "egress").contains(&"egress-ip-unknown".to_string()));
    assert!(egress_ips(&report).is_empty());
    assert_eq!(echo.connections(), 1);
}

#[test]
fn an_echo_service_that_is_down_leaves_the_egress_ip_unknown() {
    let lines = format!(
        "egress_allowlist = [\"203.0.113.0/28\"]\negress_ip = \"auto\"\negress_echo_url = \"http://127.0.0.1:{}/ip\"\n",
        closed_port()
    );
    let report = egress_report("sandbox", None, &lines, 3);
    assert_eq!(status_of(&report, "egress"), "error", "{report:#}");
    assert_eq!(codes_of(&report, "egress"), ["egress-ip-unknown"]);
}

#[test]
fn an_echo_service_answering_an_error_status_leaves_the_egress_ip_unknown() {
    let echo = RawServer::respond("503 Service Unavailable", "text/plain", b"203.0.113.10\n");
    let lines = format!(
        "egress_allowlist = [\"203.0.113.0/28\"]\negress_ip = \"auto\"\negress_echo_url = \"{}/\"\n",
        echo.base_url()
    );
    let report = egress_report("sandbox", None, &lines, 3);
    assert_eq!(codes_of(&report, "egress"), ["egress-ip-unknown"]);
    assert!(
        finding(&report, "egress", "egress-ip-unknown")["message"]
            .as_str()
            .unwrap()
            .contains("503")
    );
}

#[test]
fn a_blocked_ip_is_reported_by_egress_and_credentials_from_one_login() {
    let sim = SimServer::start(Tier::Sandbox, Scenario::BlockedIp);
    let lines = format!(
        "egress_allowlist = [\"203.0.113.0/28\"]\negress_ip = \"auto\"\negress_echo_url = \"{}/ip\"\n",
        sim.base_url()
    );
    let checks =
        format!("[[check]]\nid = \"credentials\"\nkind = \"credentials\"\n\n{EGRESS_CHECK}");
    let dir = tempdir();
    let path = write_manifest(
        dir.path(),
        &env_manifest("sandbox", Some(&sim), &lines, &checks),
    );
    let vars = sim_vars(&sim);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let report = report_with_exit(&path, &[], &vars, 1);
    // Our own allowlist contains the address; the API refuses it anyway.
    assert_eq!(
        codes_of(&report, "egress"),
        ["egress-ip-forbidden"],
        "{report:#}"
    );
    assert_eq!(egress_ips(&report)[0]["inside"], "203.0.113.0/28");
    assert!(codes_of(&report, "credentials").contains(&"ip-forbidden".to_string()));
    assert_eq!(status_of(&report, "egress"), "fail");
    assert_eq!(status_of(&report, "credentials"), "fail");
    assert_eq!(
        sim.stats().by_route.get("POST /auth/login").copied(),
        Some(1),
        "one shared login: {:?}",
        sim.stats()
    );
}

#[test]
fn a_rejected_login_is_not_an_egress_verdict() {
    // 401 (credentials of the other tier) says nothing about the source address.
    let sim = SimServer::start(Tier::Sandbox, Scenario::WrongTier);
    let lines = format!(
        "egress_allowlist = [\"203.0.113.0/28\"]\negress_ip = \"auto\"\negress_echo_url = \"{}/ip\"\n",
        sim.base_url()
    );
    let report = egress_report("sandbox", Some(&sim), &lines, 0);
    assert_eq!(status_of(&report, "egress"), "pass", "{report:#}");
    assert!(codes_of(&report, "egress").is_empty());
    let login = check(&report, "egress")["evidence"]["login"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(login.starts_with("not judged"), "{login}");
}

#[test]
fn an_ipv4_mapped_echo_address_is_judged_as_ipv4() {
    let echo = RawServer::respond("200 OK", "text/plain", b"::ffff:203.0.113.10\n");
    let lines = format!(
        "egress_allowlist = [\"203.0.113.0/28\"]\negress_ip = \"auto\"\negress_echo_url = \"{}/\"\n",
        echo.base_url()
    );
    let report = egress_report("sandbox", None, &lines, 0);
    assert_eq!(status_of(&report, "egress"), "pass", "{report:#}");
    assert_eq!(egress_ips(&report)[0]["inside"], "203.0.113.0/28");
}

#[test]
fn an_ipv4_mapped_allowlist_range_contains_its_ipv4_addresses() {
    let lines = "egress_allowlist = [\"::ffff:203.0.113.0/124\"]\negress_ip = \"203.0.113.10\"\n";
    let report = egress_report("sandbox", None, lines, 0);
    assert_eq!(status_of(&report, "egress"), "pass", "{report:#}");
    assert_eq!(egress_ips(&report)[0]["inside"], "::ffff:203.0.113.0/124");
}

#[test]
fn a_hung_echo_service_leaves_the_egress_ip_unknown_within_the_check_timeout() {
    let echo = RawServer::start(Behaviour::Hang);
    let lines = format!(
        "egress_allowlist = [\"203.0.113.0/28\"]\negress_ip = \"auto\"\negress_echo_url = \"{}/ip\"\n",
        echo.base_url()
    );
    let dir = tempdir();
    let path = write_manifest(
        dir.path(),
        &env_manifest(
            "sandbox",
            None,
            &lines,
            &format!("{EGRESS_CHECK}timeout = \"2s\"\n"),
        ),
    );
    let started = std::time::Instant::now();
    let report = report_with_exit(&path, &[], &[], 3);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(status_of(&report, "egress"), "error", "{report:#}");
    assert_eq!(codes_of(&report, "egress"), ["egress-ip-unknown"]);
}

#[test]
fn a_hung_echo_service_is_reported_as_a_timeout() {
    let echo = RawServer::start(Behaviour::Hang);
    let lines = format!(
        "egress_allowlist = [\"203.0.113.0/28\"]\negress_ip = \"auto\"\negress_echo_url = \"{}/ip\"\n",
        echo.base_url()
    );
    let dir = tempdir();
    let path = write_manifest(
        dir.path(),
        &env_manifest(
            "sandbox",
            None,
            &lines,
            &format!("{EGRESS_CHECK}timeout = \"2s\"\n"),
        ),
    );
    let report = report_with_exit(&path, &[], &[], 3);
    let message = finding(&report, "egress", "egress-ip-unknown")["message"]
        .as_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        message.contains("time") || message.contains("no answer"),
        "the message does not say the echo service did not answer in time: {message}"
    );
}

/// The run's `--timeout`, not the echo service, ended the wait: a run timeout (SPEC 8.1).
#[test]
fn a_hung_echo_service_cut_by_the_run_timeout_is_a_run_timeout() {
    let echo = RawServer::start(Behaviour::Hang);
    let lines = format!(
        "egress_allowlist = [\"203.0.113.0/28\"]\negress_ip = \"auto\"\negress_echo_url = \"{}/ip\"\n",
        echo.base_url()
    );
    let dir = tempdir();
    let path = write_manifest(
        dir.path(),
        &env_manifest(
            "sandbox",
            None,
            &lines,
            &format!("{EGRESS_CHECK}timeout = \"30s\"\n"),
        ),
    );
    let report = report_with_exit(&path, &["--timeout", "1s"], &[], 3);
    assert_eq!(status_of(&report, "egress"), "error", "{report:#}");
    let codes = codes_of(&report, "egress");
    assert!(codes.contains(&"run-timeout".to_string()), "{codes:?}");
    assert!(
        !codes.contains(&"egress-ip-unknown".to_string()),
        "{codes:?}"
    );
}

#[test]
fn a_password_in_the_echo_url_never_appears_in_the_report() {
    let echo = RawServer::respond("200 OK", "text/plain", b"203.0.113.10\n").expect_no_connection();
    let url = echo
        .base_url()
        .replace("http://", "http://user:Hunter2EchoPass@");
    let lines = format!(
        "egress_allowlist = [\"203.0.113.0/28\"]\negress_ip = \"auto\"\negress_echo_url = \"{url}/ip\"\n"
    );
    let dir = tempdir();
    let path = write_manifest(
        dir.path(),
        &env_manifest("sandbox", None, &lines, EGRESS_CHECK),
    );
    let out = check_json(&path, &[], &[]);
    assert!(
        !out.all_output().contains("Hunter2EchoPass"),
        "exit {}: the password is shown:\n{}",
        out.code,
        out.all_output()
    );
}

#[test]
fn a_simulator_env_never_goes_through_a_proxy() {
    // The trap is on loopback, so the test itself stays on this machine; a real
    // corporate proxy would receive the login body over plain HTTP.
    let trap = RawServer::respond("502 Bad Gateway", "text/plain", b"proxy").expect_no_connection();
    let dir = tempdir();
    let path = write_manifest(
        dir.path(),
        &sim_manifest(
            None,
            &format!("{EGRESS_CHECK}\n[[check]]\nid = \"rid\"\nkind = \"request_id\"\n"),
        ),
    );
    let mut cmd = golive();
    trap_proxy(&mut cmd, &trap);
    cmd.args(["check", "-m", p(&path), "--format", "json"]);
    let out = run(&mut cmd);
    assert_eq!(
        trap.connections(),
        0,
        "loopback traffic went to the proxy:\n{}",
        out.stdout
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
}

// Allowlist lints, each with a declared egress address inside the list so that the
// lint is the only finding.

/// The egress check of a `tier` env with `allowlist` and a declared `egress_ip`.
fn lint_report(tier: &str, allowlist: &str, egress_ip: &str, want_exit: i32) -> Value {
    let lines = format!("egress_allowlist = {allowlist}\negress_ip = \"{egress_ip}\"\n");
    egress_report(tier, None, &lines, want_exit)
}

#[test]
fn allowlist_of_everything_fails_as_too_broad() {
    let report = lint_report("sandbox", "[\"0.0.0.0/0\"]", "203.0.113.5", 1);
    assert_eq!(status_of(&report, "egress"), "fail");
    assert_eq!(codes_of(&report, "egress"), ["allowlist-too-broad"]);
    assert_eq!(level_of(&report, "egress", "allowlist-too-broad"), "fail");

    let report = lint_report("production", "[\"::/0\"]", "2001:db8::5", 1);
    assert_eq!(codes_of(&report, "egress"), ["allowlist-too-broad"]);
    assert_eq!(level_of(&report, "egress", "allowlist-too-broad"), "fail");
}

#[test]
fn a_wide_allowlist_range_warns_as_too_broad() {
    let report = lint_report("production", "[\"8.0.0.0/8\"]", "8.8.8.8", 0);
    assert_eq!(status_of(&report, "egress"), "warn");
    assert_eq!(codes_of(&report, "egress"), ["allowlist-too-broad"]);
    assert_eq!(level_of(&report, "egress", "allowlist-too-broad"), "warn");
}

#[test]
fn a_private_allowlist_range_warns() {
    let report = lint_report("production", "[\"10.0.0.0/8\"]", "10.1.2.3", 0);
    assert_eq!(status_of(&report, "egress"), "warn", "{report:#}");
    let codes = codes_of(&report, "egress");
    assert!(
        codes.contains(&"allowlist-private-range".to_string()),
        "{codes:?}"
    );
    assert_eq!(
        level_of(&report, "egress", "allowlist-private-range"),
        "warn"
    );
    // A /8 is also wider than /16.
    assert_eq!(level_of(&report, "egress", "allowlist-too-broad"), "warn");

    let report = lint_report("production", "[\"10.20.30.0/24\"]", "10.20.30.4", 0);
    assert_eq!(codes_of(&report, "egress"), ["allowlist-private-range"]);
}

#[test]
fn a_unique_local_ipv6_allowlist_range_warns() {
    let report = lint_report("production", "[\"fd00::/64\"]", "fd00::1", 0);
    assert_eq!(status_of(&report, "egress"), "warn");
    assert_eq!(codes_of(&report, "egress"), ["allowlist-private-range"]);
    assert_eq!(
        level_of(&report, "egress", "allowlist-private-range"),
        "warn"
    );
}

#[test]
fn documentation_ranges_count_as_public() {
    let report = lint_report(
        "production",
        "[\"203.0.113.0/28\", \"198.51.100.0/24\", \"2001:db8:1::/48\"]",
        "203.0.113.5",
        0,
    );
    assert_eq!(status_of(&report, "egress"), "pass", "{report:#}");
    assert!(codes_of(&report, "egress").is_empty(), "{report:#}");
}

#[test]
fn an_allowlist_range_with_host_bits_warns() {
    let report = lint_report("sandbox", "[\"203.0.113.5/24\"]", "203.0.113.5", 0);
    assert_eq!(status_of(&report, "egress"), "warn");
    assert_eq!(codes_of(&report, "egress"), ["allowlist-host-bits"]);
    assert_eq!(level_of(&report, "egress", "allowlist-host-bits"), "warn");
    let message = finding(&report, "egress", "allowlist-host-bits")["message"]
        .as_str()
        .unwrap();
    assert!(message.contains("203.0.113.0/24"), "{message}");
}

#[test]
fn overlapping_allowlist_ranges_are_info() {
    let report = lint_report(
        "production",
        "[\"203.0.113.0/24\", \"203.0.113.0/28\"]",
        "203.0.113.5",
        0,
    );
    assert_eq!(status_of(&report, "egress"), "pass", "{report:#}");
    assert_eq!(codes_of(&report, "egress"), ["allowlist-overlap"]);
    assert_eq!(level_of(&report, "egress", "allowlist-overlap"), "info");
}

#[test]
fn an_empty_allowlist_warns_for_production_and_is_info_for_sandbox() {
    let report = egress_report("production", None, "egress_allowlist = []\n", 0);
    assert_eq!(status_of(&report, "egress"), "warn", "{report:#}");
    assert_eq!(codes_of(&report, "egress"), ["allowlist-empty"]);
    assert_eq!(level_of(&report, "egress", "allowlist-empty"), "warn");

    let report = egress_report("sandbox", None, "egress_allowlist = []\n", 0);
    assert_eq!(status_of(&report, "egress"), "pass", "{report:#}");
    assert_eq!(codes_of(&report, "egress"), ["allowlist-empty"]);
    assert_eq!(level_of(&report, "egress", "allowlist-empty"), "info");
}

#[test]
fn an_empty_production_allowlist_blocks_under_strict() {
    let dir = tempdir();
    let path = write_manifest(
        dir.path(),
        &env_manifest("production", None, "egress_allowlist = []\n", EGRESS_CHECK),
    );
    let report = report_with_exit(&path, &["--strict"], &[], 1);
    assert_eq!(status_of(&report, "egress"), "warn");
    assert_eq!(check(&report, "egress")["blocking"], true);
}

// ---------------------------------------------------------------------------------
// Allowlist without an egress address: the API's answer to the login is the evidence.

#[test]
fn an_allowlist_without_egress_ip_is_judged_by_the_accepted_login() {
    let sim = SimServer::start(Tier::Sandbox, Scenario::Healthy);
    let report = egress_report(
        "sandbox",
        Some(&sim),
        "egress_allowlist = [\"203.0.113.0/28\"]\n",
        0,
    );
    assert_eq!(status_of(&report, "egress"), "pass", "{report:#}");
    assert_eq!(
        check(&report, "egress")["evidence"]["login"],
        "accepted from this address"
    );
    assert_eq!(
        ip_hits(&sim),
        0,
        "no echo service was configured, none may be asked"
    );
}

#[test]
fn an_allowlist_without_egress_ip_and_a_refused_login_fails() {
    let sim = SimServer::start(Tier::Sandbox, Scenario::BlockedIp);
    let report = egress_report(
        "sandbox",
        Some(&sim),
        "egress_allowlist = [\"203.0.113.0/28\"]\n",
        1,
    );
    assert!(
        codes_of(&report, "egress").contains(&"egress-ip-forbidden".to_string()),
        "{report:#}"
    );
}

#[test]
fn an_allowlist_without_egress_ip_or_credentials_is_unknown() {
    // No credentials: nothing can ask the API, and nothing says which address leaves.
    let report = egress_report(
        "sandbox",
        None,
        "egress_allowlist = [\"203.0.113.0/28\"]\n",
        3,
    );
    assert_eq!(status_of(&report, "egress"), "error", "{report:#}");
    assert!(codes_of(&report, "egress").contains(&"egress-ip-unknown".to_string()));
}

// ---------------------------------------------------------------------------------
// An env's ca_file applies to the egress echo service too (SPEC 8.7)

/// An HTTPS echo service on 127.0.0.1 that answers `203.0.113.10` with `cert`.
struct TlsEcho {
    port: u16,
    hits: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

impl TlsEcho {
    fn start(cert: &ServerCert) -> TlsEcho {
        let runtime = server_runtime(1);
        let hits = Arc::new(AtomicUsize::new(0));
        let served = hits.clone();
        let app = axum::Router::new().fallback(move || {
            served.fetch_add(1, Ordering::SeqCst);
            async { ([("content-type", "text/plain")], "203.0.113.10\n") }
        });
        let (addr, _, _) = runtime.block_on(serve_app_tls(app, cert));
        TlsEcho {
            port: addr.port(),
            hits,
            _runtime: runtime,
        }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// The egress check of a sandbox env whose echo service is `echo`, with the env's
/// `ca_file` set to `ca_file` when given.
fn egress_with_tls_echo(echo: &TlsEcho, ca_file: Option<&Path>, want_exit: i32) -> Value {
    let ca_line = ca_file
        .map(|p| format!("ca_file = {:?}\n", p.display().to_string()))
        .unwrap_or_default();
    let lines = format!(
        "egress_allowlist = [\"203.0.113.0/28\"]\negress_ip = \"auto\"\negress_echo_url = \"https://127.0.0.1:{}/ip\"\n{ca_line}",
        echo.port
    );
    egress_report("sandbox", None, &lines, want_exit)
}

#[test]
fn the_env_ca_file_is_trusted_by_the_egress_echo_client() {
    let ca = TestCa::new();
    let echo = TlsEcho::start(&ca.leaf(LOOPBACK_SANS, -1, 365));
    let dir = tempdir();
    let ca_path = dir.path().join("private-ca.pem");
    std::fs::write(&ca_path, &ca.pem).unwrap();

    let report = egress_with_tls_echo(&echo, Some(&ca_path), 0);
    assert_eq!(status_of(&report, "egress"), "pass", "{report:#}");
    let ips = egress_ips(&report);
    assert_eq!(ips.len(), 1, "{report:#}");
    assert_eq!(ips[0]["ip"], "203.0.113.10");
    assert_eq!(ips[0]["source"], "echo");
    assert_eq!(echo.hits(), 1);
}

#[test]
fn without_the_ca_file_the_private_echo_certificate_is_untrusted() {
    let ca = TestCa::new();
    let echo = TlsEcho::start(&ca.leaf(LOOPBACK_SANS, -1, 365));
    let report = egress_with_tls_echo(&echo, None, 3);
    assert_eq!(status_of(&report, "egress"), "error", "{report:#}");
    assert_eq!(codes_of(&report, "egress"), ["egress-ip-unknown"]);
    let message = finding(&report, "egress", "egress-ip-unknown")["message"]
        .as_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        message.contains("certificate") || message.contains("issuer"),
        "{message}"
    );
    assert!(egress_ips(&report).is_empty());
    // No request got through the handshake.
    assert_eq!(echo.hits(), 0);
}
