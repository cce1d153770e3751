//! Secrets: resolved from variables and files, never printed, and reported as
//! missing or malformed without echoing a value.

use crate::support::*;
use serde_json::Value;

const CREDENTIALS_AND_WALLET: &str = "[[check]]\nid = \"credentials\"\nkind = \"credentials\"\n\n\
     [[check]]\nid = \"wallet-usd\"\nkind = \"wallet\"\ncurrency = \"USD\"\nmin_balance = 1000.0\n";

/// A sandbox env at `base_url` with `api_key` from `$T_KEY` and `api_secret` from
/// `secret.txt` beside the manifest.
fn env_and_file_manifest(base_url: &str) -> String {
    format!(
        "version = 1\ndefault_env = \"sbx\"\n\n[env.sbx]\ntier = \"sandbox\"\nbase_url = \"{base_url}\"\n\
         api_key = {{ env = \"T_KEY\" }}\napi_secret = {{ file = \"secret.txt\" }}\n\n{CREDENTIALS_AND_WALLET}"
    )
}

fn assert_absent(haystack: &str, secrets: &[&str], what: &str) {
    for s in secrets {
        assert!(
            !haystack.contains(s),
            "{what} contains a secret value:\n{haystack}"
        );
    }
}

#[test]
fn secrets_from_env_and_file_never_appear_in_any_output() {
    let sim = SimServer::sandbox();
    let (key, secret) = (sim.api_key(), sim.api_secret());
    assert!(key.len() >= 8 && secret.len() >= 8, "usable probe values");
    let dir = tempdir();
    let m = write_manifest(dir.path(), &env_and_file_manifest(&sim.base_url()));
    std::fs::write(dir.path().join("secret.txt"), format!("{secret}\n")).unwrap();

    for format in ["human", "json"] {
        let report_path = dir.path().join(format!("report-{format}.json"));
        let out = run(golive()
            .args(["-vv", "check", "-m", p(&m), "--format", format])
            .arg("--report-json")
            .arg(&report_path)
            .env("T_KEY", &key));
        assert_eq!(
            out.code, 0,
            "--format {format}: {}\n{}",
            out.stdout, out.stderr
        );
        assert!(!out.stderr.is_empty(), "-vv logs to stderr");
        assert_absent(&out.stdout, &[&key, &secret], "stdout");
        assert_absent(&out.stderr, &[&key, &secret], "stderr");
        let file = std::fs::read_to_string(&report_path).expect("report written");
        assert_absent(&file, &[&key, &secret], "the report file");
        let report: Value = parse_json(&file);
        assert_eq!(report["verdict"], "ready");
        // A loopback base URL is not the canonical host: a warning, nothing worse.
        assert!(
            ["pass", "warn"].contains(&status_of(&report, "credentials")),
            "{report:#}"
        );
        assert!(codes_of(&report, "credentials").contains(&"login-ok".to_string()));
        assert_eq!(status_of(&report, "wallet-usd"), "pass");
        // Where the credentials came from is evidence; their values are not.
        let sources = &check(&report, "credentials")["evidence"]["credential_sources"];
        assert!(
            sources.to_string().contains("T_KEY"),
            "names the variable: {sources}"
        );
        assert!(
            sources.to_string().contains("secret.txt"),
            "names the file: {sources}"
        );
    }
    // The simulator really was used: exactly one login for each run.
    assert_eq!(sim.stats().by_route.get("POST /auth/login"), Some(&2));
}

#[test]
fn malformed_credential_is_reported_without_its_value() {
    let sim = SimServer::sandbox().expect_no_requests();
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &api_manifest(
            &sim.base_url(),
            "GL_MAL_KEY",
            "GL_MAL_SECRET",
            CREDENTIALS_AND_WALLET,
        ),
    );
    let key_with_space = format!("{} ", sim.api_key());
    let out = run(golive()
        .args(["-vv", "check", "-m", p(&m), "--format", "json"])
        .env("GL_MAL_KEY", &key_with_space)
        .env("GL_MAL_SECRET", sim.api_secret()));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let report = out.json();
    assert_eq!(status_of(&report, "credentials"), "fail");
    assert!(
        codes_of(&report, "credentials").contains(&"credential-malformed".to_string()),
        "{report:#}"
    );
    assert_absent(
        &out.all_output(),
        &[sim.api_key().as_str(), sim.api_secret().as_str()],
        "the output",
    );
}

/// The credentials check refuses to log in with a malformed credential (evidence
/// `"login": {"attempted": false, "reason": ...}`), and no other check (here the wallet check) may
/// send it either: the simulator must see no login at all.
#[test]
fn malformed_credential_is_never_sent() {
    let sim = SimServer::sandbox().expect_no_requests();
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &api_manifest(
            &sim.base_url(),
            "GL_MAL2_KEY",
            "GL_MAL2_SECRET",
            CREDENTIALS_AND_WALLET,
        ),
    );
    let out = run(golive()
        .args(["check", "-m", p(&m), "--format", "json"])
        .env("GL_MAL2_KEY", format!("{} ", sim.api_key()))
        .env("GL_MAL2_SECRET", sim.api_secret()));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = out.json();
    let login = &check(&report, "credentials")["evidence"]["login"];
    assert_eq!(login["attempted"], false, "{report:#}");
    assert!(
        login["reason"].as_str().is_some_and(|s| !s.is_empty()),
        "{report:#}"
    );
    assert_eq!(
        sim.stats().by_route.get("POST /auth/login"),
        None,
        "a malformed credential was sent to the API:\n{report:#}"
    );
}

#[test]
fn placeholder_credential_is_malformed() {
    let sim = SimServer::sandbox().expect_no_requests();
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &api_manifest(
            &sim.base_url(),
            "GL_PH_KEY",
            "GL_PH_SECRET",
            CREDENTIALS_AND_WALLET,
        ),
    );
    let out = run(golive()
        .args(["check", "-m", p(&m), "--format", "json"])
        .env("GL_PH_KEY", "your_api_key")
        .env("GL_PH_SECRET", sim.api_secret()));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(codes_of(&out.json(), "credentials").contains(&"credential-malformed".to_string()));
}

#[test]
fn secret_file_that_is_a_directory_is_missing() {
    let sim = SimServer::sandbox().expect_no_requests();
    let dir = tempdir();
    let m = write_manifest(dir.path(), &env_and_file_manifest(&sim.base_url()));
    std::fs::create_dir(dir.path().join("secret.txt")).unwrap();
    let out = run(golive()
        .args(["check", "-m", p(&m), "--format", "json"])
        .env("T_KEY", sim.api_key()));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let report = out.json();
    assert_eq!(status_of(&report, "credentials"), "fail");
    assert!(
        codes_of(&report, "credentials").contains(&"credential-missing".to_string()),
        "{report:#}"
    );
    assert!(!out.all_output().contains(&sim.api_key()));
}

#[test]
fn secret_file_that_does_not_exist_is_missing() {
    let sim = SimServer::sandbox().expect_no_requests();
    let dir = tempdir();
    let m = write_manifest(dir.path(), &env_and_file_manifest(&sim.base_url()));
    let out = run(golive()
        .args(["check", "-m", p(&m), "--format", "json"])
        .env("T_KEY", sim.api_key()));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(codes_of(&out.json(), "credentials").contains(&"credential-missing".to_string()));
}

#[test]
fn secret_file_with_two_newlines_is_malformed() {
    // One trailing newline is stripped; anything more is malformed.
    let sim = SimServer::sandbox().expect_no_requests();
    let dir = tempdir();
    let m = write_manifest(dir.path(), &env_and_file_manifest(&sim.base_url()));
    std::fs::write(
        dir.path().join("secret.txt"),
        format!("{}\n\n", sim.api_secret()),
    )
    .unwrap();
    let out = run(golive()
        .args(["check", "-m", p(&m), "--format", "json"])
        .env("T_KEY", sim.api_key()));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(codes_of(&out.json(), "credentials").contains(&"credential-malformed".to_string()));
    assert!(!out.all_output().contains(&sim.api_secret()));
}

#[test]
fn unset_variable_is_missing() {
    let sim = SimServer::sandbox().expect_no_requests();
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &api_manifest(
            &sim.base_url(),
            "GL_NEVER_SET_KEY_7f3a",
            "GL_NEVER_SET_SECRET_7f3a",
            CREDENTIALS_AND_WALLET,
        ),
    );
    let out = run(golive()
        .args(["check", "-m", p(&m), "--format", "json"])
        .env_remove("GL_NEVER_SET_KEY_7f3a")
        .env_remove("GL_NEVER_SET_SECRET_7f3a"));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = out.json();
    assert_eq!(status_of(&report, "credentials"), "fail");
    let creds = check(&report, "credentials");
    let missing: Vec<&Value> = creds["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "credential-missing")
        .collect();
    assert_eq!(missing.len(), 2, "one per missing credential: {creds:#}");
    assert!(
        missing.iter().any(|f| f["message"]
            .as_str()
            .unwrap()
            .contains("GL_NEVER_SET_KEY_7f3a")),
        "the message names the variable: {creds:#}"
    );
    // Nothing was sent without credentials.
    assert_eq!(sim.stats().total, 0);
}

#[test]
fn validate_needs_no_secrets() {
    // An unset variable is not a manifest error (validating must not need production secrets).
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &api_manifest(
            "https://sandbox-api.octopuscards.io",
            "GL_NEVER_SET_KEY_91",
            "GL_NEVER_SET_SECRET_91",
            CREDENTIALS_AND_WALLET,
        ),
    );
    let out = run_args(&["validate", "-m", p(&m)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn a_secret_echoed_by_the_api_is_redacted() {
    // A misbehaving API (or proxy) that quotes the credentials back in its answer.
    let key = "k_echoed_back_4242";
    let secret = "s_echoed_back_9797";
    let bodies = [
        (
            "401 Unauthorized",
            format!(
                r#"{{"error":{{"code":"UNAUTHORIZED","message":"unknown key {key} with secret {secret}"}}}}"#
            ),
        ),
        ("200 OK", format!("login page for {key}:{secret}")),
    ];
    for (status, body) in bodies {
        let server = RawServer::respond(status, "application/json", body.as_bytes());
        let dir = tempdir();
        let m = write_manifest(
            dir.path(),
            &api_manifest(
                &server.base_url(),
                "GL_ECHO_KEY",
                "GL_ECHO_SECRET",
                CREDENTIALS_AND_WALLET,
            ),
        );
        for format in ["human", "json"] {
            let report_path = dir.path().join("report.json");
            let out = run(golive()
                .args(["-vv", "check", "-m", p(&m), "--format", format])
                .arg("--report-json")
                .arg(&report_path)
                .env("GL_ECHO_KEY", key)
                .env("GL_ECHO_SECRET", secret));
            assert!([1, 3].contains(&out.code), "{status}: {}", out.stderr);
            assert_absent(&out.all_output(), &[key, secret], "the output");
            let file = std::fs::read_to_string(&report_path).unwrap();
            assert_absent(&file, &[key, secret], "the report file");
        }
    }
}

/// A secret pasted where its variable's name belongs is never echoed: the
/// credential is missing, and the message says why without quoting it.
#[test]
fn a_secret_pasted_as_a_variable_name_is_never_echoed() {
    let pasted_key = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
    let pasted_secret = "Zx9Qw3Er7Ty1Ui5Op2As8Df4Gh6Jk0Lz";
    let sim = SimServer::sandbox().expect_no_requests();
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &api_manifest(
            &sim.base_url(),
            pasted_key,
            pasted_secret,
            CREDENTIALS_AND_WALLET,
        ),
    );
    for format in ["json", "human", "markdown", "github", "junit"] {
        let out = run(golive().args(["check", "-m", p(&m), "--format", format, "-v"]));
        assert_eq!(out.code, 1, "{format}: {}", out.all_output());
        assert_absent(&out.all_output(), &[pasted_key, pasted_secret], format);
        assert_absent(&out.all_output(), &["4eC39HqLyjWD", "Zx9Qw3Er7Ty1"], format);
    }
    let out = run(golive().args(["check", "-m", p(&m), "--format", "json"]));
    let report = out.json();
    let messages: Vec<String> = check(&report, "credentials")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "credential-missing")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(messages.len(), 2, "{report:#}");
    for field in ["api_key", "api_secret"] {
        assert!(
            messages.iter().any(|m| m
                == &format!("the variable name given for {field} does not look like a variable name; did you paste the secret itself?")),
            "{messages:?}"
        );
    }
    // Nothing was sent without credentials.
    assert_eq!(sim.stats().total, 0);
}
