//! What wraps every Dwolla path: faults, access-token checks, `Idempotency-Key` handling; the
//! response helpers; and the accept loop of [`super::Simulator::serve`].

use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::model::{Idempotency, StoredResponse};
use super::{Fault, FaultAction, Simulator};
use crate::hal::hal_response;
use crate::HAL_JSON;

/// The base URL of the simulator as seen by the current request, without a trailing slash.
#[derive(Clone)]
pub(crate) struct BaseUrl(pub String);

/// Marks a response that must not be sent: the connection is closed instead.
#[derive(Clone, Copy)]
struct ResetConnection;

/// A HAL+JSON answer.
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

/// The base URL for a request: the served address, or `http://<Host>` when the router is used
/// without [`Simulator::serve`].
fn base_url_for(sim: &Simulator, headers: &HeaderMap) -> String {
    if let Some(url) = sim.base_url() {
        return url;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".:-[]".contains(&b))
        })
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// The middleware in front of every Dwolla path.
pub(crate) async fn dwolla_layer(
    State(sim): State<Simulator>,
    mut req: Request,
    next: Next,
) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let base = base_url_for(&sim, req.headers());
    req.extensions_mut().insert(BaseUrl(base));

    // Every POST /token is counted, also one a fault answers.
    if method == Method::POST && path == "/token" {
        sim.count_token_request();
    }

    // Faults first, as a failing proxy in front of the API would behave.
    let fault = sim.state().take_fault(&method, &path);
    let mut delay_real_answer = None;
    if let Some(fault) = fault {
        if fault.action == FaultAction::Respond && fault.status.is_none() {
            delay_real_answer = Some(Duration::from_millis(fault.delay_ms));
        } else {
            if fault.delay_ms > 0 {
                tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
            }
            return fault_response(&fault);
        }
    }

    if path != "/token" {
        if let Err(resp) = check_access_token(&sim, req.headers()) {
            return resp;
        }
    }

    let key = if method == Method::POST && path != "/token" {
        req.headers()
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    } else {
        None
    };
    let mut guard = None;
    if let Some(key) = key {
        let mut state = sim.state();
        match state.idempotency.get(&key) {
            Some(Idempotency::Done(stored)) => return replay(stored.clone()),
            Some(Idempotency::InProgress) => {
                return error(
                    StatusCode::CONFLICT,
                    "Conflict",
                    "A request with this Idempotency-Key is already in progress.",
                )
            }
            None => {
                state
                    .idempotency
                    .insert(key.clone(), Idempotency::InProgress);
                guard = Some(IdempotencyGuard {
                    sim: sim.clone(),
                    key,
                    finished: false,
                });
            }
        }
    }

    if let Some(delay) = delay_real_answer {
        tokio::time::sleep(delay).await;
    }
    let resp = next.run(req).await;

    match guard {
        Some(mut guard) if resp.status().is_success() => {
            let (parts, body) = resp.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            guard.finish(StoredResponse {
                status: parts.status,
                headers: parts.headers.clone(),
                body: bytes.clone(),
            });
            Response::from_parts(parts, Body::from(bytes))
        }
        _ => resp,
    }
}

/// Removes an in-progress idempotency entry unless the request finished with a stored answer
/// (also when the request is cancelled, so that a retry is not refused forever).
struct IdempotencyGuard {
    sim: Simulator,
    key: String,
    finished: bool,
}

impl IdempotencyGuard {
    fn finish(&mut self, stored: StoredResponse) {
        self.sim
            .state()
            .idempotency
            .insert(self.key.clone(), Idempotency::Done(stored));
        self.finished = true;
    }
}

impl Drop for IdempotencyGuard {
    fn drop(&mut self) {
        if !self.finished {
            let mut state = self.sim.state();
            if matches!(
                state.idempotency.get(&self.key),
                Some(Idempotency::InProgress)
            ) {
                state.idempotency.remove(&self.key);
            }
        }
    }
}

fn replay(stored: StoredResponse) -> Response {
    let mut resp = Response::new(Body::from(stored.body));
    *resp.status_mut() = stored.status;
    *resp.headers_mut() = stored.headers;
    resp
}

fn check_access_token(sim: &Simulator, headers: &HeaderMap) -> Result<(), Response> {
    let invalid = || {
        error(
            StatusCode::UNAUTHORIZED,
            "InvalidAccessToken",
            "Invalid access token.",
        )
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .ok_or_else(invalid)?;
    let state = sim.state();
    match state.tokens.get(token) {
        None => Err(invalid()),
        Some(expiry) if Instant::now() >= *expiry => Err(error(
            StatusCode::UNAUTHORIZED,
            "ExpiredAccessToken",
            "Expired access token.",
        )),
        Some(_) => Ok(()),
    }
}

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

fn default_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        429 => "Too many requests.",
        503 => "Service unavailable. Try again later.",
        s if s >= 500 => "A server error occurred.",
        _ => "The request failed.",
    }
}

fn fault_response(fault: &Fault) -> Response {
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

/// The error a connection's service returns to make hyper close it without answering.
#[derive(Debug)]
struct ConnectionReset;

impl std::fmt::Display for ConnectionReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by a simulator fault")
    }
}

impl std::error::Error for ConnectionReset {}

/// Accepts connections until `shutdown` fires; then closes every open connection.
pub(crate) async fn accept_loop(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        // Out of file descriptors or a connection aborted before accept: wait, go on.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let router = router.clone();
                        async move {
                            let resp: Result<Response, Infallible> =
                                router.oneshot(req.map(Body::new)).await;
                            let resp = match resp {
                                Ok(resp) => resp,
                                Err(never) => match never {},
                            };
                            if resp.extensions().get::<ResetConnection>().is_some() {
                                Err(ConnectionReset)
                            } else {
                                Ok(resp)
                            }
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}
