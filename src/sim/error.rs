//! The Octopus error envelope, in one place, so that every non-2xx answer of the
//! simulator has the documented shape `{"error":{"name":…,"code":…,"message":…}}`
//! (octopus-api.md section 7.1) and a 429 always carries `Retry-After`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// One error answer: HTTP status, `error.name`, `error.code`, `error.message` and, for
/// 429, the `Retry-After` seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    /// The HTTP status.
    pub(crate) status: StatusCode,
    /// `error.name`: the category, tracking the status class.
    pub(crate) name: &'static str,
    /// `error.code`: the machine-readable contract.
    pub(crate) code: &'static str,
    /// `error.message`: for humans; never contains a credential or token.
    pub(crate) message: String,
    /// `Retry-After` in seconds, for 429 only.
    pub(crate) retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, name: &'static str, code: &'static str, message: String) -> Self {
        ApiError {
            status,
            name,
            code,
            message,
            retry_after: None,
        }
    }

    /// 400 `ValidationException` / `VALIDATION_FAILURE`: the body failed validation.
    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "VALIDATION_FAILURE",
            message.into(),
        )
    }

    /// 400 `BadRequestError` / `BAD_REQUEST`: a business rule was violated.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "BadRequestError",
            "BAD_REQUEST",
            message.into(),
        )
    }

    /// 400 `BadRequestError` / `INSUFFICIENT_FUNDS`: the wallet cannot cover the order.
    pub(crate) fn insufficient_funds(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "BadRequestError",
            "INSUFFICIENT_FUNDS",
            message.into(),
        )
    }

    /// 400 `BadRequestError` / `INVALID_FEATURE` (section 3.6, documented on the
    /// categories endpoint).
    pub(crate) fn invalid_feature() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "BadRequestError",
            "INVALID_FEATURE",
            "The requested feature is not enabled for this client".to_string(),
        )
    }

    /// 401 `UnauthorizedError` / `UNAUTHORIZED`.
    pub(crate) fn unauthorized(message: &'static str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "UnauthorizedError",
            "UNAUTHORIZED",
            message.to_string(),
        )
    }

    /// 403 `ForbiddenError` / `FORBIDDEN` "IP address not authorized".
    pub(crate) fn ip_forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "ForbiddenError",
            "FORBIDDEN",
            "IP address not authorized".to_string(),
        )
    }

    /// 404 `NotFoundError` / `NOT_FOUND`.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NotFoundError",
            "NOT_FOUND",
            message.into(),
        )
    }

    /// 413: the body is over the simulator's 1 MiB cap. Not documented by Octopus;
    /// the name and code follow its naming pattern.
    pub(crate) fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PayloadTooLargeError",
            "PAYLOAD_TOO_LARGE",
            "Request body too large".to_string(),
        )
    }

    /// 429 `TooManyRequestsError` / `TOO_MANY_REQUESTS` with `Retry-After: seconds`.
    pub(crate) fn too_many_requests(seconds: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequestsError",
            "TOO_MANY_REQUESTS",
            format!("Rate limit exceeded. Retry after {seconds} seconds."),
        );
        e.retry_after = Some(seconds);
        e
    }

    /// A generic envelope for a status produced outside the handlers (a safety net:
    /// nothing non-2xx leaves the simulator without the envelope).
    pub(crate) fn for_status(status: StatusCode) -> Self {
        let (name, code) = match status.as_u16() {
            400 => ("BadRequestError", "BAD_REQUEST"),
            401 => ("UnauthorizedError", "UNAUTHORIZED"),
            403 => ("ForbiddenError", "FORBIDDEN"),
            404 => ("NotFoundError", "NOT_FOUND"),
            405 => ("MethodNotAllowedError", "METHOD_NOT_ALLOWED"),
            413 => ("PayloadTooLargeError", "PAYLOAD_TOO_LARGE"),
            415 => ("UnsupportedMediaTypeError", "UNSUPPORTED_MEDIA_TYPE"),
            429 => ("TooManyRequestsError", "TOO_MANY_REQUESTS"),
            s if s >= 500 => ("InternalServerError", "INTERNAL_SERVER_ERROR"),
            _ => ("BadRequestError", "BAD_REQUEST"),
        };
        let message = status.canonical_reason().unwrap_or("Error").to_string();
        Self::new(status, name, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(json!({
            "error": { "name": self.name, "code": self.code, "message": self.message }
        }));
        let mut resp = (self.status, body).into_response();
        if let Some(seconds) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        resp
    }
}
