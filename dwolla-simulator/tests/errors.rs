//! Every error case of Dwolla's exchange-session documents: exact status, code and message, and
//! the body checked against the `OpenAPI` document; access-token errors; unknown paths.

mod support;

use serde_json::{json, Value};
use support::openapi::*;
use support::simulator::*;
use support::*;

const OP: &str = "/customers/{id}/exchange-sessions";

/// POSTs a session body and checks the error: status, code, message, embedded path, schema.
async fn expect_error(
    spec: &Value,
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: &Value,
    expected: (u16, &str, &str, Option<&str>),
) {
    let resp = post(client, url, token, body).await;
    let (status, _, got) = conforms(spec, OP, "post", resp).await;
    let (want_status, code, message, path) = expected;
    assert_eq!(status, want_status, "{body} -> {got}");
    assert_eq!(got["code"], code, "{body} -> {got}");
    assert_eq!(got["message"], message, "{body} -> {got}");
    if let Some(path) = path {
        let errors = got["_embedded"]["errors"]
            .as_array()
            .expect("embedded errors");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0]["path"], path);
        assert_eq!(errors[0]["message"], message);
        assert!(errors[0]["code"].is_string());
    }
}

const PARTNER_INVALID: &str = "/_links/exchange-partner/href is invalid";
const REDIRECT_INVALID: &str = "/_links/redirect-url/href is invalid";
const REDIRECT_MISMATCH: &str =
    "The provided redirect URL must exactly match one of the configured URLs for the account";

#[tokio::test]
async fn seed_error_cases_word_for_word() {
    let Some(spec) = openapi() else { return };
    let (sim, client) = start().await;
    let token = token(&sim, &client).await;
    let customer = sim.simulator.demo_customer_id();
    let url = format!("{}/customers/{customer}/exchange-sessions", sim.url);
    let plaid = partner_href(&sim, &client, &token, "Plaid").await;
    let mx = partner_href(&sim, &client, &token, "MX").await;
    let with = |partner: &str, redirect: Option<&str>| {
        let mut b = json!({ "_links": { "exchange-partner": { "href": partner } } });
        if let Some(r) = redirect {
            b["_links"]["redirect-url"] = json!({ "href": r });
        }
        b
    };
    let partner_invalid = (
        400,
        "ValidationError",
        PARTNER_INVALID,
        Some("/_links/exchange-partner/href"),
    );
    let redirect_invalid = (
        400,
        "ValidationError",
        REDIRECT_INVALID,
        Some("/_links/redirect-url/href"),
    );
    let redirect_mismatch = (
        400,
        "ValidationError",
        REDIRECT_MISMATCH,
        Some("/_links/redirect-url/href"),
    );

    // Invalid partner hrefs.
    let unknown_partner = format!("{}/exchange-partners/{}", sim.url, uuid::Uuid::new_v4());
    let other_host = plaid.replace(&sim.url, "https://api-sandbox.dwolla.com");
    for bad in [
        json!({ "_links": {} }),
        json!({ "_links": { "exchange-partner": {} } }),
        json!({ "_links": { "exchange-partner": { "href": 42 } } }),
        with("not a url", None),
        with(&unknown_partner, None),
        with(&other_host, None),
        with(&format!("{}/customers/{customer}", sim.url), None),
    ] {
        expect_error(&spec, &client, &url, &token, &bad, partner_invalid).await;
    }

    // Invalid redirect hrefs (neither a URL with a host nor an Android package name).
    for bad in [
        "",
        "https://",
        "http://",
        "myapp://callback",
        "com",
        "com..app",
        "1com.app",
        "com.exa-mple.app",
    ] {
        expect_error(
            &spec,
            &client,
            &url,
            &token,
            &with(&plaid, Some(bad)),
            redirect_invalid,
        )
        .await;
    }
    let no_href =
        json!({ "_links": { "exchange-partner": { "href": plaid }, "redirect-url": {} } });
    expect_error(&spec, &client, &url, &token, &no_href, redirect_invalid).await;
    // MX takes no redirect URL (simulator choice, documented).
    expect_error(
        &spec,
        &client,
        &url,
        &token,
        &with(&mx, Some("com.example.app")),
        redirect_invalid,
    )
    .await;

    // Redirects not configured byte for byte.
    for bad in [
        "com.example.app2",
        "com.example.App",
        "https://example.com/app/",
        "https://example.com/app?x=1",
        "https://EXAMPLE.com/app",
        "http://example.com/app",
    ] {
        expect_error(
            &spec,
            &client,
            &url,
            &token,
            &with(&plaid, Some(bad)),
            redirect_mismatch,
        )
        .await;
    }
    // The configured ones, and none at all (web), succeed.
    for ok in [
        Some("com.example.app"),
        Some("https://example.com/app"),
        None,
    ] {
        location(&post(&client, &url, &token, &with(&plaid, ok)).await);
    }
    // After reconfiguring the list, an old value is refused and the new one accepted.
    sim.simulator
        .set_allowed_redirect_urls(vec!["com.example.app123".into()]);
    expect_error(
        &spec,
        &client,
        &url,
        &token,
        &with(&plaid, Some("com.example.app")),
        redirect_mismatch,
    )
    .await;
    location(
        &post(
            &client,
            &url,
            &token,
            &with(&plaid, Some("com.example.app123")),
        )
        .await,
    );

    // Partners without exchange sessions.
    for name in ["Finicity", "Flinks"] {
        let href = partner_href(&sim, &client, &token, name).await;
        expect_error(
            &spec,
            &client,
            &url,
            &token,
            &with(&href, None),
            (
                403,
                "forbidden",
                "The exchange partner specified does not support this product",
                None,
            ),
        )
        .await;
    }

    // Partner not enabled for the account (through the control surface).
    let resp = client
        .put(format!("{}/sim/account", sim.url))
        .json(&json!({ "enabledPartners": ["Plaid"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let settings: Value = resp.json().await.unwrap();
    assert_eq!(settings["enabledPartners"], json!(["Plaid"]));
    expect_error(
        &spec,
        &client,
        &url,
        &token,
        &with(&mx, None),
        (
            403,
            "forbidden",
            "Exchange sessions with this exchange partner are not enabled for your account",
            None,
        ),
    )
    .await;

    // Missing scope, revoked and granted again.
    let resp = client
        .put(format!("{}/sim/account", sim.url))
        .json(&json!({ "scopes": { "exchangeSessions": false } }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.json::<Value>().await.unwrap()["scopes"]["exchangeSessions"],
        false
    );
    expect_error(
        &spec,
        &client,
        &url,
        &token,
        &with(&plaid, None),
        (
            401,
            "InvalidScope",
            "Missing or invalid scopes for requested endpoint",
            None,
        ),
    )
    .await;
    sim.simulator.set_exchange_sessions_scope(true);
    location(&post(&client, &url, &token, &with(&plaid, None)).await);

    // Unknown customer.
    let unknown = format!(
        "{}/customers/{}/exchange-sessions",
        sim.url,
        uuid::Uuid::new_v4()
    );
    let resp = post(&client, &unknown, &token, &with(&plaid, None)).await;
    let (status, _, body) = conforms(&spec, OP, "post", resp).await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({ "code": "NotFound", "message": "The requested resource was not found." })
    );

    // Unknown exchange session.
    let resp = get(
        &client,
        &format!("{}/exchange-sessions/{}", sim.url, uuid::Uuid::new_v4()),
        &token,
    )
    .await;
    let (status, _, body) = conforms(&spec, "/exchange-sessions/{id}", "get", resp).await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({ "code": "notFound", "message": "Exchange session not found." })
    );
}

#[tokio::test]
async fn control_surface_refuses_bad_input() {
    let (sim, client) = start().await;
    let put = |body: Value| {
        let client = client.clone();
        let url = format!("{}/sim/account", sim.url);
        async move { client.put(url).json(&body).send().await.unwrap() }
    };
    // Visa is a partner the simulator knows (off by default); a name it does not know is refused.
    assert_eq!(
        put(json!({ "enabledPartners": ["Yodlee"] })).await.status(),
        400
    );
    assert_eq!(
        put(json!({ "partners": ["Plaid", "Yodlee"] }))
            .await
            .status(),
        400
    );
    assert_eq!(
        put(json!({ "redirectUrls": "com.example.app" }))
            .await
            .status(),
        400
    );
    assert_eq!(put(json!({ "unknown": 1 })).await.status(), 400);
    // Nothing changed.
    let settings = sim.simulator.account_settings();
    assert_eq!(
        settings.redirect_urls,
        ["com.example.app", "https://example.com/app"]
    );
    assert_eq!(settings.enabled_partners, ["MX", "Plaid", "Checkout.com"]);
    assert_eq!(
        settings.partners,
        ["Finicity", "MX", "Plaid", "Flinks", "Checkout.com"]
    );
    let resp = client
        .post(format!("{}/sim/plaid/complete-link", sim.url))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let resp = client
        .post(format!("{}/sim/exchanges/nope/require-reauth", sim.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn access_tokens_are_required_and_unknown_paths_are_not_found() {
    let (sim, client) = start().await;
    let partners = format!("{}/exchange-partners", sim.url);
    let invalid = json!({ "code": "InvalidAccessToken", "message": "Invalid access token." });
    // Missing token.
    let resp = client
        .get(&partners)
        .header("Accept", HAL_JSON)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["content-type"], HAL_JSON);
    assert_eq!(resp.json::<Value>().await.unwrap(), invalid);
    // Unknown token, and a Basic header instead of a bearer token.
    let resp = get(&client, &partners, "not-a-token").await;
    assert_eq!(resp.status(), 401);
    let body = resp.text().await.unwrap();
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), invalid);
    assert_no_secret(&body, &["not-a-token"]);
    let resp = client
        .get(&partners)
        .header("Accept", HAL_JSON)
        .basic_auth("sim-key", Some("sim-secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    let token = token(&sim, &client).await;
    for path in ["/nope", "/exchange-partners/x/y", "/customers", "/sim/nope"] {
        let resp = get(&client, &format!("{}{path}", sim.url), &token).await;
        let expected = if path == "/customers" { 405 } else { 404 };
        assert_eq!(resp.status(), expected, "{path}");
        assert_eq!(resp.headers()["content-type"], HAL_JSON, "{path}");
        let body: Value = resp.json().await.unwrap();
        if expected == 404 {
            assert_eq!(
                body,
                json!({ "code": "NotFound", "message": "The requested resource was not found." })
            );
        }
    }
    // Unknown paths answer 404 without a token too.
    assert_eq!(
        client
            .get(format!("{}/nope", sim.url))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // Unknown resources, checked against the document where it declares a 404.
    let spec = openapi();
    for (path, op) in [
        ("/exchange-partners/x", "/exchange-partners/{id}"),
        ("/exchanges/x", "/exchanges/{id}"),
        ("/funding-sources/x", "/funding-sources/{id}"),
        ("/customers/x", "/customers/{id}"),
    ] {
        let resp = get(&client, &format!("{}{path}", sim.url), &token).await;
        assert_eq!(resp.status(), 404, "{path}");
        if let Some(spec) = &spec {
            let (_, _, body) = conforms(spec, op, "get", resp).await;
            assert_eq!(body["code"], "NotFound", "{path}");
        }
    }
    // A body that is not JSON.
    let customer = sim.simulator.demo_customer_id();
    let resp = client
        .post(format!(
            "{}/customers/{customer}/exchange-sessions",
            sim.url
        ))
        .bearer_auth(&token)
        .header("Accept", HAL_JSON)
        .header("Content-Type", HAL_JSON)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body,
        json!({ "code": "BadRequest", "message": "The request body contains bad syntax or is incomplete." })
    );
}

/// Dwolla's answer to a request whose `Accept` does not name its media type (missing included),
/// from its common errors: 406 `InvalidVersion` "Missing or invalid API version.".
fn invalid_version() -> Value {
    json!({ "code": "InvalidVersion", "message": "Missing or invalid API version." })
}

#[tokio::test]
async fn accept_must_name_dwollas_media_type() {
    let (sim, client) = start().await;
    let token = token(&sim, &client).await;
    let partners = format!("{}/exchange-partners", sim.url);
    let customers = format!("{}/customers", sim.url);
    let before = sim.simulator.requests_received();
    let get_with = |accept: Option<&'static str>| {
        let mut req = client.get(&partners).bearer_auth(&token);
        if let Some(a) = accept {
            req = req.header("Accept", a);
        }
        req.send()
    };
    for accept in [
        None,
        Some("*/*"),
        Some("application/json"),
        Some("application/vnd.dwolla.v2.hal+json"),
        Some("application/vnd.dwolla.v1.hal+json;q=0"),
    ] {
        let resp = get_with(accept).await.unwrap();
        assert_eq!(resp.status(), 406, "{accept:?}");
        assert_eq!(resp.headers()["content-type"], HAL_JSON, "{accept:?}");
        assert_eq!(resp.json::<Value>().await.unwrap(), invalid_version());
    }
    for accept in [
        HAL_JSON,
        "application/vnd.dwolla.v1.hal+json; profile=\"https://github.com/dwolla/hal-forms\"",
        "application/json;q=0.9, application/vnd.dwolla.v1.hal+json",
    ] {
        let resp = get_with(Some(accept)).await.unwrap();
        assert_eq!(resp.status(), 200, "{accept}");
    }
    // Checked before the access token: no token and no Accept is 406 too.
    let resp = client.get(&partners).send().await.unwrap();
    assert_eq!(resp.status(), 406);

    // A refused POST creates nothing and stores nothing under its Idempotency-Key.
    let body = json!({ "firstName": "Ada", "lastName": "Accept", "email": "ada@example.com", "type": "unverified" });
    let post_with = |accept: Option<&'static str>| {
        let mut req = client
            .post(&customers)
            .bearer_auth(&token)
            .header("Content-Type", HAL_JSON)
            .header("Idempotency-Key", "accept-key")
            .body(body.to_string());
        if let Some(a) = accept {
            req = req.header("Accept", a);
        }
        req.send()
    };
    let resp = post_with(Some("application/json")).await.unwrap();
    assert_eq!(resp.status(), 406);
    assert_eq!(resp.json::<Value>().await.unwrap(), invalid_version());
    let resp = post_with(Some(HAL_JSON)).await.unwrap();
    assert_eq!(resp.status(), 201, "the first refusal created nothing");

    // POST /token is OAuth's form exchange: no Accept needed, any Accept taken.
    for accept in [None, Some("application/json"), Some("*/*")] {
        let mut req = client
            .post(format!("{}/token", sim.url))
            .basic_auth("sim-key", Some("sim-secret"))
            .form(&[("grant_type", "client_credentials")]);
        if let Some(a) = accept {
            req = req.header("Accept", a);
        }
        assert_eq!(req.send().await.unwrap().status(), 200, "{accept:?}");
    }
    // The control surface is not Dwolla's: no Accept needed.
    let resp = client
        .get(format!("{}/sim/stats", sim.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // Every refused request reached the simulator (and was counted).
    assert!(sim.simulator.requests_received() - before >= 13);
}

#[tokio::test]
async fn exchange_and_funding_source_errors() {
    let Some(spec) = openapi() else { return };
    let (sim, client) = start().await;
    let base = sim.url.clone();
    let token = token(&sim, &client).await;
    let customer = sim.simulator.demo_customer_id();
    let other = sim.simulator.create_customer("Al", "Bo", "al@example.com");
    let plaid = partner_href(&sim, &client, &token, "Plaid").await;
    let url = location(&create_session(&sim, &client, &token, &customer, "Plaid", None).await);
    let s: Value = get(&client, &url, &token).await.json().await.unwrap();
    let public = sim
        .simulator
        .complete_plaid_link(s["externalProviderSessionToken"].as_str().unwrap())
        .unwrap();

    // The public token belongs to `customer`: another customer cannot use it; a made-up one fails.
    for (who, tok) in [
        (&other, public.as_str()),
        (
            &customer,
            "public-sandbox-00000000-0000-4000-8000-000000000000",
        ),
    ] {
        let resp = post(
            &client,
            &format!("{base}/customers/{who}/exchanges"),
            &token,
            &json!({ "_links": { "exchange-partner": { "href": plaid } }, "plaid": { "publicToken": tok } }),
        )
        .await;
        let (status, _, body) = conforms(&spec, "/customers/{id}/exchanges", "post", resp).await;
        assert_eq!(status, 400);
        assert_eq!(body["code"], "InvalidExchangeToken");
        assert_no_secret(&body.to_string(), &[tok]);
    }
    let exchange = location(
        &post(
            &client,
            &format!("{base}/customers/{customer}/exchanges"),
            &token,
            &json!({ "_links": { "exchange-partner": { "href": plaid } }, "plaid": { "publicToken": public } }),
        )
        .await,
    );
    let fs_url = format!("{base}/customers/{customer}/funding-sources");
    for (body, path) in [
        (
            json!({ "_links": { "exchange": { "href": exchange } }, "bankAccountType": "loan", "name": "x" }),
            "/bankAccountType",
        ),
        (
            json!({ "_links": { "exchange": { "href": exchange } }, "name": "x" }),
            "/bankAccountType",
        ),
        (
            json!({ "_links": { "exchange": { "href": exchange } }, "bankAccountType": "checking" }),
            "/name",
        ),
        (
            json!({ "_links": { "exchange": { "href": exchange } }, "bankAccountType": "checking", "name": "n".repeat(51) }),
            "/name",
        ),
        (
            json!({ "_links": { "exchange": { "href": format!("{base}/exchanges/nope") } }, "bankAccountType": "checking", "name": "x" }),
            "/_links/exchange/href",
        ),
    ] {
        let resp = post(&client, &fs_url, &token, &body).await;
        assert_eq!(resp.status(), 400, "{body}");
        let got: Value = resp.json().await.unwrap();
        assert_eq!(got["code"], "ValidationError");
        assert_eq!(got["_embedded"]["errors"][0]["path"], path, "{got}");
    }
    // Another customer's exchange is not usable.
    let resp = post(
        &client,
        &format!("{base}/customers/{other}/funding-sources"),
        &token,
        &json!({ "_links": { "exchange": { "href": exchange } }, "bankAccountType": "checking", "name": "x" }),
    )
    .await;
    assert_eq!(resp.status(), 400);
    // Fifty characters is the limit, inclusive.
    let resp = post(
        &client,
        &fs_url,
        &token,
        &json!({ "_links": { "exchange": { "href": exchange } }, "bankAccountType": "savings", "name": "n".repeat(50) }),
    )
    .await;
    location(&resp);
}
