//! Several environments in one document: `--env sandbox,production` and
//! `golive report merge`.
//!
//! # Format
//!
//! A [`MultiReport`] is one JSON object (`schema_version` 1, described by the
//! second branch of [`crate::report::schema::report_schema`]):
//!
//! ```json
//! {
//!   "schema_version": 1,
//!   "tool": { "name": "golive", "version": "0.1.0" },
//!   "verdict": "not_ready",
//!   "exit_code": 1,
//!   "summary": { "total": 14, "pass": 9, "warn": 1, "fail": 2, "error": 1, "skip": 1, "waived": 0 },
//!   "reports": [ { "schema_version": 1, "environment": { "name": "sandbox", ... }, ... },
//!                { "schema_version": 1, "environment": { "name": "production", ... }, ... } ]
//! }
//! ```
//!
//! `reports` holds one complete single-environment report per environment, in
//! the order given; `verdict` is the worst of theirs (`not_ready` beats
//! `inconclusive` beats `ready`), `exit_code` goes with it (1, 3 or 0) and
//! `summary` is the sum of their summaries. A run against one environment still
//! writes a plain single-environment report, so existing consumers see no
//! change; a consumer tells the two shapes apart by the `reports` key.

use std::collections::{HashMap, HashSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::model::{Report, SCHEMA_VERSION, Summary, Tool, Verdict};

/// The reports of several environments (or several runners) with an overall
/// verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(
    title = "golive report: several environments",
    description = "The results of one run against several environments (`--env a,b`), or of \
                   `golive report merge`: one complete single-environment report per entry \
                   of `reports`, and the worst of their verdicts."
)]
pub struct MultiReport {
    /// Report format version; always 1 for this schema (also in every entry
    /// of `reports`).
    pub schema_version: u32,
    /// The tool that wrote (or merged) the reports.
    pub tool: Tool,
    /// The worst verdict of `reports`: `not_ready` over `inconclusive` over
    /// `ready`; `ready` when `reports` is empty.
    pub verdict: Verdict,
    /// The process exit code that goes with `verdict` (0, 1 or 3).
    pub exit_code: i32,
    /// The summaries of `reports`, added up.
    pub summary: Summary,
    /// One report per environment, in the order given. Environment names are
    /// unique within a merged document (see `golive report merge`).
    pub reports: Vec<Report>,
}

impl MultiReport {
    /// Wraps `reports` with the worst verdict, its exit code and the summed
    /// summary; the tool is this golive.
    pub fn from_reports(reports: Vec<Report>) -> Self {
        let verdict = worst(reports.iter().map(|r| r.verdict));
        let summary = reports
            .iter()
            .fold(Summary::default(), |acc, r| add(acc, r.summary));
        MultiReport {
            schema_version: SCHEMA_VERSION,
            tool: this_tool(),
            verdict,
            exit_code: verdict.exit_code(),
            summary,
            reports,
        }
    }
}

/// The worst of `verdicts`: `not_ready` > `inconclusive` > `ready`; `ready`
/// when there are none. The exit code of a multi-environment run is
/// `worst(..).exit_code()`.
pub fn worst(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
    verdicts
        .into_iter()
        .max_by_key(|v| v.severity_rank())
        .unwrap_or(Verdict::Ready)
}

/// `golive` at this crate's version.
pub(crate) fn this_tool() -> Tool {
    Tool {
        name: "golive".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }
}

/// Adds two summaries field by field. Saturating: a merged report file may hold
/// any counts at all.
fn add(a: Summary, b: Summary) -> Summary {
    Summary {
        total: a.total.saturating_add(b.total),
        pass: a.pass.saturating_add(b.pass),
        warn: a.warn.saturating_add(b.warn),
        fail: a.fail.saturating_add(b.fail),
        error: a.error.saturating_add(b.error),
        skip: a.skip.saturating_add(b.skip),
        waived: a.waived.saturating_add(b.waived),
    }
}

/// Makes names unique, keeping order: the first occurrence keeps its name, a
/// later one becomes `name (2)`, `name (3)`, ... (skipping any suffix that is
/// itself taken). Renderers use it for env names and check ids so that suites,
/// headings and metric series never collide.
pub(crate) fn unique_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let names: Vec<&str> = names.into_iter().collect();
    let mut taken: HashSet<String> = names.iter().map(|n| n.to_string()).collect();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let count = seen.entry(name).or_insert(0);
        *count += 1;
        if *count == 1 {
            out.push(name.to_string());
            continue;
        }
        let mut n = *count;
        let mut candidate = format!("{name} ({n})");
        while taken.contains(&candidate) {
            n += 1;
            candidate = format!("{name} ({n})");
        }
        taken.insert(candidate.clone());
        out.push(candidate);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn worst_verdict_wins() {
        use Verdict::*;
        assert_eq!(worst([]), Ready);
        assert_eq!(worst([Ready, Ready]), Ready);
        assert_eq!(worst([Ready, Inconclusive]), Inconclusive);
        assert_eq!(worst([Inconclusive, NotReady, Ready]), NotReady);
        assert_eq!(worst([NotReady, Inconclusive]), NotReady);
        assert_eq!(
            [Ready, NotReady, Inconclusive].map(Verdict::exit_code),
            [0, 1, 3]
        );
    }

    #[test]
    fn from_reports_sums_and_takes_the_worst() {
        let m = MultiReport::from_reports(vec![fixtures::empty_ready(), fixtures::all_statuses()]);
        assert_eq!(m.schema_version, 1);
        assert_eq!(m.tool.name, "golive");
        assert_eq!(m.verdict, Verdict::NotReady);
        assert_eq!(m.exit_code, 1);
        assert_eq!(m.summary, fixtures::all_statuses().summary);
        assert_eq!(m.reports.len(), 2);

        let ready =
            MultiReport::from_reports(vec![fixtures::empty_ready(), fixtures::empty_ready()]);
        assert_eq!((ready.verdict, ready.exit_code), (Verdict::Ready, 0));

        let mut inconclusive = fixtures::empty_ready();
        inconclusive.verdict = Verdict::Inconclusive;
        let m = MultiReport::from_reports(vec![fixtures::empty_ready(), inconclusive]);
        assert_eq!((m.verdict, m.exit_code), (Verdict::Inconclusive, 3));

        let two =
            MultiReport::from_reports(vec![fixtures::all_statuses(), fixtures::all_statuses()]);
        assert_eq!(
            two.summary.total,
            2 * fixtures::all_statuses().summary.total
        );
        assert_eq!(two.summary.fail, 4);
    }

    #[test]
    fn round_trips_through_json() {
        let m = MultiReport::from_reports(vec![fixtures::all_statuses(), fixtures::empty_ready()]);
        let text = serde_json::to_string(&m).unwrap();
        let back: MultiReport = serde_json::from_str(&text).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn unique_names_suffix_repeats_only() {
        assert_eq!(unique_names(["a", "b"]), ["a", "b"]);
        assert_eq!(unique_names(["a", "a", "a"]), ["a", "a (2)", "a (3)"]);
        assert_eq!(
            unique_names(["a", "a (2)", "a"]),
            ["a", "a (2)", "a (3)"],
            "a taken suffix is skipped"
        );
    }
}
