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
use super::kind::{KindDef, KindInput};
use super::lint::Lint;
use super::model::{CheckSpec, Severity};
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

/// The kinds whose own keys include `key`.
fn kinds_with_key<S>(kinds: &[&KindDef<S>], key: &str) -> Vec<&'static str> {
    kinds
        .iter()
        .filter(|k| k.keys.contains(&key))
        .map(|k| k.name)
        .collect()
}

/// Every check id seen, with its line (broken checks included).
pub(crate) type CheckIds = Vec<(String, usize)>;

/// What a `[[check]]` is validated against: the manifest's envs and folder, today's
/// date and the kinds the caller knows.
pub(crate) struct CheckEnv<'x, S> {
    pub(crate) env_names: &'x [String],
    pub(crate) map: &'x SourceMap<'x>,
    pub(crate) base_dir: &'x Path,
    pub(crate) today: jiff::civil::Date,
    pub(crate) kinds: &'x [&'x KindDef<S>],
}

/// Validates the `check` array. Returns the checks (or `None` if any is wrong) and
/// every id seen with its line, so waivers can be checked even when a check is broken.
pub(crate) fn checks<S>(
    f: &Field<'_, '_>,
    cx: &CheckEnv<'_, S>,
    lints: &mut Vec<Lint>,
    d: &mut Diags,
) -> (Option<Vec<CheckSpec<S>>>, CheckIds) {
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
        match check(&t, cx, &mut first_line, &mut ids, lints, d) {
            Some(spec) => specs.push(spec),
            None => all_ok = false,
        }
    }
    (all_ok.then_some(specs), ids)
}

/// One `[[check]]` table.
fn check<S>(
    t: &Table<'_, '_>,
    cx: &CheckEnv<'_, S>,
    first_line: &mut HashMap<String, usize>,
    ids: &mut Vec<(String, usize)>,
    lints: &mut Vec<Lint>,
    d: &mut Diags,
) -> Option<CheckSpec<S>> {
    let (env_names, map) = (cx.env_names, cx.map);
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
    let names = || cx.kinds.iter().map(|k| k.name);
    let kind_def: Option<&KindDef<S>> = t.required(
        "kind",
        &format!("in check{context_id}"),
        &mut ok,
        d,
        |f, d| {
            let s = raw::string(f.value, &f.what(), d)?;
            let known = cx.kinds.iter().copied().find(|k| k.name == s);
            if known.is_none() {
                let near = suggest(s, names())
                    .map(|n| format!(" (did you mean `{n}`?)"))
                    .unwrap_or_default();
                d.error(
                    f.value.span(),
                    format!(
                        "unknown check kind `{}`{near}; known kinds: {}",
                        show(s),
                        names().collect::<Vec<_>>().join(", ")
                    ),
                );
            }
            known
        },
    );

    match kind_def {
        Some(def) => {
            let mut valid: Vec<&str> = COMMON_KEYS.to_vec();
            valid.extend_from_slice(def.keys);
            let context = format!("in a `{}` check", def.name);
            t.check_keys(
                &valid,
                &context,
                |key| {
                    let owners = kinds_with_key(cx.kinds, key);
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
            for def in cx.kinds {
                valid.extend_from_slice(def.keys);
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

    // The kind's own keys, read even when a common key is wrong, so that every
    // problem is reported at once.
    let settings = kind_def.and_then(|def| {
        let id = id.as_deref().unwrap_or("");
        let mut input = KindInput::new(def.name, t, id, cx.base_dir, cx.today, d, lints);
        let settings = (def.parse)(&mut input);
        ok &= input.ok();
        settings
    });

    if !ok {
        return None;
    }
    let def = kind_def?;
    Some(CheckSpec {
        id: id?,
        kind: def.name,
        settings: settings?,
        severity,
        envs,
        tags,
        timeout: timeout.unwrap_or(def.default_timeout),
        retries: retries.unwrap_or(0),
        retry_delay: retry_delay.unwrap_or(DEFAULT_RETRY_DELAY),
        line: id_line,
    })
}
