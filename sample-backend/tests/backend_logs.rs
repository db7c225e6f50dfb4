//! No secret reaches the log: a capturing logger records every record of every crate (trace
//! level) during a full run, and the tokens, key and secret seen in that run are searched for.

mod support;

use std::sync::Mutex;

use dwolla_simulator::{Fault, SimulatorConfig};
use log::{LevelFilter, Log, Metadata, Record};
use sample_backend::{start_stack, StackOptions};
use serde_json::json;
use support::backend::*;
use support::*;

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl Log for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &Record<'_>) {
        LINES.lock().unwrap().push(format!(
            "{} {}: {}",
            record.level(),
            record.target(),
            record.args()
        ));
    }
    fn flush(&self) {}
}

/// Runs of at least `n` ASCII letters and digits (the simulator's access tokens are 50 of them).
fn long_alnum_runs(text: &str, n: usize) -> Vec<String> {
    text.split(|ch: char| !ch.is_ascii_alphanumeric())
        .filter(|w| w.len() >= n)
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_is_ever_logged() {
    log::set_logger(&Capture).unwrap();
    log::set_max_level(LevelFilter::Trace);

    let key = "sim-key-LOGCHECK-1a2b3c";
    let secret = "sim-secret-LOGCHECK-4d5e6f";
    let s = start_stack(StackOptions {
        simulator: SimulatorConfig {
            client_key: key.into(),
            client_secret: secret.into(),
            ..SimulatorConfig::default()
        },
        ..StackOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let b = &s.backend_url;
    let mut secrets: Vec<String> = vec![
        key.into(),
        secret.into(),
        "demo-alice".into(),
        "demo-bob".into(),
    ];
    let mut answers = Vec::new();

    // The whole flow for both users, a refresh after expiry, and error paths.
    for token in ["demo-alice", "demo-bob"] {
        let (session, exchange, fs) = plaid_flow(&c, &s, token).await;
        secrets.push(
            session.body["externalProviderSessionToken"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        answers.extend([session.text, exchange.text, fs.text]);
    }
    // MX: the available-connection token; Checkout.com: the card token; the accounts routes.
    let mx = partner_href(&c, b, "demo-alice", "MX").await;
    let mx_session = post(
        &c,
        &format!("{b}customers/me/exchange-sessions"),
        "demo-alice",
        &session_body(&mx, None),
        None,
    )
    .await;
    let mx_id = mx_session.header("location").unwrap();
    let connection = s
        .simulator
        .complete_mx_session(mx_id.rsplit('/').next().unwrap())
        .unwrap();
    secrets.push(connection.clone());
    let list = get(
        &c,
        &format!("{b}customers/me/available-exchange-connections"),
        Some("demo-alice"),
    )
    .await;
    assert_eq!(list.status, 200);
    let mx_exchange = json!({"_links": {"exchange-partner": {"href": mx}}, "mx": {"availableConnectionToken": connection}});
    for _ in 0..2 {
        let a = post(
            &c,
            &format!("{b}customers/me/exchanges"),
            "demo-alice",
            &mx_exchange,
            None,
        )
        .await;
        answers.push(a.text);
    }
    let co = session(&c, &s, "demo-alice", "Checkout.com", None).await;
    let data = &co.body["externalProviderSessionData"];
    for field in ["payment_session_secret", "payment_session_token"] {
        secrets.push(data[field].as_str().unwrap().to_string());
    }
    let card = s
        .simulator
        .complete_checkout_payment(data["id"].as_str().unwrap())
        .unwrap();
    secrets.push(card.clone());
    let card_body = json!({"cardToken": card, "name": "Card", "cardDetails": {"billingAddress": {
        "address1": "1 Main St", "city": "Dallas", "stateProvinceRegion": "TX", "country": "US", "postalCode": "75001"}}});
    let mut invalid = card_body.clone();
    invalid["cardDetails"]["billingAddress"]["country"] = json!("XX");
    for body in [&invalid, &card_body, &card_body] {
        let a = post(
            &c,
            &format!("{b}customers/me/funding-sources"),
            "demo-alice",
            body,
            None,
        )
        .await;
        answers.push(a.text);
    }
    let list = get(
        &c,
        &format!("{b}customers/me/funding-sources"),
        Some("demo-alice"),
    )
    .await;
    let card_fs = list.body["_embedded"]["funding-sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["type"] == "card")
        .unwrap()["_links"]["self"]["href"]
        .as_str()
        .unwrap()
        .to_string();
    let removed = post(&c, &card_fs, "demo-alice", &json!({"removed": true}), None).await;
    assert_eq!(removed.status, 200, "{}", removed.text);
    answers.extend([list.text, removed.text]);
    // Neither the card token nor the connection token comes back in an answer that is not
    // the connections list.
    for a in &answers {
        assert_no_secret(a, &[&card, &connection]);
    }

    s.simulator.expire_tokens();
    let plaid = partner_href(&c, b, "demo-alice", "Plaid").await;
    let session = post(
        &c,
        &format!("{b}customers/me/exchange-sessions"),
        "demo-alice",
        &session_body(&plaid, Some("https://example.com/app")),
        None,
    )
    .await;
    let link = session.body["externalProviderSessionToken"]
        .as_str()
        .unwrap()
        .to_string();
    let public = s.simulator.complete_plaid_link(&link).unwrap();
    secrets.push(link);
    secrets.push(public.clone());
    // An exchange refused by Dwolla: the public token must not come back in the log.
    let bad = post(
        &c,
        &format!("{b}customers/me/exchanges"),
        "demo-alice",
        &json!({"_links": {"exchange-partner": {"href": plaid}}, "plaid": {"publicToken": format!("{public}-x")}}),
        None,
    )
    .await;
    assert!(bad.status.is_client_error(), "{}", bad.text);
    answers.push(bad.text);
    let wrong = "wrong-bearer-ZYXWV";
    secrets.push(wrong.into());
    answers.push(
        get(&c, &format!("{b}exchange-partners"), Some(wrong))
            .await
            .text,
    );
    s.simulator
        .add_fault(Fault::respond("/exchange-partners", 500));
    answers.push(
        get(&c, &format!("{b}exchange-partners"), Some("demo-bob"))
            .await
            .text,
    );

    assert!(s.simulator.token_requests() >= 2);
    let debug = format!("{s:?} {:?} {:?}", s.users, s.backend());
    drop(s);
    let lines = LINES.lock().unwrap().clone();
    let log = lines.join("\n");
    assert!(
        log.contains("POST /customers/me/exchange-sessions -> 201"),
        "{log}"
    );
    assert!(
        log.contains("GET /customers/me/funding-sources -> 200"),
        "{log}"
    );
    assert!(log.contains("dwolla POST /token -> 200"), "{log}");
    for sec in &secrets {
        assert!(!log.contains(sec.as_str()), "log holds a secret:\n{log}");
        assert!(
            !debug.contains(sec.as_str()),
            "Debug holds a secret: {debug}"
        );
    }
    for a in &answers {
        for sec in [key, secret, "demo-alice", "demo-bob", wrong] {
            assert!(!a.contains(sec), "answer holds a secret: {a}");
        }
    }
    let runs = long_alnum_runs(&log, 30);
    assert!(runs.is_empty(), "token-like strings in the log: {runs:?}");
    assert!(!log.to_ascii_lowercase().contains("bearer "), "{log}");
    assert!(!log.to_ascii_lowercase().contains("basic "), "{log}");
}
