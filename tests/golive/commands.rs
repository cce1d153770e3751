//! The commands besides a plain `check`: validate, list, explain, schema, --help,
//! and the selection and policy flags of `check`.

use crate::support::*;
use predicates::prelude::*;

/// A simulator manifest with two envs, tags, an env-restricted check and a wallet
/// that only warns (USD 25000 < warn_balance 30000).
const TAGGED: &str = r#"version = 1
default_env = "demo"

[env.demo]
tier = "sandbox"
simulator = true

[env.staging]
tier = "sandbox"
simulator = true

[[check]]
id = "credentials"
kind = "credentials"
tags = ["auth"]

[[check]]
id = "wallet-usd"
kind = "wallet"
currency = "USD"
min_balance = 1000.0
warn_balance = 30000.0
tags = ["funding", "usd"]

[[check]]
id = "wallet-eur"
kind = "wallet"
currency = "EUR"
min_balance = 500.0
severity = "warn"
tags = ["funding"]

[[check]]
id = "staging-login"
kind = "credentials"
severity = "info"
envs = ["staging"]
tags = ["auth"]
"#;

/// A manifest whose wallet-usd fails (min 100000 > 25000), plus `waiver`.
fn failing_wallet_with(waiver: &str) -> String {
    sim_manifest(
        None,
        &format!(
            "[[check]]\nid = \"credentials\"\nkind = \"credentials\"\n\n\
             [[check]]\nid = \"wallet-usd\"\nkind = \"wallet\"\ncurrency = \"USD\"\nmin_balance = 100000.0\n\n{waiver}"
        ),
    )
}

fn waiver(expires: &str) -> String {
    format!(
        "[[waiver]]\ncheck = \"wallet-usd\"\nreason = \"top-up wire sent\"\nowner = \"finance@example.com\"\nexpires = {expires}\n"
    )
}

/// `golive check -m PATH --format json EXTRA...`: its exit code, which may be any
/// verdict (0, 1 or 3, where `report_with_exit` wants one), and its report, checked
/// for consistency with it.
fn verdict_and_report(manifest: &std::path::Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut cmd = golive();
    cmd.args(["check", "-m", p(manifest), "--format", "json"])
        .args(extra);
    let out = run(&mut cmd);
    assert!([0, 1, 3].contains(&out.code), "{}", out.stderr);
    let report = out.json();
    assert_consistent(&report, out.code);
    (out.code, report)
}

// ---- validate -------------------------------------------------------------------

#[test]
fn validate_prints_a_one_line_summary() {
    let dir = tempdir();
    let m = write_manifest(dir.path(), TAGGED);
    let out = run_args(&["validate", "-m", p(&m)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    let line = out.stdout.trim_end();
    assert!(line.contains("valid"), "{line}");
    assert!(line.contains("demo") && line.contains("staging"), "{line}");
    assert!(line.contains("4 checks"), "{line}");
}

#[test]
fn validate_the_repository_manifest() {
    golive()
        .current_dir(crate_root())
        .arg("validate")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("checks.toml"))
        .stdout(predicate::str::contains("valid"));
}

#[test]
fn validate_refuses_a_bad_manifest() {
    let dir = tempdir();
    let m = write_manifest(dir.path(), "version = 1\n[env.x]\ntier = \"staging\"\n");
    let out = run_args(&["validate", "-m", p(&m)]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains(":3:8:"), "{}", out.stderr);
    assert!(out.stderr.contains("invalid tier"), "{}", out.stderr);
}

#[test]
fn validate_does_not_touch_the_network() {
    // An API that would hang forever is never contacted by validate.
    let server = RawServer::start(Behaviour::Hang).expect_no_connection();
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &api_manifest(
            &server.base_url(),
            "GL_V_KEY",
            "GL_V_SECRET",
            "[[check]]\nid = \"credentials\"\nkind = \"credentials\"\n",
        ),
    );
    let out = run(golive()
        .args(["validate", "-m", p(&m)])
        .env("GL_V_KEY", "k_validate_1")
        .env("GL_V_SECRET", "s_validate_1"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(server.connections(), 0);
}

// ---- list -----------------------------------------------------------------------

#[test]
fn list_shows_ids_kinds_severities_and_tags() {
    let dir = tempdir();
    let m = write_manifest(dir.path(), TAGGED);
    let out = run_args(&["list", "-m", p(&m)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let line_of = |id: &str| {
        out.stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(id))
            .unwrap_or_else(|| panic!("no line for {id}:\n{}", out.stdout))
            .to_string()
    };
    let usd = line_of("wallet-usd");
    assert!(
        usd.contains("wallet")
            && usd.contains("error")
            && usd.contains("funding")
            && usd.contains("usd"),
        "{usd}"
    );
    let eur = line_of("wallet-eur");
    assert!(eur.contains("warn"), "{eur}");
    let creds = line_of("credentials");
    assert!(
        creds.contains("credentials") && creds.contains("auth"),
        "{creds}"
    );
    // A check that does not apply to the env says why.
    let staging = line_of("staging-login");
    assert!(staging.contains("info"), "{staging}");
    assert!(staging.contains("skip"), "{staging}");
    assert!(staging.contains("staging"), "{staging}");
    for id in ["credentials", "wallet-usd", "wallet-eur"] {
        assert!(!line_of(id).contains("skip"), "{}", line_of(id));
    }
    assert!(out.stdout.contains("3 of 4"), "{}", out.stdout);
}

#[test]
fn list_for_another_env() {
    let dir = tempdir();
    let m = write_manifest(dir.path(), TAGGED);
    let out = run_args(&["list", "-m", p(&m), "-e", "staging"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let staging = out
        .stdout
        .lines()
        .find(|l| l.starts_with("staging-login"))
        .unwrap();
    assert!(!staging.contains("skip"), "{staging}");
    assert!(out.stdout.contains("4 of 4"), "{}", out.stdout);
}

#[test]
fn list_kinds_lists_every_kind_with_its_keys_without_a_manifest() {
    let dir = tempdir();
    let out = in_dir(dir.path(), &["list", "--kinds"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = &out.stdout;
    for kind in golive::checks::KINDS {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(kind.def.name))
            .unwrap_or_else(|| panic!("no line for `{}`:\n{text}", kind.def.name));
        assert!(line.contains(kind.def.about), "{line}");
        for key in kind.def.keys {
            assert!(
                text.contains(key),
                "`{key}` of `{}` is not listed",
                kind.def.name
            );
        }
    }
    assert!(text.contains("client_retry  2m"), "{text}");
    assert!(
        text.contains("every check also takes id, kind, severity"),
        "{text}"
    );
    // It is a list of kinds, not of an env's checks.
    let out = run_args(&["list", "--kinds", "-e", "demo"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

#[test]
fn list_refuses_a_bad_manifest() {
    let dir = tempdir();
    let m = write_manifest(dir.path(), "version = 1\nwhat = 1\n");
    let out = run_args(&["list", "-m", p(&m)]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty());
}

// ---- explain --------------------------------------------------------------------

#[test]
fn explain_knows_every_code() {
    let all = golive::checks::all_codes();
    assert!(!all.is_empty());
    for c in all {
        let out = run_args(&["explain", c.code]);
        assert_eq!(out.code, 0, "explain {}: {}", c.code, out.stderr);
        assert!(
            out.stdout.contains(c.code),
            "explain {}:\n{}",
            c.code,
            out.stdout
        );
        // The fix is part of the explanation (compare the first words, as it is wrapped).
        let first_words: Vec<&str> = c.fix.split_whitespace().take(3).collect();
        let text: Vec<&str> = out.stdout.split_whitespace().collect();
        assert!(
            text.windows(3).any(|w| w == first_words.as_slice()),
            "explain {} lacks its fix:\n{}",
            c.code,
            out.stdout
        );
        if let Some(docs) = c.docs {
            assert!(
                out.stdout.contains(docs),
                "explain {}: no docs link",
                c.code
            );
        }
    }
}

#[test]
fn explain_an_unknown_code_suggests_the_nearest() {
    let out = run_args(&["explain", "login-rejectd"]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("did you mean"), "{}", out.stderr);
    assert!(out.stderr.contains("login-rejected"), "{}", out.stderr);

    let out = run_args(&["explain", "wallet-gone"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("wallet-missing"), "{}", out.stderr);
}

#[test]
fn explain_without_a_code_is_a_usage_error() {
    let out = run_args(&["explain"]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty());
}

#[test]
fn explain_list_lists_every_code() {
    let out = run_args(&["explain", "--list"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let listed: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let all: Vec<&str> = golive::checks::all_codes().iter().map(|c| c.code).collect();
    assert_eq!(listed, all);
    for c in golive::checks::all_codes() {
        let line = out
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(c.code))
            .unwrap();
        assert!(line.contains(c.title), "{line}");
    }
}

/// Manifest diagnostics say "(code: literal-secret)", and SPEC section 3 says
/// `golive explain CODE` knows every code, but explain does not know this one and
/// suggests `runway-short`.
#[test]
fn explain_knows_the_codes_that_manifest_errors_cite() {
    let out = run_args(&["explain", "literal-secret"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("literal-secret"));
}

// ---- schema and help ------------------------------------------------------------

#[test]
fn schema_is_valid_json() {
    let out = run_args(&["schema"]);
    assert_eq!(out.code, 0);
    let schema = out.json();
    assert!(schema.get("$schema").is_some() || schema.get("properties").is_some());
    let props = &schema["properties"];
    for key in [
        "schema_version",
        "tool",
        "manifest",
        "environment",
        "started_at",
        "duration_ms",
        "verdict",
        "exit_code",
        "summary",
        "checks",
    ] {
        assert!(props.get(key).is_some(), "schema lacks `{key}`");
    }
}

#[test]
fn help_mentions_the_exit_codes() {
    let out = run_args(&["--help"]);
    assert_eq!(out.code, 0);
    for phrase in [
        "Exit codes",
        "0 ready",
        "1 not ready",
        "2 usage",
        "3 inconclusive",
        "4 internal",
    ] {
        assert!(
            out.stdout.contains(phrase),
            "--help lacks `{phrase}`:\n{}",
            out.stdout
        );
    }
    for sub in ["check", "validate", "list", "schema", "explain"] {
        assert!(out.stdout.contains(sub), "--help lacks `{sub}`");
    }
}

#[test]
fn version_flag() {
    golive()
        .arg("--version")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let out = run_args(&["check", "--frobnicate"]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty());
}

// ---- check: selection -----------------------------------------------------------

#[test]
fn only_a_tag_runs_the_tagged_checks() {
    let dir = tempdir();
    let m = write_manifest(dir.path(), TAGGED);
    let (_, report) = verdict_and_report(&m, &["--only", "funding"]);
    assert_eq!(status_of(&report, "credentials"), "skip");
    assert!(
        check(&report, "credentials")["summary"]
            .as_str()
            .unwrap()
            .contains("--only")
    );
    assert_ne!(status_of(&report, "wallet-usd"), "skip");
    assert_ne!(status_of(&report, "wallet-eur"), "skip");
    // Every check of the manifest is in the report, in manifest order.
    assert_eq!(
        ids(&report),
        ["credentials", "wallet-usd", "wallet-eur", "staging-login"]
    );
}

#[test]
fn only_an_id_and_repeated() {
    let dir = tempdir();
    let m = write_manifest(dir.path(), TAGGED);
    let (_, report) = verdict_and_report(&m, &["--only", "wallet-eur", "--only", "credentials"]);
    assert_eq!(status_of(&report, "wallet-usd"), "skip");
    assert_eq!(status_of(&report, "wallet-eur"), "pass");
    assert_eq!(status_of(&report, "credentials"), "pass");
}

#[test]
fn skip_an_id() {
    let dir = tempdir();
    let m = write_manifest(dir.path(), TAGGED);
    let (_, report) = verdict_and_report(&m, &["--skip", "wallet-usd"]);
    assert_eq!(status_of(&report, "wallet-usd"), "skip");
    assert!(
        check(&report, "wallet-usd")["summary"]
            .as_str()
            .unwrap()
            .contains("--skip")
    );
    assert_eq!(status_of(&report, "credentials"), "pass");
    assert_eq!(status_of(&report, "wallet-eur"), "pass");
}

#[test]
fn skip_a_tag() {
    let dir = tempdir();
    let m = write_manifest(dir.path(), TAGGED);
    let (code, report) = verdict_and_report(&m, &["--skip", "funding"]);
    assert_eq!(code, 0);
    assert_eq!(status_of(&report, "wallet-usd"), "skip");
    assert_eq!(status_of(&report, "wallet-eur"), "skip");
    assert_eq!(status_of(&report, "credentials"), "pass");
}

#[test]
fn selecting_nothing_known_is_a_usage_error() {
    let dir = tempdir();
    let m = write_manifest(dir.path(), TAGGED);
    for flag in ["--only", "--skip"] {
        let out = run_args(&["check", "-m", p(&m), flag, "nosuch"]);
        assert_eq!(out.code, 2, "{flag}: {}", out.stderr);
        assert!(out.stdout.is_empty());
        assert!(out.stderr.contains("nosuch"), "{}", out.stderr);
        // The message lists what could have been meant.
        assert!(out.stderr.contains("funding"), "{}", out.stderr);
    }
}

#[test]
fn checks_for_another_env_are_skipped_with_the_reason() {
    let dir = tempdir();
    let m = write_manifest(dir.path(), TAGGED);
    let (_, report) = verdict_and_report(&m, &[]);
    assert_eq!(status_of(&report, "staging-login"), "skip");
    let summary = check(&report, "staging-login")["summary"].as_str().unwrap();
    assert!(
        summary.contains("demo") || summary.contains("staging"),
        "{summary}"
    );

    let (_, report) = verdict_and_report(&m, &["--env", "staging"]);
    assert_eq!(report["environment"]["name"], "staging");
    assert_eq!(status_of(&report, "staging-login"), "pass");
}

#[test]
fn env_from_the_environment_variable() {
    let dir = tempdir();
    let m = write_manifest(dir.path(), TAGGED);
    let out = run(golive()
        .args(["check", "-m", p(&m), "--format", "json"])
        .env("GOLIVE_ENV", "staging"));
    assert_eq!(out.json()["environment"]["name"], "staging");
}

// ---- check: policy --------------------------------------------------------------

#[test]
fn strict_makes_warnings_block() {
    let dir = tempdir();
    let m = write_manifest(dir.path(), TAGGED);
    let (code, report) = verdict_and_report(&m, &[]);
    assert_eq!(code, 0, "a warning alone does not block");
    assert_eq!(status_of(&report, "wallet-usd"), "warn");
    assert_eq!(check(&report, "wallet-usd")["blocking"], false);

    let (code, report) = verdict_and_report(&m, &["--strict"]);
    assert_eq!(code, 1, "--strict: warnings block");
    assert_eq!(report["verdict"], "not_ready");
    assert_eq!(check(&report, "wallet-usd")["blocking"], true);
}

#[test]
fn strict_never_blocks_on_info_severity() {
    let dir = tempdir();
    let text = sim_manifest(
        None,
        "[[check]]\nid = \"wallet-usd\"\nkind = \"wallet\"\ncurrency = \"USD\"\nmin_balance = 100000.0\nseverity = \"info\"\n",
    );
    let m = write_manifest(dir.path(), &text);
    let (code, report) = verdict_and_report(&m, &["--strict"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(check(&report, "wallet-usd")["blocking"], false);
}

#[test]
fn warn_severity_failure_is_reported_as_warn() {
    let dir = tempdir();
    let text = sim_manifest(
        None,
        "[[check]]\nid = \"wallet-usd\"\nkind = \"wallet\"\ncurrency = \"USD\"\nmin_balance = 100000.0\nseverity = \"warn\"\n",
    );
    let m = write_manifest(dir.path(), &text);
    let (code, report) = verdict_and_report(&m, &[]);
    assert_eq!(code, 0);
    assert_eq!(status_of(&report, "wallet-usd"), "warn");
    assert!(codes_of(&report, "wallet-usd").contains(&"balance-below-minimum".to_string()));
    let (code, _) = verdict_and_report(&m, &["--strict"]);
    assert_eq!(code, 1);
}

#[test]
fn a_waiver_hides_a_failure_and_no_waivers_shows_it_again() {
    let dir = tempdir();
    let m = write_manifest(dir.path(), &failing_wallet_with(&waiver("2099-01-01")));
    let (code, report) = verdict_and_report(&m, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(status_of(&report, "wallet-usd"), "waived");
    assert_eq!(report["summary"]["waived"], 1);
    assert_eq!(
        check(&report, "wallet-usd")["waiver"]["reason"],
        "top-up wire sent"
    );

    let (code, report) = verdict_and_report(&m, &["--no-waivers"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(status_of(&report, "wallet-usd"), "fail");
    assert_eq!(check(&report, "wallet-usd")["blocking"], true);
    assert!(check(&report, "wallet-usd")["waiver"].is_null());
}

#[test]
fn waived_run_in_the_human_report() {
    let dir = tempdir();
    let m = write_manifest(dir.path(), &failing_wallet_with(&waiver("2099-01-01")));
    let out = run_args(&["check", "-m", p(&m)]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("waived"), "{}", out.stdout);
    assert!(out.stdout.contains("READY"), "{}", out.stdout);
}

#[test]
fn an_expired_waiver_no_longer_hides_the_failure() {
    let dir = tempdir();
    let m = write_manifest(dir.path(), &failing_wallet_with(&waiver("2000-01-01")));
    let (code, report) = verdict_and_report(&m, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(status_of(&report, "wallet-usd"), "fail");
    let codes = codes_of(&report, "wallet-usd");
    assert!(
        codes.contains(&"balance-below-minimum".to_string()),
        "{codes:?}"
    );
    assert!(codes.contains(&"waiver-expired".to_string()), "{codes:?}");
    let w = &check(&report, "wallet-usd")["waiver"];
    assert_eq!(w["expired"], true);
    assert_eq!(w["expires"], "2000-01-01");
}

#[test]
fn an_expired_waiver_on_a_passing_check_warns() {
    let dir = tempdir();
    let text = sim_manifest(
        None,
        &format!(
            "[[check]]\nid = \"wallet-usd\"\nkind = \"wallet\"\ncurrency = \"USD\"\nmin_balance = 10.0\n\n{}",
            waiver("2000-01-01")
        ),
    );
    let m = write_manifest(dir.path(), &text);
    let (code, report) = verdict_and_report(&m, &[]);
    assert_eq!(code, 0);
    assert_eq!(status_of(&report, "wallet-usd"), "warn");
    assert!(codes_of(&report, "wallet-usd").contains(&"waiver-expired".to_string()));
}

// ---- check: output --------------------------------------------------------------

#[test]
fn json_format_prints_exactly_one_document() {
    let dir = tempdir();
    let m = write_manifest(dir.path(), TAGGED);
    let out = run_args(&["check", "-m", p(&m), "--format", "json"]);
    assert_eq!(out.code, 0);
    // parse_json refuses trailing content.
    let report = parse_json(&out.stdout);
    assert!(report.is_object());
    assert!(out.stdout.trim_start().starts_with('{'));
    assert!(out.stdout.trim_end().ends_with('}'));
}

#[test]
fn quiet_keeps_stderr_empty_and_stdout_the_same() {
    let dir = tempdir();
    let m = write_manifest(dir.path(), TAGGED);
    let out = run_args(&["-q", "check", "-m", p(&m)]);
    assert_eq!(out.code, 0);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert!(out.stdout.contains("READY"));
}

#[test]
fn no_color_means_no_escape_codes() {
    let dir = tempdir();
    let m = write_manifest(dir.path(), TAGGED);
    let out = run_args(&["check", "-m", p(&m), "--strict"]);
    assert_eq!(out.code, 1);
    assert!(!out.stdout.contains('\u{1b}'), "{:?}", out.stdout);
    assert!(!out.stderr.contains('\u{1b}'), "{:?}", out.stderr);
}

#[test]
fn color_always_colours_the_report() {
    let dir = tempdir();
    let m = write_manifest(dir.path(), TAGGED);
    let out = run_args(&["check", "-m", p(&m), "--color", "always"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains('\u{1b}'), "{:?}", out.stdout);
}

#[test]
fn jobs_one_gives_the_same_result() {
    let dir = tempdir();
    let m = write_manifest(dir.path(), TAGGED);
    let (_, parallel) = verdict_and_report(&m, &[]);
    let (_, serial) = verdict_and_report(&m, &["--jobs", "1"]);
    assert_same_json(
        &normalized(&parallel),
        &normalized(&serial),
        "--jobs 1 and --jobs 8 differ",
    );
    let out = run_args(&["check", "-m", p(&m), "--jobs", "0"]);
    assert_eq!(out.code, 2, "--jobs 0 is refused");
}
