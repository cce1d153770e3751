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
    /// The client's voucher feature is off: `GET /api/v1/categories` answers 400
    /// `INVALID_FEATURE`.
    VouchersDisabled,
    /// The wallets are `POSTPAID`: orders go through on credit, past the balance.
    Postpaid,
    /// Asynchronous orders end, in turn, `FAILED`, `PARTIALLY_DELIVERED`,
    /// `CANCELLED` and `DELIVERED`, with refunds and their events.
    FulfilmentFailures,
    /// One API request in three answers 500, 502, 503 or 504 (in turn), without
    /// effect.
    Flaky,
    /// Every webhook event is delivered twice, with the same `X-Event-ID`.
    DuplicateDeliveries,
    /// The reference webhook receiver accepts any signature, or none.
    ReceiverNoVerify,
    /// The reference webhook receiver verifies the signature over a compact, sorted
    /// re-serialization of the parsed body instead of the raw bytes.
    ReceiverReserializes,
    /// The reference webhook receiver answers 409 to a repeated `X-Event-ID`.
    ReceiverRejectsDuplicates,
    /// The reference webhook receiver is correct but acknowledges after 6 s.
    ReceiverSlow,
    /// The reference webhook receiver never answers.
    ReceiverHangs,
    /// The reference webhook receiver ignores `X-Timestamp`.
    ReceiverNoReplayCheck,
    /// The reference webhook receiver answers 400 to event types it does not know.
    ReceiverRejectsUnknown,
    /// The reference webhook receiver answers 500 to everything.
    ReceiverDown,
    /// The reference webhook receiver verifies with a different secret.
    ReceiverWrongSecret,
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
        (
            Scenario::VouchersDisabled,
            "vouchers-disabled",
            "the voucher feature is off: GET /api/v1/categories answers 400 INVALID_FEATURE",
        ),
        (
            Scenario::Postpaid,
            "postpaid",
            "POSTPAID wallets: orders go through on credit, the balance may go negative",
        ),
        (
            Scenario::FulfilmentFailures,
            "fulfilment-failures",
            "async orders end FAILED, PARTIALLY_DELIVERED, CANCELLED, DELIVERED in turn, refunded as CREDITs",
        ),
        (
            Scenario::Flaky,
            "flaky",
            "one API request in three answers 500, 502, 503 or 504 (in turn), without effect",
        ),
        (
            Scenario::DuplicateDeliveries,
            "duplicate-deliveries",
            "every webhook event is delivered twice, with the same X-Event-ID",
        ),
        (
            Scenario::ReceiverNoVerify,
            "receiver-no-verify",
            "the reference webhook receiver accepts any signature, or none",
        ),
        (
            Scenario::ReceiverReserializes,
            "receiver-reserializes",
            "the reference webhook receiver verifies a re-serialized body, not the raw bytes",
        ),
        (
            Scenario::ReceiverRejectsDuplicates,
            "receiver-rejects-duplicates",
            "the reference webhook receiver answers 409 to a repeated X-Event-ID",
        ),
        (
            Scenario::ReceiverSlow,
            "receiver-slow",
            "the reference webhook receiver is correct but acknowledges after 6 s",
        ),
        (
            Scenario::ReceiverHangs,
            "receiver-hangs",
            "the reference webhook receiver never answers",
        ),
        (
            Scenario::ReceiverNoReplayCheck,
            "receiver-no-replay-check",
            "the reference webhook receiver accepts any X-Timestamp, however old",
        ),
        (
            Scenario::ReceiverRejectsUnknown,
            "receiver-rejects-unknown",
            "the reference webhook receiver answers 400 to unknown event types",
        ),
        (
            Scenario::ReceiverDown,
            "receiver-down",
            "the reference webhook receiver answers 500 to everything",
        ),
        (
            Scenario::ReceiverWrongSecret,
            "receiver-wrong-secret",
            "the reference webhook receiver verifies with a different secret",
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

    /// Whether this scenario breaks the reference webhook receiver (the API itself
    /// stays healthy).
    pub fn is_receiver(self) -> bool {
        matches!(
            self,
            Scenario::ReceiverNoVerify
                | Scenario::ReceiverReserializes
                | Scenario::ReceiverRejectsDuplicates
                | Scenario::ReceiverSlow
                | Scenario::ReceiverHangs
                | Scenario::ReceiverNoReplayCheck
                | Scenario::ReceiverRejectsUnknown
                | Scenario::ReceiverDown
                | Scenario::ReceiverWrongSecret
        )
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
