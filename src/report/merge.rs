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
//! report, a `schema_version` other than 1, and values no golive run writes
//! (SPEC 8.5): a check id, check kind or finding code longer than
//! [`MAX_NAME`] characters, an env name longer than [`MAX_ENV_NAME`], any
//! other string longer than [`MAX_STRING`].

use std::collections::HashMap;

use serde_json::Value;

use super::model::{Report, SCHEMA_VERSION};
use super::multi::MultiReport;

/// Longest check id, check kind or finding code in a report (as in a manifest).
pub const MAX_NAME: usize = 64;
/// Longest env name (a merge labels a repeated one with its source file).
pub const MAX_ENV_NAME: usize = 1000;
/// Longest string of any other kind (messages, summaries, evidence).
pub const MAX_STRING: usize = 100_000;

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
    if let Some((path, n)) = over_long_string(&value, &mut String::from("$")) {
        return Err(not_a_report(format!(
            "`{path}` is a string of {n} characters; golive writes none longer than {MAX_STRING}"
        )));
    }
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
        for (i, report) in multi.reports.iter().enumerate() {
            bounded(report, &format!("reports[{i}].")).map_err(not_a_report)?;
        }
        Ok(multi.reports)
    } else {
        let report: Report = serde_json::from_value(value)
            .map_err(|e| not_a_report(format!("invalid report: {e}")))?;
        bounded(&report, "").map_err(not_a_report)?;
        Ok(vec![report])
    }
}

/// The first string in `value` longer than [`MAX_STRING`] characters: its JSON
/// path and length. `path` is the path of `value`, extended while walking.
fn over_long_string(value: &Value, path: &mut String) -> Option<(String, usize)> {
    match value {
        Value::String(s) => {
            // Bytes bound characters from above: only count when it can matter.
            let n = if s.len() > MAX_STRING {
                s.chars().count()
            } else {
                0
            };
            (n > MAX_STRING).then(|| (path.clone(), n))
        }
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = over_long_string(v, path);
            path.truncate(len);
            found
        }),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let len = path.len();
            path.push('.');
            // A key is shown cut short: the message must stay one readable line.
            path.extend(k.chars().take(40).flat_map(char::escape_debug));
            if k.chars().count() > 40 {
                path.push_str("...");
            }
            let found = over_long_string(v, path);
            path.truncate(len);
            found
        }),
        _ => None,
    }
}

/// Ids, kinds, codes and the env name within golive's own bounds, or what is not.
fn bounded(report: &Report, prefix: &str) -> Result<(), String> {
    let long = |what: String, s: &str, max: usize| {
        let n = s.chars().count();
        (n > max).then(|| format!("{what} is {n} characters long; golive writes at most {max}"))
    };
    let env = &report.environment.name;
    if let Some(e) = long(format!("`{prefix}environment.name`"), env, MAX_ENV_NAME) {
        return Err(e);
    }
    for (i, check) in report.checks.iter().enumerate() {
        let at = format!("{prefix}checks[{i}]");
        let problem = long(format!("the check id `{at}.id`"), &check.id, MAX_NAME)
            .or_else(|| long(format!("the check kind `{at}.kind`"), &check.kind, MAX_NAME))
            .or_else(|| {
                check.findings.iter().enumerate().find_map(|(j, f)| {
                    long(
                        format!("the finding code `{at}.findings[{j}].code`"),
                        &f.code,
                        MAX_NAME,
                    )
                })
            });
        if let Some(e) = problem {
            return Err(e);
        }
    }
    Ok(())
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
    fn values_no_golive_run_writes_are_rejected_with_the_file_name() {
        // SPEC 8.5: these used to panic the human report of `report merge`.
        let mut long_id = serde_json::to_value(fixtures::all_statuses()).unwrap();
        long_id["checks"][0]["id"] = "x".repeat(70_000).into();
        let mut long_kind = serde_json::to_value(fixtures::all_statuses()).unwrap();
        long_kind["checks"][1]["kind"] = "k".repeat(65).into();
        let mut long_code = serde_json::to_value(fixtures::all_statuses()).unwrap();
        long_code["checks"][2]["findings"][0]["code"] = "c".repeat(65).into();
        let mut long_env =
            serde_json::to_value(MultiReport::from_reports(vec![fixtures::empty_ready()])).unwrap();
        long_env["reports"][0]["environment"]["name"] = "e".repeat(1001).into();
        let mut huge = serde_json::to_value(fixtures::all_statuses()).unwrap();
        huge["checks"][0]["evidence"] = serde_json::json!({ "k": "z".repeat(MAX_STRING + 1) });
        for (value, want) in [
            (
                long_id,
                "the check id `checks[0].id` is 70000 characters long; golive writes at most 64",
            ),
            (
                long_kind,
                "the check kind `checks[1].kind` is 65 characters long",
            ),
            (
                long_code,
                "the finding code `checks[2].findings[0].code` is 65 characters long",
            ),
            (
                long_env,
                "`reports[0].environment.name` is 1001 characters long; golive writes at most 1000",
            ),
            (
                huge,
                "`$.checks[0].evidence.k` is a string of 100001 characters",
            ),
        ] {
            let err = merge(&[
                file("a.json", fixtures::empty_ready()),
                file("crafted.json", &value),
            ])
            .unwrap_err();
            let msg = err.to_string();
            assert!(
                msg.starts_with("crafted.json is not a golive report: "),
                "{msg}"
            );
            assert!(msg.contains(want), "{want}: {msg}");
        }
        // At the bounds, fine.
        let mut at_bounds = serde_json::to_value(fixtures::all_statuses()).unwrap();
        at_bounds["checks"][0]["id"] = "x".repeat(MAX_NAME).into();
        assert!(merge(&[file("ok.json", &at_bounds)]).is_ok());
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
