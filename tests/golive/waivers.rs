//! Waivers at their boundary day, end to end through the real binary: a waiver
//! applies through the day it expires (in UTC, whatever the local time zone), an
//! expired one no longer applies and says so, and a waiver naming an unknown check or
//! no owner is a manifest error.

use jiff::ToSpan;

use crate::support::*;
use serde_json::Value;

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
