//! Production safety (SPEC section 5), observed from the simulator's side: one
//! login, no logout, no refresh, no order, at most five calls.

use crate::support::*;
use golive::sim::Scenario;
use golive::tier::Tier;

/// A production env at `base_url` with credentials from `$key_var`/`$secret_var`,
/// then `checks`.
fn production_manifest(base_url: &str, key_var: &str, secret_var: &str, checks: &str) -> String {
    format!(
        "version = 1\ndefault_env = \"production\"\n\n[env.production]\ntier = \"production\"\n\
         base_url = \"{base_url}\"\napi_key = {{ env = \"{key_var}\" }}\napi_secret = {{ env = \"{secret_var}\" }}\n\n{checks}"
    )
}

const THREE_CHECKS: &str = "[[check]]\nid = \"credentials\"\nkind = \"credentials\"\n\n\
     [[check]]\nid = \"wallet-usd\"\nkind = \"wallet\"\ncurrency = \"USD\"\nmin_balance = 1000.0\n\n\
     [[check]]\nid = \"wallet-eur\"\nkind = \"wallet\"\ncurrency = \"EUR\"\nmin_balance = 500.0\n";

fn assert_safe(stats: &golive::sim::SimStats) {
    let count = |route: &str| stats.by_route.get(route).copied().unwrap_or(0);
    assert_eq!(count("POST /auth/login"), 1, "exactly one login: {stats:?}");
    assert_eq!(count("POST /auth/logout"), 0, "never logout: {stats:?}");
    assert_eq!(count("POST /auth/refresh"), 0, "never refresh: {stats:?}");
    assert_eq!(count("POST /api/v1/orders"), 0, "never an order: {stats:?}");
    assert!(stats.total <= 5, "at most five API calls: {stats:?}");
}

#[test]
fn production_run_logs_in_once_and_stays_within_five_calls() {
    let sim = SimServer::start(Tier::Production, Scenario::Healthy);
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &production_manifest(
            &sim.base_url(),
            "GL_KEY_PROD",
            "GL_SECRET_PROD",
            THREE_CHECKS,
        ),
    );
    let out = run(golive()
        .args(["check", "-m", p(&m), "--format", "json"])
        .env("GL_KEY_PROD", sim.api_key())
        .env("GL_SECRET_PROD", sim.api_secret()));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let report = out.json();
    assert_eq!(report["environment"]["tier"], "production");
    for id in ["credentials", "wallet-usd", "wallet-eur"] {
        assert_ne!(status_of(&report, id), "fail", "{report:#}");
        assert_ne!(status_of(&report, id), "error", "{report:#}");
    }
    assert!(codes_of(&report, "credentials").contains(&"login-ok".to_string()));
    // The loopback host is not the canonical production host: expected warning.
    assert!(codes_of(&report, "credentials").contains(&"non-canonical-host".to_string()));
    assert!(!out.all_output().contains(&sim.api_secret()));
    assert_safe(&sim.stats());
}

#[test]
fn production_run_with_many_wallet_checks_stays_within_five_calls() {
    // Wallets are fetched once and shared, however many wallet checks there are.
    let sim = SimServer::start(Tier::Production, Scenario::Healthy);
    let mut checks = String::from("[[check]]\nid = \"credentials\"\nkind = \"credentials\"\n\n");
    for (i, cur) in ["USD", "EUR", "GBP", "JPY", "USD", "EUR", "USD"]
        .iter()
        .enumerate()
    {
        checks.push_str(&format!(
            "[[check]]\nid = \"wallet-{i}\"\nkind = \"wallet\"\ncurrency = \"{cur}\"\n\n"
        ));
    }
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &production_manifest(&sim.base_url(), "GL_KEY_PROD2", "GL_SECRET_PROD2", &checks),
    );
    let out = run(golive()
        .args(["check", "-m", p(&m), "--format", "json"])
        .env("GL_KEY_PROD2", sim.api_key())
        .env("GL_SECRET_PROD2", sim.api_secret()));
    // GBP and JPY wallets do not exist on the simulated account.
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let report = out.json();
    assert!(codes_of(&report, "wallet-2").contains(&"wallet-missing".to_string()));
    assert_eq!(status_of(&report, "wallet-0"), "pass");
    assert_safe(&sim.stats());
}

#[test]
fn production_rate_limit_is_honoured_within_the_budget() {
    // The first call of each class answers 429 + Retry-After: 1; golive waits and
    // retries, and the retries count toward the five calls.
    let sim = SimServer::start(Tier::Production, Scenario::RateLimited);
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &production_manifest(
            &sim.base_url(),
            "GL_KEY_PROD3",
            "GL_SECRET_PROD3",
            "[[check]]\nid = \"credentials\"\nkind = \"credentials\"\n",
        ),
    );
    let out = run(golive()
        .args(["check", "-m", p(&m), "--format", "json"])
        .env("GL_KEY_PROD3", sim.api_key())
        .env("GL_SECRET_PROD3", sim.api_secret()));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let stats = sim.stats();
    assert_eq!(
        stats.by_route.get("POST /auth/login"),
        Some(&2),
        "one 429, then one retry after Retry-After: {stats:?}"
    );
    assert!(stats.total <= 5, "{stats:?}");
}

#[test]
fn production_wrong_credentials_log_in_once_only() {
    // A rejected login is not retried, neither by the credentials check nor by the
    // wallet checks sharing it.
    let sim = SimServer::start(Tier::Production, Scenario::WrongTier);
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &production_manifest(
            &sim.base_url(),
            "GL_KEY_PROD4",
            "GL_SECRET_PROD4",
            THREE_CHECKS,
        ),
    );
    let out = run(golive()
        .args(["check", "-m", p(&m), "--format", "json"])
        .env("GL_KEY_PROD4", sim.api_key())
        .env("GL_SECRET_PROD4", sim.api_secret()));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(codes_of(&out.json(), "credentials").contains(&"login-rejected".to_string()));
    let stats = sim.stats();
    assert_eq!(
        stats.by_route.get("POST /auth/login"),
        Some(&1),
        "{stats:?}"
    );
    assert_eq!(stats.total, 1, "{stats:?}");
}

#[test]
fn production_env_reading_a_sandbox_variable_warns() {
    let sim = SimServer::start(Tier::Production, Scenario::Healthy);
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &production_manifest(
            &sim.base_url(),
            "GL_KEY_SANDBOX",
            "GL_SECRET_PROD5",
            "[[check]]\nid = \"credentials\"\nkind = \"credentials\"\n",
        ),
    );
    let out = run(golive()
        .args(["check", "-m", p(&m), "--format", "json"])
        .env("GL_KEY_SANDBOX", sim.api_key())
        .env("GL_SECRET_PROD5", sim.api_secret()));
    assert_eq!(out.code, 0, "a warning does not block: {}", out.stderr);
    let report = out.json();
    assert!(codes_of(&report, "credentials").contains(&"env-var-tier-mismatch".to_string()));
    assert_eq!(status_of(&report, "credentials"), "warn");
}

#[test]
fn same_credentials_on_both_tiers_are_shared() {
    let sim = SimServer::start(Tier::Production, Scenario::Healthy);
    let dir = tempdir();
    let text = format!(
        "version = 1\ndefault_env = \"production\"\n\n[env.production]\ntier = \"production\"\n\
         base_url = \"{}\"\napi_key = {{ env = \"GL_SHARED_KEY\" }}\napi_secret = {{ env = \"GL_SECRET_PROD6\" }}\n\n\
         [env.sandbox]\ntier = \"sandbox\"\napi_key = {{ env = \"GL_OTHER_KEY\" }}\napi_secret = {{ env = \"GL_OTHER_SECRET\" }}\n\n\
         [[check]]\nid = \"credentials\"\nkind = \"credentials\"\n",
        sim.base_url()
    );
    let m = write_manifest(dir.path(), &text);
    let out = run(golive()
        .args(["check", "-m", p(&m), "--format", "json"])
        .env("GL_SHARED_KEY", sim.api_key())
        .env("GL_SECRET_PROD6", sim.api_secret())
        // A different variable holding the same value: compared by digest.
        .env("GL_OTHER_KEY", sim.api_key())
        .env("GL_OTHER_SECRET", "s_a_different_sandbox_secret"));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = out.json();
    assert!(
        codes_of(&report, "credentials").contains(&"credentials-shared".to_string()),
        "{report:#}"
    );
    assert!(!out.all_output().contains(&sim.api_key()));
    assert!(!out.all_output().contains("s_a_different_sandbox_secret"));
}

/// The proxy trap: a loopback server that refuses every tunnel, and that no test
/// here may reach.
fn trap() -> RawServer {
    RawServer::respond("403 Forbidden", "text/plain", b"no tunnels here").expect_no_connection()
}

#[test]
fn plain_http_to_a_remote_host_sends_nothing() {
    let trap = trap();
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &api_manifest(
            "http://api.example.invalid",
            "GL_KEY_HTTP",
            "GL_SECRET_HTTP",
            THREE_CHECKS,
        ),
    );
    let mut cmd = golive();
    cmd.args(["check", "-m", p(&m), "--format", "json"])
        .env("GL_KEY_HTTP", "k_plain_http_1")
        .env("GL_SECRET_HTTP", "s_plain_http_1");
    trap_proxy(&mut cmd, &trap);
    let out = run(&mut cmd);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let report = out.json();
    assert_eq!(status_of(&report, "credentials"), "fail");
    assert!(codes_of(&report, "credentials").contains(&"insecure-scheme".to_string()));
    assert!(
        check(&report, "credentials")["evidence"]["login"]["attempted"] == false,
        "{report:#}"
    );
    for id in ["wallet-usd", "wallet-eur"] {
        assert_ne!(status_of(&report, id), "pass", "{report:#}");
    }
    assert!(!out.all_output().contains("s_plain_http_1"));
    assert_eq!(
        trap.connections(),
        0,
        "a request left for a non-loopback host"
    );
}

#[test]
fn production_env_on_the_sandbox_host_does_not_log_in() {
    let trap = trap();
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &production_manifest(
            "https://sandbox-api.octopuscards.io",
            "GL_KEY_PROD7",
            "GL_SECRET_PROD7",
            "[[check]]\nid = \"credentials\"\nkind = \"credentials\"\n",
        ),
    );
    let mut cmd = golive();
    cmd.args(["check", "-m", p(&m), "--format", "json"])
        .env("GL_KEY_PROD7", "k_prod_on_sandbox_1")
        .env("GL_SECRET_PROD7", "s_prod_on_sandbox_1");
    trap_proxy(&mut cmd, &trap);
    let out = run(&mut cmd);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let report = out.json();
    assert!(codes_of(&report, "credentials").contains(&"host-tier-mismatch".to_string()));
    assert!(
        check(&report, "credentials")["evidence"]["login"]["attempted"] == false,
        "{report:#}"
    );
    assert_eq!(trap.connections(), 0);
}

/// The credentials check holds the login back on `host-tier-mismatch`, but a wallet
/// check in the same run logs in anyway: production credentials go to the sandbox
/// host (here, to the loopback proxy trap standing in for it).
#[test]
fn production_env_on_the_sandbox_host_sends_nothing_at_all() {
    let trap = trap();
    let dir = tempdir();
    let m = write_manifest(
        dir.path(),
        &production_manifest(
            "https://sandbox-api.octopuscards.io",
            "GL_KEY_PROD8",
            "GL_SECRET_PROD8",
            THREE_CHECKS,
        ),
    );
    let mut cmd = golive();
    cmd.args(["check", "-m", p(&m), "--format", "json"])
        .env("GL_KEY_PROD8", "k_prod_on_sandbox_2")
        .env("GL_SECRET_PROD8", "s_prod_on_sandbox_2");
    trap_proxy(&mut cmd, &trap);
    let out = run(&mut cmd);
    assert!(codes_of(&out.json(), "credentials").contains(&"host-tier-mismatch".to_string()));
    assert_eq!(
        trap.connections(),
        0,
        "golive tried to reach the sandbox host with production credentials:\n{}",
        out.stdout
    );
}

/// Spellings of the production host that every tier guard must see through
/// (SPEC 8.4): case, a trailing dot, both.
const PRODUCTION_SPELLINGS: [&str; 4] = [
    "https://API.OCTOPUSCARDS.IO",
    "https://api.octopuscards.io./",
    "https://Api.OctopusCards.Io./",
    "https://API.octopuscards.io./",
];

/// A sandbox env pointed at the production host, however spelled, is a
/// `host-tier-mismatch` and sends nothing: no login from the credentials check,
/// none from the wallet checks, no request at all (the proxy trap stands in for
/// the network: a request for a public host would have to go through it).
#[test]
fn sandbox_env_on_any_spelling_of_the_production_host_sends_nothing() {
    for (i, base_url) in PRODUCTION_SPELLINGS.iter().enumerate() {
        let trap = trap();
        let dir = tempdir();
        let (key_var, secret_var) = (format!("GL_KEY_SPELL{i}"), format!("GL_SECRET_SPELL{i}"));
        let m = write_manifest(
            dir.path(),
            &api_manifest(base_url, &key_var, &secret_var, THREE_CHECKS),
        );
        let mut cmd = golive();
        cmd.args(["check", "-m", p(&m), "--format", "json"])
            .env(&key_var, "k_sandbox_on_prod_1")
            .env(&secret_var, "s_sandbox_on_prod_1");
        trap_proxy(&mut cmd, &trap);
        let out = run(&mut cmd);
        assert_eq!(out.code, 1, "{base_url}: {}\n{}", out.stdout, out.stderr);
        let report = out.json();
        assert_eq!(status_of(&report, "credentials"), "fail", "{report:#}");
        let codes = codes_of(&report, "credentials");
        assert!(
            codes.contains(&"host-tier-mismatch".to_string()),
            "{base_url}: {codes:?}"
        );
        assert!(
            !codes.contains(&"non-canonical-host".to_string()),
            "{base_url} is the production host, not some other host: {codes:?}"
        );
        assert!(
            check(&report, "credentials")["evidence"]["login"]["attempted"] == false,
            "{report:#}"
        );
        for id in ["wallet-usd", "wallet-eur"] {
            assert_ne!(status_of(&report, id), "pass", "{report:#}");
            assert!(
                check(&report, id)["request_ids"]
                    .as_array()
                    .is_none_or(|a| a.is_empty()),
                "{id} made a call: {report:#}"
            );
        }
        assert!(!out.all_output().contains("s_sandbox_on_prod_1"));
        assert_eq!(
            trap.connections(),
            0,
            "{base_url}: a request left for the production host"
        );
    }
}

/// `golive proxy` refuses every spelling of the production host before it
/// connects anywhere.
#[test]
fn proxy_refuses_any_spelling_of_the_production_host_before_connecting() {
    for upstream in PRODUCTION_SPELLINGS {
        let trap = trap();
        let mut cmd = golive();
        cmd.args(["proxy", "--upstream", upstream, "--listen", "127.0.0.1:0"]);
        trap_proxy(&mut cmd, &trap);
        let out = run(&mut cmd);
        assert_eq!(out.code, 2, "{upstream}: {}\n{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains("is the production Octopus API"),
            "{upstream}: {}",
            out.stderr
        );
        assert_eq!(trap.connections(), 0, "{upstream}: the proxy connected");
    }
}

/// `golive proxy --upstream` with a password in the URL exits 2 at once, without
/// printing it and without listening or forwarding anything.
#[test]
fn proxy_upstream_with_a_password_is_refused_without_echoing_it() {
    let upstream = RawServer::respond("200 OK", "application/json", b"{}").expect_no_connection();
    let url = upstream
        .base_url()
        .replace("http://", "http://user:Hunter2ProxyPass@");
    let out = run(golive()
        .args(["proxy", "--listen", "127.0.0.1:0", "--upstream", &url])
        .timeout(std::time::Duration::from_secs(20)));
    assert_eq!(out.code, 2, "{}", out.all_output());
    assert!(
        !out.all_output().contains("Hunter2ProxyPass"),
        "{}",
        out.all_output()
    );
    assert!(out.stderr.contains("--upstream"), "{}", out.stderr);
    assert_eq!(upstream.connections(), 0);
}

/// `golive sim --webhook-url` likewise.
#[test]
fn sim_webhook_url_with_a_password_is_refused_without_echoing_it() {
    let out = run(golive()
        .args([
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--webhook-url",
            "http://user:Hunter2SimPass@127.0.0.1:9/hooks",
        ])
        .timeout(std::time::Duration::from_secs(20)));
    assert_eq!(out.code, 2, "{}", out.all_output());
    assert!(
        !out.all_output().contains("Hunter2SimPass"),
        "{}",
        out.all_output()
    );
}
