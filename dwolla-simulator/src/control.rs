//! The `/sim/` control surface (no auth, JSON); see the module documentation of
//! [`super`] for its paths.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::json;

use super::model::PARTNER_NAMES;
use super::response::json_response;
use super::{Fault, Scopes, Simulator};

/// The router of the `/sim/` control surface.
pub(crate) fn router(sim: Simulator) -> Router {
    Router::new()
        .route("/sim/plaid/complete-link", post(complete_link))
        .route("/sim/mx/complete-session", post(complete_mx))
        .route(
            "/sim/checkout/complete-payment-session",
            post(complete_checkout),
        )
        .route("/sim/exchanges/{id}/require-reauth", post(require_reauth))
        .route("/sim/account", get(get_account).put(put_account))
        .route("/sim/faults", post(add_fault).merge(delete(clear_faults)))
        .route("/sim/tokens/expire", post(expire_tokens))
        .route("/sim/stats", get(stats))
        .with_state(sim)
}

fn bad_request(message: &str) -> Response {
    json_response(StatusCode::BAD_REQUEST, json!({ "error": message }))
}

fn parse<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|e| bad_request(&format!("invalid JSON body: {e}")))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CompleteLink {
    link_token: String,
    account: Option<String>,
}

async fn complete_link(State(sim): State<Simulator>, body: Bytes) -> Response {
    let req: CompleteLink = match parse(&body) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    match sim.complete_plaid_link_with_account(&req.link_token, req.account.as_deref()) {
        Some(public_token) => json_response(StatusCode::OK, json!({ "publicToken": public_token })),
        None => json_response(
            StatusCode::NOT_FOUND,
            json!({ "error": "unknown or already used link token" }),
        ),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CompleteMx {
    exchange_session_id: String,
    account: Option<String>,
}

async fn complete_mx(State(sim): State<Simulator>, body: Bytes) -> Response {
    let req: CompleteMx = match parse(&body) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    match sim.complete_mx_session_with_account(&req.exchange_session_id, req.account.as_deref()) {
        Some(token) => json_response(StatusCode::OK, json!({ "availableConnectionToken": token })),
        None => json_response(
            StatusCode::NOT_FOUND,
            json!({ "error": "unknown, used or non-MX exchange session" }),
        ),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CompleteCheckout {
    payment_session_id: String,
}

async fn complete_checkout(State(sim): State<Simulator>, body: Bytes) -> Response {
    let req: CompleteCheckout = match parse(&body) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    match sim.complete_checkout_payment(&req.payment_session_id) {
        Some(token) => json_response(StatusCode::OK, json!({ "cardToken": token })),
        None => json_response(
            StatusCode::NOT_FOUND,
            json!({ "error": "unknown or already used payment session" }),
        ),
    }
}

async fn require_reauth(State(sim): State<Simulator>, Path(id): Path<String>) -> Response {
    if sim.require_reauth(&id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        json_response(
            StatusCode::NOT_FOUND,
            json!({ "error": "unknown exchange" }),
        )
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AccountUpdate {
    redirect_urls: Option<Vec<String>>,
    partners: Option<Vec<String>>,
    enabled_partners: Option<Vec<String>>,
    scopes: Option<Scopes>,
}

async fn get_account(State(sim): State<Simulator>) -> Response {
    json_response(StatusCode::OK, json!(sim.account_settings()))
}

async fn put_account(State(sim): State<Simulator>, body: Bytes) -> Response {
    let req: AccountUpdate = match parse(&body) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    for names in [&req.partners, &req.enabled_partners].into_iter().flatten() {
        if let Some(unknown) = names.iter().find(|n| !PARTNER_NAMES.contains(&n.as_str())) {
            return bad_request(&format!(
                "unknown partner {unknown:?}; known: {}",
                PARTNER_NAMES.join(", ")
            ));
        }
    }
    if let Some(urls) = req.redirect_urls {
        sim.set_allowed_redirect_urls(urls);
    }
    if let Some(names) = req.partners {
        sim.set_partners(names);
    }
    if let Some(names) = req.enabled_partners {
        sim.set_enabled_partners(names);
    }
    if let Some(scopes) = req.scopes {
        sim.set_exchange_sessions_scope(scopes.exchange_sessions);
    }
    json_response(StatusCode::OK, json!(sim.account_settings()))
}

async fn add_fault(State(sim): State<Simulator>, body: Bytes) -> Response {
    let fault: Fault = match parse(&body) {
        Ok(f) => f,
        Err(resp) => return resp,
    };
    if let Err(message) = fault.validate() {
        return bad_request(&message);
    }
    let echo = json!(fault);
    sim.add_fault(fault);
    json_response(StatusCode::CREATED, echo)
}

async fn clear_faults(State(sim): State<Simulator>) -> Response {
    sim.clear_faults();
    StatusCode::NO_CONTENT.into_response()
}

async fn expire_tokens(State(sim): State<Simulator>) -> Response {
    sim.expire_tokens();
    StatusCode::NO_CONTENT.into_response()
}

async fn stats(State(sim): State<Simulator>) -> Response {
    json_response(
        StatusCode::OK,
        json!({
            "tokenRequests": sim.token_requests(),
            "exchangeSessions": sim.exchange_session_count(),
            "exchanges": sim.exchange_count(),
            "fundingSources": sim.funding_source_count(),
        }),
    )
}
