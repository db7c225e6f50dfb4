//! The backend's dealings with Dwolla over loopback HTTP: the token cache (single-flight,
//! early refresh, ExpiredAccessToken), Dwolla down or slow, Dwolla's errors passed through.

mod support;

use std::time::{Duration, Instant};

use dwolla_simulator::{Fault, SimulatorConfig};
use sample_backend::backend::{start_backend, AppUser, BackendConfig, DwollaCredentials};
use sample_backend::{start_stack, StackOptions};
use support::backend::*;
use support::*;

#[tokio::test]
async fn fifty_concurrent_requests_fetch_one_token() {
    let s = stack().await;
    assert_eq!(s.simulator.token_requests(), 0);
    let c = client();
    let url = format!("{}exchange-partners", s.backend_url);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (c, url) = (c.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            get(&c, &url, Some("demo-alice")).await.status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(s.simulator.token_requests(), 1);
    assert_eq!(s.backend().token_fetches(), 1);

    // All 50 meet an expired token at once: exactly one more fetch, and every answer is 200.
    s.simulator.expire_tokens();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (c, url) = (c.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            get(&c, &url, Some("demo-bob")).await.status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(s.simulator.token_requests(), 2);
}

#[tokio::test]
async fn an_expired_token_is_replaced_once_and_the_request_retried() {
    let s = stack().await;
    let c = client();
    let b = &s.backend_url;
    assert_eq!(
        get(&c, &format!("{b}exchange-partners"), Some("demo-alice"))
            .await
            .status,
        200
    );
    assert_eq!(s.simulator.token_requests(), 1);
    s.simulator.expire_tokens();
    // A POST is retried too (with the same Idempotency-Key).
    let plaid = partner_href(&c, b, "demo-alice", "Plaid").await;
    assert_eq!(s.simulator.token_requests(), 2);
    s.simulator.expire_tokens();
    let a = post(
        &c,
        &format!("{b}customers/me/exchange-sessions"),
        "demo-alice",
        &session_body(&plaid, Some("com.example.app")),
        None,
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(s.simulator.token_requests(), 3);
}

#[tokio::test]
async fn a_persistently_expired_token_is_not_retried_forever() {
    let s = stack().await;
    let c = client();
    let b = &s.backend_url;
    assert_eq!(
        get(&c, &format!("{b}exchange-partners"), Some("demo-alice"))
            .await
            .status,
        200
    );
    let mut f = Fault::respond("/exchange-partners", 401);
    f.code = Some("ExpiredAccessToken".into());
    f.message = Some("Expired access token.".into());
    f.count = 5;
    s.simulator.add_fault(f);
    let a = get(&c, &format!("{b}exchange-partners"), Some("demo-alice")).await;
    // One refresh only (2 tokens in all); then it is the backend's failure, not the app user's
    // (a 401 would make the app renew its own token).
    assert_eq!(a.status, 502, "{}", a.text);
    assert_eq!(a.body["code"], "BadGateway");
    assert_eq!(s.simulator.token_requests(), 2);
    s.simulator.clear_faults();

    // InvalidScope is an account setting Dwolla documents for exchange sessions: passed on.
    let mut f = Fault::respond("/exchange-partners", 401);
    f.code = Some("InvalidScope".into());
    f.message = Some("Missing or invalid scopes for requested endpoint.".into());
    s.simulator.add_fault(f);
    let a = get(&c, &format!("{b}exchange-partners"), Some("demo-alice")).await;
    assert_eq!(a.status, 401);
    assert_eq!(a.body["code"], "InvalidScope");
    assert_eq!(
        a.body["message"],
        "Missing or invalid scopes for requested endpoint."
    );
    assert_eq!(s.simulator.token_requests(), 2);
}

#[tokio::test]
async fn the_token_is_replaced_before_it_expires() {
    let opts = StackOptions {
        simulator: SimulatorConfig {
            token_ttl: Duration::from_secs(4),
            ..SimulatorConfig::default()
        },
        ..StackOptions::default()
    };
    let s = start_stack(opts).await.unwrap();
    let c = client();
    let url = format!("{}exchange-partners", s.backend_url);
    assert_eq!(get(&c, &url, Some("demo-alice")).await.status, 200);
    assert_eq!(s.simulator.token_requests(), 1);
    assert_eq!(get(&c, &url, Some("demo-alice")).await.status, 200);
    assert_eq!(s.simulator.token_requests(), 1);
    // A 4 s token is replaced after half its life, while it is still valid.
    tokio::time::sleep(Duration::from_millis(2300)).await;
    assert_eq!(get(&c, &url, Some("demo-alice")).await.status, 200);
    assert_eq!(s.simulator.token_requests(), 2);
}

fn users() -> Vec<AppUser> {
    vec![AppUser {
        name: "carol".into(),
        token: "tok-carol-0123456789".into(),
        customer_id: "0b5f3a52-0000-4000-8000-000000000001".into(),
    }]
}

#[tokio::test]
async fn dwolla_down_is_a_502_without_credentials() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut config = BackendConfig::new(
        dead.clone(),
        DwollaCredentials {
            key: "key-ABCDEFG".into(),
            secret: "secret-HIJKLMN".into(),
        },
    );
    config.users = users();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = start_backend(config, listener).await.unwrap();
    let c = client();
    let a = get(
        &c,
        &format!("{}exchange-partners", running.url),
        Some("tok-carol-0123456789"),
    )
    .await;
    assert_eq!(a.status, 502);
    assert_eq!(a.body["code"], "BadGateway");
    for secret in [
        "key-ABCDEFG",
        "secret-HIJKLMN",
        "tok-carol-0123456789",
        &dead,
    ] {
        assert!(!a.text.contains(secret), "{}", a.text);
    }
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn refused_credentials_are_a_502_without_credentials() {
    let s = stack().await;
    let mut config = BackendConfig::new(
        s.simulator_url.clone(),
        DwollaCredentials {
            key: "sim-key".into(),
            secret: "wrong-secret-OPQRS".into(),
        },
    );
    config.users = users();
    let dbg = format!("{config:?}");
    assert!(
        !dbg.contains("wrong-secret-OPQRS") && !dbg.contains("tok-carol"),
        "{dbg}"
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = start_backend(config, listener).await.unwrap();
    let a = get(
        &client(),
        &format!("{}exchange-partners", running.url),
        Some("tok-carol-0123456789"),
    )
    .await;
    assert_eq!(a.status, 502);
    assert_eq!(a.body["code"], "BadGateway");
    assert!(!a.text.contains("wrong-secret-OPQRS") && !a.text.contains("sim-key"));
}

#[tokio::test]
async fn dwolla_too_slow_is_a_504_within_the_timeout() {
    let s = start_stack(StackOptions {
        dwolla_timeout: Duration::from_millis(300),
        ..StackOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let url = format!("{}exchange-partners", s.backend_url);
    assert_eq!(get(&c, &url, Some("demo-alice")).await.status, 200);
    s.simulator.add_fault(Fault::delay(
        "/exchange-partners",
        Duration::from_millis(2000),
    ));
    let started = Instant::now();
    let a = get(&c, &url, Some("demo-alice")).await;
    let took = started.elapsed();
    assert_eq!(a.status, 504, "{}", a.text);
    assert_eq!(a.body["code"], "GatewayTimeout");
    assert!(took < Duration::from_millis(1500), "{took:?}");
    // The fault was used up: Dwolla answers again.
    assert_eq!(get(&c, &url, Some("demo-alice")).await.status, 200);
}

#[tokio::test]
async fn dwolla_errors_pass_through_with_status_code_message_and_retry_after() {
    let s = stack().await;
    let c = client();
    let b = &s.backend_url;
    let url = format!("{b}exchange-partners");

    let mut f = Fault::respond("/exchange-partners", 403);
    f.code = Some("forbidden".into());
    f.message = Some(
        "Exchange sessions with this exchange partner are not enabled for your account.".into(),
    );
    s.simulator.add_fault(f);
    let a = get(&c, &url, Some("demo-alice")).await;
    assert_eq!(a.status, 403);
    assert_eq!(a.body["code"], "forbidden");
    assert_eq!(
        a.body["message"],
        "Exchange sessions with this exchange partner are not enabled for your account."
    );

    let mut f = Fault::respond("/exchange-partners", 429);
    f.code = Some("TooManyRequests".into());
    f.retry_after = Some("7".into());
    s.simulator.add_fault(f);
    let a = get(&c, &url, Some("demo-alice")).await;
    assert_eq!(a.status, 429);
    assert_eq!(a.body["code"], "TooManyRequests");
    assert_eq!(a.header("retry-after").as_deref(), Some("7"));

    let mut f = Fault::respond("/exchange-partners", 503);
    f.retry_after = Some("3".into());
    s.simulator.add_fault(f);
    let a = get(&c, &url, Some("demo-alice")).await;
    assert_eq!(a.status, 503);
    assert!(a.body["code"].is_string() && a.body["message"].is_string());
    assert_eq!(a.header("retry-after").as_deref(), Some("3"));

    // Dwolla's own 404 for an unknown partner.
    let a = get(
        &c,
        &format!("{url}/{}", uuid::Uuid::new_v4()),
        Some("demo-alice"),
    )
    .await;
    assert_eq!(a.status, 404);
    assert!(a.body["code"]
        .as_str()
        .unwrap()
        .eq_ignore_ascii_case("notfound"));

    // Dwolla's validation error for a partner href that is no partner, with its path.
    let a = post(
        &c,
        &format!("{b}customers/me/exchange-sessions"),
        "demo-alice",
        &session_body(
            &format!("{b}exchange-partners/{}", uuid::Uuid::new_v4()),
            None,
        ),
        None,
    )
    .await;
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(a.body["code"], "ValidationError");
    assert!(!a.text.contains(&s.simulator_url));

    // A POST error passes through as well (403 on the exchange-sessions path).
    let plaid = partner_href(&c, b, "demo-alice", "Plaid").await;
    let mut f = Fault::respond("/customers/", 403);
    f.code = Some("forbidden".into());
    f.message = Some("The exchange partner specified does not support this product.".into());
    s.simulator.add_fault(f);
    let a = post(
        &c,
        &format!("{b}customers/me/exchange-sessions"),
        "demo-alice",
        &session_body(&plaid, None),
        None,
    )
    .await;
    assert_eq!(a.status, 403);
    assert_eq!(
        a.body["message"],
        "The exchange partner specified does not support this product."
    );
}

#[tokio::test]
async fn broken_dwolla_answers_are_502s() {
    use dwolla_simulator::FaultAction;
    let s = stack().await;
    let c = client();
    let url = format!("{}exchange-partners", s.backend_url);
    assert_eq!(get(&c, &url, Some("demo-alice")).await.status, 200);
    for action in [
        FaultAction::Reset,
        FaultAction::Truncate,
        FaultAction::Malformed,
    ] {
        s.simulator
            .add_fault(Fault::with_action("/exchange-partners", action));
        let a = get(&c, &url, Some("demo-alice")).await;
        assert_eq!(a.status, 502, "{action:?}: {}", a.text);
        assert_eq!(a.body["code"], "BadGateway");
    }
}
