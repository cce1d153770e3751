//! The kind table and each kind's settings, read from its manifest keys: defaults
//! pinned, the problems each kind reports about its own keys, and the finding-code
//! catalogue the kinds and `crate::codes` make together.

use std::path::Path;
use std::time::Duration;

use super::attestation::AttestationSpec;
use super::client_retry::ClientRetrySpec;
use super::webhook::WebhookSpec;
use super::{KINDS, Settings};
use crate::manifest::KindDef;
use crate::manifest::kind::parse_for_test;

fn kind(name: &str) -> &'static KindDef<Settings> {
    KINDS
        .iter()
        .map(|k| &k.def)
        .find(|k| k.name == name)
        .unwrap_or_else(|| panic!("no kind `{name}`"))
}

/// The settings of a `name` check with `body` as its keys, as type `T`.
fn settings<T: Clone + 'static>(name: &str, body: &str) -> Result<T, Vec<String>> {
    let (s, _lints): (Settings, _) = parse_for_test(kind(name), body, Path::new("."))?;
    match s.as_any().downcast_ref::<T>() {
        Some(t) => Ok(t.clone()),
        None => panic!("`{name}` settings are {s:?}"),
    }
}

/// The lints a `name` check with `body` records.
fn lints(name: &str, body: &str) -> Vec<String> {
    match parse_for_test(kind(name), body, Path::new(".")) {
        Ok((_, lints)) => lints,
        Err(e) => panic!("{e:?}"),
    }
}

#[test]
fn webhook_defaults_and_values() {
    assert_eq!(
        settings::<WebhookSpec>("webhook", ""),
        Ok(WebhookSpec {
            ack_within: Duration::from_secs(5),
            replay_window: Duration::from_secs(300),
            event_type: "order.delivered".into(),
            cert_min_days: 14,
        })
    );
    let body = "ack_within = \"2s\"\nreplay_window = \"1m\"\nevent_type = \"order.failed\"\ncert_min_days = 0\n";
    let w = settings::<WebhookSpec>("webhook", body).unwrap();
    assert_eq!(
        (
            w.ack_within,
            w.replay_window,
            w.event_type.as_str(),
            w.cert_min_days
        ),
        (
            Duration::from_secs(2),
            Duration::from_secs(60),
            "order.failed",
            0
        )
    );
}

#[test]
fn attestation_dates_may_be_toml_dates_or_strings() {
    for body in ["date = 2026-11-20\n", "date = \"2026-11-20\"\n"] {
        let a = settings::<AttestationSpec>("attestation", body).unwrap();
        assert_eq!(a.date, Some(jiff::civil::date(2026, 11, 20)));
        assert_eq!((a.title, a.evidence, a.max_age), (None, None, None));
    }
    assert!(settings::<AttestationSpec>("attestation", "date = 2026-11-20T00:00:00\n").is_err());
}

#[test]
fn unfilled_attestations_are_linted_once_and_filled_ones_not() {
    for placeholder in ["", "  ", "TBD", "<link>", "todo: ticket", "changeme"] {
        let body =
            format!("evidence = {placeholder:?}\nsigned_off_by = \"ops\"\ndate = 2026-11-20\n");
        let found = lints("attestation", &body);
        assert_eq!(found.len(), 1, "{placeholder:?}: {found:?}");
        assert!(found[0].contains("evidence is missing"), "{found:?}");
    }
    assert!(
        lints(
            "attestation",
            "evidence = \"https://tracker.example.com/ONB-42\"\nsigned_off_by = \"ops\"\ndate = 2026-11-20\n"
        )
        .is_empty()
    );
    let none = lints("attestation", "");
    assert_eq!(none.len(), 1);
    assert!(
        none[0].contains("evidence, signed_off_by, date are missing"),
        "{none:?}"
    );
}

#[test]
fn client_retry_needs_a_command_and_has_defaults() {
    assert_eq!(
        settings::<ClientRetrySpec>("client_retry", "command = [\"npm\", \"run\", \"smoke\"]\n"),
        Ok(ClientRetrySpec {
            command: vec!["npm".into(), "run".into(), "smoke".into()],
            base_url_env: "OCTOPUS_BASE_URL".into(),
            api_key_env: "OCTOPUS_API_KEY".into(),
            api_secret_env: "OCTOPUS_API_SECRET".into(),
            plan: "default".into(),
            dir: ".".into(),
        })
    );
    assert_eq!(
        settings::<ClientRetrySpec>("client_retry", "").unwrap_err(),
        ["missing required key `command` in a `client_retry` check"]
    );
    assert_eq!(
        settings::<ClientRetrySpec>("client_retry", "command = [\"\"]\n").unwrap_err(),
        ["the program name in `command` must not be empty"]
    );
    let named = settings::<ClientRetrySpec>(
        "client_retry",
        "command = [\"x\"]\napi_key_env = \"SIM_KEY\"\napi_secret_env = \"SIM_SECRET\"\n",
    )
    .unwrap();
    assert_eq!(
        (named.api_key_env.as_str(), named.api_secret_env.as_str()),
        ("SIM_KEY", "SIM_SECRET")
    );
    assert!(
        settings::<ClientRetrySpec>("client_retry", "command = [\"x\"]\napi_key_env = \"A=B\"\n")
            .is_err()
    );
}

#[test]
fn kinds_without_settings_need_nothing() {
    for name in ["credentials", "egress", "request_id", "retry_policy"] {
        let def = kind(name);
        assert!(def.keys.is_empty(), "{name}");
        let (s, lints): (Settings, _) = parse_for_test(def, "", Path::new(".")).unwrap();
        assert!(lints.is_empty());
        assert!(!s.title("x").is_empty());
    }
}

#[test]
fn the_kind_table_is_consistent() {
    let mut names: Vec<&str> = KINDS.iter().map(|k| k.def.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), KINDS.len(), "kind names are unique");
    for k in KINDS.iter().map(|k| &k.def) {
        assert!(
            k.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{}",
            k.name
        );
        assert!(!k.about.is_empty(), "{}", k.name);
        assert!(!k.default_timeout.is_zero(), "{}", k.name);
        let mut keys = k.keys.to_vec();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), k.keys.len(), "{}: keys are unique", k.name);
        for key in k.keys {
            assert!(
                !crate::manifest::accepted_keys::<Settings>(&[])
                    .iter()
                    .any(|(table, common)| *table == "check" && common.contains(key)),
                "{}: `{key}` is a common key",
                k.name
            );
        }
    }
    let only_login: Vec<&str> = KINDS
        .iter()
        .map(|k| &k.def)
        .filter(|k| {
            let (s, _): (Settings, _) = parse_for_test(
                k,
                if k.name == "wallet" {
                    "currency = \"USD\""
                } else if k.name == "client_retry" {
                    "command = [\"x\"]"
                } else {
                    ""
                },
                Path::new("."),
            )
            .unwrap();
            s.reports_login()
        })
        .map(|k| k.name)
        .collect();
    assert_eq!(only_login, ["credentials"]);
}

#[test]
fn codes_are_unique_kebab_case_and_documented() {
    let all = super::all_codes();
    assert!(
        all.len() > crate::codes::ALL.len(),
        "the kinds declare codes"
    );
    let mut seen = std::collections::HashSet::new();
    for c in &all {
        assert!(seen.insert(c.code), "duplicate code {}", c.code);
        assert!(
            c.code
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
                && !c.code.starts_with('-')
                && !c.code.ends_with('-'),
            "not kebab-case: {}",
            c.code
        );
        for text in [c.title, c.why, c.fix] {
            assert!(!text.trim().is_empty(), "{} lacks text", c.code);
        }
    }
    for code in crate::codes::ALL {
        assert!(seen.contains(code.code), "{} is not listed", code.code);
    }
}

#[test]
fn a_kind_s_own_codes_name_it() {
    for k in KINDS {
        for c in k.codes {
            assert_eq!(c.check, k.def.name, "{}", c.code);
        }
    }
}

#[test]
fn every_code_is_documented_in_the_readme() {
    let readme = include_str!("../../README.md");
    for c in super::all_codes() {
        assert!(
            readme.contains(&format!("| `{}` |", c.code)),
            "README.md lacks a row for `{}`",
            c.code
        );
    }
}

#[test]
fn nearest_suggests_close_codes() {
    let all = super::all_codes();
    assert_eq!(
        crate::codes::nearest("login-rejectd", &all)[0],
        "login-rejected"
    );
    assert!(crate::codes::nearest("wallet-gone", &all).contains(&"wallet-missing"));
}
