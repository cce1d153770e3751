//! The simulator's reference data: currencies with their FX reference rates, the
//! small voucher catalogue (products, denominations, categories) and how money is
//! written (integer hundredths rendered as JSON numbers or text).

use serde_json::{Value, json};

use super::Scenario;
use crate::sim::error::ApiError;

/// A currency of `GET /api/v1/currencies`, with the simulator's FX reference rate.
pub(super) struct Currency {
    pub(super) id: i64,
    pub(super) name: &'static str,
    pub(super) code: &'static str,
    pub(super) precision: u32,
    /// US dollars per unit, for the simulated FX rates.
    pub(super) usd_per_unit: f64,
}

pub(super) const CURRENCIES: &[Currency] = &[
    Currency {
        id: 1,
        name: "US Dollar",
        code: "USD",
        precision: 2,
        usd_per_unit: 1.0,
    },
    Currency {
        id: 2,
        name: "Euro",
        code: "EUR",
        precision: 2,
        usd_per_unit: 1.08,
    },
    Currency {
        id: 3,
        name: "Pound Sterling",
        code: "GBP",
        precision: 2,
        usd_per_unit: 1.27,
    },
    Currency {
        id: 4,
        name: "Japanese Yen",
        code: "JPY",
        precision: 0,
        usd_per_unit: 0.0067,
    },
];

pub(super) fn currency(id: i64) -> &'static Currency {
    CURRENCIES
        .iter()
        .find(|c| c.id == id)
        .unwrap_or(&CURRENCIES[0])
}

/// A voucher product of the small simulated catalogue.
pub(super) struct Product {
    pub(super) id: i64,
    pub(super) name: &'static str,
    pub(super) currency_id: i64,
    /// Discount in basis points (350 = 3.5 %).
    pub(super) discount_bp: i64,
    /// Smallest and largest denomination, in hundredths.
    pub(super) min_denomination: i64,
    pub(super) max_denomination: i64,
    pub(super) category_id: i64,
    pub(super) country_id: i64,
}

pub(super) const PRODUCTS: &[Product] = &[
    Product {
        id: 123,
        name: "Amazon.com Gift Card",
        currency_id: 1,
        discount_bp: 350,
        min_denomination: 100,
        max_denomination: 100_000,
        category_id: 1,
        country_id: 1,
    },
    Product {
        id: 456,
        name: "Zalando Gift Card",
        currency_id: 2,
        discount_bp: 200,
        min_denomination: 100,
        max_denomination: 100_000,
        category_id: 2,
        country_id: 2,
    },
];

/// A voucher category of `GET /api/v1/categories` (shape not documented: `id` and
/// `name` are the simulator's choice).
pub(super) const CATEGORIES: &[(i64, &str)] = &[(1, "Shopping"), (2, "Fashion")];

/// `GET /api/v1/categories`: every category, or 400 `INVALID_FEATURE` when the
/// client's voucher feature is off ([`Scenario::VouchersDisabled`]; section 3.6).
pub(crate) fn categories_json(scenario: Scenario) -> Result<Value, ApiError> {
    if scenario == Scenario::VouchersDisabled {
        return Err(ApiError::invalid_feature());
    }
    Ok(Value::Array(
        CATEGORIES
            .iter()
            .map(|(id, name)| json!({"id": id, "name": name}))
            .collect(),
    ))
}

/// A product as `GET /api/v1/products` shows it. The docs read for golive give the
/// product list's pagination but not its element shape; these fields are the
/// simulator's choice: `id`, `name`, `category_id`, `country_id` (1 = the US in
/// sandbox), `currency_id`, `currency`, `discount` (percent), `denominations` (the
/// ranges an order's `denomination` must fall in), `status`.
pub(super) fn product_json(p: &Product) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "category_id": p.category_id,
        "country_id": p.country_id,
        "currency_id": p.currency_id,
        "currency": currency(p.currency_id).code,
        "discount": p.discount_bp as f64 / 100.0,
        "denominations": [{"min": money(p.min_denomination), "max": money(p.max_denomination)}],
        "status": "ACTIVE",
    })
}

/// `GET /api/v1/products`, id descending (the list default).
pub(crate) fn products_json() -> Vec<Value> {
    PRODUCTS.iter().rev().map(product_json).collect()
}

/// `GET /api/v1/products/:id`.
pub(crate) fn product_by_id(id: i64) -> Option<Value> {
    PRODUCTS.iter().find(|p| p.id == id).map(product_json)
}

/// The products an order may use, one line each, for the `golive sim` banner.
pub fn product_lines() -> Vec<String> {
    PRODUCTS
        .iter()
        .map(|p| {
            format!(
                "{} {} ({}, denomination {} to {})",
                p.id,
                p.name,
                currency(p.currency_id).code,
                money_text(p.min_denomination),
                money_text(p.max_denomination)
            )
        })
        .collect()
}

/// `GET /api/v1/currencies`.
pub(crate) fn currencies_json() -> Value {
    Value::Array(
        CURRENCIES
            .iter()
            .map(|c| json!({"id": c.id, "name": c.name, "currency": c.code, "precision": c.precision}))
            .collect(),
    )
}

/// Hundredths as a JSON number (`2500000` -> `25000.0`).
pub(super) fn money(hundredths: i64) -> Value {
    json!(hundredths as f64 / 100.0)
}

/// Hundredths as text with two decimals, for messages and remarks.
pub(super) fn money_text(hundredths: i64) -> String {
    format!("{}.{:02}", hundredths / 100, (hundredths % 100).abs())
}

/// `a / b` rounded half up, for non-negative `a` and positive `b`.
pub(super) fn round_div(a: i64, b: i64) -> i64 {
    (a + b / 2) / b
}
