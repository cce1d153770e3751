//! The human report (`--format human`, the default): what an engineer reads on
//! launch day, at a terminal or in a CI log.
//!
//! # Format
//!
//! ```text
//! golive 0.1.0 · env production (production) · https://api.octopuscards.io
//!
//! PASS    credentials  [credentials]      12ms — logged in as client cl_live_42
//! FAIL    webhook      [webhook]         1.24s — endpoint accepted a delivery with a bad signature
//!         fail  bad-signature-accepted  https://hooks.example.com/octopus answered 200 to …
//!               fix: verify X-Signature with HMAC-SHA256 over the raw body and reject mismatches
//!               docs: https://octopus-docs.pages.dev/docs/reference/webhooks/verification
//! WAIVED  kyb          [attestation]       1ms — KYB approval has not been attested
//!         waived by ops@example.com until 2026-12-01: KYB approval expected Monday
//!         fail  attestation-missing  no attestation for step kyb
//!               fix: record the KYB approval under [attestations] once Octopus confirms it
//!
//! 3 checks: 1 pass, 0 warn, 1 fail, 0 error, 0 skip, 1 waived · 10.3s
//! NOT READY — 1 blocking check failed: webhook; 1 waived (exit 1)
//! ```
//!
//! - A header: tool version, env name, tier (`, simulated` when the simulator
//!   stood in for Octopus) and base URL.
//! - One line per check in report order: a fixed-width status badge, the id
//!   padded to the longest id, the kind in brackets, the duration right-aligned
//!   and the check's one-line summary.
//! - Under every check that is not `pass` or `skip` (under every check with
//!   `-v`): its waiver, then each finding (`fail`/`warn`/`info`, code, message,
//!   `(could not complete)` when it made the probe incomplete) with its `fix:`
//!   and `docs:` lines. `-v` adds `request ids:`, `-vv` the evidence as compact
//!   JSON.
//! - A summary line with every status count, zeros included, and the run's
//!   wall time.
//! - The verdict with the exit code, naming the blocking checks behind it
//!   (and saying `simulated` when the simulator stood in for Octopus).
//!
//! The renderer only prints what the report holds; it never decides the
//! verdict. Colour (ANSI SGR) is written only when [`HumanOptions::color`] is
//! set: no escape byte otherwise, whatever the environment says.

use std::io::{self, Write};

use anstyle::AnsiColor as Color;

use super::model::{CheckReport, Report, Status, Verdict, WaiverReport};
use crate::finding::{Finding, Level};

/// How the human report should look; decided once by the caller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HumanOptions {
    /// Emit ANSI colours and bold/dim styling.
    pub color: bool,
    /// 0: details only for checks that need attention; 1 (`-v`): details for
    /// every check, plus request ids; 2 (`-vv`): also evidence.
    pub verbose: u8,
}

/// Width of the status badge column (`WAIVED` is the longest).
const BADGE_WIDTH: usize = 6;
/// Width of the duration column (`  12ms`, ` 1.24s`).
const DURATION_WIDTH: usize = 6;
/// Indentation of a check's detail lines: under the check id.
const DETAIL: &str = "        ";
/// Indentation of a finding's `fix:`/`docs:` lines: under its code.
const FINDING_DETAIL: &str = "              ";

/// Writes the human report for `report` to `out`.
pub fn render(report: &Report, out: &mut dyn Write, opts: &HumanOptions) -> io::Result<()> {
    let paint = Painter { color: opts.color };
    write_header(report, out, paint)?;

    let id_width = width(report.checks.iter().map(|c| c.id.as_str()));
    let kind_width = width(report.checks.iter().map(|c| c.kind.as_str())) + 2;
    for check in &report.checks {
        write_check_line(check, out, paint, id_width, kind_width)?;
        write_details(check, out, paint, opts.verbose)?;
    }
    if !report.checks.is_empty() {
        writeln!(out)?;
    }

    write_summary(report, out, paint)?;
    write_verdict(report, out, paint)
}

/// Writes the human report of every report in `reports` (one per environment),
/// a blank line between them; with more than one, a last line gives the
/// overall (worst) verdict:
///
/// ```text
/// Overall: NOT READY — worst of 2 environments (exit 1)
/// ```
pub fn render_many(reports: &[Report], out: &mut dyn Write, opts: &HumanOptions) -> io::Result<()> {
    for (i, report) in reports.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        render(report, out, opts)?;
    }
    if reports.len() < 2 {
        return Ok(());
    }
    let verdict = super::multi::worst(reports.iter().map(|r| r.verdict));
    // SPEC 8.1: a simulator's READY is not Octopus's.
    let simulated = if reports.iter().all(|r| r.environment.simulator) {
        " (simulated)"
    } else {
        ""
    };
    writeln!(
        out,
        "\nOverall: {}{simulated} — worst of {} environments (exit {})",
        verdict.headline(),
        reports.len(),
        verdict.exit_code()
    )
}

/// `golive 0.1.0 · env production (production) · https://…`, then a blank line.
fn write_header(report: &Report, out: &mut dyn Write, paint: Painter) -> io::Result<()> {
    let env = &report.environment;
    let simulator = if env.simulator { ", simulated" } else { "" };
    writeln!(
        out,
        "{} · env {} ({}{simulator}) · {}",
        paint.bold(&format!("{} {}", report.tool.name, report.tool.version)),
        paint.bold(&env.name),
        env.tier,
        env.base_url,
    )?;
    writeln!(out)
}

/// The one line that stands for a check.
fn write_check_line(
    check: &CheckReport,
    out: &mut dyn Write,
    paint: Painter,
    id_width: usize,
    kind_width: usize,
) -> io::Result<()> {
    let badge = format!("{:<BADGE_WIDTH$}", badge(check.status));
    let kind = format!("[{}]", check.kind);
    writeln!(
        out,
        "{}  {:<id_width$}  {}  {:>DURATION_WIDTH$} — {}",
        paint.status(check.status, &badge),
        check.id,
        paint.dim(&format!("{kind:<kind_width$}")),
        duration(check.duration_ms),
        match check.attempts_note() {
            Some(note) => format!("{} ({note})", check.summary),
            None => check.summary.clone(),
        },
    )
}

/// The indented lines under a check: waiver, findings, request ids, evidence.
fn write_details(
    check: &CheckReport,
    out: &mut dyn Write,
    paint: Painter,
    verbose: u8,
) -> io::Result<()> {
    let needs_attention = !matches!(check.status, Status::Pass | Status::Skip);
    if !needs_attention && verbose == 0 {
        return Ok(());
    }
    if let Some(waiver) = &check.waiver {
        write_waiver(check.status, waiver, out, paint, verbose)?;
    }
    for finding in &check.findings {
        write_finding(finding, out, paint)?;
    }
    if verbose >= 1 && !check.request_ids.is_empty() {
        writeln!(
            out,
            "{DETAIL}{} {}",
            paint.dim("request ids:"),
            check.request_ids.join(", ")
        )?;
    }
    write_timelines(&check.evidence, out, paint)?;
    if verbose >= 2 && !is_empty_evidence(&check.evidence) {
        writeln!(out, "{DETAIL}{} {}", paint.dim("evidence:"), check.evidence)?;
    }
    Ok(())
}

/// Request timelines recorded by a check (the `client_retry` proxy): one line per
/// request under its phase, so the human report shows what the client did.
fn write_timelines(
    evidence: &serde_json::Value,
    out: &mut dyn Write,
    paint: Painter,
) -> io::Result<()> {
    let Some(phases) = evidence.get("phases").and_then(|p| p.as_array()) else {
        return Ok(());
    };
    for phase in phases {
        let Some(lines) = phase.get("timeline").and_then(|t| t.as_array()) else {
            continue;
        };
        let name = phase.get("phase").and_then(|n| n.as_str()).unwrap_or("?");
        let result = phase.get("result").and_then(|r| r.as_str()).unwrap_or("");
        writeln!(out, "{DETAIL}{} {name}: {result}", paint.dim("timeline"))?;
        for line in lines.iter().filter_map(|l| l.as_str()) {
            writeln!(out, "{DETAIL}  {line}")?;
        }
    }
    Ok(())
}

/// A waiver line: why the check is waived, or that the waiver ran out.
fn write_waiver(
    status: Status,
    waiver: &WaiverReport,
    out: &mut dyn Write,
    paint: Painter,
    verbose: u8,
) -> io::Result<()> {
    if waiver.expired {
        let line = format!("waiver expired {} (owner {})", waiver.expires, waiver.owner);
        writeln!(out, "{DETAIL}{}", paint.fg(Color::Yellow, &line))
    } else if status == Status::Waived {
        let line = format!(
            "waived by {} until {}: {}",
            waiver.owner, waiver.expires, waiver.reason
        );
        writeln!(out, "{DETAIL}{}", paint.fg(Color::Cyan, &line))
    } else if verbose >= 1 {
        // A live waiver the result did not need: worth knowing, not alarming.
        writeln!(
            out,
            "{DETAIL}{}",
            paint.dim(&format!(
                "waiver on file, not applied: by {} until {}: {}",
                waiver.owner, waiver.expires, waiver.reason
            ))
        )
    } else {
        Ok(())
    }
}

/// `fail  code  message`, then `fix:` and `docs:` under it.
fn write_finding(finding: &Finding, out: &mut dyn Write, paint: Painter) -> io::Result<()> {
    let tag = format!("{:<4}", finding.level.as_str());
    let tag = match finding.level {
        Level::Fail => paint.fg(Color::Red, &tag),
        Level::Warn => paint.fg(Color::Yellow, &tag),
        Level::Info => paint.dim(&tag),
    };
    let incomplete = if finding.incomplete {
        format!(" {}", paint.dim("(could not complete)"))
    } else {
        String::new()
    };
    writeln!(
        out,
        "{DETAIL}{tag}  {}  {}{incomplete}",
        paint.bold(&finding.code),
        finding.message
    )?;
    if !finding.remediation.is_empty() {
        writeln!(out, "{FINDING_DETAIL}fix: {}", finding.remediation)?;
    }
    if let Some(docs) = &finding.docs {
        writeln!(
            out,
            "{FINDING_DETAIL}{}",
            paint.dim(&format!("docs: {docs}"))
        )?;
    }
    Ok(())
}

/// `7 checks: 1 pass, 1 warn, 2 fail, 1 error, 1 skip, 1 waived · 10.3s`.
///
/// Every count is printed, zeros included, so the line has one shape that
/// scripts and eyes can rely on; non-zero counts carry their status colour.
fn write_summary(report: &Report, out: &mut dyn Write, paint: Painter) -> io::Result<()> {
    let s = &report.summary;
    let counts = [
        (Status::Pass, s.pass),
        (Status::Warn, s.warn),
        (Status::Fail, s.fail),
        (Status::Error, s.error),
        (Status::Skip, s.skip),
        (Status::Waived, s.waived),
    ]
    .map(|(status, n)| {
        let text = format!("{n} {}", status.as_str());
        if n == 0 {
            text
        } else {
            paint.status(status, &text)
        }
    })
    .join(", ");
    writeln!(
        out,
        "{} {}: {counts} · {}",
        s.total,
        plural(s.total, "check", "checks"),
        duration(report.duration_ms).trim_start(),
    )
}

/// The verdict, naming the blocking checks behind it, and the exit code.
fn write_verdict(report: &Report, out: &mut dyn Write, paint: Painter) -> io::Result<()> {
    let failed = blocking_ids(report, |s| matches!(s, Status::Fail | Status::Warn));
    let errored = blocking_ids(report, |s| s == Status::Error);
    let (color, detail) = match report.verdict {
        Verdict::Ready => (Color::Green, "no blocking check failed".to_string()),
        Verdict::NotReady => {
            let mut detail = format!(
                "{} blocking {} failed",
                failed.len(),
                plural(failed.len(), "check", "checks")
            );
            if !failed.is_empty() {
                detail.push_str(&format!(": {}", failed.join(", ")));
            }
            if !errored.is_empty() {
                detail.push_str(&format!(
                    "; {} could not complete: {}",
                    errored.len(),
                    errored.join(", ")
                ));
            }
            (Color::Red, detail)
        }
        Verdict::Inconclusive => {
            let mut detail = format!(
                "{} blocking {} could not complete",
                errored.len(),
                plural(errored.len(), "check", "checks")
            );
            if !errored.is_empty() {
                detail.push_str(&format!(": {}", errored.join(", ")));
            }
            (Color::Yellow, detail)
        }
    };
    let waived = if report.summary.waived > 0 {
        format!("; {} waived", report.summary.waived)
    } else {
        String::new()
    };
    // SPEC 8.1: a simulator's READY is not Octopus's; the verdict says so.
    let simulated = if report.environment.simulator {
        " (simulated)"
    } else {
        ""
    };
    let line = format!(
        "{}{simulated} — {detail}{waived}",
        report.verdict.headline()
    );
    writeln!(
        out,
        "{} {}",
        paint.verdict(color, &line),
        paint.dim(&format!("(exit {})", report.exit_code))
    )
}

/// Ids of blocking checks whose status matches, in report order.
fn blocking_ids(report: &Report, matches: impl Fn(Status) -> bool) -> Vec<&str> {
    report
        .checks
        .iter()
        .filter(|c| c.blocking && matches(c.status))
        .map(|c| c.id.as_str())
        .collect()
}

/// The badge text for a status, before padding.
fn badge(status: Status) -> &'static str {
    match status {
        Status::Pass => "PASS",
        Status::Warn => "WARN",
        Status::Fail => "FAIL",
        Status::Error => "ERROR",
        Status::Skip => "SKIP",
        Status::Waived => "WAIVED",
    }
}

/// A duration in the units a person reads fastest: `12ms`, `1.24s`, `12.3s`,
/// `2m05s`, right-aligned to the duration column.
pub(super) fn duration(ms: u64) -> String {
    let text = match ms {
        // Bounds sit where rounding would reach the next unit's width.
        0..=999 => format!("{ms}ms"),
        1_000..=9_994 => format!("{:.2}s", ms as f64 / 1000.0),
        9_995..=59_949 => format!("{:.1}s", ms as f64 / 1000.0),
        _ => {
            let secs = ms.saturating_add(500) / 1000;
            format!("{}m{:02}s", secs / 60, secs % 60)
        }
    };
    format!("{text:>DURATION_WIDTH$}")
}

/// Widest a padded column gets: a longer value (only a hand-made report could hold
/// one) is printed whole and pushes its own line only, and no padding width comes
/// near the formatter's limit of 65535, past which `format!` panics (SPEC 8.5).
pub(crate) const MAX_COLUMN: usize = 64;

/// Longest string, in characters, for column padding, at most [`MAX_COLUMN`].
fn width<'a>(items: impl Iterator<Item = &'a str>) -> usize {
    items
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0)
        .min(MAX_COLUMN)
}

pub(super) fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// Evidence not worth a line: absent or an empty object.
fn is_empty_evidence(evidence: &serde_json::Value) -> bool {
    match evidence {
        serde_json::Value::Null => true,
        serde_json::Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// Applies ANSI styling when colour is on, and returns text untouched when off.
///
/// The caller's decision is the only one (no global switch, no environment), e.g.
/// `--color always` into a pipe. Colours are [`anstyle::AnsiColor`]s; the escapes
/// are written here as one SGR sequence per span (`ESC[1;32m`), the bytes golive
/// has always written, where `anstyle`'s own rendering would write one sequence
/// per effect. Text is padded *before* painting so columns stay aligned.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Painter {
    color: bool,
}

/// The SGR foreground code of `color`: 30-37, or 90-97 for the bright ones.
fn fg_code(color: Color) -> u8 {
    let n = color as u8;
    if n < 8 { 30 + n } else { 90 + n - 8 }
}

impl Painter {
    /// Paints when `color` is set, and leaves text untouched otherwise.
    pub(crate) fn new(color: bool) -> Self {
        Painter { color }
    }

    /// Wraps `text` in the SGR sequence `codes` (e.g. `1;32`).
    fn sgr(self, codes: &str, text: &str) -> String {
        if self.color && !text.is_empty() {
            format!("\x1b[{codes}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn bold(self, text: &str) -> String {
        self.sgr("1", text)
    }

    fn dim(self, text: &str) -> String {
        self.sgr("2", text)
    }

    fn fg(self, color: Color, text: &str) -> String {
        self.sgr(&fg_code(color).to_string(), text)
    }

    /// Bold and coloured: the verdict (or an error) must stand out.
    pub(crate) fn verdict(self, color: Color, text: &str) -> String {
        self.sgr(&format!("1;{}", fg_code(color)), text)
    }

    /// A status's own style: pass green, warn yellow, fail red, error magenta,
    /// skip dimmed, waived cyan; bold except skip.
    fn status(self, status: Status, text: &str) -> String {
        let color = match status {
            Status::Pass => Color::Green,
            Status::Warn => Color::Yellow,
            Status::Fail => Color::Red,
            Status::Error => Color::Magenta,
            Status::Waived => Color::Cyan,
            Status::Skip => return self.dim(text),
        };
        self.sgr(&format!("1;{}", fg_code(color)), text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    fn render_to_string(report: &Report, color: bool, verbose: u8) -> String {
        let mut buf = Vec::new();
        render(report, &mut buf, &HumanOptions { color, verbose }).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn a_flaky_check_says_so_on_its_line() {
        let mut report = fixtures::all_statuses();
        report.checks[0].status = Status::Pass;
        report.checks[0].attempts = Some(2);
        report.checks[0].flaky = true;
        report.checks[1].attempts = Some(3);
        let text = render_to_string(&report, false, 0);
        let line = |id: &str| {
            text.lines()
                .find(|l| l.contains(&format!(" {id} ")))
                .unwrap_or_default()
                .to_string()
        };
        let first = line(&report.checks[0].id);
        assert!(first.ends_with("(flaky: passed on attempt 2)"), "{first}");
        let second = line(&report.checks[1].id);
        assert!(second.ends_with("(3 attempts)"), "{second}");
    }

    #[test]
    fn plain_output_has_no_escapes_and_every_part() {
        let report = fixtures::all_statuses();
        let text = render_to_string(&report, false, 0);
        assert!(!text.contains('\x1b'), "{text}");
        assert!(text.starts_with(
            "golive 0.1.0 · env production (production) · https://api.octopuscards.io\n\n"
        ));
        for line in [
            "PASS    credentials   [credentials]     12ms — logged in as client cl_live_42",
            "WARN    wallet-usd    [wallet]         240ms — USD balance is below the warning level",
            "FAIL    webhook       [webhook]        1.24s — endpoint accepted a delivery with a bad signature",
            "ERROR   egress        [egress]         10.0s — could not learn the egress IP",
            "SKIP    request-id    [request_id]       0ms — filtered out by --skip",
            "WAIVED  kyb-attested  [attestation]      1ms — KYB approval has not been attested",
            "FAIL    retry-policy  [retry_policy]     0ms — the client does not retry 429 responses",
        ] {
            assert!(
                text.contains(&format!("{line}\n")),
                "missing {line:?} in\n{text}"
            );
        }
        for line in [
            "        fail  bad-signature-accepted  https://hooks.example.com/octopus answered 200 to a delivery signed with the wrong key",
            "              fix: verify X-Signature with HMAC-SHA256 over the raw body and reject mismatches",
            "              docs: https://octopus-docs.pages.dev/docs/reference/webhooks/verification",
            "        warn  balance-low  USD wallet balance 900.00 is below warn_balance 1000.00",
            "        info  wallet-type-ok  wallet type is prepaid",
            "        fail  egress-ip-unknown  the IP echo service timed out after 10s (could not complete)",
            "        waived by ops@example.com until 2026-12-01: KYB approval expected Monday",
            "        waiver expired 2026-11-01 (owner dev@example.com)",
            "7 checks: 1 pass, 1 warn, 2 fail, 1 error, 1 skip, 1 waived · 10.3s",
            "NOT READY — 2 blocking checks failed: webhook, retry-policy; 1 could not complete: egress; 1 waived (exit 1)",
        ] {
            assert!(
                text.contains(&format!("{line}\n")),
                "missing {line:?} in\n{text}"
            );
        }
        assert!(text.ends_with("(exit 1)\n"));
        // A finding without remediation gets no empty `fix:` line.
        assert!(!text.contains("fix: \n"));
        // Passing and skipped checks stay one line without -v.
        assert!(!text.contains("login-ok"));
        assert!(!text.contains("request ids:"));
        assert!(!text.contains("evidence:"));
    }

    #[test]
    fn colour_output_has_escapes() {
        let text = render_to_string(&fixtures::all_statuses(), true, 0);
        assert!(text.contains("\x1b[1;32mPASS  \x1b[0m"), "{text}");
        assert!(text.contains("\x1b[1;31mFAIL  \x1b[0m"));
        assert!(text.contains("\x1b[1;35mERROR \x1b[0m"));
        assert!(text.contains("\x1b[1;36mWAIVED\x1b[0m"));
        assert!(text.contains("\x1b[1;31mNOT READY —"));
        assert!(text.contains("\x1b[1mbad-signature-accepted\x1b[0m"));
    }

    #[test]
    fn colour_is_the_only_difference() {
        let report = fixtures::all_statuses();
        let plain = render_to_string(&report, false, 2);
        let coloured = render_to_string(&report, true, 2);
        assert_eq!(strip_ansi(&coloured), plain);
    }

    #[test]
    fn verbose_shows_request_ids_then_evidence() {
        let report = fixtures::all_statuses();
        let v1 = render_to_string(&report, false, 1);
        assert!(
            v1.contains("        request ids: req_cred_1, req_cred_2\n"),
            "{v1}"
        );
        assert!(v1.contains("        request ids: req_wallet_1\n"));
        assert!(v1.contains("        info  login-ok  login succeeded for client_id cl_live_42\n"));
        assert!(!v1.contains("evidence:"));

        let v2 = render_to_string(&report, false, 2);
        assert!(
            v2.contains(r#"        evidence: {"client_id":"cl_live_42","status":200}"#),
            "{v2}"
        );
        // Empty evidence objects are not worth a line.
        assert_eq!(v2.matches("evidence:").count(), 1);
    }

    #[test]
    fn empty_ready_report() {
        let text = render_to_string(&fixtures::empty_ready(), false, 0);
        assert_eq!(
            text,
            "golive 0.1.0 · env sim (sandbox, simulated) · http://127.0.0.1:8080\n\
             \n\
             0 checks: 0 pass, 0 warn, 0 fail, 0 error, 0 skip, 0 waived · 3ms\n\
             READY (simulated) — no blocking check failed (exit 0)\n"
        );
        // A real env's header and verdict do not say simulated.
        let mut real = fixtures::empty_ready();
        real.environment.simulator = false;
        let text = render_to_string(&real, false, 0);
        assert!(text.contains("env sim (sandbox) ·"), "{text}");
        assert!(
            text.ends_with("\nREADY — no blocking check failed (exit 0)\n"),
            "{text}"
        );
    }

    #[test]
    fn inconclusive_and_singular_wording() {
        let mut report = fixtures::all_statuses();
        report
            .checks
            .retain(|c| c.id != "webhook" && c.id != "retry-policy");
        report.checks.retain(|c| c.status != Status::Waived);
        report.summary = Report::summarize(&report.checks);
        report.verdict = Verdict::Inconclusive;
        report.exit_code = 3;
        let text = render_to_string(&report, false, 0);
        assert!(
            text.contains("INCONCLUSIVE — 1 blocking check could not complete: egress (exit 3)\n"),
            "{text}"
        );
        assert!(text.contains("4 checks: 1 pass, 1 warn, 0 fail, 1 error, 1 skip, 0 waived"));
    }

    #[test]
    fn ready_with_a_waiver_says_so() {
        let mut report = fixtures::all_statuses();
        report.checks.retain(|c| !c.blocking);
        report.summary = Report::summarize(&report.checks);
        report.verdict = Verdict::Ready;
        report.exit_code = 0;
        let text = render_to_string(&report, false, 0);
        assert!(
            text.contains("READY — no blocking check failed; 1 waived (exit 0)\n"),
            "{text}"
        );
    }

    #[test]
    fn over_long_ids_and_kinds_render_without_a_panic() {
        // SPEC 8.5: a padding width past 65535 used to panic `format!`.
        let mut report = fixtures::all_statuses();
        report.checks[0].id = "x".repeat(70_000);
        report.checks[1].kind = "k".repeat(70_000);
        let text = render_to_string(&report, false, 0);
        assert!(text.contains(&"x".repeat(70_000)));
        // Ordinary ids still line up on the padded column.
        let short = render_to_string(&fixtures::all_statuses(), false, 0);
        assert!(short.contains("webhook "), "{short}");
    }

    #[test]
    fn durations() {
        for (ms, want) in [
            (0, "   0ms"),
            (12, "  12ms"),
            (999, " 999ms"),
            (1_240, " 1.24s"),
            (9_994, " 9.99s"),
            (10_312, " 10.3s"),
            (9_995, " 10.0s"),
            (59_900, " 59.9s"),
            (59_950, " 1m00s"),
            (125_000, " 2m05s"),
            (u64::MAX, "307445734561825m51s"),
        ] {
            assert_eq!(duration(ms), want, "{ms}ms");
        }
    }

    /// Removes SGR sequences (`ESC [ … m`).
    fn strip_ansi(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn render_many_adds_an_overall_line_for_several() {
        let opts = HumanOptions::default();
        let mut one = Vec::new();
        render_many(&[fixtures::empty_ready()], &mut one, &opts).unwrap();
        assert_eq!(
            one,
            render_to_string(&fixtures::empty_ready(), false, 0).into_bytes()
        );

        let mut buf = Vec::new();
        render_many(
            &[fixtures::empty_ready(), fixtures::all_statuses()],
            &mut buf,
            &opts,
        )
        .unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(text.starts_with("golive 0.1.0 · env sim (sandbox, simulated)"));
        assert!(text.contains(
            "READY (simulated) — no blocking check failed (exit 0)\n\ngolive 0.1.0 · env production"
        ));
        assert!(
            text.ends_with("(exit 1)\n\nOverall: NOT READY — worst of 2 environments (exit 1)\n"),
            "{text}"
        );

        let mut buf = Vec::new();
        render_many(
            &[fixtures::empty_ready(), fixtures::empty_ready()],
            &mut buf,
            &opts,
        )
        .unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(
            text.ends_with("\nOverall: READY (simulated) — worst of 2 environments (exit 0)\n"),
            "{text}"
        );
    }
}
