//! Dwolla's HAL media type, and the one place this crate writes a HAL+JSON answer (the backend's
//! answers and errors, and the simulator's).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The HAL media type Dwolla uses for every body, errors included: what the backend and the
/// simulator send as `Content-Type` and the backend sends to Dwolla as `Accept`.
pub const HAL_JSON: &str = "application/vnd.dwolla.v1.hal+json";

/// An answer with `status`, `Content-Type: application/vnd.dwolla.v1.hal+json` and `body`.
pub(crate) fn hal_response(status: StatusCode, body: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(HAL_JSON))],
        body.into(),
    )
        .into_response()
}
