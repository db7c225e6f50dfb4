//! Helpers shared by the backend tests: an HTTP client and small request wrappers.
#![allow(dead_code)]

use reqwest::{Client, Response, StatusCode};
use sample_backend::{start_stack, Stack, StackOptions};
use serde_json::{json, Value};

pub const HAL: &str = "application/vnd.dwolla.v1.hal+json";

pub fn client() -> Client {
    sample_backend::install_crypto_provider();
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub async fn stack() -> Stack {
    start_stack(StackOptions::default()).await.expect("stack")
}

/// An answer read whole: status, headers and JSON body (Null when not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

pub async fn read(resp: Response) -> Answer {
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        text,
        body,
    }
}

pub async fn get(c: &Client, url: &str, token: Option<&str>) -> Answer {
    let mut req = c.get(url).header("Accept", HAL);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    read(req.send().await.expect("send")).await
}

pub async fn post(c: &Client, url: &str, token: &str, body: &Value, key: Option<&str>) -> Answer {
    let mut req = c
        .post(url)
        .bearer_auth(token)
        .header("Accept", HAL)
        .header("Content-Type", HAL)
        .body(body.to_string());
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    read(req.send().await.expect("send")).await
}

/// The href of the exchange partner named `name`, as the backend lists it.
pub async fn partner_href(c: &Client, backend: &str, token: &str, name: &str) -> String {
    let a = get(c, &format!("{backend}exchange-partners"), Some(token)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body["_embedded"]["exchange-partners"]
        .as_array()
        .expect("partners")
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["_links"]["self"]["href"].as_str())
        .expect("partner")
        .to_string()
}

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

/// Runs the whole Plaid flow for `token` through the backend: session, Link (simulated),
/// exchange, funding source. Returns (session, exchange, funding source) answers.
pub async fn plaid_flow(c: &Client, stack: &Stack, token: &str) -> (Answer, Answer, Answer) {
    let b = &stack.backend_url;
    let plaid = partner_href(c, b, token, "Plaid").await;
    let session = post(
        c,
        &format!("{b}customers/me/exchange-sessions"),
        token,
        &session_body(&plaid, Some("com.example.app")),
        None,
    )
    .await;
    assert_eq!(session.status, 201, "{}", session.text);
    let link = session.body["externalProviderSessionToken"]
        .as_str()
        .expect("link token");
    let public = stack
        .simulator
        .complete_plaid_link(link)
        .expect("public token");
    let exchange = post(
        c,
        &format!("{b}customers/me/exchanges"),
        token,
        &json!({"_links": {"exchange-partner": {"href": plaid}}, "plaid": {"publicToken": public}}),
        None,
    )
    .await;
    assert_eq!(exchange.status, 201, "{}", exchange.text);
    let exchange_href = exchange.header("location").expect("exchange location");
    let fs = post(
        c,
        &format!("{b}customers/me/funding-sources"),
        token,
        &json!({"_links": {"exchange": {"href": exchange_href}}, "bankAccountType": "checking", "name": "My checking"}),
        None,
    )
    .await;
    assert_eq!(fs.status, 201, "{}", fs.text);
    (session, exchange, fs)
}
