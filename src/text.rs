//! Text helpers shared by findings, reports and error messages, and the one
//! boundary through which text from outside golive enters it.
//!
//! Every text that came from a server, a receiver or a command (messages, ids,
//! currency codes, bodies, output) passes through [`untrusted`] (or [`printable`],
//! [`sanitize`]) where it enters golive: escape sequences and control characters
//! are removed first, then every known secret is scrubbed
//! ([`crate::secret::scrub`]), and only then is the text shortened, so that no
//! renderer can print terminal control sequences and no cut can leave a fragment
//! of a secret behind (SPEC section 8, invariants 2 and 3).

/// Folds line breaks into single spaces: findings and table cells are one-liners.
pub fn one_line(s: &str) -> String {
    if s.contains(['\n', '\r']) {
        s.split(['\n', '\r'])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        s.to_string()
    }
}

/// Text from outside golive, made safe to print: invalid UTF-8 replaced, escape
/// sequences and control characters removed ([`sanitize`]), known secrets scrubbed,
/// surrounding space trimmed, and then shortened to at most `max_chars` characters
/// (plus `...`). Use it once, where the text enters.
pub fn untrusted(bytes: &[u8], max_chars: usize) -> String {
    untrusted_str(&String::from_utf8_lossy(bytes), max_chars)
}

/// [`untrusted`] for text that is already a string.
pub fn untrusted_str(text: &str, max_chars: usize) -> String {
    let clean = crate::secret::scrub(&sanitize(text));
    shorten(clean.trim(), max_chars)
}

/// Bytes from the network as text a person can read in one line: invalid UTF-8
/// replaced, escape sequences and control characters removed, known secrets
/// scrubbed, surrounding space trimmed.
pub fn printable(bytes: &[u8]) -> String {
    untrusted(bytes, usize::MAX)
}

/// At most `max_chars` characters of `text`, with `...` added when something was
/// cut. Cuts at a character boundary. Scrub before shortening, never after.
pub fn shorten(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}...", &text[..cut]),
    }
}

/// Removes everything that could drive a terminal from `text`: ANSI/ECMA-48 escape
/// sequences (CSI, OSC, DCS, SOS, PM, APC, and two-character escapes, in their 7-bit
/// and 8-bit forms) are dropped whole, other C0 and C1 control characters (line
/// breaks and tabs included) become a space, and bidirectional overrides, which can
/// make a line read differently from what it says, are dropped. Printable Unicode
/// is kept.
pub fn sanitize(text: &str) -> String {
    sanitize_with(text, false)
}

/// [`sanitize`], but line breaks (`\n`) are kept: for multi-line texts such as a
/// command's output, which renderers print line by line.
pub fn sanitize_lines(text: &str) -> String {
    sanitize_with(text, true)
}

fn sanitize_with(text: &str, keep_newlines: bool) -> String {
    if !text.chars().any(needs_care) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            '\u{9b}' => skip_csi(&mut chars),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\n' if keep_newlines => out.push('\n'),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => out.push(' '),
            c if is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    out
}

fn needs_care(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}' || is_bidi_control(c)
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// After ESC: the rest of the sequence.
fn skip_escape(chars: &mut Chars<'_>) {
    match chars.peek().copied() {
        Some('[') => {
            chars.next();
            skip_csi(chars);
        }
        Some(']' | 'P' | 'X' | '^' | '_') => {
            chars.next();
            skip_string(chars);
        }
        Some(c) if ('\u{20}'..='\u{2f}').contains(&c) => {
            // nF escape: intermediates, then one final character.
            while chars
                .next_if(|c| ('\u{20}'..='\u{2f}').contains(c))
                .is_some()
            {}
            chars.next_if(|c| ('\u{30}'..='\u{7e}').contains(c));
        }
        Some(c) if ('\u{30}'..='\u{7e}').contains(&c) => {
            chars.next();
        }
        _ => {}
    }
}

/// After CSI: parameters and intermediates, then the final character.
fn skip_csi(chars: &mut Chars<'_>) {
    while chars
        .next_if(|c| ('\u{20}'..='\u{3f}').contains(c))
        .is_some()
    {}
    chars.next_if(|c| ('\u{40}'..='\u{7e}').contains(c));
}

/// After OSC, DCS, SOS, PM or APC: everything up to the string terminator (BEL,
/// ESC \ or ST); an unterminated string runs to the end of the text.
fn skip_string(chars: &mut Chars<'_>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                chars.next_if_eq(&'\\');
                return;
            }
            _ => {}
        }
    }
}

/// Describes a failed HTTP request by its deepest cause (DNS, refused, reset, TLS),
/// which is what a person can act on, prefixed by what kind of failure it was. The
/// request URL is left out: callers name the request themselves.
pub fn describe_http_error(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut cause = None;
    let mut source = e.source();
    while let Some(s) = source {
        cause = Some(s.to_string());
        source = s.source();
    }
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    match cause {
        // A cause can quote the server (a certificate's names, a protocol error).
        Some(c) => format!("{kind}: {}", untrusted_str(&c, 300)),
        None => kind.to_string(),
    }
}

/// When `raw` is a URL written without its scheme (`hooks.example.com/octopus`,
/// `127.0.0.1:9000/x`, `localhost:9000/x`), the URL with `https://` in front, so that
/// a message can say the scheme is missing and suggest it instead of quoting a URL
/// parser ("relative URL without a base", "unsupported scheme localhost").
///
/// `None` when `raw` has a `://`, when it reads as another scheme (`mailto:a@b`),
/// when `https://` in front does not give a URL with a host, and when that URL would
/// carry credentials (which a message must not echo).
pub fn url_without_scheme(raw: &str) -> Option<url::Url> {
    let raw = raw.trim();
    if raw.is_empty() || raw.starts_with('/') || raw.contains("://") {
        return None;
    }
    // `host:PORT/...` parses as the scheme `host`; `mailto:x` is a real scheme.
    let reads_as_scheme = match url::Url::parse(raw) {
        Err(_) => false,
        Ok(_) => !raw
            .split_once(':')
            .is_some_and(|(_, rest)| rest.starts_with(|c: char| c.is_ascii_digit())),
    };
    if reads_as_scheme {
        return None;
    }
    let url = url::Url::parse(&format!("https://{raw}")).ok()?;
    let plausible = url.host().is_some() && url.username().is_empty() && url.password().is_none();
    plausible.then_some(url)
}

/// The message for a URL without a scheme (see [`url_without_scheme`]).
pub fn scheme_missing_message(what: &str, raw: &str, fixed: &url::Url) -> String {
    format!(
        "{what} `{}` has no scheme; write it with https:// (e.g. `{fixed}`), or http:// for a loopback address",
        raw.trim()
    )
}

/// What is wrong with a URL that does not parse, in a user's words (the parser's
/// own, e.g. "relative URL without a base", name its internals).
pub(crate) fn url_problem(e: url::ParseError) -> &'static str {
    use url::ParseError as P;
    match e {
        P::RelativeUrlWithoutBase => {
            "it is not an absolute URL; write the whole address, e.g. \"https://api.example.com/\""
        }
        P::EmptyHost => "it has no host",
        P::InvalidPort => "its port is not a number from 0 to 65535",
        P::InvalidIpv4Address => "its host is not a valid IPv4 address",
        P::InvalidIpv6Address => "its host is not a valid IPv6 address (write it in brackets)",
        P::InvalidDomainCharacter | P::IdnaError => {
            "its host is not a valid host name (it holds a space, or a character no domain can)"
        }
        _ => {
            "it cannot be read as a URL; write the whole address, e.g. \"https://api.example.com/\""
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_without_a_scheme_are_recognised() {
        for (raw, fixed) in [
            (
                "hooks.example.com/octopus",
                "https://hooks.example.com/octopus",
            ),
            ("127.0.0.1:9000/x", "https://127.0.0.1:9000/x"),
            ("localhost:9000/x", "https://localhost:9000/x"),
            ("example.com:8443", "https://example.com:8443/"),
            ("[::1]:9000/x", "https://[::1]:9000/x"),
        ] {
            assert_eq!(
                url_without_scheme(raw).map(|u| u.to_string()).as_deref(),
                Some(fixed),
                "{raw}"
            );
        }
        for raw in [
            "https://hooks.example.com/x",
            "http://127.0.0.1:9/x",
            "mailto:ops@example.com",
            "ftp://example.com/x",
            "user:12345@host/x",
            "",
            "/just/a/path",
        ] {
            assert_eq!(url_without_scheme(raw), None, "{raw}");
        }
    }

    #[test]
    fn one_line_folds_breaks() {
        assert_eq!(one_line("a\n  b\r\n\nc"), "a b c");
        assert_eq!(one_line("plain"), "plain");
    }

    #[test]
    fn printable_cleans_network_bytes() {
        assert_eq!(printable(b"  <html>\r\n\tok\xff "), "<html>   ok\u{fffd}");
    }

    #[test]
    fn sanitize_drops_escape_sequences_whole() {
        let cases = [
            ("\u{1b}[2Jclear", "clear"),
            ("\u{1b}[1;31mred\u{1b}[0m", "red"),
            ("\u{1b}]0;title\u{7}after", "after"),
            ("\u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\", "link"),
            ("\u{9b}31mc1", "c1"),
            ("\u{9d}0;t\u{9c}osc", "osc"),
            ("\u{1b}Pdcs\u{1b}\\x", "x"),
            ("\u{1b}cRIS", "RIS"),
            ("\u{1b}(Bcharset", "charset"),
            ("a\nb\rc\td\u{7}e\u{7f}f\u{85}g", "a b c d e f g"),
            ("\u{202e}evil\u{2066}", "evil"),
            (
                "caf\u{e9} \u{1f600} \u{4e2d}",
                "caf\u{e9} \u{1f600} \u{4e2d}",
            ),
            ("trailing \u{1b}", "trailing "),
            ("\u{1b}]unterminated", ""),
        ];
        for (input, want) in cases {
            assert_eq!(sanitize(input), want, "{input:?}");
        }
        assert_eq!(sanitize_lines("a\nb\u{1b}[2J\r\n"), "a\nb \n");
    }

    #[test]
    fn shorten_cuts_at_char_boundaries() {
        assert_eq!(shorten("abcdef", 3), "abc...");
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("\u{e9}\u{e9}\u{e9}\u{e9}", 2), "\u{e9}\u{e9}...");
        assert_eq!(shorten("", 0), "");
    }

    #[tokio::test]
    async fn http_errors_name_the_cause() {
        // A closed port on loopback: refused at once.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let e = reqwest::get(format!("http://127.0.0.1:{port}/"))
            .await
            .unwrap_err();
        let text = describe_http_error(&e);
        assert!(text.starts_with("could not connect"), "{text}");
        assert!(!text.contains("127.0.0.1"), "no URL: {text}");
    }
}
