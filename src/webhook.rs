//! Webhook signing exactly as Octopus signs, shared by the `webhook` check,
//! `golive webhook send` and the simulator's deliveries and reference receiver.
//!
//! Octopus sends `X-Signature` = lowercase hex HMAC-SHA256 of the raw request body,
//! keyed with the webhook secret; the timestamp is not signed (octopus-api.md
//! section 10). Bodies golive builds are compact JSON with keys sorted at every
//! level, integers only and ASCII only, so that a receiver which parses and
//! re-serializes before verifying still gets the same bytes for the valid probe.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// `User-Agent` of Octopus's webhook deliveries.
pub const USER_AGENT: &str = "octopusrewards.com/webhook-agent";

/// Event types Octopus delivers today.
pub const LIVE_EVENT_TYPES: &[&str] = &[
    "order.delivered",
    "order.partially_delivered",
    "order.failed",
    "order.cancelled",
    "wallet.credited",
    "wallet.debited",
];

/// The lowercase hex HMAC-SHA256 of `body` keyed with `secret`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Verifies a hex signature over the raw body in constant time. Upper- or
/// lower-case hex is accepted; anything that is not 64 hex digits is refused.
pub fn verify(secret: &[u8], body: &[u8], signature: &str) -> bool {
    let Ok(expected) = hex::decode(signature.trim()) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// A synthetic event id: `evt_golive_` and a KSUID, so nobody mistakes a probe for
/// a real event.
pub fn new_event_id() -> String {
    format!("evt_golive_{}", crate::ksuid::new())
}

/// One delivery, ready to send: the exact body bytes and every header Octopus sends.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// `X-Event-ID`, equal to the body's `id`.
    pub event_id: String,
    /// `X-Event-Type`, equal to the body's `type`.
    pub event_type: String,
    /// `X-Timestamp`, Unix seconds.
    pub timestamp: i64,
    /// `X-Webhook-ID`.
    pub webhook_id: String,
    /// The raw body; sent byte for byte.
    pub body: Vec<u8>,
    /// `X-Signature`, omitted when `None`.
    pub signature: Option<String>,
    /// `X-OCTOPUS-WEBHOOK-TOKEN` (Octopus sends the shared secret itself here).
    pub token: Option<String>,
}

impl Delivery {
    /// A correctly signed delivery of `body`.
    pub fn signed(
        secret: &[u8],
        event_id: &str,
        event_type: &str,
        timestamp: i64,
        body: Vec<u8>,
    ) -> Self {
        Delivery {
            event_id: event_id.to_string(),
            event_type: event_type.to_string(),
            timestamp,
            webhook_id: "whk_golive".to_string(),
            signature: Some(sign(secret, &body)),
            token: Some(String::from_utf8_lossy(secret).into_owned()),
            body,
        }
    }

    /// Every header, in the order Octopus documents them.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut h = vec![
            ("Content-Type", "application/json".to_string()),
            ("User-Agent", USER_AGENT.to_string()),
        ];
        if let Some(token) = &self.token {
            h.push(("X-OCTOPUS-WEBHOOK-TOKEN", token.clone()));
        }
        h.push(("X-Webhook-ID", self.webhook_id.clone()));
        h.push(("X-Event-ID", self.event_id.clone()));
        h.push(("X-Event-Type", self.event_type.clone()));
        h.push(("X-Timestamp", self.timestamp.to_string()));
        if let Some(sig) = &self.signature {
            h.push(("X-Signature", sig.clone()));
        }
        h
    }
}

/// The event envelope `{id, type, created_at, data}` as compact JSON with sorted
/// keys (serde_json's map is ordered by key).
pub fn event_body(
    event_id: &str,
    event_type: &str,
    created_at: &str,
    data: serde_json::Value,
) -> Vec<u8> {
    let v = serde_json::json!({ "id": event_id, "type": event_type, "created_at": created_at, "data": data });
    serde_json::to_vec(&v).expect("a JSON value always serializes")
}

/// Data for a probe event that cannot be mistaken for money moving: zero amounts,
/// a `golive-probe-` reference and a `test` marker.
pub fn probe_data(event_type: &str) -> serde_json::Value {
    if event_type.starts_with("wallet.") {
        serde_json::json!({ "amount": 0, "currency": "USD", "reference_code": "golive-probe", "test": true, "wallet_id": 0 })
    } else {
        serde_json::json!({
            "amount": 0, "delivered_quantity": 0, "denomination": 0, "id": 0,
            "product_name": "golive readiness probe (not an order)", "quantity": 0,
            "reference_code": "golive-probe", "status": "DELIVERED", "test": true
        })
    }
}

/// The same event written the way a JSON library would never write it: extra
/// whitespace and newlines, keys in reverse order, and a `\u` escape for a non-ASCII
/// character. A receiver that verifies a re-serialized body computes a different
/// signature for it, while one that verifies the raw bytes accepts it.
pub fn unusual_body(event_id: &str, event_type: &str, created_at: &str) -> Vec<u8> {
    format!(
        "{{\n  \"type\" : \"{event_type}\",\n  \"id\" : \"{event_id}\",\n  \"data\" : {{ \"test\" : true, \"status\" : \"DELIVERED\", \
         \"reference_code\" : \"golive-probe\", \"quantity\" : 0, \"product_name\" : \"golive readiness probe \\u00e9 (not an order)\", \
         \"id\" : 0, \"amount\" : 0 }},\n  \"created_at\" : \"{created_at}\"\n}}\n"
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_known_answers() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Cross-checked with Python: hmac.new(b"whsec_test", b"{}", "sha256").hexdigest()
        assert_eq!(
            sign(b"whsec_test", b"{}"),
            "46bdc2a2e83964bd2695acc6a1f97162d8bafc135a071aa5cd5c99aae5481440"
        );
    }

    #[test]
    fn verify_is_exact_and_case_insensitive_on_hex() {
        let sig = sign(b"k", b"body");
        assert!(verify(b"k", b"body", &sig));
        assert!(verify(b"k", b"body", &sig.to_uppercase()));
        assert!(!verify(b"k", b"body ", &sig));
        assert!(!verify(b"other", b"body", &sig));
        assert!(!verify(b"k", b"body", "not-hex"));
        assert!(!verify(b"k", b"body", &sig[..10]));
    }

    #[test]
    fn valid_body_survives_parse_and_compact_reserialization() {
        let body = event_body(
            "evt_golive_x",
            "order.delivered",
            "2026-11-29T00:00:00Z",
            probe_data("order.delivered"),
        );
        let reparsed: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(serde_json::to_vec(&reparsed).unwrap(), body);
        assert!(body.is_ascii());
    }

    #[test]
    fn unusual_body_is_the_same_event_but_not_the_same_bytes() {
        let raw = unusual_body("evt_golive_y", "order.delivered", "2026-11-29T00:00:00Z");
        let v: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        assert_eq!(v["id"], "evt_golive_y");
        assert_eq!(v["type"], "order.delivered");
        assert_ne!(serde_json::to_vec(&v).unwrap(), raw);
        assert!(raw.is_ascii());
    }

    #[test]
    fn headers_carry_everything_octopus_sends() {
        let d = Delivery::signed(
            b"s3cret",
            "evt_1",
            "order.delivered",
            1_700_000_000,
            b"{}".to_vec(),
        );
        let names: Vec<&str> = d.headers().iter().map(|(n, _)| *n).collect();
        for want in [
            "Content-Type",
            "User-Agent",
            "X-OCTOPUS-WEBHOOK-TOKEN",
            "X-Webhook-ID",
            "X-Event-ID",
            "X-Event-Type",
            "X-Timestamp",
            "X-Signature",
        ] {
            assert!(names.contains(&want), "{want}");
        }
    }
}
