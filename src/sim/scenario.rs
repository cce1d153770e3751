//! Simulator scenarios: ways the simulated Octopus misbehaves on purpose, so that
//! every finding can be seen without an account.

/// What the simulator does wrong, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Scenario {
    /// Everything as a well-run account looks on launch day.
    #[default]
    Healthy,
    /// Wallet balances far below any sensible launch minimum.
    LowBalance,
    /// The account has an IP allowlist that excludes the simulated client IP:
    /// login and every protected route answer 403 FORBIDDEN.
    BlockedIp,
    /// The credentials the simulator hands out belong to the other tier: login 401.
    WrongTier,
    /// The first request of every rate-limit class answers 429 with `Retry-After: 1`.
    RateLimited,
}

impl Scenario {
    /// Every scenario with its name and a one-line description, for `--help` and errors.
    pub const ALL: &'static [(Scenario, &'static str, &'static str)] = &[
        (
            Scenario::Healthy,
            "healthy",
            "a well-run account: everything passes",
        ),
        (
            Scenario::LowBalance,
            "low-balance",
            "wallet balances far below the launch minimum",
        ),
        (
            Scenario::BlockedIp,
            "blocked-ip",
            "an IP allowlist that excludes this client: 403 on login",
        ),
        (
            Scenario::WrongTier,
            "wrong-tier",
            "credentials of the other tier: 401 on login",
        ),
        (
            Scenario::RateLimited,
            "rate-limited",
            "the first call of each rate-limit class gets 429 + Retry-After: 1",
        ),
    ];

    /// Parses a scenario name.
    pub fn parse(name: &str) -> Option<Scenario> {
        Self::ALL
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(s, _, _)| *s)
    }

    /// The scenario's name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(s, _, _)| *s == self)
            .map(|(_, n, _)| *n)
            .unwrap_or("healthy")
    }

    /// All names, comma separated, for error messages.
    pub fn names() -> String {
        Self::ALL
            .iter()
            .map(|(_, n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl std::fmt::Display for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
