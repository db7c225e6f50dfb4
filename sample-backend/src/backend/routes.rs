//! The routes of the backend contract (`docs/backend-contract.md`): the route table and its
//! handlers, which read the request (path id, `Idempotency-Key`, JSON body), check it, build the
//! body for Dwolla, take a Dwolla slot and hand over to the flows of the sibling modules. Every
//! check that needs no Dwolla call comes before the slot, so a refused request costs Dwolla
//! nothing.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::accounts;
use super::auth::Caller;
use super::bodies::{self, JsonBody};
use super::error::ApiError;
use super::idempotency::idempotency_key;
use super::limits;
use super::passthrough::Answer;
use super::request_log::log_requests;
use super::rewrite::valid_id;
use super::store::ResourceKind;
use super::Backend;

/// The backend's router: the contract's routes, 405 with `Allow` for a known path asked with
/// another method, 404 for any other path, every request under the client limits (429) and
/// logged.
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
            post(create_funding_source).get(accounts::list_funding_sources),
        )
        .route(
            "/funding-sources/{id}",
            get(get_funding_source).post(accounts::remove_funding_source),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            backend.clone(),
            limits::limit_requests,
        ))
        .layer(middleware::from_fn(log_requests))
        .with_state(backend)
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

/// A known path with a method it does not take: 405. axum adds `Allow` with the methods the
/// path's route takes (`GET,HEAD` for a GET route) to the answer of this fallback.
async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

async fn health() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

/// The id of the path, 404 when it is not a valid Dwolla id.
pub(crate) fn id_of(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    match path {
        Ok(Path(id)) if valid_id(&id) => Ok(id),
        _ => Err(ApiError::not_found()),
    }
}

async fn partners(State(b): State<Backend>, _c: Caller) -> Answer {
    let _slot = b.inner.dwolla_slots.acquire().await?;
    let resp = b.inner.dwolla.get("/exchange-partners").await?;
    b.answer(resp)
}

async fn partner(
    State(b): State<Backend>,
    _c: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Answer {
    let id = id_of(path)?;
    let _slot = b.inner.dwolla_slots.acquire().await?;
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
    JsonBody(body): JsonBody,
) -> Answer {
    let customer = b.customer(&user, &id_of(path)?)?;
    let key = idempotency_key(&headers)?;
    b.check_redirect(&body)?;
    let body = bodies::session_body(&b.inner.rw, &body)?;
    let _slot = b.inner.dwolla_slots.acquire().await?;
    let dwolla_path = format!("/customers/{customer}/exchange-sessions");
    b.create(
        &dwolla_path,
        body,
        &key,
        ResourceKind::ExchangeSession,
        &customer,
    )
    .await
}

async fn reauth_session(
    State(b): State<Backend>,
    Caller(user): Caller,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Answer {
    let exchange = id_of(path)?;
    let key = idempotency_key(&headers)?;
    b.check_redirect(&body)?;
    let body = bodies::reauth_body(&body)?;
    let _slot = b.inner.dwolla_slots.acquire().await?;
    b.fetch_owned(ResourceKind::Exchange, &exchange, &user)
        .await?;
    let dwolla_path = format!("/exchanges/{exchange}/exchange-sessions");
    b.create(
        &dwolla_path,
        body,
        &key,
        ResourceKind::ExchangeSession,
        &user.customer_id,
    )
    .await
}

async fn get_session(
    State(b): State<Backend>,
    Caller(user): Caller,
    path: Result<Path<String>, PathRejection>,
) -> Answer {
    let id = id_of(path)?;
    let _slot = b.inner.dwolla_slots.acquire().await?;
    b.get_owned(ResourceKind::ExchangeSession, &id, &user).await
}

async fn create_exchange(
    State(b): State<Backend>,
    Caller(user): Caller,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Answer {
    let customer = b.customer(&user, &id_of(path)?)?;
    let key = idempotency_key(&headers)?;
    let body = bodies::exchange_body(&b.inner.rw, &body)?;
    let _slot = b.inner.dwolla_slots.acquire().await?;
    let dwolla_path = format!("/customers/{customer}/exchanges");
    b.create(&dwolla_path, body, &key, ResourceKind::Exchange, &customer)
        .await
}

async fn get_exchange(
    State(b): State<Backend>,
    Caller(user): Caller,
    path: Result<Path<String>, PathRejection>,
) -> Answer {
    let id = id_of(path)?;
    let _slot = b.inner.dwolla_slots.acquire().await?;
    b.get_owned(ResourceKind::Exchange, &id, &user).await
}

async fn available_connections(
    State(b): State<Backend>,
    Caller(user): Caller,
    path: Result<Path<String>, PathRejection>,
) -> Answer {
    let customer = b.customer(&user, &id_of(path)?)?;
    let _slot = b.inner.dwolla_slots.acquire().await?;
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
    JsonBody(body): JsonBody,
) -> Answer {
    let customer = b.customer(&user, &id_of(path)?)?;
    let key = idempotency_key(&headers)?;
    let (body, origin) = bodies::funding_source_body(&b.inner.rw, &body)?;
    let _slot = b.inner.dwolla_slots.acquire().await?;
    // Another customer's exchange is refused exactly like one that does not exist. A card token
    // is tied to its customer by Dwolla itself.
    if let bodies::FundingSourceOrigin::Exchange(exchange) = &origin {
        b.fetch_owned(ResourceKind::Exchange, exchange, &user)
            .await
            .map_err(|e| {
                if e.status() == StatusCode::NOT_FOUND {
                    ApiError::validation(
                        "/_links/exchange/href is invalid.",
                        "/_links/exchange/href",
                    )
                } else {
                    e
                }
            })?;
    }
    let dwolla_path = format!("/customers/{customer}/funding-sources");
    b.create(
        &dwolla_path,
        body,
        &key,
        ResourceKind::FundingSource,
        &customer,
    )
    .await
}

async fn get_funding_source(
    State(b): State<Backend>,
    Caller(user): Caller,
    path: Result<Path<String>, PathRejection>,
) -> Answer {
    let id = id_of(path)?;
    let _slot = b.inner.dwolla_slots.acquire().await?;
    b.get_owned(ResourceKind::FundingSource, &id, &user).await
}
