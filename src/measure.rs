//! Typed measurements a check makes that dashboards chart (`--format
//! prometheus`, `golive watch`): a wallet's balance, a webhook certificate's
//! expiry.
//!
//! The same facts are in the check's JSON evidence for people and pipelines;
//! these typed copies exist so that no renderer reads evidence keys back out of
//! JSON. They are not part of the JSON report: a report read back from a file
//! (`golive report merge`) has none.

/// What a check measured; empty for most checks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measures {
    /// A `wallet` check that found its wallet: its balance.
    pub wallet_balance: Option<WalletBalance>,
    /// A `webhook` check that completed a TLS handshake: when the endpoint's
    /// certificate expires.
    pub cert_not_after: Option<jiff::Timestamp>,
}

/// A wallet balance in its currency.
#[derive(Debug, Clone, PartialEq)]
pub struct WalletBalance {
    /// The currency code, e.g. `USD`.
    pub currency: String,
    /// The balance; always finite.
    pub amount: f64,
}
