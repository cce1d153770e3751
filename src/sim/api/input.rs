//! Reading a simulator request: the JSON body (and its content type), the fields
//! of an order or charges body, and the list parameters (`page`, `limit`, `sort`)
//! with the documented bounds, each refused with the Octopus envelope the way
//! octopus-api.md describes. No handler logic: [`super`] calls these.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::Query;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::http::{HeaderMap, StatusCode, header};
use serde_json::{Map, Value};

use crate::sim::error::ApiError;
use crate::sim::state::OrderRequest;

/// Upper bound of `limit` on list endpoints (documented 1–10,000).
pub(super) const MAX_LIMIT: usize = 10_000;
/// Default `limit` on list endpoints.
pub(super) const DEFAULT_LIMIT: usize = 50;
/// `limit` of `GET /api/v1/products`: default 10, range 1–500 (the legacy products
/// page, section 4.2).
pub(super) const PRODUCTS_LIMITS: (usize, usize) = (10, 500);

/// Whether `Content-Type` is `application/json` (parameters such as `charset` allowed).
pub(super) fn is_json_request(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// The body of a POST as a JSON object. An empty body counts as `{}`. A body that is
/// not empty must come with `Content-Type: application/json` (octopus-api.md section
/// 4.1: required on POST/PUT/PATCH); without it the answer is 400
/// `ValidationException` / `VALIDATION_FAILURE` (the docs name no status for this
/// case: the simulator's choice). An empty body (logout has none) needs no type.
pub(super) fn json_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Map<String, Value>, ApiError> {
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::payload_too_large()
        } else {
            ApiError::validation("Could not read the request body")
        }
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    if !is_json_request(headers) {
        return Err(ApiError::validation(
            "Content-Type must be application/json",
        ));
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::validation("Request body must be a JSON object")),
        Err(_) => Err(ApiError::validation("Malformed JSON body")),
    }
}

/// A non-empty string field, or `None` when missing, null, empty or not a string.
pub(super) fn non_empty_str<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    obj.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// An optional integer field (missing or null: `None`).
pub(super) fn opt_int(obj: &Map<String, Value>, name: &str) -> Result<Option<i64>, ApiError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| ApiError::validation(format!("{name} must be an integer"))),
    }
}

/// A required positive integer field.
pub(super) fn positive_int(obj: &Map<String, Value>, name: &str) -> Result<i64, ApiError> {
    match opt_int(obj, name)? {
        None => Err(ApiError::validation(format!("{name} is required"))),
        Some(n) if n <= 0 => Err(ApiError::validation(format!(
            "{name} must be a positive integer"
        ))),
        Some(n) => Ok(n),
    }
}

/// The shared fields of an order and a quote: denomination (to hundredths), quantity,
/// wallet_id.
pub(super) fn order_fields(
    obj: &Map<String, Value>,
    product_id: i64,
) -> Result<OrderRequest, ApiError> {
    let denomination = match obj.get("denomination") {
        None | Some(Value::Null) => return Err(ApiError::validation("denomination is required")),
        Some(v) => v
            .as_f64()
            .ok_or_else(|| ApiError::validation("denomination must be a number"))?,
    };
    if !(0.01..=1_000_000_000.0).contains(&denomination) {
        return Err(ApiError::validation(
            "denomination must be between 0.01 and 1000000000",
        ));
    }
    let hundredths = (denomination * 100.0).round();
    if (denomination * 100.0 - hundredths).abs() > 1e-6 {
        return Err(ApiError::validation(
            "denomination must have at most 2 decimal places",
        ));
    }
    let quantity = match opt_int(obj, "quantity")? {
        None => return Err(ApiError::validation("quantity is required")),
        Some(q) if !(1..=5000).contains(&q) => {
            return Err(ApiError::validation(
                "quantity must be an integer between 1 and 5000",
            ));
        }
        Some(q) => q,
    };
    let wallet_id = match opt_int(obj, "wallet_id")? {
        Some(w) if w <= 0 => {
            return Err(ApiError::validation("wallet_id must be a positive integer"));
        }
        w => w,
    };
    Ok(OrderRequest {
        product_id,
        denomination: hundredths as i64,
        quantity,
        wallet_id,
        client_reference: None,
    })
}

/// `page` and `limit` query parameters (defaults 1 and 50, `limit` 1–10,000).
pub(super) fn page_params(q: &HashMap<String, String>) -> Result<(usize, usize), ApiError> {
    page_params_within(q, DEFAULT_LIMIT, MAX_LIMIT)
}

/// `page` and `limit` with a list's own `limit` default and maximum.
pub(super) fn page_params_within(
    q: &HashMap<String, String>,
    default_limit: usize,
    max_limit: usize,
) -> Result<(usize, usize), ApiError> {
    let page = match q.get("page") {
        None => 1,
        Some(p) => p
            .parse::<usize>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| ApiError::validation("page must be a positive integer"))?,
    };
    let limit = match q.get("limit") {
        None => default_limit,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=max_limit).contains(l))
            .ok_or_else(|| {
                ApiError::validation(format!(
                    "limit must be an integer between 1 and {max_limit}"
                ))
            })?,
    };
    Ok((page, limit))
}

/// The `sort` query parameter (octopus-api.md section 4.2): a JSON object such as
/// `{"Field":"id","Direction":"ASC"}`, default `id DESC`. `Field` must be one of
/// `fields` (the sortable fields of the list); `Direction` is `ASC` or `DESC` (any
/// case) and defaults to `DESC` when absent. Anything else is 400
/// `VALIDATION_FAILURE`. The docs give neither the sortable fields nor the error for
/// a malformed value: both are the simulator's choice.
pub(super) fn sort_param(
    q: &HashMap<String, String>,
    fields: &[&'static str],
) -> Result<(&'static str, bool), ApiError> {
    let Some(raw) = q.get("sort") else {
        return Ok(("id", false));
    };
    let invalid = || {
        ApiError::validation(format!(
            "sort must be a JSON object like {{\"Field\":\"id\",\"Direction\":\"ASC\"}} with Field one of {}",
            fields.join(", ")
        ))
    };
    let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(raw) else {
        return Err(invalid());
    };
    let field = obj
        .get("Field")
        .and_then(Value::as_str)
        .and_then(|f| fields.iter().find(|k| **k == f))
        .copied()
        .ok_or_else(invalid)?;
    let ascending = match obj.get("Direction") {
        None | Some(Value::Null) => false,
        Some(Value::String(d)) if d.eq_ignore_ascii_case("asc") => true,
        Some(Value::String(d)) if d.eq_ignore_ascii_case("desc") => false,
        Some(_) => return Err(invalid()),
    };
    Ok((field, ascending))
}

/// Orders `items` by `field` (numbers numerically, strings as text, `null` first),
/// ties by `id` in the same direction.
pub(super) fn apply_sort(items: &mut [Value], (field, ascending): (&str, bool)) {
    fn cmp(a: &Value, b: &Value) -> std::cmp::Ordering {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => x
                .as_f64()
                .unwrap_or(0.0)
                .total_cmp(&y.as_f64().unwrap_or(0.0)),
            (Value::String(x), Value::String(y)) => x.cmp(y),
            (Value::Null, Value::Null) => std::cmp::Ordering::Equal,
            (Value::Null, _) => std::cmp::Ordering::Less,
            (_, Value::Null) => std::cmp::Ordering::Greater,
            _ => a.to_string().cmp(&b.to_string()),
        }
    }
    items.sort_by(|a, b| {
        let o = cmp(&a[field], &b[field]).then_with(|| cmp(&a["id"], &b["id"]));
        if ascending { o } else { o.reverse() }
    });
}

/// Sortable fields of `GET /api/v1/products` (the simulator's choice).
pub(super) const PRODUCT_SORT_FIELDS: &[&str] = &["id", "name", "currency_id", "category_id"];

/// Sortable fields of `GET /api/v1/transactions` (the simulator's choice).
pub(super) const TRANSACTION_SORT_FIELDS: &[&str] = &[
    "id",
    "amount",
    "created_at",
    "wallet_id",
    "transaction_type",
];
/// Sortable fields of `GET /api/v1/orders` (the simulator's choice).
pub(super) const ORDER_SORT_FIELDS: &[&str] = &[
    "id",
    "amount",
    "created_at",
    "status",
    "product_id",
    "quantity",
];

pub(super) fn query_map(
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<HashMap<String, String>, ApiError> {
    query
        .map(|Query(q)| q)
        .map_err(|_| ApiError::validation("Malformed query string"))
}
