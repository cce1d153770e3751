//! Validation of the `[[check]]` entries: common keys, then the kind's own keys.
//!
//! Kept apart from the env and client validation because each check kind brings its
//! own key set, and an unknown key must be judged against the right one (a `currency`
//! in a webhook check is a mistake, in a wallet check it is required). A kind this
//! build cannot run is refused after its keys are validated, so users see every
//! problem at once and nothing in the manifest is ever skipped silently.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use super::diagnostic::SourceMap;
use super::model::{
    ALL_KINDS, AttestationSpec, CLIENT_RETRY_TIMEOUT, CheckKind, CheckSpec, ClientRetrySpec,
    DEFAULT_CHECK_TIMEOUT, IMPLEMENTED_KINDS, Severity, WalletSpec, WebhookSpec,
};
use super::raw::{self, Diags, Field, Table, is_kebab, show, suggest};
use super::validate::known_list;

/// Keys every check accepts.
pub(crate) const COMMON_KEYS: &[&str] = &[
    "id",
    "kind",
    "severity",
    "envs",
    "tags",
    "timeout",
    "retries",
    "retry_delay",
];
/// Most re-runs of a failed check (`retries`).
pub const MAX_RETRIES: u8 = 3;
/// Pause before a re-run unless `retry_delay` says otherwise.
pub const DEFAULT_RETRY_DELAY: Duration = Duration::from_secs(2);

/// Each kind's own keys, in documentation order.
pub(crate) const KIND_KEYS: &[(&str, &[&str])] = &[
    ("credentials", &[]),
    (
        "wallet",
        &[
            "currency",
            "min_balance",
            "warn_balance",
            "daily_spend",
            "type",
            "settlement_days",
        ],
    ),
    (
        "webhook",
        &["ack_within", "replay_window", "event_type", "cert_min_days"],
    ),
    ("egress", &[]),
    ("request_id", &[]),
    ("retry_policy", &[]),
    (
        "attestation",
        &["title", "evidence", "signed_off_by", "date", "max_age"],
    ),
    (
        "client_retry",
        &[
            "command",
            "base_url_env",
            "api_key_env",
            "api_secret_env",
            "plan",
        ],
    ),
];

/// The keys of one kind (empty for an unknown kind).
fn kind_keys(kind: &str) -> &'static [&'static str] {
    KIND_KEYS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, keys)| *keys)
        .unwrap_or(&[])
}

/// The kinds whose own keys include `key`.
fn kinds_with_key(key: &str) -> Vec<&'static str> {
    KIND_KEYS
        .iter()
        .filter(|(_, keys)| keys.contains(&key))
        .map(|(k, _)| *k)
        .collect()
}

/// Validates the `check` array. Returns the checks (or `None` if any is wrong) and
/// every id seen with its line, so waivers can be checked even when a check is broken.
pub(crate) fn checks(
    f: &Field<'_, '_>,
    env_names: &[String],
    map: &SourceMap<'_>,
    base_dir: &Path,
    d: &mut Diags,
) -> (Option<Vec<CheckSpec>>, Vec<(String, usize)>) {
    let mut ids: Vec<(String, usize)> = Vec::new();
    let Some(items) = raw::array(f.value, "`check` (write each one as a [[check]] table)", d)
    else {
        return (None, ids);
    };
    let mut first_line: HashMap<String, usize> = HashMap::new();
    let mut specs = Vec::new();
    let mut all_ok = true;
    for item in items {
        let Some(t) = raw::table(item, "a [[check]] entry", d) else {
            all_ok = false;
            continue;
        };
        match check(&t, env_names, map, base_dir, &mut first_line, &mut ids, d) {
            Some(spec) => specs.push(spec),
            None => all_ok = false,
        }
    }
    (all_ok.then_some(specs), ids)
}

/// One `[[check]]` table.
fn check(
    t: &Table<'_, '_>,
    env_names: &[String],
    map: &SourceMap<'_>,
    base_dir: &Path,
    first_line: &mut HashMap<String, usize>,
    ids: &mut Vec<(String, usize)>,
    d: &mut Diags,
) -> Option<CheckSpec> {
    let mut ok = true;
    let header_line = map.line_of(t.span.start);
    let id_line = t
        .get("id")
        .map(|f| map.line_of(f.key_span.start))
        .unwrap_or(header_line);

    let id = t.required("id", "in [[check]]", &mut ok, d, |f, d| {
        let id = raw::string_max(f.value, &f.what(), raw::MAX_NAME, d)?;
        let mut good = true;
        if !is_kebab(id) {
            d.error(
                f.value.span(),
                format!(
                    "check id `{}` is not kebab-case (lower-case letters and digits joined by single dashes, e.g. \"wallet-usd\")",
                    show(id)
                ),
            );
            good = false;
        }
        if let Some(first) = first_line.get(id) {
            d.error(
                f.value.span(),
                format!(
                    "duplicate check id `{}`; it is first defined on line {first}",
                    show(id)
                ),
            );
            good = false;
        } else {
            first_line.insert(id.to_string(), id_line);
        }
        ids.push((id.to_string(), id_line));
        good.then(|| id.to_string())
    });
    let context_id = id.as_deref().map(|i| format!(" `{i}`")).unwrap_or_default();

    // The kind decides which other keys are valid, so read it first.
    let kind_field = t.get("kind");
    let kind_name: Option<&'static str> = t.required(
        "kind",
        &format!("in check{context_id}"),
        &mut ok,
        d,
        |f, d| {
            let s = raw::string(f.value, &f.what(), d)?;
            let known = ALL_KINDS.iter().copied().find(|k| *k == s);
            if known.is_none() {
                let near = suggest(s, ALL_KINDS.iter().copied())
                    .map(|n| format!(" (did you mean `{n}`?)"))
                    .unwrap_or_default();
                d.error(
                    f.value.span(),
                    format!(
                        "unknown check kind `{}`{near}; known kinds: {}",
                        show(s),
                        ALL_KINDS.join(", ")
                    ),
                );
            }
            known
        },
    );

    match kind_name {
        Some(kind) => {
            let mut valid: Vec<&str> = COMMON_KEYS.to_vec();
            valid.extend_from_slice(kind_keys(kind));
            let context = format!("in a `{kind}` check");
            t.check_keys(
                &valid,
                &context,
                |key| {
                    let owners = kinds_with_key(key);
                    (!owners.is_empty()).then(|| {
                        format!(
                            "`{key}` belongs to checks of kind {}",
                            owners
                                .iter()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })
                },
                d,
            );
        }
        None => {
            // Without a usable kind only keys that no kind accepts are certainly wrong.
            let mut valid: Vec<&str> = COMMON_KEYS.to_vec();
            for (_, keys) in KIND_KEYS {
                valid.extend_from_slice(keys);
            }
            t.check_keys(&valid, "in [[check]]", |_| None, d);
        }
    }

    let severity = t
        .optional("severity", &mut ok, d, |f, d| {
            let s = raw::string(f.value, &f.what(), d)?;
            let sev = match s {
                "error" => Some(Severity::Error),
                "warn" => Some(Severity::Warn),
                "info" => Some(Severity::Info),
                _ => None,
            };
            if sev.is_none() {
                let near = suggest(s, ["error", "warn", "info"].into_iter())
                    .map(|n| format!("; did you mean `{n}`?"))
                    .unwrap_or_default();
                d.error(
                    f.value.span(),
                    format!(
                        "invalid severity `{}`: expected \"error\", \"warn\" or \"info\"{near}",
                        show(s)
                    ),
                );
            }
            sev
        })
        .unwrap_or(Severity::Error);

    let envs = t.optional("envs", &mut ok, d, |f, d| {
        let items = raw::array(f.value, &f.what(), d)?;
        if items.is_empty() {
            d.error(
                f.value.span(),
                "`envs` is empty, so the check would never run; list at least one env, or remove `envs` to run it in every env",
            );
            return None;
        }
        let names: Vec<Option<String>> = items
            .iter()
            .map(|item| {
                let name = raw::string(item, "an element of `envs`", d)?;
                if env_names.iter().any(|e| e == name) {
                    return Some(name.to_string());
                }
                d.error(
                    item.span(),
                    format!(
                        "unknown env `{}`{}",
                        show(name),
                        known_list(name, env_names, "defined envs")
                    ),
                );
                None
            })
            .collect();
        names.into_iter().collect::<Option<Vec<_>>>()
    });

    let tags = t
        .optional("tags", &mut ok, d, |f, d| {
            let items = raw::array(f.value, &f.what(), d)?;
            let tags: Vec<Option<String>> = items
                .iter()
                .map(|item| {
                    let tag =
                        raw::string_max(item, "an element of `tags`", raw::MAX_NAME, d)?;
                    if is_kebab(tag) {
                        return Some(tag.to_string());
                    }
                    d.error(
                        item.span(),
                        format!(
                            "tag `{}` is not kebab-case (lower-case letters and digits joined by single dashes)",
                            show(tag)
                        ),
                    );
                    None
                })
                .collect();
            tags.into_iter().collect::<Option<Vec<_>>>()
        })
        .unwrap_or_default();

    let timeout = t.optional("timeout", &mut ok, d, |f, d| {
        let dur = raw::duration(f.value, &f.what(), d)?;
        if dur.is_zero() {
            d.error(f.value.span(), "`timeout` must be greater than 0");
            return None;
        }
        Some(dur)
    });

    let retries = t.optional("retries", &mut ok, d, |f, d| {
        let n = raw::integer(f.value, &f.what(), d)?;
        match u8::try_from(n) {
            Ok(n) if n <= MAX_RETRIES => Some(n),
            _ => {
                d.error(
                    f.value.span(),
                    format!("`retries` must be between 0 and {MAX_RETRIES}, not {n}"),
                );
                None
            }
        }
    });
    let retry_delay = t.optional("retry_delay", &mut ok, d, |f, d| {
        let dur = raw::duration(f.value, &f.what(), d)?;
        if dur > Duration::from_secs(300) {
            d.error(f.value.span(), "`retry_delay` must be at most 5m");
            return None;
        }
        Some(dur)
    });

    let kind = match kind_name {
        Some(name) => {
            let kind = kind_settings(name, t, base_dir, &mut ok, d);
            if !IMPLEMENTED_KINDS.contains(&name) {
                if let Some(f) = kind_field {
                    d.error(
                        f.value.span(),
                        format!(
                            "check kind `{name}` is not available in this version of golive (available: {})",
                            IMPLEMENTED_KINDS.join(", ")
                        ),
                    );
                }
                ok = false;
            }
            kind
        }
        None => None,
    };

    if !ok {
        return None;
    }
    let kind = kind?;
    let timeout = timeout.unwrap_or(match kind {
        // Two phases of a real client backing off to a 10 s cap take minutes.
        CheckKind::ClientRetry(_) => CLIENT_RETRY_TIMEOUT,
        _ => DEFAULT_CHECK_TIMEOUT,
    });
    Some(CheckSpec {
        id: id?,
        kind,
        severity,
        envs,
        tags,
        timeout,
        retries: retries.unwrap_or(0),
        retry_delay: retry_delay.unwrap_or(DEFAULT_RETRY_DELAY),
        line: id_line,
    })
}

/// The kind's own settings, with their defaults. `base_dir` is the manifest's folder,
/// against which a `client_retry` plan file is found and validated.
fn kind_settings(
    name: &str,
    t: &Table<'_, '_>,
    base_dir: &Path,
    ok: &mut bool,
    d: &mut Diags,
) -> Option<CheckKind> {
    let context = format!("in a `{name}` check");
    let dur = |f: &Field<'_, '_>, d: &mut Diags| raw::duration(f.value, &f.what(), d);
    let text =
        |f: &Field<'_, '_>, d: &mut Diags| raw::string(f.value, &f.what(), d).map(str::to_string);
    let non_empty = |f: &Field<'_, '_>, d: &mut Diags| {
        raw::non_empty_string(f.value, &f.what(), d).map(str::to_string)
    };
    // A one-line label a person reads in every report: a tighter bound than text.
    let label = |f: &Field<'_, '_>, d: &mut Diags| {
        raw::string_max(f.value, &f.what(), raw::MAX_LABEL, d).map(str::to_string)
    };
    let amount = |f: &Field<'_, '_>, d: &mut Diags| {
        let n = raw::number(f.value, &f.what(), d)?;
        if n < 0.0 {
            d.error(f.value.span(), format!("{} must not be negative", f.what()));
            return None;
        }
        Some(n)
    };
    let kind = match name {
        "credentials" => CheckKind::Credentials,
        "egress" => CheckKind::Egress,
        "request_id" => CheckKind::RequestId,
        "retry_policy" => CheckKind::RetryPolicy,
        "wallet" => {
            let currency = t.required("currency", &context, ok, d, |f, d| {
                let c = raw::string(f.value, &f.what(), d)?;
                if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) {
                    return Some(c.to_string());
                }
                let hint = if c.len() == 3 && c.is_ascii() {
                    format!("; write \"{}\"", c.to_ascii_uppercase())
                } else {
                    String::new()
                };
                d.error(
                    f.value.span(),
                    format!(
                        "currency `{}` is not a 3-letter upper-case ISO 4217 code such as \"USD\"{hint}",
                        show(c)
                    ),
                );
                None
            });
            let min_balance = t.optional("min_balance", ok, d, amount);
            let warn_balance = t.optional("warn_balance", ok, d, amount);
            let daily_spend = t.optional("daily_spend", ok, d, amount);
            let wallet_type = t.optional("type", ok, d, |f, d| {
                let s = raw::string(f.value, &f.what(), d)?;
                // New wallet types may appear in the API; any upper-case name is
                // accepted, only the spelling is checked.
                let well_formed = s.starts_with(|c: char| c.is_ascii_uppercase())
                    && s.bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
                if well_formed {
                    return Some(s.to_string());
                }
                d.error(
                    f.value.span(),
                    format!(
                        "wallet type `{}` must be written in upper case as the API spells it, e.g. \"PREPAID\" or \"POSTPAID\"",
                        show(s)
                    ),
                );
                None
            });
            let settlement_days = t
                .optional("settlement_days", ok, d, |f, d| {
                    let n = raw::number(f.value, &f.what(), d)?;
                    if n <= 0.0 {
                        d.error(f.value.span(), "`settlement_days` must be greater than 0");
                        return None;
                    }
                    Some(n)
                })
                .unwrap_or(3.0);
            CheckKind::Wallet(WalletSpec {
                currency: currency?,
                min_balance,
                warn_balance,
                daily_spend,
                wallet_type,
                settlement_days,
            })
        }
        "webhook" => {
            let ack_within = t.optional("ack_within", ok, d, dur);
            let replay_window = t.optional("replay_window", ok, d, dur);
            let event_type = t.optional("event_type", ok, d, non_empty);
            let cert_min_days = t.optional("cert_min_days", ok, d, |f, d| {
                let n = raw::integer(f.value, &f.what(), d)?;
                let days = u32::try_from(n).ok();
                if days.is_none() {
                    d.error(
                        f.value.span(),
                        format!(
                            "`cert_min_days` must be a whole number of days, 0 or more, found {n}"
                        ),
                    );
                }
                days
            });
            CheckKind::Webhook(WebhookSpec {
                ack_within: ack_within.unwrap_or(Duration::from_secs(5)),
                replay_window: replay_window.unwrap_or(Duration::from_secs(300)),
                event_type: event_type.unwrap_or_else(|| "order.delivered".to_string()),
                cert_min_days: cert_min_days.unwrap_or(14),
            })
        }
        "attestation" => CheckKind::Attestation(AttestationSpec {
            title: t.optional("title", ok, d, label),
            evidence: t.optional("evidence", ok, d, text),
            signed_off_by: t.optional("signed_off_by", ok, d, label),
            date: t.optional("date", ok, d, |f, d| raw::date(f.value, &f.what(), d)),
            max_age: t.optional("max_age", ok, d, dur),
        }),
        "client_retry" => {
            let command = t.required("command", &context, ok, d, |f, d| {
                let items = raw::array(f.value, &f.what(), d)?;
                if items.is_empty() {
                    d.error(
                        f.value.span(),
                        "`command` is empty; give the program and its arguments, e.g. [\"npm\", \"run\", \"smoke\"]",
                    );
                    return None;
                }
                let args: Vec<Option<String>> = items
                    .iter()
                    .map(|item| raw::string(item, "an element of `command`", d).map(str::to_string))
                    .collect();
                let args: Vec<String> = args.into_iter().collect::<Option<_>>()?;
                if let (Some(program), Some(first)) = (args.first(), items.first())
                    && program.trim().is_empty()
                {
                    d.error(first.span(), "the program name in `command` must not be empty");
                    return None;
                }
                Some(args)
            });
            let var_name = |f: &Field<'_, '_>, d: &mut Diags| {
                let name = raw::non_empty_string(f.value, &f.what(), d)?;
                if name.contains(['=', '\0']) {
                    d.error(
                        f.value.span(),
                        format!(
                            "{} is not a valid environment variable name (it contains `=` or NUL)",
                            f.what()
                        ),
                    );
                    return None;
                }
                Some(name.to_string())
            };
            let base_url_env = t.optional("base_url_env", ok, d, var_name);
            let api_key_env = t.optional("api_key_env", ok, d, var_name);
            let api_secret_env = t.optional("api_secret_env", ok, d, var_name);
            let plan = t.optional("plan", ok, d, |f, d| {
                let plan = raw::non_empty_string(f.value, &f.what(), d)?;
                match crate::faultplan::load_plan_in(plan, base_dir) {
                    Ok(_) => Some(plan.to_string()),
                    Err(e) => {
                        d.error(f.value.span(), format!("invalid `plan`: {e}"));
                        None
                    }
                }
            });
            CheckKind::ClientRetry(ClientRetrySpec {
                command: command?,
                base_url_env: base_url_env.unwrap_or_else(|| "OCTOPUS_BASE_URL".to_string()),
                api_key_env: api_key_env.unwrap_or_else(|| "OCTOPUS_API_KEY".to_string()),
                api_secret_env: api_secret_env.unwrap_or_else(|| "OCTOPUS_API_SECRET".to_string()),
                plan: plan.unwrap_or_else(|| "default".to_string()),
                dir: base_dir.to_path_buf(),
            })
        }
        _ => return None,
    };
    // Any failure above has cleared `ok`, which the caller checks before using this.
    Some(kind)
}

#[cfg(test)]
mod tests {
    //! Kind settings are tested here directly, so that their defaults are pinned
    //! whether or not this build can run the kind yet.

    use std::time::Duration;

    use toml::de::DeTable;

    use super::*;

    fn settings(kind: &str, body: &str) -> Result<CheckKind, Vec<String>> {
        let (root, errors) = DeTable::parse_recoverable(body);
        assert!(errors.is_empty(), "{errors:?}");
        let t = Table::new(root.get_ref(), 0..0);
        let mut ok = true;
        let mut d = Diags::default();
        match kind_settings(kind, &t, Path::new("."), &mut ok, &mut d) {
            Some(k) if ok && d.items.is_empty() => Ok(k),
            _ => Err(d.items.into_iter().map(|(_, m)| m).collect()),
        }
    }

    #[test]
    fn webhook_defaults_and_values() {
        let Ok(CheckKind::Webhook(w)) = settings("webhook", "") else {
            panic!("webhook")
        };
        assert_eq!(
            w,
            WebhookSpec {
                ack_within: Duration::from_secs(5),
                replay_window: Duration::from_secs(300),
                event_type: "order.delivered".into(),
                cert_min_days: 14,
            }
        );
        let body = "ack_within = \"2s\"\nreplay_window = \"1m\"\nevent_type = \"order.failed\"\ncert_min_days = 0\n";
        let Ok(CheckKind::Webhook(w)) = settings("webhook", body) else {
            panic!("webhook")
        };
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
            let Ok(CheckKind::Attestation(a)) = settings("attestation", body) else {
                panic!("attestation: {body}")
            };
            assert_eq!(a.date, Some(jiff::civil::date(2026, 11, 20)));
            assert_eq!((a.title, a.evidence, a.max_age), (None, None, None));
        }
        assert!(settings("attestation", "date = 2026-11-20T00:00:00\n").is_err());
    }

    #[test]
    fn client_retry_needs_a_command_and_has_defaults() {
        let Ok(CheckKind::ClientRetry(c)) =
            settings("client_retry", "command = [\"npm\", \"run\", \"smoke\"]\n")
        else {
            panic!("client_retry")
        };
        assert_eq!(
            c,
            ClientRetrySpec {
                command: vec!["npm".into(), "run".into(), "smoke".into()],
                base_url_env: "OCTOPUS_BASE_URL".into(),
                api_key_env: "OCTOPUS_API_KEY".into(),
                api_secret_env: "OCTOPUS_API_SECRET".into(),
                plan: "default".into(),
                dir: ".".into(),
            }
        );
        assert_eq!(
            settings("client_retry", "").unwrap_err(),
            ["missing required key `command` in a `client_retry` check"]
        );
        assert_eq!(
            settings("client_retry", "command = [\"\"]\n").unwrap_err(),
            ["the program name in `command` must not be empty"]
        );
        let CheckKind::ClientRetry(named) = settings(
            "client_retry",
            "command = [\"x\"]\napi_key_env = \"SIM_KEY\"\napi_secret_env = \"SIM_SECRET\"\n",
        )
        .unwrap() else {
            panic!("not client_retry")
        };
        assert_eq!(
            (named.api_key_env.as_str(), named.api_secret_env.as_str()),
            ("SIM_KEY", "SIM_SECRET")
        );
        assert!(settings("client_retry", "command = [\"x\"]\napi_key_env = \"A=B\"\n").is_err());
    }

    #[test]
    fn kinds_without_settings_need_nothing() {
        for kind in ["credentials", "egress", "request_id", "retry_policy"] {
            let k = settings(kind, "").unwrap();
            assert_eq!(k.name(), kind);
        }
    }

    #[test]
    fn every_kind_has_a_key_list() {
        for kind in ALL_KINDS {
            assert!(KIND_KEYS.iter().any(|(k, _)| k == kind), "{kind}");
        }
        assert_eq!(KIND_KEYS.len(), ALL_KINDS.len());
    }
}
