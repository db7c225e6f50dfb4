//! Dwolla's answers passed on to the app: a success as a HAL answer with its hrefs moved onto the
//! backend's URL; an error with Dwolla's status, code, message (hrefs moved) and `Retry-After`,
//! except a 401 about the backend's own Dwolla token, which is the backend's 502.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::dwolla::DwollaResponse;
use super::error::ApiError;
use super::Backend;
use dwolla_simulator::hal::hal_response;

/// What a handler answers: a HAL response or an error answer.
pub(crate) type Answer = Result<Response, ApiError>;

/// A HAL answer with `body` and, when given and valid, a `Location` header.
pub(crate) fn hal(status: StatusCode, location: Option<String>, body: Value) -> Response {
    let mut resp = hal_response(status, body.to_string());
    if let Some(loc) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    resp
}

/// The Dwolla-style `code` for an error answer of Dwolla that carries none.
fn default_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BadRequest",
        401 => "InvalidAccessToken",
        403 => "Forbidden",
        404 => "NotFound",
        409 => "Conflict",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        s if s >= 500 => "ServerError",
        _ => "UnexpectedResponse",
    }
}

impl Backend {
    /// Dwolla's error answer as the app's: status, code, message (hrefs moved), Retry-After.
    pub(crate) fn pass_error(&self, resp: DwollaResponse) -> ApiError {
        let status = resp.status;
        if status.is_success() || status.is_redirection() || status.is_informational() {
            return ApiError::bad_gateway("Dwolla answered unexpectedly.");
        }
        // A 401 about the backend's own Dwolla access token (still refused after one refresh) is
        // the backend's failure, not the app user's: passing it on would make the app renew its
        // own token for nothing. `InvalidScope` (an account setting) passes through.
        if status == StatusCode::UNAUTHORIZED && resp.code() != Some("InvalidScope") {
            return ApiError::bad_gateway("The backend could not authenticate with Dwolla.");
        }
        let body = match resp.body {
            Some(mut v @ Value::Object(_)) if v.get("code").is_some() => {
                self.inner.rw.json_to_public(&mut v);
                v
            }
            _ => json!({
                "code": default_code(status),
                "message": format!("Dwolla answered with status {}.", status.as_u16()),
            }),
        };
        let retry_after = match status.as_u16() {
            429 | 503 => resp.retry_after,
            _ => None,
        };
        ApiError::passthrough(status, body, retry_after)
    }

    /// Dwolla's answer as the app's: a success with its hrefs moved, an error passed through.
    pub(crate) fn answer(&self, resp: DwollaResponse) -> Answer {
        if !resp.status.is_success() {
            return Err(self.pass_error(resp));
        }
        let mut body = resp
            .body
            .ok_or_else(|| ApiError::bad_gateway("Dwolla answered unexpectedly."))?;
        self.inner.rw.json_to_public(&mut body);
        Ok(hal(resp.status, None, body))
    }
}
