//! Dwolla's paths: tokens, exchange partners, customers, exchange sessions, exchanges and
//! funding sources.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};

use super::accounts;
use super::middleware::{dwolla_layer, BaseUrl};
use super::model::{
    new_id, now_iso, random_alnum, Exchange, FundingSource, FundingSourceKind, SessionKind,
    State as SimState,
};
use super::response::{
    created, error, hal, json_response, not_found, validation, validation_with_code,
};
use super::Simulator;
use crate::HAL_JSON;

/// Error texts of Dwolla's exchange-session documentation, word for word.
pub(crate) mod messages {
    /// 400 `ValidationError` for a bad `_links.exchange-partner.href`.
    pub const PARTNER_HREF_INVALID: &str = "/_links/exchange-partner/href is invalid";
    /// 400 `ValidationError` for a bad `_links.redirect-url.href`.
    pub const REDIRECT_HREF_INVALID: &str = "/_links/redirect-url/href is invalid";
    /// 400 `ValidationError` for a redirect URL not configured for the account.
    pub const REDIRECT_NOT_CONFIGURED: &str =
        "The provided redirect URL must exactly match one of the configured URLs for the account";
    /// 401 `InvalidScope`.
    pub const INVALID_SCOPE: &str = "Missing or invalid scopes for requested endpoint";
    /// 403 `forbidden`: partner without exchange sessions.
    pub const PARTNER_UNSUPPORTED: &str =
        "The exchange partner specified does not support this product";
    /// 403 `forbidden`: partner not enabled for the account.
    pub const PARTNER_NOT_ENABLED: &str =
        "Exchange sessions with this exchange partner are not enabled for your account";
    /// 404 `notFound` for `GET /exchange-sessions/{id}`.
    pub const SESSION_NOT_FOUND: &str = "Exchange session not found.";
    /// 400 `InvalidExchangeToken`.
    pub const INVALID_EXCHANGE_TOKEN: &str =
        "The exchange token is not valid to perform this operation.";
    /// 400 `ValidationError` for a second funding source from the same exchange.
    pub const DUPLICATE_FUNDING_SOURCE: &str = "Duplicate funding source or validation error. Authorization already associated to a funding source.";
    /// 400 `UpdateCredentials` (simulator wording; Dwolla's documents give no message).
    pub const UPDATE_CREDENTIALS: &str = "The user must re-authenticate with their bank. Create a re-authentication exchange session.";
    /// Top-level message of a validation error with several embedded errors.
    pub const VALIDATION_ERRORS: &str =
        "Validation error(s) present. See embedded errors list for more details.";
}
use messages::{
    DUPLICATE_FUNDING_SOURCE, INVALID_EXCHANGE_TOKEN, INVALID_SCOPE, PARTNER_HREF_INVALID,
    PARTNER_NOT_ENABLED, PARTNER_UNSUPPORTED, REDIRECT_HREF_INVALID, REDIRECT_NOT_CONFIGURED,
    SESSION_NOT_FOUND, UPDATE_CREDENTIALS, VALIDATION_ERRORS,
};

/// The router of Dwolla's paths, behind [`dwolla_layer`].
pub(crate) fn router(sim: Simulator) -> Router {
    Router::new()
        .route("/token", post(token))
        .route("/exchange-partners", get(list_partners))
        .route("/exchange-partners/{id}", get(get_partner))
        .route("/customers", post(create_customer))
        .route("/customers/{id}", get(get_customer))
        .route(
            "/customers/{id}/exchange-sessions",
            post(create_customer_session),
        )
        .route("/exchange-sessions/{id}", get(get_session))
        .route(
            "/exchanges/{id}/exchange-sessions",
            post(create_reauth_session),
        )
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
            get(accounts::get_funding_source).post(accounts::update_funding_source),
        )
        .layer(axum::middleware::from_fn_with_state(
            sim.clone(),
            dwolla_layer,
        ))
        // Added after the layer: an unknown path answers 404 with or without an access token.
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(sim)
}

async fn fallback() -> Response {
    not_found()
}

async fn method_not_allowed() -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        "The method is not allowed for the requested resource.",
    )
}

/// A HAL link.
pub(crate) fn link(href: String, resource_type: &str) -> Value {
    json!({ "href": Value::String(href), "type": HAL_JSON, "resource-type": resource_type })
}

/// The body as JSON; 400 `BadRequest` when it is not a JSON object.
pub(crate) fn parse_body(body: &Bytes, empty_ok: bool) -> Result<Value, Response> {
    if empty_ok && body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(value @ Value::Object(_)) => Ok(value),
        _ => Err(error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "The request body contains bad syntax or is incomplete.",
        )),
    }
}

/// `body._links[rel].href` as a string.
pub(crate) fn link_href<'a>(body: &'a Value, rel: &str) -> Option<&'a str> {
    body.get("_links")?.get(rel)?.get("href")?.as_str()
}

/// The id in `<base>/<collection>/<id>`.
pub(crate) fn id_in_href<'a>(href: &'a str, base: &str, collection: &str) -> Option<&'a str> {
    let rest = href.strip_prefix(base)?.strip_prefix('/')?;
    let id = rest.strip_prefix(collection)?.strip_prefix('/')?;
    (!id.is_empty() && !id.contains('/') && !id.contains('?')).then_some(id)
}

fn invalid_scope() -> Response {
    error(StatusCode::UNAUTHORIZED, "InvalidScope", INVALID_SCOPE)
}

// ---------------------------------------------------------------------------------------------
// POST /token

/// An OAuth error answer of `POST /token`: `{"error": code}`.
fn token_error(status: StatusCode, code: &str) -> Response {
    json_response(status, json!({ "error": code }))
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (key, secret) = text.split_once(':')?;
    Some((key.to_string(), secret.to_string()))
}

async fn token(State(sim): State<Simulator>, headers: HeaderMap, body: Bytes) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let credentials = basic_credentials(&headers).or_else(|| {
        Some((
            form.get("client_id")?.clone(),
            form.get("client_secret")?.clone(),
        ))
    });
    let config = sim.config();
    let valid = credentials
        .is_some_and(|(key, secret)| key == config.client_key && secret == config.client_secret);
    if !valid {
        return token_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return token_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    let access_token = random_alnum(50);
    let ttl = config.token_ttl;
    let now = Instant::now();
    let mut state = sim.state();
    // Keep memory bounded in a long-running simulator: forget long-expired tokens.
    if state.tokens.len() >= 10_000 {
        state
            .tokens
            .retain(|_, expiry| expiry.checked_add(ttl).is_none_or(|t| t > now));
    }
    // A lifetime too long for the clock (a test's `Duration::MAX`) is as good as forever.
    let expiry = now
        .checked_add(ttl)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(now);
    state.tokens.insert(access_token.clone(), expiry);
    drop(state);
    json_response(
        StatusCode::OK,
        json!({ "access_token": access_token, "token_type": "bearer", "expires_in": ttl.as_secs() }),
    )
}

// ---------------------------------------------------------------------------------------------
// Exchange partners

fn partner_json(base: &str, p: &super::model::Partner) -> Value {
    json!({
        "_links": { "self": link(format!("{base}/exchange-partners/{}", p.id), "exchange-partner") },
        "id": p.id,
        "name": p.name,
        "status": "active",
        "created": p.created,
    })
}

async fn list_partners(
    State(sim): State<Simulator>,
    Extension(BaseUrl(base)): Extension<BaseUrl>,
) -> Response {
    let state = sim.state();
    let partners: Vec<Value> = state
        .partners
        .iter()
        .filter(|p| state.listed_partner(&p.id).is_some())
        .map(|p| partner_json(&base, p))
        .collect();
    let total = partners.len();
    hal(
        StatusCode::OK,
        json!({
            "_links": { "self": link(format!("{base}/exchange-partners"), "exchange-partner") },
            "_embedded": { "exchange-partners": partners },
            "total": total,
        }),
    )
}

async fn get_partner(
    State(sim): State<Simulator>,
    Extension(BaseUrl(base)): Extension<BaseUrl>,
    Path(id): Path<String>,
) -> Response {
    match sim.state().listed_partner(&id) {
        Some(p) => hal(StatusCode::OK, partner_json(&base, p)),
        None => not_found(),
    }
}

// ---------------------------------------------------------------------------------------------
// Customers

/// The customer types of Dwolla's `CreateCustomer` schemas (receive-only user, unverified,
/// verified personal, verified business).
pub(crate) const CUSTOMER_TYPES: [&str; 4] = ["receive-only", "unverified", "personal", "business"];

/// The `businessType` values of Dwolla's verified business schemas.
const BUSINESS_TYPES: [&str; 4] = ["soleProprietorship", "llc", "corporation", "partnership"];

/// The fields a customer of a type reads back (when sent) beyond the common ones.
fn read_back_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "personal" => &[
            "address1",
            "address2",
            "city",
            "state",
            "postalCode",
            "phone",
        ],
        "business" => &[
            "address1",
            "address2",
            "city",
            "state",
            "postalCode",
            "phone",
            "website",
            "businessName",
            "doingBusinessAs",
            "businessType",
            "businessClassification",
        ],
        _ => &["businessName"],
    }
}

/// The fields Dwolla's schema for `kind` (and `business_type`) requires beyond firstName,
/// lastName, email and type.
fn required_fields(kind: &str, business_type: Option<&str>) -> Vec<&'static str> {
    let address = ["address1", "city", "state", "postalCode"];
    match kind {
        "personal" => [&address[..], &["dateOfBirth", "ssn"]].concat(),
        "business" => {
            let mut fields = [
                &address[..],
                &["businessName", "businessType", "businessClassification"],
            ]
            .concat();
            match business_type {
                Some("soleProprietorship") => fields.extend(["dateOfBirth", "ssn"]),
                Some(_) => fields.extend(["controller", "ein"]),
                None => {}
            }
            fields
        }
        _ => Vec::new(),
    }
}

/// A field's name as Dwolla's messages write it: `postalCode` -> `PostalCode`.
fn field_label(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_uppercase().to_string() + chars.as_str()
    })
}

/// An embedded validation error.
fn embedded_error(code: &str, message: &str, path: &str) -> Value {
    json!({ "code": code, "message": message, "path": path, "_links": {} })
}

/// The validation errors of a `POST /customers` body, in Dwolla's order: the common fields, the
/// type, then what the type requires. The type is `None` when it is missing or unknown.
///
/// A field is given when it is a non-empty string (the controller: an object). `type` missing,
/// null or empty is `Required`; any other value but the four types is `Invalid`.
fn customer_errors(body: &Value) -> (Vec<Value>, Option<&'static str>) {
    let text = |name: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let absent = |name: &str| match body.get(name) {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(_) => false,
    };
    let required = |name: &str| {
        embedded_error(
            "Required",
            &format!("{} required.", field_label(name)),
            &format!("/{name}"),
        )
    };
    let invalid = |name: &str| {
        embedded_error(
            "Invalid",
            &format!("{} invalid.", field_label(name)),
            &format!("/{name}"),
        )
    };
    let mut errors = Vec::new();
    for name in ["firstName", "lastName", "email"] {
        if text(name).is_none() {
            errors.push(required(name));
        }
    }
    if let Some(email) = text("email") {
        let valid = email
            .split_once('@')
            .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'));
        if !valid {
            errors.push(embedded_error("Invalid", "Invalid parameter.", "/email"));
        }
    }
    // Every CreateCustomer schema of Dwolla's OpenAPI document requires `type`.
    let kind = text("type").and_then(|t| CUSTOMER_TYPES.iter().copied().find(|k| *k == t));
    if absent("type") {
        errors.push(required("type"));
    } else if kind.is_none() {
        errors.push(invalid("type"));
    }
    if let Some(kind) = kind {
        let business_type = text("businessType").filter(|b| BUSINESS_TYPES.contains(b));
        for name in required_fields(kind, business_type) {
            let given = if name == "controller" {
                !absent(name)
            } else {
                text(name).is_some()
            };
            if !given {
                errors.push(required(name));
            }
        }
        if kind == "business" && !absent("businessType") && business_type.is_none() {
            errors.push(invalid("businessType"));
        }
        if required_fields(kind, business_type).contains(&"controller")
            && !absent("controller")
            && !body["controller"].is_object()
        {
            errors.push(invalid("controller"));
        }
    }
    (errors, kind)
}

/// What a new customer reads back beyond the common fields: its type's fields as sent (strings),
/// and a business's controller (name, title, address; never its SSN, passport or date of birth).
fn customer_details(body: &Value, kind: &str) -> Map<String, Value> {
    let mut details = Map::new();
    for name in read_back_fields(kind) {
        if let Some(Value::String(value)) = body.get(*name) {
            details.insert((*name).to_string(), Value::String(value.trim().to_string()));
        }
    }
    if kind == "business" {
        if let Some(controller) = body.get("controller").and_then(Value::as_object) {
            let kept: Map<String, Value> = controller
                .iter()
                .filter(|(k, _)| {
                    ["firstName", "lastName", "title", "address"].contains(&k.as_str())
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            details.insert("controller".to_string(), Value::Object(kept));
        }
    }
    details
}

async fn create_customer(
    State(sim): State<Simulator>,
    Extension(BaseUrl(base)): Extension<BaseUrl>,
    body: Bytes,
) -> Response {
    let body = match parse_body(&body, false) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let (errors, kind) = customer_errors(&body);
    let Some(kind) = kind.filter(|_| errors.is_empty()) else {
        return hal(
            StatusCode::BAD_REQUEST,
            json!({ "code": "ValidationError", "message": VALIDATION_ERRORS, "_embedded": { "errors": errors } }),
        );
    };
    let field = |name: &str| body.get(name).and_then(Value::as_str).map(str::trim);
    let (first, last, email) = (
        field("firstName").unwrap_or_default(),
        field("lastName").unwrap_or_default(),
        field("email").unwrap_or_default(),
    );
    let mut state = sim.state();
    if let Some(existing) = state.customer_by_email(email) {
        return hal(
            StatusCode::BAD_REQUEST,
            json!({
                "code": "ValidationError",
                "message": VALIDATION_ERRORS,
                "_embedded": { "errors": [ {
                    "code": "Duplicate",
                    "message": "A customer with the specified email already exists.",
                    "path": "/email",
                    "_links": { "about": link(format!("{base}/customers/{existing}"), "customer") }
                } ] }
            }),
        );
    }
    let details = customer_details(&body, kind);
    let id = state.add_customer_of_kind(kind, first, last, email, details);
    created(&format!("{base}/customers/{id}"))
}

async fn get_customer(
    State(sim): State<Simulator>,
    Extension(BaseUrl(base)): Extension<BaseUrl>,
    Path(id): Path<String>,
) -> Response {
    let state = sim.state();
    let Some(c) = state.customers.get(&id) else {
        return not_found();
    };
    let me = format!("{base}/customers/{}", c.id);
    // Simulator choice: verified customers are verified at once, as the sandbox verifies
    // ordinary names; receive-only and unverified customers are always `unverified`.
    let status = match c.kind {
        "personal" | "business" => "verified",
        _ => "unverified",
    };
    let mut body = json!({
        "_links": {
            "self": link(me.clone(), "customer"),
            "funding-sources": link(format!("{me}/funding-sources"), "funding-source"),
            "exchanges": link(format!("{me}/exchanges"), "exchange"),
        },
        "id": c.id,
        "firstName": c.first_name,
        "lastName": c.last_name,
        "email": c.email,
        "type": c.kind,
        "status": status,
        "created": c.created,
    });
    if let Value::Object(fields) = &mut body {
        fields.extend(c.details.clone());
    }
    hal(StatusCode::OK, body)
}

// ---------------------------------------------------------------------------------------------
// Exchange sessions

/// An Android package name by Android's rule: two or more dot-separated segments, each starting
/// with an ASCII letter and made of `[A-Za-z0-9_]`, at most 223 characters in all.
pub(crate) fn is_android_package(name: &str) -> bool {
    let segments: Vec<&str> = name.split('.').collect();
    name.len() <= 223
        && segments.len() >= 2
        && segments.iter().all(|s| {
            s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// Dwolla's redirect rules: a value starting with `https://` or `http://` is a URL (iOS), anything
/// else an Android package name; only Plaid and Visa take one, Visa needs one and only an https
/// URL; it must match a configured value byte for byte.
fn check_redirect(state: &SimState, body: &Value, partner_name: &str) -> Result<(), Response> {
    let invalid = || validation(REDIRECT_HREF_INVALID, "/_links/redirect-url/href");
    let redirect = match body.get("_links").and_then(|l| l.get("redirect-url")) {
        // Visa exchange sessions need a redirect URL (Dwolla's exchange-session documentation).
        None | Some(Value::Null) if partner_name == "Visa" => return Err(invalid()),
        None | Some(Value::Null) => return Ok(()),
        Some(r) => r,
    };
    let href = redirect
        .get("href")
        .and_then(Value::as_str)
        .ok_or_else(invalid)?;
    // Simulator choice: MX and Checkout.com take no redirect URL.
    if partner_name != "Plaid" && partner_name != "Visa" {
        return Err(invalid());
    }
    // Visa sends the user back to a web URL: an Android package name (or http) is refused.
    if partner_name == "Visa" && !href.starts_with("https://") {
        return Err(invalid());
    }
    if href.starts_with("https://") || href.starts_with("http://") {
        let url = url::Url::parse(href).map_err(|_| invalid())?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(invalid());
        }
    } else if !is_android_package(href) {
        return Err(invalid());
    }
    if !state.account.redirect_urls.iter().any(|u| u == href) {
        return Err(validation(
            REDIRECT_NOT_CONFIGURED,
            "/_links/redirect-url/href",
        ));
    }
    Ok(())
}

/// Checks that the partner supports sessions and is enabled; returns its name.
fn check_partner(state: &SimState, partner_id: &str) -> Result<String, Response> {
    let Some(partner) = state.listed_partner(partner_id) else {
        return Err(validation(
            PARTNER_HREF_INVALID,
            "/_links/exchange-partner/href",
        ));
    };
    if !partner.supports_sessions {
        return Err(error(
            StatusCode::FORBIDDEN,
            "forbidden",
            PARTNER_UNSUPPORTED,
        ));
    }
    if !state
        .account
        .enabled_partners
        .iter()
        .any(|n| n == &partner.name)
    {
        return Err(error(
            StatusCode::FORBIDDEN,
            "forbidden",
            PARTNER_NOT_ENABLED,
        ));
    }
    Ok(partner.name.clone())
}

async fn create_customer_session(
    State(sim): State<Simulator>,
    Extension(BaseUrl(base)): Extension<BaseUrl>,
    Path(customer_id): Path<String>,
    body: Bytes,
) -> Response {
    let env = sim.config().environment;
    let mut state = sim.state();
    if !state.account.scopes.exchange_sessions {
        return invalid_scope();
    }
    if !state.customers.contains_key(&customer_id) {
        return not_found();
    }
    let body = match parse_body(&body, false) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let partner_id = match link_href(&body, "exchange-partner")
        .and_then(|h| id_in_href(h, &base, "exchange-partners"))
        .filter(|id| state.listed_partner(id).is_some())
    {
        Some(id) => id.to_string(),
        None => return validation(PARTNER_HREF_INVALID, "/_links/exchange-partner/href"),
    };
    let partner_name = match check_partner(&state, &partner_id) {
        Ok(name) => name,
        Err(resp) => return resp,
    };
    if let Err(resp) = check_redirect(&state, &body, &partner_name) {
        return resp;
    }
    let id = state.add_session(&customer_id, &partner_id, env, None);
    created(&format!("{base}/exchange-sessions/{id}"))
}

async fn create_reauth_session(
    State(sim): State<Simulator>,
    Extension(BaseUrl(base)): Extension<BaseUrl>,
    Path(exchange_id): Path<String>,
    body: Bytes,
) -> Response {
    let env = sim.config().environment;
    let mut state = sim.state();
    if !state.account.scopes.exchange_sessions {
        return invalid_scope();
    }
    let Some(exchange) = state.exchanges.get(&exchange_id) else {
        return not_found();
    };
    let (customer_id, partner_id) = (exchange.customer_id.clone(), exchange.partner_id.clone());
    let body = match parse_body(&body, true) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let partner_name = match check_partner(&state, &partner_id) {
        Ok(name) => name,
        Err(resp) => return resp,
    };
    if let Err(resp) = check_redirect(&state, &body, &partner_name) {
        return resp;
    }
    let id = state.add_session(&customer_id, &partner_id, env, Some(exchange_id));
    created(&format!("{base}/exchange-sessions/{id}"))
}

async fn get_session(
    State(sim): State<Simulator>,
    Extension(BaseUrl(base)): Extension<BaseUrl>,
    Path(id): Path<String>,
) -> Response {
    let state = sim.state();
    // Simulator choice: a consumed (single-use) session is no longer found.
    let Some(session) = state.sessions.get(&id).filter(|s| !s.consumed) else {
        return error(StatusCode::NOT_FOUND, "notFound", SESSION_NOT_FOUND);
    };
    let mut body = json!({
        "created": session.created,
        "_links": {
            "self": link(format!("{base}/exchange-sessions/{id}"), "exchange-sessions"),
            "exchange-partner": link(format!("{base}/exchange-partners/{}", session.partner_id), "exchange-partner"),
        },
    });
    match &session.kind {
        SessionKind::Plaid { link_token } => {
            body["externalProviderSessionToken"] = json!(link_token);
        }
        SessionKind::Mx { url } | SessionKind::Visa { url } => {
            body["_links"]["external-provider-session"] = link(url.clone(), "text/html");
        }
        SessionKind::Checkout { id, secret, token } => {
            body["externalProviderSessionData"] = json!({
                "id": id,
                "payment_session_secret": secret,
                "payment_session_token": token,
            });
        }
    }
    hal(StatusCode::OK, body)
}

// ---------------------------------------------------------------------------------------------
// Exchanges

async fn create_exchange(
    State(sim): State<Simulator>,
    Extension(BaseUrl(base)): Extension<BaseUrl>,
    Path(customer_id): Path<String>,
    body: Bytes,
) -> Response {
    let mut state = sim.state();
    if !state.customers.contains_key(&customer_id) {
        return not_found();
    }
    let body = match parse_body(&body, false) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let Some(partner) = link_href(&body, "exchange-partner")
        .and_then(|h| id_in_href(h, &base, "exchange-partners"))
        .and_then(|id| state.listed_partner(id))
    else {
        return validation(PARTNER_HREF_INVALID, "/_links/exchange-partner/href");
    };
    let (partner_id, partner_name) = (partner.id.clone(), partner.name.clone());
    let (token, path) = match partner_name.as_str() {
        "Plaid" => (
            body.pointer("/plaid/publicToken").and_then(Value::as_str),
            "/plaid/publicToken",
        ),
        "MX" => (
            body.pointer("/mx/availableConnectionToken")
                .and_then(Value::as_str),
            "/mx/availableConnectionToken",
        ),
        _ => (body.get("token").and_then(Value::as_str), "/token"),
    };
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return validation_with_code("Required", &format!("{path} is required."), path);
    };
    let valid = state
        .exchange_tokens
        .get(token)
        .is_some_and(|t| !t.used && t.customer_id == customer_id && t.partner_id == partner_id);
    if !valid {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidExchangeToken",
            INVALID_EXCHANGE_TOKEN,
        );
    }
    let account = match state.exchange_tokens.get_mut(token) {
        Some(t) => {
            t.used = true;
            t.account.clone()
        }
        None => new_id(),
    };
    let id = new_id();
    state.exchanges.insert(
        id.clone(),
        Exchange {
            customer_id,
            partner_id,
            created: now_iso(),
            needs_reauth: false,
            account,
        },
    );
    created(&format!("{base}/exchanges/{id}"))
}

async fn get_exchange(
    State(sim): State<Simulator>,
    Extension(BaseUrl(base)): Extension<BaseUrl>,
    Path(id): Path<String>,
) -> Response {
    let state = sim.state();
    let Some(x) = state.exchanges.get(&id) else {
        return not_found();
    };
    hal(
        StatusCode::OK,
        json!({
            "_links": {
                "self": link(format!("{base}/exchanges/{id}"), "exchange"),
                "exchange-partner": link(format!("{base}/exchange-partners/{}", x.partner_id), "exchange-partner"),
                "customer": link(format!("{base}/customers/{}", x.customer_id), "customer"),
                "funding-sources": link(format!("{base}/customers/{}/funding-sources", x.customer_id), "funding-source"),
            },
            "id": id,
            "status": "active",
            "created": x.created,
        }),
    )
}

async fn available_connections(
    State(sim): State<Simulator>,
    Extension(BaseUrl(base)): Extension<BaseUrl>,
    Path(customer_id): Path<String>,
) -> Response {
    let state = sim.state();
    if !state.customers.contains_key(&customer_id) {
        return not_found();
    }
    let mx_id = state.partner_by_name("MX").map(|p| p.id.clone());
    let connections: Vec<Value> = state
        .exchange_tokens
        .iter()
        .filter(|(_, t)| {
            !t.used && t.customer_id == customer_id && Some(&t.partner_id) == mx_id.as_ref()
        })
        .map(|(token, t)| json!({ "availableConnectionToken": token, "name": t.account_name }))
        .collect();
    let me = format!("{base}/customers/{customer_id}");
    hal(
        StatusCode::OK,
        json!({
            "_links": {
                "self": link(format!("{me}/available-exchange-connections"), "customer"),
                "customers": link(me, "customer"),
            },
            "_embedded": { "available-exchange-connections": connections },
        }),
    )
}

// ---------------------------------------------------------------------------------------------
// Funding sources

async fn create_funding_source(
    State(sim): State<Simulator>,
    Extension(BaseUrl(base)): Extension<BaseUrl>,
    Path(customer_id): Path<String>,
    body: Bytes,
) -> Response {
    let mut state = sim.state();
    if !state.customers.contains_key(&customer_id) {
        return not_found();
    }
    let body = match parse_body(&body, false) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    // A card token (Checkout.com) makes a debit card funding source.
    if body.get("cardToken").is_some() || body.get("cardDetails").is_some() {
        return accounts::create_card(&mut state, &base, &customer_id, &body);
    }
    let Some(exchange_id) = link_href(&body, "exchange")
        .and_then(|h| id_in_href(h, &base, "exchanges"))
        .filter(|id| {
            state
                .exchanges
                .get(*id)
                .is_some_and(|x| x.customer_id == customer_id)
        })
        .map(str::to_string)
    else {
        return validation("/_links/exchange/href is invalid", "/_links/exchange/href");
    };
    let needs_reauth = state
        .exchanges
        .get(&exchange_id)
        .is_some_and(|x| x.needs_reauth);
    if needs_reauth {
        return hal(
            StatusCode::BAD_REQUEST,
            json!({
                "code": "UpdateCredentials",
                "message": UPDATE_CREDENTIALS,
                "_links": { "about": link(format!("{base}/exchanges/{exchange_id}/exchange-sessions"), "exchange-sessions") },
            }),
        );
    }
    let account_type = match body.get("bankAccountType").and_then(Value::as_str) {
        Some(t @ ("checking" | "savings")) => t.to_string(),
        Some(_) => {
            return validation("Invalid bank account type.", "/bankAccountType");
        }
        None => {
            return validation_with_code(
                "Required",
                "BankAccountType required.",
                "/bankAccountType",
            )
        }
    };
    let name = match body.get("name").and_then(Value::as_str).map(str::trim) {
        Some(n) if !n.is_empty() && n.chars().count() <= 50 => n.to_string(),
        Some(n) if !n.is_empty() => {
            return validation("Name must be 50 characters or less.", "/name");
        }
        _ => return validation_with_code("Required", "Name required.", "/name"),
    };
    if let Some((existing, _)) = state.funding_sources.iter().find(
        |(_, fs)| matches!(&fs.kind, FundingSourceKind::Bank { exchange_id: x, .. } if *x == exchange_id),
    ) {
        return hal(
            StatusCode::BAD_REQUEST,
            json!({
                "code": "ValidationError",
                "message": DUPLICATE_FUNDING_SOURCE,
                "_embedded": { "errors": [ {
                    "code": "Duplicate",
                    "message": DUPLICATE_FUNDING_SOURCE,
                    "path": "/_links/exchange/href",
                    "_links": { "about": link(format!("{base}/funding-sources/{existing}"), "funding-source") },
                } ] },
            }),
        );
    }
    let account = state
        .exchanges
        .get(&exchange_id)
        .map(|x| x.account.clone())
        .unwrap_or_default();
    // The same bank account linked again (through a new exchange): Dwolla's DuplicateResource.
    if let Some(existing) = accounts::same_bank(&state, &customer_id, &account) {
        return accounts::duplicate_bank(&base, &existing);
    }
    let id = new_id();
    let seq = state.next_seq();
    state.funding_sources.insert(
        id.clone(),
        FundingSource {
            customer_id,
            name,
            created: now_iso(),
            fingerprint: accounts::fingerprint(),
            removed: false,
            seq,
            kind: FundingSourceKind::Bank {
                exchange_id,
                bank_account_type: account_type,
                account,
            },
        },
    );
    created(&format!("{base}/funding-sources/{id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn android_package_rule() {
        assert!(is_android_package("com.example.app"));
        assert!(is_android_package("com.example.app_2"));
        assert!(!is_android_package("example"));
        assert!(!is_android_package("com..app"));
        assert!(!is_android_package("com.1example"));
        assert!(!is_android_package("com.exa-mple"));
        assert!(!is_android_package("myapp://callback"));
        assert!(!is_android_package(&format!("com.{}", "a".repeat(224))));
    }

    #[test]
    fn ids_are_read_from_hrefs_on_the_base_url_only() {
        let base = "http://127.0.0.1:9";
        assert_eq!(
            id_in_href(
                "http://127.0.0.1:9/exchange-partners/abc",
                base,
                "exchange-partners"
            ),
            Some("abc")
        );
        assert_eq!(
            id_in_href(
                "https://api.dwolla.com/exchange-partners/abc",
                base,
                "exchange-partners"
            ),
            None
        );
        assert_eq!(
            id_in_href(
                "http://127.0.0.1:9/exchanges/abc",
                base,
                "exchange-partners"
            ),
            None
        );
        assert_eq!(
            id_in_href(
                "http://127.0.0.1:9/exchange-partners/abc/x",
                base,
                "exchange-partners"
            ),
            None
        );
    }
}
