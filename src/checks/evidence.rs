//! Building blocks of the kinds' evidence schemas (JSON Schema fragments).

use serde_json::{Value, json};

/// A string.
pub(crate) fn string() -> Value {
    json!({ "type": "string" })
}

/// An array of strings.
pub(crate) fn strings() -> Value {
    json!({ "type": "array", "items": { "type": "string" } })
}

/// A duration setting in milliseconds, or null when not set.
pub(crate) fn ms(what: &str) -> Value {
    json!({ "type": ["integer", "null"], "minimum": 0, "description": format!("{what}, in milliseconds (null: not set)") })
}

/// A yes/no setting, or null when not set.
pub(crate) fn flag(what: &str) -> Value {
    json!({ "type": ["boolean", "null"], "description": format!("{what} (null: not set)") })
}
