//! The simulated account's wallets and the transactions on them (octopus-api.md
//! section 5): what they hold, and how `GET /api/v1/wallets` and the transaction
//! lists show them.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::SimState;
use super::catalogue::money;

#[derive(Debug, Clone)]
pub(super) struct Wallet {
    pub(super) id: i64,
    pub(super) currency_id: i64,
    /// Available balance in hundredths.
    pub(super) amount: i64,
    pub(super) kind: &'static str,
}

#[derive(Debug, Clone)]
pub(super) struct Fx {
    pub(super) source: &'static str,
    pub(super) destination: &'static str,
    pub(super) rate: f64,
    pub(super) fee: i64,
}

#[derive(Debug, Clone)]
pub(super) struct Transaction {
    pub(super) id: i64,
    pub(super) wallet_id: i64,
    pub(super) currency_id: i64,
    pub(super) amount: i64,
    pub(super) kind: &'static str,
    pub(super) fx: Option<Fx>,
    pub(super) remarks: String,
    pub(super) created_at: Timestamp,
}

impl Transaction {
    pub(super) fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "wallet_id": self.wallet_id,
            "currency_id": self.currency_id,
            "amount": money(self.amount),
            "transaction_type": self.kind,
            "status": "COMPLETED",
            "source_currency": self.fx.as_ref().map(|f| f.source),
            "destination_currency": self.fx.as_ref().map(|f| f.destination),
            "forex_rate": self.fx.as_ref().map(|f| f.rate),
            "conversion_charges": self.fx.as_ref().map(|f| money(f.fee)),
            "remarks": self.remarks,
            "created_at": self.created_at.to_string(),
        })
    }
}

impl SimState {
    // --- wallets and transactions -------------------------------------------------

    /// `GET /api/v1/wallets`.
    pub(crate) fn wallets_json(&self) -> Value {
        Value::Array(
            self.wallets
                .iter()
                .map(|w| {
                    json!({"id": w.id, "currency_id": w.currency_id, "amount": money(w.amount), "type": w.kind})
                })
                .collect(),
        )
    }

    /// One transaction by id.
    pub(crate) fn transaction_json(&self, id: i64) -> Option<Value> {
        self.transactions
            .iter()
            .find(|t| t.id == id)
            .map(Transaction::to_json)
    }

    /// Transactions newest first, optionally of one wallet.
    pub(crate) fn transactions_json(&self, wallet_id: Option<i64>) -> Vec<Value> {
        self.transactions
            .iter()
            .rev()
            .filter(|t| wallet_id.is_none_or(|w| t.wallet_id == w))
            .map(Transaction::to_json)
            .collect()
    }
}
