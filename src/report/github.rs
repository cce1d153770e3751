//! The GitHub Actions report (`--format github`, and the annotations golive
//! adds under `GITHUB_ACTIONS=true` whatever the format): workflow commands
//! that GitHub turns into annotations on the run, plus a Markdown step summary.
//!
//! # Format
//!
//! One workflow command per line:
//!
//! ```text
//! ::error title=golive production/webhook%3A bad-signature-accepted::https://hooks.example.com/octopus answered 200 to a delivery signed with the wrong key — fix: verify X-Signature with HMAC-SHA256 over the raw body and reject mismatches — docs: https://octopus-docs.pages.dev/docs/reference/webhooks/verification
//! ::warning title=golive production/webhook%3A unknown-event-rejected::an unknown event type was answered with 400 — fix: acknowledge event types you do not handle with 2xx
//! ::notice title=golive production/kyb-attested%3A attestation-missing (waived)::no attestation for step kyb — waived by ops@example.com until 2026-12-01: KYB approval expected Monday
//! ::notice title=golive::NOT READY (exit 1) — production: not_ready, 7 checks (1 pass, 1 warn, 2 fail, 1 error, 1 skip, 1 waived)
//! ```
//!
//! - [`annotations`] writes one command per finding of every check that is not
//!   `pass`, titled `golive <env>/<check>: <code>`, with the finding's message,
//!   ` — fix: <remediation>` and ` — docs: <url>` when present. A `fail` or
//!   `error` check with no finding (and a blocking `warn` check with none)
//!   gets one `::error` with its summary instead.
//! - The command follows what the finding means for the gate: `::error` for a
//!   `fail` finding, or one that made the probe incomplete, on a blocking
//!   check (and for a `warn` finding on a check that blocks under `--strict`);
//!   `::warning` for `warn` findings and for `fail`/incomplete findings on
//!   non-blocking checks; `::notice` for `info` findings, and for every
//!   finding of a `skip` or `waived` check (the latter with ` (waived)` in the
//!   title and the waiver after the message).
//! - [`render`] adds a final `::notice title=golive::` line with the overall
//!   verdict, its exit code and each environment's verdict and counts; a
//!   simulator env's verdict is followed by `(simulated)`, and the overall one
//!   by `, simulated` when every env was a simulator env.
//! - Escaping follows the runner: in the message `%`, CR and LF become `%25`,
//!   `%0D`, `%0A`; in the `title` property `:` and `,` also become `%3A` and
//!   `%2C`.
//!
//! The step summary ([`step_summary`]) is the Markdown board of
//! [`crate::report::markdown`]; [`append_step_summary`] appends it to the file
//! named by `$GITHUB_STEP_SUMMARY`, which [`ActionsEnv`] reads.
//!
//! The runner reads workflow commands from both stdout and stderr, so when
//! annotations accompany another format on stdout they belong on stderr.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::markdown;
use super::model::{CheckReport, Report, Status};
use super::multi::{unique_names, worst};
use crate::finding::{Finding, Level};

/// Writes one workflow command per finding of every non-`pass` check.
pub fn annotations(reports: &[Report], out: &mut dyn Write) -> io::Result<()> {
    let envs = unique_names(reports.iter().map(|r| r.environment.name.as_str()));
    for (report, env) in reports.iter().zip(&envs) {
        for check in report.checks.iter().filter(|c| c.status != Status::Pass) {
            check_annotations(env, check, out)?;
        }
    }
    Ok(())
}

/// [`annotations`], then a final `::notice` with the overall verdict.
pub fn render(reports: &[Report], out: &mut dyn Write) -> io::Result<()> {
    annotations(reports, out)?;
    let verdict = worst(reports.iter().map(|r| r.verdict));
    let envs = unique_names(reports.iter().map(|r| r.environment.name.as_str()));
    let per_env: Vec<String> = reports
        .iter()
        .zip(&envs)
        .map(|(r, env)| {
            let s = &r.summary;
            format!(
                "{env}: {}{}, {} {} ({} pass, {} warn, {} fail, {} error, {} skip, {} waived)",
                r.verdict.as_str(),
                if r.environment.simulator {
                    " (simulated)"
                } else {
                    ""
                },
                s.total,
                if s.total == 1 { "check" } else { "checks" },
                s.pass,
                s.warn,
                s.fail,
                s.error,
                s.skip,
                s.waived
            )
        })
        .collect();
    let mut message = format!("{} (exit {})", verdict.headline(), verdict.exit_code());
    // SPEC 8.1: a verdict reached against golive's simulator says so.
    if !reports.is_empty() && reports.iter().all(|r| r.environment.simulator) {
        message.push_str(", simulated");
    }
    if !per_env.is_empty() {
        message.push_str(" — ");
        message.push_str(&per_env.join("; "));
    }
    command(out, "notice", "golive", &message)
}

/// The Markdown step summary: the go-live board of [`markdown::render`].
pub fn step_summary(reports: &[Report]) -> String {
    markdown::to_string(reports)
}

/// Appends [`step_summary`] to `path` (the file `$GITHUB_STEP_SUMMARY` names),
/// creating it if needed, followed by a blank line so later summaries start a
/// new block.
pub fn append_step_summary(path: &Path, reports: &[Report]) -> io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let mut text = step_summary(reports);
    text.push('\n');
    file.write_all(text.as_bytes())
}

/// What the GitHub Actions environment asks of golive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionsEnv {
    /// `GITHUB_ACTIONS=true`: emit annotations alongside whatever format was
    /// chosen.
    pub annotate: bool,
    /// `GITHUB_STEP_SUMMARY`, when set and not empty: where to append the
    /// step summary.
    pub step_summary: Option<PathBuf>,
}

impl ActionsEnv {
    /// Reads variables through `lookup`: the command passes the process
    /// environment, tests their own.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<OsString>) -> Self {
        ActionsEnv {
            annotate: lookup("GITHUB_ACTIONS").is_some_and(|v| v == "true"),
            step_summary: lookup("GITHUB_STEP_SUMMARY")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        }
    }
}

/// The commands for one check.
fn check_annotations(env: &str, check: &CheckReport, out: &mut dyn Write) -> io::Result<()> {
    let base = format!("golive {env}/{}", check.id);
    if check.findings.is_empty() {
        let blocks = matches!(check.status, Status::Fail | Status::Error)
            || (check.status == Status::Warn && check.blocking);
        if blocks {
            return command(out, "error", &base, &check.summary);
        }
        return Ok(());
    }
    let waived = check.status == Status::Waived;
    for finding in &check.findings {
        let level = level_for(check, finding);
        let title = if waived {
            format!("{base}: {} (waived)", finding.code)
        } else {
            format!("{base}: {}", finding.code)
        };
        let mut message = finding.message.clone();
        if !finding.remediation.is_empty() {
            message.push_str(" — fix: ");
            message.push_str(&finding.remediation);
        }
        if let Some(docs) = &finding.docs {
            message.push_str(" — docs: ");
            message.push_str(docs);
        }
        if waived && let Some(w) = &check.waiver {
            message.push_str(&format!(
                " — waived by {} until {}: {}",
                w.owner, w.expires, w.reason
            ));
        }
        command(out, level, &title, &message)?;
    }
    Ok(())
}

/// Which command a finding becomes, given what its check means for the gate.
fn level_for(check: &CheckReport, finding: &Finding) -> &'static str {
    if matches!(check.status, Status::Skip | Status::Waived | Status::Pass) {
        return "notice";
    }
    match finding.level {
        _ if finding.incomplete || finding.level == Level::Fail => {
            if check.blocking {
                "error"
            } else {
                "warning"
            }
        }
        Level::Warn if check.blocking && check.status == Status::Warn => "error",
        Level::Warn => "warning",
        _ => "notice",
    }
}

/// `::<level> title=<title>::<message>`, escaped.
fn command(out: &mut dyn Write, level: &str, title: &str, message: &str) -> io::Result<()> {
    writeln!(
        out,
        "::{level} title={}::{}",
        escape_property(title),
        escape_data(message)
    )
}

/// Escapes a command's message.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property's value.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    fn lines(
        f: fn(&[Report], &mut dyn Write) -> io::Result<()>,
        reports: &[Report],
    ) -> Vec<String> {
        let mut buf = Vec::new();
        f(reports, &mut buf).unwrap();
        String::from_utf8(buf)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn one_command_per_finding_of_non_passing_checks() {
        let out = lines(annotations, &[fixtures::all_statuses()]);
        assert_eq!(
            out,
            [
                "::warning title=golive production/wallet-usd%3A balance-low::USD wallet balance 900.00 is below warn_balance 1000.00 — fix: top up the USD wallet by wire before launch — docs: https://octopus-docs.pages.dev/docs/reference/wallets",
                "::notice title=golive production/wallet-usd%3A wallet-type-ok::wallet type is prepaid",
                "::error title=golive production/webhook%3A bad-signature-accepted::https://hooks.example.com/octopus answered 200 to a delivery signed with the wrong key — fix: verify X-Signature with HMAC-SHA256 over the raw body and reject mismatches — docs: https://octopus-docs.pages.dev/docs/reference/webhooks/verification",
                "::warning title=golive production/webhook%3A unknown-event-rejected::an unknown event type was answered with 400 — fix: acknowledge event types you do not handle with 2xx",
                "::error title=golive production/egress%3A egress-ip-unknown::the IP echo service timed out after 10s — fix: check outbound connectivity, or set egress.ip in the manifest",
                "::notice title=golive production/kyb-attested%3A attestation-missing (waived)::no attestation for step kyb — fix: record the KYB approval under [attestations] once Octopus confirms it — waived by ops@example.com until 2026-12-01: KYB approval expected Monday",
                "::error title=golive production/retry-policy%3A no-retry-on-429::[client] retry_on does not include 429 — fix: retry 429 responses after the Retry-After delay",
                "::warning title=golive production/retry-policy%3A waiver-expired::the waiver for retry-policy expired on 2026-11-01 — fix: fix the check or renew the waiver with a new expiry",
            ]
        );
    }

    #[test]
    fn render_ends_with_the_verdict() {
        let out = lines(render, &[fixtures::all_statuses(), fixtures::empty_ready()]);
        assert_eq!(
            out.last().unwrap(),
            "::notice title=golive::NOT READY (exit 1) — production: not_ready, 7 checks (1 pass, 1 warn, 2 fail, 1 error, 1 skip, 1 waived); sim: ready (simulated), 0 checks (0 pass, 0 warn, 0 fail, 0 error, 0 skip, 0 waived)"
        );
        assert_eq!(
            lines(render, &[fixtures::empty_ready()]),
            [
                "::notice title=golive::READY (exit 0), simulated — sim: ready (simulated), 0 checks (0 pass, 0 warn, 0 fail, 0 error, 0 skip, 0 waived)"
            ]
        );
    }

    #[test]
    fn checks_without_findings_and_strict_warnings() {
        let mut report = fixtures::all_statuses();
        report.checks[2].findings.clear();
        report.checks[1].blocking = true; // --strict
        let out = lines(annotations, &[report]);
        assert!(out.contains(
            &"::error title=golive production/webhook::endpoint accepted a delivery with a bad signature".to_string()
        ), "{out:#?}");
        assert!(out[0].starts_with("::error title=golive production/wallet-usd%3A balance-low::"));
        assert!(
            out[1].starts_with("::notice title=golive production/wallet-usd%3A wallet-type-ok::")
        );
    }

    #[test]
    fn escapes_data_and_properties() {
        let mut report = fixtures::all_statuses();
        report.environment.name = "eu:west,1".into();
        report.checks[2].findings[0].message = "100% bad\r\nsecond line".into();
        let out = lines(annotations, &[report]);
        let line = out
            .iter()
            .find(|l| l.contains("bad-signature-accepted"))
            .unwrap();
        assert!(
            line.starts_with("::error title=golive eu%3Awest%2C1/webhook%3A bad-signature-accepted::100%25 bad%0D%0Asecond line — fix:"),
            "{line}"
        );
        assert_eq!(escape_property("a%b:c,d\ne"), "a%25b%3Ac%2Cd%0Ae");
        assert_eq!(escape_data("a%b:c,d\re"), "a%25b:c,d%0De");
    }

    #[test]
    fn step_summary_is_the_markdown_board_and_appends() {
        let reports = [fixtures::all_statuses()];
        let summary = step_summary(&reports);
        assert!(summary.starts_with("## ❌ NOT READY · golive · production\n"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.md");
        std::fs::write(&path, "earlier step\n").unwrap();
        append_step_summary(&path, &reports).unwrap();
        append_step_summary(&path, &reports).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("earlier step\n## ❌ NOT READY"));
        assert_eq!(
            text.matches("## ❌ NOT READY · golive · production")
                .count(),
            2
        );
    }

    #[test]
    fn reads_the_actions_environment() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            ActionsEnv::from_lookup(move |k| {
                vars.iter()
                    .find(|(name, _)| *name == k)
                    .map(|(_, v)| OsString::from(v))
            })
        };
        assert_eq!(env(&[]), ActionsEnv::default());
        assert_eq!(
            env(&[
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_STEP_SUMMARY", "/tmp/s.md")
            ]),
            ActionsEnv {
                annotate: true,
                step_summary: Some(PathBuf::from("/tmp/s.md"))
            }
        );
        assert!(!env(&[("GITHUB_ACTIONS", "false")]).annotate);
        assert_eq!(env(&[("GITHUB_STEP_SUMMARY", "")]).step_summary, None);
    }
}
