//! `kind = "wallet"`: is there a funded wallet in the currency, with enough runway
//! for a wire top-up to clear?
//!
//! Wallets carry only a `currency_id`, so the currency list is fetched too; both are
//! fetched once per run and shared by every wallet check (the production call
//! budget is small). Evidence lists every wallet of the account.

use super::{CheckContext, CheckOutcome};
use crate::codes;
use crate::finding::Finding;
use crate::manifest::WalletSpec;
use crate::octopus::{ApiError, WalletBook};

/// Runs one wallet check.
pub async fn run(spec: &WalletSpec, ctx: &CheckContext) -> CheckOutcome {
    let mut out = CheckOutcome::default();

    let session = match super::session(ctx, "read wallets", &codes::WALLETS_UNREACHABLE).await {
        Ok(s) => s,
        Err(outcome) => return outcome,
    };

    let book = match ctx.api.wallet_book(&session, &ctx.log, ctx.deadline).await {
        Ok(book) => book,
        Err(e) => {
            let finding = match &e {
                ApiError::BudgetExhausted => {
                    Finding::incomplete(&codes::CALL_BUDGET_EXHAUSTED, e.to_string())
                }
                ApiError::Timeout(what) => ctx.timeout_finding(what),
                // Not JSON, the wrong shape, or a balance that is not a finite number.
                ApiError::InvalidResponse(m) => {
                    Finding::incomplete(&codes::API_RESPONSE_INVALID, m.clone())
                }
                _ => Finding::incomplete(&codes::WALLETS_UNREACHABLE, e.to_string()),
            };
            out.findings.push(finding);
            return out;
        }
    };
    judge(spec, &book, &mut out);
    out
}

/// Judges the wallet list against the spec. Pure, so it is tested without a server.
pub fn judge(spec: &WalletSpec, book: &WalletBook, out: &mut CheckOutcome) {
    let listed: Vec<serde_json::Value> = book
        .wallets
        .iter()
        .map(|w| {
            serde_json::json!({
                "id": w.id,
                "currency": book.code_of(w.currency_id).unwrap_or("(unknown currency id)"),
                "currency_id": w.currency_id,
                "amount": w.amount,
                "type": w.wallet_type,
            })
        })
        .collect();
    out.evidence("wallets", listed);
    out.evidence("currency", &spec.currency);

    let wallet = book.wallets.iter().find(|w| {
        book.code_of(w.currency_id)
            .is_some_and(|c| c.eq_ignore_ascii_case(&spec.currency))
    });
    let Some(wallet) = wallet else {
        let have: Vec<&str> = book
            .wallets
            .iter()
            .filter_map(|w| book.code_of(w.currency_id))
            .collect();
        let have = if have.is_empty() {
            "none".to_string()
        } else {
            have.join(", ")
        };
        out.findings.push(Finding::new(
            &codes::WALLET_MISSING,
            format!(
                "no {} wallet on this account (wallets: {have})",
                spec.currency
            ),
        ));
        return;
    };
    let amount = wallet.amount;
    let cur = &spec.currency;
    if !amount.is_finite() {
        // The parser refuses these already; a NaN would pass every `<` comparison below.
        out.findings.push(Finding::incomplete(
            &codes::API_RESPONSE_INVALID,
            format!("the {cur} wallet's balance is not a finite number"),
        ));
        return;
    }
    out.evidence("balance", amount);
    out.measures.wallet_balance = Some(crate::measure::WalletBalance {
        currency: cur.clone(),
        amount,
    });

    if let Some(min) = spec.min_balance
        && amount < min
    {
        out.findings.push(Finding::new(
            &codes::BALANCE_BELOW_MINIMUM,
            format!("{cur} balance {amount:.2} is below min_balance {min:.2}"),
        ));
    } else if let Some(warn) = spec.warn_balance
        && amount < warn
    {
        out.findings.push(Finding::new(
            &codes::BALANCE_LOW,
            format!("{cur} balance {amount:.2} is below warn_balance {warn:.2}"),
        ));
    }
    if let Some(daily) = spec.daily_spend.filter(|d| *d > 0.0) {
        let runway = amount / daily;
        out.evidence("runway_days", (runway * 10.0).round() / 10.0);
        if runway < spec.settlement_days {
            out.findings.push(Finding::new(
                &codes::RUNWAY_SHORT,
                format!(
                    "{cur} balance {amount:.2} lasts {runway:.1} days at {daily:.2} a day, less than the {} days a wire takes to clear",
                    spec.settlement_days
                ),
            ));
        }
    }
    if let Some(expected) = &spec.wallet_type {
        let actual = wallet.wallet_type.as_deref().unwrap_or("(not given)");
        if !actual.eq_ignore_ascii_case(expected) {
            out.findings.push(Finding::new(
                &codes::WALLET_TYPE_UNEXPECTED,
                format!("{cur} wallet is {actual}, expected {expected}"),
            ));
        }
    }
    out.pass_summary = Some(format!(
        "{cur} balance {amount:.2}{}",
        spec.min_balance
            .map(|m| format!(" (minimum {m:.2})"))
            .unwrap_or_default()
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::octopus::types::{Currency, Wallet};

    fn book(wallets: &[(i64, f64, &str)]) -> WalletBook {
        WalletBook {
            wallets: wallets
                .iter()
                .map(|(cid, amount, ty)| Wallet {
                    id: serde_json::json!(cid),
                    currency_id: *cid,
                    amount: *amount,
                    wallet_type: Some(ty.to_string()),
                })
                .collect(),
            currencies: vec![
                Currency {
                    id: 1,
                    currency: "USD".into(),
                    name: None,
                    precision: Some(2),
                },
                Currency {
                    id: 2,
                    currency: "EUR".into(),
                    name: None,
                    precision: Some(2),
                },
            ],
            request_ids: vec![],
        }
    }

    fn spec() -> WalletSpec {
        WalletSpec {
            currency: "USD".into(),
            min_balance: Some(1000.0),
            warn_balance: Some(5000.0),
            daily_spend: Some(1500.0),
            wallet_type: Some("PREPAID".into()),
            settlement_days: 3.0,
        }
    }

    fn codes_for(spec: &WalletSpec, book: &WalletBook) -> Vec<String> {
        let mut out = CheckOutcome::default();
        judge(spec, book, &mut out);
        out.findings.into_iter().map(|f| f.code).collect()
    }

    #[test]
    fn thresholds_are_strict_and_ordered() {
        let s = spec();
        assert!(codes_for(&s, &book(&[(1, 25_000.0, "PREPAID")])).is_empty());
        // Exactly at the minimum is not below it.
        assert_eq!(
            codes_for(&s, &book(&[(1, 1000.0, "PREPAID")])),
            ["balance-low", "runway-short"]
        );
        assert_eq!(
            codes_for(&s, &book(&[(1, 999.99, "PREPAID")])),
            ["balance-below-minimum", "runway-short"]
        );
        assert_eq!(
            codes_for(&s, &book(&[(1, 4999.0, "PREPAID")])),
            ["balance-low"]
        );
        assert_eq!(
            codes_for(&s, &book(&[(1, 4000.0, "PREPAID")])),
            ["balance-low", "runway-short"]
        );
    }

    #[test]
    fn non_finite_balance_is_invalid_never_a_pass() {
        let s = spec();
        for amount in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut out = CheckOutcome::default();
            judge(&s, &book(&[(1, amount, "PREPAID")]), &mut out);
            let codes: Vec<&str> = out.findings.iter().map(|f| f.code.as_str()).collect();
            assert_eq!(codes, ["api-response-invalid"], "{amount}");
        }
    }

    #[test]
    fn missing_wallet_and_type() {
        let s = spec();
        assert_eq!(
            codes_for(&s, &book(&[(2, 9e9, "PREPAID")])),
            ["wallet-missing"]
        );
        assert_eq!(
            codes_for(&s, &book(&[(1, 9e9, "POSTPAID")])),
            ["wallet-type-unexpected"]
        );
        assert_eq!(codes_for(&s, &book(&[])), ["wallet-missing"]);
    }
}
