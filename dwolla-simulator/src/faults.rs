//! Injected failures: the [`Fault`] type (see the module documentation of [`super`]) and the
//! answers faults give in place of Dwolla's.

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::response::error;
use super::server::ResetConnection;
use crate::hal::hal_response;
use crate::HAL_JSON;

/// What a [`Fault`] does to a matching request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultAction {
    /// Answer `status` with `{"code","message"}`; with no status, only delay the real answer.
    #[default]
    Respond,
    /// Close the connection without an answer.
    Reset,
    /// Send a `Content-Length` larger than the body, then close the connection.
    Truncate,
    /// Answer 200 (or `status`) with a body that is not JSON.
    Malformed,
    /// Carry out the request, then hold its real answer for `delay_ms`: Dwolla acted, and its
    /// answer is late (a client that gives up, or dies, meanwhile never learns of it).
    Late,
}

/// An injected failure for the next `count` Dwolla requests matching `method` and `path`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    /// HTTP method to match (`GET`, `POST`); any method when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Path prefix to match, e.g. `/exchange-partners`.
    pub path: String,
    /// How many matching requests the fault applies to (at least 1).
    #[serde(default = "default_count")]
    pub count: u32,
    /// Status to answer (`respond`, `malformed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `code` of the error body; a default per status when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// `message` of the error body; a default per status when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Value of a `Retry-After` header to send with the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<String>,
    /// Milliseconds to wait before acting (or before the real answer, when there is no status).
    #[serde(default)]
    pub delay_ms: u64,
    /// What to do.
    #[serde(default)]
    pub action: FaultAction,
}

fn default_count() -> u32 {
    1
}

impl Fault {
    /// A fault answering `status` once for requests under `path` (any method).
    pub fn respond(path: &str, status: u16) -> Self {
        Fault {
            status: Some(status),
            ..Fault::with_action(path, FaultAction::Respond)
        }
    }

    /// A fault doing `action` once for requests under `path` (any method).
    pub fn with_action(path: &str, action: FaultAction) -> Self {
        Fault {
            method: None,
            path: path.to_string(),
            count: 1,
            status: None,
            code: None,
            message: None,
            retry_after: None,
            delay_ms: 0,
            action,
        }
    }

    /// A fault that lets requests under `path` act, then holds their answer for `delay`, once.
    pub fn late(path: &str, delay: Duration) -> Self {
        Fault {
            delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            ..Fault::with_action(path, FaultAction::Late)
        }
    }

    /// A fault delaying the real answer by `delay` once for requests under `path`.
    pub fn delay(path: &str, delay: Duration) -> Self {
        Fault {
            delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            ..Fault::with_action(path, FaultAction::Respond)
        }
    }

    /// Checks the fault's fields; the error tells what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if !self.path.starts_with('/') {
            return Err("path must start with '/'".into());
        }
        if self.count == 0 {
            return Err("count must be at least 1".into());
        }
        if let Some(status) = self.status {
            if !(100..=599).contains(&status) {
                return Err("status must be between 100 and 599".into());
            }
        }
        if let Some(method) = &self.method {
            if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err("method must be an HTTP method such as GET or POST".into());
            }
        }
        if let Some(retry_after) = &self.retry_after {
            if axum::http::HeaderValue::from_str(retry_after).is_err() {
                return Err("retryAfter must be a valid header value".into());
            }
        }
        Ok(())
    }
}

/// The `code` of a `respond` fault without one.
fn default_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BadRequest",
        401 => "InvalidAccessToken",
        403 => "Forbidden",
        404 => "NotFound",
        409 => "Conflict",
        429 => "TooManyRequests",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => "ServerError",
    }
}

/// The `message` of a `respond` fault without one.
fn default_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        429 => "Too many requests.",
        503 => "Service unavailable. Try again later.",
        s if s >= 500 => "A server error occurred.",
        _ => "The request failed.",
    }
}

/// The answer of a fault that answers (every action but a delay-only `respond`).
pub(crate) fn fault_response(fault: &Fault) -> Response {
    let status = fault
        .status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    match fault.action {
        FaultAction::Respond => {
            let mut resp = error(
                status,
                fault.code.as_deref().unwrap_or(default_code(status)),
                fault.message.as_deref().unwrap_or(default_message(status)),
            );
            if let Some(value) = fault
                .retry_after
                .as_deref()
                .and_then(|v| HeaderValue::from_str(v).ok())
            {
                resp.headers_mut().insert(header::RETRY_AFTER, value);
            }
            resp
        }
        FaultAction::Malformed => {
            hal_response(status, "<html><body><h1>502 Bad Gateway</h1></body></html>")
        }
        // Not an answer of its own: the middleware holds the real one.
        FaultAction::Late => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ServerError",
            "A late fault has no answer of its own.",
        ),
        FaultAction::Truncate => {
            let chunk = Bytes::from_static(b"{\"_links\":{\"self\":{\"href\":\"");
            let declared = chunk.len() + 512;
            let stream = futures_util::stream::unfold(0u8, move |step| {
                let chunk = chunk.clone();
                async move {
                    match step {
                        0 => Some((Ok(chunk), 1)),
                        1 => {
                            // Let the server flush the head and the partial body before failing.
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Some((
                                Err(std::io::Error::new(
                                    std::io::ErrorKind::ConnectionAborted,
                                    "truncated by a simulator fault",
                                )),
                                2,
                            ))
                        }
                        _ => None,
                    }
                }
            });
            let mut resp = Response::new(Body::from_stream(stream));
            *resp.status_mut() = status;
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(HAL_JSON));
            resp.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(declared));
            resp
        }
        FaultAction::Reset => {
            let stream = futures_util::stream::once(async {
                Err::<Bytes, _>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "reset by a simulator fault",
                ))
            });
            let mut resp = Response::new(Body::from_stream(stream));
            resp.extensions_mut().insert(ResetConnection);
            resp
        }
    }
}
