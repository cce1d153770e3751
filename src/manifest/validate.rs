//! Manifest validation: the raw spanned tree in, a [`Manifest`] or every problem out.
//!
//! This is the one place where manifest strings become domain values (tiers, URLs,
//! CIDRs, durations, secret references). Each section is validated independently and
//! keeps going after a problem, so a user fixing a manifest sees all of its problems
//! in one run, in file order, instead of one per attempt.

use std::collections::HashMap;
use std::net::IpAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ipnet::IpNet;
use toml::de::DeTable;

use super::check;
use super::diagnostic::{Diagnostic, SourceMap};
use super::kind::KindDef;
use super::lint::{self, Lint};
use super::model::{ClientSpec, EgressIpSpec, EnvSpec, Manifest, WaiverSpec};
use super::raw::{self, Diags, Field, Table, show, suggest};
use super::redact;
use crate::scenario::Scenario;
use crate::secret::SecretRef;
use crate::tier::Tier;

/// Keys allowed at the top level.
pub(crate) const TOP_KEYS: &[&str] =
    &["version", "default_env", "env", "client", "check", "waiver"];

/// Keys allowed in an `[env.NAME]` table.
pub(crate) const ENV_KEYS: &[&str] = &[
    "tier",
    "base_url",
    "simulator",
    "scenario",
    "api_key",
    "api_secret",
    "webhook_url",
    "webhook_secret",
    "egress_allowlist",
    "egress_ip",
    "egress_echo_url",
    "ca_file",
];

/// Keys allowed in `[client]`.
pub(crate) const CLIENT_KEYS: &[&str] = &[
    "connect_timeout",
    "request_timeout",
    "max_attempts",
    "backoff_initial",
    "backoff_max",
    "retry_statuses",
    "honours_retry_after",
    "uses_client_reference",
    "logs_request_id",
    "uses_esim",
];

/// Keys allowed in a `[[waiver]]`.
pub(crate) const WAIVER_KEYS: &[&str] = &["check", "reason", "owner", "expires"];

/// The manifest format version this build reads.
const VERSION: i64 = 1;

/// Parses and validates manifest text. `path` is used for messages and `base_dir`.
/// Lints are judged against today's date (UTC).
pub(crate) fn manifest<S>(
    text: &str,
    path: &Path,
    kinds: &[&KindDef<S>],
) -> Result<Manifest<S>, Vec<Diagnostic>> {
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    manifest_on(text, path, today, kinds)
}

/// [`manifest`] with lints judged on `today`.
pub(crate) fn manifest_on<S>(
    text: &str,
    path: &Path,
    today: jiff::civil::Date,
    kinds: &[&KindDef<S>],
) -> Result<Manifest<S>, Vec<Diagnostic>> {
    let (root, syntax_errors) = DeTable::parse_recoverable(text);
    let map = SourceMap::new(path, text, redact::blank_ranges(text, root.get_ref()));

    // A document that does not parse has no reliable structure, and the parser's
    // recovery cascades (one unclosed `[` is reported on every following line). So
    // only the first syntax error is reported, and no phantom problems of a
    // half-read tree.
    let first_syntax_error = syntax_errors
        .iter()
        .map(|e| (e.span().unwrap_or(0..0), e.message()))
        .min_by_key(|(span, _)| (span.start, span.end));
    if let Some((span, message)) = first_syntax_error {
        let items = vec![(span, format!("invalid TOML: {message}"))];
        return Err(finish(&map, items));
    }

    let mut d = Diags::default();
    let root = Table::new(root.get_ref(), 0..0);
    let mut kind_lints = Vec::new();
    let built = build(&root, path, &map, today, kinds, &mut kind_lints, &mut d);
    match built {
        Some(mut m) if d.items.is_empty() => {
            // Lints only for a manifest without errors: a broken one has no reliable
            // domain values to judge.
            m.lints = lint::lint(&root, &m, today, kind_lints)
                .into_iter()
                .map(|l| {
                    let mut diag = map.diagnostic(l.span, l.message);
                    diag.level = l.level;
                    diag.code = Some(l.code);
                    diag.fix = Some(l.fix);
                    diag
                })
                .collect();
            Ok(m)
        }
        _ => {
            if d.items.is_empty() {
                // Every refusal above records a diagnostic; this only guards against a
                // silent failure should one ever be missed.
                d.error(0..0, "the manifest could not be validated");
            }
            Err(finish(&map, d.items))
        }
    }
}

/// Located problems, sorted into file order, as diagnostics.
fn finish(map: &SourceMap<'_>, mut items: Vec<(Range<usize>, String)>) -> Vec<Diagnostic> {
    items.sort_by_key(|(span, _)| span.start);
    items
        .into_iter()
        .map(|(span, message)| map.diagnostic(span, message))
        .collect()
}

/// Validates every section; `None` when anything is wrong (and then `d` says what).
fn build<S>(
    root: &Table<'_, '_>,
    path: &Path,
    map: &SourceMap<'_>,
    today: jiff::civil::Date,
    kinds: &[&KindDef<S>],
    kind_lints: &mut Vec<Lint>,
    d: &mut Diags,
) -> Option<Manifest<S>> {
    let mut ok = true;
    root.check_keys(TOP_KEYS, "at the top level", |_| None, d);

    let version = match root.get("version") {
        None => {
            d.error(
                0..0,
                "missing required key `version`; add `version = 1` at the top of the manifest",
            );
            None
        }
        Some(f) => match raw::integer(f.value, &f.what(), d) {
            Some(VERSION) => Some(1u32),
            Some(other) => {
                d.error(
                    f.value.span(),
                    format!(
                        "unsupported manifest version {other}; this version of golive reads version {VERSION}"
                    ),
                );
                None
            }
            None => None,
        },
    };
    ok &= version.is_some();

    let (envs, env_names) = envs(root, &mut ok, d);

    let default_env = root.optional("default_env", &mut ok, d, |f, d| {
        let name = raw::string(f.value, &f.what(), d)?;
        if env_names.iter().any(|e| e == name) {
            return Some(name.to_string());
        }
        d.error(
            f.value.span(),
            format!(
                "default_env `{}` is not defined{}",
                show(name),
                known_list(name, &env_names, "defined envs")
            ),
        );
        None
    });

    let client = root.optional("client", &mut ok, d, |f, d| client(f, d));

    let base_dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let (checks, check_ids) = match root.get("check") {
        Some(f) => {
            let cx = check::CheckEnv {
                env_names: &env_names,
                map,
                base_dir: &base_dir,
                today,
                kinds,
            };
            check::checks(f, &cx, kind_lints, d)
        }
        None => (Some(Vec::new()), Vec::new()),
    };
    ok &= checks.is_some();

    let waivers = match root.get("waiver") {
        Some(f) => waivers(f, &check_ids, map, d),
        None => Some(Vec::new()),
    };
    ok &= waivers.is_some();

    if !ok {
        return None;
    }
    Some(Manifest {
        path: path.to_path_buf(),
        base_dir,
        version: version?,
        default_env,
        envs,
        client,
        checks: checks?,
        waivers: waivers?,
        lints: Vec::new(),
    })
}

/// "; did you mean `x`?" when `word` is a near miss of a known name, otherwise the
/// list of known names under `label`.
pub(crate) fn known_list(word: &str, known: &[String], label: &str) -> String {
    if let Some(near) = suggest(word, known.iter().map(String::as_str)) {
        return format!("; did you mean `{near}`?");
    }
    if known.is_empty() {
        return format!("; {label}: none");
    }
    format!("; {label}: {}", known.join(", "))
}

/// The `[env.NAME]` tables in file order, and every env name (valid or not) so that
/// references to a broken env do not cascade into "unknown env" errors.
fn envs(root: &Table<'_, '_>, ok: &mut bool, d: &mut Diags) -> (Vec<EnvSpec>, Vec<String>) {
    let mut specs = Vec::new();
    let mut names = Vec::new();
    let Some(f) = root.get("env") else {
        return (specs, names);
    };
    let Some(table) = raw::table(f.value, "`env` (write one [env.NAME] table per env)", d) else {
        *ok = false;
        return (specs, names);
    };
    for field in &table.fields {
        names.push(field.key.to_string());
        match env(field, d) {
            Some(spec) => specs.push(spec),
            None => *ok = false,
        }
    }
    (specs, names)
}

/// One `[env.NAME]` table.
fn env(f: &Field<'_, '_>, d: &mut Diags) -> Option<EnvSpec> {
    let name = f.key;
    let mut ok = true;
    if name.trim().is_empty() {
        d.error(f.key_span.clone(), "env name must not be empty");
        ok = false;
    } else if !raw::within(name, raw::MAX_NAME, "env name", f.key_span.clone(), d) {
        ok = false;
    }
    let t = raw::table(f.value, &format!("env `{}`", show(name)), d)?;
    let context = format!("in env `{}`", show(name));
    t.check_keys(ENV_KEYS, &context, |_| None, d);

    let tier = t.required("tier", &context, &mut ok, d, |f, d| {
        let s = raw::string(f.value, &f.what(), d)?;
        let tier = Tier::parse(s);
        if tier.is_none() {
            let near = suggest(s, ["sandbox", "production"].into_iter())
                .map(|n| format!("; did you mean `{n}`?"))
                .unwrap_or_default();
            d.error(
                f.value.span(),
                format!(
                    "invalid tier `{}`: expected \"sandbox\" or \"production\"{near}",
                    show(s)
                ),
            );
        }
        tier
    });
    let base_url = t.optional("base_url", &mut ok, d, |f, d| {
        raw::http_url(f.value, &f.what(), d)
    });
    let simulator_field = t.get("simulator");
    let simulator = t.optional("simulator", &mut ok, d, |f, d| {
        raw::boolean(f.value, &f.what(), d)
    });
    let scenario = t.optional("scenario", &mut ok, d, |f, d| {
        let s = raw::string(f.value, &f.what(), d)?;
        let mut good = true;
        // Only complain about a missing `simulator = true` when simulator itself is
        // well formed; a type error there is reported on its own.
        let simulator_broken = simulator_field.is_some() && simulator.is_none();
        if simulator != Some(true) && !simulator_broken {
            d.error(
                f.key_span.clone(),
                "`scenario` only applies to an env with `simulator = true`",
            );
            good = false;
        }
        if Scenario::parse(s).is_none() {
            let names: Vec<String> = Scenario::ALL
                .iter()
                .map(|(_, n, _)| n.to_string())
                .collect();
            let near = suggest(s, names.iter().map(String::as_str))
                .map(|n| format!(" (did you mean `{n}`?)"))
                .unwrap_or_default();
            d.error(
                f.value.span(),
                format!(
                    "unknown scenario `{}`{near}; known scenarios: {}",
                    show(s),
                    Scenario::names()
                ),
            );
            good = false;
        }
        good.then(|| s.to_string())
    });
    let api_key = t.optional("api_key", &mut ok, d, secret_ref);
    let api_secret = t.optional("api_secret", &mut ok, d, secret_ref);
    let webhook_url = t.optional("webhook_url", &mut ok, d, |f, d| {
        raw::http_url(f.value, &f.what(), d)
    });
    let webhook_secret = t.optional("webhook_secret", &mut ok, d, secret_ref);
    let egress_allowlist = t.optional("egress_allowlist", &mut ok, d, allowlist);
    let egress_ip = t.optional("egress_ip", &mut ok, d, egress_ip);
    let egress_echo_url = t.optional("egress_echo_url", &mut ok, d, |f, d| {
        raw::http_url(f.value, &f.what(), d)
    });
    let ca_file = t.optional("ca_file", &mut ok, d, |f, d| {
        raw::non_empty_string(f.value, &f.what(), d).map(PathBuf::from)
    });
    if simulator == Some(true) {
        ok &= no_real_settings(&t, name, d);
    }

    if !ok {
        return None;
    }
    Some(EnvSpec {
        name: name.to_string(),
        tier: tier?,
        simulator: simulator.unwrap_or(false),
        scenario,
        base_url,
        api_key,
        api_secret,
        webhook_url,
        webhook_secret,
        egress_allowlist,
        egress_ip,
        egress_echo_url,
        ca_file,
    })
}

/// Keys of an env that point it at the real Octopus API or carry real credentials.
/// None of them may appear beside `simulator = true` (SPEC 8.1): a leftover
/// `simulator = true` in a real env would otherwise turn it into a simulated READY.
const REAL_ENV_KEYS: &[&str] = &[
    "base_url",
    "api_key",
    "api_secret",
    "webhook_url",
    "webhook_secret",
    "egress_allowlist",
    "egress_ip",
    "egress_echo_url",
    "ca_file",
];

/// Reports every real setting in a `simulator = true` env, at its key; `false` when
/// there was one.
fn no_real_settings(t: &Table<'_, '_>, name: &str, d: &mut Diags) -> bool {
    let mut clean = true;
    for f in t.fields.iter().filter(|f| REAL_ENV_KEYS.contains(&f.key)) {
        d.error(
            f.key_span.clone(),
            format!(
                "`{}` is a real setting, but env `{}` has `simulator = true`, which ignores it and runs against golive's simulator; remove `{}` or remove `simulator = true`",
                f.key,
                show(name),
                f.key
            ),
        );
        clean = false;
    }
    clean
}

/// `{ env = "NAME" }` or `{ file = "PATH" }`. Never quotes the value it was given:
/// a literal string here is most likely the secret itself.
fn secret_ref(f: &Field<'_, '_>, d: &mut Diags) -> Option<SecretRef> {
    const FORMS: &str = "{ env = \"NAME\" } or { file = \"PATH\" }";
    let key = f.key;
    let t = match f.value.get_ref() {
        toml::de::DeValue::String(_) => {
            d.error(
                f.value.span(),
                format!("{key} holds a literal secret; write {FORMS} (code: literal-secret)"),
            );
            return None;
        }
        toml::de::DeValue::Table(t) => Table::new(t, f.value.span()),
        _ => {
            raw::type_error(f.value, &f.what(), FORMS, d);
            return None;
        }
    };
    // Unknown keys are reported without their name: a secret pasted as a key
    // (`{ sk_live_... = 1 }`) must not be echoed either.
    for other in t.fields.iter().filter(|f| !matches!(f.key, "env" | "file")) {
        d.error(
            other.key_span.clone(),
            format!("unknown key in the `{key}` reference; valid keys: env, file"),
        );
    }
    let env = t.get("env");
    let file = t.get("file");
    match (env, file) {
        (Some(_), Some(second)) => {
            d.error(
                second.key_span.clone(),
                format!("`{key}` takes exactly one of `env` or `file`, not both"),
            );
            None
        }
        (Some(e), None) => {
            let name = raw::string(e.value, &format!("`{key}.env`"), d)?;
            if name.is_empty() {
                d.error(
                    e.value.span(),
                    format!("`{key}.env` must name an environment variable; it is empty"),
                );
                return None;
            }
            if name.contains(['=', '\0']) {
                d.error(
                    e.value.span(),
                    format!("`{key}.env` is not a valid environment variable name (it contains `=` or NUL)"),
                );
                return None;
            }
            Some(SecretRef::Env(name.to_string()))
        }
        (None, Some(p)) => {
            let path = raw::string(p.value, &format!("`{key}.file`"), d)?;
            if path.is_empty() || path.contains('\0') {
                d.error(p.value.span(), format!("`{key}.file` must be a file path"));
                return None;
            }
            Some(SecretRef::File(PathBuf::from(path)))
        }
        (None, None) => {
            // Unknown keys were reported above; an empty table gets its own message.
            if t.fields.is_empty() {
                d.error(
                    f.value.span(),
                    format!("`{key}` is an empty reference; write {FORMS}"),
                );
            }
            None
        }
    }
}

/// `egress_allowlist`: CIDRs, each bad one reported where it is.
fn allowlist(f: &Field<'_, '_>, d: &mut Diags) -> Option<Vec<IpNet>> {
    let items = raw::array(f.value, &f.what(), d)?;
    let mut nets = Vec::new();
    let mut ok = true;
    for item in items {
        let Some(s) = raw::string(item, "an element of `egress_allowlist`", d) else {
            ok = false;
            continue;
        };
        match IpNet::from_str(s.trim()) {
            Ok(net) if s.trim() == s => nets.push(net),
            _ => {
                let hint = match IpAddr::from_str(s.trim()) {
                    Ok(IpAddr::V4(_)) => {
                        format!("; for a single address write \"{}/32\"", show(s.trim()))
                    }
                    Ok(IpAddr::V6(_)) => {
                        format!("; for a single address write \"{}/128\"", show(s.trim()))
                    }
                    Err(_) => String::new(),
                };
                d.error(
                    item.span(),
                    format!(
                        "invalid CIDR `{}` in `egress_allowlist`: expected an address range such as \"203.0.113.0/28\" or \"2001:db8::/48\"{hint}",
                        show(s)
                    ),
                );
                ok = false;
            }
        }
    }
    ok.then_some(nets)
}

/// `egress_ip`: `"auto"`, one address, or an array of addresses.
fn egress_ip(f: &Field<'_, '_>, d: &mut Diags) -> Option<EgressIpSpec> {
    const EXPECTED: &str = "\"auto\", an IP address, or an array of IP addresses";
    fn addr(v: &raw::Value<'_>, d: &mut Diags) -> Option<IpAddr> {
        let s = raw::string(v, "an element of `egress_ip`", d)?;
        match IpAddr::from_str(s) {
            Ok(ip) => Some(ip),
            Err(_) => {
                let why = if s.contains('/') {
                    "egress_ip takes addresses, not CIDR ranges".to_string()
                } else {
                    format!("expected {EXPECTED}")
                };
                d.error(v.span(), format!("invalid egress_ip `{}`: {why}", show(s)));
                None
            }
        }
    }
    match f.value.get_ref() {
        toml::de::DeValue::String(s) if s == "auto" => Some(EgressIpSpec::Auto),
        toml::de::DeValue::String(_) => addr(f.value, d).map(|ip| EgressIpSpec::Addrs(vec![ip])),
        toml::de::DeValue::Array(items) => {
            if items.is_empty() {
                d.error(
                    f.value.span(),
                    "`egress_ip` lists no addresses; write \"auto\" or at least one address",
                );
                return None;
            }
            let addrs: Vec<Option<IpAddr>> = items.iter().map(|i| addr(i, d)).collect();
            addrs
                .into_iter()
                .collect::<Option<Vec<_>>>()
                .map(EgressIpSpec::Addrs)
        }
        _ => {
            raw::type_error(f.value, &f.what(), EXPECTED, d);
            None
        }
    }
}

/// The `[client]` table.
fn client(f: &Field<'_, '_>, d: &mut Diags) -> Option<ClientSpec> {
    let t = raw::table(f.value, &f.what(), d)?;
    t.check_keys(CLIENT_KEYS, "in [client]", |_| None, d);
    let mut ok = true;
    let dur = |f: &Field<'_, '_>, d: &mut Diags| raw::duration(f.value, &f.what(), d);
    let flag = |f: &Field<'_, '_>, d: &mut Diags| raw::boolean(f.value, &f.what(), d);
    let spec = ClientSpec {
        connect_timeout: t.optional("connect_timeout", &mut ok, d, dur),
        request_timeout: t.optional("request_timeout", &mut ok, d, dur),
        max_attempts: t.optional("max_attempts", &mut ok, d, |f, d| {
            let n = raw::integer(f.value, &f.what(), d)?;
            match u32::try_from(n) {
                Ok(n) if n >= 1 => Some(n),
                _ => {
                    d.error(
                        f.value.span(),
                        format!("`max_attempts` must be a positive integer (the first attempt counts), found {n}"),
                    );
                    None
                }
            }
        }),
        backoff_initial: t.optional("backoff_initial", &mut ok, d, dur),
        backoff_max: t.optional("backoff_max", &mut ok, d, dur),
        retry_statuses: t.optional("retry_statuses", &mut ok, d, |f, d| {
            let items = raw::array(f.value, &f.what(), d)?;
            let statuses: Vec<Option<u16>> = items
                .iter()
                .map(|item| {
                    let n = raw::integer(item, "an element of `retry_statuses`", d)?;
                    match u16::try_from(n) {
                        Ok(code) if (100..=599).contains(&code) => Some(code),
                        _ => {
                            d.error(
                                item.span(),
                                format!("{n} in `retry_statuses` is not an HTTP status (100-599)"),
                            );
                            None
                        }
                    }
                })
                .collect();
            statuses.into_iter().collect()
        }),
        honours_retry_after: t.optional("honours_retry_after", &mut ok, d, flag),
        uses_client_reference: t.optional("uses_client_reference", &mut ok, d, flag),
        logs_request_id: t.optional("logs_request_id", &mut ok, d, flag),
        uses_esim: t.optional("uses_esim", &mut ok, d, flag),
    };
    ok.then_some(spec)
}

/// The `[[waiver]]` entries. `check_ids` holds every check id (with its line) so a
/// waiver can be checked against them.
fn waivers(
    f: &Field<'_, '_>,
    check_ids: &[(String, usize)],
    map: &SourceMap<'_>,
    d: &mut Diags,
) -> Option<Vec<WaiverSpec>> {
    let items = raw::array(
        f.value,
        "`waiver` (write each one as a [[waiver]] table)",
        d,
    )?;
    let known: Vec<String> = check_ids.iter().map(|(id, _)| id.clone()).collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut specs = Vec::new();
    let mut all_ok = true;
    for item in items {
        let Some(t) = raw::table(item, "a [[waiver]] entry", d) else {
            all_ok = false;
            continue;
        };
        let context = "in [[waiver]]";
        t.check_keys(WAIVER_KEYS, context, |_| None, d);
        let mut ok = true;
        let check = t.required("check", context, &mut ok, d, |f, d| {
            let id = raw::string(f.value, &f.what(), d)?;
            if !known.iter().any(|k| k == id) {
                d.error(
                    f.value.span(),
                    format!(
                        "waiver names unknown check `{}`{}",
                        show(id),
                        known_list(id, &known, "check ids")
                    ),
                );
                return None;
            }
            let line = map.line_of(f.value.span().start);
            if let Some(first) = seen.get(id) {
                d.error(
                    f.value.span(),
                    format!(
                        "check `{}` already has a waiver on line {first}; keep one waiver per check",
                        show(id)
                    ),
                );
                return None;
            }
            seen.insert(id.to_string(), line);
            Some(id.to_string())
        });
        let text = |f: &Field<'_, '_>, d: &mut Diags| {
            raw::non_empty_string(f.value, &f.what(), d).map(str::to_string)
        };
        let reason = t.required("reason", context, &mut ok, d, text);
        let owner = t.required("owner", context, &mut ok, d, |f, d| {
            raw::string_max(f.value, &f.what(), raw::MAX_LABEL, d)?;
            text(f, d)
        });
        let expires = t.required("expires", context, &mut ok, d, |f, d| {
            raw::date(f.value, &f.what(), d)
        });
        match (ok, check, reason, owner, expires) {
            (true, Some(check), Some(reason), Some(owner), Some(expires)) => {
                specs.push(WaiverSpec {
                    check,
                    reason,
                    owner,
                    expires,
                })
            }
            _ => all_ok = false,
        }
    }
    all_ok.then_some(specs)
}
