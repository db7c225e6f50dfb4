//! Helpers of the simulator tests: a simulator on loopback, an access token, Dwolla-style
//! requests.

use dwolla_simulator::{RunningSimulator, Simulator, SimulatorConfig};
use serde_json::Value;

use super::{client, hal_get, hal_post, partner_in, session_body};

/// A simulator served on 127.0.0.1 port 0 and a plain-HTTP client.
pub async fn start() -> (RunningSimulator, reqwest::Client) {
    start_with(SimulatorConfig::default()).await
}

/// Like [`start`] with a given configuration.
pub async fn start_with(config: SimulatorConfig) -> (RunningSimulator, reqwest::Client) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let running = Simulator::new(config)
        .serve(listener)
        .await
        .expect("serve simulator");
    (running, client())
}

/// `POST /token` with the default credentials; returns the access token.
pub async fn token(sim: &RunningSimulator, client: &reqwest::Client) -> String {
    let config = sim.simulator.config();
    let resp = client
        .post(format!("{}/token", sim.url))
        .basic_auth(&config.client_key, Some(&config.client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token request");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("token JSON");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

/// A GET with Dwolla's headers.
pub async fn get(client: &reqwest::Client, url: &str, token: &str) -> reqwest::Response {
    hal_get(client, url, Some(token)).await
}

/// A GET with Dwolla's headers; the answer's JSON body.
pub async fn get_json(client: &reqwest::Client, url: &str, token: &str) -> Value {
    get(client, url, token)
        .await
        .json()
        .await
        .expect("JSON body")
}

/// A POST of a JSON body with Dwolla's headers.
pub async fn post(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: &Value,
) -> reqwest::Response {
    hal_post(client, url, token, body, None).await
}

/// The `Location` header of a 201, asserting the status.
pub fn location(resp: &reqwest::Response) -> String {
    assert_eq!(resp.status(), 201, "expected 201 Created");
    resp.headers()
        .get("location")
        .expect("Location header")
        .to_str()
        .expect("ASCII Location")
        .to_string()
}

/// The partner's href by name, from `GET /exchange-partners`.
pub async fn partner_href(
    sim: &RunningSimulator,
    client: &reqwest::Client,
    token: &str,
    name: &str,
) -> String {
    let list: Value = get(client, &format!("{}/exchange-partners", sim.url), token)
        .await
        .json()
        .await
        .expect("partners JSON");
    partner_in(&list, name)
}

/// Creates an exchange session through `POST /customers/{id}/exchange-sessions`.
pub async fn create_session(
    sim: &RunningSimulator,
    client: &reqwest::Client,
    token: &str,
    customer_id: &str,
    partner: &str,
    redirect: Option<&str>,
) -> reqwest::Response {
    let partner = partner_href(sim, client, token, partner).await;
    post(
        client,
        &format!("{}/customers/{customer_id}/exchange-sessions", sim.url),
        token,
        &session_body(&partner, redirect),
    )
    .await
}
