//! Quotes and orders (octopus-api.md sections 8 and 9): pricing an order against
//! the catalogue and a wallet (discount, FX, fees), creating it (duplicate
//! `client_reference`, balance, debit), delivering it synchronously or later with
//! vouchers, the fulfilment-failure cycle and its refunds, and the events each
//! step announces.

use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Value, json};

use super::catalogue::{PRODUCTS, currency, money, money_text, round_div};
use super::wallets::{Fx, Transaction};
use super::{Scenario, SimState, now_ts, random_digits, ts_plus};
use crate::sim::error::ApiError;

/// Hard cap on an order's quantity, and the `max_quantity` quotes report.
pub(super) const MAX_QUANTITY: i64 = 5000;
/// Largest quantity fulfilled synchronously.
pub(crate) const SYNC_MAX_QUANTITY: i64 = 5;

#[derive(Debug, Clone)]
pub(super) struct Voucher {
    pub(super) card_number: String,
    pub(super) pin_code: String,
    pub(super) expires_at: Timestamp,
}

impl Voucher {
    /// A mock voucher: not redeemable anywhere.
    pub(super) fn mock() -> Self {
        Voucher {
            card_number: format!("SIM{}", random_digits(13)),
            pin_code: random_digits(6),
            expires_at: ts_plus(now_ts(), Duration::from_secs(365 * 24 * 3600)),
        }
    }

    pub(super) fn to_json(&self) -> Value {
        json!({
            "card_number": self.card_number,
            "pin_code": self.pin_code,
            "claim_url": null,
            "expires_at": self.expires_at.to_string(),
            "voucher_reference_number": null,
        })
    }
}

#[derive(Debug, Clone)]
pub(super) struct Order {
    pub(super) id: i64,
    pub(super) product_id: i64,
    pub(super) product_name: &'static str,
    pub(super) denomination: i64,
    pub(super) quantity: i64,
    pub(super) amount: i64,
    pub(super) discount_bp: i64,
    pub(super) client_reference: Option<String>,
    pub(super) wallet_id: i64,
    pub(super) status: &'static str,
    pub(super) base_currency: &'static str,
    pub(super) vouchers: Vec<Voucher>,
    pub(super) created_at: Timestamp,
    /// What left the wallet (`total_payable`, in the wallet's currency), for refunds.
    pub(super) paid: i64,
}

impl Order {
    pub(super) fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "product_id": self.product_id,
            "product_name": self.product_name,
            "denomination": money(self.denomination),
            "quantity": self.quantity,
            "amount": money(self.amount),
            "discount": self.discount_bp as f64 / 100.0,
            "client_reference": self.client_reference,
            "wallet_id": self.wallet_id,
            "status": self.status,
            "base_currency": self.base_currency,
            "vouchers": self.vouchers.iter().map(Voucher::to_json).collect::<Vec<_>>(),
            "created_at": self.created_at.to_string(),
        })
    }

    pub(super) fn deliver(&mut self) {
        self.status = "DELIVERED";
        self.vouchers = (0..self.quantity).map(|_| Voucher::mock()).collect();
    }
}

/// The `data` of an `order.*` event, with exactly the fields octopus-api.md section
/// 10.5 documents for `order.delivered` / `order.partially_delivered`: `id` (int),
/// `reference_code` (the order's `client_reference`, `null` without one: the
/// simulator's reading of "your reference code"), `status`, `product_name`,
/// `denomination`, `quantity`, `amount` (total face value), `delivered_quantity`,
/// `delivered_on` and `created_at`. No voucher codes, as documented. The docs leave
/// the `order.failed` / `order.cancelled` payloads open; the simulator uses the same
/// shape for them (its own choice).
pub(super) fn order_event_data(order: &Order, delivered_quantity: i64) -> Value {
    json!({
        "id": order.id,
        "reference_code": order.client_reference,
        "status": order.status,
        "product_name": order.product_name,
        "denomination": money(order.denomination),
        "quantity": order.quantity,
        "amount": money(order.amount),
        "delivered_quantity": delivered_quantity,
        "delivered_on": (delivered_quantity > 0).then(|| now_ts().to_string()),
        "created_at": order.created_at.to_string(),
    })
}

/// A validated `POST /api/v1/orders` or charges body (denomination in hundredths).
#[derive(Debug, Clone)]
pub(crate) struct OrderRequest {
    pub(crate) product_id: i64,
    pub(crate) denomination: i64,
    pub(crate) quantity: i64,
    pub(crate) wallet_id: Option<i64>,
    pub(crate) client_reference: Option<String>,
}

/// A price quote (octopus-api.md section 8.3). Amounts in hundredths; the totals up to
/// `total_amount` are in the product's currency, `net_amount` onwards in the wallet's.
#[derive(Debug, Clone)]
pub(super) struct Quote {
    pub(super) product_idx: usize,
    pub(super) wallet_idx: usize,
    pub(super) non_discounted_total: i64,
    pub(super) discount_bp: i64,
    pub(super) discount_amount: i64,
    pub(super) total_amount: i64,
    pub(super) fx: Fx,
    pub(super) net_amount: i64,
    pub(super) total_payable: i64,
}

impl Quote {
    pub(super) fn to_json(&self) -> Value {
        json!({
            "non_discounted_total": money(self.non_discounted_total),
            "discount_amount": money(self.discount_amount),
            "total_amount": money(self.total_amount),
            "discount": self.discount_bp as f64 / 100.0,
            "gst_amount": money(0),
            "total_payable": money(self.total_payable),
            "max_quantity": MAX_QUANTITY,
            "net_amount": money(self.net_amount),
            "handling_fee_amount": money(0),
            "charges_details": {
                "source_currency": self.fx.source,
                "destination_currency": self.fx.destination,
                "forex_rate": self.fx.rate,
                "conversion_fee": money(self.fx.fee),
            },
        })
    }
}

impl SimState {
    // --- quotes and orders --------------------------------------------------------

    fn quote(&self, req: &OrderRequest) -> Result<Quote, ApiError> {
        let product_idx = PRODUCTS
            .iter()
            .position(|p| p.id == req.product_id)
            .ok_or_else(|| ApiError::not_found("Product not found"))?;
        let product = &PRODUCTS[product_idx];
        if req.denomination < product.min_denomination
            || req.denomination > product.max_denomination
        {
            return Err(ApiError::validation(format!(
                "denomination must be between {} and {} for this product",
                money_text(product.min_denomination),
                money_text(product.max_denomination)
            )));
        }
        let source = currency(product.currency_id);
        let wallet_idx = match req.wallet_id {
            Some(id) => self
                .wallets
                .iter()
                .position(|w| w.id == id)
                .ok_or_else(|| ApiError::not_found("Wallet not found"))?,
            None => self
                .wallets
                .iter()
                .position(|w| w.currency_id == product.currency_id)
                .ok_or_else(|| {
                    ApiError::bad_request(format!("No wallet in {} for this client", source.code))
                })?,
        };
        let destination = currency(self.wallets[wallet_idx].currency_id);
        let non_discounted_total = req.denomination * req.quantity;
        let discount_amount = round_div(non_discounted_total * product.discount_bp, 10_000);
        let total_amount = non_discounted_total - discount_amount;
        let (fx, net_amount) = if source.id == destination.id {
            let fx = Fx {
                source: source.code,
                destination: destination.code,
                rate: 1.0,
                fee: 0,
            };
            (fx, total_amount)
        } else {
            let rate = (source.usd_per_unit / destination.usd_per_unit * 1e6).round() / 1e6;
            let converted = (total_amount as f64 * rate).round() as i64;
            // A 1 % conversion fee, charged in the wallet's currency.
            let fee = round_div(converted, 100);
            let fx = Fx {
                source: source.code,
                destination: destination.code,
                rate,
                fee,
            };
            (fx, converted + fee)
        };
        Ok(Quote {
            product_idx,
            wallet_idx,
            non_discounted_total,
            discount_bp: product.discount_bp,
            discount_amount,
            total_amount,
            fx,
            net_amount,
            // The handling fee is currently 0 (documented).
            total_payable: net_amount,
        })
    }

    /// `POST /api/v1/products/:id/charges`: a quote, changing nothing.
    pub(crate) fn charges(&self, req: &OrderRequest) -> Result<Value, ApiError> {
        self.quote(req).map(|q| q.to_json())
    }

    /// `POST /api/v1/orders`: validates against the catalogue, rejects a duplicate
    /// `client_reference`, debits the wallet synchronously and records the order.
    /// Returns the order's JSON and, for an asynchronous order, its id (the caller
    /// schedules [`SimState::deliver`]).
    pub(crate) fn create_order(
        &mut self,
        req: &OrderRequest,
    ) -> Result<(Value, Option<i64>), ApiError> {
        let quote = self.quote(req)?;
        if let Some(r) = &req.client_reference
            && self.by_reference.contains_key(r)
        {
            return Err(ApiError::bad_request("Duplicate client_reference"));
        }
        let product = &PRODUCTS[quote.product_idx];
        let wallet = &mut self.wallets[quote.wallet_idx];
        if wallet.kind == "PREPAID" && wallet.amount < quote.total_payable {
            return Err(ApiError::insufficient_funds(format!(
                "Insufficient wallet balance: {} {} needed",
                money_text(quote.total_payable),
                quote.fx.destination
            )));
        }
        wallet.amount -= quote.total_payable;
        let (wallet_id, wallet_currency, balance) = (wallet.id, wallet.currency_id, wallet.amount);

        let id = self.next_order_id;
        self.next_order_id += 1;
        let created_at = now_ts();
        let mut order = Order {
            id,
            product_id: product.id,
            product_name: product.name,
            denomination: req.denomination,
            quantity: req.quantity,
            amount: quote.non_discounted_total,
            discount_bp: quote.discount_bp,
            client_reference: req.client_reference.clone(),
            wallet_id,
            status: "PENDING",
            base_currency: quote.fx.source,
            vouchers: Vec::new(),
            created_at,
            paid: quote.total_payable,
        };
        let sync = req.quantity <= SYNC_MAX_QUANTITY;
        if sync {
            order.deliver();
        }

        let transaction_id = self.next_transaction_id;
        self.next_transaction_id += 1;
        self.transactions.push(Transaction {
            id: transaction_id,
            wallet_id,
            currency_id: wallet_currency,
            amount: quote.total_payable,
            kind: "DEBIT",
            fx: (quote.fx.source != quote.fx.destination).then(|| quote.fx.clone()),
            remarks: format!(
                "Order {id}: {} x {} {} {}",
                req.quantity,
                product.name,
                money_text(req.denomination),
                quote.fx.source
            ),
            created_at,
        });
        self.emit(
            "wallet.debited",
            json!({
                "wallet_id": wallet_id,
                "currency": currency(wallet_currency).code,
                "amount": money(quote.total_payable),
                "balance": money(balance),
                "transaction_id": transaction_id,
                "order_id": id,
            }),
        );
        if sync {
            self.emit_delivered(&order);
        }
        if let Some(r) = &req.client_reference {
            self.by_reference.insert(r.clone(), id);
        }
        let body = order.to_json();
        self.orders.push(order);
        Ok((body, (!sync).then_some(id)))
    }

    /// Completes a pending order: vouchers issued, status `DELIVERED`. In
    /// [`Scenario::FulfilmentFailures`] the asynchronous orders end, in turn,
    /// `FAILED`, `PARTIALLY_DELIVERED`, `CANCELLED` and `DELIVERED` (then again from
    /// the start): the simulator's choice of a predictable rule. The money flow is the
    /// documented one (section 8.1): the debit at creation stays, and what was not
    /// delivered is refunded as a separate `CREDIT` (the whole amount for `FAILED`
    /// and `CANCELLED`; for `PARTIALLY_DELIVERED`, where half the vouchers, rounded
    /// down, fail, their share: a simulator choice), announced by `wallet.credited`.
    pub(crate) fn deliver(&mut self, order_id: i64) {
        let Some(idx) = self
            .orders
            .iter()
            .position(|o| o.id == order_id && o.status == "PENDING")
        else {
            return;
        };
        let outcome = if self.scenario == Scenario::FulfilmentFailures {
            const CYCLE: [&str; 4] = ["FAILED", "PARTIALLY_DELIVERED", "CANCELLED", "DELIVERED"];
            CYCLE[self.async_completed % CYCLE.len()]
        } else {
            "DELIVERED"
        };
        self.async_completed += 1;
        let order = &mut self.orders[idx];
        let (event, delivered) = match outcome {
            "DELIVERED" => {
                order.deliver();
                let order = order.clone();
                self.emit_delivered(&order);
                return;
            }
            "PARTIALLY_DELIVERED" => {
                let delivered = order.quantity - order.quantity / 2;
                order.status = "PARTIALLY_DELIVERED";
                order.vouchers = (0..delivered).map(|_| Voucher::mock()).collect();
                ("order.partially_delivered", delivered)
            }
            "CANCELLED" => {
                order.status = "CANCELLED";
                ("order.cancelled", 0)
            }
            _ => {
                order.status = "FAILED";
                ("order.failed", 0)
            }
        };
        let order = order.clone();
        self.emit(event, order_event_data(&order, delivered));
        let undelivered = order.quantity - delivered;
        let refund = if undelivered == order.quantity {
            order.paid
        } else {
            round_div(order.paid * undelivered, order.quantity)
        };
        self.refund(&order, refund);
    }

    /// Credits `amount` back to the order's wallet as a separate `CREDIT`
    /// transaction and announces it with `wallet.credited`.
    fn refund(&mut self, order: &Order, amount: i64) {
        let Some(wallet) = self.wallets.iter_mut().find(|w| w.id == order.wallet_id) else {
            return;
        };
        wallet.amount += amount;
        let (wallet_id, wallet_currency, balance) = (wallet.id, wallet.currency_id, wallet.amount);
        let transaction_id = self.next_transaction_id;
        self.next_transaction_id += 1;
        self.transactions.push(Transaction {
            id: transaction_id,
            wallet_id,
            currency_id: wallet_currency,
            amount,
            kind: "CREDIT",
            fx: None,
            remarks: format!("Refund for order {} ({})", order.id, order.status),
            created_at: now_ts(),
        });
        self.emit(
            "wallet.credited",
            json!({
                "wallet_id": wallet_id,
                "currency": currency(wallet_currency).code,
                "amount": money(amount),
                "balance": money(balance),
                "transaction_id": transaction_id,
                "order_id": order.id,
            }),
        );
    }

    fn emit_delivered(&mut self, order: &Order) {
        self.emit("order.delivered", order_event_data(order, order.quantity));
    }

    /// One order by id.
    pub(crate) fn order_json(&self, id: i64) -> Option<Value> {
        self.orders.iter().find(|o| o.id == id).map(Order::to_json)
    }

    /// Orders newest first, or the one order with a `client_reference`.
    pub(crate) fn orders_json(&self, client_reference: Option<&str>) -> Vec<Value> {
        match client_reference {
            Some(r) => self
                .by_reference
                .get(r)
                .and_then(|id| self.order_json(*id))
                .into_iter()
                .collect(),
            None => self.orders.iter().rev().map(Order::to_json).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::state::allowlist_for;
    use crate::tier::Tier;
    #[test]
    fn cross_currency_quote_converts_and_charges_a_fee() {
        let st = SimState::new(
            Tier::Sandbox,
            Scenario::Healthy,
            "203.0.113.10".parse().unwrap(),
            allowlist_for(Scenario::Healthy),
        );
        let req = OrderRequest {
            product_id: 456,
            denomination: 5_000,
            quantity: 2,
            wallet_id: Some(1),
            client_reference: None,
        };
        let q = st.quote(&req).unwrap();
        assert_eq!(q.non_discounted_total, 10_000);
        assert_eq!(q.discount_amount, 200);
        assert_eq!(q.total_amount, 9_800);
        assert_eq!(q.fx.source, "EUR");
        assert_eq!(q.fx.destination, "USD");
        assert_eq!(q.fx.rate, 1.08);
        // 98.00 EUR -> 105.84 USD, 1 % fee 1.06 USD.
        assert_eq!(q.fx.fee, 106);
        assert_eq!(q.total_payable, 10_584 + 106);
    }
}
