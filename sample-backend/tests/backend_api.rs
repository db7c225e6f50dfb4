//! The backend contract over real HTTP on loopback: auth, `me`, ownership, allow-list, hrefs,
//! 201 answers with bodies, idempotency, the whole Plaid flow and re-authentication.

mod support;

use serde_json::json;
use support::backend::*;
use support::*;

#[tokio::test]
async fn health_needs_no_auth_and_everything_else_does() {
    let s = stack().await;
    let c = client();
    let b = &s.backend_url;
    assert!(b.ends_with('/'));
    let h = get(&c, &format!("{b}health"), None).await;
    assert_eq!(h.status, 200);
    assert_eq!(h.body, json!({"status": "ok"}));

    for token in [None, Some("not-a-user"), Some("")] {
        let a = get(&c, &format!("{b}exchange-partners"), token).await;
        assert_eq!(a.status, 401, "{token:?}");
        assert_eq!(a.body["code"], "InvalidAccessToken");
        assert!(a.body["message"].is_string());
        // No token: the plain challenge; a refused one says why (RFC 6750).
        let challenge = a.header("www-authenticate").unwrap_or_default();
        match token {
            Some("not-a-user") => assert_eq!(
                challenge,
                "Bearer error=\"invalid_token\", error_description=\"the token is not a known user's\""
            ),
            _ => assert_eq!(challenge, "Bearer"),
        }
    }
    // A valid token with another scheme is refused too.
    let a = c
        .get(format!("{b}exchange-partners"))
        .header("Authorization", "Basic demo-alice")
        .send()
        .await
        .unwrap();
    assert_eq!(a.status(), 401);
    // The bearer scheme is case-insensitive.
    let a = c
        .get(format!("{b}exchange-partners"))
        .header("Authorization", "bearer demo-alice")
        .send()
        .await
        .unwrap();
    assert_eq!(a.status(), 200);
}

#[tokio::test]
async fn unknown_routes_are_404s_and_unknown_methods_405s() {
    let s = stack().await;
    let c = client();
    let b = &s.backend_url;
    for path in [
        "nope",
        "customers/me",
        "token",
        "sim/stats",
        "customers/me/exchange-sessions/x",
    ] {
        let a = get(&c, &format!("{b}{path}"), Some("demo-alice")).await;
        assert_eq!(a.status, 404, "{path}");
        assert_eq!(a.body["code"], "NotFound");
        assert_eq!(a.header("content-type").as_deref(), Some(HAL_JSON));
    }
    // A known path with a method it does not take: 405 with the path's methods.
    let a = read(
        c.delete(format!("{b}exchange-partners"))
            .bearer_auth("demo-alice")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(a.status_and_code(), (405, Some("MethodNotAllowed")));
    assert_eq!(a.header("allow").as_deref(), Some("GET,HEAD"));
    assert_eq!(a.header("content-type").as_deref(), Some(HAL_JSON));
    // Ids that would step out of their path segment never reach Dwolla.
    for id in ["..%2F..%2Ftoken", "a%2Fb", "x.y"] {
        let a = get(
            &c,
            &format!("{b}exchange-sessions/{id}"),
            Some("demo-alice"),
        )
        .await;
        assert_eq!(a.status, 404, "{id}");
        assert_eq!(a.body["code"], "NotFound");
    }
}

#[tokio::test]
async fn partners_are_listed_with_hrefs_on_the_backend() {
    let s = stack().await;
    let c = client();
    let b = &s.backend_url;
    let a = get(&c, &format!("{b}exchange-partners"), Some("demo-alice")).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("content-type").as_deref(), Some(HAL_JSON));
    let partners = a.body["_embedded"]["exchange-partners"].as_array().unwrap();
    assert!(partners.iter().any(|p| p["name"] == "Plaid"));
    let mut all = Vec::new();
    strings(&a.body, &mut all);
    assert!(!all.iter().any(|x| x.contains(&s.simulator_url)), "{all:?}");
    for p in partners {
        let href = p["_links"]["self"]["href"].as_str().unwrap();
        assert!(
            href.starts_with(&format!("{b}exchange-partners/")),
            "{href}"
        );
        let one = get(&c, href, Some("demo-bob")).await;
        assert_eq!(one.status, 200);
        assert_eq!(one.body["id"], p["id"]);
    }
}

#[tokio::test]
async fn creating_a_session_answers_201_with_location_and_body() {
    let (s, c, plaid) = plaid_stack().await;
    let b = &s.backend_url;
    for redirect in ["com.example.app", "https://example.com/app"] {
        let a = post(
            &c,
            &format!("{b}customers/me/exchange-sessions"),
            "demo-alice",
            &session_body(&plaid, Some(redirect)),
            None,
        )
        .await;
        assert_eq!(a.status, 201, "{}", a.text);
        let loc = a.header("location").unwrap();
        assert!(loc.starts_with(&format!("{b}exchange-sessions/")), "{loc}");
        assert_eq!(a.body["_links"]["self"]["href"], loc.as_str());
        assert!(a.body["externalProviderSessionToken"]
            .as_str()
            .unwrap()
            .starts_with("link-sandbox-"));
        assert!(!a.text.contains(&s.simulator_url));
        // The Location reads the same session.
        let again = get(&c, &loc, Some("demo-alice")).await;
        assert_eq!(again.status, 200);
        assert_eq!(again.body, a.body);
    }
}

#[tokio::test]
async fn me_and_the_own_customer_id_are_the_same_customer() {
    let (s, c, plaid) = plaid_stack().await;
    let b = &s.backend_url;
    let alice = s.user("alice").unwrap();
    let a = post(
        &c,
        &format!("{b}customers/{}/exchange-sessions", alice.customer_id),
        "demo-alice",
        &session_body(&plaid, None),
        None,
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    // Bob cannot create sessions for Alice's customer: 404, as if it did not exist.
    let a = post(
        &c,
        &format!("{b}customers/{}/exchange-sessions", alice.customer_id),
        "demo-bob",
        &session_body(&plaid, None),
        None,
    )
    .await;
    assert_eq!(a.status, 404);
    assert_eq!(a.body["code"], "NotFound");
}

#[tokio::test]
async fn partner_hrefs_on_dwolla_are_accepted_too() {
    let (s, c, plaid) = plaid_stack().await;
    let b = &s.backend_url;
    let on_dwolla = plaid.replace(b.trim_end_matches('/'), &s.simulator_url);
    assert_ne!(on_dwolla, plaid);
    let a = post(
        &c,
        &format!("{b}customers/me/exchange-sessions"),
        "demo-alice",
        &session_body(&on_dwolla, Some("com.example.app")),
        None,
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.body["_links"]["exchange-partner"]["href"], plaid.as_str());
}

#[tokio::test]
async fn redirects_off_the_allow_list_are_refused_before_dwolla() {
    let (s, c, plaid) = plaid_stack().await;
    let b = &s.backend_url;
    // The simulated account accepts this value; only the backend's allow-list refuses it.
    s.simulator.set_allowed_redirect_urls(vec![
        "com.example.app".into(),
        "https://example.com/app".into(),
        "com.other.app".into(),
    ]);
    for bad in [
        "com.other.app",
        "https://example.com/app/",
        "com.example.App",
        "https://evil.example/app",
    ] {
        let a = post(
            &c,
            &format!("{b}customers/me/exchange-sessions"),
            "demo-alice",
            &session_body(&plaid, Some(bad)),
            None,
        )
        .await;
        assert_eq!(a.status, 400, "{bad}");
        assert_eq!(a.body["code"], "ValidationError");
        let e = &a.body["_embedded"]["errors"][0];
        assert_eq!(
            e["message"],
            "The provided redirect URL must exactly match one of the configured URLs for the account."
        );
        assert_eq!(e["path"], "/_links/redirect-url/href");
    }
    let a = post(
        &c,
        &format!("{b}customers/me/exchange-sessions"),
        "demo-alice",
        &json!({"_links": {"exchange-partner": {"href": plaid}, "redirect-url": {}}}),
        None,
    )
    .await;
    assert_eq!(a.status, 400);
    // Not JSON at all.
    let a = c
        .post(format!("{b}customers/me/exchange-sessions"))
        .bearer_auth("demo-alice")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(a.status(), 400);
}

#[tokio::test]
async fn a_custom_allow_list_replaces_the_default() {
    let opts = sample_backend::StackOptions {
        allowed_redirects: Some(vec!["com.acme.bank".into()]),
        ..Default::default()
    };
    let s = sample_backend::start_stack(opts).await.unwrap();
    let c = client();
    let b = &s.backend_url;
    let plaid = partner_href(&c, b, "demo-alice", "Plaid").await;
    let url = format!("{b}customers/me/exchange-sessions");
    let ok = post(
        &c,
        &url,
        "demo-alice",
        &session_body(&plaid, Some("com.acme.bank")),
        None,
    )
    .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    let no = post(
        &c,
        &url,
        "demo-alice",
        &session_body(&plaid, Some("com.example.app")),
        None,
    )
    .await;
    assert_eq!(no.status, 400);
}

#[tokio::test]
async fn the_same_idempotency_key_gives_the_same_location() {
    let (s, c, plaid) = plaid_stack().await;
    let b = &s.backend_url;
    let url = format!("{b}customers/me/exchange-sessions");
    let body = session_body(&plaid, Some("com.example.app"));
    let key = uuid::Uuid::new_v4().to_string();
    let first = post(&c, &url, "demo-alice", &body, Some(&key)).await;
    let second = post(&c, &url, "demo-alice", &body, Some(&key)).await;
    assert_eq!(first.status, 201);
    assert_eq!(second.status, 201);
    assert_eq!(first.header("location"), second.header("location"));
    let other = post(
        &c,
        &url,
        "demo-alice",
        &body,
        Some(&uuid::Uuid::new_v4().to_string()),
    )
    .await;
    assert_ne!(first.header("location"), other.header("location"));
    // Bob sending Alice's key sends a key of his own: a new session of his, never hers.
    let bob = post(&c, &url, "demo-bob", &body, Some(&key)).await;
    assert_eq!(bob.status, 201, "{}", bob.text);
    assert_ne!(bob.header("location"), first.header("location"));
    assert!(!bob
        .text
        .contains(first.header("location").unwrap().as_str()));
    assert_eq!(
        get(&c, &first.header("location").unwrap(), Some("demo-alice"))
            .await
            .status,
        200
    );
    assert_eq!(
        get(&c, &first.header("location").unwrap(), Some("demo-bob"))
            .await
            .status,
        404
    );
    // Nor does a key reused for another kind of resource.
    let exchange_url = format!("{b}customers/me/exchanges");
    let ex = post(&c, &exchange_url, "demo-alice", &json!({"_links": {"exchange-partner": {"href": plaid}}, "plaid": {"publicToken": "public-sandbox-x"}}), Some(&key)).await;
    assert_eq!(ex.status, 409, "{}", ex.text);
    // A key whose request Dwolla refused (nothing created) is released: it may carry another.
    let refused_key = uuid::Uuid::new_v4().to_string();
    let exchange = |public: &str| json!({"_links": {"exchange-partner": {"href": plaid}}, "plaid": {"publicToken": public}});
    let bad = post(
        &c,
        &exchange_url,
        "demo-alice",
        &exchange("public-sandbox-unknown-1"),
        Some(&refused_key),
    )
    .await;
    assert!(
        bad.status.is_client_error() && bad.status != 409,
        "{}",
        bad.text
    );
    let again = post(
        &c,
        &exchange_url,
        "demo-alice",
        &exchange("public-sandbox-unknown-2"),
        Some(&refused_key),
    )
    .await;
    assert_eq!(again.status, bad.status, "{}", again.text);
    // Without a key the backend sends a fresh one each time: two sessions.
    let n1 = post(&c, &url, "demo-alice", &body, None).await;
    let n2 = post(&c, &url, "demo-alice", &body, None).await;
    assert_eq!(n1.status, 201);
    assert_ne!(n1.header("location"), n2.header("location"));
}

#[tokio::test]
async fn the_whole_flow_and_other_users_resources() {
    let s = stack().await;
    let c = client();
    let b = &s.backend_url;
    let (session, exchange, fs) = plaid_flow(&c, &s, "demo-alice").await;
    for (n, a) in [&session, &exchange, &fs].into_iter().enumerate() {
        let loc = a.header("location").unwrap();
        assert!(loc.starts_with(b), "{loc}");
        assert_eq!(a.body["_links"]["self"]["href"], loc.as_str());
        let mut all = Vec::new();
        strings(&a.body, &mut all);
        assert!(!all.iter().any(|x| x.contains(&s.simulator_url)), "{all:?}");
        // Alice reads it (a session only until Link used it: sessions are single use); Bob gets
        // 404 as if it did not exist.
        if n > 0 {
            assert_eq!(get(&c, &loc, Some("demo-alice")).await.status, 200);
        }
        let bob = get(&c, &loc, Some("demo-bob")).await;
        assert_eq!(bob.status, 404, "{loc}");
        assert_eq!(bob.body["code"], "NotFound");
        // So does a made-up id.
        let made_up = format!(
            "{}{}",
            &loc[..loc.rfind('/').unwrap() + 1],
            uuid::Uuid::new_v4()
        );
        assert_eq!(get(&c, &made_up, Some("demo-alice")).await.status, 404);
    }
    assert_eq!(fs.body["bankAccountType"], "checking");
    let exchange_href = exchange.header("location").unwrap();

    // Bob cannot start a re-authentication on Alice's exchange nor use it for a funding source.
    let reauth_url = format!("{exchange_href}/exchange-sessions");
    let body = json!({"_links": {"redirect-url": {"href": "com.example.app"}}});
    let a = post(&c, &reauth_url, "demo-bob", &body, None).await;
    assert_eq!(a.status, 404);
    let a = post(
        &c,
        &format!("{b}customers/me/funding-sources"),
        "demo-bob",
        &json!({"_links": {"exchange": {"href": exchange_href}}, "bankAccountType": "savings", "name": "Not mine"}),
        None,
    )
    .await;
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(a.body["code"], "ValidationError");

    // Alice re-authenticates: 201 + Location + a session with a fresh link token.
    assert!(s.simulator.require_reauth(
        exchange.body["id"]
            .as_str()
            .unwrap_or(&exchange_href[exchange_href.rfind('/').unwrap() + 1..])
    ));
    let r = post(&c, &reauth_url, "demo-alice", &body, None).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let loc = r.header("location").unwrap();
    assert!(loc.starts_with(&format!("{b}exchange-sessions/")));
    assert_ne!(Some(loc.clone()), session.header("location"));
    assert!(r.body["externalProviderSessionToken"]
        .as_str()
        .unwrap()
        .starts_with("link-sandbox-"));
    assert_eq!(get(&c, &loc, Some("demo-bob")).await.status, 404);
    // The re-authentication keeps the allow-list too.
    let bad = json!({"_links": {"redirect-url": {"href": "com.not.allowed"}}});
    assert_eq!(
        post(&c, &reauth_url, "demo-alice", &bad, None).await.status,
        400
    );
}

/// The paths and methods of docs/backend-openapi.yml, read with a small line scanner.
fn documented_operations() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/backend-openapi.yml"
    ))
    .expect("docs/backend-openapi.yml");
    let mut ops = Vec::new();
    let mut in_paths = false;
    let mut path = String::new();
    for line in text.lines() {
        if !line.starts_with(' ') {
            in_paths = line.starts_with("paths:");
            continue;
        }
        if !in_paths {
            continue;
        }
        if let Some(p) = line.strip_prefix("  /") {
            path = format!("/{}", p.trim_end_matches(':'));
        } else if let Some(m) = line.strip_prefix("    ") {
            let m = m.trim_end_matches(':');
            if ["get", "post", "put", "delete", "patch"].contains(&m) {
                ops.push((m.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_served_operations() {
    let s = stack().await;
    let c = client();
    let base = s.backend_url.trim_end_matches('/');
    let ops = documented_operations();
    assert_eq!(ops.len(), 13, "{ops:?}");
    for (method, path) in &ops {
        let url = format!("{base}{}", path.replace("{id}", "me"));
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let a = read(c.request(m.clone(), &url).send().await.unwrap()).await;
        let expected = if path == "/health" { 200 } else { 401 };
        assert_eq!(a.status, expected, "{method} {path}");
        // The other method on the same path is not served: 405, naming the served ones.
        let other = if m == reqwest::Method::GET {
            reqwest::Method::POST
        } else {
            reqwest::Method::GET
        };
        if !ops
            .iter()
            .any(|(om, op)| op == path && *om == other.as_str())
        {
            let a = read(
                c.request(other, &url)
                    .bearer_auth("demo-alice")
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            assert_eq!(
                a.status_and_code(),
                (405, Some("MethodNotAllowed")),
                "{path}"
            );
            let allow = a.header("allow").unwrap_or_default();
            assert!(allow.split(',').any(|m| m == method), "{path}: {allow}");
        }
    }
}
