//! Every partner's flow to its end against a simulator on loopback, every answer checked against
//! Dwolla's `OpenAPI` document: MX (available connection, exchange, funding source), Checkout.com
//! (card token, debit card funding source and its validation), Visa (listed through
//! `PUT /sim/account`, https redirect URL required), the customer's funding sources (list,
//! remove) and the duplicate bank.

mod support;

use serde_json::{json, Value};
use support::openapi::*;
use support::simulator::*;
use support::*;

/// A simulator, an access token and a new customer.
async fn setup() -> (
    dwolla_simulator::RunningSimulator,
    reqwest::Client,
    String,
    String,
) {
    let (sim, client) = start().await;
    let token = token(&sim, &client).await;
    let customer = sim
        .simulator
        .create_customer("Ann", "Lee", "ann.partners@example.com");
    (sim, client, token, customer)
}

/// A POST to the control surface; returns (status, JSON body).
async fn control(client: &reqwest::Client, url: String, body: Value) -> (u16, Value) {
    let resp = client.post(url).json(&body).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The document's path of a customer's available exchange connections.
const CONNECTIONS: &str = "/customers/{id}/available-exchange-connections";

/// The available exchange connections of a `GET /customers/{id}/available-exchange-connections`
/// body.
fn connections_in(list: &Value) -> &Value {
    &list["_embedded"]["available-exchange-connections"]
}

/// The URL of `rest` under a customer that does not exist.
fn unknown_customer(sim: &dwolla_simulator::RunningSimulator, rest: &str) -> String {
    format!("{}/customers/{}/{rest}", sim.url, uuid::Uuid::new_v4())
}

/// A valid card funding-source body for `card_token`.
fn card_body(card_token: &str) -> Value {
    json!({
        "cardToken": card_token,
        "name": "My Visa Debit Card",
        "cardDetails": { "billingAddress": {
            "address1": "123 Main St", "address2": "Apt 4B", "city": "Dallas",
            "stateProvinceRegion": "TX", "country": "US", "postalCode": "76034"
        } }
    })
}

/// A new exchange session of `customer` with `partner` (no redirect), as `GET` shows it.
async fn new_session(
    sim: &dwolla_simulator::RunningSimulator,
    client: &reqwest::Client,
    token: &str,
    customer: &str,
    partner: &str,
) -> Value {
    let resp = create_session(sim, client, token, customer, partner, None).await;
    get_json(client, &location(&resp), token).await
}

/// A Checkout.com session completed through the control surface: its payment session id and
/// the card token.
async fn checkout_card(
    sim: &dwolla_simulator::RunningSimulator,
    client: &reqwest::Client,
    token: &str,
    customer: &str,
) -> (String, String) {
    let session = new_session(sim, client, token, customer, "Checkout.com").await;
    let ps = session["externalProviderSessionData"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = control(
        client,
        format!("{}/sim/checkout/complete-payment-session", sim.url),
        json!({ "paymentSessionId": ps }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (ps, body["cardToken"].as_str().unwrap().to_string())
}

/// A Plaid bank funding source for `customer`, Link completed with `account`; returns the
/// answer of `POST /customers/{id}/funding-sources`.
async fn plaid_funding_source(
    sim: &dwolla_simulator::RunningSimulator,
    client: &reqwest::Client,
    token: &str,
    customer: &str,
    account: Option<&str>,
) -> reqwest::Response {
    let session = new_session(sim, client, token, customer, "Plaid").await;
    let mut complete = json!({ "linkToken": session["externalProviderSessionToken"] });
    if let Some(a) = account {
        complete["account"] = json!(a);
    }
    let (status, body) = control(
        client,
        format!("{}/sim/plaid/complete-link", sim.url),
        complete,
    )
    .await;
    assert_eq!(status, 200);
    let plaid = partner_href(sim, client, token, "Plaid").await;
    let resp = post(
        client,
        &format!("{}/customers/{customer}/exchanges", sim.url),
        token,
        &json!({ "_links": { "exchange-partner": { "href": plaid } }, "plaid": { "publicToken": body["publicToken"] } }),
    )
    .await;
    let exchange = location(&resp);
    post(
        client,
        &format!("{}/customers/{customer}/funding-sources", sim.url),
        token,
        &json!({ "_links": { "exchange": { "href": exchange } }, "bankAccountType": "checking", "name": "Checking" }),
    )
    .await
}

#[tokio::test]
async fn mx_available_connection_makes_an_exchange_and_a_funding_source() {
    let Some(spec) = openapi() else { return };
    let (sim, client, token, customer) = setup().await;
    let connections_url = format!(
        "{}/customers/{customer}/available-exchange-connections",
        sim.url
    );
    // Nothing connected yet: a 200 with an empty list.
    let resp = get(&client, &connections_url, &token).await;
    let (status, _, empty) = conforms(&spec, CONNECTIONS, "get", resp).await;
    assert_eq!(status, 200);
    assert_eq!(connections_in(&empty), &json!([]));
    assert_eq!(empty["_links"]["self"]["href"], connections_url);
    assert_eq!(
        empty["_links"]["customers"]["href"],
        format!("{}/customers/{customer}", sim.url)
    );

    let resp = create_session(&sim, &client, &token, &customer, "MX", None).await;
    let session_url = location(&resp);
    let session_id = session_url.rsplit('/').next().unwrap();
    let (status, _) = control(
        &client,
        format!("{}/sim/mx/complete-session", sim.url),
        json!({ "exchangeSessionId": session_id }),
    )
    .await;
    assert_eq!(status, 200);
    let resp = get(&client, &connections_url, &token).await;
    let (_, _, list) = conforms(&spec, CONNECTIONS, "get", resp).await;
    let items = connections_in(&list).as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["name"], "MX Bank Checking");
    let connection = items[0]["availableConnectionToken"]
        .as_str()
        .unwrap()
        .to_string();

    let mx = partner_href(&sim, &client, &token, "MX").await;
    let exchange_body = json!({ "_links": { "exchange-partner": { "href": mx } }, "mx": { "availableConnectionToken": connection } });
    let exchanges_url = format!("{}/customers/{customer}/exchanges", sim.url);
    let resp = post(&client, &exchanges_url, &token, &exchange_body).await;
    let exchange = location(&resp);
    conforms(&spec, "/customers/{id}/exchanges", "post", resp).await;
    // The token is used: refused, and no longer listed.
    let resp = post(&client, &exchanges_url, &token, &exchange_body).await;
    let (status, _, body) = conforms(&spec, "/customers/{id}/exchanges", "post", resp).await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "InvalidExchangeToken");
    assert_no_secret(&body.to_string(), &[&connection]);
    let list = get_json(&client, &connections_url, &token).await;
    assert_eq!(connections_in(&list), &json!([]));
    // An unknown token is refused the same way.
    let unknown = json!({ "_links": { "exchange-partner": { "href": mx } }, "mx": { "availableConnectionToken": "eyJub3RoaW5nIjp0cnVlfQ==" } });
    let resp = post(&client, &exchanges_url, &token, &unknown).await;
    assert_eq!(resp.status(), 400);

    let resp = post(
        &client,
        &format!("{}/customers/{customer}/funding-sources", sim.url),
        &token,
        &json!({ "_links": { "exchange": { "href": exchange } }, "bankAccountType": "savings", "name": "MX savings" }),
    )
    .await;
    let fs_url = location(&resp);
    let resp = get(&client, &fs_url, &token).await;
    let (_, _, fs) = conforms(&spec, "/funding-sources/{id}", "get", resp).await;
    assert_eq!(fs["type"], "bank");
    assert_eq!(fs["bankAccountType"], "savings");
    assert_eq!(fs["_links"]["exchange"]["href"], exchange);

    // Another customer's connections are its own: empty. An unknown customer is 404.
    let other = sim
        .simulator
        .create_customer("Bob", "Ng", "bob.partners@example.com");
    let others_url = format!(
        "{}/customers/{other}/available-exchange-connections",
        sim.url
    );
    let list = get_json(&client, &others_url, &token).await;
    assert_eq!(connections_in(&list), &json!([]));
    let resp = get(
        &client,
        &unknown_customer(&sim, "available-exchange-connections"),
        &token,
    )
    .await;
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn checkout_card_token_makes_a_card_funding_source() {
    let Some(spec) = openapi() else { return };
    let (sim, client, token, customer) = setup().await;
    let (ps, card) = checkout_card(&sim, &client, &token, &customer).await;
    let complete = format!("{}/sim/checkout/complete-payment-session", sim.url);
    assert!(card.starts_with("src_") && card.len() == 30, "{card}");
    // Used, unknown, or not a payment session id: 404; a bad body: 400.
    for id in [ps.as_str(), "ps_unknown", ""] {
        let (status, body) =
            control(&client, complete.clone(), json!({ "paymentSessionId": id })).await;
        assert_eq!(status, 404, "{id}");
        assert!(body["error"].is_string());
    }
    let (status, _) = control(&client, complete.clone(), json!({ "sessionId": ps })).await;
    assert_eq!(status, 400);

    let url = format!("{}/customers/{customer}/funding-sources", sim.url);
    let resp = post(&client, &url, &token, &card_body(&card)).await;
    let fs_url = location(&resp);
    conforms(&spec, "/customers/{id}/funding-sources", "post", resp).await;
    let resp = get(&client, &fs_url, &token).await;
    let (status, _, fs) = conforms(&spec, "/funding-sources/{id}", "get", resp).await;
    assert_eq!(status, 200);
    assert_eq!(fs["type"], "card");
    assert_eq!(fs["status"], "verified");
    assert_eq!(fs["name"], "My Visa Debit Card");
    assert_eq!(fs["removed"], false);
    assert!(fs.get("bankAccountType").is_none() && fs.get("bankName").is_none());
    let details = &fs["cardDetails"];
    assert_eq!(details["brand"], "VISA");
    let last_four = details["lastFour"].as_str().unwrap();
    assert!(last_four.len() == 4 && last_four.bytes().all(|b| b.is_ascii_digit()));
    assert!((1..=12).contains(&details["expirationMonth"].as_u64().unwrap()));
    assert!(details["expirationYear"].as_u64().unwrap() >= 2026);
    assert_eq!(details["nameOnCard"], "Ann Lee");
    assert_eq!(details["billingAddress"]["city"], "Dallas");
    assert!(details.get("bin").is_none());
    // What the card shows, and nothing more: never a card number.
    let mut keys: Vec<&str> = details
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "billingAddress",
            "brand",
            "expirationMonth",
            "expirationYear",
            "lastFour",
            "nameOnCard"
        ]
    );
    assert_eq!(fs["_links"]["remove"]["href"], fs_url);
    assert_eq!(
        fs["_links"]["customer"]["href"],
        format!("{}/customers/{customer}", sim.url)
    );

    // The card token is one-time; an unknown one and another customer's are refused alike.
    let other = sim
        .simulator
        .create_customer("Bob", "Ng", "bob.card@example.com");
    let (_, others_card) = checkout_card(&sim, &client, &token, &other).await;
    for bad in [card.as_str(), "src_unknown", others_card.as_str()] {
        let resp = post(&client, &url, &token, &card_body(bad)).await;
        let (status, _, body) =
            conforms(&spec, "/customers/{id}/funding-sources", "post", resp).await;
        assert_eq!(status, 400);
        assert_eq!(body["code"], "ValidationError");
        assert_eq!(
            body["_embedded"]["errors"],
            json!([{ "code": "Invalid", "message": "The card data is invalid.", "path": "/cardToken", "_links": {} }])
        );
        assert_no_secret(&body.to_string(), &[bad]);
    }
}

#[tokio::test]
async fn card_funding_sources_are_validated_as_the_document_states() {
    let Some(spec) = openapi() else { return };
    let (sim, client, token, customer) = setup().await;
    let (_, card) = checkout_card(&sim, &client, &token, &customer).await;
    let url = format!("{}/customers/{customer}/funding-sources", sim.url);
    let errors_of = |body: &Value| -> Vec<(String, String)> {
        body["_embedded"]["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["code"].as_str().unwrap().to_string(),
                    e["path"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let cases: Vec<(Value, Vec<(&str, &str)>)> = vec![
        (
            json!({ "cardToken": card }),
            vec![
                ("Required", "/name"),
                ("Required", "/cardDetails/billingAddress"),
            ],
        ),
        (
            json!({ "name": "x", "cardDetails": { "billingAddress": {} } }),
            vec![
                ("Required", "/cardToken"),
                ("Required", "/cardDetails/billingAddress/address1"),
                ("Required", "/cardDetails/billingAddress/city"),
                (
                    "Required",
                    "/cardDetails/billingAddress/stateProvinceRegion",
                ),
                ("Required", "/cardDetails/billingAddress/country"),
                ("Required", "/cardDetails/billingAddress/postalCode"),
            ],
        ),
        (
            {
                let mut b = card_body(&card);
                b["name"] = json!("n".repeat(51));
                let a = &mut b["cardDetails"]["billingAddress"];
                a["address1"] = json!("a".repeat(51));
                a["address2"] = json!("b".repeat(101));
                a["address3"] = json!("c".repeat(101));
                a["city"] = json!("d".repeat(51));
                a["stateProvinceRegion"] = json!("Texas");
                a["country"] = json!("USA");
                b
            },
            vec![
                ("Invalid", "/name"),
                ("Invalid", "/cardDetails/billingAddress/address1"),
                ("Invalid", "/cardDetails/billingAddress/address2"),
                ("Invalid", "/cardDetails/billingAddress/address3"),
                ("Invalid", "/cardDetails/billingAddress/city"),
                ("Invalid", "/cardDetails/billingAddress/stateProvinceRegion"),
                ("Invalid", "/cardDetails/billingAddress/country"),
            ],
        ),
        (
            {
                let mut b = card_body(&card);
                b["cardDetails"]["billingAddress"]["country"] = json!("XX");
                b["cardDetails"]["billingAddress"]["postalCode"] = json!(76034);
                b
            },
            vec![
                ("Invalid", "/cardDetails/billingAddress/country"),
                ("Invalid", "/cardDetails/billingAddress/postalCode"),
            ],
        ),
    ];
    for (body, expected) in cases {
        let resp = post(&client, &url, &token, &body).await;
        let (status, _, answer) =
            conforms(&spec, "/customers/{id}/funding-sources", "post", resp).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(answer["code"], "ValidationError");
        assert_eq!(
            answer["message"],
            "Validation error(s) present. See embedded errors list for more details."
        );
        let expected: Vec<(String, String)> = expected
            .into_iter()
            .map(|(c, p)| (c.to_string(), p.to_string()))
            .collect();
        assert_eq!(errors_of(&answer), expected, "{body}");
        assert_no_secret(&answer.to_string(), &[&card]);
    }
    let missing = post(
        &client,
        &url,
        &token,
        &json!({ "name": "x", "cardDetails": {} }),
    )
    .await
    .json::<Value>()
    .await
    .unwrap();
    assert_eq!(
        missing["_embedded"]["errors"][0]["message"],
        "Card token is required."
    );
    // Limits are inclusive; optional lines may be left out; the token survived the refusals.
    let mut body = card_body(&card);
    body["name"] = json!("n".repeat(50));
    let a = &mut body["cardDetails"]["billingAddress"];
    a["address1"] = json!("a".repeat(50));
    a["address2"] = Value::Null;
    a["address3"] = json!("c".repeat(100));
    a["city"] = json!("d".repeat(50));
    a["country"] = json!("CA");
    a["stateProvinceRegion"] = json!("ON");
    let resp = post(&client, &url, &token, &body).await;
    let fs = get_json(&client, &location(&resp), &token).await;
    assert_eq!(fs["cardDetails"]["billingAddress"]["country"], "CA");
    assert!(fs["cardDetails"]["billingAddress"]
        .get("address2")
        .is_none());
}

#[tokio::test]
async fn the_customers_funding_sources_are_listed_and_removed() {
    let Some(spec) = openapi() else { return };
    let (sim, client, token, customer) = setup().await;
    let list_url = format!("{}/customers/{customer}/funding-sources", sim.url);
    let resp = get(&client, &list_url, &token).await;
    let (status, _, empty) = conforms(&spec, "/customers/{id}/funding-sources", "get", resp).await;
    assert_eq!(status, 200);
    assert_eq!(empty["_embedded"]["funding-sources"], json!([]));

    let bank_url = location(&plaid_funding_source(&sim, &client, &token, &customer, None).await);
    let (_, card) = checkout_card(&sim, &client, &token, &customer).await;
    let card_url = location(&post(&client, &list_url, &token, &card_body(&card)).await);

    let resp = get(&client, &list_url, &token).await;
    let (_, _, list) = conforms(&spec, "/customers/{id}/funding-sources", "get", resp).await;
    assert_eq!(list["_links"]["self"]["href"], list_url);
    assert_eq!(
        list["_links"]["customer"]["href"],
        format!("{}/customers/{customer}", sim.url)
    );
    assert_eq!(list["total"], 2);
    let items = list["_embedded"]["funding-sources"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> = items
        .iter()
        .map(|i| {
            (
                i["_links"]["self"]["href"].as_str().unwrap(),
                i["type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [(bank_url.as_str(), "bank"), (card_url.as_str(), "card")]
    );
    assert_eq!(items[0]["bankName"], "SANDBOX TEST BANK");
    assert_eq!(items[0]["status"], "verified");
    assert!(items[1]["cardDetails"]["lastFour"].is_string());

    // Remove the bank: 200 with the funding source, removed, without a remove link.
    let resp = post(&client, &bank_url, &token, &json!({ "removed": true })).await;
    let (status, _, removed) = conforms(&spec, "/funding-sources/{id}", "post", resp).await;
    assert_eq!(status, 200);
    assert_eq!(removed["removed"], true);
    assert_eq!(removed["_links"]["self"]["href"], bank_url);
    assert!(removed["_links"].get("remove").is_none());
    let again = get_json(&client, &bank_url, &token).await;
    assert_eq!(again["removed"], true);

    // Removed ones are listed unless `removed=false` (Dwolla's default is `true`).
    let all = get_json(&client, &list_url, &token).await;
    assert_eq!(all["total"], 2);
    let resp = get(&client, &format!("{list_url}?removed=false"), &token).await;
    let (_, _, active) = conforms(&spec, "/customers/{id}/funding-sources", "get", resp).await;
    let active = active["_embedded"]["funding-sources"].as_array().unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0]["_links"]["self"]["href"], card_url);

    // A removed one cannot be changed; bad bodies are refused; a card is not renamed.
    let resp = post(&client, &bank_url, &token, &json!({ "removed": true })).await;
    let (status, _, body) = conforms(&spec, "/funding-sources/{id}", "post", resp).await;
    assert_eq!(status, 403);
    assert_eq!(body["code"], "InvalidResourceState");
    assert_eq!(body["message"], "A removed bank cannot be updated.");
    let resp = post(&client, &card_url, &token, &json!({ "removed": false })).await;
    let (status, _, body) = conforms(&spec, "/funding-sources/{id}", "post", resp).await;
    assert_eq!(status, 400);
    assert_eq!(body["_embedded"]["errors"][0]["path"], "/removed");
    let resp = post(&client, &card_url, &token, &json!({ "name": "New" })).await;
    let (status, _, body) = conforms(&spec, "/funding-sources/{id}", "post", resp).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "Only funding sources of type='bank' can be updated."
    );
    let resp = post(
        &client,
        &format!("{}/funding-sources/{}", sim.url, uuid::Uuid::new_v4()),
        &token,
        &json!({ "removed": true }),
    )
    .await;
    assert_eq!(resp.status(), 404);
    let resp = post(&client, &card_url, &token, &json!({ "removed": true })).await;
    assert_eq!(resp.status(), 200);

    // An unknown customer's list is the document's 404.
    let resp = get(&client, &unknown_customer(&sim, "funding-sources"), &token).await;
    let (status, _, body) = conforms(&spec, "/customers/{id}/funding-sources", "get", resp).await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "notFound");
    assert_eq!(body["message"], "Customer not found.");
}

#[tokio::test]
async fn the_same_bank_account_twice_is_dwollas_duplicate_resource() {
    let Some(spec) = openapi() else { return };
    let (sim, client, token, customer) = setup().await;
    let first =
        location(&plaid_funding_source(&sim, &client, &token, &customer, Some("acct-1")).await);
    let resp = plaid_funding_source(&sim, &client, &token, &customer, Some("acct-1")).await;
    let (status, _, dup) = conforms(&spec, "/customers/{id}/funding-sources", "post", resp).await;
    assert_eq!(status, 400);
    let first_id = first.rsplit('/').next().unwrap();
    // The document's DuplicateResourceSchema, exactly.
    let schema = json!({ "$ref": "#/components/schemas/DuplicateResourceSchema" });
    assert_eq!(validate(&spec, &schema, &dup), Vec::<String>::new());
    assert_eq!(dup["code"], "DuplicateResource");
    assert_eq!(
        dup["message"],
        format!("Bank already exists: id={first_id}")
    );
    assert_eq!(dup["_links"]["about"]["href"], first);
    assert_eq!(dup["_links"]["about"]["resource-type"], "funding-source");

    // Another account, or the same account of another customer, is no duplicate.
    location(&plaid_funding_source(&sim, &client, &token, &customer, Some("acct-2")).await);
    let other = sim
        .simulator
        .create_customer("Bob", "Ng", "bob.dup@example.com");
    location(&plaid_funding_source(&sim, &client, &token, &other, Some("acct-1")).await);
    // Once removed, the account can be linked again.
    let resp = post(&client, &first, &token, &json!({ "removed": true })).await;
    assert_eq!(resp.status(), 200);
    location(&plaid_funding_source(&sim, &client, &token, &customer, Some("acct-1")).await);
}

#[tokio::test]
async fn visa_is_listed_on_request_and_needs_an_https_redirect_url() {
    let Some(spec) = openapi() else { return };
    let (sim, client, token, customer) = setup().await;
    let partners_url = format!("{}/exchange-partners", sim.url);
    let partners = get_json(&client, &partners_url, &token).await;
    assert_eq!(partners["total"], 5);
    assert!(!partners.to_string().contains("\"Visa\""));

    let put = |body: Value| {
        let client = client.clone();
        let url = format!("{}/sim/account", sim.url);
        async move {
            let resp = client.put(url).json(&body).send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let (status, settings) = put(json!({
        "partners": ["Finicity", "MX", "Plaid", "Flinks", "Checkout.com", "Visa"],
        "redirectUrls": ["com.example.app", "https://example.com/app", "http://example.com/app"],
    }))
    .await;
    assert_eq!(status, 200);
    assert_eq!(settings["partners"][5], "Visa");
    let resp = get(&client, &partners_url, &token).await;
    let mut spec_visa = spec.clone();
    if let Some(names) = spec_visa
        .pointer_mut("/components/schemas/ExchangePartner/properties/name/enum")
        .and_then(Value::as_array_mut)
    {
        names.extend([json!("Checkout.com"), json!("Visa")]);
    }
    let (_, _, list) = conforms(&spec_visa, "/exchange-partners", "get", resp).await;
    assert_eq!(list["total"], 6);
    let visa = partner_in(&list, "Visa");
    assert_eq!(get_json(&client, &visa, &token).await["name"], "Visa");

    let sessions = format!("{}/customers/{customer}/exchange-sessions", sim.url);
    let allowed = session_body(&visa, Some("https://example.com/app"));
    // Listed but not enabled: Dwolla's 403.
    let resp = post(&client, &sessions, &token, &allowed).await;
    let (status, _, body) =
        conforms(&spec, "/customers/{id}/exchange-sessions", "post", resp).await;
    assert_eq!(status, 403);
    assert_eq!(
        body["message"],
        "Exchange sessions with this exchange partner are not enabled for your account"
    );
    let (status, _) =
        put(json!({ "enabledPartners": ["MX", "Plaid", "Checkout.com", "Visa"] })).await;
    assert_eq!(status, 200);

    // No redirect URL, a package name, plain http: "/_links/redirect-url/href is invalid".
    for redirect in [
        None,
        Some("com.example.app"),
        Some("http://example.com/app"),
    ] {
        let resp = post(&client, &sessions, &token, &session_body(&visa, redirect)).await;
        let (status, _, body) =
            conforms(&spec, "/customers/{id}/exchange-sessions", "post", resp).await;
        assert_eq!(status, 400, "{redirect:?}");
        assert_eq!(body["code"], "ValidationError");
        assert_eq!(
            body["_embedded"]["errors"][0]["message"],
            "/_links/redirect-url/href is invalid"
        );
        assert_eq!(
            body["_embedded"]["errors"][0]["path"],
            "/_links/redirect-url/href"
        );
    }
    // An https URL not configured for the account.
    let resp = post(
        &client,
        &sessions,
        &token,
        &session_body(&visa, Some("https://other.example.com/app")),
    )
    .await;
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["_embedded"]["errors"][0]["message"],
        "The provided redirect URL must exactly match one of the configured URLs for the account"
    );
    // A configured https URL: a session with a web page to open, like MX.
    let resp = post(&client, &sessions, &token, &allowed).await;
    let session_url = location(&resp);
    let resp = get(&client, &session_url, &token).await;
    let (status, _, session) = conforms(&spec, "/exchange-sessions/{id}", "get", resp).await;
    assert_eq!(status, 200);
    let page = &session["_links"]["external-provider-session"];
    assert!(page["href"].as_str().unwrap().starts_with("https://"));
    assert_eq!(page["resource-type"], "text/html");
    assert_eq!(session["_links"]["exchange-partner"]["href"], visa);
    assert!(session.get("externalProviderSessionToken").is_none());

    // Unlisted again: Visa is unknown, its href invalid.
    let (status, _) = put(json!({ "partners": ["MX", "Plaid"] })).await;
    assert_eq!(status, 200);
    let resp = post(&client, &sessions, &token, &allowed).await;
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["_embedded"]["errors"][0]["message"],
        "/_links/exchange-partner/href is invalid"
    );
    assert_eq!(get(&client, &visa, &token).await.status(), 404);
    let list = get_json(&client, &partners_url, &token).await;
    assert_eq!(list["total"], 2);
}
