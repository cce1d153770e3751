//! Authentication of the simulated account: the login with its key/secret pair,
//! access and refresh tokens (JWT-looking, opaque, kept only as SHA-256 digests),
//! their rotation, expiry and logout, and the `Authorization` header check.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::limiter::RateClass;
use super::{SimState, client_id, credentials, now_ts, random_bytes, ts_plus};
use crate::sim::error::ApiError;

/// Access-token lifetime (documented: 1 h).
pub(super) const ACCESS_TTL: Duration = Duration::from_secs(3600);
/// Refresh-token lifetime (documented: 7 d).
pub(super) const REFRESH_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// Base64url without padding (the JWT alphabet).
pub(super) fn b64url(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

pub(super) fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

/// A JWT-looking opaque token: an HS256 header, a payload with `sub`, `typ`, `iat`,
/// `exp` and a random `jti`, and a random "signature". Clients must treat it as opaque.
pub(super) fn mint_token(
    kind: TokenKind,
    client: i64,
    issued: Timestamp,
    expires: Timestamp,
) -> String {
    let payload = json!({
        "sub": client.to_string(),
        "typ": kind.as_str(),
        "iat": issued.as_second(),
        "exp": expires.as_second(),
        "jti": hex::encode(random_bytes::<16>()),
    });
    format!(
        "{}.{}.{}",
        b64url(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64url(payload.to_string().as_bytes()),
        b64url(&random_bytes::<32>())
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }
}

/// A live token, stored under the SHA-256 of its text (the text itself is not kept).
#[derive(Debug, Clone, Copy)]
pub(super) struct TokenInfo {
    pub(super) kind: TokenKind,
    pub(super) expires: Instant,
}

impl SimState {
    // --- authentication -----------------------------------------------------------

    /// Checks a key/secret pair in constant time (SHA-256 digests, so equal lengths)
    /// against the pair bound to this simulator's tier, and issues tokens.
    pub(crate) fn login(&mut self, username: &str, password: &str) -> Result<Value, ApiError> {
        let (key, secret) = credentials(self.tier);
        let ok = digest(username).ct_eq(&digest(key)) & digest(password).ct_eq(&digest(secret));
        if !bool::from(ok) {
            return Err(ApiError::unauthorized("Invalid credentials"));
        }
        let now = Instant::now();
        self.rate_check(RateClass::Login, now)?;
        Ok(self.issue_tokens(now))
    }

    /// Rotates a refresh token: the old one is revoked, a new pair is issued.
    pub(crate) fn refresh(&mut self, refresh_token: &str) -> Result<Value, ApiError> {
        let now = Instant::now();
        let key = digest(refresh_token);
        match self.tokens.get(&key) {
            Some(t) if t.kind == TokenKind::Refresh && t.expires > now => {
                // Charged only now that the token identifies the account.
                self.rate_check(RateClass::Refresh, now)?;
                self.tokens.remove(&key);
                Ok(self.issue_tokens(now))
            }
            _ => Err(ApiError::unauthorized("Invalid token")),
        }
    }

    /// Revokes every token of the client (documented logout scope).
    pub(crate) fn logout(&mut self) {
        self.tokens.clear();
    }

    /// Checks an `Authorization` header value: `Bearer <live access token>`.
    pub(crate) fn authorize(&self, header: Option<&[u8]>) -> Result<(), ApiError> {
        let Some(raw) = header else {
            return Err(ApiError::unauthorized("Authorization header required"));
        };
        let invalid = || ApiError::unauthorized("Invalid token");
        let text = std::str::from_utf8(raw).map_err(|_| invalid())?.trim();
        let (scheme, token) = text.split_once(' ').ok_or_else(invalid)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(invalid());
        }
        match self.tokens.get(&digest(token.trim())) {
            Some(t) if t.kind == TokenKind::Access && t.expires > Instant::now() => Ok(()),
            _ => Err(invalid()),
        }
    }

    fn issue_tokens(&mut self, now: Instant) -> Value {
        self.tokens.retain(|_, t| t.expires > now);
        let issued = now_ts();
        let access_exp = ts_plus(issued, ACCESS_TTL);
        let refresh_exp = ts_plus(issued, REFRESH_TTL);
        let client = client_id(self.tier);
        let access = mint_token(TokenKind::Access, client, issued, access_exp);
        let refresh = mint_token(TokenKind::Refresh, client, issued, refresh_exp);
        self.tokens.insert(
            digest(&access),
            TokenInfo {
                kind: TokenKind::Access,
                expires: now + ACCESS_TTL,
            },
        );
        self.tokens.insert(
            digest(&refresh),
            TokenInfo {
                kind: TokenKind::Refresh,
                expires: now + REFRESH_TTL,
            },
        );
        json!({
            "access_token": access,
            "refresh_token": refresh,
            "access_expires_at": access_exp.to_string(),
            "refresh_expires_at": refresh_exp.to_string(),
            "client_id": client,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b64url_matches_known_vectors() {
        assert_eq!(b64url(b""), "");
        assert_eq!(b64url(b"f"), "Zg");
        assert_eq!(b64url(b"fo"), "Zm8");
        assert_eq!(b64url(b"foo"), "Zm9v");
        assert_eq!(b64url(b"foob"), "Zm9vYg");
        assert_eq!(b64url(&[0xfb, 0xff]), "-_8");
        assert_eq!(
            b64url(br#"{"alg":"HS256","typ":"JWT"}"#),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
        );
    }
}
