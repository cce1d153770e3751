//! Small text helpers shared by findings, reports and error messages.

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

/// Bytes from the network as text a person can read in one line: invalid UTF-8
/// replaced, control characters turned into spaces, surrounding space trimmed.
pub fn printable(bytes: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(bytes)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    text.trim().to_string()
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
        Some(c) => format!("{kind}: {c}"),
        None => kind.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_folds_breaks() {
        assert_eq!(one_line("a\n  b\r\n\nc"), "a b c");
        assert_eq!(one_line("plain"), "plain");
    }

    #[test]
    fn printable_cleans_network_bytes() {
        assert_eq!(printable(b"  <html>\r\n\tok\xff "), "<html>   ok\u{fffd}");
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
