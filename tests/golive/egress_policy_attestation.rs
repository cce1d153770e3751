//! End to end through the real binary: the `egress`, `request_id`,
//! `retry_policy` and `attestation` checks, waivers at their boundary day, and
//! `golive init`.
//!
//! Every connection goes to loopback: the simulator, raw servers and closed ports.
//! Documentation addresses (203.0.113.x, 198.51.100.x, 2001:db8::) appear only as
//! strings in manifests and in what the simulator or an echo server answers.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::support::webhook::{LOOPBACK_SANS, ServerCert, TestCa};
use crate::support::*;
use golive::sim::Scenario;
use golive::tier::Tier;
use jiff::ToSpan;
use serde_json::Value;

// ---------------------------------------------------------------------------------
// Helpers

/// Today's date, UTC, as golive computes it.
fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
}

/// `golive check -m PATH --format json ARGS...`, with extra environment variables.
fn check_json(manifest: &Path, args: &[&str], vars: &[(&str, &str)]) -> Run {
    let mut cmd = golive();
    cmd.args(["check", "-m", p(manifest), "--format", "json"])
        .args(args);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

/// Runs `check_json` and returns the report, after checking it is consistent with the
/// exit code and that the exit code is `want`.
fn report_with_exit(manifest: &Path, args: &[&str], vars: &[(&str, &str)], want: i32) -> Value {
    let out = check_json(manifest, args, vars);
    assert_eq!(
        out.code, want,
        "exit code\nstdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
    let report = out.json();
    assert_consistent(&report, out.code);
    report
}

/// The finding of check `id` with `code` (the first one).
fn finding<'a>(report: &'a Value, id: &str, code: &str) -> &'a Value {
    check(report, id)["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no finding `{code}` in `{id}`:\n{report:#}"))
}

/// The level of the finding `code` of check `id`.
fn level_of<'a>(report: &'a Value, id: &str, code: &str) -> &'a str {
    finding(report, id, code)["level"]
        .as_str()
        .expect("level is a string")
}

/// A one-check manifest whose env `e` has `tier` and the given extra lines; with
/// `sim`, its base URL and credentials (from `SIM_KEY`/`SIM_SECRET`) are the
/// simulator's, otherwise it has no credentials and a base URL nothing listens on, so
/// that nothing is ever sent anywhere.
fn env_manifest(tier: &str, sim: Option<&SimServer>, env_lines: &str, checks: &str) -> String {
    let api = match sim {
        Some(s) => format!(
            "base_url = \"{}\"\napi_key = {{ env = \"SIM_KEY\" }}\napi_secret = {{ env = \"SIM_SECRET\" }}\n",
            s.base_url()
        ),
        None => format!("base_url = \"http://127.0.0.1:{}\"\n", closed_port()),
    };
    format!(
        "version = 1\ndefault_env = \"e\"\n\n[env.e]\ntier = \"{tier}\"\n{api}{env_lines}\n\n{checks}"
    )
}

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
    let echo = RawServer::respond("200 OK", "text/plain", b"203.0.113.10\n");
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
    let trap = RawServer::respond("502 Bad Gateway", "text/plain", b"proxy");
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
// 3. request_id

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

// ---------------------------------------------------------------------------------
// 4. retry_policy

const POLICY_CHECK: &str = "[[check]]\nid = \"client-policy\"\nkind = \"retry_policy\"\n";

#[test]
fn the_repository_client_table_passes() {
    let mut cmd = golive();
    cmd.current_dir(crate_root()).args([
        "check",
        "-m",
        "checks.toml",
        "--only",
        "client-policy",
        "--format",
        "json",
    ]);
    let out = run(&mut cmd);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = out.json();
    assert_consistent(&report, 0);
    assert_eq!(status_of(&report, "client-policy"), "pass", "{report:#}");
    assert!(codes_of(&report, "client-policy").is_empty());
    assert_eq!(
        check(&report, "client-policy")["summary"],
        "the declared client follows the go-live checklist"
    );
}

#[test]
fn a_manifest_without_a_client_table_warns() {
    let dir = tempdir();
    let path = write_manifest(dir.path(), &env_manifest("sandbox", None, "", POLICY_CHECK));
    let report = report_with_exit(&path, &[], &[], 0);
    assert_eq!(status_of(&report, "client-policy"), "warn");
    assert_eq!(
        codes_of(&report, "client-policy"),
        ["client-config-missing"]
    );
    assert_eq!(
        level_of(&report, "client-policy", "client-config-missing"),
        "warn"
    );
}

#[test]
fn a_bad_client_table_has_every_expected_code() {
    let client = r#"[client]
request_timeout = "5s"
max_attempts = 50
backoff_initial = "10ms"
backoff_max = "10s"
retry_statuses = [400, 401, 500]
honours_retry_after = false
uses_client_reference = false
logs_request_id = false
"#;
    let dir = tempdir();
    let path = write_manifest(
        dir.path(),
        &env_manifest("sandbox", None, "", &format!("{client}\n{POLICY_CHECK}")),
    );
    let report = report_with_exit(&path, &[], &[], 1);
    assert_eq!(status_of(&report, "client-policy"), "fail");
    let mut got: Vec<(String, String)> = check(&report, "client-policy")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["level"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let mut want: Vec<(String, String)> = [
        ("attempts-unbounded", "warn"),
        ("backoff-out-of-range", "warn"),
        ("client-reference-unused", "fail"),
        ("no-retry-on-429", "fail"),
        ("no-retry-on-5xx", "warn"),
        ("request-id-not-logged", "warn"),
        ("retries-non-retryable-4xx", "fail"),
        ("retries-non-retryable-4xx", "warn"),
        ("retry-after-ignored", "fail"),
        ("timeout-missing", "fail"),
        ("timeout-out-of-range", "warn"),
    ]
    .iter()
    .map(|(c, l)| (c.to_string(), l.to_string()))
    .collect();
    want.sort();
    assert_eq!(got, want, "{report:#}");
}

#[test]
fn an_esim_client_needs_a_request_timeout_above_a_minute() {
    let client = |timeout: &str| {
        format!(
            r#"[client]
connect_timeout = "5s"
request_timeout = "{timeout}"
max_attempts = 5
backoff_initial = "200ms"
backoff_max = "10s"
retry_statuses = [429, 500, 502, 503, 504]
honours_retry_after = true
uses_client_reference = true
logs_request_id = true
uses_esim = true
"#
        )
    };
    let dir = tempdir();
    let path = write_manifest(
        dir.path(),
        &env_manifest(
            "sandbox",
            None,
            "",
            &format!("{}\n{POLICY_CHECK}", client("30s")),
        ),
    );
    let report = report_with_exit(&path, &[], &[], 0);
    assert_eq!(codes_of(&report, "client-policy"), ["timeout-out-of-range"]);

    let path = write_manifest(
        dir.path(),
        &env_manifest(
            "sandbox",
            None,
            "",
            &format!("{}\n{POLICY_CHECK}", client("90s")),
        ),
    );
    let report = report_with_exit(&path, &[], &[], 0);
    assert_eq!(status_of(&report, "client-policy"), "pass", "{report:#}");
}

// ---------------------------------------------------------------------------------
// 5. attestation

/// An attestation check `kyc` with these lines.
fn attestation_manifest(lines: &str) -> String {
    env_manifest(
        "production",
        None,
        "",
        &format!(
            "[[check]]\nid = \"kyc\"\nkind = \"attestation\"\ntitle = \"KYC/KYB approved\"\n{lines}"
        ),
    )
}

fn attestation_report(lines: &str, want_exit: i32) -> Value {
    let dir = tempdir();
    let path = write_manifest(dir.path(), &attestation_manifest(lines));
    report_with_exit(&path, &[], &[], want_exit)
}

const SIGNED: &str =
    "evidence = \"https://tracker.example.com/ONB-42\"\nsigned_off_by = \"ops@example.com\"\n";

#[test]
fn a_complete_fresh_attestation_passes() {
    let date = today().checked_sub(3.days()).unwrap();
    let report = attestation_report(&format!("{SIGNED}date = {date}\nmax_age = \"30d\"\n"), 0);
    assert_eq!(status_of(&report, "kyc"), "pass", "{report:#}");
    assert!(codes_of(&report, "kyc").is_empty());
    let c = check(&report, "kyc");
    assert_eq!(c["title"], "KYC/KYB approved");
    assert_eq!(c["evidence"]["age_days"], 3);
    assert_eq!(c["evidence"]["date"], date.to_string());
    assert_eq!(c["evidence"]["signed_off_by"], "ops@example.com");
    assert_eq!(
        c["summary"],
        format!("signed off by ops@example.com on {date}")
    );
}

#[test]
fn an_attestation_signed_today_passes() {
    let report = attestation_report(&format!("{SIGNED}date = {}\n", today()), 0);
    assert_eq!(status_of(&report, "kyc"), "pass", "{report:#}");
    assert_eq!(check(&report, "kyc")["evidence"]["age_days"], 0);
}

#[test]
fn an_attestation_with_empty_evidence_is_missing() {
    let date = today().checked_sub(1.days()).unwrap();
    let report = attestation_report(
        &format!("evidence = \"\"\nsigned_off_by = \"ops@example.com\"\ndate = {date}\n"),
        1,
    );
    assert_eq!(status_of(&report, "kyc"), "fail");
    assert_eq!(codes_of(&report, "kyc"), ["attestation-missing"]);
    assert_eq!(level_of(&report, "kyc", "attestation-missing"), "fail");
    assert!(
        finding(&report, "kyc", "attestation-missing")["message"]
            .as_str()
            .unwrap()
            .contains("evidence")
    );
}

#[test]
fn an_attestation_with_nothing_signed_is_missing() {
    let report = attestation_report("", 1);
    assert_eq!(codes_of(&report, "kyc"), ["attestation-missing"]);
    let message = finding(&report, "kyc", "attestation-missing")["message"]
        .as_str()
        .unwrap();
    for field in ["evidence", "signed_off_by", "date"] {
        assert!(message.contains(field), "{message}");
    }
}

#[test]
fn an_attestation_older_than_max_age_is_stale() {
    let date = today().checked_sub(60.days()).unwrap();
    let report = attestation_report(&format!("{SIGNED}date = {date}\nmax_age = \"30d\"\n"), 0);
    assert_eq!(status_of(&report, "kyc"), "warn", "{report:#}");
    assert_eq!(codes_of(&report, "kyc"), ["attestation-stale"]);
    assert_eq!(level_of(&report, "kyc", "attestation-stale"), "warn");
    assert_eq!(check(&report, "kyc")["evidence"]["age_days"], 60);
}

#[test]
fn an_attestation_exactly_max_age_old_is_fresh() {
    let date = today().checked_sub(30.days()).unwrap();
    let report = attestation_report(&format!("{SIGNED}date = {date}\nmax_age = \"30d\"\n"), 0);
    assert_eq!(status_of(&report, "kyc"), "pass", "{report:#}");
    let date = today().checked_sub(31.days()).unwrap();
    let report = attestation_report(&format!("{SIGNED}date = {date}\nmax_age = \"30d\"\n"), 0);
    assert_eq!(codes_of(&report, "kyc"), ["attestation-stale"]);
}

#[test]
fn an_attestation_dated_in_the_future_fails() {
    let date = today().checked_add(1.days()).unwrap();
    let report = attestation_report(&format!("{SIGNED}date = {date}\n"), 1);
    assert_eq!(status_of(&report, "kyc"), "fail", "{report:#}");
    assert_eq!(codes_of(&report, "kyc"), ["attestation-missing"]);
    assert!(
        finding(&report, "kyc", "attestation-missing")["message"]
            .as_str()
            .unwrap()
            .contains("future")
    );
}

#[test]
fn an_attestation_date_may_be_a_string() {
    let date = today().checked_sub(2.days()).unwrap();
    let report = attestation_report(&format!("{SIGNED}date = \"{date}\"\n"), 0);
    assert_eq!(status_of(&report, "kyc"), "pass", "{report:#}");
}

// ---------------------------------------------------------------------------------
// 6. waivers at the boundary day

/// A low-balance simulator env with a wallet check that fails, and `waiver` (TOML).
fn waived_wallet_manifest(waiver: &str) -> String {
    sim_manifest(
        Some("low-balance"),
        &format!(
            "[[check]]\nid = \"wallet-usd\"\nkind = \"wallet\"\ncurrency = \"USD\"\nmin_balance = 1000000.0\n\n{waiver}"
        ),
    )
}

fn waiver(expires: jiff::civil::Date) -> String {
    format!(
        "[[waiver]]\ncheck = \"wallet-usd\"\nreason = \"top-up wire sent, clears Monday\"\nowner = \"finance@example.com\"\nexpires = {expires}\n"
    )
}

#[test]
fn without_a_waiver_the_low_balance_wallet_fails() {
    let dir = tempdir();
    let path = write_manifest(dir.path(), &waived_wallet_manifest(""));
    let report = report_with_exit(&path, &[], &[], 1);
    assert_eq!(status_of(&report, "wallet-usd"), "fail");
    assert!(codes_of(&report, "wallet-usd").contains(&"balance-below-minimum".to_string()));
    assert_eq!(check(&report, "wallet-usd")["waiver"], Value::Null);
}

#[test]
fn a_waiver_expiring_today_still_applies() {
    let dir = tempdir();
    let path = write_manifest(dir.path(), &waived_wallet_manifest(&waiver(today())));
    let report = report_with_exit(&path, &[], &[], 0);
    assert_eq!(report["verdict"], "ready");
    let c = check(&report, "wallet-usd");
    assert_eq!(c["status"], "waived", "{report:#}");
    assert_eq!(c["blocking"], false);
    assert_eq!(c["waiver"]["expired"], false);
    assert_eq!(c["waiver"]["expires"], today().to_string());
    assert_eq!(c["waiver"]["owner"], "finance@example.com");
    assert_eq!(c["waiver"]["reason"], "top-up wire sent, clears Monday");
    assert_eq!(report["summary"]["waived"], 1);
    assert_valid(&report_schema(), &report);
    // The failing finding is still shown; nothing says the waiver expired.
    let codes = codes_of(&report, "wallet-usd");
    assert!(
        codes.contains(&"balance-below-minimum".to_string()),
        "{codes:?}"
    );
    assert!(!codes.contains(&"waiver-expired".to_string()), "{codes:?}");

    // The human report's verdict line says so.
    let out = run(golive().args(["check", "-m", p(&path)]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let verdict = out
        .stdout
        .lines()
        .find(|l| l.starts_with("READY") || l.starts_with("NOT READY"))
        .unwrap_or_else(|| panic!("no verdict line:\n{}", out.stdout));
    assert!(verdict.starts_with("READY"), "{verdict}");
    assert!(verdict.contains("waived"), "{verdict}");
    assert!(
        out.stdout.contains("finance@example.com"),
        "the waiver's owner is shown:\n{}",
        out.stdout
    );
}

#[test]
fn a_waiver_that_expired_yesterday_no_longer_applies() {
    let yesterday = today().checked_sub(1.days()).unwrap();
    let dir = tempdir();
    let path = write_manifest(dir.path(), &waived_wallet_manifest(&waiver(yesterday)));
    let report = report_with_exit(&path, &[], &[], 1);
    let c = check(&report, "wallet-usd");
    assert_eq!(c["status"], "fail", "{report:#}");
    assert_eq!(c["blocking"], true);
    assert_eq!(c["waiver"]["expired"], true);
    assert_eq!(c["waiver"]["expires"], yesterday.to_string());
    let codes = codes_of(&report, "wallet-usd");
    assert!(codes.contains(&"waiver-expired".to_string()), "{codes:?}");
    assert!(codes.contains(&"balance-below-minimum".to_string()));
    assert_eq!(level_of(&report, "wallet-usd", "waiver-expired"), "warn");
    let message = finding(&report, "wallet-usd", "waiver-expired")["message"]
        .as_str()
        .unwrap();
    assert!(message.contains(&yesterday.to_string()), "{message}");
    assert_eq!(report["summary"]["waived"], 0);
    assert_valid(&report_schema(), &report);
}

#[test]
fn a_waiver_expiring_tomorrow_applies() {
    let tomorrow = today().checked_add(1.days()).unwrap();
    let dir = tempdir();
    let path = write_manifest(dir.path(), &waived_wallet_manifest(&waiver(tomorrow)));
    let report = report_with_exit(&path, &[], &[], 0);
    assert_eq!(status_of(&report, "wallet-usd"), "waived");
}

#[test]
fn an_expired_waiver_on_a_passing_check_warns() {
    let yesterday = today().checked_sub(1.days()).unwrap();
    let dir = tempdir();
    let manifest = sim_manifest(
        None,
        &format!(
            "[[check]]\nid = \"wallet-usd\"\nkind = \"wallet\"\ncurrency = \"USD\"\nmin_balance = 1.0\n\n{}",
            waiver(yesterday)
        ),
    );
    let path = write_manifest(dir.path(), &manifest);
    let report = report_with_exit(&path, &[], &[], 0);
    assert_eq!(status_of(&report, "wallet-usd"), "warn", "{report:#}");
    assert!(codes_of(&report, "wallet-usd").contains(&"waiver-expired".to_string()));
}

#[test]
fn waiver_expiry_is_judged_in_utc_whatever_the_local_time_zone() {
    let yesterday = today().checked_sub(1.days()).unwrap();
    let dir = tempdir();
    let active = write_manifest(dir.path(), &waived_wallet_manifest(&waiver(today())));
    let other = tempdir();
    let expired = write_manifest(other.path(), &waived_wallet_manifest(&waiver(yesterday)));
    // The two time zones furthest from UTC: one is a calendar day ahead of UTC for
    // part of the day, the other a day behind for another part.
    for tz in [
        "Pacific/Kiritimati",
        "Pacific/Pago_Pago",
        "Etc/GMT-14",
        "Etc/GMT+12",
        "LINT-14",
        "SST+11",
    ] {
        let mut cmd = golive();
        cmd.env("TZ", tz)
            .args(["check", "-m", p(&active), "--format", "json"]);
        let out = run(&mut cmd);
        assert_eq!(out.code, 0, "TZ={tz}: {}", out.stderr);
        assert_eq!(status_of(&out.json(), "wallet-usd"), "waived", "TZ={tz}");

        let mut cmd = golive();
        cmd.env("TZ", tz)
            .args(["check", "-m", p(&expired), "--format", "json"]);
        let out = run(&mut cmd);
        assert_eq!(out.code, 1, "TZ={tz}: {}", out.stderr);
        assert_eq!(
            check(&out.json(), "wallet-usd")["waiver"]["expired"],
            true,
            "TZ={tz}"
        );
    }
}

#[test]
fn a_waiver_covers_a_warning_that_blocks_under_strict() {
    let dir = tempdir();
    let manifest = sim_manifest(
        None,
        &format!(
            "[[check]]\nid = \"wallet-usd\"\nkind = \"wallet\"\ncurrency = \"USD\"\nmin_balance = 1.0\nwarn_balance = 1000000000.0\n\n{}",
            waiver(today())
        ),
    );
    let path = write_manifest(dir.path(), &manifest);
    let report = report_with_exit(&path, &[], &[], 0);
    assert_eq!(
        status_of(&report, "wallet-usd"),
        "warn",
        "not blocking: nothing to waive"
    );
    assert_eq!(check(&report, "wallet-usd")["waiver"]["expired"], false);
    let report = report_with_exit(&path, &["--strict"], &[], 0);
    assert_eq!(status_of(&report, "wallet-usd"), "waived", "{report:#}");
}

#[test]
fn no_waivers_shows_the_raw_result() {
    let dir = tempdir();
    let path = write_manifest(dir.path(), &waived_wallet_manifest(&waiver(today())));
    let report = report_with_exit(&path, &["--no-waivers"], &[], 1);
    let c = check(&report, "wallet-usd");
    assert_eq!(c["status"], "fail", "{report:#}");
    assert_eq!(c["blocking"], true);
    assert_eq!(c["waiver"], Value::Null);
    assert!(!codes_of(&report, "wallet-usd").contains(&"waiver-expired".to_string()));
}

#[test]
fn a_waiver_naming_an_unknown_check_is_a_manifest_error() {
    let dir = tempdir();
    let bad = waiver(today()).replace("check = \"wallet-usd\"", "check = \"wallet-eur\"");
    let path = write_manifest(dir.path(), &waived_wallet_manifest(&bad));
    let out = check_json(&path, &[], &[]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "stdout: {}", out.stdout);
    assert!(
        out.stderr.contains("unknown check `wallet-eur`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("checks.toml:"), "{}", out.stderr);
    let v = run(golive().args(["validate", "-m", p(&path)]));
    assert_eq!(v.code, 2, "{}", v.stderr);
}

#[test]
fn a_waiver_without_an_owner_is_a_manifest_error() {
    let dir = tempdir();
    let bad = waiver(today()).replace("owner = \"finance@example.com\"\n", "");
    let path = write_manifest(dir.path(), &waived_wallet_manifest(&bad));
    let out = check_json(&path, &[], &[]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "stdout: {}", out.stdout);
    assert!(
        out.stderr.contains("missing required key `owner`"),
        "{}",
        out.stderr
    );
}

// ---------------------------------------------------------------------------------
// 7. golive init

/// `golive ARGS...` run in `dir`.
fn in_dir(dir: &Path, args: &[&str]) -> Run {
    let mut cmd = golive();
    cmd.current_dir(dir).args(args);
    run(&mut cmd)
}

#[test]
fn init_writes_a_starter_that_validates_and_runs_the_demo() {
    let dir = tempdir();
    let out = in_dir(dir.path(), &["init"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let path = dir.path().join("checks.toml");
    let written = std::fs::read_to_string(&path).expect("checks.toml written");
    assert!(written.contains("version = 1"));
    assert!(written.contains("[env.demo]"));
    assert!(out.stdout.contains("wrote checks.toml"), "{}", out.stdout);

    let v = in_dir(dir.path(), &["validate"]);
    assert_eq!(v.code, 0, "{}", v.stderr);
    assert!(v.stdout.contains("valid"), "{}", v.stdout);

    let c = in_dir(dir.path(), &["check", "-e", "demo", "--format", "json"]);
    assert_eq!(c.code, 0, "{}\n{}", c.stdout, c.stderr);
    let report = c.json();
    assert_consistent(&report, 0);
    assert_eq!(report["verdict"], "ready");
    assert_eq!(report["environment"]["name"], "demo");
    for id in [
        "kyc",
        "wallet-funded",
        "webhook-registered",
        "allowlist-submitted",
        "prod-credentials-stored",
    ] {
        assert_eq!(status_of(&report, id), "skip", "{id}");
    }
    for id in [
        "credentials",
        "wallet-usd",
        "webhook",
        "egress",
        "request-id",
        "client-policy",
    ] {
        assert_eq!(status_of(&report, id), "pass", "{id}: {report:#}");
    }
    assert_valid(&report_schema(), &report);
}

#[test]
fn init_never_overwrites_without_force() {
    let dir = tempdir();
    let path = dir.path().join("checks.toml");
    std::fs::write(&path, "# my own manifest\n").unwrap();
    let out = in_dir(dir.path(), &["init"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.contains("--force"), "{}", out.stderr);
    assert!(out.stderr.contains("already exists"), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "# my own manifest\n"
    );

    let out = in_dir(dir.path(), &["init", "--force"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.contains("[env.demo]"), "{written}");
    assert!(!written.contains("my own manifest"));
}

#[test]
fn a_second_init_leaves_the_first_untouched() {
    let dir = tempdir();
    assert_eq!(in_dir(dir.path(), &["init"]).code, 0);
    let path = dir.path().join("checks.toml");
    let first = std::fs::read(&path).unwrap();
    let out = in_dir(dir.path(), &["init"]);
    assert_eq!(out.code, 2);
    assert_eq!(std::fs::read(&path).unwrap(), first);
}

#[test]
fn init_writes_to_another_path() {
    let dir = tempdir();
    let out = in_dir(dir.path(), &["init", "--path", "other.toml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("other.toml"), "{}", out.stdout);
    assert!(dir.path().join("other.toml").is_file());
    assert!(
        !dir.path().join("checks.toml").exists(),
        "only --path is written"
    );
    let v = in_dir(dir.path(), &["validate", "-m", "other.toml"]);
    assert_eq!(v.code, 0, "{}", v.stderr);
    // Existing file at --path: refused too.
    let again = in_dir(dir.path(), &["init", "--path", "other.toml"]);
    assert_eq!(again.code, 2);
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
// Several envs: one with nothing selected is reported, not fatal.

#[test]
fn a_multi_env_run_reports_an_env_with_nothing_selected() {
    let dir = tempdir();
    let path = write_manifest(
        dir.path(),
        "version = 1\n\n[env.a]\ntier = \"sandbox\"\nsimulator = true\n\n[env.b]\ntier = \"sandbox\"\nsimulator = true\n\n\
         [[check]]\nid = \"credentials\"\nkind = \"credentials\"\nenvs = [\"a\"]\n",
    );
    let out = run(golive().args(["check", "-m", p(&path), "--all-envs", "--format", "json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = out.json();
    assert_eq!(report["reports"][1]["environment"]["name"], "b");
    assert_eq!(report["reports"][1]["summary"]["skip"], 1);
    // One env alone with nothing to run is still refused: it would say ready for nothing.
    let out = run(golive().args(["check", "-m", p(&path), "-e", "b"]));
    assert_eq!(out.code, 2, "{}", out.stdout);
}

// ---------------------------------------------------------------------------------
// An env's ca_file applies to the egress echo service too (SPEC 8.7)

/// An HTTPS echo service on 127.0.0.1 that answers `203.0.113.10` with `cert`.
struct TlsEcho {
    port: u16,
    hits: Arc<std::sync::atomic::AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

impl TlsEcho {
    fn start(cert: &ServerCert) -> TlsEcho {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(cert.chain.clone(), cert.key())
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let served = hits.clone();
        runtime.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let served = served.clone();
                tokio::spawn(async move {
                    let accepted =
                        tokio::time::timeout(Duration::from_secs(5), acceptor.accept(tcp)).await;
                    let Ok(Ok(mut tls)) = accepted else {
                        return;
                    };
                    let mut head = Vec::new();
                    let mut chunk = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&chunk[..n]),
                        }
                    }
                    served.fetch_add(1, Ordering::SeqCst);
                    let body = "203.0.113.10\n";
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = tls.write_all(answer.as_bytes()).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        TlsEcho {
            port,
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
