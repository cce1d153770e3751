//! Messages that say what is wrong and how to fix it: unset and empty credentials,
//! URLs written without a scheme or that do not parse, a missing manifest, and
//! near-miss flag values.

use crate::support::*;

/// Asserts a usage error: exit 2, nothing on stdout, and every `needle` on stderr.
fn assert_usage(run: &Run, needles: &[&str]) {
    assert_eq!(run.code, 2, "exit code; stderr:\n{}", run.stderr);
    assert!(run.stdout.is_empty(), "stdout on exit 2:\n{}", run.stdout);
    for n in needles {
        assert!(
            run.stderr.contains(n),
            "`{n}` not in stderr:\n{}",
            run.stderr
        );
    }
}

/// The messages of the findings with `code` in check `id` of a JSON report.
fn messages(report: &serde_json::Value, id: &str, code: &str) -> Vec<String> {
    check(report, id)["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == code)
        .map(|f| f["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn unset_and_empty_credentials_say_so() {
    let dir = tempdir();
    let base = format!("http://127.0.0.1:{}", closed_port());
    let manifest = write_manifest(
        dir.path(),
        &format!(
            "{}webhook_url = \"http://127.0.0.1:{}/hook\"\nwebhook_secret = {{ env = \"GL_MSG_WEBHOOK_SECRET\" }}\n\n\
             [[check]]\nid = \"credentials\"\nkind = \"credentials\"\n\n\
             [[check]]\nid = \"webhook\"\nkind = \"webhook\"\ntimeout = \"3s\"\n",
            api_manifest(&base, "GL_MSG_API_KEY", "GL_MSG_API_SECRET", "")
                .trim_end()
                .to_string()
                + "\n",
            closed_port()
        ),
    );
    let r = run(golive()
        .args(["check", "-m", p(&manifest), "--format", "json"])
        .env_remove("GL_MSG_API_KEY")
        .env("GL_MSG_API_SECRET", "")
        .env_remove("GL_MSG_WEBHOOK_SECRET"));
    let report = r.json();
    assert_eq!(
        messages(&report, "credentials", "credential-missing"),
        [
            "api_key: environment variable GL_MSG_API_KEY is not set",
            "api_secret: environment variable GL_MSG_API_SECRET is set but empty",
        ]
    );
    assert_eq!(
        messages(&report, "webhook", "webhook-secret-missing"),
        ["webhook_secret: environment variable GL_MSG_WEBHOOK_SECRET is not set"]
    );
    assert!(!r.all_output().contains("(empty)"), "{}", r.all_output());
}

#[test]
fn a_manifest_url_without_a_scheme_names_the_line_and_suggests_https() {
    let dir = tempdir();
    let manifest = write_manifest(
        dir.path(),
        "version = 1\n\n[env.sandbox]\ntier = \"sandbox\"\nwebhook_url = \"hooks.example.com/octopus\"\n",
    );
    let r = run(golive().args(["validate", "-m", p(&manifest)]));
    assert_usage(
        &r,
        &[
            "checks.toml:5:15",
            "webhook_url",
            "has no scheme",
            "https://hooks.example.com/octopus",
        ],
    );
    assert!(!r.stderr.contains("relative URL"), "{}", r.stderr);
}

#[test]
fn webhook_send_urls_without_a_scheme_suggest_https() {
    for (url, fixed) in [
        ("127.0.0.1:9000/x", "https://127.0.0.1:9000/x"),
        ("localhost:9000/x", "https://localhost:9000/x"),
    ] {
        let r = run(golive()
            .args(["webhook", "send", "--url", url, "--secret-env", "GL_MSG_WH"])
            .env("GL_MSG_WH", "whsec-messages-test-0001"));
        assert_usage(&r, &["--url", "has no scheme", fixed]);
        for raw in ["relative URL without a base", "unsupported scheme"] {
            assert!(!r.stderr.contains(raw), "{url}: {}", r.stderr);
        }
    }
}

#[test]
fn urls_that_do_not_parse_are_explained_not_quoted_from_the_parser() {
    let r = run(golive()
        .args([
            "webhook",
            "send",
            "--url",
            "not a url",
            "--secret-env",
            "GL_MSG_WH",
        ])
        .env("GL_MSG_WH", "whsec-messages-test-0001"));
    assert_usage(&r, &["--url not a url", "not an absolute URL", "https://"]);
    let r = run_args(&["proxy", "--upstream", "http://127.0.0.1:99999/"]);
    assert_usage(&r, &["--upstream", "its port is not a number"]);
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        "version = 1\n[env.x]\ntier = \"sandbox\"\nbase_url = \"not a url\"\n[[check]]\nid = \"c\"\nkind = \"credentials\"\n",
    );
    let r = run_args(&["validate", "-m", m.to_str().unwrap()]);
    assert_usage(
        &r,
        &[
            ":4:12:",
            "`base_url` is not a valid URL: it is not an absolute URL",
        ],
    );
    assert!(
        !r.stderr.contains("relative URL without a base"),
        "{}",
        r.stderr
    );
}

#[test]
fn webhook_send_names_an_unset_secret_variable() {
    let r = run(golive()
        .args([
            "webhook",
            "send",
            "--url",
            "http://127.0.0.1:9/x",
            "--secret-env",
            "GL_MSG_UNSET",
        ])
        .env_remove("GL_MSG_UNSET"));
    assert_usage(
        &r,
        &["--secret-env: environment variable GL_MSG_UNSET is not set"],
    );
}

#[test]
fn check_without_a_manifest_points_at_init() {
    let dir = tempdir();
    let r = run(golive().arg("check").current_dir(dir.path()));
    assert_usage(
        &r,
        &[
            "checks.toml: cannot read the manifest: no such file",
            "`golive init`",
        ],
    );
    let r = run(golive()
        .args(["check", "-m", "ops/golive.toml"])
        .current_dir(dir.path()));
    assert_usage(&r, &["`golive init --path ops/golive.toml`"]);
}

#[test]
fn near_misses_of_flag_values_get_did_you_mean() {
    let dir = tempdir();
    let manifest = write_manifest(
        dir.path(),
        &sim_manifest(
            None,
            "[[check]]\nid = \"credentials\"\nkind = \"credentials\"\ntags = [\"auth\"]\n\n\
             [[check]]\nid = \"wallet-usd\"\nkind = \"wallet\"\ncurrency = \"USD\"\n",
        ),
    );
    let m = p(&manifest);
    let cases: [(&[&str], &str); 5] = [
        (&["-e", "dmeo"], "did you mean `demo`?"),
        (&["--only", "credentails"], "did you mean `credentials`?"),
        (&["--skip", "walet-usd"], "did you mean `wallet-usd`?"),
        (&["--only", "auht"], "did you mean `auth`?"),
        (&["--scenario", "low-balanc"], "did you mean `low-balance`?"),
    ];
    for (flag, hint) in cases {
        let r = run(golive().args(["check", "-m", m]).args(flag));
        assert_usage(&r, &[flag[0], hint]);
    }
    // A value that is nowhere near gets the list, not a guess.
    let r = run(golive().args(["check", "-m", m, "--only", "zzzzzz"]));
    assert_usage(&r, &["ids and tags: auth, credentials, wallet-usd"]);
    assert!(!r.stderr.contains("did you mean"), "{}", r.stderr);
    let r = run_args(&["sim", "--scenario", "rate-limitted"]);
    assert_usage(&r, &["did you mean `rate-limited`?"]);
}
