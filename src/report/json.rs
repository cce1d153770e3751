//! The JSON report (`--format json`, `--report-json PATH`): the report model
//! serialized as-is, for pipelines and dashboards.
//!
//! # Format
//!
//! One pretty-printed JSON object followed by a newline, exactly the shape of
//! SPEC section 4 (`schema_version` 1) and valid against
//! [`crate::report::schema::report_schema`]. Keys appear in model order;
//! optional finding fields are omitted rather than `null` (`docs` when there is
//! no link, `incomplete` when false); `waiver` is `null` when no waiver applies;
//! `evidence` is always an object. Consumers must tolerate keys added later.
//!
//! Several environments (`--env a,b`) and merged reports are written as one
//! [`MultiReport`] object instead: the same pretty JSON, with `verdict`,
//! `exit_code`, `summary` and a `reports` array of single-environment reports
//! (see [`crate::report::multi`]). [`render_reports`] picks the shape: the
//! single report for one environment, so one-env consumers see no change.

use std::io::{self, Write};

use super::model::Report;
use super::multi::MultiReport;

/// Writes `report` as pretty JSON plus a trailing newline.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}

/// Writes a multi-environment report as pretty JSON plus a trailing newline.
pub fn render_multi(report: &MultiReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}

/// Writes the JSON for one run: a single report when `reports` holds exactly
/// one, otherwise a [`MultiReport`] of all of them.
pub fn render_reports(reports: &[Report], out: &mut dyn Write) -> io::Result<()> {
    match reports {
        [one] => render(one, out),
        _ => render_multi(&MultiReport::from_reports(reports.to_vec()), out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    fn to_string(report: &Report) -> String {
        let mut buf = Vec::new();
        render(report, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    fn keys(value: &serde_json::Value) -> Vec<&str> {
        let mut keys: Vec<&str> = value
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        keys
    }

    fn sorted(mut names: Vec<&str>) -> Vec<&str> {
        names.sort_unstable();
        names
    }

    #[test]
    fn output_is_pretty_and_ends_with_one_newline() {
        let text = to_string(&fixtures::all_statuses());
        assert!(text.starts_with("{\n  \"schema_version\": 1,"));
        assert!(text.ends_with("}\n"));
        assert!(!text.ends_with("\n\n"));
    }

    #[test]
    fn round_trips() {
        for report in [fixtures::all_statuses(), fixtures::empty_ready()] {
            let back: Report = serde_json::from_str(&to_string(&report)).unwrap();
            assert_eq!(back, report);
        }
    }

    #[test]
    fn key_names_are_pinned() {
        let value: serde_json::Value =
            serde_json::from_str(&to_string(&fixtures::all_statuses())).unwrap();
        assert_eq!(
            keys(&value),
            sorted(vec![
                "schema_version",
                "tool",
                "manifest",
                "environment",
                "started_at",
                "duration_ms",
                "verdict",
                "exit_code",
                "summary",
                "checks",
            ])
        );
        assert_eq!(keys(&value["tool"]), sorted(vec!["name", "version"]));
        assert_eq!(
            keys(&value["environment"]),
            sorted(vec!["name", "tier", "base_url", "simulator"])
        );
        assert_eq!(
            keys(&value["summary"]),
            sorted(vec![
                "total", "pass", "warn", "fail", "error", "skip", "waived"
            ])
        );
        let checks = value["checks"].as_array().unwrap();
        assert_eq!(checks.len(), 7);
        for check in checks {
            assert_eq!(
                keys(check),
                sorted(vec![
                    "id",
                    "kind",
                    "title",
                    "severity",
                    "status",
                    "blocking",
                    "duration_ms",
                    "summary",
                    "findings",
                    "evidence",
                    "request_ids",
                    "waiver",
                ])
            );
            assert!(check["evidence"].is_object());
        }
        // `docs` only when present, `incomplete` only when true.
        assert_eq!(
            keys(&checks[2]["findings"][0]),
            sorted(vec!["code", "level", "message", "remediation", "docs"])
        );
        assert_eq!(
            keys(&checks[3]["findings"][0]),
            sorted(vec![
                "code",
                "level",
                "message",
                "remediation",
                "incomplete"
            ])
        );
        assert_eq!(
            keys(&checks[5]["waiver"]),
            sorted(vec!["reason", "owner", "expires", "expired"])
        );
        assert!(checks[0]["waiver"].is_null());
    }

    #[test]
    fn enums_use_report_spellings() {
        let value: serde_json::Value =
            serde_json::from_str(&to_string(&fixtures::all_statuses())).unwrap();
        assert_eq!(value["verdict"], "not_ready");
        assert_eq!(value["environment"]["tier"], "production");
        let statuses: Vec<&str> = value["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["status"].as_str().unwrap())
            .collect();
        assert_eq!(
            statuses,
            ["pass", "warn", "fail", "error", "skip", "waived", "fail"]
        );
        assert_eq!(value["checks"][0]["severity"], "error");
        assert_eq!(value["checks"][0]["findings"][0]["level"], "info");
    }

    #[test]
    fn render_reports_picks_the_shape() {
        let mut buf = Vec::new();
        render_reports(&[fixtures::empty_ready()], &mut buf).unwrap();
        let one: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(one["environment"]["name"], "sim");
        assert!(one.get("reports").is_none());

        let mut buf = Vec::new();
        render_reports(
            &[fixtures::all_statuses(), fixtures::empty_ready()],
            &mut buf,
        )
        .unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(text.starts_with("{\n  \"schema_version\": 1,") && text.ends_with("}\n"));
        let many: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            keys(&many),
            sorted(vec![
                "schema_version",
                "tool",
                "verdict",
                "exit_code",
                "summary",
                "reports"
            ])
        );
        assert_eq!(many["verdict"], "not_ready");
        assert_eq!(many["exit_code"], 1);
        assert_eq!(many["summary"]["total"], 7);
        assert_eq!(many["reports"][1]["environment"]["name"], "sim");
        let back: MultiReport = serde_json::from_value(many).unwrap();
        assert_eq!(
            back.reports,
            vec![fixtures::all_statuses(), fixtures::empty_ready()]
        );
    }
}
