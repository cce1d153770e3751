//! `golive validate` lints a manifest that loads: each lint at `FILE:LINE:COL`, with
//! its finding code and a fix; warnings leave the exit code at 0 unless `--strict`
//! (or `--deny warnings`), errors are exit 2 with an empty stdout.

use crate::support::{golive, p, run, tempdir, write_manifest};

const HEAD: &str = "version = 1\n\n[env.demo]\ntier = \"sandbox\"\nsimulator = true\n\n";
const CHECK: &str = "[[check]]\nid = \"credentials\"\nkind = \"credentials\"\n\n";

/// `checks.toml:LINE:COL:` of the first occurrence of `needle` in `text`.
fn at(text: &str, needle: &str) -> String {
    let offset = text.find(needle).expect("needle in the manifest");
    let line = text[..offset].matches('\n').count() + 1;
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let col = text[line_start..offset].chars().count() + 1;
    format!("checks.toml:{line}:{col}:")
}

/// A `  = fix: ...` line of `stderr` mentions `fix`.
fn assert_fix(stderr: &str, fix: &str) {
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("  = fix: ") && l.contains(fix)),
        "no fix mentioning {fix:?} in:\n{stderr}"
    );
}

struct Validated {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `golive validate -m checks.toml EXTRA...` in a fresh folder holding `text`.
fn validate(text: &str, extra: &[&str]) -> Validated {
    let dir = tempdir();
    write_manifest(dir.path(), text);
    let out = run(golive()
        .current_dir(dir.path())
        .args(["validate", "-m", "checks.toml"])
        .args(extra));
    Validated {
        code: out.code,
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

/// A warning: exit 0 and `valid` on stdout, the warning on stderr; with `--strict`
/// or `--deny warnings` exit 2 with an empty stdout.
fn assert_warning(text: &str, needle: &str, code: &str, fix: &str) {
    let out = validate(text, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("valid"), "{}", out.stdout);
    let header = format!("{} warning: ", at(text, needle));
    assert!(out.stderr.contains(&header), "{header} in:\n{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("(code: {code})")),
        "{}",
        out.stderr
    );
    assert_fix(&out.stderr, fix);
    for flags in [&["--strict"][..], &["--deny", "warnings"][..]] {
        let strict = validate(text, flags);
        assert_eq!(strict.code, 2, "{flags:?}: {}", strict.stderr);
        assert!(strict.stdout.is_empty(), "{flags:?}: {}", strict.stdout);
        assert!(strict.stderr.contains(&header), "{}", strict.stderr);
        assert!(
            strict.stderr.contains("(--strict: warnings are errors)"),
            "{}",
            strict.stderr
        );
    }
}

/// An error: exit 2, empty stdout, the error located on stderr.
fn assert_error(text: &str, needle: &str, code: &str, fix: &str) {
    let out = validate(text, &[]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    let header = format!("{} error: ", at(text, needle));
    assert!(out.stderr.contains(&header), "{header} in:\n{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("(code: {code})")),
        "{}",
        out.stderr
    );
    assert_fix(&out.stderr, fix);
}

#[test]
fn warn_balance_below_min_balance_is_a_warning() {
    let text = format!(
        "{HEAD}[[check]]\nid = \"wallet-usd\"\nkind = \"wallet\"\ncurrency = \"USD\"\nmin_balance = 1000.0\nwarn_balance = 500.0\n"
    );
    assert_warning(
        &text,
        "500.0",
        "balance-thresholds-inverted",
        "set warn_balance above min_balance",
    );
}

#[test]
fn an_allowlist_of_everything_is_an_error_and_a_private_range_a_warning() {
    let env = "version = 1\n\n[env.prod]\ntier = \"production\"\napi_key = { env = \"API_KEY_PROD\" }\napi_secret = { env = \"API_SECRET_PROD\" }\n";
    let text = format!("{env}egress_allowlist = [\"0.0.0.0/0\"]\n\n{CHECK}");
    assert_error(
        &text,
        "\"0.0.0.0/0\"",
        "allowlist-too-broad",
        "List only your NAT gateways",
    );
    let text = format!("{env}egress_allowlist = [\"203.0.113.0/28\", \"10.0.0.0/24\"]\n\n{CHECK}");
    assert_warning(
        &text,
        "\"10.0.0.0/24\"",
        "allowlist-private-range",
        "Replace it with the public address(es)",
    );
}

#[test]
fn a_production_env_on_the_sandbox_host_and_the_reverse_are_errors() {
    let prod = format!(
        "version = 1\n\n[env.prod]\ntier = \"production\"\nbase_url = \"https://sandbox-api.octopuscards.io\"\n\n{CHECK}"
    );
    assert_error(
        &prod,
        "\"https://sandbox",
        "host-tier-mismatch",
        "remove base_url (it defaults to https://api.octopuscards.io)",
    );
    let sandbox = format!(
        "version = 1\n\n[env.sb]\ntier = \"sandbox\"\nbase_url = \"https://API.octopuscards.io/\"\n\n{CHECK}"
    );
    assert_error(
        &sandbox,
        "\"https://API",
        "host-tier-mismatch",
        "set tier = \"production\"",
    );
}

#[test]
fn the_same_variable_for_key_and_secret_is_an_error_that_never_names_it() {
    let text = format!(
        "version = 1\n\n[env.sb]\ntier = \"sandbox\"\napi_key = {{ env = \"GL_ONE_VAR\" }}\napi_secret = {{ env = \"GL_ONE_VAR\" }}\n\n{CHECK}"
    );
    assert_error(
        &text,
        "{ env = \"GL_ONE_VAR\" }\n\n",
        "api-secret-same-as-key",
        "point api_secret at the variable or file that holds the secret",
    );
    let out = validate(&text, &[]);
    let header = out.stderr.lines().next().unwrap_or_default();
    assert!(!header.contains("GL_ONE_VAR"), "{header}");
}

#[test]
fn an_expired_waiver_is_a_warning() {
    let text = format!(
        "{HEAD}{CHECK}[[waiver]]\ncheck = \"credentials\"\nreason = \"rotating keys\"\nowner = \"ops@example.com\"\nexpires = 2020-01-31\n"
    );
    assert_warning(&text, "2020-01-31", "waiver-expired", "renew it");
}

#[test]
fn an_attestation_dated_in_the_future_is_an_error() {
    let text = format!(
        "{HEAD}[[check]]\nid = \"kyc\"\nkind = \"attestation\"\nevidence = \"https://tracker.example.com/ONB-42\"\nsigned_off_by = \"ops@example.com\"\ndate = 2999-01-01\n"
    );
    assert_error(
        &text,
        "2999-01-01",
        "attestation-missing",
        "write the date the step was actually signed off",
    );
}

#[test]
fn the_starter_warns_about_its_unfilled_attestations_and_nothing_else() {
    let dir = tempdir();
    let init = run(golive().current_dir(dir.path()).arg("init"));
    assert_eq!(init.code, 0, "{}", init.stderr);
    let text = std::fs::read_to_string(dir.path().join("checks.toml")).expect("written");
    let out = run(golive().current_dir(dir.path()).arg("validate"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("valid"), "{}", out.stdout);
    assert!(out.stdout.contains("5 warnings"), "{}", out.stdout);
    assert_eq!(
        out.stderr.matches(": warning: ").count(),
        5,
        "{}",
        out.stderr
    );
    assert_eq!(
        out.stderr.matches("(code: attestation-missing)").count(),
        5,
        "{}",
        out.stderr
    );
    // The first `evidence = ""` is kyc's; the warning points at its value.
    let kyc_evidence = text.find("evidence = \"\"").expect("kyc evidence");
    let line = text[..kyc_evidence].matches('\n').count() + 1;
    let col = "evidence = ".len() + 1;
    assert!(
        out.stderr.contains(&format!(
            "checks.toml:{line}:{col}: warning: attestation `kyc` is not signed off yet"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("= fix: once the step is done"),
        "{}",
        out.stderr
    );
    let strict = run(golive()
        .current_dir(dir.path())
        .args(["validate", "--strict"]));
    assert_eq!(strict.code, 2, "{}", strict.stderr);
    assert!(strict.stdout.is_empty(), "{}", strict.stdout);
}

#[test]
fn a_manifest_without_envs_or_checks_is_an_error() {
    let out = validate("version = 1\n", &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("checks.toml:1:1: error: the manifest defines no env"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("(code: manifest-no-envs)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("(code: manifest-no-checks)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("= fix: add at least one [[check]]"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.ends_with("2 errors in checks.toml\n"),
        "{}",
        out.stderr
    );

    let no_checks = validate(HEAD, &[]);
    assert_eq!(no_checks.code, 2, "{}", no_checks.stderr);
    assert!(no_checks.stderr.contains("(code: manifest-no-checks)"));
    assert!(!no_checks.stderr.contains("manifest-no-envs"));
}

#[test]
fn repeated_lints_are_capped_with_a_count_of_the_rest() {
    // Twelve copies of one range: 66 pairs repeat each other.
    let ranges = ["\"203.0.113.0/28\""; 12].join(", ");
    let text = format!(
        "version = 1\n\n[env.prod]\ntier = \"production\"\negress_allowlist = [{ranges}]\n\n{CHECK}"
    );
    let out = validate(&text, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr.matches(": warning: ").count(),
        50,
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("... and 16 more (only the first 50 are shown)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("66 warnings in checks.toml"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("66 warnings"), "{}", out.stdout);
}

#[test]
fn lints_do_not_block_check() {
    // The wallet's thresholds are inverted and its waiver expired: validate warns,
    // check runs as before and judges the simulator's healthy wallet.
    let dir = tempdir();
    let text = format!(
        "{HEAD}[[check]]\nid = \"wallet-usd\"\nkind = \"wallet\"\ncurrency = \"USD\"\nmin_balance = 100.0\nwarn_balance = 50.0\n\n[[waiver]]\ncheck = \"wallet-usd\"\nreason = \"r\"\nowner = \"o\"\nexpires = 2020-01-01\n"
    );
    let m = write_manifest(dir.path(), &text);
    let out = run(golive().args(["check", "-m", p(&m), "--format", "json"]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.json()["verdict"], "ready");
    assert!(
        !out.stderr.contains("balance-thresholds-inverted"),
        "{}",
        out.stderr
    );
}
