//! No secret in output: every log record of a full flow (at Trace), every error's message and
//! Debug, and every printed session are searched for the tokens and secrets seen in the run.

mod support;

use std::sync::{Arc, Mutex};

use iav_bridge::{
    set_log_sink, BankAccountType, BridgeClient, BridgeConfig, Environment, ExchangeSession,
    LogLevel, LogRecord, LogSink, Platform,
};
use sample_backend::{start_stack, StackOptions};
use support::Tokens;

struct Capture(Mutex<Vec<LogRecord>>);

impl LogSink for Capture {
    fn log(&self, record: LogRecord) {
        self.0.lock().unwrap().push(record);
    }
}

#[tokio::test]
async fn no_token_or_secret_reaches_logs_errors_or_printed_forms() {
    let capture = Arc::new(Capture(Mutex::new(Vec::new())));
    set_log_sink(capture.clone(), LogLevel::Trace);

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

    // Errors that involve secrets: a reused public token, a malformed one.
    let err = client
        .complete_plaid_link("me".into(), public.clone())
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
    if let ExchangeSession::CheckoutPayment { session } = &checkout {
        secrets.push(session.payment_session_secret());
        secrets.push(session.payment_session_token());
    } else {
        panic!("{checkout:?}");
    }
    printed.push(format!("{checkout:?}"));

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

    let records = capture.0.lock().unwrap().clone();
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
