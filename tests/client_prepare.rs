//! Prepared sessions against a counting server on loopback: once `prepare_plaid_link` has
//! finished, `start_plaid_link` makes no request; after `prewarm` one; a new client's first
//! call two over one connection. A prepared session is handed out once, to its own customer,
//! while fresh; a prepare in flight is awaited; a failed one leaves the start to try itself;
//! cancelling and dropping the client leave nothing running.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use iav_bridge::{BridgeClient, BridgeConfig, BridgeError, Environment, Platform};
use support::{partners_body, FakeServer, Reply, Tokens};

fn token(n: usize) -> String {
    format!("link-sandbox-4b3e2a10-0000-4000-8000-{n:012}")
}

fn config(url: &str) -> BridgeConfig {
    let mut c = BridgeConfig::new(
        url,
        Platform::Android {
            package_name: "com.example.app".into(),
        },
        Environment::Sandbox,
    );
    c.allow_insecure_http = true;
    c.timeout_ms = 5_000;
    c
}

fn client_with(url: &str, tokens: Arc<Tokens>, max_age_ms: Option<u64>) -> Arc<BridgeClient> {
    let mut c = config(url);
    c.prepared_max_age_ms = max_age_ms;
    BridgeClient::new(c, Some(tokens)).unwrap()
}

fn client(url: &str) -> Arc<BridgeClient> {
    client_with(url, Tokens::always("t"), None)
}

/// A backend whose n-th POST (a session creation) answers `post(n)` or, by default, a 201 with
/// the session `s<n>` (token `token(n)`) in its body, as the sample-backend does: a start makes
/// 2 requests cold (partner list, POST), 1 after the partner list is cached.
async fn backend(
    post: impl Fn(usize, &str) -> Option<Reply> + Send + Sync + 'static,
) -> FakeServer {
    let posts = AtomicUsize::new(0);
    FakeServer::start(Arc::new(move |req, _| {
        let base = req.base();
        match req.method.as_str() {
            "GET" if req.path == "/exchange-partners" => Reply::json(200, &partners_body(&base)),
            "POST" => {
                let n = posts.fetch_add(1, Ordering::SeqCst);
                post(n, &base).unwrap_or_else(|| created_reply(n, &base))
            }
            _ => Reply::json(
                404,
                r#"{"code":"NotFound","message":"The requested resource was not found."}"#,
            ),
        }
    }))
    .await
}

/// Waits until the server has seen `n` requests, then for the answer to be read.
async fn settle(server: &FakeServer, n: usize) {
    for _ in 0..500 {
        if server.count() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(server.count(), n, "requests before the tap");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

fn posts(server: &FakeServer) -> usize {
    server
        .recorded()
        .iter()
        .filter(|r| r.method == "POST")
        .count()
}

#[tokio::test]
async fn request_counts_at_the_tap_prepared_0_prewarmed_1_cold_2_over_1_connection() {
    let server = backend(|_, _| None).await;

    // Cold: a new client's first call.
    let cold = client(&server.url);
    let s = cold.start_plaid_link("cus".into()).await.unwrap();
    assert_eq!(s.link_token(), token(0));
    assert_eq!(server.count(), 2, "partner list and POST");
    assert_eq!(server.connection_count(), 1, "both over one connection");

    // After prewarm: the partner list is cached and a connection open.
    let warm = client(&server.url);
    warm.prewarm();
    settle(&server, 3).await;
    let (before, conns) = (server.count(), server.connection_count());
    warm.start_plaid_link("cus".into()).await.unwrap();
    assert_eq!(server.count() - before, 1, "only the POST");
    assert_eq!(server.connection_count(), conns, "no new connection");

    // After prepare_plaid_link has finished: nothing at all.
    let prepared = client(&server.url);
    prepared.prepare_plaid_link("cus".into());
    settle(&server, 6).await;
    let (before, conns) = (server.count(), server.connection_count());
    let s = prepared.start_plaid_link("cus".into()).await.unwrap();
    assert_eq!(server.count(), before, "no request at the tap");
    assert_eq!(server.connection_count(), conns);
    assert_eq!(s.link_token(), token(2));
    assert!(s.session_url().ends_with("/exchange-sessions/s2"));
}

#[tokio::test]
async fn a_prepared_session_is_handed_out_once_and_only_to_its_customer() {
    let server = backend(|_, _| None).await;
    let c = client(&server.url);
    c.prepare_plaid_link("alice".into());
    c.prepare_plaid_link("alice".into()); // no second one
    settle(&server, 2).await;

    let bob = c.start_plaid_link("bob".into()).await.unwrap();
    assert_ne!(bob.link_token(), token(0), "not alice's session");
    assert_eq!(server.count_path("/customers/bob/exchange-sessions"), 1);

    let before = server.count();
    let alice = c.start_plaid_link("alice".into()).await.unwrap();
    assert_eq!(alice.link_token(), token(0));
    assert_eq!(server.count(), before);

    let again = c.start_plaid_link("alice".into()).await.unwrap();
    assert_ne!(again.link_token(), token(0), "handed out once");
    assert_eq!(server.count(), before + 1);
    assert_eq!(posts(&server), 3);
}

#[tokio::test]
async fn an_expired_prepared_session_is_replaced_not_handed_out() {
    let server = backend(|_, _| None).await;
    let c = client_with(&server.url, Tokens::always("t"), Some(50));
    c.prepare_plaid_link("cus".into());
    settle(&server, 2).await; // waits 100 ms: older than 50 ms
    let s = c.start_plaid_link("cus".into()).await.unwrap();
    assert_eq!(s.link_token(), token(1), "a new session");
    assert_eq!(posts(&server), 2);
}

#[tokio::test]
async fn a_prepare_in_flight_is_awaited_not_duplicated() {
    let server = backend(|n, base| {
        (n == 0)
            .then(|| Reply::Delayed(Duration::from_millis(300), Box::new(created_reply(n, base))))
    })
    .await;
    let c = client(&server.url);
    c.prepare_plaid_link("cus".into());
    tokio::time::sleep(Duration::from_millis(50)).await;
    let s = c.start_plaid_link("cus".into()).await.unwrap();
    assert_eq!(s.link_token(), token(0));
    assert_eq!(posts(&server), 1, "one session created");
    assert_eq!(server.count(), 2);
}

/// What `backend` answers by default: a 201 with the session `s<n>` in its body.
fn created_reply(n: usize, base: &str) -> Reply {
    let url = format!("{base}exchange-sessions/s{n}");
    let body = format!(
        r#"{{"created":"2024-03-25T17:13:38.430Z","_links":{{"self":{{"href":"{url}"}},"exchange-partner":{{"href":"{base}exchange-partners/p-plaid"}}}},"externalProviderSessionToken":"{}"}}"#,
        token(n)
    );
    Reply::json(201, &body).with_header("Location", &url)
}

#[tokio::test]
async fn a_failed_prepare_leaves_the_start_to_try_once_and_report_its_own_error() {
    let forbidden = r#"{"code":"forbidden","message":"Exchange sessions with this exchange partner are not enabled for your account."}"#;
    let not_found = r#"{"code":"NotFound","message":"The requested resource was not found."}"#;
    let server = backend(move |n, _| match n {
        0 => Some(Reply::json(403, forbidden)),
        1 => Some(Reply::json(404, not_found)),
        _ => None,
    })
    .await;
    let c = client(&server.url);
    c.prepare_plaid_link("cus".into());
    settle(&server, 2).await;
    let err = c.start_plaid_link("cus".into()).await.unwrap_err();
    assert!(
        matches!(err, BridgeError::NotFound { .. }),
        "its own error: {err:?}"
    );
    assert_eq!(posts(&server), 2, "the start tried once itself");
    let s = c.start_plaid_link("cus".into()).await.unwrap();
    assert_eq!(s.link_token(), token(2));
}

#[tokio::test]
async fn a_cancelled_start_leaves_the_prepared_session_for_the_next() {
    let server = backend(|n, base| {
        (n == 0)
            .then(|| Reply::Delayed(Duration::from_millis(300), Box::new(created_reply(n, base))))
    })
    .await;
    let c = client(&server.url);
    c.prepare_plaid_link("cus".into());
    let cancelled =
        tokio::time::timeout(Duration::from_millis(100), c.start_plaid_link("cus".into())).await;
    assert!(cancelled.is_err(), "the start was still waiting");
    settle(&server, 2).await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    let s = c.start_plaid_link("cus".into()).await.unwrap();
    assert_eq!(s.link_token(), token(0), "the prepared session, not lost");
    assert_eq!(posts(&server), 1);
}

#[tokio::test]
async fn dropping_the_client_or_clearing_aborts_the_prepare() {
    let server = backend(|n, base| {
        (n == 0)
            .then(|| Reply::Delayed(Duration::from_millis(400), Box::new(created_reply(n, base))))
    })
    .await;
    let tokens = Tokens::always("t");
    let c = client_with(&server.url, tokens.clone(), None);
    c.prepare_plaid_link("cus".into());
    settle(&server, 2).await;
    drop(c);
    // The task held the client's state (its token provider among it): all of it is released
    // well before the delayed answer would have come.
    for _ in 0..100 {
        if Arc::strong_count(&tokens) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        Arc::strong_count(&tokens),
        1,
        "no task left holding the client"
    );

    // clear_prepared: the prepare in flight is aborted; the start creates its own session.
    let c = client(&server.url);
    c.prepare_plaid_link("cus".into());
    tokio::time::sleep(Duration::from_millis(50)).await;
    c.clear_prepared();
    let s = c.start_plaid_link("cus".into()).await.unwrap();
    assert_ne!(s.link_token(), token(0));
}

#[tokio::test]
async fn prepare_reauth_then_start_reauth_makes_no_request() {
    let server = backend(|_, _| None).await;
    let c = client(&server.url);
    c.prepare_reauth("ex1".into());
    settle(&server, 1).await; // no partner list needed
    assert_eq!(server.count_path("/exchanges/ex1/exchange-sessions"), 1);
    let s = c.start_reauth("ex1".into()).await.unwrap();
    assert_eq!(s.link_token(), token(0));
    assert_eq!(server.count(), 1);
    // Not for another exchange, nor for start_plaid_link.
    c.start_reauth("ex2".into()).await.unwrap();
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn a_bad_id_is_logged_not_prepared() {
    let server = backend(|_, _| None).await;
    let c = client(&server.url);
    c.prepare_plaid_link(String::new());
    c.prepare_reauth("..".into());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(server.count(), 0);
}

/// An `AccessTokenProvider` whose token the test switches: the app's user signing out and
/// another signing in, with or without `clear_prepared`.
struct Switchable(std::sync::Mutex<String>);

impl Switchable {
    fn new(token: &str) -> Arc<Switchable> {
        Arc::new(Switchable(std::sync::Mutex::new(token.into())))
    }

    fn switch_to(&self, token: &str) {
        *self.0.lock().unwrap() = token.into();
    }
}

#[async_trait::async_trait]
impl iav_bridge::AccessTokenProvider for Switchable {
    async fn access_token(&self) -> Result<String, iav_bridge::AccessTokenError> {
        Ok(self.0.lock().unwrap().clone())
    }
}

/// The bearer token of the POST that created the session `link_token` (`token(n)`).
fn creator(server: &FakeServer, link_token: &str) -> String {
    let n = (0..100)
        .find(|&n| token(n) == link_token)
        .expect("one of token(n)");
    server
        .recorded()
        .iter()
        .filter(|r| r.method == "POST")
        .nth(n)
        .and_then(|r| r.header("Authorization"))
        .unwrap_or("")
        .trim_start_matches("Bearer ")
        .to_string()
}

#[tokio::test]
async fn a_session_prepared_for_one_user_is_not_handed_to_the_next() {
    const ALICE: &str = "alice-session-token-0001";
    const BOB: &str = "bob-session-token-0002";
    let server = backend(|_, _| None).await;
    let tokens = Switchable::new(ALICE);
    let mut cfg = config(&server.url);
    cfg.prepared_max_age_ms = None;
    let c = BridgeClient::new(cfg, Some(tokens.clone())).unwrap();

    // Plaid Link and re-authentication, prepared while alice is signed in.
    c.prepare_plaid_link("me".into());
    c.prepare_reauth("ex1".into());
    settle(&server, 3).await;
    // Alice signs out, bob signs in; the app forgets clear_prepared.
    tokens.switch_to(BOB);
    let before = server.count();
    let link = c.start_plaid_link("me".into()).await.unwrap();
    let link_owner = creator(&server, &link.link_token());
    let reauth = c.start_reauth("ex1".into()).await.unwrap();
    let reauth_owner = creator(&server, &reauth.link_token());
    println!(
        "prepared as alice, tapped as bob: start_plaid_link got the session created with {link_owner}'s token, start_reauth {reauth_owner}'s; {} requests at the taps",
        server.count() - before
    );
    assert_eq!(link_owner, BOB, "bob's own session, not alice's");
    assert_eq!(reauth_owner, BOB, "bob's own re-auth session, not alice's");
    assert_eq!(server.count() - before, 2, "both taps went to the backend");

    // Bob's own prepared session is his at the tap: no request.
    c.prepare_plaid_link("me".into());
    settle(&server, before + 3).await;
    let n = server.count();
    let again = c.start_plaid_link("me".into()).await.unwrap();
    assert_eq!(server.count(), n, "bob's prepared session, no request");
    assert_eq!(creator(&server, &again.link_token()), BOB);
}

/// Waits up to `bound` for `done`; returns how long it took, or `None`.
async fn within(bound: Duration, done: impl Fn() -> bool) -> Option<Duration> {
    let started = std::time::Instant::now();
    while started.elapsed() < bound {
        if done() {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    done().then(|| started.elapsed())
}

/// A backend whose partner list takes 3 s: a prewarm is in flight for that long.
async fn slow_partner_list() -> FakeServer {
    FakeServer::start(Arc::new(|req, _| {
        Reply::Delayed(
            Duration::from_secs(3),
            Box::new(Reply::json(200, &partners_body(&req.base()))),
        )
    }))
    .await
}

#[tokio::test]
async fn dropping_the_client_ends_a_prewarm_in_flight_and_releases_the_token_provider() {
    // A prewarm whose request is at the backend.
    let server = slow_partner_list().await;
    let tokens = Tokens::always("t");
    let c = client_with(&server.url, tokens.clone(), None);
    c.prewarm();
    within(Duration::from_secs(2), || server.count() == 1)
        .await
        .expect("the prewarm's request reached the backend");
    drop(c);
    let released = within(Duration::from_millis(500), || {
        Arc::strong_count(&tokens) == 1
    })
    .await;
    let hung_up = within(Duration::from_millis(500), || {
        *server.client_hangups.lock().unwrap() == 1
    })
    .await;
    println!(
        "client dropped with a prewarm in flight: token provider released after {released:?}, request ended after {hung_up:?} (the answer was 3 s away)"
    );
    assert!(released.is_some(), "the token provider is still held");
    assert!(hung_up.is_some(), "the request is still open");

    // A prewarm started a moment before the drop (not yet at the backend).
    let tokens = Tokens::always("t");
    let c = client_with(&server.url, tokens.clone(), None);
    c.prewarm();
    drop(c);
    let released = within(Duration::from_millis(500), || {
        Arc::strong_count(&tokens) == 1
    })
    .await;
    println!("client dropped right after prewarm: token provider released after {released:?}");
    assert!(released.is_some(), "the token provider is still held");
}

#[tokio::test]
async fn clear_prepared_ends_a_prewarm_in_flight() {
    let server = slow_partner_list().await;
    let c = client(&server.url);
    c.prewarm();
    within(Duration::from_secs(2), || server.count() == 1)
        .await
        .expect("the prewarm's request reached the backend");
    c.clear_prepared();
    let hung_up = within(Duration::from_millis(500), || {
        *server.client_hangups.lock().unwrap() == 1
    })
    .await;
    println!("clear_prepared with a prewarm in flight: request ended after {hung_up:?}");
    assert!(hung_up.is_some(), "the prewarm's request is still open");
}
