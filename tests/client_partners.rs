//! MX, Checkout.com cards, Visa and the customer's funding sources against purpose-built
//! servers on loopback: the requests each call sends (paths, bodies, idempotency keys), how the
//! answers are read, what is refused before any request, and that the secrets the app hands
//! over (card tokens, MX connection tokens) never come back in an error.

mod support;

use std::sync::Arc;

use iav_bridge::{
    BillingAddress, BridgeClient, BridgeConfig, BridgeError, CardSummary, Environment,
    ExchangeSession, FundingSourceKind, MxConnection, Platform,
};
use support::{partners_body, FakeServer, Recorded, Reply};

/// An MX available connection token as Dwolla shows them (base64 JSON).
const MX_TOKEN: &str = "eyJhY2NvdW50SWQiOiJBQ1QtMjAxY2FkM2MtYzc2Yi00N2M1In0=";
/// A Checkout.com card token.
const CARD_TOKEN: &str = "src_nwd3m4in3hkuddfpjsaevunhdy";

fn config(url: &str, platform: Platform) -> BridgeConfig {
    let mut c = BridgeConfig::new(url, platform, Environment::Sandbox);
    c.allow_insecure_http = true;
    c.timeout_ms = 5_000;
    c
}

fn client_on(url: &str, platform: Platform) -> Arc<BridgeClient> {
    BridgeClient::new(config(url, platform), None).unwrap()
}

fn client(url: &str) -> Arc<BridgeClient> {
    client_on(
        url,
        Platform::Android {
            package_name: "com.example.app".into(),
        },
    )
}

fn address() -> BillingAddress {
    BillingAddress {
        address1: "552 Test St".into(),
        address2: Some("Apt 4B".into()),
        address3: None,
        city: "Des Moines".into(),
        state_province_region: "IA".into(),
        country: "US".into(),
        postal_code: "50310".into(),
    }
}

fn bank_body(base: &str, id: &str, removed: bool) -> String {
    format!(
        r#"{{"_links":{{"self":{{"href":"{base}funding-sources/{id}"}}}},"id":"{id}","status":"verified","type":"bank","bankAccountType":"checking","name":"Checking {id}","created":"2024-01-01T00:00:00.000Z","removed":{removed},"channels":["ach"],"bankName":"SANDBOX TEST BANK","fingerprint":"5012989b"}}"#
    )
}

fn card_body(base: &str, id: &str) -> String {
    format!(
        r#"{{"_links":{{"self":{{"href":"{base}funding-sources/{id}"}}}},"id":"{id}","status":"verified","type":"card","name":"My Visa Debit Card","created":"2025-12-10T18:02:47.985Z","removed":false,"channels":[],"fingerprint":"a1b2c3","cardDetails":{{"brand":"VISA","lastFour":"1519","expirationMonth":10,"expirationYear":2027,"nameOnCard":"Jane Doe","bin":"40247644","billingAddress":{{"address1":"552 Test St","city":"Des Moines","stateProvinceRegion":"IA","country":"US","postalCode":"50310"}}}}}}"#
    )
}

fn not_found() -> Reply {
    Reply::json(
        404,
        r#"{"code":"NotFound","message":"The requested resource was not found."}"#,
    )
}

fn paths(server: &FakeServer) -> Vec<String> {
    server
        .recorded()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn posts(server: &FakeServer) -> Vec<Recorded> {
    server
        .recorded()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect()
}

#[tokio::test]
async fn mx_connections_then_an_exchange_with_dwollas_body() {
    let server = FakeServer::start(Arc::new(|req, _| {
        let base = req.base();
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/exchange-partners") => Reply::json(200, &partners_body(&base)),
            ("GET", "/customers/c1/available-exchange-connections") => Reply::json(
                200,
                &format!(
                    r#"{{"_links":{{"self":{{"href":"{base}customers/c1/available-exchange-connections"}},"customers":{{"href":"{base}customers/c1"}}}},"_embedded":{{"available-exchange-connections":[{{"availableConnectionToken":"{MX_TOKEN}","name":"XYZ Checking"}},{{"availableConnectionToken":"eyJvdGhlciI6dHJ1ZX0=","name":"XYZ Savings"}}]}}}}"#
                ),
            ),
            ("GET", "/customers/c2/available-exchange-connections") => Reply::json(
                200,
                r#"{"_links":{},"_embedded":{"available-exchange-connections":[]}}"#,
            ),
            ("POST", "/customers/c1/exchanges") => Reply::json(201, "")
                .with_header("Location", &format!("{base}exchanges/x1")),
            ("GET", "/exchanges/x1") => Reply::json(
                200,
                &format!(
                    r#"{{"_links":{{"self":{{"href":"{base}exchanges/x1"}}}},"id":"x1","status":"active","created":"2024-01-01T00:00:00.000Z"}}"#
                ),
            ),
            _ => not_found(),
        }
    }))
    .await;
    let c = client(&server.url);
    assert!(c.mx_connections("c2".into()).await.unwrap().is_empty());
    let list = c.mx_connections("c1".into()).await.unwrap();
    let names: Vec<_> = list.iter().map(|m| m.name()).collect();
    assert_eq!(names, ["XYZ Checking", "XYZ Savings"]);
    assert_eq!(list[0].available_connection_token(), MX_TOKEN);
    for printed in [list[0].to_string(), format!("{:?}", list[0])] {
        assert!(
            !printed.contains(MX_TOKEN) && printed.contains("XYZ Checking"),
            "{printed}"
        );
    }

    let exchange = c
        .complete_mx_connection("c1".into(), list[0].clone())
        .await
        .unwrap();
    assert_eq!(exchange.id, "x1");
    assert_eq!(exchange.status, "active");
    assert_eq!(exchange.url, format!("{}exchanges/x1", server.url));
    let post = &posts(&server)[0];
    let body = post.json();
    assert_eq!(body["mx"]["availableConnectionToken"], MX_TOKEN);
    assert_eq!(
        body["_links"]["exchange-partner"]["href"],
        format!("{}exchange-partners/p-mx", server.url)
    );
    assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    assert!(post.header("Idempotency-Key").is_some());
    assert_eq!(
        paths(&server),
        [
            "GET /customers/c2/available-exchange-connections",
            "GET /customers/c1/available-exchange-connections",
            "GET /exchange-partners",
            "POST /customers/c1/exchanges",
            "GET /exchanges/x1",
        ]
    );
}

#[tokio::test]
async fn an_mx_exchange_needs_the_mx_partner_and_hides_its_token_in_errors() {
    // Dwolla's refusal of a used token, echoed with the token in the message.
    let server = FakeServer::start(Arc::new(|req, _| {
        let base = req.base();
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/exchange-partners") => Reply::json(200, &partners_body(&base)),
            ("GET", "/customers/c1/available-exchange-connections") => Reply::json(
                200,
                &format!(
                    r#"{{"_embedded":{{"available-exchange-connections":[{{"availableConnectionToken":"{MX_TOKEN}","name":"XYZ Checking"}}]}}}}"#
                ),
            ),
            _ => Reply::json(
                400,
                &format!(
                    r#"{{"code":"InvalidExchangeToken","message":"The exchange token is not valid to perform this operation: {MX_TOKEN}"}}"#
                ),
            ),
        }
    }))
    .await;
    let c = client(&server.url);
    let connection = c.mx_connections("c1".into()).await.unwrap().remove(0);
    let err = c
        .complete_mx_connection("c1".into(), connection)
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(
        matches!(&err, BridgeError::Validation { code, .. } if code == "InvalidExchangeToken"),
        "{text}"
    );
    assert!(!text.contains(MX_TOKEN), "{text}");

    // A backend without MX: refused before the POST.
    let server = FakeServer::start(Arc::new(|req, _| {
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/exchange-partners") => Reply::json(
                200,
                &format!(
                    r#"{{"_embedded":{{"exchange-partners":[{{"id":"p","name":"Plaid","status":"active","_links":{{"self":{{"href":"{}exchange-partners/p"}}}}}}]}}}}"#,
                    req.base()
                ),
            ),
            ("GET", "/customers/c1/available-exchange-connections") => Reply::json(
                200,
                &format!(
                    r#"{{"_embedded":{{"available-exchange-connections":[{{"availableConnectionToken":"{MX_TOKEN}","name":"XYZ"}}]}}}}"#
                ),
            ),
            _ => not_found(),
        }
    }))
    .await;
    let c = client(&server.url);
    let connection: Arc<MxConnection> = c.mx_connections("c1".into()).await.unwrap().remove(0);
    let err = c
        .complete_mx_connection("c1".into(), connection)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BridgeError::PartnerUnavailable {
            partner: "MX".into()
        }
    );
    assert!(posts(&server).is_empty());
}

#[tokio::test]
async fn a_card_funding_source_sends_dwollas_body_and_reads_back_the_summary() {
    let server = FakeServer::start(Arc::new(|req, _| {
        let base = req.base();
        match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/customers/c1/funding-sources") => {
                Reply::json(201, &card_body(&base, "fs-c"))
                    .with_header("Location", &format!("{base}funding-sources/fs-c"))
            }
            _ => not_found(),
        }
    }))
    .await;
    let fs = client(&server.url)
        .create_card_funding_source(
            "c1".into(),
            CARD_TOKEN.into(),
            "My Visa Debit Card".into(),
            address(),
        )
        .await
        .unwrap();
    assert_eq!(fs.id, "fs-c");
    assert_eq!(fs.kind, FundingSourceKind::Card);
    assert_eq!(fs.status, "verified");
    assert_eq!(fs.bank_name, None);
    assert_eq!(
        fs.card,
        Some(CardSummary {
            brand: "VISA".into(),
            last_four: "1519".into(),
            expiration_month: 10,
            expiration_year: 2027,
        })
    );
    assert_eq!(fs.url, format!("{}funding-sources/fs-c", server.url));
    let printed = format!("{fs:?}");
    assert!(
        !printed.contains("40247644") && !printed.contains("Jane Doe"),
        "{printed}"
    );

    let reqs = posts(&server);
    assert_eq!(reqs.len(), 1);
    assert!(reqs[0].header("Idempotency-Key").is_some());
    let body = reqs[0].json();
    assert_eq!(
        body,
        serde_json::json!({
            "cardToken": CARD_TOKEN,
            "name": "My Visa Debit Card",
            "cardDetails": {"billingAddress": {
                "address1": "552 Test St",
                "address2": "Apt 4B",
                "city": "Des Moines",
                "stateProvinceRegion": "IA",
                "country": "US",
                "postalCode": "50310",
            }},
        })
    );
}

#[tokio::test]
async fn a_card_with_fields_to_fix_is_refused_before_any_request() {
    let server = FakeServer::sequence(vec![not_found()]).await;
    let c = client(&server.url);
    let mut bad = address();
    bad.country = "USA".into();
    bad.city = "c".repeat(51);
    bad.address3 = Some("x".repeat(101));
    let err = c
        .create_card_funding_source("c1".into(), CARD_TOKEN.into(), "Card".into(), bad)
        .await
        .unwrap_err();
    let BridgeError::InvalidArgument { reason } = &err else {
        panic!("{err:?}")
    };
    for part in [
        "billing_address.country must be a two-letter ISO 3166-1 alpha-2 country code",
        "billing_address.city must be at most 50 characters (it has 51)",
        "billing_address.address3 must be at most 100 characters (it has 101)",
    ] {
        assert!(reason.contains(part), "{part}: {reason}");
    }
    let err = c
        .create_card_funding_source(
            "c1".into(),
            format!("{CARD_TOKEN} "),
            "Card".into(),
            address(),
        )
        .await
        .unwrap_err();
    assert!(!format!("{err} {err:?}").contains(CARD_TOKEN), "{err:?}");
    let err = c
        .create_card_funding_source(String::new(), CARD_TOKEN.into(), "Card".into(), address())
        .await
        .unwrap_err();
    assert!(
        matches!(err, BridgeError::InvalidArgument { .. }),
        "{err:?}"
    );
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn card_errors_from_dwolla_are_typed_and_never_repeat_the_token() {
    // A token without any known prefix, so only the client's own scrubbing can hide it.
    let token = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";
    let server = FakeServer::sequence(vec![
        Reply::json(
            400,
            &format!(
                r#"{{"code":"ValidationError","message":"Validation error(s) present. See embedded errors list for more details.","_embedded":{{"errors":[{{"code":"Invalid","message":"The card data is invalid. ({token})","path":"/cardToken","_links":{{}}}}]}}}}"#
            ),
        ),
        Reply::json(
            400,
            r#"{"code":"ValidationError","message":"Duplicate funding source or validation error. Authorization already associated to a funding source."}"#,
        ),
    ])
    .await;
    let c = client(&server.url);
    let err = c
        .create_card_funding_source("c1".into(), token.into(), "Card".into(), address())
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(
        matches!(&err, BridgeError::Validation { path: Some(p), detail, .. } if p == "/cardToken" && detail.starts_with("The card data is invalid.")),
        "{text}"
    );
    assert!(!text.contains(token), "{text}");
    let err = c
        .create_card_funding_source("c1".into(), token.into(), "Card".into(), address())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BridgeError::DuplicateFundingSource { existing_id: None }
    );
}

#[tokio::test]
async fn a_bank_linked_twice_is_a_typed_duplicate_with_the_existing_id() {
    let server = FakeServer::sequence(vec![Reply::json(
        400,
        r#"{"code":"DuplicateResource","message":"Bank already exists: id=df8392e5-4c06-42ed-b247-c098ed6f5a11","_links":{"about":{"href":"https://api-sandbox.dwolla.com/funding-sources/df8392e5-4c06-42ed-b247-c098ed6f5a11","type":"application/vnd.dwolla.v1.hal+json","resource-type":"funding-source"}}}"#,
    )])
    .await;
    let err = client(&server.url)
        .create_funding_source(
            "c1".into(),
            "x1".into(),
            iav_bridge::BankAccountType::Checking,
            "Checking".into(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BridgeError::DuplicateFundingSource {
            existing_id: Some("df8392e5-4c06-42ed-b247-c098ed6f5a11".into())
        }
    );
    // Typed errors are not retried.
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn funding_sources_asks_without_removed_ones_and_rebases_dwolla_hrefs() {
    let server = FakeServer::start(Arc::new(|req, _| {
        let base = req.base();
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/customers/c1/funding-sources?removed=false") => {
                let dwolla = "https://api-sandbox.dwolla.com/";
                Reply::json(
                    200,
                    &format!(
                        r#"{{"_links":{{}},"_embedded":{{"funding-sources":[{},{},{},{}]}}}}"#,
                        bank_body(dwolla, "fs-1", false),
                        card_body(&base, "fs-2"),
                        bank_body(&base, "fs-3", true),
                        r#"{"_links":{"self":{"href":"https://api-sandbox.dwolla.com/funding-sources/b"}},"id":"b","status":"verified","type":"balance","name":"Balance","created":"2024-01-01T00:00:00.000Z","removed":false}"#,
                    ),
                )
            }
            ("GET", "/customers/c2/funding-sources?removed=false") => {
                Reply::json(200, r#"{"_embedded":{"funding-sources":[]}}"#)
            }
            _ => not_found(),
        }
    }))
    .await;
    let c = client(&server.url);
    let list = c.funding_sources("c1".into()).await.unwrap();
    let kinds: Vec<_> = list.iter().map(|f| (f.id.as_str(), f.kind)).collect();
    assert_eq!(
        kinds,
        [
            ("fs-1", FundingSourceKind::Bank),
            ("fs-2", FundingSourceKind::Card)
        ]
    );
    assert_eq!(list[0].url, format!("{}funding-sources/fs-1", server.url));
    assert_eq!(list[0].bank_name.as_deref(), Some("SANDBOX TEST BANK"));
    assert_eq!(list[0].created, "2024-01-01T00:00:00.000Z");
    assert_eq!(list[1].card.as_ref().unwrap().last_four, "1519");
    assert!(list.iter().all(|f| !f.removed && f.status == "verified"));
    assert!(c.funding_sources("c2".into()).await.unwrap().is_empty());
    let err = c.funding_sources("c3".into()).await.unwrap_err();
    assert!(matches!(err, BridgeError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn remove_posts_removed_true_with_one_idempotency_key_across_retries() {
    let server = FakeServer::start(Arc::new(|req, i| {
        let base = req.base();
        match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/funding-sources/fs-1") if i == 0 => Reply::json(503, ""),
            ("POST", "/funding-sources/fs-1") => Reply::json(200, &bank_body(&base, "fs-1", true)),
            // An empty 200: the client reads the funding source.
            ("POST", "/funding-sources/fs-2") => Reply::json(200, ""),
            ("GET", "/funding-sources/fs-2") => Reply::json(200, &card_body(&base, "fs-2")),
            _ => not_found(),
        }
    }))
    .await;
    let c = client(&server.url);
    let fs = c.remove_funding_source("fs-1".into()).await.unwrap();
    assert_eq!(fs.id, "fs-1");
    assert!(fs.removed);
    let reqs = posts(&server);
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].json(), serde_json::json!({"removed": true}));
    let keys = server.idempotency_keys();
    assert_eq!(keys[0], keys[1]);

    let fs = c.remove_funding_source("fs-2".into()).await.unwrap();
    assert_eq!(fs.kind, FundingSourceKind::Card);
    assert_eq!(server.count_path("/funding-sources/fs-2"), 2);

    // Another user's (or an unknown) funding source: 404.
    let err = c.remove_funding_source("fs-9".into()).await.unwrap_err();
    assert!(matches!(err, BridgeError::NotFound { .. }), "{err:?}");
    let err = c.remove_funding_source("..".into()).await.unwrap_err();
    assert!(
        matches!(err, BridgeError::InvalidArgument { .. }),
        "{err:?}"
    );
}

/// The partner list with Visa, hrefs on `base`.
fn partners_with_visa(base: &str) -> String {
    partners_body(base).replace(
        r#"]},"total":3"#,
        &format!(
            r#",{{"id":"p-visa","name":"Visa","status":"active","_links":{{"self":{{"href":"{base}exchange-partners/p-visa"}}}}}}]}},"total":4"#
        ),
    )
}

#[tokio::test]
async fn visa_sends_the_ios_universal_link_and_reads_a_web_page() {
    let server = FakeServer::start(Arc::new(|req, _| {
        let base = req.base();
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/exchange-partners") => Reply::json(200, &partners_with_visa(&base)),
            ("POST", "/customers/c1/exchange-sessions") => Reply::json(201, "")
                .with_header("Location", &format!("{base}exchange-sessions/v1")),
            ("GET", "/exchange-sessions/v1") => Reply::json(
                200,
                &format!(
                    r#"{{"created":"2024-03-25T17:13:38.430Z","_links":{{"self":{{"href":"{base}exchange-sessions/v1"}},"external-provider-session":{{"href":"https://visa.example/session/1"}}}}}}"#
                ),
            ),
            _ => not_found(),
        }
    }))
    .await;
    let ios = Platform::Ios {
        redirect_url: "https://example.com/app".into(),
    };
    let c = client_on(&server.url, ios);
    let url = c
        .create_exchange_session("c1".into(), "Visa".into())
        .await
        .unwrap();
    match c.exchange_session(url.clone()).await.unwrap() {
        ExchangeSession::WebRedirect {
            session_url,
            url: page,
        } => {
            assert_eq!(session_url, url);
            assert_eq!(page, "https://visa.example/session/1");
        }
        other => panic!("{other:?}"),
    }
    let body = posts(&server)[0].json();
    assert_eq!(
        body["_links"]["redirect-url"]["href"],
        "https://example.com/app"
    );
    assert_eq!(
        body["_links"]["exchange-partner"]["href"],
        format!("{}exchange-partners/p-visa", server.url)
    );
}

#[tokio::test]
async fn visa_on_android_and_the_web_is_refused_before_any_request() {
    let server = FakeServer::sequence(vec![not_found()]).await;
    let android = Platform::Android {
        package_name: "com.example.app".into(),
    };
    for (platform, why) in [
        (android, "package name"),
        (Platform::Web, "the web platform has no redirect value"),
    ] {
        let err = client_on(&server.url, platform.clone())
            .create_exchange_session("c1".into(), "Visa".into())
            .await
            .unwrap_err();
        let BridgeError::InvalidRedirectUrl { reason } = &err else {
            panic!("{platform:?}: {err:?}")
        };
        assert!(
            reason
                .contains("Visa needs an https redirect URL, which only the iOS platform carries"),
            "{reason}"
        );
        assert!(reason.contains(why), "{reason}");
    }
    assert_eq!(server.count(), 0);
}
