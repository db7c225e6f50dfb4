//! What the backend sends to Dwolla is built from the fields the contract allows for each call:
//! anything else is 400 `ValidationError` before Dwolla is asked; an unusable `Idempotency-Key`
//! is 400 too, instead of being replaced.

mod support;

use serde_json::{json, Value};
use support::backend::*;
use support::*;

/// The embedded errors of a `ValidationError`: (code, path, message) each.
fn errors(a: &Answer) -> Vec<(String, String, String)> {
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(a.body["code"], "ValidationError", "{}", a.text);
    assert_eq!(a.header("content-type").as_deref(), Some(HAL_JSON));
    a.body["_embedded"]["errors"]
        .as_array()
        .expect("embedded errors")
        .iter()
        .map(|e| {
            (
                e["code"].as_str().unwrap().to_string(),
                e["path"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// POSTs `body` to `url` for `token`; checks that it is refused without Dwolla receiving
/// anything for it, while Dwolla did receive requests since the count `since` (so the count
/// moves). Returns the refusal's errors.
async fn refused_before_dwolla(
    c: &reqwest::Client,
    s: &sample_backend::Stack,
    url: &str,
    token: &str,
    body: &Value,
    since: u64,
) -> Vec<(String, String, String)> {
    let before = s.simulator.requests_received();
    let a = post(c, url, token, body, None).await;
    let errs = errors(&a);
    assert_eq!(s.simulator.requests_received(), before);
    assert!(before > since);
    errs
}

#[tokio::test]
async fn a_funding_source_from_account_numbers_is_refused_before_dwolla() {
    let s = stack().await;
    let c = client();
    let b = &s.backend_url;
    let before = s.simulator.requests_received();
    let a = post(
        &c,
        &format!("{b}customers/me/funding-sources"),
        "demo-alice",
        &json!({"routingNumber": "222222226", "accountNumber": "123456789",
                "bankAccountType": "checking", "name": "Raw numbers"}),
        None,
    )
    .await;
    let errs = errors(&a);
    assert!(
        errs.iter().any(|(code, path, m)| code == "Required"
            && path == "/_links/exchange/href"
            && m.contains("exchange")),
        "{errs:?}"
    );
    for field in ["/routingNumber", "/accountNumber"] {
        let (_, _, m) = errs
            .iter()
            .find(|(code, path, _)| code == "NotAllowed" && path == field)
            .unwrap_or_else(|| panic!("{field} not named: {errs:?}"));
        // The message says what a funding source takes.
        assert!(
            m.contains("/_links/exchange/href")
                && m.contains("/bankAccountType")
                && m.contains("/name"),
            "{m}"
        );
    }
    assert!(!a.text.contains("123456789"), "{}", a.text);
    // With an exchange too, the account numbers are still refused. Dwolla received nothing
    // for either.
    let (_, exchange, _) = plaid_flow(&c, &s, "demo-bob").await;
    let mixed = json!({"_links": {"exchange": {"href": exchange.header("location").unwrap()}},
                "routingNumber": "222222226", "accountNumber": "123456789",
                "bankAccountType": "checking", "name": "Mixed"});
    let url = format!("{b}customers/me/funding-sources");
    let errs = refused_before_dwolla(&c, &s, &url, "demo-bob", &mixed, before).await;
    assert_eq!(errs.len(), 2, "{errs:?}");
}

#[tokio::test]
async fn unknown_fields_are_refused_and_named_for_every_create() {
    let (s, c, plaid) = plaid_stack().await;
    let b = &s.backend_url;
    let before = s.simulator.requests_received();
    let sessions = format!("{b}customers/me/exchange-sessions");
    let exchanges = format!("{b}customers/me/exchanges");
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            &sessions,
            json!({"_links": {"exchange-partner": {"href": plaid}}, "customer": "x"}),
            "/customer",
        ),
        (
            &sessions,
            json!({"_links": {"exchange-partner": {"href": plaid, "type": "p"}}}),
            "/_links/exchange-partner/type",
        ),
        (
            &sessions,
            json!({"_links": {"exchange-partner": {"href": plaid}, "customer": {"href": "x"}}}),
            "/_links/customer/href",
        ),
        (
            &sessions,
            json!({"_links": {"exchange-partner": {"href": 42}}}),
            "/_links/exchange-partner/href",
        ),
        (&sessions, json!({}), "/_links/exchange-partner/href"),
        (
            &sessions,
            json!({"_links": {"exchange-partner": {"href": "https://evil.example/exchange-partners/x"}}}),
            "/_links/exchange-partner/href",
        ),
        (
            &exchanges,
            json!({"_links": {"exchange-partner": {"href": plaid}}, "plaid": {"publicToken": "p", "accessToken": "a"}}),
            "/plaid/accessToken",
        ),
        (
            &exchanges,
            json!({"_links": {"exchange-partner": {"href": plaid}}, "plaid": {"publicToken": "p"}, "mx": {"availableConnectionToken": "m"}}),
            "/mx/availableConnectionToken",
        ),
        (
            &exchanges,
            json!({"_links": {"exchange-partner": {"href": plaid}}}),
            "/plaid/publicToken",
        ),
    ];
    for (url, body, path) in cases {
        let a = post(&c, url, "demo-alice", &body, None).await;
        let errs = errors(&a);
        assert!(errs.iter().any(|(_, p, _)| p == path), "{body}: {errs:?}");
    }
    // Re-authentication takes only a redirect value.
    let (_, exchange, _) = plaid_flow(&c, &s, "demo-alice").await;
    let reauth = format!("{}/exchange-sessions", exchange.header("location").unwrap());
    let body = json!({"_links": {"redirect-url": {"href": "com.example.app"}, "exchange-partner": {"href": plaid}}});
    let errs = refused_before_dwolla(&c, &s, &reauth, "demo-alice", &body, before).await;
    assert!(errs
        .iter()
        .any(|(code, p, _)| code == "NotAllowed" && p == "/_links/exchange-partner/href"));
}

#[tokio::test]
async fn unusable_idempotency_keys_are_400_and_never_replaced() {
    let (s, c, plaid) = plaid_stack().await;
    let b = &s.backend_url;
    let url = format!("{b}customers/me/exchange-sessions");
    let session = session_body(&plaid, Some("com.example.app"));
    let body = session.to_string();
    let before = s.simulator.requests_received();
    let long = "k".repeat(256);
    let keys: Vec<reqwest::header::HeaderValue> = vec![
        reqwest::header::HeaderValue::from_str(&long).unwrap(),
        reqwest::header::HeaderValue::from_bytes("clé-ключ".as_bytes()).unwrap(),
        reqwest::header::HeaderValue::from_static(""),
    ];
    for key in keys {
        let a = read(
            c.post(&url)
                .bearer_auth("demo-alice")
                .header("Content-Type", HAL_JSON)
                .header("Idempotency-Key", key.clone())
                .body(body.clone())
                .send()
                .await
                .unwrap(),
        )
        .await;
        let errs = errors(&a);
        assert_eq!(errs[0].1, "Idempotency-Key", "{key:?}: {errs:?}");
        assert!(
            errs[0].2.contains("255") && errs[0].2.contains("ASCII"),
            "{errs:?}"
        );
    }
    assert_eq!(s.simulator.requests_received(), before);
    // 255 printable characters are a key, and replay the same session.
    let key = "k".repeat(255);
    let first = post(&c, &url, "demo-alice", &session, Some(&key)).await;
    let again = post(&c, &url, "demo-alice", &session, Some(&key)).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.header("location"), again.header("location"));
}
