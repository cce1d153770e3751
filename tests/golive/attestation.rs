//! The `attestation` check, end to end through the real binary: evidence, sign-off
//! and the age of the attestation, at the boundary days.

use jiff::ToSpan;

use crate::support::*;
use serde_json::Value;

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
