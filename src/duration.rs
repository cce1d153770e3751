//! Humane durations for manifests and flags: `"250ms"`, `"5s"`, `"2m"`, `"1h30m"`, `"90d"`.
//!
//! Hand-written rather than a crate so the error message can say exactly what is
//! accepted, and so that days are allowed (attestation `max_age = "90d"`).

use std::time::Duration;

/// Why a duration string was refused; the message is shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid duration `{input}`: {reason} (use a number and a unit: ms, s, m, h or d, e.g. \"250ms\", \"5s\", \"2m\", \"1h30m\")"
)]
pub struct DurationError {
    input: String,
    reason: &'static str,
}

/// Parses a humane duration string. At least one `<integer><unit>` group is
/// required; groups may be concatenated or separated by spaces.
pub fn parse(input: &str) -> Result<Duration, DurationError> {
    let err = |reason| DurationError {
        input: input.to_string(),
        reason,
    };
    let s = input.trim();
    if s.is_empty() {
        return Err(err("it is empty"));
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut total: u128 = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if start == i {
            return Err(err("expected a whole number"));
        }
        let number: u128 = s[start..i].parse().map_err(|_| err("number too large"))?;
        let unit_start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let millis_per_unit: u128 = match &s[unit_start..i] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "" => return Err(err("a unit is missing")),
            _ => return Err(err("unknown unit")),
        };
        total = total
            .checked_add(
                number
                    .checked_mul(millis_per_unit)
                    .ok_or(err("too large"))?,
            )
            .ok_or(err("too large"))?;
    }
    if total > u64::MAX as u128 {
        return Err(err("too large"));
    }
    Ok(Duration::from_millis(total as u64))
}

/// `start + d`, saturating at a distant future (about 30 years on) instead of
/// overflowing: a humane duration may be as long as `u64::MAX` milliseconds.
pub fn instant_after(start: tokio::time::Instant, d: Duration) -> tokio::time::Instant {
    const FAR: Duration = Duration::from_secs(30 * 365 * 86_400);
    start
        .checked_add(d.min(FAR))
        .or_else(|| start.checked_add(Duration::from_secs(86_400)))
        .unwrap_or(start)
}

/// Formats a duration the way a manifest would write it (largest exact unit).
pub fn format(d: Duration) -> String {
    let ms = d.as_millis();
    for (unit, size) in [
        ("d", 86_400_000u128),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
    ] {
        if ms >= size && ms.is_multiple_of(size) {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit_and_compounds() {
        let cases = [
            ("250ms", 250),
            ("5s", 5_000),
            ("2m", 120_000),
            ("1h", 3_600_000),
            ("90d", 90 * 86_400_000),
            ("1h30m", 5_400_000),
            ("1m 30s", 90_000),
            ("0s", 0),
        ];
        for (input, ms) in cases {
            assert_eq!(parse(input).unwrap(), Duration::from_millis(ms), "{input}");
        }
    }

    #[test]
    fn rejects_garbage_with_a_reason() {
        for input in [
            "",
            "5",
            "s",
            "5 sec",
            "1.5s",
            "-1s",
            "5x",
            "99999999999999999999999d",
        ] {
            let e = parse(input).unwrap_err().to_string();
            assert!(e.contains("invalid duration"), "{input}: {e}");
        }
    }

    #[test]
    fn formats_with_the_largest_exact_unit() {
        assert_eq!(format(Duration::from_millis(250)), "250ms");
        assert_eq!(format(Duration::from_secs(90)), "90s");
        assert_eq!(format(Duration::from_secs(120)), "2m");
        assert_eq!(format(Duration::from_secs(86_400 * 90)), "90d");
    }
}
