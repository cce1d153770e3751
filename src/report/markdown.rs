//! The Markdown report (`--format markdown`, `--report-markdown PATH`, the
//! GitHub step summary, `golive report merge`): a go-live board a person
//! pastes into a ticket or reads on a pull request.
//!
//! # Format
//!
//! GitHub-flavoured Markdown. For one environment:
//!
//! ```markdown
//! ## ❌ NOT READY · golive · production
//!
//! - **Verdict:** ❌ NOT READY (`not_ready`, exit 1): 2 blocking checks failed: `webhook`, `retry-policy`; 1 could not complete: `egress`; 1 waived
//! - **Environment:** `production` · production tier · https://api.octopuscards.io
//! - **Run:** started 2026-11-29T02:00:00Z · 10.3s · manifest `checks.toml` · golive 0.1.0
//! - **Checks:** 7 total · 1 pass · 1 warn · 2 fail · 1 error · 1 skip · 1 waived
//!
//! | status | check | kind | summary | time |
//! | --- | --- | --- | --- | ---: |
//! | ✅ pass | `credentials` | credentials | logged in as client cl_live_42 | 12ms |
//! | ❌ fail | `webhook` | webhook | endpoint accepted a delivery with a bad signature | 1.24s |
//!
//! ### Findings
//!
//! #### ❌ `webhook`: endpoint accepted a delivery with a bad signature
//!
//! - **fail** `bad-signature-accepted`: https://hooks.example.com/octopus answered 200 to …
//!   - fix: verify X-Signature with HMAC-SHA256 over the raw body and reject mismatches
//!   - docs: <https://octopus-docs.pages.dev/docs/reference/webhooks/verification>
//!
//! ### Waivers
//!
//! | check | state | owner | until | reason |
//! | --- | --- | --- | --- | --- |
//! | `kyb-attested` | applied | ops@example.com | 2026-12-01 | KYB approval expected Monday |
//!
//! ### Request ids
//!
//! - `credentials`: `req_cred_1`, `req_cred_2`
//! ```
//!
//! - The heading carries the verdict badge (`✅ READY`, `❌ NOT READY`,
//!   `⚠️ INCONCLUSIVE`, followed by `(simulated)` when golive's simulator stood
//!   in for Octopus) and the env name; the list under it the verdict with
//!   its exit code and the blocking checks behind it, the environment (tier,
//!   `simulated` when the simulator stood in, base URL), the run and the counts.
//! - The table has one row per check in report order, with a status badge
//!   (`✅ pass`, `⚠️ warn`, `❌ fail`, `❗ error`, `⏭️ skip`, `🛡️ waived`).
//! - "Findings" has one entry per check that is not `pass` and has findings:
//!   each finding's level, code and message, with its fix and docs link.
//! - "Waivers" lists every waiver on file (applied, on file but not needed, or
//!   expired) and "Request ids" every check's `X-Request-Id`s, for Octopus
//!   support; each section is left out when empty.
//!
//! For several environments ([`render`] with more than one report, and
//! [`render_merged`]) the board opens with the overall (worst) verdict and a
//! table of environments, then has one section per environment, each as above
//! one heading level deeper. A merged board also names its source files.
//!
//! Text from reports is escaped where Markdown would misread it: `|` and line
//! breaks in table cells, `<` everywhere (so nothing becomes HTML), and
//! backticks inside code spans.

use std::io::{self, Write};

use super::human::{duration, plural};
use super::model::{CheckReport, Report, Status, Verdict};
use super::multi::{MultiReport, unique_names, worst};

/// Writes the board for `reports` (one per environment) to `out`: a single
/// environment's board for one report, an overall board for several.
pub fn render(reports: &[Report], out: &mut dyn Write) -> io::Result<()> {
    out.write_all(to_string(reports).as_bytes())
}

/// Writes the board of a merged document (`golive report merge`): the overall
/// verdict, the source files, then every report.
pub fn render_merged(m: &MultiReport, sources: &[String], out: &mut dyn Write) -> io::Result<()> {
    let mut md = String::new();
    overall(&mut md, m.verdict, m.exit_code, &m.reports, Some(sources));
    out.write_all(md.as_bytes())
}

/// The board for `reports` as a string (for the GitHub step summary).
pub fn to_string(reports: &[Report]) -> String {
    let mut md = String::new();
    match reports {
        [one] => environment(&mut md, one, &one.environment.name, 2),
        _ => {
            let verdict = worst(reports.iter().map(|r| r.verdict));
            overall(&mut md, verdict, verdict.exit_code(), reports, None);
        }
    }
    md
}

/// The overall board: verdict, sources, the environments table, then each
/// environment one level deeper.
fn overall(
    md: &mut String,
    verdict: Verdict,
    exit_code: i32,
    reports: &[Report],
    sources: Option<&[String]>,
) {
    let n = reports.len();
    let what = if sources.is_some() {
        "merged board".to_string()
    } else {
        format!("{n} {}", plural(n, "environment", "environments"))
    };
    // Only a board of simulator envs alone is simulated as a whole; each
    // environment's own verdict says so in the table below in any case.
    let all_simulated = !reports.is_empty() && reports.iter().all(|r| r.environment.simulator);
    let overall_badge = format!("{}{}", badge(verdict), simulated(all_simulated));
    md.push_str(&format!("## {overall_badge} · golive · {what}\n\n"));
    md.push_str(&format!(
        "**Overall:** {overall_badge} (`{}`, exit {exit_code}), the worst of {n} {}.\n\n",
        verdict.as_str(),
        plural(n, "report", "reports"),
    ));
    if let Some(sources) = sources.filter(|s| !s.is_empty()) {
        let list: Vec<String> = sources.iter().map(|s| code(s)).collect();
        md.push_str(&format!("Merged from {}.\n\n", list.join(", ")));
    }
    if reports.is_empty() {
        return;
    }
    let names = unique_names(reports.iter().map(|r| r.environment.name.as_str()));
    md.push_str(
        "| environment | tier | verdict | pass | warn | fail | error | skip | waived | time |\n\
         | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for (report, name) in reports.iter().zip(&names) {
        let s = &report.summary;
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            code_cell(name),
            cell(&tier(report)),
            env_badge(report),
            s.pass,
            s.warn,
            s.fail,
            s.error,
            s.skip,
            s.waived,
            duration(report.duration_ms).trim(),
        ));
    }
    for (report, name) in reports.iter().zip(&names) {
        md.push('\n');
        environment(md, report, name, 3);
    }
}

/// One environment's board, its heading at `level`.
fn environment(md: &mut String, report: &Report, name: &str, level: usize) {
    let h = "#".repeat(level);
    let env = &report.environment;
    md.push_str(&format!(
        "{h} {} · golive · {}\n\n",
        env_badge(report),
        text(name)
    ));
    md.push_str(&format!(
        "- **Verdict:** {} (`{}`, exit {}): {}\n",
        env_badge(report),
        report.verdict.as_str(),
        report.exit_code,
        verdict_detail(report),
    ));
    md.push_str(&format!(
        "- **Environment:** {} · {} · {}\n",
        code(name),
        text(&tier(report)),
        text(&env.base_url),
    ));
    md.push_str(&format!(
        "- **Run:** started {} · {} · manifest {} · {} {}\n",
        text(&report.started_at.to_string()),
        duration(report.duration_ms).trim(),
        code(&report.manifest),
        text(&report.tool.name),
        text(&report.tool.version),
    ));
    let s = &report.summary;
    md.push_str(&format!(
        "- **Checks:** {} total · {} pass · {} warn · {} fail · {} error · {} skip · {} waived\n",
        s.total, s.pass, s.warn, s.fail, s.error, s.skip, s.waived
    ));
    if report.checks.is_empty() {
        md.push_str("\nNo checks were selected.\n");
        return;
    }

    md.push_str("\n| status | check | kind | summary | time |\n| --- | --- | --- | --- | ---: |\n");
    for check in &report.checks {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            status_badge(check.status),
            code_cell(&check.id),
            cell(&check.kind),
            cell(&match check.attempts_note() {
                Some(note) => format!("{} ({note})", check.summary),
                None => check.summary.clone(),
            }),
            duration(check.duration_ms).trim(),
        ));
    }

    findings(md, report, level + 1);
    waivers(md, report, level + 1);
    request_ids(md, report, level + 1);
}

/// "Findings": per check that is not `pass` and has findings.
fn findings(md: &mut String, report: &Report, level: usize) {
    let checks: Vec<&CheckReport> = report
        .checks
        .iter()
        .filter(|c| c.status != Status::Pass && !c.findings.is_empty())
        .collect();
    if checks.is_empty() {
        return;
    }
    let h = "#".repeat(level);
    md.push_str(&format!("\n{h} Findings\n"));
    for check in checks {
        md.push_str(&format!(
            "\n{h}# {} {}: {}\n\n",
            status_emoji(check.status),
            code(&check.id),
            text(&check.summary)
        ));
        if let Some(w) = &check.waiver
            && check.status == Status::Waived
            && !w.expired
        {
            md.push_str(&format!(
                "_Waived by {} until {}: {}_\n\n",
                text(&w.owner),
                text(&w.expires),
                text(&w.reason)
            ));
        }
        for f in &check.findings {
            let incomplete = if f.incomplete {
                " _(could not complete)_"
            } else {
                ""
            };
            md.push_str(&format!(
                "- **{}** {}: {}{incomplete}\n",
                f.level.as_str(),
                code(&f.code),
                text(&f.message)
            ));
            if !f.remediation.is_empty() {
                md.push_str(&format!("  - fix: {}\n", text(&f.remediation)));
            }
            if let Some(docs) = &f.docs {
                md.push_str(&format!("  - docs: <{}>\n", url(docs)));
            }
        }
    }
}

/// "Waivers": every waiver on file.
fn waivers(md: &mut String, report: &Report, level: usize) {
    let waived: Vec<&CheckReport> = report
        .checks
        .iter()
        .filter(|c| c.waiver.is_some())
        .collect();
    if waived.is_empty() {
        return;
    }
    let h = "#".repeat(level);
    md.push_str(&format!(
        "\n{h} Waivers\n\n| check | state | owner | until | reason |\n| --- | --- | --- | --- | --- |\n"
    ));
    for check in waived {
        let Some(w) = &check.waiver else { continue };
        let state = if w.expired {
            "⚠️ expired"
        } else if check.status == Status::Waived {
            "applied"
        } else {
            "on file, not needed"
        };
        md.push_str(&format!(
            "| {} | {state} | {} | {} | {} |\n",
            code_cell(&check.id),
            cell(&w.owner),
            cell(&w.expires),
            cell(&w.reason),
        ));
    }
}

/// "Request ids": per check that has any, for Octopus support tickets.
fn request_ids(md: &mut String, report: &Report, level: usize) {
    let checks: Vec<&CheckReport> = report
        .checks
        .iter()
        .filter(|c| !c.request_ids.is_empty())
        .collect();
    if checks.is_empty() {
        return;
    }
    let h = "#".repeat(level);
    md.push_str(&format!("\n{h} Request ids\n\n"));
    for check in checks {
        let ids: Vec<String> = check.request_ids.iter().map(|id| code(id)).collect();
        md.push_str(&format!("- {}: {}\n", code(&check.id), ids.join(", ")));
    }
}

/// Why the verdict is what it is, naming the blocking checks.
fn verdict_detail(report: &Report) -> String {
    let ids = |pred: &dyn Fn(Status) -> bool| -> Vec<String> {
        report
            .checks
            .iter()
            .filter(|c| c.blocking && pred(c.status))
            .map(|c| code(&c.id))
            .collect()
    };
    let failed = ids(&|s| matches!(s, Status::Fail | Status::Warn));
    let errored = ids(&|s| s == Status::Error);
    let mut parts = Vec::new();
    if !failed.is_empty() {
        parts.push(format!(
            "{} blocking {} failed: {}",
            failed.len(),
            plural(failed.len(), "check", "checks"),
            failed.join(", ")
        ));
    }
    if !errored.is_empty() {
        parts.push(format!(
            "{} could not complete: {}",
            errored.len(),
            errored.join(", ")
        ));
    }
    if parts.is_empty() {
        parts.push("no blocking check failed".to_string());
    }
    if report.summary.waived > 0 {
        parts.push(format!("{} waived", report.summary.waived));
    }
    parts.join("; ")
}

/// `production tier`, `sandbox tier, simulated`.
fn tier(report: &Report) -> String {
    let simulator = if report.environment.simulator {
        ", simulated"
    } else {
        ""
    };
    format!("{} tier{simulator}", report.environment.tier)
}

/// " (simulated)" when golive's simulator stood in for Octopus (SPEC 8.1).
fn simulated(simulator: bool) -> &'static str {
    if simulator { " (simulated)" } else { "" }
}

/// An environment's verdict badge: `✅ READY`, or `✅ READY (simulated)` for a
/// simulator env, so a simulated READY is never read as Octopus's.
fn env_badge(report: &Report) -> String {
    format!(
        "{}{}",
        badge(report.verdict),
        simulated(report.environment.simulator)
    )
}

/// The verdict badge.
pub(crate) fn badge(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Ready => "✅ READY",
        Verdict::NotReady => "❌ NOT READY",
        Verdict::Inconclusive => "⚠️ INCONCLUSIVE",
    }
}

fn status_emoji(status: Status) -> &'static str {
    match status {
        Status::Pass => "✅",
        Status::Warn => "⚠️",
        Status::Fail => "❌",
        Status::Error => "❗",
        Status::Skip => "⏭️",
        Status::Waived => "🛡️",
    }
}

fn status_badge(status: Status) -> String {
    format!("{} {}", status_emoji(status), status.as_str())
}

/// Inline text: one line, `<` neutralised so nothing is read as HTML.
fn text(s: &str) -> String {
    crate::text::one_line(s).replace('<', "&lt;")
}

/// A table cell of plain text: inline text with `|` escaped.
fn cell(s: &str) -> String {
    text(s).replace('|', "\\|")
}

/// A table cell holding a code span (GFM wants `\|` even inside code there).
fn code_cell(s: &str) -> String {
    code(s).replace('|', "\\|")
}

/// A code span that survives any content: the fence is one backtick longer
/// than the longest run inside, padded when the content touches a backtick.
fn code(s: &str) -> String {
    let s = crate::text::one_line(s);
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') || s.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A URL for an autolink `<...>`: no spaces or angle brackets.
fn url(s: &str) -> String {
    s.replace(' ', "%20")
        .replace('<', "%3C")
        .replace('>', "%3E")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    fn md(reports: &[Report]) -> String {
        let mut buf = Vec::new();
        render(reports, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    /// Every table row has as many cells as its header.
    fn assert_tables_are_rectangular(text: &str) {
        let mut width = None;
        for line in text.lines() {
            if !line.starts_with('|') {
                width = None;
                continue;
            }
            // Unescaped pipes only.
            let cells = line.replace("\\|", "").matches('|').count();
            match width {
                None => width = Some(cells),
                Some(w) => assert_eq!(w, cells, "ragged row: {line}"),
            }
        }
    }

    #[test]
    fn single_environment_board() {
        let text = md(&[fixtures::all_statuses()]);
        assert!(
            text.starts_with("## ❌ NOT READY · golive · production\n\n"),
            "{text}"
        );
        for line in [
            "- **Verdict:** ❌ NOT READY (`not_ready`, exit 1): 2 blocking checks failed: `webhook`, `retry-policy`; 1 could not complete: `egress`; 1 waived",
            "- **Environment:** `production` · production tier · https://api.octopuscards.io",
            "- **Run:** started 2026-11-29T02:00:00Z · 10.3s · manifest `checks.toml` · golive 0.1.0",
            "- **Checks:** 7 total · 1 pass · 1 warn · 2 fail · 1 error · 1 skip · 1 waived",
            "| status | check | kind | summary | time |",
            "| ✅ pass | `credentials` | credentials | logged in as client cl_live_42 | 12ms |",
            "| ❌ fail | `webhook` | webhook | endpoint accepted a delivery with a bad signature | 1.24s |",
            "| ❗ error | `egress` | egress | could not learn the egress IP | 10.0s |",
            "| ⏭️ skip | `request-id` | request_id | filtered out by --skip | 0ms |",
            "| 🛡️ waived | `kyb-attested` | attestation | KYB approval has not been attested | 1ms |",
            "### Findings",
            "#### ❌ `webhook`: endpoint accepted a delivery with a bad signature",
            "- **fail** `bad-signature-accepted`: https://hooks.example.com/octopus answered 200 to a delivery signed with the wrong key",
            "  - fix: verify X-Signature with HMAC-SHA256 over the raw body and reject mismatches",
            "  - docs: <https://octopus-docs.pages.dev/docs/reference/webhooks/verification>",
            "- **fail** `egress-ip-unknown`: the IP echo service timed out after 10s _(could not complete)_",
            "_Waived by ops@example.com until 2026-12-01: KYB approval expected Monday_",
            "### Waivers",
            "| `kyb-attested` | applied | ops@example.com | 2026-12-01 | KYB approval expected Monday |",
            "| `retry-policy` | ⚠️ expired | dev@example.com | 2026-11-01 | client rewrite in progress |",
            "### Request ids",
            "- `credentials`: `req_cred_1`, `req_cred_2`",
            "- `wallet-usd`: `req_wallet_1`",
        ] {
            assert!(
                text.contains(&format!("{line}\n")),
                "missing {line:?} in\n{text}"
            );
        }
        // Passing checks are not repeated under Findings.
        assert!(!text.contains("login-ok"));
        assert_tables_are_rectangular(&text);
    }

    #[test]
    fn several_environments_lead_with_the_overall_verdict() {
        let text = md(&[fixtures::empty_ready(), fixtures::all_statuses()]);
        assert!(
            text.starts_with("## ❌ NOT READY · golive · 2 environments\n\n**Overall:** ❌ NOT READY (`not_ready`, exit 1), the worst of 2 reports.\n"),
            "{text}"
        );
        assert!(text.contains(
            "| `sim` | sandbox tier, simulated | ✅ READY (simulated) | 0 | 0 | 0 | 0 | 0 | 0 | 3ms |\n"
        ));
        assert!(text.contains(
            "| `production` | production tier | ❌ NOT READY | 1 | 1 | 2 | 1 | 1 | 1 | 10.3s |\n"
        ));
        assert!(text.contains("### ✅ READY (simulated) · golive · sim\n"));
        assert!(text.contains("No checks were selected.\n"));
        assert!(text.contains("### ❌ NOT READY · golive · production\n"));
        assert!(text.contains("#### Findings\n"));
        assert!(text.contains("##### ❌ `webhook`"));
        assert_tables_are_rectangular(&text);
    }

    #[test]
    fn merged_board_names_its_sources() {
        let m = MultiReport::from_reports(vec![fixtures::empty_ready()]);
        let mut buf = Vec::new();
        render_merged(&m, &["eu/a.json".into(), "us/b.json".into()], &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(
            text.starts_with("## ✅ READY (simulated) · golive · merged board\n"),
            "{text}"
        );
        assert!(text.contains("Merged from `eu/a.json`, `us/b.json`.\n"));
        assert!(text.contains("### ✅ READY (simulated) · golive · sim\n"));
    }

    #[test]
    fn cells_escape_pipes_newlines_and_html() {
        let mut report = fixtures::all_statuses();
        report.checks[0].summary = "a | b\nc <script>".into();
        report.checks[0].id = "we`ird|id".into();
        report.checks[5].waiver.as_mut().unwrap().reason = "x|y\r\nz".into();
        let text = md(&[report]);
        assert!(
            text.contains(
                "| ✅ pass | ``we`ird\\|id`` | credentials | a \\| b c &lt;script> | 12ms |\n"
            ),
            "{text}"
        );
        assert!(text.contains("| x\\|y z |\n"), "{text}");
        assert_tables_are_rectangular(&text);
    }

    #[test]
    fn code_spans_fence_backticks() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a``"), "``` `a`` ```");
    }

    #[test]
    fn inconclusive_and_ready_badges() {
        let mut report = fixtures::empty_ready();
        report.verdict = Verdict::Inconclusive;
        report.exit_code = 3;
        let text = md(&[report]);
        assert!(text.starts_with("## ⚠️ INCONCLUSIVE (simulated) · golive · sim\n"));
        assert!(text.contains(
            "- **Verdict:** ⚠️ INCONCLUSIVE (simulated) (`inconclusive`, exit 3): no blocking check failed\n"
        ));
        // A real env's verdict does not say simulated.
        let mut real = fixtures::empty_ready();
        real.environment.simulator = false;
        let text = md(&[real]);
        assert!(text.starts_with("## ✅ READY · golive · sim\n"), "{text}");
        assert!(!text.contains("simulated"), "{text}");
    }
}
