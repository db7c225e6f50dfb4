//! Every partner's flow through the backend, in front of the simulator: MX connections, the
//! Checkout.com card funding source, Visa's session, the caller's funding sources (list,
//! remove) and the duplicate bank; each route with the ownership check (another user's customer
//! or funding source is 404).

mod support;

use reqwest::Client;
use sample_backend::Stack;
use serde_json::{json, Value};
use support::backend::*;
use support::openapi::*;
use support::*;

/// docs/backend-openapi.yml as JSON.
fn contract() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/backend-openapi.yml"
    ))
    .expect("docs/backend-openapi.yml");
    let yaml: serde_norway::Value = serde_norway::from_str(&text).expect("contract YAML");
    serde_json::to_value(yaml).expect("contract as JSON")
}

/// Checks `body` against the contract's schema `name`.
fn matches_contract(name: &str, body: &Value) {
    let spec = contract();
    let schema = json!({ "$ref": format!("#/components/schemas/{name}") });
    assert_eq!(
        validate(&spec, &schema, body),
        Vec::<String>::new(),
        "{name}: {body}"
    );
}

/// The last path segment of a URL.
fn last(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or_default()
}

/// A Plaid bank funding source through the backend, Link completed with `account`.
async fn bank(c: &Client, s: &Stack, token: &str, account: Option<&str>) -> Answer {
    let b = &s.backend_url;
    let sess = session(c, s, token, "Plaid", Some("com.example.app")).await;
    assert_eq!(sess.status, 201, "{}", sess.text);
    let public = s
        .simulator
        .complete_plaid_link_with_account(
            sess.body["externalProviderSessionToken"].as_str().unwrap(),
            account,
        )
        .unwrap();
    let plaid = partner_href(c, b, token, "Plaid").await;
    let (_, fs) = plaid_funding_source(c, b, token, &plaid, &public, "Checking").await;
    fs
}

/// A card token from a Checkout.com session made through the backend.
async fn card_token(c: &Client, s: &Stack, token: &str) -> String {
    let sess = session(c, s, token, "Checkout.com", None).await;
    assert_eq!(sess.status, 201, "{}", sess.text);
    let ps = sess.body["externalProviderSessionData"]["id"]
        .as_str()
        .unwrap();
    s.simulator
        .complete_checkout_payment(ps)
        .expect("card token")
}

fn card_body(card_token: &str) -> Value {
    json!({
        "cardToken": card_token,
        "name": "My Visa Debit Card",
        "cardDetails": {"billingAddress": {"address1": "123 Main St", "city": "Dallas",
            "stateProvinceRegion": "TX", "country": "US", "postalCode": "76034"}}
    })
}

#[tokio::test]
async fn mx_connections_exchange_and_funding_source_through_the_backend() {
    let s = stack().await;
    let c = client();
    let b = &s.backend_url;
    let alice_customer = s.user("alice").unwrap().customer_id.clone();
    let connections = format!("{b}customers/me/available-exchange-connections");

    let empty = get(&c, &connections, Some("demo-alice")).await;
    assert_eq!(empty.status, 200, "{}", empty.text);
    assert_eq!(
        empty.body["_embedded"]["available-exchange-connections"],
        json!([])
    );

    let sess = session(&c, &s, "demo-alice", "MX", None).await;
    assert_eq!(sess.status, 201, "{}", sess.text);
    let page = sess.body["_links"]["external-provider-session"]["href"]
        .as_str()
        .unwrap();
    assert!(page.starts_with("https://"), "{page}");
    s.simulator
        .complete_mx_session(last(&sess.header("location").unwrap()))
        .unwrap();

    let list = get(&c, &connections, Some("demo-alice")).await;
    assert_eq!(list.status, 200);
    assert_eq!(
        list.body["_links"]["self"]["href"],
        format!("{b}customers/{alice_customer}/available-exchange-connections")
    );
    let items = list.body["_embedded"]["available-exchange-connections"]
        .as_array()
        .unwrap();
    assert_eq!(items.len(), 1);
    let connection = items[0]["availableConnectionToken"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(items[0]["name"], "MX Bank Checking");

    // Bob: Alice's customer id is 404; his own list is empty.
    let alices = format!("{b}customers/{alice_customer}/available-exchange-connections");
    let a = get(&c, &alices, Some("demo-bob")).await;
    assert_eq!(a.status_and_code(), (404, Some("NotFound")));
    let bobs = get(&c, &connections, Some("demo-bob")).await;
    assert_eq!(
        bobs.body["_embedded"]["available-exchange-connections"],
        json!([])
    );

    let mx = partner_href(&c, b, "demo-alice", "MX").await;
    let body = json!({"_links": {"exchange-partner": {"href": mx}}, "mx": {"availableConnectionToken": connection}});
    let exchanges = format!("{b}customers/me/exchanges");
    // Bob cannot use Alice's connection token.
    let a = post(&c, &exchanges, "demo-bob", &body, None).await;
    assert_eq!(a.status_and_code(), (400, Some("InvalidExchangeToken")));
    let exchange = post(&c, &exchanges, "demo-alice", &body, None).await;
    assert_eq!(exchange.status, 201, "{}", exchange.text);
    let again = post(&c, &exchanges, "demo-alice", &body, None).await;
    assert_eq!(again.status_and_code(), (400, Some("InvalidExchangeToken")));
    assert_no_secret(&again.text, &[&connection]);

    let fs = post(
        &c,
        &format!("{b}customers/me/funding-sources"),
        "demo-alice",
        &json!({"_links": {"exchange": {"href": exchange.header("location").unwrap()}},
                "bankAccountType": "checking", "name": "MX checking"}),
        None,
    )
    .await;
    assert_eq!(fs.status, 201, "{}", fs.text);
    assert_eq!(fs.body["type"], "bank");
    assert!(fs
        .header("location")
        .unwrap()
        .starts_with(&format!("{b}funding-sources/")));
}

#[tokio::test]
async fn a_card_funding_source_through_the_backend() {
    let s = stack().await;
    let c = client();
    let b = &s.backend_url;
    let card = card_token(&c, &s, "demo-alice").await;
    assert!(card.starts_with("src_"));
    let url = format!("{b}customers/me/funding-sources");

    // Dwolla's validation errors pass through with their paths.
    let mut bad = card_body(&card);
    bad["cardDetails"]["billingAddress"]["country"] = json!("USA");
    bad["name"] = json!("n".repeat(51));
    let a = post(&c, &url, "demo-alice", &bad, None).await;
    assert_eq!(a.status, 400, "{}", a.text);
    let paths: Vec<&str> = a.body["_embedded"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/name", "/cardDetails/billingAddress/country"]);
    // Bob cannot use Alice's card token.
    let a = post(&c, &url, "demo-bob", &card_body(&card), None).await;
    assert_eq!(a.status, 400);
    assert_eq!(
        a.body["_embedded"]["errors"][0]["message"],
        "The card data is invalid."
    );
    assert_no_secret(&a.text, &[&card]);

    let fs = post(&c, &url, "demo-alice", &card_body(&card), None).await;
    assert_eq!(fs.status, 201, "{}", fs.text);
    let loc = fs.header("location").unwrap();
    assert!(loc.starts_with(&format!("{b}funding-sources/")));
    assert_eq!(fs.body["type"], "card");
    matches_contract("FundingSource", &fs.body);
    assert_eq!(fs.body["_links"]["self"]["href"], loc.as_str());
    let details = &fs.body["cardDetails"];
    assert_eq!(details["brand"], "VISA");
    assert_eq!(details["lastFour"].as_str().unwrap().len(), 4);
    assert!(details["expirationMonth"].is_u64() && details["expirationYear"].is_u64());
    assert!(details["nameOnCard"].is_string());
    assert_no_secret(&fs.text, &[&card]);
    // Alice reads it back; Bob gets 404.
    assert_eq!(get(&c, &loc, Some("demo-alice")).await.body["type"], "card");
    assert_eq!(get(&c, &loc, Some("demo-bob")).await.status, 404);
    // The token was used.
    let a = post(&c, &url, "demo-alice", &card_body(&card), None).await;
    assert_eq!(a.status, 400);
}

#[tokio::test]
async fn the_callers_funding_sources_are_listed_and_removed() {
    let Some(spec) = openapi() else { return };
    let s = stack().await;
    let c = client();
    let b = &s.backend_url;
    let alice_customer = s.user("alice").unwrap().customer_id.clone();
    let list_url = format!("{b}customers/me/funding-sources");

    let bank_fs = bank(&c, &s, "demo-alice", None).await;
    assert_eq!(bank_fs.status, 201, "{}", bank_fs.text);
    let bank_url = bank_fs.header("location").unwrap();
    let card = card_token(&c, &s, "demo-alice").await;
    let card_fs = post(&c, &list_url, "demo-alice", &card_body(&card), None).await;
    let card_url = card_fs.header("location").unwrap();

    let resp = hal_get(&c, &list_url, Some("demo-alice")).await;
    let (status, _, list) = conforms(&spec, "/customers/{id}/funding-sources", "get", resp).await;
    assert_eq!(status, 200);
    matches_contract("FundingSourceList", &list);
    let items = list["_embedded"]["funding-sources"].as_array().unwrap();
    let shown: Vec<(&str, &str, &str)> = items
        .iter()
        .map(|i| {
            (
                i["_links"]["self"]["href"].as_str().unwrap(),
                i["type"].as_str().unwrap(),
                i["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (bank_url.as_str(), "bank", "verified"),
            (card_url.as_str(), "card", "verified")
        ]
    );
    let mut all = Vec::new();
    strings(&list, &mut all);
    assert!(!all.iter().any(|x| x.contains(&s.simulator_url)), "{all:?}");

    // Bob: his own list is empty; Alice's customer, Alice's funding sources are 404.
    let bobs = get(&c, &list_url, Some("demo-bob")).await;
    assert_eq!(bobs.body["_embedded"]["funding-sources"], json!([]));
    let alices = format!("{b}customers/{alice_customer}/funding-sources");
    let a = get(&c, &alices, Some("demo-bob")).await;
    assert_eq!(a.status_and_code(), (404, Some("NotFound")));
    let remove = json!({"removed": true});
    let a = post(&c, &bank_url, "demo-bob", &remove, None).await;
    assert_eq!(a.status_and_code(), (404, Some("NotFound")));
    assert_eq!(
        get(&c, &bank_url, Some("demo-alice")).await.body["removed"],
        false
    );

    // Only {"removed": true} is taken, before anything reaches Dwolla.
    for body in [
        json!({"removed": false}),
        json!({"name": "x"}),
        json!({"removed": true, "name": "x"}),
        json!({}),
    ] {
        let a = post(&c, &bank_url, "demo-alice", &body, None).await;
        assert_eq!(a.status, 400, "{body}");
        assert_eq!(a.body["code"], "ValidationError");
    }
    assert_eq!(
        get(&c, &bank_url, Some("demo-alice")).await.body["removed"],
        false
    );

    let resp = hal_post(&c, &bank_url, "demo-alice", &remove, None).await;
    let (status, _, removed) = conforms(&spec, "/funding-sources/{id}", "post", resp).await;
    assert_eq!(status, 200);
    assert_eq!(removed["removed"], true);
    matches_contract("FundingSource", &removed);
    assert_eq!(removed["_links"]["self"]["href"], bank_url.as_str());
    // Removed ones are left out, whatever the app asks for.
    for url in [list_url.clone(), format!("{list_url}?removed=true")] {
        let list = get(&c, &url, Some("demo-alice")).await;
        let items = list.body["_embedded"]["funding-sources"]
            .as_array()
            .unwrap();
        assert_eq!(items.len(), 1, "{url}");
        assert_eq!(items[0]["_links"]["self"]["href"], card_url.as_str());
    }
    // Removing it again: Dwolla's 403 passes through.
    let a = post(&c, &bank_url, "demo-alice", &remove, None).await;
    assert_eq!(a.status_and_code(), (403, Some("InvalidResourceState")));
    // A made-up id is 404.
    let made_up = format!("{b}funding-sources/{}", uuid::Uuid::new_v4());
    assert_eq!(
        post(&c, &made_up, "demo-alice", &remove, None).await.status,
        404
    );
}

#[tokio::test]
async fn the_same_bank_twice_is_dwollas_duplicate_with_the_backends_href() {
    let s = stack().await;
    let c = client();
    let first = bank(&c, &s, "demo-alice", Some("acct-1")).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let first_url = first.header("location").unwrap();
    let dup = bank(&c, &s, "demo-alice", Some("acct-1")).await;
    assert_eq!(dup.status, 400, "{}", dup.text);
    assert_eq!(dup.body["code"], "DuplicateResource");
    matches_contract("Error", &dup.body);
    assert_eq!(
        dup.body["message"],
        format!("Bank already exists: id={}", last(&first_url))
    );
    assert_eq!(dup.body["_links"]["about"]["href"], first_url.as_str());
    assert!(!dup.text.contains(&s.simulator_url));
}

#[tokio::test]
async fn a_visa_session_through_the_backend_needs_an_allowed_https_url() {
    let s = stack().await;
    let c = client();
    let names = |list: &[&str]| list.iter().map(|n| (*n).to_string()).collect();
    s.simulator.set_partners(names(&[
        "Finicity",
        "MX",
        "Plaid",
        "Flinks",
        "Checkout.com",
        "Visa",
    ]));
    s.simulator
        .set_enabled_partners(names(&["MX", "Plaid", "Checkout.com", "Visa"]));
    let visa = |redirect| session(&c, &s, "demo-alice", "Visa", redirect);
    let ok = visa(Some("https://example.com/app")).await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    let page = ok.body["_links"]["external-provider-session"]["href"]
        .as_str()
        .unwrap();
    assert!(
        page.starts_with("https://") && !page.starts_with(&s.backend_url),
        "{page}"
    );
    assert_eq!(
        get(&c, &ok.header("location").unwrap(), Some("demo-bob"))
            .await
            .status,
        404
    );
    // No redirect URL, or an Android package name: Dwolla's 400 passes through.
    for redirect in [None, Some("com.example.app")] {
        let a = visa(redirect).await;
        assert_eq!(a.status, 400, "{redirect:?}");
        assert_eq!(
            a.body["_embedded"]["errors"][0]["message"],
            "/_links/redirect-url/href is invalid"
        );
    }
    // An https URL off the backend's allow-list is refused by the backend itself.
    let a = visa(Some("https://evil.example.com/app")).await;
    assert_eq!(a.status, 400);
    assert_eq!(
        a.body["_embedded"]["errors"][0]["message"],
        "The provided redirect URL must exactly match one of the configured URLs for the account."
    );
}
