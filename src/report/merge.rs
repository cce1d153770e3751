//! `golive report merge A.json B.json ...`: one board from the JSON reports of
//! several runners (regions, NAT gateways, environments).
//!
//! # Format
//!
//! Input: each file is a golive JSON report of `schema_version` 1, either a
//! single-environment report or a multi-environment one (`reports`, as
//! written by `--env a,b` or by an earlier merge). Output: one
//! [`MultiReport`](super::multi::MultiReport) holding every input report in
//! the order given (a multi-environment input contributes its reports in
//! order), with the worst verdict, its exit code and the summed summary.
//!
//! An environment name that occurs more than once across the inputs (two
//! runners checking `production` from different NAT gateways) is kept once per
//! occurrence and labelled with its source: `production (eu.json)`,
//! `production (us.json)`; names that occur once are left alone. Should one
//! source hold the same name twice, the label gets a counter
//! (`production (eu.json #2)`).
//!
//! Rejected, naming the file: text that is not JSON, JSON that is not a golive
//! report, and a `schema_version` other than 1.

use std::collections::HashMap;

use serde_json::Value;

use super::model::{Report, SCHEMA_VERSION};
use super::multi::MultiReport;

/// Why a set of reports could not be merged; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// The file is not JSON at all.
    #[error("{source_label} is not JSON: {detail}")]
    NotJson {
        /// The file, as given.
        source_label: String,
        /// The parser's message (line and column).
        detail: String,
    },
    /// The file is JSON, but not a golive report.
    #[error("{source_label} is not a golive report: {detail}")]
    NotAReport {
        /// The file, as given.
        source_label: String,
        /// What is missing or wrong.
        detail: String,
    },
    /// The report is of another format version.
    #[error(
        "{source_label} has schema_version {found}; this golive reads version {SCHEMA_VERSION} reports"
    )]
    SchemaVersion {
        /// The file, as given.
        source_label: String,
        /// The version the file declares.
        found: String,
    },
    /// There was nothing to merge.
    #[error("no reports to merge")]
    Empty,
}

/// Merges `inputs`, each `(source label, file text)`, into one multi-environment
/// report; see the module documentation for the rules.
pub fn merge(inputs: &[(String, String)]) -> Result<MultiReport, MergeError> {
    if inputs.is_empty() {
        return Err(MergeError::Empty);
    }
    let mut entries: Vec<(&str, Report)> = Vec::new();
    for (source, text) in inputs {
        for report in parse(source, text)? {
            entries.push((source.as_str(), report));
        }
    }
    label_duplicates(&mut entries);
    Ok(MultiReport::from_reports(
        entries.into_iter().map(|(_, report)| report).collect(),
    ))
}

/// The reports in one file.
fn parse(source: &str, text: &str) -> Result<Vec<Report>, MergeError> {
    let value: Value = serde_json::from_str(text).map_err(|e| MergeError::NotJson {
        source_label: source.to_string(),
        detail: e.to_string(),
    })?;
    let not_a_report = |detail: String| MergeError::NotAReport {
        source_label: source.to_string(),
        detail,
    };
    let Some(object) = value.as_object() else {
        return Err(not_a_report(format!(
            "expected a JSON object, found {}",
            kind(&value)
        )));
    };
    let is_golive = object
        .get("tool")
        .and_then(|t| t.get("name"))
        .and_then(Value::as_str)
        == Some("golive");
    let Some(version) = object.get("schema_version") else {
        return Err(not_a_report(
            "it has no `schema_version` (expected the JSON of `golive check --format json`)".into(),
        ));
    };
    if version.as_u64() != Some(u64::from(SCHEMA_VERSION)) {
        if !is_golive && !version.is_number() {
            return Err(not_a_report(format!(
                "`schema_version` is {version}, not a number"
            )));
        }
        return Err(MergeError::SchemaVersion {
            source_label: source.to_string(),
            found: version.to_string(),
        });
    }
    if !is_golive {
        return Err(not_a_report("`tool.name` is not \"golive\"".into()));
    }
    if object.contains_key("reports") {
        // Nested reports must be version 1 too.
        if let Some(reports) = object.get("reports").and_then(Value::as_array) {
            for (i, r) in reports.iter().enumerate() {
                let v = r.get("schema_version");
                if v.and_then(Value::as_u64) != Some(u64::from(SCHEMA_VERSION)) {
                    return Err(MergeError::SchemaVersion {
                        source_label: format!("{source} (reports[{i}])"),
                        found: v.map_or_else(|| "(none)".to_string(), Value::to_string),
                    });
                }
            }
        }
        let multi: MultiReport = serde_json::from_value(value)
            .map_err(|e| not_a_report(format!("invalid multi-environment report: {e}")))?;
        Ok(multi.reports)
    } else {
        let report: Report = serde_json::from_value(value)
            .map_err(|e| not_a_report(format!("invalid report: {e}")))?;
        Ok(vec![report])
    }
}

/// Suffixes `name (source)` to every env name that occurs more than once.
fn label_duplicates(entries: &mut [(&str, Report)]) {
    let mut count: HashMap<String, usize> = HashMap::new();
    for (_, report) in entries.iter() {
        *count.entry(report.environment.name.clone()).or_default() += 1;
    }
    let mut per_source: HashMap<(String, String), usize> = HashMap::new();
    for (source, report) in entries.iter_mut() {
        let name = report.environment.name.clone();
        if count[&name] < 2 {
            continue;
        }
        let n = per_source
            .entry((name.clone(), source.to_string()))
            .or_default();
        *n += 1;
        report.environment.name = if *n == 1 {
            format!("{name} ({source})")
        } else {
            format!("{name} ({source} #{n})")
        };
    }
}

/// A JSON value's kind, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;
    use crate::report::model::Verdict;

    fn file(name: &str, value: impl serde::Serialize) -> (String, String) {
        (
            name.to_string(),
            serde_json::to_string_pretty(&value).unwrap(),
        )
    }

    fn names(m: &MultiReport) -> Vec<&str> {
        m.reports
            .iter()
            .map(|r| r.environment.name.as_str())
            .collect()
    }

    #[test]
    fn worst_verdict_wins() {
        let mut inconclusive = fixtures::empty_ready();
        inconclusive.environment.name = "staging".into();
        inconclusive.verdict = Verdict::Inconclusive;
        inconclusive.exit_code = 3;
        let m = merge(&[
            file("a.json", fixtures::empty_ready()),
            file("b.json", &inconclusive),
        ])
        .unwrap();
        assert_eq!((m.verdict, m.exit_code), (Verdict::Inconclusive, 3));
        assert_eq!(names(&m), ["sim", "staging"]);

        let m = merge(&[
            file("a.json", fixtures::empty_ready()),
            file("b.json", &inconclusive),
            file("c.json", fixtures::all_statuses()),
        ])
        .unwrap();
        assert_eq!((m.verdict, m.exit_code), (Verdict::NotReady, 1));
        assert_eq!(m.summary.total, 7);
    }

    #[test]
    fn duplicate_envs_are_kept_and_labelled() {
        let m = merge(&[
            file("eu.json", fixtures::all_statuses()),
            file("sim.json", fixtures::empty_ready()),
            file("us.json", fixtures::all_statuses()),
        ])
        .unwrap();
        assert_eq!(
            names(&m),
            ["production (eu.json)", "sim", "production (us.json)"]
        );
        assert_eq!(m.summary.total, 14);
        assert_eq!(m.summary.fail, 4);
    }

    #[test]
    fn multi_reports_are_flattened() {
        let multi =
            MultiReport::from_reports(vec![fixtures::empty_ready(), fixtures::all_statuses()]);
        let m = merge(&[
            file("both.json", &multi),
            file("prod2.json", fixtures::all_statuses()),
        ])
        .unwrap();
        assert_eq!(
            names(&m),
            ["sim", "production (both.json)", "production (prod2.json)"]
        );
        // A merged document merges again without change of names.
        let again = merge(&[file("merged.json", &m)]).unwrap();
        assert_eq!(names(&again), names(&m));

        // The same env twice in one source gets a counter.
        let twice =
            MultiReport::from_reports(vec![fixtures::all_statuses(), fixtures::all_statuses()]);
        let m = merge(&[file("x.json", &twice)]).unwrap();
        assert_eq!(names(&m), ["production (x.json)", "production (x.json #2)"]);
    }

    #[test]
    fn version_mismatch_is_rejected() {
        let mut v2 = serde_json::to_value(fixtures::all_statuses()).unwrap();
        v2["schema_version"] = 2.into();
        let err =
            merge(&[file("a.json", fixtures::empty_ready()), file("b.json", &v2)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "b.json has schema_version 2; this golive reads version 1 reports"
        );

        let mut nested =
            serde_json::to_value(MultiReport::from_reports(vec![fixtures::empty_ready()])).unwrap();
        nested["reports"][0]["schema_version"] = 3.into();
        let err = merge(&[file("m.json", &nested)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "m.json (reports[0]) has schema_version 3; this golive reads version 1 reports"
        );
    }

    #[test]
    fn garbage_is_rejected_with_the_file_name() {
        let err = merge(&[("junk.txt".into(), "not json at all".into())]).unwrap_err();
        assert!(matches!(err, MergeError::NotJson { .. }));
        assert!(
            err.to_string().starts_with("junk.txt is not JSON: "),
            "{err}"
        );

        for (text, want) in [
            ("[1, 2]", "expected a JSON object, found an array"),
            (r#"{"name": "x"}"#, "it has no `schema_version`"),
            (
                r#"{"schema_version": 1, "tool": {"name": "other"}}"#,
                "`tool.name` is not \"golive\"",
            ),
            (
                r#"{"schema_version": 1, "tool": {"name": "golive", "version": "0.1.0"}}"#,
                "invalid report: missing field",
            ),
            (
                r#"{"schema_version": 1, "tool": {"name": "golive", "version": "0.1.0"}, "reports": 5}"#,
                "invalid multi-environment report",
            ),
        ] {
            let err = merge(&[("x.json".into(), text.into())]).unwrap_err();
            assert!(
                matches!(err, MergeError::NotAReport { .. }),
                "{text}: {err}"
            );
            let msg = err.to_string();
            assert!(msg.starts_with("x.json is not a golive report: "), "{msg}");
            assert!(msg.contains(want), "{text}: {msg}");
        }
        assert!(matches!(merge(&[]), Err(MergeError::Empty)));
    }
}
