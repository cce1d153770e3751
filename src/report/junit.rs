//! The JUnit XML report (`--format junit`, `--report-junit PATH`), for CI
//! systems that chart test results (GitLab, Jenkins, Azure DevOps, CircleCI,
//! GitHub test reporters).
//!
//! # Format
//!
//! ```xml
//! <?xml version="1.0" encoding="UTF-8"?>
//! <testsuites name="golive" tests="7" skipped="2" failures="2" errors="1" time="10.312">
//!     <testsuite name="golive production" tests="7" skipped="2" errors="1" failures="2" timestamp="2026-11-29T02:00:00.000+00:00" time="10.312">
//!         <properties>
//!             <property name="env" value="production"/>
//!             <property name="verdict" value="not_ready"/>
//!             ...
//!         </properties>
//!         <testcase name="webhook" classname="golive.production.webhook" time="1.240">
//!             <failure message="endpoint accepted a delivery with a bad signature" type="bad-signature-accepted">fail bad-signature-accepted: https://hooks.example.com/octopus answered 200 ...
//!   fix: verify X-Signature with HMAC-SHA256 over the raw body and reject mismatches
//!   docs: https://octopus-docs.pages.dev/docs/reference/webhooks/verification
//! ...</failure>
//!         </testcase>
//!     </testsuite>
//! </testsuites>
//! ```
//!
//! - The root `<testsuites name="golive">` holds one `<testsuite>` per
//!   environment, named `golive <env>` (an env name repeated in one output gets
//!   a ` (2)` suffix), with the run's `started_at` as `timestamp`, its wall
//!   time as `time`, and properties `env`, `tier`, `base_url`, `simulator`,
//!   `manifest`, `verdict`, `exit_code` and `golive_version`.
//! - One `<testcase>` per check, in report order: `name` is the check id,
//!   `classname` is `golive.<env>.<kind>` (dots inside the env or kind become
//!   `_`, so `production (eu.json)` does not split into packages), `time` the
//!   check's duration in seconds.
//! - `fail` becomes `<failure>`, `error` becomes `<error>`; `message` is the
//!   check's summary, `type` the code of its first `fail` finding (for `error`:
//!   its first incomplete finding), and the body lists every finding as
//!   `<level> <code>: <message>` with indented `fix:` and `docs:` lines,
//!   then an expired waiver (if any) and the request ids.
//! - A `warn` check that blocks (under `--strict`) is a `<failure>` too, typed
//!   by its first warn finding, so the JUnit view agrees with the exit code.
//! - `skip` and `waived` become `<skipped>`: for `skip` the message is the
//!   summary (why it was skipped); for `waived` it is
//!   `waived by <owner> until <date>: <reason>` (type `waived`), with the
//!   findings in the body.
//! - `pass` and non-blocking `warn` are successes; their findings and request
//!   ids, if any, are in `<system-out>`.
//!
//! Control characters that XML 1.0 cannot carry are dropped by quick-junit;
//! `<`, `&` and quotes are escaped.

use std::io::{self, Write};
use std::time::Duration;

use quick_junit::{
    NonSuccessKind, Property, Report as JunitReport, TestCase, TestCaseStatus, TestSuite,
};

use super::model::{CheckReport, Report, Status};
use super::multi::unique_names;
use crate::finding::Level;

/// Writes the JUnit XML for `reports` (one per environment) to `out`.
pub fn render(reports: &[Report], out: &mut dyn Write) -> io::Result<()> {
    let junit = build(reports);
    junit
        .serialize(&mut *out)
        .map_err(|e| io::Error::other(format!("cannot write JUnit XML: {e}")))
}

/// The quick-junit document for `reports`.
fn build(reports: &[Report]) -> JunitReport {
    let mut junit = JunitReport::new("golive");
    let envs = unique_names(reports.iter().map(|r| r.environment.name.as_str()));
    let mut longest = Duration::ZERO;
    for (report, env) in reports.iter().zip(&envs) {
        let time = Duration::from_millis(report.duration_ms);
        longest = longest.max(time);
        junit.add_test_suite(suite(report, env));
    }
    // Environments run concurrently: the whole took as long as the slowest.
    junit.set_time(longest);
    junit
}

/// One environment's `<testsuite>`.
fn suite(report: &Report, env: &str) -> TestSuite {
    // SPEC 8.1: CI dashboards show the suite name; a simulated run says so there.
    let simulated = if report.environment.simulator {
        " (simulated)"
    } else {
        ""
    };
    let mut suite = TestSuite::new(format!("golive {env}{simulated}"));
    suite.set_time(Duration::from_millis(report.duration_ms));
    // quick-junit speaks chrono: the one place the timestamp is converted.
    let started = report.started_at;
    if let Some(started) = chrono::DateTime::from_timestamp(
        started.as_second(),
        started.subsec_nanosecond().unsigned_abs(),
    ) {
        suite.set_timestamp(started);
    }
    let environment = &report.environment;
    suite.add_properties([
        Property::new("env", env),
        Property::new("tier", environment.tier.as_str()),
        Property::new("base_url", &environment.base_url),
        Property::new("simulator", environment.simulator.to_string()),
        Property::new("manifest", &report.manifest),
        Property::new("verdict", report.verdict.as_str()),
        Property::new("exit_code", report.exit_code.to_string()),
        Property::new("golive_version", &report.tool.version),
    ]);
    suite.add_test_cases(report.checks.iter().map(|check| test_case(check, env)));
    suite
}

/// One check's `<testcase>`.
fn test_case(check: &CheckReport, env: &str) -> TestCase {
    let body = details(check);
    let status = match check.status {
        Status::Fail => non_success(
            NonSuccessKind::Failure,
            check,
            first_code(check, |f| f.level == Level::Fail),
            &body,
        ),
        Status::Warn if check.blocking => non_success(
            NonSuccessKind::Failure,
            check,
            first_code(check, |f| f.level >= Level::Warn),
            &body,
        ),
        Status::Error => non_success(
            NonSuccessKind::Error,
            check,
            first_code(check, |f| f.incomplete).or_else(|| first_code(check, |_| true)),
            &body,
        ),
        Status::Skip => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(&check.summary);
            if !body.is_empty() {
                status.set_description(&body);
            }
            status
        }
        Status::Waived => {
            let mut status = TestCaseStatus::skipped();
            let message = match &check.waiver {
                Some(w) => format!("waived by {} until {}: {}", w.owner, w.expires, w.reason),
                None => format!("waived: {}", check.summary),
            };
            status.set_message(message).set_type("waived");
            if !body.is_empty() {
                status.set_description(&body);
            }
            status
        }
        Status::Pass | Status::Warn => {
            let mut status = TestCaseStatus::success();
            // A check that passed only after re-runs: the earlier attempts are
            // flaky runs, which CI test views show as such.
            if check.flaky {
                let failed = check.attempts.unwrap_or(1).saturating_sub(1);
                status.add_reruns((1..=failed).map(|n| {
                    let mut rerun = quick_junit::TestRerun::new(NonSuccessKind::Failure);
                    rerun.set_message(format!("attempt {n} did not pass (flaky)"));
                    rerun
                }));
            }
            status
        }
    };
    let success = matches!(status, TestCaseStatus::Success { .. });
    let mut case = TestCase::new(&check.id, status);
    case.set_classname(format!(
        "golive.{}.{}",
        classname_part(env),
        classname_part(&check.kind)
    ))
    .set_time(Duration::from_millis(check.duration_ms));
    if success && !body.is_empty() {
        case.set_system_out(&body);
    }
    case
}

/// A classname segment: dots would split it into a package hierarchy in the
/// consumers that read `classname` as a Java-style path, so they become `_`.
fn classname_part(s: &str) -> String {
    s.replace('.', "_")
}

/// A `<failure>` or `<error>` with the summary as message.
fn non_success(
    kind: NonSuccessKind,
    check: &CheckReport,
    ty: Option<&str>,
    body: &str,
) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(kind);
    status.set_message(&check.summary);
    if let Some(ty) = ty {
        status.set_type(ty);
    }
    if !body.is_empty() {
        status.set_description(body);
    }
    status
}

/// The code of the first finding that matches.
fn first_code(
    check: &CheckReport,
    matches: impl Fn(&crate::finding::Finding) -> bool,
) -> Option<&str> {
    check
        .findings
        .iter()
        .find(|f| matches(f))
        .map(|f| f.code.as_str())
}

/// The text body: findings with fixes and docs, the waiver, request ids.
fn details(check: &CheckReport) -> String {
    let mut lines: Vec<String> = Vec::new();
    for f in &check.findings {
        let incomplete = if f.incomplete {
            " (could not complete)"
        } else {
            ""
        };
        lines.push(format!(
            "{} {}: {}{incomplete}",
            f.level.as_str(),
            f.code,
            f.message
        ));
        if !f.remediation.is_empty() {
            lines.push(format!("  fix: {}", f.remediation));
        }
        if let Some(docs) = &f.docs {
            lines.push(format!("  docs: {docs}"));
        }
    }
    // An applied waiver is the `<skipped>` message already.
    if let Some(w) = check.waiver.as_ref().filter(|w| w.expired) {
        lines.push(format!(
            "waiver expired {} (owner {}): {}",
            w.expires, w.owner, w.reason
        ));
    }
    if !check.request_ids.is_empty() {
        lines.push(format!("request ids: {}", check.request_ids.join(", ")));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use quick_xml::Reader;
    use quick_xml::events::Event;

    use super::*;
    use crate::report::fixtures;

    fn to_string(reports: &[Report]) -> String {
        let mut buf = Vec::new();
        render(reports, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    /// Per suite name: (tests, failures, errors, skipped) as counted from the
    /// elements, after checking the suite's own attributes agree.
    #[derive(Debug, Default, PartialEq)]
    struct Counts {
        tests: usize,
        failures: usize,
        errors: usize,
        skipped: usize,
    }

    /// Parses the XML with quick-xml (a well-formedness check) and counts the
    /// test cases and their outcomes per suite.
    fn count(xml: &str) -> (String, Vec<(String, Counts)>) {
        let mut reader = Reader::from_str(xml);
        let mut root = String::new();
        let mut suites: Vec<(String, Counts, HashMap<String, usize>)> = Vec::new();
        let mut depth = 0usize;
        loop {
            let event = reader.read_event().expect("well-formed XML");
            let (start, empty) = match &event {
                Event::Start(e) => (Some(e.clone()), false),
                Event::Empty(e) => (Some(e.clone()), true),
                Event::End(_) => {
                    depth -= 1;
                    (None, false)
                }
                Event::Eof => break,
                _ => (None, false),
            };
            let Some(e) = start else { continue };
            if !empty {
                depth += 1;
            }
            let attrs: HashMap<String, String> = e
                .attributes()
                .map(|a| {
                    let a = a.unwrap();
                    (
                        String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                        a.normalized_value(quick_xml::XmlVersion::default())
                            .unwrap()
                            .into_owned(),
                    )
                })
                .collect();
            let num = |k: &str| {
                attrs
                    .get(k)
                    .map(|v| v.parse::<usize>().unwrap())
                    .unwrap_or(0)
            };
            match e.name().as_ref() {
                b"testsuites" => root = attrs["name"].clone(),
                b"testsuite" => {
                    let declared = HashMap::from([
                        ("tests".to_string(), num("tests")),
                        ("failures".to_string(), num("failures")),
                        ("errors".to_string(), num("errors")),
                        ("skipped".to_string(), num("skipped")),
                    ]);
                    suites.push((attrs["name"].clone(), Counts::default(), declared));
                }
                b"testcase" => {
                    assert!(attrs.contains_key("classname"));
                    assert!(attrs.contains_key("time"));
                    suites.last_mut().unwrap().1.tests += 1;
                }
                b"failure" => suites.last_mut().unwrap().1.failures += 1,
                b"error" => suites.last_mut().unwrap().1.errors += 1,
                b"skipped" => suites.last_mut().unwrap().1.skipped += 1,
                _ => {}
            }
        }
        assert_eq!(depth, 0);
        let suites = suites
            .into_iter()
            .map(|(name, counts, declared)| {
                assert_eq!(declared["tests"], counts.tests, "{name} tests attr");
                assert_eq!(
                    declared["failures"], counts.failures,
                    "{name} failures attr"
                );
                assert_eq!(declared["errors"], counts.errors, "{name} errors attr");
                assert_eq!(declared["skipped"], counts.skipped, "{name} skipped attr");
                (name, counts)
            })
            .collect();
        (root, suites)
    }

    #[test]
    fn one_suite_per_env_with_the_right_counts() {
        let xml = to_string(&[fixtures::all_statuses(), fixtures::empty_ready()]);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
        let (root, suites) = count(&xml);
        assert_eq!(root, "golive");
        assert_eq!(
            suites,
            vec![
                (
                    "golive production".to_string(),
                    Counts {
                        tests: 7,
                        failures: 2,
                        errors: 1,
                        skipped: 2
                    }
                ),
                ("golive sim (simulated)".to_string(), Counts::default()),
            ]
        );
        // quick-junit's own reader (as nextest-style consumers use) agrees.
        let parsed = JunitReport::deserialize_from_str(&xml).expect("quick-junit reads it");
        assert_eq!(parsed.tests, 7);
        assert_eq!((parsed.failures, parsed.errors, parsed.skipped), (2, 1, 2));
        assert_eq!(parsed.test_suites.len(), 2);
        assert_eq!(parsed.test_suites[0].test_cases[2].name.as_str(), "webhook");
    }

    #[test]
    fn cases_carry_names_classnames_messages_and_bodies() {
        let xml = to_string(&[fixtures::all_statuses()]);
        assert!(
            xml.contains(
                r#"<testcase name="webhook" classname="golive.production.webhook" time="1.240">"#
            ),
            "{xml}"
        );
        assert!(xml.contains(
            r#"<failure message="endpoint accepted a delivery with a bad signature" type="bad-signature-accepted">"#
        ));
        assert!(xml.contains("fail bad-signature-accepted: https://hooks.example.com/octopus answered 200 to a delivery signed with the wrong key\n  fix: verify X-Signature with HMAC-SHA256 over the raw body and reject mismatches\n  docs: https://octopus-docs.pages.dev/docs/reference/webhooks/verification\nwarn unknown-event-rejected"));
        assert!(xml.contains(
            r#"<error message="could not learn the egress IP" type="egress-ip-unknown">fail egress-ip-unknown: the IP echo service timed out after 10s (could not complete)"#
        ));
        assert!(
            xml.contains(r#"<skipped message="filtered out by --skip"/>"#),
            "{xml}"
        );
        assert!(xml.contains(
            r#"<skipped message="waived by ops@example.com until 2026-12-01: KYB approval expected Monday" type="waived">fail attestation-missing"#
        ));
        assert!(xml.contains(
            "waiver expired 2026-11-01 (owner dev@example.com): client rewrite in progress"
        ));
        assert!(xml.contains("request ids: req_cred_1, req_cred_2"));
        // A non-blocking warn is a success with its findings in system-out.
        assert!(xml.contains(
            "<system-out>warn balance-low: USD wallet balance 900.00 is below warn_balance 1000.00"
        ));
        assert!(xml.contains(r#"<property name="verdict" value="not_ready"/>"#));
        assert!(xml.contains(r#"timestamp="2026-11-29T02:00:00"#));
    }

    #[test]
    fn a_blocking_warn_is_a_failure() {
        let mut report = fixtures::all_statuses();
        report.checks[1].blocking = true;
        let xml = to_string(&[report]);
        assert!(
            xml.contains(
                r#"<failure message="USD balance is below the warning level" type="balance-low">"#
            ),
            "{xml}"
        );
        let (_, suites) = count(&xml);
        assert_eq!(suites[0].1.failures, 3);
    }

    #[test]
    fn hostile_text_stays_well_formed() {
        let mut report = fixtures::all_statuses();
        report.environment.name = "prod <&> \"eu\"".into();
        report.checks[2].summary = "a <tag> & \"quotes\" ]]> \u{1b}[31m red \u{7}".into();
        report.checks[2].findings[0].message = "</failure><injected/>".into();
        let dup = report.clone();
        let xml = to_string(&[report, dup]);
        let (_, suites) = count(&xml);
        assert_eq!(suites[0].0, "golive prod <&> \"eu\"");
        assert_eq!(suites[1].0, "golive prod <&> \"eu\" (2)");
        let mut dotted = fixtures::all_statuses();
        dotted.environment.name = "production (eu.json)".into();
        let xml2 = to_string(&[dotted]);
        assert!(
            xml2.contains(r#"classname="golive.production (eu_json).webhook""#),
            "{xml2}"
        );
        assert!(!xml.contains("<injected/>"));
        assert!(!xml.contains('\u{1b}'));
    }

    #[test]
    fn no_reports_is_an_empty_root() {
        let xml = to_string(&[]);
        let (root, suites) = count(&xml);
        assert_eq!(root, "golive");
        assert!(suites.is_empty());
    }
}
