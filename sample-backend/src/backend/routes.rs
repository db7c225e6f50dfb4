//! The routes of the backend contract.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::dwolla::{DwollaError, DwollaResponse};
use super::error::ApiError;
use super::rewrite::valid_id;
use super::{AppUser, Backend, Kind};
use crate::hal::hal_response;

type Answer = Result<Response, ApiError>;

pub(crate) fn router(backend: Backend) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/exchange-partners", get(partners))
        .route("/exchange-partners/{id}", get(partner))
        .route("/customers/{id}/exchange-sessions", post(create_session))
        .route("/exchange-sessions/{id}", get(get_session))
        .route("/exchanges/{id}/exchange-sessions", post(reauth_session))
        .route("/customers/{id}/exchanges", post(create_exchange))
        .route("/exchanges/{id}", get(get_exchange))
        .route(
            "/customers/{id}/available-exchange-connections",
            get(available_connections),
        )
        .route(
            "/customers/{id}/funding-sources",
            post(create_funding_source),
        )
        .route("/funding-sources/{id}", get(get_funding_source))
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .layer(middleware::from_fn(log_requests))
        .with_state(backend)
}

/// Logs method, path, status and duration of each request; nothing else (no headers, no query,
/// no body).
async fn log_requests(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let mut path = req.uri().path().to_string();
    if path.len() > 200 {
        let mut cut = 200;
        while !path.is_char_boundary(cut) {
            cut -= 1;
        }
        path.truncate(cut);
        path.push_str("...");
    }
    let started = Instant::now();
    let resp = next.run(req).await;
    log::info!(
        "{method} {path} -> {} in {} ms",
        resp.status().as_u16(),
        started.elapsed().as_millis()
    );
    resp
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

async fn health() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

/// The authenticated app user of a request.
pub(crate) struct Caller(AppUser);

impl FromRequestParts<Backend> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Backend) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .ok_or_else(ApiError::unauthorized)?;
        state
            .inner
            .users
            .get(token)
            .cloned()
            .map(Caller)
            .ok_or_else(ApiError::unauthorized)
    }
}

fn id_of(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    match path {
        Ok(Path(id)) if valid_id(&id) => Ok(id),
        _ => Err(ApiError::not_found()),
    }
}

fn hal(status: StatusCode, location: Option<String>, body: Value) -> Response {
    let mut resp = hal_response(status, body.to_string());
    if let Some(loc) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    resp
}

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

fn idempotency_key(headers: &HeaderMap) -> HeaderValue {
    headers
        .get("idempotency-key")
        .filter(|v| !v.is_empty() && v.len() <= 255 && v.to_str().is_ok())
        .cloned()
        .unwrap_or_else(|| {
            HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
                .unwrap_or_else(|_| HeaderValue::from_static("invalid"))
        })
}

fn parse_body(bytes: &Bytes) -> Result<Value, ApiError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(json!({}));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(ApiError::bad_body()),
    }
}

impl Backend {
    fn customer(&self, caller: &AppUser, id: &str) -> Result<String, ApiError> {
        if id == "me" || id == caller.customer_id {
            Ok(caller.customer_id.clone())
        } else {
            Err(ApiError::not_found())
        }
    }

    fn owner(&self, kind: Kind, id: &str) -> Option<String> {
        self.inner
            .owners
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(kind, id.to_string()))
            .cloned()
    }

    /// Records `customer` as the creator of a new resource; false when another customer already
    /// holds it.
    fn claim(&self, kind: Kind, id: &str, customer: &str) -> bool {
        let mut owners = self.inner.owners.lock().unwrap_or_else(|p| p.into_inner());
        let owner = owners
            .entry((kind, id.to_string()))
            .or_insert_with(|| customer.to_string());
        owner == customer
    }

    fn remember(&self, kind: Kind, id: &str, customer: &str) {
        self.inner
            .owners
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((kind, id.to_string()), customer.to_string());
    }

    /// Dwolla's error answer as the app's: status, code, message (hrefs moved), Retry-After.
    fn pass_error(&self, resp: DwollaResponse) -> ApiError {
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

    fn answer(&self, resp: DwollaResponse) -> Answer {
        if !resp.status.is_success() {
            return Err(self.pass_error(resp));
        }
        let mut body = resp
            .body
            .ok_or_else(|| ApiError::bad_gateway("Dwolla answered unexpectedly."))?;
        self.inner.rw.json_to_public(&mut body);
        Ok(hal(resp.status, None, body))
    }

    /// Whether a resource Dwolla returned belongs to `customer` by its `_links.customer`.
    fn links_to(&self, body: &Option<Value>, customer: &str) -> bool {
        body.as_ref()
            .and_then(|b| b.pointer("/_links/customer/href"))
            .and_then(Value::as_str)
            .and_then(|h| self.inner.rw.id_in(h, "customers"))
            .is_some_and(|id| id == customer)
    }

    /// Fetches a resource of `kind` for `caller`, answering 404 for another customer's.
    async fn fetch_owned(
        &self,
        kind: Kind,
        id: &str,
        caller: &AppUser,
    ) -> Result<DwollaResponse, ApiError> {
        let path = format!("/{}/{id}", kind.collection());
        match self.owner(kind, id) {
            Some(owner) if owner == caller.customer_id => Ok(self.inner.dwolla.get(&path).await?),
            Some(_) => Err(ApiError::not_found()),
            None => {
                // Not created through this backend (or before a restart): own it only when
                // Dwolla links it to the caller's customer.
                let resp = self.inner.dwolla.get(&path).await?;
                if !resp.status.is_success() {
                    return match resp.status.as_u16() {
                        403 | 404 => Err(ApiError::not_found()),
                        _ => Err(self.pass_error(resp)),
                    };
                }
                if self.links_to(&resp.body, &caller.customer_id) {
                    self.remember(kind, id, &caller.customer_id);
                    Ok(resp)
                } else {
                    Err(ApiError::not_found())
                }
            }
        }
    }

    async fn get_owned(&self, kind: Kind, id: &str, caller: &AppUser) -> Answer {
        let resp = self.fetch_owned(kind, id, caller).await?;
        self.answer(resp)
    }

    /// POSTs `body` to Dwolla, reads the created resource and answers 201 + Location + body.
    async fn create(
        &self,
        path: &str,
        mut body: Value,
        headers: &HeaderMap,
        kind: Kind,
        customer: &str,
    ) -> Answer {
        self.inner.rw.json_to_dwolla(&mut body);
        let app_key = headers.contains_key("idempotency-key");
        let key = idempotency_key(headers);
        let resp = self.inner.dwolla.post(path, &body, &key).await?;
        if !resp.status.is_success() {
            return Err(self.pass_error(resp));
        }
        let location = resp
            .location
            .ok_or(DwollaError::Protocol("created without Location"))?;
        // Dwolla replays the first answer for a reused Idempotency-Key whatever the request: a
        // key already used for another kind of resource, or by another user, must not hand
        // that resource over.
        let reused = || {
            ApiError::new(
                StatusCode::CONFLICT,
                "Conflict",
                "This Idempotency-Key was already used for another request.",
            )
        };
        let id = match self.inner.rw.id_in(&location, kind.collection()) {
            Some(id) => id,
            None if app_key => return Err(reused()),
            None => return Err(DwollaError::Protocol("Location of an unexpected shape").into()),
        };
        if !self.claim(kind, &id, customer) {
            return Err(reused());
        }
        let created = self.inner.dwolla.get(&location).await?;
        if !created.status.is_success() {
            return Err(self.pass_error(created));
        }
        let mut created_body = created
            .body
            .ok_or(DwollaError::Protocol("created resource without a body"))?;
        self.inner.rw.json_to_public(&mut created_body);
        let public_location = self.inner.rw.to_public(&location);
        Ok(hal(StatusCode::CREATED, public_location, created_body))
    }

    fn check_redirect(&self, body: &Value) -> Result<(), ApiError> {
        match body.pointer("/_links/redirect-url") {
            None => Ok(()),
            Some(link) => match link.get("href").and_then(Value::as_str) {
                Some(href) if self.inner.allowed.iter().any(|a| a == href) => Ok(()),
                _ => Err(ApiError::redirect_not_allowed()),
            },
        }
    }
}

async fn partners(State(b): State<Backend>, _c: Caller) -> Answer {
    let resp = b.inner.dwolla.get("/exchange-partners").await?;
    b.answer(resp)
}

async fn partner(
    State(b): State<Backend>,
    _c: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Answer {
    let id = id_of(path)?;
    let resp = b
        .inner
        .dwolla
        .get(&format!("/exchange-partners/{id}"))
        .await?;
    b.answer(resp)
}

async fn create_session(
    State(b): State<Backend>,
    Caller(user): Caller,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Answer {
    let customer = b.customer(&user, &id_of(path)?)?;
    let body = parse_body(&bytes)?;
    b.check_redirect(&body)?;
    let dwolla_path = format!("/customers/{customer}/exchange-sessions");
    b.create(&dwolla_path, body, &headers, Kind::Session, &customer)
        .await
}

async fn reauth_session(
    State(b): State<Backend>,
    Caller(user): Caller,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Answer {
    let exchange = id_of(path)?;
    b.fetch_owned(Kind::Exchange, &exchange, &user).await?;
    let body = parse_body(&bytes)?;
    b.check_redirect(&body)?;
    let dwolla_path = format!("/exchanges/{exchange}/exchange-sessions");
    b.create(
        &dwolla_path,
        body,
        &headers,
        Kind::Session,
        &user.customer_id,
    )
    .await
}

async fn get_session(
    State(b): State<Backend>,
    Caller(user): Caller,
    path: Result<Path<String>, PathRejection>,
) -> Answer {
    b.get_owned(Kind::Session, &id_of(path)?, &user).await
}

async fn create_exchange(
    State(b): State<Backend>,
    Caller(user): Caller,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Answer {
    let customer = b.customer(&user, &id_of(path)?)?;
    let body = parse_body(&bytes)?;
    let dwolla_path = format!("/customers/{customer}/exchanges");
    b.create(&dwolla_path, body, &headers, Kind::Exchange, &customer)
        .await
}

async fn get_exchange(
    State(b): State<Backend>,
    Caller(user): Caller,
    path: Result<Path<String>, PathRejection>,
) -> Answer {
    b.get_owned(Kind::Exchange, &id_of(path)?, &user).await
}

async fn available_connections(
    State(b): State<Backend>,
    Caller(user): Caller,
    path: Result<Path<String>, PathRejection>,
) -> Answer {
    let customer = b.customer(&user, &id_of(path)?)?;
    let resp = b
        .inner
        .dwolla
        .get(&format!(
            "/customers/{customer}/available-exchange-connections"
        ))
        .await?;
    b.answer(resp)
}

async fn create_funding_source(
    State(b): State<Backend>,
    Caller(user): Caller,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Answer {
    let customer = b.customer(&user, &id_of(path)?)?;
    let body = parse_body(&bytes)?;
    if let Some(href) = body.pointer("/_links/exchange/href") {
        let invalid =
            || ApiError::validation("/_links/exchange/href is invalid.", "/_links/exchange/href");
        let exchange = href
            .as_str()
            .and_then(|h| b.inner.rw.id_in(h, "exchanges"))
            .ok_or_else(invalid)?;
        // Another customer's exchange is refused exactly like one that does not exist.
        b.fetch_owned(Kind::Exchange, &exchange, &user)
            .await
            .map_err(|e| {
                if e.status() == StatusCode::NOT_FOUND {
                    invalid()
                } else {
                    e
                }
            })?;
    }
    let dwolla_path = format!("/customers/{customer}/funding-sources");
    b.create(&dwolla_path, body, &headers, Kind::FundingSource, &customer)
        .await
}

async fn get_funding_source(
    State(b): State<Backend>,
    Caller(user): Caller,
    path: Result<Path<String>, PathRejection>,
) -> Answer {
    b.get_owned(Kind::FundingSource, &id_of(path)?, &user).await
}
