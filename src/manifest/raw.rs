//! The raw manifest: TOML exactly as parsed, every key and value with its span.
//!
//! The validator never deserializes straight into domain types, because serde stops
//! at the first problem and forgets where things were. Instead it walks this spanned
//! tree (toml's own [`DeTable`]) through the small typed accessors below, each of
//! which records a located problem in [`Diags`] and returns `None`, so validation
//! carries on and every problem is reported at once.

use std::ops::Range;
use std::time::Duration;

use reqwest::Url;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::duration;

/// A parsed TOML value with its byte span in the manifest.
pub(crate) type Value<'i> = Spanned<DeValue<'i>>;

/// Located problems found so far: byte span and message.
#[derive(Debug, Default)]
pub(crate) struct Diags {
    /// The problems, in the order they were found.
    pub(crate) items: Vec<(Range<usize>, String)>,
}

impl Diags {
    /// Records a problem at `span`.
    pub(crate) fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.items.push((span, message.into()));
    }
}

/// One `key = value` pair of a table.
#[derive(Debug, Clone)]
pub(crate) struct Field<'a, 'i> {
    /// The key as written (unquoted).
    pub(crate) key: &'a str,
    /// Where the key is.
    pub(crate) key_span: Range<usize>,
    /// The value.
    pub(crate) value: &'a Value<'i>,
}

impl Field<'_, '_> {
    /// The key quoted for messages: "`tier`".
    pub(crate) fn what(&self) -> String {
        format!("`{}`", show(self.key))
    }
}

/// A table's fields in file order (toml's map is sorted by key; the spans restore
/// the order the user wrote).
#[derive(Debug, Clone)]
pub(crate) struct Table<'a, 'i> {
    /// The fields, in file order.
    pub(crate) fields: Vec<Field<'a, 'i>>,
    /// The table's span: its `[header]`, or the inline table.
    pub(crate) span: Range<usize>,
}

impl<'a, 'i> Table<'a, 'i> {
    /// Views a parsed table.
    pub(crate) fn new(table: &'a DeTable<'i>, span: Range<usize>) -> Self {
        let mut fields: Vec<Field<'a, 'i>> = table
            .iter()
            .map(|(k, v)| Field {
                key: k.get_ref().as_ref(),
                key_span: k.span(),
                value: v,
            })
            .collect();
        fields.sort_by_key(|f| f.key_span.start);
        Table { fields, span }
    }

    /// The field named `key`, if present.
    pub(crate) fn get(&self, key: &str) -> Option<&Field<'a, 'i>> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// Reports every key not in `valid`, naming `context` (e.g. "in env `demo`").
    /// `hint` may add a sentence about a specific key (e.g. which kind it belongs to).
    pub(crate) fn check_keys(
        &self,
        valid: &[&str],
        context: &str,
        hint: impl Fn(&str) -> Option<String>,
        d: &mut Diags,
    ) {
        for f in &self.fields {
            if valid.contains(&f.key) {
                continue;
            }
            d.error(
                f.key_span.clone(),
                unknown_key_message(f.key, valid, context, &hint),
            );
        }
    }

    /// Runs `parse` on the field `key` when present. A present field that fails to
    /// parse clears `ok`, so the caller knows not to build its domain value.
    pub(crate) fn optional<T>(
        &self,
        key: &str,
        ok: &mut bool,
        d: &mut Diags,
        parse: impl FnOnce(&Field<'a, 'i>, &mut Diags) -> Option<T>,
    ) -> Option<T> {
        let field = self.get(key)?;
        let value = parse(field, d);
        if value.is_none() {
            *ok = false;
        }
        value
    }

    /// Like [`Table::optional`], but an absent field is reported (at the table's
    /// header) and clears `ok` too.
    pub(crate) fn required<T>(
        &self,
        key: &str,
        context: &str,
        ok: &mut bool,
        d: &mut Diags,
        parse: impl FnOnce(&Field<'a, 'i>, &mut Diags) -> Option<T>,
    ) -> Option<T> {
        let Some(field) = self.get(key) else {
            d.error(
                self.span.clone(),
                format!("missing required key `{key}` {context}"),
            );
            *ok = false;
            return None;
        };
        let value = parse(field, d);
        if value.is_none() {
            *ok = false;
        }
        value
    }
}

/// The message for an unknown key: a near miss gets "did you mean", anything else the
/// list of valid keys.
pub(crate) fn unknown_key_message(
    key: &str,
    valid: &[&str],
    context: &str,
    hint: &dyn Fn(&str) -> Option<String>,
) -> String {
    let mut msg = format!("unknown key `{}` {context}", show(key));
    if let Some(extra) = hint(key) {
        msg.push_str(&format!(" ({extra})"));
    }
    match suggest(key, valid.iter().copied()) {
        Some(near) => msg.push_str(&format!("; did you mean `{near}`?")),
        None if valid.is_empty() => msg.push_str("; this table takes no keys"),
        None => msg.push_str(&format!("; valid keys: {}", valid.join(", "))),
    }
    msg
}

/// The closest candidate to `word`, if it is a plausible typo of it: a few edits
/// away (a swap of two neighbours counts as one), or a prefix of it (`warn` for
/// `warning`).
pub(crate) fn suggest<'c>(
    word: &str,
    candidates: impl Iterator<Item = &'c str>,
) -> Option<&'c str> {
    let lower = word.to_lowercase();
    candidates
        .filter_map(|c| {
            let cand = c.to_lowercase();
            let dist = edit_distance(&lower, &cand);
            let longest = lower.chars().count().max(cand.chars().count());
            let shortest = lower.chars().count().min(cand.chars().count());
            let prefix = shortest >= 3 && (lower.starts_with(&cand) || cand.starts_with(&lower));
            let close = dist <= 3 && dist <= (longest / 3).max(1);
            (close || prefix).then_some((dist, c))
        })
        .min_by_key(|(dist, _)| *dist)
        .map(|(_, c)| c)
}

/// Edit distance over characters where insertion, deletion, substitution and the
/// transposition of two adjacent characters each cost one (optimal string alignment,
/// `strsim::osa_distance`).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(a, b)
}

/// A user-written string made safe to quote in a one-line message.
pub(crate) fn show(s: &str) -> String {
    const MAX: usize = 60;
    let escaped: String = s.escape_debug().collect();
    if escaped.chars().count() > MAX {
        let cut: String = escaped.chars().take(MAX).collect();
        format!("{cut}...")
    } else {
        escaped
    }
}

/// "a string", "an integer"...: how a value's type is named in messages.
pub(crate) fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(dt) => match (dt.date.is_some(), dt.time.is_some()) {
            (true, false) => "a date",
            (false, true) => "a time",
            _ => "a date-time",
        },
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// Reports a value of the wrong type. `what` names it, e.g. "`tier`".
pub(crate) fn type_error(v: &Value<'_>, what: &str, expected: &str, d: &mut Diags) {
    d.error(
        v.span(),
        format!(
            "invalid type for {what}: expected {expected}, found {}",
            type_name(v.get_ref())
        ),
    );
}

/// Longest string value, in characters: URLs, paths, reasons, evidence.
pub(crate) const MAX_TEXT: usize = 1000;
/// Longest name: check ids, tags, env names.
pub(crate) const MAX_NAME: usize = 64;
/// Longest one-line label a person writes: titles, owners, sign-offs.
pub(crate) const MAX_LABEL: usize = 200;

/// Reports `s` when it is longer than `max` characters (SPEC 8.5: over-long values
/// are manifest errors, not a panic or a wrecked report later); `false` then.
pub(crate) fn within(s: &str, max: usize, what: &str, span: Range<usize>, d: &mut Diags) -> bool {
    let n = s.chars().count();
    if n <= max {
        return true;
    }
    d.error(
        span,
        format!("{what} is {n} characters long; at most {max} are allowed"),
    );
    false
}

/// A string value of at most [`MAX_TEXT`] characters.
pub(crate) fn string<'a>(v: &'a Value<'_>, what: &str, d: &mut Diags) -> Option<&'a str> {
    string_max(v, what, MAX_TEXT, d)
}

/// A string value of at most `max` characters.
pub(crate) fn string_max<'a>(
    v: &'a Value<'_>,
    what: &str,
    max: usize,
    d: &mut Diags,
) -> Option<&'a str> {
    match v.get_ref() {
        DeValue::String(s) if !within(s, max, what, v.span(), d) => None,
        DeValue::String(s) => Some(s.as_ref()),
        _ => {
            type_error(v, what, "a string", d);
            None
        }
    }
}

/// A string value that must not be empty (or blank).
pub(crate) fn non_empty_string<'a>(v: &'a Value<'_>, what: &str, d: &mut Diags) -> Option<&'a str> {
    let s = string(v, what, d)?;
    if s.trim().is_empty() {
        d.error(v.span(), format!("{what} must not be empty"));
        return None;
    }
    Some(s)
}

/// A boolean value.
pub(crate) fn boolean(v: &Value<'_>, what: &str, d: &mut Diags) -> Option<bool> {
    match v.get_ref() {
        DeValue::Boolean(b) => Some(*b),
        _ => {
            type_error(v, what, "a boolean (true or false)", d);
            None
        }
    }
}

/// An integer value that fits an `i64`.
pub(crate) fn integer(v: &Value<'_>, what: &str, d: &mut Diags) -> Option<i64> {
    match v.get_ref() {
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Some(n),
            Err(_) => {
                d.error(v.span(), format!("{what} is out of range"));
                None
            }
        },
        _ => {
            type_error(v, what, "an integer", d);
            None
        }
    }
}

/// A finite number; integers are accepted where a float is expected.
pub(crate) fn number(v: &Value<'_>, what: &str, d: &mut Diags) -> Option<f64> {
    let n = match v.get_ref() {
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Some(n as f64),
            Err(_) => {
                d.error(v.span(), format!("{what} is out of range"));
                return None;
            }
        },
        DeValue::Float(f) => f.as_str().parse::<f64>().ok(),
        _ => {
            type_error(v, what, "a number", d);
            return None;
        }
    };
    match n {
        Some(n) if n.is_finite() => Some(n),
        _ => {
            d.error(v.span(), format!("{what} must be a finite number"));
            None
        }
    }
}

/// An array value's elements.
pub(crate) fn array<'a, 'i>(
    v: &'a Value<'i>,
    what: &str,
    d: &mut Diags,
) -> Option<&'a [Value<'i>]> {
    match v.get_ref() {
        DeValue::Array(a) => Some(a),
        _ => {
            type_error(v, what, "an array", d);
            None
        }
    }
}

/// A table value, viewed in file order.
pub(crate) fn table<'a, 'i>(v: &'a Value<'i>, what: &str, d: &mut Diags) -> Option<Table<'a, 'i>> {
    match v.get_ref() {
        DeValue::Table(t) => Some(Table::new(t, v.span())),
        _ => {
            type_error(v, what, "a table", d);
            None
        }
    }
}

/// A humane duration string such as `"5s"`.
pub(crate) fn duration(v: &Value<'_>, what: &str, d: &mut Diags) -> Option<Duration> {
    match v.get_ref() {
        DeValue::String(s) => match duration::parse(s) {
            Ok(dur) => Some(dur),
            Err(e) => {
                d.error(v.span(), format!("{what}: {e}"));
                None
            }
        },
        _ => {
            type_error(v, what, "a duration string such as \"5s\"", d);
            None
        }
    }
}

/// A calendar date: a TOML local date (`2026-11-20`) or a `"YYYY-MM-DD"` string.
pub(crate) fn date(v: &Value<'_>, what: &str, d: &mut Diags) -> Option<jiff::civil::Date> {
    const EXPECTED: &str = "a date such as 2026-11-20";
    let parsed = match v.get_ref() {
        DeValue::Datetime(dt) => match (dt.date, dt.time, dt.offset) {
            (Some(date), None, None) => civil_date(
                i64::from(date.year),
                i64::from(date.month),
                i64::from(date.day),
            ),
            _ => {
                type_error(v, what, EXPECTED, d);
                return None;
            }
        },
        DeValue::String(s) => parse_date_string(s),
        _ => {
            type_error(v, what, EXPECTED, d);
            return None;
        }
    };
    if parsed.is_none() {
        d.error(
            v.span(),
            format!("{what} is not a valid date; write it as YYYY-MM-DD, e.g. 2026-11-20"),
        );
    }
    parsed
}

/// Parses exactly `YYYY-MM-DD`.
fn parse_date_string(s: &str) -> Option<jiff::civil::Date> {
    let b = s.as_bytes();
    let digits = |r: Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    civil_date(digits(0..4)?, digits(5..7)?, digits(8..10)?)
}

/// A real calendar date, or `None` (e.g. February 30th).
fn civil_date(year: i64, month: i64, day: i64) -> Option<jiff::civil::Date> {
    jiff::civil::Date::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()
}

/// An absolute `http://` or `https://` URL.
pub(crate) fn http_url(v: &Value<'_>, what: &str, d: &mut Diags) -> Option<Url> {
    let s = string(v, what, d)?;
    if let Some(fixed) = crate::text::url_without_scheme(s) {
        d.error(
            v.span(),
            crate::text::scheme_missing_message(what, s, &fixed),
        );
        return None;
    }
    match Url::parse(s) {
        Ok(url) if !url.username().is_empty() || url.password().is_some() => {
            // Never echo them: the snippet blanks the userinfo too.
            d.error(
                v.span(),
                format!(
                    "{what} carries credentials (user:password@); a manifest never holds a secret (code: literal-secret)"
                ),
            );
            None
        }
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Some(url),
        Ok(url) if matches!(url.scheme(), "http" | "https") => {
            d.error(v.span(), format!("{what} has no host"));
            None
        }
        Ok(url) => {
            d.error(
                v.span(),
                format!(
                    "{what} must be an http:// or https:// URL, found scheme `{}`",
                    show(url.scheme())
                ),
            );
            None
        }
        Err(e) => {
            d.error(
                v.span(),
                format!("{what} is not a valid URL: {}", crate::text::url_problem(e)),
            );
            None
        }
    }
}

/// Whether `s` is kebab-case: `^[a-z0-9]+(-[a-z0-9]+)*$`.
pub(crate) fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_case() {
        for ok in ["a", "wallet-usd", "a1-b2-c3", "123"] {
            assert!(is_kebab(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "a--b", "Wallet", "a_b", "a b", "é"] {
            assert!(!is_kebab(bad), "{bad}");
        }
    }

    #[test]
    fn suggestions_only_for_near_misses() {
        let keys = ["tier", "base_url", "api_key", "default_env"];
        assert_eq!(suggest("tiers", keys.iter().copied()), Some("tier"));
        assert_eq!(suggest("apikey", keys.iter().copied()), Some("api_key"));
        assert_eq!(suggest("Tier", keys.iter().copied()), Some("tier"));
        assert_eq!(
            suggest("defaultenv", keys.iter().copied()),
            Some("default_env")
        );
        assert_eq!(suggest("colour", keys.iter().copied()), None);
        assert_eq!(suggest("x", keys.iter().copied()), None);
        assert_eq!(suggest("dmeo", ["demo"].into_iter()), Some("demo"));
        assert_eq!(
            suggest("warning", ["error", "warn", "info"].into_iter()),
            Some("warn")
        );
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn date_strings_are_strict() {
        assert_eq!(
            parse_date_string("2026-11-20"),
            jiff::civil::Date::new(2026, 11, 20).ok()
        );
        for bad in [
            "2026-02-30",
            "2026-1-20",
            "20261120",
            "2026-11-20T00:00",
            "２０２６-11-20",
        ] {
            assert_eq!(parse_date_string(bad), None, "{bad}");
        }
    }

    #[test]
    fn show_escapes_and_truncates() {
        assert_eq!(show("a\nb"), "a\\nb");
        assert!(show(&"x".repeat(100)).ends_with("..."));
    }
}
