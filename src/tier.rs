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

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
