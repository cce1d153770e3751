//! Rewriting passed-through success bodies: the API promises that new fields and
//! new enum values may appear at any time, so the proxy makes them appear.
//!
//! - An unknown field, `"golive_unknown_field": {"probe": true}`, is added to the
//!   top-level object, to the object under `data`, and to every object of a
//!   top-level array or of an array under `data`.
//! - An enum value the client has never seen replaces the first wallet's `type`
//!   ([`UNKNOWN_WALLET_TYPE`]) or an order's `status` ([`UNKNOWN_ORDER_STATUS`]).
//!
//! Bodies that are not JSON are left alone.

use serde_json::{Map, Value, json};

/// The field added to success bodies.
pub const UNKNOWN_FIELD: &str = "golive_unknown_field";
/// The wallet `type` no client has seen.
pub const UNKNOWN_WALLET_TYPE: &str = "GOLIVE_UNKNOWN_TYPE";
/// The order `status` no client has seen.
pub const UNKNOWN_ORDER_STATUS: &str = "GOLIVE_UNKNOWN_STATUS";

/// What to change in one body.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Edits {
    /// Add [`UNKNOWN_FIELD`].
    pub unknown_field: bool,
    /// Replace the first wallet's `type`.
    pub wallet_type: bool,
    /// Replace the order's `status`.
    pub order_status: bool,
}

/// What was changed; `body` is the new body (the old one when nothing changed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Rewritten {
    pub body: Vec<u8>,
    pub unknown_field: bool,
    pub wallet_type: bool,
    pub order_status: bool,
}

impl Rewritten {
    /// A short note for the timeline, e.g. `+unknown field, wallet type replaced`.
    pub fn note(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.unknown_field {
            parts.push("+unknown field");
        }
        if self.wallet_type {
            parts.push("wallet type replaced");
        }
        if self.order_status {
            parts.push("order status replaced");
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// Applies `edits` to a JSON body. Nothing changes when it is not JSON.
pub(crate) fn rewrite(body: &[u8], edits: Edits) -> Rewritten {
    let unchanged = || Rewritten {
        body: body.to_vec(),
        ..Rewritten::default()
    };
    if edits == Edits::default() {
        return unchanged();
    }
    let Ok(mut value) = serde_json::from_slice::<Value>(body) else {
        return unchanged();
    };
    let mut out = Rewritten::default();
    if edits.wallet_type {
        out.wallet_type = replace_first(&mut value, "type", UNKNOWN_WALLET_TYPE);
    }
    if edits.order_status {
        out.order_status = replace_first(&mut value, "status", UNKNOWN_ORDER_STATUS);
    }
    if edits.unknown_field {
        out.unknown_field = add_unknown_field(&mut value);
    }
    if !(out.unknown_field || out.wallet_type || out.order_status) {
        return unchanged();
    }
    match serde_json::to_vec(&value) {
        Ok(bytes) => Rewritten { body: bytes, ..out },
        Err(_) => unchanged(),
    }
}

fn probe() -> Value {
    json!({"probe": true})
}

fn add_to_object(map: &mut Map<String, Value>) -> bool {
    map.insert(UNKNOWN_FIELD.to_string(), probe());
    true
}

fn add_to_array(items: &mut [Value]) -> bool {
    let mut added = false;
    for item in items {
        if let Value::Object(m) = item {
            added |= add_to_object(m);
        }
    }
    added
}

fn add_unknown_field(value: &mut Value) -> bool {
    match value {
        Value::Object(map) => {
            match map.get_mut("data") {
                Some(Value::Object(data)) => {
                    add_to_object(data);
                }
                Some(Value::Array(items)) => {
                    add_to_array(items);
                }
                _ => {}
            }
            add_to_object(map)
        }
        Value::Array(items) => add_to_array(items),
        _ => false,
    }
}

/// Replaces the string value of `key` in the first object that has one: the body
/// itself, its `data`, or the first such element of a (top-level or `data`) array.
fn replace_first(value: &mut Value, key: &str, with: &str) -> bool {
    fn in_object(map: &mut Map<String, Value>, key: &str, with: &str) -> bool {
        match map.get_mut(key) {
            Some(v @ Value::String(_)) => {
                *v = Value::String(with.to_string());
                true
            }
            _ => false,
        }
    }
    fn in_array(items: &mut [Value], key: &str, with: &str) -> bool {
        items.iter_mut().any(|item| match item {
            Value::Object(m) => in_object(m, key, with),
            _ => false,
        })
    }
    match value {
        Value::Object(map) => {
            if in_object(map, key, with) {
                return true;
            }
            match map.get_mut("data") {
                Some(Value::Object(data)) => in_object(data, key, with),
                Some(Value::Array(items)) => in_array(items, key, with),
                _ => false,
            }
        }
        Value::Array(items) => in_array(items, key, with),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).unwrap()
    }

    #[test]
    fn unknown_fields_reach_objects_data_and_array_items() {
        let all = Edits {
            unknown_field: true,
            ..Edits::default()
        };
        let r = rewrite(br#"{"success":true,"data":{"access_token":"t"}}"#, all);
        assert!(r.unknown_field);
        let v = parse(&r.body);
        assert_eq!(v[UNKNOWN_FIELD], json!({"probe": true}));
        assert_eq!(v["data"][UNKNOWN_FIELD], json!({"probe": true}));
        assert_eq!(v["data"]["access_token"], "t");

        let r = rewrite(br#"[{"id":1},{"id":2},3]"#, all);
        let v = parse(&r.body);
        assert_eq!(v[0][UNKNOWN_FIELD]["probe"], true);
        assert_eq!(v[1][UNKNOWN_FIELD]["probe"], true);
        assert_eq!(v[2], 3);
        assert_eq!(r.note().as_deref(), Some("+unknown field"));
    }

    #[test]
    fn enums_are_replaced_once_per_body() {
        let r = rewrite(
            br#"[{"id":1,"type":"PREPAID"},{"id":2,"type":"PREPAID"}]"#,
            Edits {
                wallet_type: true,
                ..Edits::default()
            },
        );
        let v = parse(&r.body);
        assert_eq!(v[0]["type"], UNKNOWN_WALLET_TYPE);
        assert_eq!(v[1]["type"], "PREPAID");
        assert!(r.wallet_type && !r.unknown_field);

        let r = rewrite(
            br#"{"id":7,"status":"DELIVERED","vouchers":[]}"#,
            Edits {
                order_status: true,
                unknown_field: true,
                ..Edits::default()
            },
        );
        let v = parse(&r.body);
        assert_eq!(v["status"], UNKNOWN_ORDER_STATUS);
        assert_eq!(
            r.note().as_deref(),
            Some("+unknown field, order status replaced")
        );
    }

    #[test]
    fn non_json_and_no_edits_pass_unchanged() {
        let r = rewrite(
            b"203.0.113.10\n",
            Edits {
                unknown_field: true,
                ..Edits::default()
            },
        );
        assert_eq!(r.body, b"203.0.113.10\n");
        assert_eq!(r.note(), None);
        let r = rewrite(br#"{"a":1}"#, Edits::default());
        assert_eq!(r.body, br#"{"a":1}"#);
        // Nothing to replace: nothing changes, not even the key order.
        let r = rewrite(
            br#"{"b":1,"a":2}"#,
            Edits {
                wallet_type: true,
                ..Edits::default()
            },
        );
        assert_eq!(r.body, br#"{"b":1,"a":2}"#);
        assert!(!r.wallet_type);
    }
}
