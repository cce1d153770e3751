//! The Prometheus report (`--format prometheus`): OpenMetrics text for the
//! node_exporter textfile collector or a Pushgateway, so a dashboard can chart
//! readiness per environment and alert before a certificate or a wallet runs
//! out.
//!
//! # Format
//!
//! OpenMetrics 1.0 text exposition that the classic Prometheus text parser
//! also reads (`promtool check metrics` passes): every family is a `gauge`
//! introduced by `# HELP` and `# TYPE`, its samples follow contiguously, there
//! are no sample timestamps and no blank lines, and the output ends with
//! `# EOF`. Label values are escaped (`\\`, `\"`, `\n`). Every sample has an
//! `env` label; per-check samples add `check`.
//!
//! ```text
//! # HELP golive_verdict The run's verdict for the environment: 1 for the verdict it reached, 0 for the others.
//! # TYPE golive_verdict gauge
//! golive_verdict{env="production",verdict="ready"} 0
//! golive_verdict{env="production",verdict="not_ready"} 1
//! golive_verdict{env="production",verdict="inconclusive"} 0
//! # HELP golive_check_status Check status: 1 for the status the check reached, 0 for the other five.
//! # TYPE golive_check_status gauge
//! golive_check_status{env="production",check="webhook",kind="webhook",status="pass"} 0
//! golive_check_status{env="production",check="webhook",kind="webhook",status="fail"} 1
//! ...
//! golive_wallet_balance{env="production",check="wallet-usd",currency="USD"} 900
//! golive_webhook_cert_expiry_timestamp_seconds{env="production",check="webhook"} 1798761600
//! # EOF
//! ```
//!
//! Families, in this order (all gauges):
//!
//! | family | labels | value |
//! | --- | --- | --- |
//! | `golive_verdict` | env, verdict | 1 for the verdict reached, 0 for the other two |
//! | `golive_run_duration_seconds` | env | wall time of the run |
//! | `golive_run_timestamp_seconds` | env | `started_at` as Unix time |
//! | `golive_check_status` | env, check, kind, status | 1 for the status reached, 0 for the other five |
//! | `golive_check_blocking` | env, check | 1 when the result holds the launch back |
//! | `golive_check_duration_seconds` | env, check | how long the check took |
//! | `golive_findings` | env, check, level | number of findings per level (`fail`, `warn`, `info`) |
//! | `golive_wallet_balance` | env, check, currency | the balance of `wallet` checks that found their wallet (`evidence.balance`) |
//! | `golive_webhook_cert_expiry_timestamp_seconds` | env, check | the certificate expiry of `webhook` checks (`evidence.tls.not_after`), as Unix time |
//!
//! The last two read each check's typed [`crate::measure::Measures`], never
//! its JSON evidence; a report read back from JSON has none, so they are left
//! out. A family with no sample (no wallet check, say) is left out entirely. Env
//! names that repeat within one output get a ` (2)` suffix, and so do check
//! ids, so no two samples share a label set.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::model::{CheckReport, Report, Status, Verdict};
use super::multi::unique_names;
use crate::finding::Level;

/// Every metric family this format can write, in output order. The shipped
/// alert rules and dashboard may use only these and [`crate::watch::FAMILIES`]
/// (a test holds them to it).
pub const FAMILIES: &[&str] = &[
    "golive_verdict",
    "golive_run_duration_seconds",
    "golive_run_timestamp_seconds",
    "golive_check_status",
    "golive_check_blocking",
    "golive_check_duration_seconds",
    "golive_findings",
    "golive_wallet_balance",
    "golive_webhook_cert_expiry_timestamp_seconds",
];

/// Every status, in the order `golive_check_status` lists them.
const STATUSES: [Status; 6] = [
    Status::Pass,
    Status::Warn,
    Status::Fail,
    Status::Error,
    Status::Skip,
    Status::Waived,
];

/// Every verdict, in the order `golive_verdict` lists them.
const VERDICTS: [Verdict; 3] = [Verdict::Ready, Verdict::NotReady, Verdict::Inconclusive];

/// Every finding level, in the order `golive_findings` lists them.
const LEVELS: [Level; 3] = [Level::Fail, Level::Warn, Level::Info];

/// Writes the OpenMetrics text for `reports` (one per environment) to `out`,
/// ending with `# EOF`.
pub fn render(reports: &[Report], out: &mut dyn Write) -> io::Result<()> {
    let envs = unique_names(reports.iter().map(|r| r.environment.name.as_str()));
    let runs: Vec<Run<'_>> = reports
        .iter()
        .zip(&envs)
        .map(|(report, env)| Run {
            env,
            report,
            checks: report
                .checks
                .iter()
                .zip(unique_names(report.checks.iter().map(|c| c.id.as_str())))
                .collect(),
        })
        .collect();

    let mut text = String::new();
    family(
        &mut text,
        "golive_verdict",
        "The run's verdict for the environment: 1 for the verdict it reached, 0 for the others.",
        runs.iter().flat_map(|run| {
            VERDICTS.iter().map(|&v| {
                (
                    labels(&[("env", run.env), ("verdict", v.as_str())]),
                    bool_value(run.report.verdict == v),
                )
            })
        }),
    );
    family(
        &mut text,
        "golive_run_duration_seconds",
        "Wall time of the whole run, in seconds.",
        runs.iter()
            .map(|run| (labels(&[("env", run.env)]), seconds(run.report.duration_ms))),
    );
    family(
        &mut text,
        "golive_run_timestamp_seconds",
        "When the run started, as Unix time in seconds.",
        runs.iter().map(|run| {
            (
                labels(&[("env", run.env)]),
                unix_seconds(run.report.started_at),
            )
        }),
    );
    family(
        &mut text,
        "golive_check_status",
        "Check status: 1 for the status the check reached, 0 for the other five.",
        runs.iter().flat_map(|run| {
            run.checks.iter().flat_map(move |(check, id)| {
                STATUSES.iter().map(move |&s| {
                    (
                        labels(&[
                            ("env", run.env),
                            ("check", id),
                            ("kind", &check.kind),
                            ("status", s.as_str()),
                        ]),
                        bool_value(check.status == s),
                    )
                })
            })
        }),
    );
    family(
        &mut text,
        "golive_check_blocking",
        "1 when the check's result holds the launch back, 0 otherwise.",
        runs.iter().flat_map(|run| {
            run.checks.iter().map(move |(check, id)| {
                (
                    labels(&[("env", run.env), ("check", id)]),
                    bool_value(check.blocking),
                )
            })
        }),
    );
    family(
        &mut text,
        "golive_check_duration_seconds",
        "How long the check took, in seconds.",
        runs.iter().flat_map(|run| {
            run.checks.iter().map(move |(check, id)| {
                (
                    labels(&[("env", run.env), ("check", id)]),
                    seconds(check.duration_ms),
                )
            })
        }),
    );
    family(
        &mut text,
        "golive_findings",
        "Number of findings of the check at each level.",
        runs.iter().flat_map(|run| {
            run.checks.iter().flat_map(move |(check, id)| {
                LEVELS.iter().map(move |&level| {
                    let n = check.findings.iter().filter(|f| f.level == level).count();
                    (
                        labels(&[("env", run.env), ("check", id), ("level", level.as_str())]),
                        n.to_string(),
                    )
                })
            })
        }),
    );
    family(
        &mut text,
        "golive_wallet_balance",
        "Balance of the wallet a wallet check looked at, in its currency.",
        runs.iter().flat_map(|run| {
            run.checks.iter().filter_map(move |(check, id)| {
                let (balance, currency) = wallet_balance(check)?;
                Some((
                    labels(&[("env", run.env), ("check", id), ("currency", currency)]),
                    number(balance),
                ))
            })
        }),
    );
    family(
        &mut text,
        "golive_webhook_cert_expiry_timestamp_seconds",
        "When the webhook endpoint's TLS certificate expires (notAfter), as Unix time in seconds.",
        runs.iter().flat_map(|run| {
            run.checks.iter().filter_map(move |(check, id)| {
                let expiry = cert_expiry(check)?;
                Some((labels(&[("env", run.env), ("check", id)]), expiry))
            })
        }),
    );
    text.push_str("# EOF\n");
    out.write_all(text.as_bytes())
}

/// One environment's report with its unique env label and check labels.
struct Run<'a> {
    env: &'a str,
    report: &'a Report,
    checks: Vec<(&'a CheckReport, String)>,
}

/// Writes one gauge family: HELP, TYPE, then its samples; nothing at all when
/// there are no samples.
fn family(
    text: &mut String,
    name: &str,
    help: &str,
    samples: impl IntoIterator<Item = (String, String)>,
) {
    let mut samples = samples.into_iter().peekable();
    if samples.peek().is_none() {
        return;
    }
    let _ = writeln!(text, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(text, "# TYPE {name} gauge");
    for (labels, value) in samples {
        let _ = writeln!(text, "{name}{{{labels}}} {value}");
    }
}

/// `a="x",b="y"`, values escaped.
fn labels(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
        .collect::<Vec<_>>()
        .join(",")
}

/// Escapes a label value: backslash, double quote and line feed.
/// A label value escaped for the text format (`\\`, `\"`, `\n`).
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes HELP text: backslash and line feed. The two text formats disagree
/// on `"` in HELP (OpenMetrics wants `\"`, the classic parser rejects it), so
/// HELP texts never contain one.
fn escape_help(text: &str) -> String {
    debug_assert!(!text.contains('"'), "HELP text must not contain a quote");
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

fn bool_value(b: bool) -> String {
    if b { "1" } else { "0" }.to_string()
}

/// Milliseconds as seconds, e.g. `1.24`, `0.012`, `0`.
fn seconds(ms: u64) -> String {
    number(ms as f64 / 1000.0)
}

/// A float in exposition syntax: shortest round-trip decimal; `NaN`, `+Inf`
/// and `-Inf` spelled as both formats expect.
fn number(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{x}")
    }
}

/// A time as Unix seconds (fractional when it has milliseconds).
fn unix_seconds(ts: jiff::Timestamp) -> String {
    number(ts.as_millisecond() as f64 / 1000.0)
}

/// The balance and currency a `wallet` check measured.
fn wallet_balance(check: &CheckReport) -> Option<(f64, &str)> {
    let balance = check.measures.wallet_balance.as_ref()?;
    balance
        .amount
        .is_finite()
        .then_some((balance.amount, balance.currency.as_str()))
}

/// The certificate expiry a `webhook` check measured, as Unix seconds.
fn cert_expiry(check: &CheckReport) -> Option<String> {
    check.measures.cert_not_after.map(unix_seconds)
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::report::fixtures;

    fn to_string(reports: &[Report]) -> String {
        let mut buf = Vec::new();
        render(reports, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    /// A parsed sample: family name, labels in order, value.
    type Sample = (String, Vec<(String, String)>, f64);

    /// A strict reader of the subset we write; returns every sample as
    /// `(name, labels, value)` and fails on anything else.
    fn parse(text: &str) -> Vec<Sample> {
        assert!(text.ends_with("# EOF\n"), "must end with # EOF:\n{text}");
        assert_eq!(text.matches("# EOF").count(), 1);
        let mut samples = Vec::new();
        let mut help: HashSet<String> = HashSet::new();
        let mut typed: HashMap<String, String> = HashMap::new();
        let mut finished: HashSet<String> = HashSet::new();
        let mut current: Option<String> = None;
        let mut series: HashSet<String> = HashSet::new();
        for line in text.lines() {
            assert!(!line.is_empty(), "no blank lines in OpenMetrics");
            if line == "# EOF" {
                continue;
            }
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let name = rest.split(' ').next().unwrap().to_string();
                assert!(valid_name(&name), "{line}");
                assert!(help.insert(name.clone()), "family repeated: {name}");
                if let Some(prev) = current.replace(name.clone()) {
                    finished.insert(prev);
                }
                assert!(!finished.contains(&name), "family split: {name}");
                continue;
            }
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, ty) = rest.split_once(' ').unwrap();
                assert!(help.contains(name), "TYPE before HELP: {line}");
                assert_eq!(ty, "gauge", "{line}");
                assert!(
                    typed.insert(name.into(), ty.into()).is_none(),
                    "TYPE repeated: {line}"
                );
                continue;
            }
            assert!(!line.starts_with('#'), "unexpected comment: {line}");
            let brace = line
                .find('{')
                .unwrap_or_else(|| panic!("no labels: {line}"));
            let name = &line[..brace];
            assert!(valid_name(name), "{line}");
            assert_eq!(
                current.as_deref(),
                Some(name),
                "sample outside its family: {line}"
            );
            assert!(typed.contains_key(name), "sample before TYPE: {line}");
            let (label_text, value) = line[brace + 1..]
                .rsplit_once("} ")
                .unwrap_or_else(|| panic!("bad sample: {line}"));
            assert!(
                series.insert(format!("{name}{{{label_text}}}")),
                "duplicate series: {line}"
            );
            let value: f64 = match value {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                v => v.parse().unwrap_or_else(|_| panic!("bad value: {line}")),
            };
            samples.push((name.to_string(), parse_labels(label_text, line), value));
        }
        samples
    }

    fn valid_name(name: &str) -> bool {
        let mut chars = name.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    }

    /// `k="v",k2="v2"` with escapes; panics on malformed text.
    fn parse_labels(text: &str, line: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            let (key, after) = rest
                .split_once("=\"")
                .unwrap_or_else(|| panic!("bad labels: {line}"));
            assert!(valid_name(key), "bad label name {key:?}: {line}");
            let mut value = String::new();
            let mut chars = after.char_indices();
            let end = loop {
                match chars.next() {
                    Some((_, '\\')) => match chars.next() {
                        Some((_, '\\')) => value.push('\\'),
                        Some((_, '"')) => value.push('"'),
                        Some((_, 'n')) => value.push('\n'),
                        _ => panic!("bad escape: {line}"),
                    },
                    Some((i, '"')) => break i,
                    Some((_, c)) => {
                        assert_ne!(c, '\n');
                        value.push(c)
                    }
                    None => panic!("unterminated label value: {line}"),
                }
            };
            out.push((key.to_string(), value));
            rest = &after[end + 1..];
            rest = rest.strip_prefix(',').unwrap_or(rest);
        }
        out
    }

    fn value_of(samples: &[Sample], name: &str, want: &[(&str, &str)]) -> Option<f64> {
        samples
            .iter()
            .find(|(n, labels, _)| {
                n == name
                    && want.len() == labels.len()
                    && want
                        .iter()
                        .all(|(k, v)| labels.iter().any(|(lk, lv)| lk == k && lv == v))
            })
            .map(|(_, _, v)| *v)
    }

    #[test]
    fn parses_and_has_every_family() {
        let text = to_string(&[fixtures::with_evidence(), fixtures::empty_ready()]);
        let samples = parse(&text);
        let written: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split(' ').next())
            .collect();
        assert_eq!(
            written, FAMILIES,
            "FAMILIES lists what is written, in order"
        );
        for family in FAMILIES {
            assert!(
                text.contains(&format!("# TYPE {family} gauge\n")),
                "{family} missing:\n{text}"
            );
        }
        let env = ("env", "production");
        assert_eq!(
            value_of(&samples, "golive_verdict", &[env, ("verdict", "not_ready")]),
            Some(1.0)
        );
        assert_eq!(
            value_of(&samples, "golive_verdict", &[env, ("verdict", "ready")]),
            Some(0.0)
        );
        assert_eq!(
            value_of(
                &samples,
                "golive_verdict",
                &[("env", "sim"), ("verdict", "ready")]
            ),
            Some(1.0)
        );
        assert_eq!(
            value_of(&samples, "golive_run_duration_seconds", &[env]),
            Some(10.312)
        );
        // 2026-11-29T02:00:00Z
        assert_eq!(
            value_of(&samples, "golive_run_timestamp_seconds", &[env]),
            Some(1_795_917_600.0)
        );
        let status = |check: &str, kind: &str, status: &str| {
            value_of(
                &samples,
                "golive_check_status",
                &[env, ("check", check), ("kind", kind), ("status", status)],
            )
        };
        assert_eq!(status("webhook", "webhook", "fail"), Some(1.0));
        assert_eq!(status("webhook", "webhook", "pass"), Some(0.0));
        assert_eq!(status("kyb-attested", "attestation", "waived"), Some(1.0));
        // Exactly one status is 1 per check: a state set.
        let ones = samples
            .iter()
            .filter(|(n, _, v)| n == "golive_check_status" && *v == 1.0)
            .count();
        assert_eq!(ones, fixtures::all_statuses().checks.len());
        assert_eq!(
            samples
                .iter()
                .filter(|(n, _, _)| n == "golive_check_status")
                .count(),
            6 * fixtures::all_statuses().checks.len()
        );
        assert_eq!(
            value_of(
                &samples,
                "golive_check_blocking",
                &[env, ("check", "egress")]
            ),
            Some(1.0)
        );
        assert_eq!(
            value_of(
                &samples,
                "golive_check_duration_seconds",
                &[env, ("check", "webhook")]
            ),
            Some(1.24)
        );
        assert_eq!(
            value_of(
                &samples,
                "golive_findings",
                &[env, ("check", "webhook"), ("level", "fail")]
            ),
            Some(1.0)
        );
        assert_eq!(
            value_of(
                &samples,
                "golive_findings",
                &[env, ("check", "wallet-usd"), ("level", "info")]
            ),
            Some(1.0)
        );
        assert_eq!(
            value_of(
                &samples,
                "golive_wallet_balance",
                &[env, ("check", "wallet-usd"), ("currency", "USD")]
            ),
            Some(900.0)
        );
        // 2027-01-01T00:00:00Z
        assert_eq!(
            value_of(
                &samples,
                "golive_webhook_cert_expiry_timestamp_seconds",
                &[env, ("check", "webhook")]
            ),
            Some(1_798_761_600.0)
        );
    }

    #[test]
    fn empty_input_is_just_eof() {
        assert_eq!(to_string(&[]), "# EOF\n");
        let text = to_string(&[fixtures::empty_ready()]);
        parse(&text);
        assert!(!text.contains("golive_check_status"), "no empty families");
        assert!(!text.contains("golive_wallet_balance"));
    }

    #[test]
    fn label_values_are_escaped_and_duplicates_disambiguated() {
        let mut odd = fixtures::with_evidence();
        odd.environment.name = "prod \"eu\"\\west\nline".into();
        odd.checks[1].measures.wallet_balance = Some(crate::measure::WalletBalance {
            currency: "U\"SD".into(),
            amount: 1.5,
        });
        let dup = odd.clone();
        let text = to_string(&[odd, dup]);
        let samples = parse(&text);
        assert!(text.contains(r#"env="prod \"eu\"\\west\nline""#), "{text}");
        assert!(
            text.contains(r#"env="prod \"eu\"\\west\nline (2)""#),
            "{text}"
        );
        assert_eq!(
            value_of(
                &samples,
                "golive_wallet_balance",
                &[
                    ("env", "prod \"eu\"\\west\nline (2)"),
                    ("check", "wallet-usd"),
                    ("currency", "U\"SD")
                ]
            ),
            Some(1.5)
        );
    }

    #[test]
    fn measures_not_evidence_feed_the_dashboards() {
        // Evidence alone (a report read back from JSON) gives no sample.
        let mut report = fixtures::with_evidence();
        for check in &mut report.checks {
            check.measures = Default::default();
        }
        let text = to_string(&[report]);
        parse(&text);
        assert!(!text.contains("golive_wallet_balance"));
        assert!(!text.contains("golive_webhook_cert_expiry"));
        // A balance that is not a finite number is no sample either.
        let mut report = fixtures::with_evidence();
        for amount in [f64::NAN, f64::INFINITY] {
            report.checks[1].measures.wallet_balance = Some(crate::measure::WalletBalance {
                currency: "USD".into(),
                amount,
            });
            let text = to_string(std::slice::from_ref(&report));
            parse(&text);
            assert!(!text.contains("golive_wallet_balance"), "{amount}");
            assert!(text.contains("golive_webhook_cert_expiry"));
        }
    }

    #[test]
    #[allow(clippy::print_stdout)] // the skip note belongs in the test output
    fn promtool_accepts_it() {
        let Ok(path) = which("promtool") else {
            // CI installs promtool (.ci/run); there the check is mandatory.
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "promtool is not on PATH under CI=true; .ci/run should have installed it"
            );
            println!(
                "note: promtool is not on PATH; skipping `promtool check metrics` (CI installs it)"
            );
            return;
        };
        let text = to_string(&[fixtures::with_evidence(), fixtures::empty_ready()]);
        let mut child = std::process::Command::new(path)
            .args(["check", "metrics"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("promtool runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "promtool check metrics failed:\n{}{}\n--- input ---\n{text}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// The first `name` on `PATH`.
    fn which(name: &str) -> Result<std::path::PathBuf, ()> {
        let path = std::env::var_os("PATH").ok_or(())?;
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
            .ok_or(())
    }
}
