//! The report model: what a run found, independent of how it is rendered.
//!
//! This is the JSON report (`schema_version` 1, SPEC section 4) as Rust types; the
//! JSON Schema printed by `golive schema` is derived from them, so the two cannot
//! drift. Renderers are pure functions of a [`Report`]; none decides the verdict.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::exit::Exit;
use crate::finding::Finding;
use crate::manifest::Severity;
use crate::measure::Measures;
use crate::tier::Tier;

/// The report format version. Bumped only on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// One run of golive against one environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(
    title = "golive report",
    description = "The result of one `golive check` run against one environment."
)]
pub struct Report {
    /// Report format version; always 1 for this schema.
    pub schema_version: u32,
    /// The tool that wrote the report.
    pub tool: Tool,
    /// Path of the manifest, as given.
    pub manifest: String,
    /// The environment that was checked.
    pub environment: Environment,
    /// When the run started, RFC 3339 UTC.
    #[schemars(with = "String")]
    pub started_at: jiff::Timestamp,
    /// Wall time of the whole run in milliseconds.
    pub duration_ms: u64,
    /// The overall answer.
    pub verdict: Verdict,
    /// The process exit code that goes with the verdict (0, 1 or 3).
    pub exit_code: i32,
    /// Count of checks per status.
    pub summary: Summary,
    /// Every selected check, in manifest order.
    pub checks: Vec<CheckReport>,
}

/// Name and version of the tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    /// Always `golive`.
    pub name: String,
    /// The golive version.
    pub version: String,
}

/// The environment a run targeted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Environment {
    /// The env name from the manifest.
    pub name: String,
    /// Its Octopus tier.
    pub tier: Tier,
    /// The API base URL that was used.
    pub base_url: String,
    /// Whether golive's built-in simulator stood in for Octopus.
    #[serde(default)]
    pub simulator: bool,
}

/// The overall answer of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// No blocking check failed or errored (exit 0).
    Ready,
    /// At least one blocking check failed (exit 1).
    NotReady,
    /// Nothing failed, but a blocking check could not complete (exit 3).
    Inconclusive,
}

impl Verdict {
    /// Report spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ready => "ready",
            Verdict::NotReady => "not_ready",
            Verdict::Inconclusive => "inconclusive",
        }
    }

    /// The process exit code that goes with the verdict: 0, 1 or 3 (SPEC
    /// section 1), as [`Exit::from`] maps it.
    pub fn exit_code(self) -> i32 {
        Exit::from(self).code()
    }

    /// The verdict as a headline for people: `READY`, `NOT READY`,
    /// `INCONCLUSIVE`.
    pub fn headline(self) -> &'static str {
        match self {
            Verdict::Ready => "READY",
            Verdict::NotReady => "NOT READY",
            Verdict::Inconclusive => "INCONCLUSIVE",
        }
    }

    /// How bad the verdict is, for picking the worst of several:
    /// `ready` < `inconclusive` < `not_ready`.
    pub fn severity_rank(self) -> u8 {
        match self {
            Verdict::Ready => 0,
            Verdict::Inconclusive => 1,
            Verdict::NotReady => 2,
        }
    }
}

/// The one mapping from a verdict to the process's exit: every command, report
/// and exit code field goes through it.
impl From<Verdict> for Exit {
    fn from(verdict: Verdict) -> Self {
        match verdict {
            Verdict::Ready => Exit::Ready,
            Verdict::NotReady => Exit::NotReady,
            Verdict::Inconclusive => Exit::Inconclusive,
        }
    }
}

/// The result of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Nothing above info.
    Pass,
    /// A warning, or a failure on a non-blocking check.
    Warn,
    /// A fail finding on a check of severity `error`.
    Fail,
    /// The probe could not complete (timeout, DNS, TLS, 5xx).
    Error,
    /// Not applicable, filtered out, or made meaningless by an earlier finding.
    Skip,
    /// Would block, but an unexpired waiver covers it.
    Waived,
}

impl Status {
    /// Report spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Skip => "skip",
            Status::Waived => "waived",
        }
    }
}

/// Count of checks per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// All checks in the report.
    pub total: usize,
    /// Checks that passed.
    pub pass: usize,
    /// Checks that warned.
    pub warn: usize,
    /// Checks that failed.
    pub fail: usize,
    /// Checks that could not complete.
    pub error: usize,
    /// Checks that were skipped.
    pub skip: usize,
    /// Checks covered by a waiver.
    pub waived: usize,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CheckReport {
    /// The check id from the manifest.
    pub id: String,
    /// The check kind.
    pub kind: String,
    /// What the check proves, in a few words.
    pub title: String,
    /// The check's severity from the manifest.
    pub severity: Severity,
    /// The outcome.
    pub status: Status,
    /// Whether this result holds the launch back (counts toward `not_ready` or
    /// `inconclusive`).
    pub blocking: bool,
    /// How long the check took in milliseconds.
    pub duration_ms: u64,
    /// One line: the most important thing about the result.
    pub summary: String,
    /// What the check observed.
    pub findings: Vec<Finding>,
    /// Kind-specific facts behind the findings (an object; secrets redacted).
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub evidence: serde_json::Value,
    /// `X-Request-Id` values the API returned to this check's calls.
    pub request_ids: Vec<String>,
    /// The waiver that applied to this check, if any (also when expired).
    pub waiver: Option<WaiverReport>,
    /// How many times the check ran (present when it was re-run: `retries`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    /// The check passed only after a re-run: it works, but not every time.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub flaky: bool,
    /// Typed measurements for the Prometheus renderer, filled where the report is
    /// built from the check's outcome. Not in the JSON report (the same facts
    /// are in `evidence`); a report read back from JSON has none.
    #[serde(skip)]
    #[schemars(skip)]
    pub measures: Measures,
}

impl CheckReport {
    /// How the check's attempts read for people: `flaky: passed on attempt 2 of
    /// 3` or `3 attempts`; `None` for a check that ran once.
    pub fn attempts_note(&self) -> Option<String> {
        let n = self.attempts.filter(|n| *n > 1)?;
        Some(if self.flaky {
            format!("flaky: passed on attempt {n}")
        } else {
            format!("{n} attempts")
        })
    }
}

/// A waiver as applied to a check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WaiverReport {
    /// Why the check was waived.
    pub reason: String,
    /// Who is accountable.
    pub owner: String,
    /// Last day it applies (inclusive, UTC), `YYYY-MM-DD`.
    pub expires: String,
    /// True when the waiver has run out and no longer hides the result.
    pub expired: bool,
}

impl Report {
    /// Counts `checks` per status, for [`Report::summary`].
    ///
    /// The runner calls this once when it assembles a report; renderers read the
    /// stored summary rather than recounting.
    pub fn summarize(checks: &[CheckReport]) -> Summary {
        let mut summary = Summary {
            total: checks.len(),
            ..Summary::default()
        };
        for check in checks {
            let slot = match check.status {
                Status::Pass => &mut summary.pass,
                Status::Warn => &mut summary.warn,
                Status::Fail => &mut summary.fail,
                Status::Error => &mut summary.error,
                Status::Skip => &mut summary.skip,
                Status::Waived => &mut summary.waived,
            };
            *slot += 1;
        }
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn summarize_counts_each_status() {
        let report = fixtures::all_statuses();
        assert_eq!(
            Report::summarize(&report.checks),
            Summary {
                total: 7,
                pass: 1,
                warn: 1,
                fail: 2,
                error: 1,
                skip: 1,
                waived: 1,
            }
        );
        assert_eq!(Report::summarize(&[]), Summary::default());
    }
}
