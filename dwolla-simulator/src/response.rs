//! The simulator's answers: HAL+JSON bodies, Dwolla's error shapes, 201 Created, and the plain
//! JSON of `POST /token` and the `/sim/` control surface.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::hal::hal_response;

/// A HAL+JSON answer.
// Callers hand over the `json!` they built.
#[allow(clippy::needless_pass_by_value)]
pub(crate) fn hal(status: StatusCode, body: Value) -> Response {
    hal_response(status, body.to_string())
}

/// A Dwolla error `{"code","message"}`.
pub(crate) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    hal(status, json!({ "code": code, "message": message }))
}

/// A Dwolla validation error: top-level `ValidationError` with one embedded error.
pub(crate) fn validation(message: &str, path: &str) -> Response {
    validation_with_code("Invalid", message, path)
}

/// A Dwolla validation error whose embedded error has `code`.
pub(crate) fn validation_with_code(code: &str, message: &str, path: &str) -> Response {
    hal(
        StatusCode::BAD_REQUEST,
        json!({
            "code": "ValidationError",
            "message": message,
            "_embedded": { "errors": [ { "code": code, "message": message, "path": path, "_links": {} } ] }
        }),
    )
}

/// 404 `NotFound` "The requested resource was not found."
pub(crate) fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "NotFound",
        "The requested resource was not found.",
    )
}

/// 201 Created with an empty body and a `Location` header.
pub(crate) fn created(location: &str) -> Response {
    let mut resp = StatusCode::CREATED.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, value);
    }
    resp
}

/// A plain JSON answer (`Content-Type: application/json`): `POST /token` and the control surface.
// Callers hand over the `json!` they built.
#[allow(clippy::needless_pass_by_value)]
pub(crate) fn json_response(status: StatusCode, body: Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}
