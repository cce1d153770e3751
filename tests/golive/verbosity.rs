//! `-v`, `-vv`, `-vvv`: each level adds detail on stderr as `--help` says, the
//! embedded simulator's log is labelled as the simulator's, and machine formats on
//! stdout are the same at every level.

use crate::support::*;

const LEVELS: [&[&str]; 4] = [&[], &["-v"], &["-vv"], &["-vvv"]];

/// `golive check` of the repository's demo manifest, one check at a time so that
/// which check makes the shared login (and carries its request id) is fixed.
fn demo_in_order(format: &str, extra: &[&str]) -> Run {
    demo(&[&["--jobs", "1", "--format", format][..], extra].concat())
}

/// Text with what differs between any two runs masked: request ids (27-character
/// KSUIDs), loopback ports, and every number (times, durations, timestamps).
fn masked(text: &str) -> String {
    let text = strip_loopback_ports(text);
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.len() == 27 {
            out.push_str("KSUID");
        } else {
            let mut in_digits = false;
            for c in word.chars() {
                if c.is_ascii_digit() {
                    if !in_digits {
                        out.push('0');
                    }
                    in_digits = true;
                } else {
                    out.push(c);
                    in_digits = false;
                }
            }
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    // A decimal (`0.004`) is a number too, and a duration may change its unit
    // with its size (`850ms`, `1.24s`, `1m05s`) on a loaded machine.
    while out.contains("0.0") {
        out = out.replace("0.0", "0");
    }
    out.replace("0m0s", "0s").replace("0ms", "0s")
}

/// Asserts two texts are equal, naming the first line that differs.
fn assert_same_text(left: &str, right: &str, context: &str) {
    for (i, (l, r)) in left.lines().zip(right.lines()).enumerate() {
        assert_eq!(l, r, "{context}: line {} differs", i + 1);
    }
    assert_eq!(
        left.lines().count(),
        right.lines().count(),
        "{context}: line counts differ"
    );
}

#[test]
fn machine_formats_are_the_same_at_every_verbosity() {
    for format in ["json", "junit", "github", "markdown", "prometheus"] {
        let runs: Vec<Run> = LEVELS.iter().map(|v| demo_in_order(format, v)).collect();
        for (level, r) in runs.iter().enumerate() {
            assert_eq!(r.code, 0, "{format} at level {level}: {}", r.stderr);
        }
        if format == "json" {
            let first = normalized(&runs[0].json());
            for (level, r) in runs.iter().enumerate().skip(1) {
                assert_same_json(
                    &first,
                    &normalized(&r.json()),
                    &format!("json at -{}", "v".repeat(level)),
                );
            }
        }
        let first = masked(&runs[0].stdout);
        assert!(!first.trim().is_empty(), "{format}: empty stdout");
        if format == "json" {
            // Compared as data above: the shared login's `api_calls` evidence sits
            // under whichever check logged in first, which the scheduler decides.
            continue;
        }
        for (level, r) in runs.iter().enumerate().skip(1) {
            assert_same_text(
                &first,
                &masked(&r.stdout),
                &format!(
                    "{format}: stdout at -{} against the default",
                    "v".repeat(level)
                ),
            );
        }
    }
}

/// The lines of stderr that come from `source` (a log target such as `golive::sim`).
fn lines_from<'a>(stderr: &'a str, source: &str) -> Vec<&'a str> {
    let label = format!(" {source}: ");
    stderr.lines().filter(|l| l.contains(&label)).collect()
}

#[test]
fn each_level_adds_detail_on_stderr() {
    let runs: Vec<Run> = LEVELS
        .iter()
        .map(|v| demo_in_order("json", &[&["--only", "credentials"], *v].concat()))
        .collect();
    for r in &runs {
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    // Default: nothing but warnings (none here).
    assert_eq!(runs[0].stderr, "", "default stderr");

    // -v: every API call golive makes, once, labelled; no simulator server log.
    let v1 = &runs[1].stderr;
    let logins: Vec<&str> = v1.lines().filter(|l| l.contains("/auth/login")).collect();
    assert_eq!(logins.len(), 1, "the login appears once at -v:\n{v1}");
    assert!(
        logins[0].contains("golive::api: POST /auth/login -> 200"),
        "{v1}"
    );
    assert!(lines_from(v1, "golive::sim").is_empty(), "{v1}");

    // -vv: adds each check's start and end, and the simulator's log, labelled.
    let v2 = &runs[2].stderr;
    assert_eq!(lines_from(v2, "golive::api").len(), 1, "{v2}");
    let sim = lines_from(v2, "golive::sim");
    assert!(
        sim.iter()
            .any(|l| l.contains("path=/auth/login status=200")),
        "the simulator's side of the login, labelled:\n{v2}"
    );
    let runner = lines_from(v2, "golive::runner");
    assert!(
        runner
            .iter()
            .any(|l| l.contains("check credentials (credentials) started")),
        "{v2}"
    );
    assert!(
        runner
            .iter()
            .any(|l| l.contains("check credentials finished: pass")),
        "{v2}"
    );
    // Every line at -v and above names its source.
    for stderr in [v1, v2] {
        for line in stderr.lines() {
            assert!(line.contains(" golive::"), "unlabelled line: {line}");
        }
    }

    // -vvv: adds HTTP connection detail on top of everything -vv shows.
    let v3 = &runs[3].stderr;
    assert!(
        v3.lines().any(|l| l.contains("connect")) && v3.lines().count() > v2.lines().count(),
        "-vvv adds nothing to -vv:\n{v3}"
    );
    for source in ["golive::api", "golive::sim", "golive::runner"] {
        assert!(
            !lines_from(v3, source).is_empty(),
            "{source} missing at -vvv:\n{v3}"
        );
    }
}

#[test]
fn help_documents_what_each_level_adds() {
    let help = run_args(&["check", "--help"]);
    assert_eq!(help.code, 0);
    for words in ["-v logs each API call", "-vv adds", "-vvv adds"] {
        assert!(
            help.stdout.contains(words),
            "`{words}` not in --help:\n{}",
            help.stdout
        );
    }
}
