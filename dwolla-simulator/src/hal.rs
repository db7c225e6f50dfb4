//! Dwolla's HAL media type, and the one place a HAL+JSON answer is written: the simulator's, and
//! the reference backend's answers and errors (`sample-backend` uses this module).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The HAL media type Dwolla uses for every body, errors included: what the backend and the
/// simulator send as `Content-Type` and the backend sends to Dwolla as `Accept`.
pub const HAL_JSON: &str = "application/vnd.dwolla.v1.hal+json";

/// An answer with `status`, `Content-Type: application/vnd.dwolla.v1.hal+json` and `body`.
pub fn hal_response(status: StatusCode, body: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(HAL_JSON))],
        body.into(),
    )
        .into_response()
}
