//! The backend's limits over loopback: header, body and idle timeouts, the connection limit, the
//! Dwolla concurrency limit (503 + Retry-After, nothing sent), the cap on Dwolla's answers, 413
//! and 415 as Dwolla-style JSON, a POST cut off after sending, a huge token lifetime.
//!
//! Short timeouts keep each test well under 10 s; assertions are on outcomes, with generous
//! bounds, never on how fast something happened.

mod support;

use std::time::Duration;

use dwolla_simulator::{Fault, FaultAction, SimulatorConfig};
use sample_backend::backend::Limits;
use sample_backend::StackOptions;
use serde_json::{json, Value};
use support::backend::*;
use support::raw::{read_answer, read_until_closed};
use support::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

fn limits(adjust: impl FnOnce(&mut Limits)) -> Limits {
    let mut l = Limits::default();
    adjust(&mut l);
    l
}

async fn with_limits(l: Limits) -> Custom {
    custom_stack(StackOptions::default(), move |c| c.limits = l).await
}

async fn connect(s: &Custom) -> TcpStream {
    TcpStream::connect(s.backend.addr).await.expect("connect")
}

#[tokio::test]
async fn half_sent_headers_and_silent_connections_are_closed_after_the_header_timeout() {
    let s = with_limits(limits(|l| {
        l.header_read_timeout = Duration::from_millis(500)
    }))
    .await;
    let mut conns = Vec::new();
    for i in 0..30 {
        let mut c = connect(&s).await;
        if i % 3 != 0 {
            // Two of three send part of a head; the others send nothing at all.
            c.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .await
                .unwrap();
        }
        conns.push(c);
    }
    let closed = futures_util::future::join_all(conns.iter_mut().map(read_until_closed)).await;
    for (i, c) in closed.iter().enumerate() {
        let bytes = c
            .as_ref()
            .unwrap_or_else(|| panic!("connection {i} still open"));
        assert!(bytes.is_empty(), "answered instead of closed: {bytes:?}");
    }
    // The server still answers.
    let a = get(&client(), &format!("{}health", s.url()), None).await;
    assert_eq!(a.status, 200);
}

#[tokio::test]
async fn a_slow_body_gets_a_408_json_answer_and_the_connection_is_closed() {
    let s = with_limits(limits(|l| l.body_read_timeout = Duration::from_millis(500))).await;
    let mut c = connect(&s).await;
    c.write_all(
        format!(
            "POST /customers/me/exchange-sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer demo-alice\r\n\
             Content-Type: {HAL_JSON}\r\nContent-Length: 100\r\n\r\n{{\"_links\":"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let answer = read_until_closed(&mut c).await.expect("closed in time");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("connection: close"),
        "{text}"
    );
    let body: Value = serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["code"], "RequestTimeout");
    assert!(body["message"].is_string());
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let s = with_limits(limits(|l| {
        l.header_read_timeout = Duration::from_millis(300);
        l.idle_timeout = Duration::from_millis(2500);
    }))
    .await;
    let mut c = connect(&s).await;
    let request = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    c.write_all(request).await.unwrap();
    assert!(read_answer(&mut c).await.starts_with("HTTP/1.1 200"));
    // Idle for longer than the header timeout: still open (the idle timeout applies), and a
    // second request on it is answered.
    tokio::time::sleep(Duration::from_millis(700)).await;
    c.write_all(request).await.unwrap();
    assert!(read_answer(&mut c).await.starts_with("HTTP/1.1 200"));
    // Then idle: closed by the server.
    let rest = read_until_closed(&mut c)
        .await
        .expect("idle connection closed");
    assert!(rest.is_empty());
}

#[tokio::test]
async fn connections_beyond_the_limit_never_open_more_than_the_limit() {
    let s = with_limits(limits(|l| {
        l.max_connections = 4;
        l.header_read_timeout = Duration::from_millis(800);
    }))
    .await;
    let mut held = Vec::new();
    for _ in 0..10 {
        held.push(connect(&s).await);
    }
    for _ in 0..10 {
        assert!(s.backend.open_connections() <= 4);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A normal request is served (a silent connection is evicted for it), within the limit.
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(9))
        .build()
        .unwrap();
    let a = c.get(format!("{}health", s.url())).send().await.unwrap();
    assert_eq!(a.status(), 200);
    assert!(s.backend.open_connections() <= 4);
    assert!(s.backend.evicted_connections() >= 1);
    drop(held);
}

#[tokio::test]
async fn dwolla_overflow_is_503_with_retry_after_and_never_sent() {
    // 600 creations of one user at once: her own limits are lifted, the Dwolla slots are
    // what is checked.
    let s = with_limits(limits(|l| {
        l.max_dwolla_requests = 4;
        l.dwolla_queue_timeout = Duration::ZERO;
        l.user_max_requests = usize::MAX;
        l.user_rate = u32::MAX;
        l.user_burst = u32::MAX;
    }))
    .await;
    let c = client();
    let b = s.url().to_string();
    let plaid = partner_href(&c, &b, "demo-alice", "Plaid").await;
    // Each creation holds its Dwolla slot for at least 300 ms.
    let mut slow = Fault::delay("/customers/", Duration::from_millis(300));
    slow.method = Some("POST".into());
    slow.count = 1000;
    s.sim.simulator.add_fault(slow);
    let before = s.sim.simulator.requests_received();
    let body = session_body(&plaid, Some("com.example.app"));
    let tasks: Vec<_> = (0..600)
        .map(|_| {
            let (c, url, body) = (
                c.clone(),
                format!("{b}customers/me/exchange-sessions"),
                body.clone(),
            );
            tokio::spawn(async move { post(&c, &url, "demo-alice", &body, None).await })
        })
        .collect();
    let (mut created, mut busy) = (0u64, 0u64);
    for t in tasks {
        let a = t.await.unwrap();
        match a.status.as_u16() {
            201 => created += 1,
            503 => {
                busy += 1;
                assert_eq!(a.body["code"], "ServiceUnavailable", "{}", a.text);
                assert!(a.body["message"].is_string());
                assert_eq!(a.header("content-type").as_deref(), Some(HAL_JSON));
                let ra: u64 = a.header("retry-after").unwrap().parse().unwrap();
                assert!(ra >= 1);
            }
            other => panic!("{other}: {}", a.text),
        }
    }
    eprintln!("600 concurrent creations, 4 Dwolla slots: {created} x 201, {busy} x 503");
    assert!(created >= 1 && busy >= 1, "{created} created, {busy} busy");
    // Dwolla saw exactly the accepted ones: a POST and a read-back each.
    assert_eq!(s.sim.simulator.requests_received() - before, 2 * created);
}

#[tokio::test]
async fn an_oversized_dwolla_answer_is_a_502_that_says_so() {
    let s = stack().await;
    let c = client();
    let url = format!("{}exchange-partners", s.backend_url);
    assert_eq!(get(&c, &url, Some("demo-alice")).await.status, 200);
    let mut f = Fault::respond("/exchange-partners", 400);
    f.message = Some("x".repeat(2 * 1024 * 1024));
    s.simulator.add_fault(f);
    let a = get(&c, &url, Some("demo-alice")).await;
    assert_eq!(a.status, 502, "{}", &a.text[..a.text.len().min(200)]);
    assert_eq!(a.body["code"], "BadGateway");
    assert!(
        a.body["message"].as_str().unwrap().contains("larger than"),
        "{}",
        a.text
    );
    assert!(a.text.len() < 1000);
}

#[tokio::test]
async fn a_3_mib_body_is_a_413_json_answer() {
    let s = stack().await;
    let c = client();
    let big = json!({"_links": {"exchange-partner": {"href": "x".repeat(3 * 1024 * 1024)}}});
    let a = post(
        &c,
        &format!("{}customers/me/exchange-sessions", s.backend_url),
        "demo-alice",
        &big,
        None,
    )
    .await;
    assert_eq!(a.status, 413, "{}", &a.text[..a.text.len().min(200)]);
    assert_eq!(a.header("content-type").as_deref(), Some(HAL_JSON));
    assert_eq!(a.body["code"], "RequestEntityTooLarge");
    assert!(a.body["message"].is_string());
}

#[tokio::test]
async fn a_body_of_another_content_type_is_a_415_json_answer() {
    let (s, c, plaid) = plaid_stack().await;
    let b = &s.backend_url;
    let body = session_body(&plaid, Some("com.example.app")).to_string();
    let before = s.simulator.requests_received();
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
    ] {
        let a = read(
            c.post(format!("{b}customers/me/exchange-sessions"))
                .bearer_auth("demo-alice")
                .header("Content-Type", ct)
                .body(body.clone())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(a.status, 415, "{ct}: {}", a.text);
        assert_eq!(a.header("content-type").as_deref(), Some(HAL_JSON));
        assert_eq!(a.body["code"], "UnsupportedMediaType");
        assert!(a.body["message"]
            .as_str()
            .unwrap()
            .contains("application/json"));
    }
    assert_eq!(s.simulator.requests_received(), before);
    // JSON with a charset parameter is accepted.
    let a = read(
        c.post(format!("{b}customers/me/exchange-sessions"))
            .bearer_auth("demo-alice")
            .header("Content-Type", "application/json; charset=utf-8")
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
}

#[tokio::test]
async fn a_post_cut_off_after_sending_is_not_reported_as_unreachable() {
    let (s, c, plaid) = plaid_stack().await;
    let b = &s.backend_url;
    for action in [FaultAction::Reset, FaultAction::Truncate] {
        let mut f = Fault::with_action("/customers/", action);
        f.method = Some("POST".into());
        s.simulator.add_fault(f);
        let a = post(
            &c,
            &format!("{b}customers/me/exchange-sessions"),
            "demo-alice",
            &session_body(&plaid, Some("com.example.app")),
            Some(&uuid::Uuid::new_v4().to_string()),
        )
        .await;
        assert_ne!(a.status, 502, "{action:?}: {}", a.text);
        assert_eq!(a.status, 504, "{action:?}: {}", a.text);
        assert_eq!(a.body["code"], "GatewayTimeout");
        let m = a.body["message"].as_str().unwrap();
        assert!(!m.contains("could not be reached"), "{m}");
        assert!(m.contains("Idempotency-Key"), "{m}");
    }
}

#[tokio::test]
async fn a_huge_expires_in_from_the_token_endpoint_does_not_panic() {
    let opts = StackOptions {
        simulator: SimulatorConfig {
            token_ttl: Duration::from_secs(u64::MAX),
            ..SimulatorConfig::default()
        },
        ..StackOptions::default()
    };
    let s = sample_backend::start_stack(opts).await.unwrap();
    let c = client();
    let url = format!("{}exchange-partners", s.backend_url);
    for _ in 0..3 {
        let a = get(&c, &url, Some("demo-alice")).await;
        assert_eq!(a.status, 200, "{}", a.text);
    }
    assert_eq!(s.simulator.token_requests(), 1);
}
