//! Properties of the boundary every outside text crosses (SPEC section 8,
//! invariants 2 and 3), for any secret and any server text:
//!
//! - after cleaning, scrubbing and shortening, no 8-byte run of the secret survives,
//!   however the server quoted it (whole, cut, JSON-escaped, URL-encoded, mixed
//!   with escape sequences) and wherever the text is cut;
//! - any Unicode text comes out of the terminal sanitizer with no control
//!   character and no bidirectional override left.
//!
//! The property that goes through the process-wide scrubber registers a secret per
//! case, which would mask text in unrelated tests of this binary: it runs in a child
//! process of its own.

use golive::secret::{Redactor, Secret, register};
use golive::text::{sanitize, sanitize_lines, shorten, untrusted_str};
use proptest::prelude::*;

use crate::support::isolated::in_own_process;
use crate::support::regressions_beside_the_source;

/// Secrets as they come: ASCII key material with the odd special character, and
/// now and then a non-ASCII one.
fn secret() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_]{8,64}",
        "[A-Za-z0-9_/+=\\-\"\\\\.:]{8,48}",
        "[a-z0-9]{4,12}[éü中😀][A-Za-z0-9]{4,12}",
    ]
}

/// One piece of what a hostile server might send around a secret.
#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Whole,
    Slice(usize, usize),
    Json,
    JsonSlashes,
    Url,
    Escape(String),
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        any::<String>().prop_map(Piece::Text),
        "[ -~]{0,40}".prop_map(Piece::Text),
        Just(Piece::Whole),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Piece::Slice(a, b)),
        Just(Piece::Json),
        Just(Piece::JsonSlashes),
        Just(Piece::Url),
        prop_oneof![
            Just("\u{1b}[2J"),
            Just("\u{1b}]0;title\u{7}"),
            Just("\u{1b}"),
            Just("\u{9b}"),
            Just("\r\n"),
        ]
        .prop_map(|s| Piece::Escape(s.to_string())),
    ]
}

fn render(pieces: &[Piece], secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let json = serde_json::to_string(secret).unwrap();
    pieces
        .iter()
        .map(|p| match p {
            Piece::Text(t) | Piece::Escape(t) => t.clone(),
            Piece::Whole => secret.to_string(),
            Piece::Slice(a, b) => {
                let a = a % chars.len();
                let b = a + b % (chars.len() - a + 1);
                chars[a..b].iter().collect()
            }
            Piece::Json => json.clone(),
            Piece::JsonSlashes => json.replace('/', "\\/"),
            Piece::Url => url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
        })
        .collect()
}

/// Every 8-byte run of `secret`'s plain spelling that appears in `text`.
fn surviving_windows(text: &str, secret: &str) -> Vec<String> {
    secret
        .as_bytes()
        .windows(Redactor::WINDOW)
        .filter(|w| text.as_bytes().windows(w.len()).any(|t| t == *w))
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect()
}

fn has_terminal_control(text: &str, newlines_allowed: bool) -> Option<char> {
    text.chars().find(|&c| {
        (c.is_control() && !(newlines_allowed && c == '\n'))
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
    })
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 2000,
        failure_persistence: regressions_beside_the_source(),
        ..ProptestConfig::default()
    }
}

#[test]
fn no_window_of_a_secret_survives_cleaning_and_shortening() {
    in_own_process(
        "trust_properties::no_window_of_a_secret_survives_cleaning_and_shortening",
        registered_secrets_leave_no_window,
    );
}

proptest! {
    #![proptest_config(config())]

    /// The property itself, with every case's secret registered process-wide.
    fn registered_secrets_leave_no_window(
        secret in secret(),
        pieces in prop::collection::vec(piece(), 0..8),
        max in 0usize..400,
    ) {
        register(&Secret::new(secret.clone()));
        let text = render(&pieces, &secret);
        let out = untrusted_str(&text, max);
        prop_assert!(surviving_windows(&out, &secret).is_empty(), "{out:?}");
        prop_assert!(has_terminal_control(&out, false).is_none(), "{out:?}");
        // The JSON and URL spellings are gone too, not just the plain one.
        let json = serde_json::to_string(&secret).unwrap();
        let json = json.trim_matches('"');
        let url: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        for spelled in [json, url.as_str()] {
            prop_assert!(surviving_windows(&out, spelled).is_empty(), "{spelled:?} in {out:?}");
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_redactor_masks_every_window_whatever_surrounds_it(
        secret in secret(),
        before in any::<String>(),
        after in any::<String>(),
        cut in any::<usize>(),
    ) {
        let mut r = Redactor::default();
        r.add(&Secret::new(secret.clone()));
        // A server or a reader cut the text somewhere, maybe inside the secret.
        let text = format!("{before}{secret}{after}");
        let mut end = cut % (text.len() + 1);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let out = r.scrub(&text[..end]);
        prop_assert!(surviving_windows(&out, &secret).is_empty(), "{out:?}");
    }

    #[test]
    fn any_text_passes_the_sanitizer_with_no_control_left(text in any::<String>()) {
        let one = sanitize(&text);
        prop_assert!(has_terminal_control(&one, false).is_none(), "{one:?}");
        let lines = sanitize_lines(&text);
        prop_assert!(has_terminal_control(&lines, true).is_none(), "{lines:?}");
        // Cleaning is idempotent, and printable text is kept as it is.
        prop_assert_eq!(sanitize(&one), one.clone());
    }

    #[test]
    fn printable_text_is_kept(text in "[ -~éü中😀]{0,80}") {
        prop_assert_eq!(sanitize(&text), text.clone());
        prop_assert_eq!(shorten(&text, 1000), text);
    }

    #[test]
    fn shortening_is_bounded_and_cuts_whole_characters(text in any::<String>(), max in 0usize..100) {
        let out = shorten(&text, max);
        prop_assert!(out.chars().count() <= max + 3);
        prop_assert!(text.starts_with(out.trim_end_matches("...")));
    }
}
