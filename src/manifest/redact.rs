//! Which parts of a manifest's text must never be shown in a diagnostic snippet.
//!
//! A manifest must not hold a secret, but users paste them anyway (`api_key = "sk_..."`),
//! and the resulting error shows the offending line. Every string under a key that
//! looks like it holds a secret is blanked, except the variable name or path of a
//! proper `{ env = ... }` / `{ file = ... }` reference. Spans from the parsed tree are
//! exact (multi-line strings included); a textual scan of each line backs them up
//! when the file did not even parse.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::raw::Value;

/// The manifest's secret-reference keys.
pub(crate) const SECRET_KEYS: &[&str] = &["api_key", "api_secret", "webhook_secret"];

/// Whether a key is one of the secret keys or a near miss of one (`apikey`).
/// Deliberately stricter than the "did you mean" rule, since a whole table (an env
/// named `api`, say) under such a key would be blanked.
fn is_secret_key_like(key: &str) -> bool {
    let len = key.chars().count();
    // Cheap length filter first: most keys are nowhere near a secret key's length.
    let near = |k: &str| len.abs_diff(k.len()) <= 2;
    if !SECRET_KEYS.iter().any(|k| near(k)) {
        return false;
    }
    let lower = key.to_lowercase();
    SECRET_KEYS
        .iter()
        .any(|k| near(k) && super::raw::edit_distance(&lower, k) <= 2)
}

/// Whether a key, as written, probably holds a secret: a secret key, a near miss of
/// one, or a name that says so (`token`, `password`...). Tables under such generic
/// names (e.g. an env called `auth`) are not blanked wholesale; see [`walk_table`].
fn is_sensitive_key(key: &str) -> bool {
    let lower = key.to_lowercase();
    is_secret_key_like(&lower)
        || ["key", "secret", "token", "passw", "credential", "auth"]
            .iter()
            .any(|w| lower.contains(w))
}

/// Byte ranges to blank: the contents of every string held by a sensitive key in the
/// parsed tree, plus whatever the line scan finds.
pub(crate) fn blank_ranges(text: &str, root: &DeTable<'_>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    walk_table(text, root, &mut out);
    out.extend(scan_lines(text));
    out
}

fn walk_table(text: &str, table: &DeTable<'_>, out: &mut Vec<Range<usize>>) {
    for (k, v) in table.iter() {
        let key: &str = k.get_ref();
        let is_table = matches!(v.get_ref(), DeValue::Table(_));
        if is_secret_key_like(key) {
            blank_secret_value(text, v, out);
        } else if !is_table && is_sensitive_key(key) {
            blank_all_strings(text, v, out);
        } else {
            walk_value(text, v, out);
        }
    }
}

fn walk_value(text: &str, v: &Value<'_>, out: &mut Vec<Range<usize>>) {
    match v.get_ref() {
        DeValue::Table(t) => walk_table(text, t, out),
        DeValue::Array(items) => items.iter().for_each(|i| walk_value(text, i, out)),
        _ => {}
    }
}

/// Blanks the value of a secret key, keeping only the `env`/`file` strings of a
/// reference table (a variable name or a path is not a secret).
fn blank_secret_value(text: &str, v: &Value<'_>, out: &mut Vec<Range<usize>>) {
    match v.get_ref() {
        DeValue::Table(t) => {
            for (k, inner) in t.iter() {
                let is_ref = matches!(k.get_ref().as_ref(), "env" | "file");
                if !is_ref {
                    // Someone may have pasted the secret as the key itself.
                    out.push(k.span());
                }
                if !(is_ref && matches!(inner.get_ref(), DeValue::String(_))) {
                    blank_all_strings(text, inner, out);
                }
            }
        }
        _ => blank_all_strings(text, v, out),
    }
}

fn blank_all_strings(text: &str, v: &Value<'_>, out: &mut Vec<Range<usize>>) {
    match v.get_ref() {
        DeValue::Table(t) => t.iter().for_each(|(_, i)| blank_all_strings(text, i, out)),
        DeValue::Array(items) => items.iter().for_each(|i| blank_all_strings(text, i, out)),
        // Numbers, booleans and dates are blanked too: a numeric PIN is still a secret.
        _ => out.push(string_contents(text, v.span())),
    }
}

/// The span of a string literal without its quotes, so the snippet still shows that
/// a string was there.
fn string_contents(text: &str, span: Range<usize>) -> Range<usize> {
    let Some(raw) = text.get(span.clone()) else {
        return span;
    };
    for quote in ["\"\"\"", "'''", "\"", "'"] {
        if raw.len() >= 2 * quote.len() && raw.starts_with(quote) && raw.ends_with(quote) {
            return span.start + quote.len()..span.end - quote.len();
        }
    }
    span
}

/// Finds `key = value` wherever the key looks sensitive and blanks the value: a
/// string up to its closing quote (or the end of the line), and every string, bare
/// word and key inside an array or inline table, across lines, except the variable
/// name or path of an `env`/`file` reference under a secret key. Used as a fallback
/// for text that did not parse (a duplicate key, an unclosed string); on parsed text
/// it only repeats the tree's ranges.
fn scan_lines(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        scan_line(text, line, line_start, &mut out);
        line_start += line.len();
    }
    out
}

fn scan_line(text: &str, line: &str, offset: usize, out: &mut Vec<Range<usize>>) {
    // Credentials in a URL (`https://user:pass@host`), whatever the key.
    for (at, _) in line.match_indices("://") {
        let start = at + 3;
        let rest = &line[start..];
        let end = rest
            .find(['/', '"', '\'', ' ', '?', '#'])
            .unwrap_or(rest.len());
        if let Some(userinfo) = rest[..end].rfind('@') {
            out.push(offset + start..offset + start + userinfo);
        }
    }
    for (eq, _) in line.match_indices('=') {
        // The key is the last run of key characters (or a quoted key) before `=`.
        let before = line[..eq].trim_end();
        let before = before.trim_end_matches(['"', '\'']);
        let key_start = before
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '-'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let key = &before[key_start..];
        if key.is_empty() || !is_sensitive_key(key) {
            continue;
        }
        blank_value_text(text, offset + eq + 1, is_secret_key_like(key), out);
    }
}

/// Whether a key inside a secret's inline table names a reference (`env`, `file`).
fn is_ref_key(key: Option<&str>) -> bool {
    matches!(key, Some("env" | "file"))
}

/// Blanks the value that starts at byte `at` of `text` (after a sensitive key's
/// `=`), by a small scan of TOML's value syntax that tolerates broken text.
fn blank_value_text(text: &str, at: usize, keep_refs: bool, out: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    let mut i = at;
    while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
        i += 1;
    }
    // Open brackets: `[` for arrays, `{` for inline tables.
    let mut stack: Vec<u8> = Vec::new();
    // The last key seen in the innermost inline table.
    let mut last_key: Option<&str> = None;
    let followed_by_eq = |from: usize| {
        text[from..]
            .trim_start_matches([' ', '\t'])
            .starts_with('=')
    };
    loop {
        let Some(&c) = bytes.get(i) else { return };
        match c {
            b'"' | b'\'' => {
                let (contents, next) = string_at(text, i);
                if followed_by_eq(next) {
                    last_key = text.get(contents.clone());
                    if !(keep_refs && is_ref_key(last_key)) {
                        out.push(contents);
                    }
                } else if !(keep_refs && stack == [b'{'] && is_ref_key(last_key)) {
                    // Only a reference's variable name or path is no secret.
                    out.push(contents);
                }
                i = next;
            }
            b'[' | b'{' => {
                stack.push(c);
                last_key = None;
                i += 1;
            }
            b']' | b'}' => {
                stack.pop();
                i += 1;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'\n' if stack.is_empty() => return,
            b' ' | b'\t' | b'\r' | b'\n' | b',' | b'=' => i += 1,
            _ => {
                // A bare word: a key inside a table, or a number, boolean or date.
                let start = i;
                while i < bytes.len()
                    && !matches!(
                        bytes[i],
                        b' ' | b'\t' | b'\r' | b'\n' | b',' | b'=' | b']' | b'}' | b'#'
                    )
                {
                    i += 1;
                }
                // Stop at a character boundary: a bare word may hold any text here.
                while !text.is_char_boundary(i) {
                    i += 1;
                }
                let word = text.get(start..i);
                let is_key = followed_by_eq(i);
                if is_key {
                    last_key = word;
                }
                if !(is_key && keep_refs && is_ref_key(word)) {
                    out.push(start..i);
                }
            }
        }
        if stack.is_empty() && !matches!(c, b' ' | b'\t') {
            // A plain value ends with its token; an array or table when it closes.
            return;
        }
    }
}

/// The contents of the string literal starting at byte `at` (without its quotes),
/// and where the text continues after it. An unterminated basic or literal string
/// runs to the end of its line; a multi-line one to the end of the text.
fn string_at(text: &str, at: usize) -> (Range<usize>, usize) {
    let bytes = text.as_bytes();
    let quote = bytes[at];
    let triple = bytes.get(at..at + 3) == Some(&[quote; 3][..]);
    let open = if triple { 3 } else { 1 };
    let start = at + open;
    let mut i = start;
    while i < bytes.len() {
        let b = bytes[i];
        if quote == b'"' && b == b'\\' {
            i += 2;
            continue;
        }
        if !triple && b == b'\n' {
            return (start..i, i);
        }
        if b == quote && (!triple || bytes.get(i..i + 3) == Some(&[quote; 3][..])) {
            return (start..i, i + open);
        }
        i += 1;
    }
    let end = bytes.len();
    (start.min(end)..end, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blanked(text: &str) -> String {
        let (root, _) = DeTable::parse_recoverable(text);
        let ranges = blank_ranges(text, root.get_ref());
        text.char_indices()
            .map(|(i, c)| {
                if ranges.iter().any(|r| r.contains(&i)) {
                    '*'
                } else {
                    c
                }
            })
            .collect()
    }

    #[test]
    fn literal_secrets_are_blanked_and_references_kept() {
        let text = "[env.p]\napi_key = \"sk_live\"\napi_secret = { env = \"NAME\" }\n\
                    webhook_secret = { file = \"/run/s\", value = \"hunter2\" }\ntier = \"sandbox\"\n";
        let out = blanked(text);
        assert!(
            !out.contains("sk_live") && !out.contains("hunter2"),
            "{out}"
        );
        assert!(out.contains("api_key = \"*******\""), "{out}");
        assert!(out.contains("{ env = \"NAME\" }"), "{out}");
        assert!(out.contains("\"/run/s\""), "{out}");
        assert!(out.contains("tier = \"sandbox\""), "{out}");
    }

    #[test]
    fn envs_named_like_secrets_are_not_blanked_wholesale() {
        let out = blanked("[env.api]\ntier = \"sandbox\"\n[env.auth]\ntier = \"production\"\n");
        assert!(
            out.contains("\"sandbox\"") && out.contains("\"production\""),
            "{out}"
        );
    }

    #[test]
    fn typos_and_multiline_strings_are_blanked() {
        let out = blanked("[env.p]\napikey = \"sk_live\"\napi_key = \"\"\"\nsk_multi\n\"\"\"\n");
        assert!(
            !out.contains("sk_live") && !out.contains("sk_multi"),
            "{out}"
        );
    }

    #[test]
    fn unparsable_lines_are_blanked_by_the_scan() {
        let out = blanked("[env.p]\napi_key = \"sk_live_unterminated\nx = = 1\n");
        assert!(!out.contains("sk_live"), "{out}");
        let out = blanked("env.p.api_secret='sk_live' = 3\n");
        assert!(!out.contains("sk_live"), "{out}");
        let out = blanked("[env.p]\napi_key = { sk_live_as_key = 1 }\n");
        assert!(!out.contains("sk_live"), "{out}");
    }

    #[test]
    fn secrets_in_arrays_and_inline_tables_are_blanked_when_the_file_does_not_parse() {
        // A duplicate key: the file does not parse, so only the scan can blank.
        for text in [
            "[env.p]\ntier = \"sandbox\"\ntier = \"sandbox\"\napi_secret = [\"sk_live_ARRAY\"]\n",
            "[env.p]\ntier = 1\ntier = 2\napi_secret = { env = \"X\", value = \"sk_live_VALUE\" }\n",
            "[env.p]\ntier = 1\ntier = 2\napi_secret = [\n  \"sk_live_MULTI\",\n]\n",
            "[env.p]\ntier = 1\ntier = 2\napi_secret = { \"env\" = \"X\", \"sk_live_QKEY\" = 1 }\n",
            "[env.p]\ntier = 1\ntier = 2\napi_secret = { env = \"X\", value = 12345678 }\n",
            "[env.p]\ntier = 1\ntier = 2\ntoken = '''sk_live_LIT'''\n",
            "[env.p]\ntier = 1\ntier = 2\napi_key = { env = \"X\" , file = 'f', sk_live_BARE = 1 }\n",
        ] {
            let (_, errors) = DeTable::parse_recoverable(text);
            assert!(!errors.is_empty(), "the text must not parse: {text}");
            let out = blanked(text);
            assert!(!out.contains("sk_live"), "{out}");
            assert!(!out.contains("12345678"), "{out}");
        }
        // The reference itself stays readable.
        let out = blanked(
            "[env.p]\ntier = 1\ntier = 2\napi_secret = { env = \"NAME\", value = \"s3cretvalue\" }\n",
        );
        assert!(out.contains("env = \"NAME\""), "{out}");
        assert!(!out.contains("s3cretvalue"), "{out}");
    }
}
