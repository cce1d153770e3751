//! Typed Octopus API responses, written to survive the API's promise of additive
//! change: unknown fields are ignored, enums have an `Unknown` fallback, numbers
//! may arrive as strings, and list or auth bodies may or may not be wrapped in
//! `{ "success": true, "data": ... }` (octopus-api.md sections 4.3 and 12).

use serde::{Deserialize, Deserializer};

/// `data` of `POST /auth/login`.
#[derive(Debug, Clone, Deserialize)]
pub struct LoginData {
    /// Bearer token for every other call.
    pub access_token: String,
    /// When the access token expires (RFC 3339).
    #[serde(default)]
    pub access_expires_at: Option<String>,
    /// The account the credentials belong to (an integer per the docs; kept loose).
    #[serde(default)]
    pub client_id: Option<serde_json::Value>,
}

/// One element of `GET /api/v1/wallets`.
#[derive(Debug, Clone, Deserialize)]
pub struct Wallet {
    /// Wallet id.
    #[serde(default)]
    pub id: serde_json::Value,
    /// Currency id, resolved through `GET /api/v1/currencies`.
    #[serde(deserialize_with = "loose_i64")]
    pub currency_id: i64,
    /// Available balance.
    #[serde(deserialize_with = "loose_f64")]
    pub amount: f64,
    /// `PREPAID`, `POSTPAID`, or a type introduced later.
    #[serde(rename = "type", default)]
    pub wallet_type: Option<String>,
}

/// One element of `GET /api/v1/currencies`.
#[derive(Debug, Clone, Deserialize)]
pub struct Currency {
    /// Currency id, as wallets reference it.
    #[serde(deserialize_with = "loose_i64")]
    pub id: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Human name.
    #[serde(default)]
    pub name: Option<String>,
    /// Decimal places.
    #[serde(default)]
    pub precision: Option<u32>,
}

/// The documented error envelope `{"error":{"name","code","message"}}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorBody {
    /// Category, tracks the HTTP status class.
    #[serde(default)]
    pub name: Option<String>,
    /// Machine-readable code; branch on this.
    #[serde(default)]
    pub code: Option<String>,
    /// For humans.
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

/// Parses an error envelope, if the body is one.
pub fn parse_error(body: &[u8]) -> Option<ErrorBody> {
    serde_json::from_slice::<ErrorEnvelope>(body)
        .ok()
        .map(|e| e.error)
}

/// Unwraps `{ "success": ..., "data": X }` to `X`; anything else is returned as is.
pub fn unwrap_data(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(mut map)
            if map.contains_key("data") && !map.contains_key("id") =>
        {
            map.remove("data").unwrap_or(serde_json::Value::Null)
        }
        other => other,
    }
}

/// A number, or a string holding one. Only finite numbers are numbers here: Rust's
/// float parser accepts `"NaN"`, `"-nan"`, `"inf"`, `"infinity"` and overflows
/// `"1e999"` to infinity, and none of them is a balance (SPEC 8.1). serde_json
/// itself refuses the JSON number `1e999` ("number out of range") before this runs.
fn loose_f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let n = match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| serde::de::Error::custom("number out of range"))?,
        serde_json::Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("`{s}` is not a number")))?,
        other => {
            return Err(serde::de::Error::custom(format!(
                "expected a number, found {other}"
            )));
        }
    };
    if n.is_finite() {
        Ok(n)
    } else {
        Err(serde::de::Error::custom(
            "expected a finite number, found NaN or infinity",
        ))
    }
}

fn loose_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| serde::de::Error::custom("expected an integer")),
        serde_json::Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("`{s}` is not an integer"))),
        other => Err(serde::de::Error::custom(format!(
            "expected an integer, found {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wallets_tolerate_unknown_fields_types_and_string_numbers() {
        let body = r#"[{"id":1,"currency_id":"1","amount":"5000.50","type":"CREDIT_LINE","new_field":{"x":1}},
                       {"id":2,"currency_id":2,"amount":10}]"#;
        let w: Vec<Wallet> = serde_json::from_str(body).unwrap();
        assert_eq!(w[0].currency_id, 1);
        assert_eq!(w[0].amount, 5000.5);
        assert_eq!(w[0].wallet_type.as_deref(), Some("CREDIT_LINE"));
        assert_eq!(w[1].wallet_type, None);
    }

    #[test]
    fn non_finite_amounts_are_not_numbers() {
        for amount in [
            r#""NaN""#,
            r#""-nan""#,
            r#""nan""#,
            r#""inf""#,
            r#""-inf""#,
            r#""infinity""#,
            r#""+Infinity""#,
            r#""1e999""#,
            r#"" 1e999 ""#,
            "1e999",
            "-1e999",
        ] {
            let body = format!(r#"[{{"id":1,"currency_id":1,"amount":{amount}}}]"#);
            assert!(
                serde_json::from_str::<Vec<Wallet>>(&body).is_err(),
                "{amount} was read as a balance"
            );
        }
        // Large but finite numbers are still numbers.
        let w: Vec<Wallet> =
            serde_json::from_str(r#"[{"id":1,"currency_id":1,"amount":"1e300"}]"#).unwrap();
        assert_eq!(w[0].amount, 1e300);
    }

    #[test]
    fn data_envelope_is_optional() {
        let wrapped = serde_json::json!({"success": true, "data": [1, 2]});
        assert_eq!(unwrap_data(wrapped), serde_json::json!([1, 2]));
        let raw = serde_json::json!([1]);
        assert_eq!(unwrap_data(raw.clone()), raw);
    }

    #[test]
    fn error_envelope_parses_and_garbage_does_not() {
        let e = parse_error(br#"{"error":{"name":"ForbiddenError","code":"FORBIDDEN","message":"IP address not authorized","extra":1}}"#).unwrap();
        assert_eq!(e.code.as_deref(), Some("FORBIDDEN"));
        assert!(parse_error(b"<html>502</html>").is_none());
    }
}
