//! No secret in output: every log record of a full flow (at Trace), every error's message and
//! Debug, and every printed session are searched for the tokens and secrets seen in the run:
//! the app's bearer tokens, Plaid's link and public tokens, Checkout.com's payment session
//! secret and token and its card tokens, MX's available connection tokens, and card details
//! beyond the last four digits (a BIN, a whole card number a backend might send by mistake).

mod support;

use std::sync::Arc;

use iav_bridge::{
    AccessTokenProvider, BankAccountType, BillingAddress, BridgeClient, BridgeConfig, Environment,
    ExchangeSession, LogLevel, Platform,
};
use sample_backend::{start_stack, StackOptions};
use support::logs::capture;
use support::{FakeServer, Reply, Tokens};

fn billing_address() -> BillingAddress {
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

/// A web client of the loopback server at `url` (plain HTTP allowed) retrying at most `retries`
/// times.
fn web_client(
    url: &str,
    retries: u32,
    tokens: Option<Arc<dyn AccessTokenProvider>>,
) -> Arc<BridgeClient> {
    let mut cfg = BridgeConfig::new(url, Platform::Web, Environment::Sandbox);
    cfg.allow_insecure_http = true;
    cfg.max_retries = retries;
    BridgeClient::new(cfg, tokens).unwrap()
}

/// The printed error of `create_card_funding_source` for customer `c1` with `card_token`.
async fn card_funding_source_error(client: &BridgeClient, card_token: &str) -> String {
    let err = client
        .create_card_funding_source(
            "c1".into(),
            card_token.into(),
            "Debit".into(),
            billing_address(),
        )
        .await
        .unwrap_err();
    format!("{err} {err:?}")
}

/// Dwolla's list of one available MX connection whose token is `token`.
fn mx_connections(token: &str) -> Reply {
    Reply::json(
        200,
        &format!(
            r#"{{"_embedded":{{"available-exchange-connections":[{{"availableConnectionToken":"{token}","name":"XYZ Checking"}}]}}}}"#
        ),
    )
}

#[tokio::test]
async fn no_token_or_secret_reaches_logs_errors_or_printed_forms() {
    let capture = capture();

    let stack = start_stack(StackOptions::default()).await.unwrap();
    let bearer = stack.user("alice").unwrap().token.clone();
    let stale = "stale-bearer-7f3a9c".to_string();
    // A stale token first, so the 401 refresh path is logged too.
    let tokens = Tokens::new(vec![Ok(stale.clone()), Ok(bearer.clone())]);
    let mut cfg = BridgeConfig::new(
        &stack.backend_url,
        Platform::Android {
            package_name: "com.example.app".into(),
        },
        Environment::Sandbox,
    );
    cfg.allow_insecure_http = true;
    let client = BridgeClient::new(cfg, Some(tokens)).unwrap();

    let mut secrets = vec![bearer.clone(), stale.clone()];
    let mut printed = Vec::new();

    let session = client.start_plaid_link("me".into()).await.unwrap();
    secrets.push(session.link_token());
    printed.push(format!("{session} {session:?}"));

    let public = stack
        .simulator
        .complete_plaid_link(&session.link_token())
        .unwrap();
    secrets.push(public.clone());
    let exchange = client
        .complete_plaid_link("me".into(), public.clone())
        .await
        .unwrap();
    printed.push(format!("{exchange:?}"));

    // The pending completion (its exchange known, its funding source not yet) and what
    // resuming it says.
    printed.push(format!("{:?}", client.pending_completions().await.unwrap()));
    printed.push(format!("{:?}", client.resume_pending().await.unwrap()));

    // Errors that involve secrets: a reused public token (another request with it: the
    // customer named by its id, so another key), a malformed one.
    let alice_id = stack.user("alice").unwrap().customer_id.clone();
    let err = client
        .complete_plaid_link(alice_id.clone(), public.clone())
        .await
        .unwrap_err();
    printed.push(format!("{err} {err:?}"));
    let err = client
        .complete_plaid_link("me".into(), format!("{public} x"))
        .await
        .unwrap_err();
    printed.push(format!("{err} {err:?}"));

    let fs = client
        .create_funding_source(
            "me".into(),
            exchange.id,
            BankAccountType::Checking,
            "Main".into(),
        )
        .await
        .unwrap();
    printed.push(format!("{fs:?}"));

    let url = client
        .create_exchange_session("me".into(), "Checkout.com".into())
        .await
        .unwrap();
    let checkout = client.exchange_session(url).await.unwrap();
    let payment_session_id = if let ExchangeSession::CheckoutPayment { session } = &checkout {
        secrets.push(session.payment_session_secret());
        secrets.push(session.payment_session_token());
        session.id()
    } else {
        panic!("{checkout:?}");
    };
    printed.push(format!("{checkout:?}"));

    // Checkout.com's card token to a card funding source, then the token again (refused) and
    // malformed (refused before any request).
    let card_token = stack
        .simulator
        .complete_checkout_payment(&payment_session_id)
        .unwrap();
    secrets.push(card_token.clone());
    let card = client
        .create_card_funding_source(
            "me".into(),
            card_token.clone(),
            "Debit".into(),
            billing_address(),
        )
        .await
        .unwrap();
    printed.push(format!("{card:?}"));
    // (The same request repeated replays the card; "Debit again" is another request.)
    for token in [card_token.clone(), format!("{card_token} x")] {
        let err = client
            .create_card_funding_source("me".into(), token, "Debit again".into(), billing_address())
            .await
            .unwrap_err();
        printed.push(format!("{err} {err:?}"));
    }

    // MX Connect to an exchange, then the used connection again.
    let url = client
        .create_exchange_session("me".into(), "MX".into())
        .await
        .unwrap();
    let mx_token = stack
        .simulator
        .complete_mx_session(url.rsplit('/').next().unwrap())
        .unwrap();
    secrets.push(mx_token.clone());
    let connection = client.mx_connections("me".into()).await.unwrap().remove(0);
    printed.push(format!("{connection} {connection:?} {connection:#?}"));
    let mx_exchange = client
        .complete_mx_connection("me".into(), connection.clone())
        .await
        .unwrap();
    printed.push(format!("{mx_exchange:?}"));
    let err = client
        .complete_mx_connection(alice_id.clone(), connection)
        .await
        .unwrap_err();
    printed.push(format!("{err} {err:?}"));

    // The accounts screen: list, remove.
    let list = client.funding_sources("me".into()).await.unwrap();
    printed.push(format!("{list:?}"));
    let removed = client.remove_funding_source(card.id).await.unwrap();
    printed.push(format!("{removed:?}"));

    let url = client
        .create_exchange_session("me".into(), "Plaid".into())
        .await
        .unwrap();
    let plaid = client.exchange_session(url).await.unwrap();
    if let ExchangeSession::PlaidLink { session } = &plaid {
        secrets.push(session.link_token());
    }
    printed.push(format!("{plaid:?}"));
    printed.push(format!("{client:?}"));

    let records = capture.records();
    assert!(
        records.len() >= 10,
        "the sink received {} records",
        records.len()
    );
    assert!(records
        .iter()
        .any(|r| r.level == LogLevel::Info && r.target.starts_with("iav_bridge")));
    assert!(
        records.iter().any(|r| r.message.contains("401")),
        "the refresh is logged"
    );
    for secret in &secrets {
        assert!(secret.len() >= 8, "{}", secret.len());
        for r in &records {
            assert!(
                !r.message.contains(secret.as_str()),
                "a log record holds a secret: {}",
                r.target
            );
        }
        for p in &printed {
            assert!(
                !p.contains(secret.as_str()),
                "a printed form holds a secret"
            );
        }
    }
}

/// Card details beyond the last four digits never leave the library: a BIN and a name on the
/// card in a backend's answer, and a whole card number sent where the last four belong; nor a
/// card token or an MX token that a server echoes back without any recognizable prefix.
#[tokio::test]
async fn card_details_and_echoed_tokens_stay_out_of_records_logs_and_errors() {
    const PAN: &str = "4024764412341519";
    const BIN: &str = "40247644";
    const CARD_TOKEN: &str = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";
    const MX_TOKEN: &str = "QUNULTIwMWNhZDNjLWM3NmItNDdjNQ";
    let capture = capture();
    let server = FakeServer::start(Arc::new(|req, _| {
        let base = req.base();
        let card = |id: &str, last_four: &str| {
            format!(
                r#"{{"_links":{{"self":{{"href":"{base}funding-sources/{id}"}}}},"id":"{id}","status":"verified","type":"card","name":"Debit","created":"2025-12-10T18:02:47.985Z","removed":false,"cardDetails":{{"brand":"VISA","lastFour":"{last_four}","expirationMonth":10,"expirationYear":2027,"nameOnCard":"Jane Q Cardholder","bin":"{BIN}","billingAddress":{{"address1":"552 Test St","city":"Des Moines","stateProvinceRegion":"IA","country":"US","postalCode":"50310"}}}}}}"#
            )
        };
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/customers/c1/funding-sources?removed=false") => Reply::json(
                200,
                &format!(r#"{{"_embedded":{{"funding-sources":[{}]}}}}"#, card("fs-1", "1519")),
            ),
            ("GET", "/customers/c2/funding-sources?removed=false") => Reply::json(
                200,
                &format!(r#"{{"_embedded":{{"funding-sources":[{}]}}}}"#, card("fs-2", PAN)),
            ),
            ("GET", "/exchange-partners") => Reply::json(200, &support::partners_body(&base)),
            ("GET", "/customers/c1/available-exchange-connections") => mx_connections(MX_TOKEN),
            ("POST", "/customers/c1/exchanges") => Reply::json(
                400,
                &format!(r#"{{"code":"InvalidExchangeToken","message":"not valid: {MX_TOKEN}"}}"#),
            ),
            ("POST", "/customers/c1/funding-sources") => Reply::json(
                400,
                &format!(
                    r#"{{"code":"ValidationError","message":"Validation error(s) present.","_embedded":{{"errors":[{{"code":"Invalid","message":"The card data is invalid: {CARD_TOKEN}","path":"/cardToken"}}]}}}}"#
                ),
            ),
            _ => Reply::json(404, r#"{"code":"NotFound","message":"not found"}"#),
        }
    }))
    .await;
    let client = web_client(&server.url, 0, None);

    let mut printed = Vec::new();
    let list = client.funding_sources("c1".into()).await.unwrap();
    assert_eq!(list[0].card.as_ref().unwrap().last_four, "1519");
    printed.push(format!("{list:?} {list:#?}"));
    let err = client.funding_sources("c2".into()).await.unwrap_err();
    printed.push(format!("{err} {err:?}"));
    printed.push(card_funding_source_error(&client, CARD_TOKEN).await);
    let connection = client.mx_connections("c1".into()).await.unwrap().remove(0);
    printed.push(format!("{connection} {connection:?}"));
    let err = client
        .complete_mx_connection("c1".into(), connection)
        .await
        .unwrap_err();
    printed.push(format!("{err} {err:?}"));

    let records = capture.records();
    assert!(records
        .iter()
        .any(|r| r.message.contains("funding_sources")));
    for secret in [PAN, BIN, CARD_TOKEN, MX_TOKEN, "Jane Q Cardholder"] {
        for p in &printed {
            assert!(!p.contains(secret), "a printed form holds {secret}: {p}");
        }
        for r in &records {
            assert!(
                !r.message.contains(secret),
                "a log record holds {secret}: {}",
                r.message
            );
        }
    }
}

/// A backend that echoes secrets in its error texts (issue 11, finding 4): the app's bearer
/// token (opaque, no known prefix), a Checkout.com secret and MX, card and Plaid tokens in any
/// letter case, and a raw token-shaped value. None reaches an error's Display or Debug or a
/// log record at Trace: not from a 400 (a Validation), a 401 (after the one refresh, both the
/// stale and the fresh token), nor a 503 (retried, so it reaches the Warn retry line too).
#[tokio::test]
async fn secrets_a_backend_echoes_in_its_error_text_stay_out_of_errors_and_logs() {
    const BEARER: &str = "a-long-random-app-token";
    const STALE: &str = "an-expired-opaque-app-token";
    const PSS: &str = "pss_9823241e-2cec-4c98-b23d-56ad1ba6d6d2";
    const PSS_UPPER: &str = "PSS_7A1B2C3D4E5F";
    const TOK: &str = "Tok_4gzeau5o2uqubbk6fufs3m7p54";
    const LINK: &str = "LINK-sandbox-4b3e2a10-0000-4000-8000-000000000009";
    const BEARER_WORD: &str = "BEARER xk81_opaque-value";
    const RAW: &str = "Zk3q9XbT0pLw7RmVnC2sYhJ8dE5fGu";
    let capture = capture();
    let echo = format!(
        "refused for {BEARER} (bearer {BEARER}) with secret {PSS} and {PSS_UPPER}; card {TOK}, link {LINK}; header {BEARER_WORD}; raw {RAW}"
    );
    let server = FakeServer::start(Arc::new(move |req, _| {
        let body = |code: &str, message: &str| {
            serde_json::json!({
                "code": code,
                "message": message.to_ascii_uppercase(),
                "_embedded": {"errors": [{"code": "Invalid", "message": message, "path": format!("/x/{BEARER}")}]},
            })
            .to_string()
        };
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/exchange-partners") => Reply::json(200, &support::partners_body(&req.base())),
            ("POST", "/customers/c400/exchange-sessions") => {
                Reply::json(400, &body("ValidationError", &echo))
            }
            // Both tokens of the call: the stale one, then the one fresh token.
            ("POST", "/customers/c401/exchange-sessions") => Reply::json(
                401,
                &body(STALE, &format!("neither {STALE} nor {BEARER}: {echo}")),
            ),
            _ => Reply::json(503, &body("ServiceUnavailable", &echo)),
        }
    }))
    .await;
    // The partner list and c400's POST, then c401's POST (stale, then fresh), then c503's.
    let tokens = Tokens::new(vec![
        Ok(BEARER.into()),
        Ok(BEARER.into()),
        Ok(STALE.into()),
        Ok(BEARER.into()),
    ]);
    let client = web_client(&server.url, 1, Some(tokens));

    let mut printed = Vec::new();
    for customer in ["c400", "c401", "c503"] {
        let err = client
            .create_exchange_session(customer.into(), "Plaid".into())
            .await
            .unwrap_err();
        printed.push(format!("{err} {err:?} {err:#?}"));
    }
    assert!(printed[0].contains("Validation"), "{}", printed[0]);
    assert!(printed[1].contains("Unauthorized"), "{}", printed[1]);
    assert!(printed[2].contains("503"), "{}", printed[2]);
    let sent: Vec<_> = server
        .recorded()
        .iter()
        .map(|r| r.header("Authorization").unwrap_or("").to_string())
        .collect();
    assert_eq!(
        sent.iter().filter(|a| a.ends_with(STALE)).count(),
        1,
        "{sent:?}"
    );

    let records = capture.records();
    assert!(
        records
            .iter()
            .any(|r| r.level == LogLevel::Warn && r.message.contains("retry 1 of 1")),
        "the 503 is retried"
    );
    let secrets = [
        BEARER,
        STALE,
        PSS,
        PSS_UPPER,
        TOK,
        LINK,
        "xk81_opaque-value",
        RAW,
    ];
    for secret in secrets {
        for r in &records {
            assert!(
                !r.message
                    .to_ascii_lowercase()
                    .contains(&secret.to_ascii_lowercase()),
                "a {:?} log record holds {secret}: {}",
                r.level,
                r.message
            );
        }
        for p in &printed {
            assert!(
                !p.to_ascii_lowercase()
                    .contains(&secret.to_ascii_lowercase()),
                "an error holds {secret}: {p}"
            );
        }
    }
    // The library's own words and the harmless part of the server's text stay.
    assert!(
        printed[0].contains("refused for <redacted>"),
        "{}",
        printed[0]
    );
}

/// A card token and an MX connection token that are not token-shaped (short dotted parts, no
/// known prefix), echoed by a backend right where an error's text is cut to length: no
/// beginning of either is left in the error or a log record. They are redacted as the secrets
/// of the request, before the cut.
#[tokio::test]
async fn request_secrets_straddling_the_length_cut_leave_no_beginning() {
    const CARD_TOKEN: &str = "card.7f3a-91bc.d2e4";
    const MX_TOKEN: &str = "mx.51c0-aa.77";
    let capture = capture();
    let server = FakeServer::start(Arc::new(|req, _| {
        let base = req.base();
        // 296 characters before the token: the 300-character cut falls inside it.
        let pad = "x".repeat(296);
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/exchange-partners") => Reply::json(200, &support::partners_body(&base)),
            ("GET", "/customers/c1/available-exchange-connections") => mx_connections(MX_TOKEN),
            ("POST", "/customers/c1/exchanges") => Reply::json(
                400,
                &format!(r#"{{"code":"InvalidExchangeToken","message":"{pad} {MX_TOKEN}"}}"#),
            ),
            ("POST", "/customers/c1/funding-sources") => Reply::json(
                400,
                &format!(r#"{{"code":"ValidationError","message":"{pad} {CARD_TOKEN}"}}"#),
            ),
            _ => Reply::json(404, r#"{"code":"NotFound","message":"not found"}"#),
        }
    }))
    .await;
    let client = web_client(&server.url, 0, None);

    let mut printed = Vec::new();
    printed.push(card_funding_source_error(&client, CARD_TOKEN).await);
    let connection = client.mx_connections("c1".into()).await.unwrap().remove(0);
    let err = client
        .complete_mx_connection("c1".into(), connection)
        .await
        .unwrap_err();
    printed.push(format!("{err} {err:?}"));
    assert!(printed.iter().all(|p| p.contains("xxxx")), "{printed:?}");
    let records = capture.records();
    // The first 5 characters of each token are the beginning a cut would leave.
    for beginning in ["card.", "mx.51"] {
        for p in &printed {
            assert!(
                !p.contains(beginning),
                "a printed form holds {beginning}: {p}"
            );
        }
        for r in &records {
            assert!(
                !r.message.contains(beginning),
                "a log record holds {beginning}: {}",
                r.message
            );
        }
    }
}
