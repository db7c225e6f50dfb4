//! Dwolla-style error answers of the backend.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use dwolla_simulator::hal::hal_response;

/// Dwolla's text for a redirect value missing from the account's configured URLs.
pub const REDIRECT_NOT_ALLOWED: &str =
    "The provided redirect URL must exactly match one of the configured URLs for the account.";

/// An error answer: a status and a Dwolla-style body `{"code","message"[,"_embedded"]}`.
///
/// Messages are fixed texts chosen by the backend or Dwolla's own error bodies; neither carries
/// credentials, access tokens or app bearer tokens.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    body: Value,
    retry_after: Option<HeaderValue>,
    /// The `WWW-Authenticate` header of a 401, if any.
    www_authenticate: Option<HeaderValue>,
    close: bool,
}

impl ApiError {
    /// An error with a status, a code and a message.
    pub fn new(status: StatusCode, code: &str, message: &str) -> Self {
        ApiError {
            status,
            body: json!({ "code": code, "message": message }),
            retry_after: None,
            www_authenticate: None,
            close: false,
        }
    }

    /// An error whose body is passed through as given (Dwolla's own error).
    pub fn passthrough(status: StatusCode, body: Value, retry_after: Option<HeaderValue>) -> Self {
        ApiError {
            status,
            body,
            retry_after,
            www_authenticate: None,
            close: false,
        }
    }

    /// 404 `NotFound`: unknown route, unknown resource, or a resource of another user.
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            "The requested resource was not found.",
        )
    }

    /// 405 `MethodNotAllowed`: a known path asked with a method it does not take (the router
    /// adds `Allow` with the path's methods).
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The method is not allowed for the requested resource.",
        )
    }

    /// 401 `InvalidAccessToken` with `WWW-Authenticate: Bearer`: no bearer token was sent
    /// (RFC 6750 gives no error code then).
    pub fn unauthorized() -> Self {
        let mut e = Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAccessToken",
            "Invalid access token.",
        );
        e.www_authenticate = Some(HeaderValue::from_static("Bearer"));
        e
    }

    /// 401 `InvalidAccessToken` for a bearer token that was refused, with
    /// `WWW-Authenticate: Bearer error="invalid_token", error_description="<why>"` (RFC 6750)
    /// and the same reason in the body's message. `why` is a fixed text of the backend (never
    /// the token); characters RFC 6750 does not allow in a description are dropped.
    pub fn invalid_token(why: &str) -> Self {
        let why: String = why
            .chars()
            .filter(|c| matches!(c, ' '..='~') && *c != '"' && *c != '\\')
            .collect();
        let mut e = Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAccessToken",
            &format!("Invalid access token: {why}."),
        );
        e.www_authenticate = HeaderValue::from_str(&format!(
            "Bearer error=\"invalid_token\", error_description=\"{why}\""
        ))
        .ok()
        .or(Some(HeaderValue::from_static(
            "Bearer error=\"invalid_token\"",
        )));
        e
    }

    /// 403 `Forbidden`: the caller is signed in but may not use the backend (a revoked user, or
    /// a user with no Dwolla customer when new users are not given one).
    pub fn forbidden(message: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Forbidden", message)
    }

    /// 400 `BadRequest`: a body that is not a JSON object.
    pub fn bad_body() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "The request body contains bad syntax or is incomplete.",
        )
    }

    /// 400 `ValidationError` with one embedded error at `path`.
    pub fn validation(message: &str, path: &str) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            body: json!({
                "code": "ValidationError",
                "message": "Validation error(s) present. See embedded errors list for more details.",
                "_embedded": { "errors": [ { "code": "Invalid", "message": message, "path": path } ] }
            }),
            retry_after: None,
            www_authenticate: None,
            close: false,
        }
    }

    /// 400 `ValidationError`: the redirect value is not on the backend's allow-list.
    pub fn redirect_not_allowed() -> Self {
        Self::validation(REDIRECT_NOT_ALLOWED, "/_links/redirect-url/href")
    }

    /// 502 `BadGateway`: Dwolla could not be reached or answered something unusable.
    pub fn bad_gateway(message: &str) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, "BadGateway", message)
    }

    /// 504 `GatewayTimeout`: Dwolla did not answer within the configured timeout.
    pub fn gateway_timeout() -> Self {
        Self::new(
            StatusCode::GATEWAY_TIMEOUT,
            "GatewayTimeout",
            "Dwolla did not answer in time.",
        )
    }

    /// This error with a `Retry-After` header.
    pub fn with_retry_after(mut self, value: HeaderValue) -> Self {
        self.retry_after = Some(value);
        self
    }

    /// This error with `Connection: close`: the connection is closed after the answer (a body
    /// left unread, for instance).
    pub fn closing(mut self) -> Self {
        self.close = true;
        self
    }

    /// 400 `ValidationError` with several embedded errors, each `(code, message, path)`.
    pub fn validations(errors: &[(&str, String, String)]) -> Self {
        let errors: Vec<Value> = errors
            .iter()
            .map(|(code, message, path)| json!({"code": code, "message": message, "path": path}))
            .collect();
        ApiError {
            status: StatusCode::BAD_REQUEST,
            body: json!({
                "code": "ValidationError",
                "message": "Validation error(s) present. See embedded errors list for more details.",
                "_embedded": { "errors": errors }
            }),
            retry_after: None,
            www_authenticate: None,
            close: false,
        }
    }

    /// 504 `GatewayTimeout`: a POST reached Dwolla but its answer did not arrive; Dwolla may have
    /// carried it out, so the app should send it again with the same `Idempotency-Key`.
    pub fn unconfirmed() -> Self {
        Self::new(
            StatusCode::GATEWAY_TIMEOUT,
            "GatewayTimeout",
            "Dwolla's answer did not arrive, and Dwolla may have carried out the request. Send it again with the same Idempotency-Key.",
        )
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = hal_response(self.status, self.body.to_string());
        if let Some(ra) = self.retry_after {
            resp.headers_mut().insert(header::RETRY_AFTER, ra);
        }
        if let Some(value) = self.www_authenticate {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        if self.close {
            resp.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        resp
    }
}
