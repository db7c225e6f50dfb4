//! The HTTP helpers of the simulator's tests and of sample-backend's (which include this file
//! from its own `tests/support/mod.rs`): a client, Dwolla-style GET and POST, and what the tests
//! of both read out of answers.

use reqwest::{Client, Response};
use serde_json::{json, Value};

pub use dwolla_simulator::HAL_JSON;

/// Installs rustls' `ring` provider as the process default, which reqwest's rustls needs before
/// any client is built. Does nothing when a provider is already installed.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// A plain-HTTP client that follows no redirects (with rustls' ring provider installed).
pub fn client() -> Client {
    install_crypto_provider();
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
