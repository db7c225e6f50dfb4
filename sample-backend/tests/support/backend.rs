//! Helpers of the backend tests: a stack (simulator + backend), answers read whole, the app's
//! requests, the whole Plaid flow.

use reqwest::{Client, Response, StatusCode};
use sample_backend::{start_stack, Stack, StackOptions};
use serde_json::{json, Value};

use super::{hal_get, hal_post, partner_in, session_body};

/// A simulator and a backend in front of it with the default options.
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
    /// The value of header `name`, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// The status and the body's `code`, to compare with an expected error in one line.
    pub fn status_and_code(&self) -> (u16, Option<&str>) {
        (self.status.as_u16(), self.body["code"].as_str())
    }
}

/// Reads an answer whole.
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

/// A GET with Dwolla's headers (and a bearer token when given), read whole.
pub async fn get(c: &Client, url: &str, token: Option<&str>) -> Answer {
    read(hal_get(c, url, token).await).await
}

/// A POST of a JSON body with Dwolla's headers (and an `Idempotency-Key` when given), read whole.
pub async fn post(c: &Client, url: &str, token: &str, body: &Value, key: Option<&str>) -> Answer {
    read(hal_post(c, url, token, body, key).await).await
}

/// The href of the exchange partner named `name`, as the backend lists it.
pub async fn partner_href(c: &Client, backend: &str, token: &str, name: &str) -> String {
    let a = get(c, &format!("{backend}exchange-partners"), Some(token)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    partner_in(&a.body, name)
}

/// A stack, a client and the href of the Plaid partner as the backend lists it to alice: what
/// most tests that create sessions start from.
pub async fn plaid_stack() -> (Stack, Client, String) {
    let s = stack().await;
    let c = super::client();
    let plaid = partner_href(&c, &s.backend_url, "demo-alice", "Plaid").await;
    (s, c, plaid)
}

/// Creates an exchange session with `partner` (by name) through the backend for `token`.
pub async fn session(
    c: &Client,
    s: &Stack,
    token: &str,
    partner: &str,
    redirect: Option<&str>,
) -> Answer {
    let href = partner_href(c, &s.backend_url, token, partner).await;
    post(
        c,
        &format!("{}customers/me/exchange-sessions", s.backend_url),
        token,
        &session_body(&href, redirect),
        None,
    )
    .await
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
    let (exchange, fs) = plaid_funding_source(c, b, token, &plaid, &public, "My checking").await;
    assert_eq!(fs.status, 201, "{}", fs.text);
    (session, exchange, fs)
}

/// Exchanges a Plaid public token through the backend at `b` (`plaid` is the partner's href),
/// asserting the 201, then asks for a checking funding source named `name` from that exchange.
/// Returns the exchange's answer and the funding source's, whatever its status.
pub async fn plaid_funding_source(
    c: &Client,
    b: &str,
    token: &str,
    plaid: &str,
    public: &str,
    name: &str,
) -> (Answer, Answer) {
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
        &json!({"_links": {"exchange": {"href": exchange_href}}, "bankAccountType": "checking", "name": name}),
        None,
    )
    .await;
    (exchange, fs)
}

/// A simulator and a backend in front of it whose configuration `adjust` changes (limits, for
/// instance); both stop when dropped.
pub struct Custom {
    pub backend: sample_backend::backend::RunningBackend,
    pub sim: dwolla_simulator::RunningSimulator,
}

impl Custom {
    /// The backend's URL, with a trailing slash.
    pub fn url(&self) -> &str {
        &self.backend.url
    }
}

/// Starts a [`Custom`] stack: the simulator with `opts`, the backend configured by `adjust`.
pub async fn custom_stack(
    opts: StackOptions,
    adjust: impl FnOnce(&mut sample_backend::backend::BackendConfig),
) -> Custom {
    let sim_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let mut dwolla = sample_backend::start_simulated_dwolla(opts, sim_listener)
        .await
        .expect("simulator");
    adjust(&mut dwolla.config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let backend = sample_backend::backend::start_backend(dwolla.config, listener)
        .await
        .expect("backend");
    Custom {
        backend,
        sim: dwolla.simulator,
    }
}
