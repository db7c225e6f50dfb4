//! Injected faults, through `/sim/faults` and the Rust API: error answers with Retry-After,
//! delays, late answers, connection resets, truncated and malformed bodies, method and count
//! matching.

mod support;

use std::time::{Duration, Instant};

use dwolla_simulator::{Fault, FaultAction};
use serde_json::{json, Value};
use support::simulator::*;
use support::*;

async fn add_fault(client: &reqwest::Client, base: &str, fault: Value) -> reqwest::Response {
    client
        .post(format!("{base}/sim/faults"))
        .json(&fault)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn respond_fault_answers_status_code_message_and_retry_after() {
    let (sim, client) = start().await;
    let token = token(&sim, &client).await;
    let partners = format!("{}/exchange-partners", sim.url);
    let resp = add_fault(
        &client,
        &sim.url,
        json!({ "method": "GET", "path": "/exchange-partners", "count": 2, "status": 503, "retryAfter": "2" }),
    )
    .await;
    assert_eq!(resp.status(), 201);
    for _ in 0..2 {
        let resp = get(&client, &partners, &token).await;
        assert_eq!(resp.status(), 503);
        assert_eq!(resp.headers()["retry-after"], "2");
        assert_eq!(resp.headers()["content-type"], HAL_JSON);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["code"], "ServiceUnavailable");
        assert!(body["message"].is_string());
    }
    // Count used up: the real answer again.
    assert_eq!(get(&client, &partners, &token).await.status(), 200);

    // Custom code and message; POST-only fault leaves GET alone.
    add_fault(
        &client,
        &sim.url,
        json!({ "method": "POST", "path": "/customers", "status": 429, "code": "TooManyRequests", "message": "Slow down." }),
    )
    .await;
    assert_eq!(
        get(
            &client,
            &format!("{}/customers/{}", sim.url, sim.simulator.demo_customer_id()),
            &token
        )
        .await
        .status(),
        200
    );
    let resp = post(
        &client,
        &format!("{}/customers", sim.url),
        &token,
        &json!({}),
    )
    .await;
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().get("retry-after").is_none());
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({ "code": "TooManyRequests", "message": "Slow down." })
    );

    // Faults apply to /token too (before credentials are checked) and are counted as requests.
    sim.simulator.add_fault(Fault::respond("/token", 500));
    let resp = client
        .post(format!("{}/token", sim.url))
        .basic_auth("sim-key", Some("sim-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 500);
    assert_eq!(sim.simulator.token_requests(), 2);
    token_ok(&sim, &client).await;
    assert_eq!(sim.simulator.token_requests(), 3);
}

async fn token_ok(sim: &dwolla_simulator::RunningSimulator, client: &reqwest::Client) {
    let t = token(sim, client).await;
    assert!(!t.is_empty());
}

#[tokio::test]
async fn delay_only_fault_delays_the_real_answer() {
    let (sim, client) = start().await;
    let token = token(&sim, &client).await;
    let partners = format!("{}/exchange-partners", sim.url);
    add_fault(
        &client,
        &sim.url,
        json!({ "path": "/exchange-partners", "delayMs": 1500 }),
    )
    .await;
    let started = Instant::now();
    let resp = get(&client, &partners, &token).await;
    let slow = started.elapsed();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap()["total"], 5);
    assert!(slow >= Duration::from_millis(1500), "{slow:?}");
    // The fault was used up: the next answer does not wait for it (a bound of the delay itself,
    // many times what an answer takes on a busy machine).
    let started = Instant::now();
    assert_eq!(get(&client, &partners, &token).await.status(), 200);
    assert!(started.elapsed() < Duration::from_millis(1500));

    // A delayed error answer, with a client timeout shorter than the delay.
    sim.simulator.add_fault(Fault {
        delay_ms: 1000,
        ..Fault::respond("/exchange-partners", 503)
    });
    let err = client
        .get(&partners)
        .bearer_auth(&token)
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
}

#[tokio::test]
async fn reset_closes_the_connection_without_an_answer() {
    let (sim, client) = start().await;
    let token = token(&sim, &client).await;
    let partners = format!("{}/exchange-partners", sim.url);
    add_fault(
        &client,
        &sim.url,
        json!({ "path": "/exchange-partners", "action": "reset" }),
    )
    .await;
    let err = get_err(&client, &partners, &token).await;
    assert!(!err.is_status() && !err.is_timeout(), "{err}");
    // The next request gets a real answer.
    assert_eq!(get(&client, &partners, &token).await.status(), 200);

    // Seen from a raw socket: no bytes at all before the close.
    sim.simulator
        .add_fault(Fault::with_action("/exchange-partners", FaultAction::Reset));
    let raw = raw_request(
        &sim.url,
        &format!(
            "GET /exchange-partners HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
        ),
    )
    .await;
    assert!(raw.is_empty(), "got {} bytes", raw.len());
}

async fn get_err(client: &reqwest::Client, url: &str, token: &str) -> reqwest::Error {
    client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect_err("the connection is closed without an answer")
}

/// Sends raw bytes and reads until the server closes the connection (at most 3 s).
async fn raw_request(base: &str, request: &str) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let read = tokio::time::timeout(left, stream.read(&mut buf))
            .await
            .expect("server kept the connection open");
        match read {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    out
}

#[tokio::test]
async fn truncate_sends_less_than_content_length_then_closes() {
    let (sim, client) = start().await;
    let token = token(&sim, &client).await;
    let partners = format!("{}/exchange-partners", sim.url);
    add_fault(
        &client,
        &sim.url,
        json!({ "path": "/exchange-partners", "action": "truncate" }),
    )
    .await;
    let resp = get(&client, &partners, &token).await;
    assert_eq!(resp.status(), 200);
    let declared: usize = resp.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        resp.bytes().await.is_err(),
        "reading a truncated body fails"
    );

    sim.simulator.add_fault(Fault::with_action(
        "/exchange-partners",
        FaultAction::Truncate,
    ));
    let raw = raw_request(
        &sim.url,
        &format!(
            "GET /exchange-partners HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
        ),
    )
    .await;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("a head was sent");
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("content-length: {declared}")),
        "{head}"
    );
    assert!(
        !body.is_empty() && body.len() < declared,
        "{} of {declared} bytes",
        body.len()
    );
    assert_eq!(get(&client, &partners, &token).await.status(), 200);
}

#[tokio::test]
async fn malformed_answers_200_with_a_body_that_is_not_json() {
    let (sim, client) = start().await;
    let token = token(&sim, &client).await;
    let customer = sim.simulator.demo_customer_id();
    let resp = add_fault(
        &client,
        &sim.url,
        json!({ "method": "GET", "path": "/exchange-sessions/", "action": "malformed" }),
    )
    .await;
    assert_eq!(resp.status(), 201);
    let url = location(&create_session(&sim, &client, &token, &customer, "Plaid", None).await);
    let resp = get(&client, &url, &token).await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    let s: Value = get(&client, &url, &token).await.json().await.unwrap();
    assert!(s["externalProviderSessionToken"].is_string());
}

#[tokio::test]
async fn faults_are_validated_and_cleared() {
    let (sim, client) = start().await;
    let token = token(&sim, &client).await;
    for bad in [
        json!({ "path": "exchange-partners" }),
        json!({ "path": "/x", "count": 0 }),
        json!({ "path": "/x", "status": 99 }),
        json!({ "path": "/x", "action": "explode" }),
        json!({ "status": 503 }),
        json!({ "path": "/x", "retryAfter": "a\nb" }),
    ] {
        assert_eq!(
            add_fault(&client, &sim.url, bad.clone()).await.status(),
            400,
            "{bad}"
        );
    }
    add_fault(
        &client,
        &sim.url,
        json!({ "path": "/exchange-partners", "count": 5, "status": 502 }),
    )
    .await;
    sim.simulator.add_fault(Fault::respond("/customers", 500));
    let resp = client
        .delete(format!("{}/sim/faults", sim.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(
        get(&client, &format!("{}/exchange-partners", sim.url), &token)
            .await
            .status(),
        200
    );
    sim.simulator
        .add_fault(Fault::respond("/exchange-partners", 502));
    sim.simulator.clear_faults();
    assert_eq!(
        get(&client, &format!("{}/exchange-partners", sim.url), &token)
            .await
            .status(),
        200
    );
    // Control paths are never faulted.
    sim.simulator.add_fault(Fault::respond("/", 500));
    let resp = client
        .get(format!("{}/sim/stats", sim.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let (sim, client) = start().await;
    let url = sim.url.clone();
    assert_eq!(
        client
            .get(format!("{url}/sim/stats"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    sim.shutdown().await;
    let fresh = reqwest::Client::new();
    assert!(fresh.get(format!("{url}/sim/stats")).send().await.is_err());
}

#[tokio::test]
async fn late_acts_then_holds_the_answer_and_the_key_replays_it() {
    let (sim, client) = start().await;
    let token = token(&sim, &client).await;
    let customer = sim.simulator.demo_customer_id();
    let url = format!("{}/customers/{customer}/exchange-sessions", sim.url);
    let body = session_body(
        &partner_href(&sim, &client, &token, "Plaid").await,
        Some("com.example.app"),
    );
    let resp = add_fault(
        &client,
        &sim.url,
        json!({ "method": "POST", "path": format!("/customers/{customer}/exchange-sessions"), "action": "late", "delayMs": 2000 }),
    )
    .await;
    assert_eq!(resp.status(), 201);
    // A client that gives up before the answer: the session exists all the same.
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let started = Instant::now();
    let gave_up = impatient
        .post(&url)
        .bearer_auth(&token)
        .header("Accept", HAL_JSON)
        .header("Content-Type", HAL_JSON)
        .header("Idempotency-Key", "late-key-1")
        .body(body.to_string())
        .send()
        .await;
    assert!(gave_up.is_err(), "answered before the hold ended");
    // The client gave up on its own timeout, long before the hold ended.
    assert!(started.elapsed() < Duration::from_millis(1500));
    assert_eq!(sim.simulator.exchange_session_count(), 1);
    // The same key, once the held answer is out, replays it: still one session.
    tokio::time::sleep_until((started + Duration::from_millis(2500)).into()).await;
    let again = hal_post(&client, &url, &token, &body, Some("late-key-1")).await;
    let location = location(&again);
    assert!(location.contains("/exchange-sessions/"), "{location}");
    assert_eq!(sim.simulator.exchange_session_count(), 1);
}
