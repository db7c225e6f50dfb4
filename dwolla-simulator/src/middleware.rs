//! The middleware in front of every Dwolla path: the request's base URL, `POST /token` counting,
//! faults, the `Accept` check, access-token checks and `Idempotency-Key` handling, in that order.

use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::faults::fault_response;
use super::response::error;
use super::{idempotency, FaultAction, Simulator};
use crate::HAL_JSON;

/// The base URL of the simulator as seen by the current request, without a trailing slash.
#[derive(Clone)]
pub(crate) struct BaseUrl(pub String);

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

    // Every request is counted, also one a fault answers.
    sim.count_request();
    if method == Method::POST && path == "/token" {
        sim.count_token_request();
    }

    // Faults first, as a failing proxy in front of the API would behave.
    let fault = sim.state().take_fault(&method, &path);
    let mut delay_real_answer = None;
    let mut hold_answer = None;
    if let Some(fault) = fault {
        if fault.action == FaultAction::Late {
            hold_answer = Some(Duration::from_millis(fault.delay_ms));
        } else if fault.action == FaultAction::Respond && fault.status.is_none() {
            delay_real_answer = Some(Duration::from_millis(fault.delay_ms));
        } else {
            if fault.delay_ms > 0 {
                tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
            }
            return fault_response(&fault);
        }
    }

    // `POST /token` is OAuth's form-encoded exchange, answered in plain JSON: Dwolla's OpenAPI
    // document gives it no `Accept` parameter, and dwollav2 sends it none.
    if path != "/token" {
        if let Err(resp) = check_accept(req.headers()) {
            return resp;
        }
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
        match idempotency::begin(&sim, key) {
            Ok(g) => guard = Some(g),
            Err(resp) => return resp,
        }
    }

    if let Some(delay) = delay_real_answer {
        tokio::time::sleep(delay).await;
    }
    let resp = next.run(req).await;

    let resp = match guard {
        Some(guard) => guard.finish(resp).await,
        None => resp,
    };
    // Acted (and recorded for the key); the answer is late.
    if let Some(hold) = hold_answer {
        tokio::time::sleep(hold).await;
    }
    resp
}

/// Whether `Accept` names Dwolla's media type: one of its comma-separated media ranges is
/// `application/vnd.dwolla.v1.hal+json` (any case, parameters such as HAL-Forms' `profile`
/// allowed) without `q=0`. `*/*`, `application/json` and other versions do not count: they do not
/// name the API version.
pub(crate) fn accepts_dwolla_media_type(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|range| {
            let mut parts = range.split(';');
            let media_type = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| {
                p.split_once('=').is_some_and(|(name, value)| {
                    name.trim().eq_ignore_ascii_case("q")
                        && value.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
                })
            });
            media_type.eq_ignore_ascii_case(HAL_JSON) && !refused
        })
}

/// Refuses a request whose `Accept` does not name Dwolla's media type (missing included), as
/// Dwolla does: 406 `InvalidVersion` "Missing or invalid API version." (Dwolla's common errors).
/// Simulator choice: checked before the access token.
fn check_accept(headers: &HeaderMap) -> Result<(), Response> {
    if accepts_dwolla_media_type(headers) {
        Ok(())
    } else {
        Err(error(
            StatusCode::NOT_ACCEPTABLE,
            "InvalidVersion",
            "Missing or invalid API version.",
        ))
    }
}

/// Refuses a missing or unknown access token (401 `InvalidAccessToken`) and an expired one
/// (401 `ExpiredAccessToken`).
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_accept(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        }
        headers
    }

    #[test]
    fn only_dwollas_media_type_is_accepted() {
        for ok in [
            &["application/vnd.dwolla.v1.hal+json"][..],
            &["Application/Vnd.Dwolla.V1.Hal+Json"],
            &["application/vnd.dwolla.v1.hal+json; profile=\"https://github.com/dwolla/hal-forms\""],
            &["application/json, application/vnd.dwolla.v1.hal+json;q=0.5"],
            &["text/html", "application/vnd.dwolla.v1.hal+json"],
        ] {
            assert!(accepts_dwolla_media_type(&with_accept(ok)), "{ok:?}");
        }
        for refused in [
            &[][..],
            &[""],
            &["*/*"],
            &["application/json"],
            &["application/*"],
            &["application/vnd.dwolla.v2.hal+json"],
            &["application/vnd.dwolla.v1.hal+json;q=0"],
            &["application/vnd.dwolla.v1.hal+jsonx"],
        ] {
            assert!(
                !accepts_dwolla_media_type(&with_accept(refused)),
                "{refused:?}"
            );
        }
    }
}
