//! Octopus environments ("tiers") and their canonical hosts.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The canonical production API base URL.
pub const PRODUCTION_URL: &str = "https://api.octopuscards.io";
/// The canonical sandbox API base URL.
pub const SANDBOX_URL: &str = "https://sandbox-api.octopuscards.io";

/// Which Octopus environment an env targets; decides the canonical host and the
/// production-safety rules (SPEC section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Development and testing; more permissive rate limits, mock vouchers.
    Sandbox,
    /// Live orders with real settlement.
    Production,
}

impl Tier {
    /// The tier's canonical base URL.
    pub fn canonical_url(self) -> &'static str {
        match self {
            Tier::Sandbox => SANDBOX_URL,
            Tier::Production => PRODUCTION_URL,
        }
    }

    /// The tier's canonical host name.
    pub fn canonical_host(self) -> &'static str {
        match self {
            Tier::Sandbox => "sandbox-api.octopuscards.io",
            Tier::Production => "api.octopuscards.io",
        }
    }

    /// The tier whose canonical API host `url` points at, however it is spelled
    /// (case, trailing dot, IDNA: see [`normalize_host`]); `None` for any other host.
    /// Every tier guard asks this, never a raw `host_str()` comparison (SPEC 8.4).
    pub fn of_host(url: &url::Url) -> Option<Tier> {
        Tier::of_host_str(url.host_str()?)
    }

    /// [`Tier::of_host`] for a bare host name.
    pub fn of_host_str(host: &str) -> Option<Tier> {
        let host = normalize_host(host);
        [Tier::Production, Tier::Sandbox]
            .into_iter()
            .find(|t| t.canonical_host() == host)
    }

    /// The stricter of two tiers: production when either is.
    pub fn max_safety(self, other: Tier) -> Tier {
        if self == Tier::Production || other == Tier::Production {
            Tier::Production
        } else {
            Tier::Sandbox
        }
    }

    /// The other tier.
    pub fn other(self) -> Tier {
        match self {
            Tier::Sandbox => Tier::Production,
            Tier::Production => Tier::Sandbox,
        }
    }

    /// The name used in manifests and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Sandbox => "sandbox",
            Tier::Production => "production",
        }
    }

    /// Parses a manifest or command-line tier name.
    pub fn parse(s: &str) -> Option<Tier> {
        match s {
            "sandbox" => Some(Tier::Sandbox),
            "production" => Some(Tier::Production),
            _ => None,
        }
    }
}

/// The one normal form of a host name (SPEC 8.4): IDNA to ASCII and lower case
/// (as the `url` crate does for `https://` hosts), without trailing dots, so that
/// `API.OctopusCards.IO.` and `api.octopuscards.io` compare equal. An IP address
/// comes out in its canonical text form (IPv6 in brackets). Idempotent.
pub fn normalize_host(host: &str) -> String {
    // One step can expose another (IDNA maps `。` to a dot that then trails, or
    // leaves `0` that is then read as an IP address): repeat to the fixed point.
    let mut current = normalize_step(host);
    for _ in 0..4 {
        let next = normalize_step(&current);
        if next == current {
            break;
        }
        current = next;
    }
    current
}

fn normalize_step(host: &str) -> String {
    let trimmed = host.trim_end_matches('.');
    let parsed = match url::Host::parse(trimmed) {
        Ok(url::Host::Domain(d)) => d,
        Ok(ip) => ip.to_string(),
        // Not a valid host name (e.g. a bare IPv6 address or a bad IDNA label):
        // still compare case-insensitively.
        Err(_) => trimmed.to_lowercase(),
    };
    parsed.trim_end_matches('.').to_string()
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_spelling_of_the_production_host_is_the_production_host() {
        for spelling in [
            "api.octopuscards.io",
            "API.OCTOPUSCARDS.IO",
            "api.octopuscards.io.",
            "Api.OctopusCards.Io.",
            "API.OCTOPUSCARDS.IO.",
            "api.octopuscards.io..",
            "api.octopuscards.io\u{3002}",
            "\u{ff41}pi.octopuscards.io",
        ] {
            assert_eq!(
                normalize_host(spelling),
                "api.octopuscards.io",
                "{spelling}"
            );
            assert_eq!(
                Tier::of_host_str(spelling),
                Some(Tier::Production),
                "{spelling}"
            );
            for url in [
                format!("https://{spelling}/"),
                format!("http://{spelling}:8443/x"),
            ] {
                let url = url::Url::parse(&url).unwrap();
                assert_eq!(Tier::of_host(&url), Some(Tier::Production), "{url}");
            }
        }
        for spelling in [
            "SANDBOX-API.octopuscards.io.",
            "sandbox-api.OCTOPUSCARDS.io",
        ] {
            assert_eq!(
                Tier::of_host_str(spelling),
                Some(Tier::Sandbox),
                "{spelling}"
            );
        }
        for other in [
            "octopuscards.io",
            "api.octopuscards.io.evil.example",
            "xapi.octopuscards.io",
            "127.0.0.1",
            "",
            ".",
        ] {
            assert_eq!(Tier::of_host_str(other), None, "{other}");
        }
        let loopback = url::Url::parse("http://127.0.0.1:1/").unwrap();
        assert_eq!(Tier::of_host(&loopback), None);
        assert_eq!(normalize_host("[::1]"), "[::1]");
        assert_eq!(normalize_host("::1"), "::1");
    }

    /// A random case and trailing-dot spelling of `host`.
    fn spelling(host: &'static str) -> impl Strategy<Value = String> {
        (
            proptest::collection::vec(any::<bool>(), host.len()),
            0usize..3,
        )
            .prop_map(move |(upper, dots)| {
                let mut s: String = host
                    .chars()
                    .zip(upper)
                    .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
                    .collect();
                s.push_str(&".".repeat(dots));
                s
            })
    }

    proptest! {
        #[test]
        fn normalization_is_idempotent(host in "\\PC{0,40}") {
            let once = normalize_host(&host);
            prop_assert_eq!(normalize_host(&once), once.clone());
        }

        #[test]
        fn normalization_of_host_like_strings_is_idempotent(host in "[a-zA-Z0-9.\\-\u{3002}\u{ff0e}]{0,30}") {
            let once = normalize_host(&host);
            prop_assert_eq!(normalize_host(&once), once.clone());
        }

        #[test]
        fn any_spelling_of_a_canonical_host_is_that_host(
            prod in spelling("api.octopuscards.io"),
            sandbox in spelling("sandbox-api.octopuscards.io"),
        ) {
            prop_assert_eq!(normalize_host(&prod), "api.octopuscards.io");
            prop_assert_eq!(Tier::of_host_str(&prod), Some(Tier::Production));
            prop_assert_eq!(normalize_host(&sandbox), "sandbox-api.octopuscards.io");
            prop_assert_eq!(Tier::of_host_str(&sandbox), Some(Tier::Sandbox));
            let url = url::Url::parse(&format!("https://{prod}/")).unwrap();
            prop_assert_eq!(Tier::of_host(&url), Some(Tier::Production));
        }
    }
}
