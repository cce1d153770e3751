//! Manifest errors: exit 2, nothing on stdout, every problem located as
//! `FILE:LINE:COLUMN` on stderr, and a literal secret never echoed.

use crate::support::*;

/// A valid head: one simulator env, so a single mistake below is the only problem.
const HEAD: &str =
    "version = 1\ndefault_env = \"demo\"\n\n[env.demo]\ntier = \"sandbox\"\nsimulator = true\n";

/// Writes `text` as `checks.toml` in a fresh directory and runs `golive SUBCOMMAND -m
/// checks.toml` from there, so diagnostics name the file as `checks.toml`.
fn run_in(text: &str, subcommand: &str, extra: &[&str]) -> Run {
    let dir = tempdir();
    write_manifest(dir.path(), text);
    let mut cmd = golive();
    cmd.current_dir(dir.path())
        .args([subcommand, "-m", "checks.toml"])
        .args(extra);
    run(&mut cmd)
}

/// Asserts that both `check` and `validate` refuse `text` with exit 2, an empty
/// stdout and every `(location, fragment)` on stderr; returns `check`'s stderr.
fn refused(text: &str, expected: &[(&str, &str)]) -> String {
    let mut check_stderr = String::new();
    for sub in ["check", "validate"] {
        let out = run_in(text, sub, &[]);
        assert_eq!(out.code, 2, "golive {sub}: {}\n{}", out.stdout, out.stderr);
        assert!(
            out.stdout.is_empty(),
            "golive {sub}: stdout on exit 2: {}",
            out.stdout
        );
        for (location, fragment) in expected {
            let line = out
                .stderr
                .lines()
                .find(|l| l.contains(&format!("checks.toml:{location}:")))
                .unwrap_or_else(|| {
                    panic!(
                        "golive {sub}: no diagnostic at checks.toml:{location}:\n{}",
                        out.stderr
                    )
                });
            assert!(
                line.contains(fragment),
                "golive {sub}: diagnostic at {location} lacks `{fragment}`: {line}"
            );
        }
        if sub == "check" {
            check_stderr = out.stderr;
        }
    }
    check_stderr
}

#[test]
fn unknown_key() {
    let text = format!("{HEAD}colour = \"red\"\n");
    let stderr = refused(&text, &[("7:1", "unknown key `colour`")]);
    // The offending line is shown with a caret under it.
    assert!(stderr.contains("colour = \"red\""), "{stderr}");
    assert!(stderr.contains('^'), "{stderr}");
}

#[test]
fn unknown_key_near_miss_suggests_the_key() {
    let text = format!(
        "{HEAD}\n[[check]]\nid = \"credentials\"\nkind = \"credentials\"\ntimout = \"5s\"\n"
    );
    refused(&text, &[("11:1", "did you mean `timeout`")]);
}

#[test]
fn unknown_kind() {
    let text = format!("{HEAD}\n[[check]]\nid = \"teleport\"\nkind = \"teleport\"\n");
    let stderr = refused(&text, &[("10:8", "unknown check kind `teleport`")]);
    assert!(stderr.contains("credentials"), "lists the kinds: {stderr}");
}

#[test]
fn duplicate_id() {
    let text = format!(
        "{HEAD}\n[[check]]\nid = \"credentials\"\nkind = \"credentials\"\n\n[[check]]\nid = \"credentials\"\nkind = \"credentials\"\n"
    );
    refused(&text, &[("13:6", "duplicate check id `credentials`")]);
}

#[test]
fn bad_cidr() {
    let text = "version = 1\n\n[env.prod]\ntier = \"production\"\negress_allowlist = [\"203.0.113.0/28\", \"203.0.113.0/33\"]\n";
    refused(text, &[("5:39", "invalid CIDR `203.0.113.0/33`")]);
}

#[test]
fn bad_duration() {
    let text = format!(
        "{HEAD}\n[[check]]\nid = \"credentials\"\nkind = \"credentials\"\ntimeout = \"5 parsecs\"\n"
    );
    refused(&text, &[("11:11", "invalid duration")]);
}

#[test]
fn a_production_env_with_a_leftover_simulator_flag_is_refused_not_ready() {
    // SPEC 8.1: this used to validate and `check` said READY against the simulator.
    let text = "version = 1\ndefault_env = \"prod\"\n\n[env.prod]\ntier = \"production\"\nsimulator = true\nbase_url = \"https://api.octopuscards.io\"\napi_key = { env = \"API_KEY_PROD\" }\negress_allowlist = [\"203.0.113.0/28\"]\n\n[[check]]\nid = \"credentials\"\nkind = \"credentials\"\n\n[[check]]\nid = \"egress\"\nkind = \"egress\"\n";
    let stderr = refused(
        text,
        &[
            ("7:1", "remove `base_url` or remove `simulator = true`"),
            ("8:1", "remove `api_key` or remove `simulator = true`"),
            (
                "9:1",
                "remove `egress_allowlist` or remove `simulator = true`",
            ),
        ],
    );
    assert!(stderr.contains("  | base_url = "), "{stderr}");
    assert!(stderr.contains("  | ^^^^^^^^\n"), "{stderr}");
    assert!(stderr.contains("3 errors in checks.toml"), "{stderr}");
}

#[test]
fn literal_secret_is_refused_and_never_echoed() {
    let text = "version = 1\n\n[env.prod]\ntier = \"production\"\napi_key = \"sk_live_LEAKME123\"\napi_secret = { env = \"API_SECRET_PROD\" }\n";
    for sub in ["check", "validate", "list"] {
        let out = run_in(text, sub, &[]);
        assert_eq!(out.code, 2, "{sub}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{sub}: {}", out.stdout);
        assert!(
            out.stderr.contains("checks.toml:5:11:"),
            "{sub}: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains("literal-secret"),
            "{sub}: {}",
            out.stderr
        );
        for leak in ["sk_live_LEAKME123", "LEAKME", "sk_live"] {
            assert!(
                !out.all_output().contains(leak),
                "{sub} echoed the secret ({leak}):\n{}",
                out.all_output()
            );
        }
    }
}

#[test]
fn literal_secret_in_every_secret_field() {
    let text = "version = 1\n\n[env.s]\ntier = \"sandbox\"\napi_key = \"KEYVALUE_9d8c\"\napi_secret = \"SECRETVALUE_7e6f\"\nwebhook_secret = \"HOOKVALUE_5a4b\"\n";
    let stderr = refused(
        text,
        &[
            ("5:11", "literal secret"),
            ("6:14", "literal secret"),
            ("7:18", "literal secret"),
        ],
    );
    for leak in ["KEYVALUE", "SECRETVALUE", "HOOKVALUE"] {
        assert!(!stderr.contains(leak), "{leak} echoed:\n{stderr}");
    }
}

#[test]
fn default_env_that_does_not_exist() {
    let text =
        "version = 1\ndefault_env = \"prod\"\n\n[env.demo]\ntier = \"sandbox\"\nsimulator = true\n";
    let stderr = refused(text, &[("2:15", "default_env `prod` is not defined")]);
    assert!(stderr.contains("demo"), "names the defined envs: {stderr}");
}

#[test]
fn unknown_env_flag_lists_the_envs() {
    let text = "version = 1\ndefault_env = \"demo\"\n\n[env.demo]\ntier = \"sandbox\"\nsimulator = true\n\n[env.staging]\ntier = \"sandbox\"\nsimulator = true\n";
    for sub in ["check", "list"] {
        let out = run_in(text, sub, &["--env", "prodution"]);
        assert_eq!(out.code, 2, "{sub}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{sub}: {}", out.stdout);
        assert!(out.stderr.contains("prodution"), "{sub}: {}", out.stderr);
        assert!(
            out.stderr.contains("demo") && out.stderr.contains("staging"),
            "{sub} lists the envs: {}",
            out.stderr
        );
    }
}

#[test]
fn missing_manifest_file() {
    for sub in ["check", "validate", "list"] {
        let dir = tempdir();
        let out = run(golive()
            .current_dir(dir.path())
            .args([sub, "-m", "nowhere.toml"]));
        assert_eq!(out.code, 2, "{sub}: {}", out.stderr);
        assert!(out.stdout.is_empty());
        assert!(out.stderr.contains("nowhere.toml"), "{sub}: {}", out.stderr);
        assert!(out.stderr.contains("cannot read"), "{sub}: {}", out.stderr);
    }
}

#[test]
fn missing_default_manifest() {
    // No -m and no ./checks.toml.
    let dir = tempdir();
    let out = run(golive().current_dir(dir.path()).arg("check"));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("checks.toml"), "{}", out.stderr);
}

#[test]
fn toml_syntax_error() {
    let text = "version = 1\n\n[env.demo\ntier = \"sandbox\"\n";
    let stderr = refused(text, &[("3:10", "invalid TOML")]);
    // One syntax error is one diagnostic, not a cascade.
    assert!(stderr.contains("1 error in checks.toml"), "{stderr}");
}

#[test]
fn several_errors_are_reported_at_once_in_file_order() {
    let text = r#"version = 1
default_env = "nope"
bogus = 1

[env.demo]
tier = "sandbox"
simulator = true

[env.prod]
tier = "production"
api_key = "sk_live_LEAKME123"
egress_allowlist = ["203.0.113.0/33"]

[[check]]
id = "credentials"
kind = "credentials"
timeout = "5 parsecs"

[[check]]
id = "credentials"
kind = "teleport"
"#;
    let expected = [
        ("2:15", "default_env"),
        ("3:1", "unknown key `bogus`"),
        ("11:11", "literal secret"),
        ("12:21", "invalid CIDR"),
        ("17:11", "invalid duration"),
        ("20:6", "duplicate check id"),
        ("21:8", "unknown check kind"),
    ];
    let stderr = refused(text, &expected);
    assert!(stderr.contains("7 errors in checks.toml"), "{stderr}");
    assert!(!stderr.contains("LEAKME"), "{stderr}");
    // In file order.
    let positions: Vec<usize> = expected
        .iter()
        .map(|(loc, _)| stderr.find(&format!("checks.toml:{loc}:")).unwrap())
        .collect();
    let mut sorted = positions.clone();
    sorted.sort_unstable();
    assert_eq!(
        positions, sorted,
        "diagnostics are in file order:\n{stderr}"
    );
}

#[test]
fn waiver_for_an_unknown_check() {
    let text = format!(
        "{HEAD}\n[[check]]\nid = \"credentials\"\nkind = \"credentials\"\n\n[[waiver]]\ncheck = \"credentails\"\nreason = \"r\"\nowner = \"o@example.com\"\nexpires = 2099-01-01\n"
    );
    refused(&text, &[("13:9", "did you mean `credentials`")]);
}

#[test]
fn unsupported_version() {
    let text = "version = 2\n";
    refused(text, &[("1:11", "unsupported manifest version 2")]);
}

#[test]
fn manifest_from_the_environment_variable() {
    // GOLIVE_MANIFEST stands in for -m.
    let dir = tempdir();
    let m = write_manifest(dir.path(), "version = 1\nsurprise = 1\n");
    let out = run(golive().env("GOLIVE_MANIFEST", p(&m)).arg("validate"));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("surprise"), "{}", out.stderr);
}

/// SPEC section 2: "Manifest errors go to stderr as `FILE:LINE:COLUMN: message`".
/// Today the first diagnostic is prefixed with the generic `error: ` of every usage
/// error, giving `error: checks.toml:7:1: error: unknown key ...`, so editors and CI
/// annotators that match `^FILE:LINE:COL:` miss the first (often the only) problem.
#[test]
fn diagnostic_lines_start_with_the_location() {
    let text = format!("{HEAD}colour = \"red\"\n");
    let out = run_in(&text, "validate", &[]);
    assert_eq!(out.code, 2);
    let first = out.stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("checks.toml:7:1: "),
        "first stderr line: {first}"
    );
}

/// SPEC 8.5: a 65,536-character check id used to validate, then panic `list` and
/// `check` (exit 101). Now every command refuses it at its line with exit 2.
#[test]
fn an_over_long_check_id_is_a_manifest_error_for_every_command() {
    let text = format!(
        "{HEAD}\n[[check]]\nid = \"{}\"\nkind = \"credentials\"\n",
        "a".repeat(65_536)
    );
    for sub in ["check", "validate", "list"] {
        let out = run_in(&text, sub, &[]);
        assert_eq!(
            out.code,
            2,
            "golive {sub}: {}",
            &out.stderr[..out.stderr.len().min(500)]
        );
        assert!(out.stdout.is_empty(), "golive {sub}");
        assert!(
            out.stderr.contains(
                "checks.toml:9:6: error: `id` is 65536 characters long; at most 64 are allowed"
            ),
            "golive {sub}: {}",
            &out.stderr[..out.stderr.len().min(500)]
        );
        assert!(!out.stderr.contains("panicked"), "golive {sub}");
    }
}
