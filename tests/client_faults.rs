//! The client against purpose-built servers on loopback: retries, deadlines, size caps, the
//! origin rule, redirects, token providers and cancellation.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use iav_bridge::{
    AccessTokenError, BridgeClient, BridgeConfig, BridgeError, Environment, Platform, HAL_JSON,
};
use support::{partners_body, plaid_session_body, FakeServer, Reply, Tokens};

const TOKEN: &str = "link-sandbox-4b3e2a10-0000-4000-8000-000000000001";

fn android() -> Platform {
    Platform::Android {
        package_name: "com.example.app".into(),
    }
}

fn config(url: &str, platform: Platform) -> BridgeConfig {
    let mut c = BridgeConfig::new(url, platform, Environment::Sandbox);
    c.allow_insecure_http = true;
    c.timeout_ms = 5_000;
    c
}

fn client(url: &str) -> Arc<BridgeClient> {
    BridgeClient::new(config(url, android()), None).unwrap()
}

/// A backend that serves the partner list and the session `s1`, and answers the n-th POST
/// with `post(n, base)`.
async fn backend(post: impl Fn(usize, &str) -> Reply + Send + Sync + 'static) -> FakeServer {
    let posts = AtomicUsize::new(0);
    FakeServer::start(Arc::new(move |req, _| {
        let base = req.base();
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/exchange-partners") => Reply::json(200, &partners_body(&base)),
            ("GET", "/exchange-sessions/s1") => Reply::json(200, &plaid_session_body(&base, TOKEN)),
            ("POST", _) => post(posts.fetch_add(1, Ordering::SeqCst), &base),
            _ => Reply::json(
                404,
                r#"{"code":"NotFound","message":"The requested resource was not found."}"#,
            ),
        }
    }))
    .await
}

/// The usual answer to creating a session: an empty 201 with its Location.
fn created(_: usize, base: &str) -> Reply {
    Reply::json(201, "").with_header("Location", &format!("{base}exchange-sessions/s1"))
}

#[tokio::test]
async fn android_flow_sends_the_package_name_and_follows_the_empty_201() {
    let server = backend(created).await;
    let session = client(&server.url)
        .start_plaid_link("me".into())
        .await
        .unwrap();
    assert_eq!(session.link_token(), TOKEN);
    assert_eq!(
        session.session_url(),
        format!("{}exchange-sessions/s1", server.url)
    );
    let reqs = server.recorded();
    let paths: Vec<_> = reqs
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        paths,
        [
            "GET /exchange-partners",
            "POST /customers/me/exchange-sessions",
            "GET /exchange-sessions/s1"
        ]
    );
    let body = reqs[1].json();
    assert_eq!(body["_links"]["redirect-url"]["href"], "com.example.app");
    assert_eq!(
        body["_links"]["exchange-partner"]["href"],
        format!("{}exchange-partners/p-plaid", server.url)
    );
    assert_eq!(reqs[1].header("Content-Type"), Some(HAL_JSON));
    assert_eq!(reqs[0].header("Accept"), Some(HAL_JSON));
    assert!(uuid_like(reqs[1].header("Idempotency-Key").unwrap()));
}

#[tokio::test]
async fn ios_sends_the_url_and_web_sends_nothing() {
    let server = backend(created).await;
    let ios = Platform::Ios {
        redirect_url: "https://example.com/app".into(),
    };
    BridgeClient::new(config(&server.url, ios), None)
        .unwrap()
        .start_plaid_link("c1".into())
        .await
        .unwrap();
    BridgeClient::new(config(&server.url, Platform::Web), None)
        .unwrap()
        .start_plaid_link("c1".into())
        .await
        .unwrap();
    let posts: Vec<_> = server
        .recorded()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(
        posts[0].json()["_links"]["redirect-url"]["href"],
        "https://example.com/app"
    );
    assert!(posts[1].json()["_links"].get("redirect-url").is_none());
    assert!(posts[1].json()["_links"].get("exchange-partner").is_some());
}

#[tokio::test]
async fn a_201_with_the_session_in_its_body_saves_the_get() {
    let server = FakeServer::start(Arc::new(|req, _| {
        let base = req.base();
        match req.method.as_str() {
            "GET" => Reply::json(200, &partners_body(&base)),
            _ => Reply::json(201, &plaid_session_body(&base, TOKEN))
                .with_header("Location", &format!("{base}exchange-sessions/s1")),
        }
    }))
    .await;
    let s = client(&server.url)
        .start_plaid_link("me".into())
        .await
        .unwrap();
    assert_eq!(s.link_token(), TOKEN);
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn backend_url_with_a_path_prefix_with_or_without_slash() {
    for suffix in ["api/v1", "api/v1/"] {
        let server = FakeServer::start(Arc::new(|req, _| {
            let base = format!("http://{}/api/v1/", req.header("Host").unwrap());
            match (req.method.as_str(), req.path.as_str()) {
                ("GET", "/api/v1/exchange-partners") => Reply::json(200, &partners_body(&base)),
                ("POST", "/api/v1/customers/a%20b/exchange-sessions") => {
                    Reply::json(201, &plaid_session_body(&base, TOKEN))
                        .with_header("Location", &format!("{base}exchange-sessions/s1"))
                }
                _ => Reply::json(404, "{}"),
            }
        }))
        .await;
        let url = format!("{}{suffix}", server.url);
        let s = client(&url).start_plaid_link("a b".into()).await.unwrap();
        assert_eq!(s.link_token(), TOKEN, "{url}");
    }
}

#[tokio::test]
async fn retries_5xx_then_succeeds_with_one_idempotency_key() {
    let server = backend(|i, base| match i {
        0 => Reply::json(503, r#"{"code":"ServiceUnavailable","message":"busy"}"#),
        1 => Reply::json(502, ""),
        _ => created(i, base),
    })
    .await;
    let s = client(&server.url)
        .start_plaid_link("me".into())
        .await
        .unwrap();
    assert_eq!(s.link_token(), TOKEN);
    let keys = server.idempotency_keys();
    assert_eq!(keys.len(), 3);
    assert!(keys.iter().all(|k| k == &keys[0]), "{keys:?}");
}

#[tokio::test]
async fn a_second_call_uses_a_new_idempotency_key() {
    let server = backend(created).await;
    let c = client(&server.url);
    c.start_plaid_link("me".into()).await.unwrap();
    c.start_plaid_link("me".into()).await.unwrap();
    let keys = server.idempotency_keys();
    assert_eq!(keys.len(), 2);
    assert_ne!(keys[0], keys[1]);
    // The partner list was fetched once for both calls.
    assert_eq!(server.count_path("/exchange-partners"), 1);
}

#[tokio::test]
async fn rate_limited_honours_retry_after() {
    let server = FakeServer::sequence(vec![
        Reply::json(429, r#"{"code":"TooManyRequests","message":"slow down"}"#)
            .with_header("Retry-After", "1"),
        Reply::json(200, r#"{"_embedded":{"exchange-partners":[]}}"#),
    ])
    .await;
    let started = Instant::now();
    let partners = client(&server.url).exchange_partners().await.unwrap();
    assert!(partners.is_empty());
    assert_eq!(server.count(), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn rate_limited_without_retry_after_gives_up_after_max_retries() {
    let server = FakeServer::sequence(vec![Reply::json(
        429,
        r#"{"code":"TooManyRequests","message":"m"}"#,
    )])
    .await;
    let mut cfg = config(&server.url, android());
    cfg.max_retries = 3;
    let err = BridgeClient::new(cfg, None)
        .unwrap()
        .exchange_partners()
        .await
        .unwrap_err();
    assert_eq!(err, BridgeError::RateLimited { retry_after_ms: 0 });
    assert_eq!(server.count(), 4);
}

#[tokio::test]
async fn a_retry_after_beyond_the_deadline_fails_at_once() {
    let server = FakeServer::sequence(vec![Reply::json(
        429,
        r#"{"code":"TooManyRequests","message":"m"}"#,
    )
    .with_header("Retry-After", "60")])
    .await;
    let started = Instant::now();
    let err = client(&server.url).exchange_partners().await.unwrap_err();
    assert_eq!(
        err,
        BridgeError::RateLimited {
            retry_after_ms: 60_000
        }
    );
    assert_eq!(server.count(), 1);
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn client_errors_are_typed_and_never_retried() {
    type Check = Box<dyn Fn(&BridgeError) -> bool>;
    let cases: Vec<(u16, &str, Check)> = vec![
        (
            400,
            r#"{"code":"ValidationError","message":"Validation error(s) present.","_embedded":{"errors":[{"code":"Invalid","message":"/_links/redirect-url/href is invalid","path":"/_links/redirect-url/href"}]}}"#,
            Box::new(
                |e| matches!(e, BridgeError::Validation { code, path: Some(p), .. } if code == "ValidationError" && p == "/_links/redirect-url/href"),
            ),
        ),
        (
            400,
            r#"{"code":"ValidationError","message":"The provided redirect URL must exactly match one of the configured URLs for the account"}"#,
            Box::new(
                |e| matches!(e, BridgeError::RedirectUrlNotAllowed { detail } if detail.contains("exactly match")),
            ),
        ),
        (
            401,
            r#"{"code":"InvalidScope","message":"Missing or invalid scopes for requested endpoint"}"#,
            Box::new(
                |e| matches!(e, BridgeError::Unauthorized { code, .. } if code == "InvalidScope"),
            ),
        ),
        (
            403,
            r#"{"code":"forbidden","message":"The exchange partner specified does not support this product"}"#,
            Box::new(
                |e| matches!(e, BridgeError::Forbidden { code, detail } if code == "forbidden" && detail.contains("does not support")),
            ),
        ),
        (
            404,
            r#"{"code":"NotFound","message":"The requested resource was not found."}"#,
            Box::new(
                |e| matches!(e, BridgeError::NotFound { detail } if detail == "The requested resource was not found."),
            ),
        ),
        (
            409,
            r#"{"code":"Conflict","message":"in progress"}"#,
            Box::new(
                |e| matches!(e, BridgeError::Server { status: 409, code, .. } if code == "Conflict"),
            ),
        ),
    ];
    for (status, body, check) in cases {
        let server = backend(move |_, _| Reply::json(status, body)).await;
        let err = client(&server.url)
            .start_plaid_link("me".into())
            .await
            .unwrap_err();
        assert!(check(&err), "{status}: {err:?}");
        let posts = server
            .recorded()
            .iter()
            .filter(|r| r.method == "POST")
            .count();
        assert_eq!(posts, 1, "{status} must not be retried");
    }
}

#[tokio::test]
async fn connection_refused_is_a_network_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut cfg = config(&format!("http://127.0.0.1:{port}/"), android());
    cfg.max_retries = 1;
    let err = BridgeClient::new(cfg, None)
        .unwrap()
        .exchange_partners()
        .await
        .unwrap_err();
    match err {
        BridgeError::Network { detail } => {
            assert!(detail.contains("could not connect"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn reset_mid_body_is_retried_then_a_network_error() {
    let server = FakeServer::sequence(vec![Reply::ResetMidBody]).await;
    let err = client(&server.url).exchange_partners().await.unwrap_err();
    assert!(matches!(err, BridgeError::Network { .. }), "{err:?}");
    assert_eq!(server.count(), 3, "one request and two retries");
}

#[tokio::test]
async fn truncated_body_is_retried_and_can_recover() {
    let server = FakeServer::sequence(vec![
        Reply::Truncated {
            declared: 500,
            body: b"{\"_embedded\"".to_vec(),
        },
        Reply::json(200, r#"{"_embedded":{"exchange-partners":[]}}"#),
    ])
    .await;
    assert!(client(&server.url)
        .exchange_partners()
        .await
        .unwrap()
        .is_empty());
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn slow_headers_and_slow_body_time_out_at_the_deadline() {
    for reply in [
        Reply::Delayed(Duration::from_secs(10), Box::new(Reply::json(200, "{}"))),
        Reply::SlowBody {
            status: 200,
            body: b"{}".to_vec(),
            delay: Duration::from_secs(10),
        },
    ] {
        let server = FakeServer::sequence(vec![reply]).await;
        let mut cfg = config(&server.url, android());
        cfg.timeout_ms = 300;
        let started = Instant::now();
        let err = BridgeClient::new(cfg, None)
            .unwrap()
            .exchange_partners()
            .await
            .unwrap_err();
        assert_eq!(err, BridgeError::Timeout { after_ms: 300 });
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}

#[tokio::test]
async fn non_json_and_oversized_bodies_are_invalid_responses() {
    let server = FakeServer::sequence(vec![Reply::json(200, "<html>hello</html>")]).await;
    let err = client(&server.url).exchange_partners().await.unwrap_err();
    assert!(
        matches!(&err, BridgeError::InvalidResponse { detail } if detail.contains("not valid JSON")),
        "{err:?}"
    );

    let big = vec![b' '; iav_bridge::MAX_BODY_BYTES + 1];
    let server = FakeServer::sequence(vec![Reply::Http {
        status: 200,
        headers: vec![],
        body: big,
    }])
    .await;
    let err = client(&server.url).exchange_partners().await.unwrap_err();
    assert!(
        matches!(&err, BridgeError::InvalidResponse { detail } if detail.contains("1024 KiB")),
        "{err:?}"
    );

    let server = FakeServer::sequence(vec![Reply::json(
        200,
        r#"{"_embedded":{"exchange-partners":[{"id":"1","name":"Plaid","status":"active"}]}}"#,
    )])
    .await;
    let err = client(&server.url).exchange_partners().await.unwrap_err();
    assert!(
        matches!(&err, BridgeError::InvalidResponse { detail } if detail.contains("'_links.self.href' is missing")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_location_on_a_foreign_origin_is_refused_and_never_contacted() {
    let foreign = FakeServer::sequence(vec![Reply::json(
        200,
        &plaid_session_body("http://x/", TOKEN),
    )])
    .await;
    let foreign_url = foreign.url.clone();
    let location = format!("{foreign_url}exchange-sessions/s1");
    let server = backend(move |_, _| Reply::json(201, "").with_header("Location", &location)).await;
    let tokens = Tokens::new(vec![Ok("app-bearer-secret-1".into())]);
    let c = BridgeClient::new(config(&server.url, android()), Some(tokens)).unwrap();
    let err = c.start_plaid_link("me".into()).await.unwrap_err();
    assert!(
        matches!(&err, BridgeError::InvalidResponse { detail } if detail.contains("another origin")),
        "{err:?}"
    );
    assert_eq!(foreign.count(), 0);
    // Nor may the app hand the client a foreign session URL.
    let err = c
        .exchange_session(format!("{foreign_url}exchange-sessions/s1"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, BridgeError::InvalidArgument { .. }),
        "{err:?}"
    );
    assert_eq!(foreign.count(), 0);
}

#[tokio::test]
async fn dwolla_origin_hrefs_are_rebased_onto_the_backend() {
    let server = FakeServer::start(Arc::new(|req, _| {
        let base = req.base();
        match req.method.as_str() {
            "GET" if req.path == "/exchange-partners" => {
                Reply::json(200, &partners_body("https://api-sandbox.dwolla.com/"))
            }
            "GET" => Reply::json(200, &plaid_session_body(&base, TOKEN)),
            _ => Reply::json(201, "").with_header(
                "Location",
                "https://api-sandbox.dwolla.com/exchange-sessions/s1",
            ),
        }
    }))
    .await;
    let c = client(&server.url);
    let partners = c.exchange_partners().await.unwrap();
    assert!(
        partners.iter().all(|p| p.href.starts_with(&server.url)),
        "{partners:?}"
    );
    let s = c.start_plaid_link("me".into()).await.unwrap();
    assert_eq!(
        s.session_url(),
        format!("{}exchange-sessions/s1", server.url)
    );
}

#[tokio::test]
async fn http_redirects_are_not_followed_with_the_token() {
    let other = FakeServer::sequence(vec![Reply::json(
        200,
        r#"{"_embedded":{"exchange-partners":[]}}"#,
    )])
    .await;
    let server =
        FakeServer::sequence(vec![Reply::json(302, "")
            .with_header("Location", &format!("{}exchange-partners", other.url))])
        .await;
    let tokens = Tokens::new(vec![Ok("app-bearer-secret-2".into())]);
    let err = BridgeClient::new(config(&server.url, android()), Some(tokens))
        .unwrap()
        .exchange_partners()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BridgeError::InvalidResponse { detail } if detail.contains("redirect")),
        "{err:?}"
    );
    assert_eq!(other.count(), 0);
    assert_eq!(
        server.recorded()[0].header("Authorization"),
        Some("Bearer app-bearer-secret-2")
    );
}

#[tokio::test]
async fn a_failing_token_provider_sends_nothing() {
    let server = backend(created).await;
    let tokens = Tokens::new(vec![Err(AccessTokenError::Failed {
        reason: "signed out".into(),
    })]);
    let err = BridgeClient::new(config(&server.url, android()), Some(tokens))
        .unwrap()
        .start_plaid_link("me".into())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BridgeError::TokenProvider {
            detail: "signed out".into()
        }
    );
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn a_401_is_retried_once_with_a_fresh_token() {
    let server = FakeServer::start(Arc::new(|req, _| {
        if req.header("Authorization") == Some("Bearer fresh-token") {
            Reply::json(200, r#"{"_embedded":{"exchange-partners":[]}}"#)
        } else {
            Reply::json(
                401,
                r#"{"code":"ExpiredAccessToken","message":"Expired access token."}"#,
            )
        }
    }))
    .await;
    let tokens = Tokens::new(vec![Ok("stale-token".into()), Ok("fresh-token".into())]);
    let c = BridgeClient::new(config(&server.url, android()), Some(tokens.clone())).unwrap();
    assert!(c.exchange_partners().await.unwrap().is_empty());
    assert_eq!(tokens.asked.load(Ordering::SeqCst), 2);
    assert_eq!(server.count(), 2);

    // A token the backend never accepts: one refresh, then Unauthorized.
    let tokens = Tokens::new(vec![Ok("stale-token".into())]);
    let c = BridgeClient::new(config(&server.url, android()), Some(tokens.clone())).unwrap();
    let err = c.exchange_partners().await.unwrap_err();
    assert_eq!(
        err,
        BridgeError::Unauthorized {
            code: "ExpiredAccessToken".into(),
            detail: "Expired access token.".into()
        }
    );
    assert_eq!(tokens.asked.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_refused_partner_href_refreshes_the_partner_list_once() {
    let server = backend(|i, base| match i {
        0 => Reply::json(400, r#"{"code":"ValidationError","message":"Validation error(s) present.","_embedded":{"errors":[{"code":"Invalid","message":"/_links/exchange-partner/href is invalid","path":"/_links/exchange-partner/href"}]}}"#),
        _ => created(i, base),
    })
    .await;
    let s = client(&server.url)
        .start_plaid_link("me".into())
        .await
        .unwrap();
    assert_eq!(s.link_token(), TOKEN);
    let partner_gets = server.count_path("/exchange-partners");
    assert_eq!(partner_gets, 2);
}

#[tokio::test]
async fn link_tokens_of_the_other_environment_are_refused() {
    let server = FakeServer::start(Arc::new(|req, _| {
        let base = req.base();
        match req.method.as_str() {
            "GET" => Reply::json(200, &partners_body(&base)),
            _ => Reply::json(
                201,
                &plaid_session_body(&base, "link-production-0000-aaaa-bbbb"),
            )
            .with_header("Location", &format!("{base}exchange-sessions/s1")),
        }
    }))
    .await;
    let err = client(&server.url)
        .start_plaid_link("me".into())
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(
        matches!(err, BridgeError::InvalidConfiguration { .. }),
        "{text}"
    );
    assert!(text.contains("production"), "{text}");
    assert!(!text.contains("link-production-0000"), "{text}");
}

#[tokio::test]
async fn cancelling_a_call_aborts_the_request_and_the_client_still_works() {
    let server = FakeServer::start(Arc::new(|_, i| {
        if i == 0 {
            Reply::Delayed(Duration::from_secs(30), Box::new(Reply::json(200, "{}")))
        } else {
            Reply::json(200, r#"{"_embedded":{"exchange-partners":[]}}"#)
        }
    }))
    .await;
    let c = client(&server.url);
    let call = c.exchange_partners();
    assert!(tokio::time::timeout(Duration::from_millis(200), call)
        .await
        .is_err());
    // The server sees the connection go away long before its 30 s delay.
    let started = Instant::now();
    while *server.client_hangups.lock().unwrap() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the request was not aborted"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The next call on the same client works.
    assert!(c.exchange_partners().await.unwrap().is_empty());
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn sixty_four_tasks_share_one_client() {
    let counter = Arc::new(AtomicUsize::new(0));
    let n = counter.clone();
    let server = FakeServer::start(Arc::new(move |req, _| {
        let base = req.base();
        if req.method.as_str() == "GET" {
            Reply::json(200, &partners_body(&base))
        } else {
            let i = n.fetch_add(1, Ordering::SeqCst);
            Reply::json(
                201,
                &plaid_session_body(&base, &format!("link-sandbox-task-{i:04}")),
            )
            .with_header("Location", &format!("{base}exchange-sessions/s{i}"))
        }
    }))
    .await;
    let c = client(&server.url);
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            c.start_plaid_link("me".into()).await
        }));
    }
    let mut tokens = std::collections::HashSet::new();
    for t in tasks {
        tokens.insert(t.await.unwrap().unwrap().link_token());
    }
    assert_eq!(tokens.len(), 64);
    assert_eq!(server.count_path("/exchange-partners"), 1);
}

#[tokio::test]
async fn bad_arguments_are_refused_before_any_request() {
    let server = backend(created).await;
    let c = client(&server.url);
    for id in ["", ".", ".."] {
        assert!(matches!(
            c.start_plaid_link(id.into()).await,
            Err(BridgeError::InvalidArgument { .. })
        ));
    }
    let err = c
        .complete_plaid_link("me".into(), "public sandbox".into())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BridgeError::InvalidArgument { reason } if !reason.contains("public sandbox"))
    );
    let err = c
        .create_funding_source(
            "me".into(),
            "e1".into(),
            iav_bridge::BankAccountType::Checking,
            "x".repeat(51),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, BridgeError::InvalidArgument { .. }));
    assert_eq!(server.count(), 0);
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

/// Hrefs with user info (`user:pass@`) are refused even on the backend's origin (issue 11,
/// finding 5): HTTP clients turn user info into an extra `Authorization: Basic` header. Not
/// followed from a `Location`, nor from a body's href, nor from the app's session URL; and the
/// refusal does not repeat the password.
#[tokio::test]
async fn hrefs_with_user_info_are_refused_even_on_the_backends_origin() {
    let server = FakeServer::start(Arc::new(|req, _| {
        let base = req.base();
        let with_user = base.replacen("http://", "http://user:hunter2-pw@", 1);
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/exchange-partners") => Reply::json(200, &partners_body(&base)),
            ("GET", "/customers/c1/funding-sources?removed=false") => Reply::json(
                200,
                &format!(
                    r#"{{"_embedded":{{"funding-sources":[{{"_links":{{"self":{{"href":"{with_user}funding-sources/fs-1"}}}},"id":"fs-1","status":"verified","type":"bank","bankAccountType":"checking","name":"Main","created":"2025-01-01T00:00:00.000Z","removed":false}}]}}}}"#
                ),
            ),
            ("GET", _) => Reply::json(200, &plaid_session_body(&base, TOKEN)),
            _ => Reply::json(201, "")
                .with_header("Location", &format!("{with_user}exchange-sessions/s1")),
        }
    }))
    .await;
    let tokens = Tokens::always("app-bearer-secret-3");
    let c = BridgeClient::new(config(&server.url, android()), Some(tokens)).unwrap();

    let err = c.start_plaid_link("me".into()).await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(
        matches!(&err, BridgeError::InvalidResponse { detail } if detail.contains("user info")),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");

    let err = c.funding_sources("c1".into()).await.unwrap_err();
    assert!(
        matches!(&err, BridgeError::InvalidResponse { detail } if detail.contains("user info")),
        "{err:?}"
    );

    let session_url =
        server.url.replacen("http://", "http://user:hunter2-pw@", 1) + "exchange-sessions/s1";
    let err = c.exchange_session(session_url).await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(
        matches!(&err, BridgeError::InvalidArgument { reason } if reason.contains("user info")),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");

    // Nothing was sent to the user-info URLs, and no request carried Basic credentials.
    assert_eq!(server.count_path("/exchange-sessions/s1"), 0);
    for r in server.recorded() {
        let basic = r
            .headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("authorization") && v.starts_with("Basic"));
        assert!(!basic, "{} {} carried Basic credentials", r.method, r.path);
    }
}
