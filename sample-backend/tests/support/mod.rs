//! Test support shared by every test file of sample-backend, included with `mod support;`: the
//! HTTP helpers both sides use (here), the backend's (`backend`), the simulator's (`simulator`)
//! and Dwolla's OpenAPI document with a schema validator (`openapi`).
// Each test file uses part of it.
#![allow(dead_code)]

pub mod backend;
pub mod openapi;
pub mod postgres;
pub mod raw;
pub mod simulator;

use reqwest::{Client, Response};
use serde_json::{json, Value};

pub use sample_backend::HAL_JSON;

/// A plain-HTTP client that follows no redirects (with rustls' ring provider installed).
pub fn client() -> Client {
    sample_backend::install_crypto_provider();
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A GET with Dwolla's `Accept` and, when given, a bearer token.
pub async fn hal_get(c: &Client, url: &str, token: Option<&str>) -> Response {
    let mut req = c.get(url).header("Accept", HAL_JSON);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("GET")
}

/// A POST of a JSON body with Dwolla's `Accept` and `Content-Type`, a bearer token and, when
/// given, an `Idempotency-Key`.
pub async fn hal_post(
    c: &Client,
    url: &str,
    token: &str,
    body: &Value,
    key: Option<&str>,
) -> Response {
    let mut req = c
        .post(url)
        .bearer_auth(token)
        .header("Accept", HAL_JSON)
        .header("Content-Type", HAL_JSON)
        .body(body.to_string());
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    req.send().await.expect("POST")
}

/// The self href of the exchange partner named `name` in a `GET /exchange-partners` body.
pub fn partner_in(list: &Value, name: &str) -> String {
    list["_embedded"]["exchange-partners"]
        .as_array()
        .expect("partners array")
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["_links"]["self"]["href"].as_str())
        .unwrap_or_else(|| panic!("partner {name} listed"))
        .to_string()
}

/// The body creating an exchange session with `partner` (an href), and a redirect value when
/// given.
pub fn session_body(partner: &str, redirect: Option<&str>) -> Value {
    match redirect {
        Some(r) => {
            json!({"_links": {"exchange-partner": {"href": partner}, "redirect-url": {"href": r}}})
        }
        None => json!({"_links": {"exchange-partner": {"href": partner}}}),
    }
}

/// Every string inside a JSON value.
pub fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|i| strings(i, out)),
        Value::Object(m) => m.values().for_each(|i| strings(i, out)),
        _ => {}
    }
}

/// Checks that a value holds no secret-looking string (`link-`, `public-`, access token).
pub fn assert_no_secret(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!secret.is_empty());
        assert!(!text.contains(secret), "a secret leaked into: {text}");
    }
}
