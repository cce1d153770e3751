//! `kind = "wallet"`: is there a funded wallet in the currency, with enough runway
//! for a wire top-up to clear?
//!
//! Wallets carry only a `currency_id`, so the currency list is fetched too; both are
//! fetched once per run and shared by every wallet check (the production call
//! budget is small). Evidence lists every wallet of the account.

use futures_util::future::BoxFuture;

use super::{Check, CheckContext, CheckOutcome, DEFAULT_CHECK_TIMEOUT, Kind, evidence, settings};
use crate::codes;
use crate::finding::Finding;
use crate::manifest::DiagLevel;
use crate::manifest::KindDef;
use crate::manifest::kind::{Diags, Field, KindInput, raw};
use crate::octopus::{ApiError, WalletBook};

/// `kind = "wallet"`.
pub const KIND: Kind = Kind {
    def: KindDef {
        name: "wallet",
        about: "a wallet in the currency is reachable and funded, with runway for a top-up to clear",
        keys: &[
            "currency",
            "min_balance",
            "warn_balance",
            "daily_spend",
            "type",
            "settlement_days",
        ],
        default_timeout: DEFAULT_CHECK_TIMEOUT,
        parse: |input| parse(input).and_then(settings),
    },
    codes: CODES,
    evidence_about: "The account's wallets and the judged one.",
    evidence,
};

/// The JSON Schema properties of this kind's evidence.
fn evidence() -> serde_json::Value {
    let string = evidence::string();
    serde_json::json!({
        "currency": string,
        "wallets": {
            "type": "array",
            "description": "Every wallet of the account.",
            "items": { "type": "object", "properties": {
                "id": {}, "currency": string, "currency_id": {},
                "amount": { "type": "number" }, "type": { "type": ["string", "null"] }
            } }
        },
        "balance": { "type": "number", "description": "The balance of the wallet in `currency`." },
        "runway_days": { "type": "number", "description": "balance / daily_spend, to one decimal." }
    })
}

codes::declare_codes! {
    CODES;
    WALLETS_UNREACHABLE = { "wallets-unreachable", "wallet", Fail, true,
        "GET /api/v1/wallets or /api/v1/currencies could not be completed.",
        "Without the wallet list golive cannot tell whether orders will be funded; the result is inconclusive.",
        "Fix login first (see the credentials check), then check connectivity to the API. The message names the failure.",
        Some(codes::DOCS_WALLETS) }
    WALLET_MISSING = { "wallet-missing", "wallet", Fail, false,
        "The account has no wallet in the required currency.",
        "Orders are debited from the wallet matching the product's currency; without it, orders fail or trigger currency conversion you did not plan for.",
        "Ask your account manager to onboard the currency (one wallet per currency) and fund it by wire.",
        Some(codes::DOCS_PRODUCTION) }
    BALANCE_BELOW_MINIMUM = { "balance-below-minimum", "wallet", Fail, false,
        "The wallet's balance is below min_balance.",
        "Prepaid orders are rejected with INSUFFICIENT_FUNDS once the balance cannot cover them, and a wire top-up takes days to clear.",
        "Top up the wallet by wire through your account manager before launch, or lower min_balance if the threshold is wrong.",
        Some(codes::DOCS_WALLETS) }
    BALANCE_LOW = { "balance-low", "wallet", Warn, false,
        "The wallet's balance is below warn_balance.",
        "The balance covers launch but leaves little margin before orders start failing.",
        "Plan a top-up now: wires clear in one to two business days.",
        Some(codes::DOCS_WALLETS) }
    RUNWAY_SHORT = { "runway-short", "wallet", Warn, false,
        "At the expected daily spend the balance runs out before a wire top-up could clear.",
        "Low-balance alerts must fire days ahead because funding is by wire; a runway shorter than settlement_days means the next top-up would arrive after orders stop.",
        "Top up now, or raise the balance to at least daily_spend x settlement_days, and alert on the wallet.debited webhook.",
        Some(codes::DOCS_WALLETS) }
    WALLET_TYPE_UNEXPECTED = { "wallet-type-unexpected", "wallet", Warn, false,
        "The wallet's type (PREPAID or POSTPAID) is not the expected one.",
        "PREPAID wallets refuse orders the balance cannot cover; POSTPAID ones run on credit. Monitoring built for one type is wrong for the other.",
        "Confirm the wallet type with your account manager and adjust the check's type or your monitoring.",
        Some(codes::DOCS_WALLETS) }
}

/// `kind = "wallet"` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct WalletSpec {
    /// ISO 4217 code, upper case.
    pub currency: String,
    /// Below this (strictly): fail.
    pub min_balance: Option<f64>,
    /// Below this: warn.
    pub warn_balance: Option<f64>,
    /// Expected spend per day, for the runway warning.
    pub daily_spend: Option<f64>,
    /// Expected wallet type, e.g. `PREPAID`.
    pub wallet_type: Option<String>,
    /// Days a wire top-up takes to clear (default 3).
    pub settlement_days: f64,
}

impl Check for WalletSpec {
    fn title(&self, _id: &str) -> String {
        format!("{} wallet is funded", self.currency)
    }

    fn run<'a>(&'a self, ctx: &'a CheckContext) -> BoxFuture<'a, CheckOutcome> {
        Box::pin(run(self, ctx))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A money amount: a number, not negative.
fn amount(f: &Field<'_, '_>, d: &mut Diags) -> Option<f64> {
    let n = raw::number(f.value, &f.what(), d)?;
    if n < 0.0 {
        d.error(f.value.span(), format!("{} must not be negative", f.what()));
        return None;
    }
    Some(n)
}

/// Validates a wallet check's keys; lints thresholds that can never warn.
pub fn parse(input: &mut KindInput<'_, '_, '_>) -> Option<WalletSpec> {
    let currency = input.required("currency", |f, d| {
        let c = raw::string(f.value, &f.what(), d)?;
        if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) {
            return Some(c.to_string());
        }
        let hint = if c.len() == 3 && c.is_ascii() {
            format!("; write \"{}\"", c.to_ascii_uppercase())
        } else {
            String::new()
        };
        d.error(
            f.value.span(),
            format!(
                "currency `{}` is not a 3-letter upper-case ISO 4217 code such as \"USD\"{hint}",
                raw::show(c)
            ),
        );
        None
    });
    let min_balance = input.optional("min_balance", amount);
    let warn_balance = input.optional("warn_balance", amount);
    let daily_spend = input.optional("daily_spend", amount);
    let wallet_type = input.optional("type", |f, d| {
        let s = raw::string(f.value, &f.what(), d)?;
        // New wallet types may appear in the API; any upper-case name is accepted,
        // only the spelling is checked.
        let well_formed = s.starts_with(|c: char| c.is_ascii_uppercase())
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if well_formed {
            return Some(s.to_string());
        }
        d.error(
            f.value.span(),
            format!(
                "wallet type `{}` must be written in upper case as the API spells it, e.g. \"PREPAID\" or \"POSTPAID\"",
                raw::show(s)
            ),
        );
        None
    });
    let settlement_days = input
        .optional("settlement_days", |f, d| {
            let n = raw::number(f.value, &f.what(), d)?;
            if n <= 0.0 {
                d.error(f.value.span(), "`settlement_days` must be greater than 0");
                return None;
            }
            Some(n)
        })
        .unwrap_or(3.0);
    if let (Some(min), Some(warn)) = (min_balance, warn_balance)
        && warn <= min
    {
        let id = input.id.to_string();
        input.lint(
            &["warn_balance"],
            DiagLevel::Warning,
            &codes::BALANCE_THRESHOLDS_INVERTED,
            format!(
                "check `{id}`: warn_balance {warn} is not above min_balance {min}, so balance-low can never be reported (a balance below {warn} already fails)"
            ),
            "set warn_balance above min_balance (the early warning, e.g. a week of spend above the minimum), or remove warn_balance",
        );
    }
    Some(WalletSpec {
        currency: currency?,
        min_balance,
        warn_balance,
        daily_spend,
        wallet_type,
        settlement_days,
    })
}

/// Runs one wallet check.
pub async fn run(spec: &WalletSpec, ctx: &CheckContext) -> CheckOutcome {
    let mut out = CheckOutcome::default();

    let session = match super::session(ctx, "read wallets", &WALLETS_UNREACHABLE).await {
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
                _ => Finding::incomplete(&WALLETS_UNREACHABLE, e.to_string()),
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
            &WALLET_MISSING,
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
            &BALANCE_BELOW_MINIMUM,
            format!("{cur} balance {amount:.2} is below min_balance {min:.2}"),
        ));
    } else if let Some(warn) = spec.warn_balance
        && amount < warn
    {
        out.findings.push(Finding::new(
            &BALANCE_LOW,
            format!("{cur} balance {amount:.2} is below warn_balance {warn:.2}"),
        ));
    }
    if let Some(daily) = spec.daily_spend.filter(|d| *d > 0.0) {
        let runway = amount / daily;
        out.evidence("runway_days", (runway * 10.0).round() / 10.0);
        if runway < spec.settlement_days {
            out.findings.push(Finding::new(
                &RUNWAY_SHORT,
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
                &WALLET_TYPE_UNEXPECTED,
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
