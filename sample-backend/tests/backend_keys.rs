//! `Idempotency-Key`s per user, and a key whose request is in progress: user B's key K and
//! user A's key K are two keys; a retry while the first request is held at Dwolla is 503 with
//! `Retry-After` (nothing sent, the key kept), then replays the first answer; Dwolla's own
//! "already in progress" 409 is 503 too, and never releases the key.
//!
//! Loopback only; each test prints its figures.

mod support;

use std::time::{Duration, Instant};

use dwolla_simulator::Fault;
use support::backend::*;
use support::*;

#[tokio::test]
async fn the_same_key_text_of_two_users_is_two_keys() {
    let (s, c, plaid) = plaid_stack().await;
    let url = format!("{}customers/me/exchange-sessions", s.backend_url);
    let body = session_body(&plaid, Some("com.example.app"));
    // A predictable key, used by alice first.
    let key = "order-1";
    let alice = post(&c, &url, "demo-alice", &body, Some(key)).await;
    assert_eq!(alice.status, 201, "{}", alice.text);
    // Bob's "order-1" is his own: a session of his, not a 409 that tells him alice used it.
    let bob = post(&c, &url, "demo-bob", &body, Some(key)).await;
    println!(
        "alice's key {key:?}: {}; bob's key {key:?}: {} ({})",
        alice.status,
        bob.status,
        bob.body["code"].as_str().unwrap_or("a session")
    );
    assert_eq!(bob.status, 201, "{}", bob.text);
    assert_ne!(bob.header("location"), alice.header("location"));
    // Each user's key replays that user's own session.
    let alice_again = post(&c, &url, "demo-alice", &body, Some(key)).await;
    let bob_again = post(&c, &url, "demo-bob", &body, Some(key)).await;
    assert_eq!(alice_again.header("location"), alice.header("location"));
    assert_eq!(bob_again.header("location"), bob.header("location"));
    // The same user's key with another request is 409, as before.
    let other = post(
        &c,
        &url,
        "demo-alice",
        &session_body(&plaid, Some("https://example.com/app")),
        Some(key),
    )
    .await;
    assert_eq!(
        other.status_and_code(),
        (409, Some("Conflict")),
        "{}",
        other.text
    );
    // A key claimed by bob first does not block alice either.
    let squatted = "order-2";
    assert_eq!(
        post(&c, &url, "demo-bob", &body, Some(squatted))
            .await
            .status,
        201
    );
    let mine = post(&c, &url, "demo-alice", &body, Some(squatted)).await;
    assert_eq!(mine.status, 201, "{}", mine.text);
}

#[tokio::test]
async fn a_retry_while_the_first_request_is_at_dwolla_is_503_then_replays_it() {
    let (s, c, plaid) = plaid_stack().await;
    let url = format!("{}customers/me/exchange-sessions", s.backend_url);
    let body = session_body(&plaid, Some("com.example.app"));
    let key = uuid::Uuid::new_v4().to_string();
    // Request A is held at Dwolla for 1.5 s (after Dwolla marked its key in progress).
    let mut hold = Fault::delay("/customers/", Duration::from_millis(1500));
    hold.method = Some("POST".into());
    s.simulator.add_fault(hold);
    let before = s.simulator.requests_received();
    let a = {
        let (c, url, body, key) = (c.clone(), url.clone(), body.clone(), key.clone());
        tokio::spawn(async move { post(&c, &url, "demo-alice", &body, Some(&key)).await })
    };
    let start = Instant::now();
    while s.simulator.requests_received() == before {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "A never reached Dwolla"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // B: the same user's retry with the same key, while A is at Dwolla.
    let at_dwolla = s.simulator.requests_received();
    let b = post(&c, &url, "demo-alice", &body, Some(&key)).await;
    let sent_for_b = s.simulator.requests_received() - at_dwolla;
    // Another user with the same key text: his own session, at once.
    let bob = post(&c, &url, "demo-bob", &body, Some(&key)).await;
    let a = a.await.unwrap();
    // After A: the retry replays A's answer.
    let retry = post(&c, &url, "demo-alice", &body, Some(&key)).await;
    println!(
        "A held at Dwolla: B (same user, same key) {} {} with Retry-After {:?}, {sent_for_b} \
         request(s) sent to Dwolla for it; bob with the key {}; A {}; the retry after A {} \
         (same session as A: {})",
        b.status,
        b.body["code"].as_str().unwrap_or(""),
        b.header("retry-after"),
        bob.status,
        a.status,
        retry.status,
        retry.header("location") == a.header("location")
    );
    assert_eq!(
        b.status_and_code(),
        (503, Some("ServiceUnavailable")),
        "{}",
        b.text
    );
    let ra: u64 = b
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!(ra >= 1);
    assert_eq!(sent_for_b, 0, "B must not be sent while A is in flight");
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(retry.status, 201, "{}", retry.text);
    assert_eq!(retry.header("location"), a.header("location"));
    assert_eq!(bob.status, 201, "{}", bob.text);
    assert_ne!(bob.header("location"), a.header("location"));
    // Nobody can take the key afterwards: alice's key stays hers (a new request with it is
    // 409), bob's use of the text is his own replay.
    let changed = post(
        &c,
        &url,
        "demo-alice",
        &session_body(&plaid, Some("https://example.com/app")),
        Some(&key),
    )
    .await;
    assert_eq!(changed.status, 409, "{}", changed.text);
    let bob_again = post(&c, &url, "demo-bob", &body, Some(&key)).await;
    assert_eq!(bob_again.header("location"), bob.header("location"));
}

#[tokio::test]
async fn dwollas_in_progress_409_is_a_503_and_keeps_the_key() {
    let (s, c, plaid) = plaid_stack().await;
    let url = format!("{}customers/me/exchange-sessions", s.backend_url);
    let body = session_body(&plaid, Some("com.example.app"));
    let key = uuid::Uuid::new_v4().to_string();
    // Dwolla answers that a request with the key is in progress (another instance's, say).
    let mut busy = Fault::respond("/customers/", 409);
    busy.method = Some("POST".into());
    busy.code = Some("Conflict".into());
    busy.message = Some("A request with this Idempotency-Key is already in progress.".into());
    s.simulator.add_fault(busy);
    let first = post(&c, &url, "demo-alice", &body, Some(&key)).await;
    // The key was not released: another request with it is still 409, not sent.
    let before = s.simulator.requests_received();
    let changed = post(
        &c,
        &url,
        "demo-alice",
        &session_body(&plaid, Some("https://example.com/app")),
        Some(&key),
    )
    .await;
    let sent_for_changed = s.simulator.requests_received() - before;
    // The retry of the same request is sent again and created.
    let retry = post(&c, &url, "demo-alice", &body, Some(&key)).await;
    println!(
        "Dwolla's 409 in progress: answered {} {} (Retry-After {:?}); then the key with another \
         body {} ({sent_for_changed} sent); the retry {}",
        first.status,
        first.body["code"].as_str().unwrap_or(""),
        first.header("retry-after"),
        changed.status,
        retry.status
    );
    assert_eq!(
        first.status_and_code(),
        (503, Some("ServiceUnavailable")),
        "{}",
        first.text
    );
    assert!(first.header("retry-after").is_some());
    assert_eq!(changed.status, 409, "{}", changed.text);
    assert_eq!(sent_for_changed, 0);
    assert_eq!(retry.status, 201, "{}", retry.text);
}
