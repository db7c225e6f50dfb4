//! The whole flow against the sample-backend and its Dwolla simulator on loopback: Plaid on
//! each platform, MX and Checkout.com sessions, completing Link, funding sources, re-auth, and
//! the server's errors as typed errors.

mod support;

use std::sync::Arc;

use iav_bridge::{
    BankAccountType, BridgeClient, BridgeConfig, BridgeError, Environment, ExchangeSession,
    Platform,
};
use sample_backend::{start_stack, Stack, StackOptions};
use support::Tokens;

fn android() -> Platform {
    Platform::Android {
        package_name: "com.example.app".into(),
    }
}

fn ios() -> Platform {
    Platform::Ios {
        redirect_url: "https://example.com/app".into(),
    }
}

async fn stack() -> Stack {
    start_stack(StackOptions::default()).await.unwrap()
}

fn client_as(stack: &Stack, user: &str, platform: Platform) -> Arc<BridgeClient> {
    let token = stack.user(user).unwrap().token.clone();
    let mut cfg = BridgeConfig::new(&stack.backend_url, platform, Environment::Sandbox);
    cfg.allow_insecure_http = true;
    BridgeClient::new(cfg, Some(Tokens::always(token))).unwrap()
}

#[tokio::test]
async fn plaid_flow_on_every_platform_to_a_funding_source() {
    let stack = stack().await;
    for (i, platform) in [android(), ios(), Platform::Web].into_iter().enumerate() {
        let client = client_as(&stack, "alice", platform.clone());
        let session = client.start_plaid_link("me".into()).await.unwrap();
        let token = session.link_token();
        assert!(token.starts_with("link-sandbox-"), "{platform:?}");
        assert!(session.session_url().starts_with(&stack.backend_url));
        assert!(!session.created().is_empty());

        let public_token = stack
            .simulator
            .complete_plaid_link(&token)
            .expect("known link token");
        let exchange = client
            .complete_plaid_link("me".into(), public_token)
            .await
            .unwrap();
        assert_eq!(exchange.status, "active");
        assert!(
            exchange.url.starts_with(&stack.backend_url),
            "{}",
            exchange.url
        );
        assert!(exchange.url.ends_with(&exchange.id));

        let name = format!("Checking {i}");
        let fs = client
            .create_funding_source(
                "me".into(),
                exchange.id.clone(),
                BankAccountType::Checking,
                name.clone(),
            )
            .await
            .unwrap();
        assert_eq!(fs.name, name);
        assert!(fs.url.starts_with(&stack.backend_url), "{}", fs.url);

        // A second funding source from the same exchange is Dwolla's duplicate, typed.
        let dup = client
            .create_funding_source(
                "me".into(),
                exchange.id,
                BankAccountType::Savings,
                "Again".into(),
            )
            .await
            .unwrap_err();
        match &dup {
            BridgeError::DuplicateFundingSource { existing_id } => assert!(
                existing_id.is_none() || existing_id.as_deref() == Some(fs.id.as_str()),
                "{dup:?}"
            ),
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn a_redirect_value_not_configured_for_the_account_is_refused() {
    let stack = stack().await;
    let other = Platform::Android {
        package_name: "com.other.app".into(),
    };
    let err = client_as(&stack, "alice", other)
        .start_plaid_link("me".into())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BridgeError::RedirectUrlNotAllowed { detail } if detail.contains("must exactly match one of the configured URLs")),
        "{err:?}"
    );
    // Byte for byte: a trailing slash is another URL.
    let slash = Platform::Ios {
        redirect_url: "https://example.com/app/".into(),
    };
    let err = client_as(&stack, "alice", slash)
        .start_plaid_link("me".into())
        .await
        .unwrap_err();
    assert!(
        matches!(err, BridgeError::RedirectUrlNotAllowed { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn mx_and_checkout_sessions() {
    let stack = stack().await;
    let client = client_as(&stack, "bob", ios());
    let url = client
        .create_exchange_session("me".into(), "MX".into())
        .await
        .unwrap();
    assert!(url.starts_with(&stack.backend_url));
    match client.exchange_session(url.clone()).await.unwrap() {
        ExchangeSession::WebRedirect {
            session_url,
            url: page,
        } => {
            assert_eq!(session_url, url);
            assert!(page.starts_with("https://"), "{page}");
        }
        other => panic!("{other:?}"),
    }

    let url = client
        .create_exchange_session("me".into(), "Checkout.com".into())
        .await
        .unwrap();
    match client.exchange_session(url).await.unwrap() {
        ExchangeSession::CheckoutPayment { session } => {
            assert!(!session.id().is_empty());
            let secret = session.payment_session_secret();
            let token = session.payment_session_token();
            assert!(!secret.is_empty() && !token.is_empty());
            let printed = format!("{session} {session:?}");
            assert!(
                !printed.contains(&secret) && !printed.contains(&token),
                "{printed}"
            );
        }
        other => panic!("{other:?}"),
    }

    let partners = client.exchange_partners().await.unwrap();
    let names: Vec<_> = partners.iter().map(|p| p.name.as_str()).collect();
    for n in ["MX", "Plaid", "Checkout.com"] {
        assert!(names.contains(&n), "{names:?}");
    }
    assert!(partners
        .iter()
        .all(|p| p.href.starts_with(&stack.backend_url)));
}

#[tokio::test]
async fn plaid_session_read_twice_through_the_general_path() {
    let stack = stack().await;
    let client = client_as(&stack, "alice", android());
    let url = client
        .create_exchange_session("me".into(), "Plaid".into())
        .await
        .unwrap();
    match client.exchange_session(url.clone()).await.unwrap() {
        ExchangeSession::PlaidLink { session } => {
            assert!(session.link_token().starts_with("link-sandbox-"));
            assert_eq!(session.session_url(), url);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn reauth_when_the_bank_connection_needs_it() {
    let stack = stack().await;
    let client = client_as(&stack, "alice", android());
    let session = client.start_plaid_link("me".into()).await.unwrap();
    let public = stack
        .simulator
        .complete_plaid_link(&session.link_token())
        .unwrap();
    let exchange = client
        .complete_plaid_link("me".into(), public)
        .await
        .unwrap();
    assert!(stack.simulator.require_reauth(&exchange.id));

    let err = client
        .create_funding_source(
            "me".into(),
            exchange.id.clone(),
            BankAccountType::Checking,
            "Main".into(),
        )
        .await
        .unwrap_err();
    match &err {
        BridgeError::ReauthRequired { exchange_url } => {
            assert_eq!(exchange_url, &exchange.url, "{err:?}");
        }
        other => panic!("{other:?}"),
    }
    let reauth = client.start_reauth(exchange.id.clone()).await.unwrap();
    assert!(reauth.link_token().starts_with("link-sandbox-"));
    assert_ne!(reauth.link_token(), session.link_token());
}

#[tokio::test]
async fn server_errors_arrive_typed() {
    let stack = stack().await;
    let alice = client_as(&stack, "alice", android());
    let bob_id = stack.user("bob").unwrap().customer_id.clone();

    // Another user's customer and an unknown one: 404, no existence leak.
    for id in [bob_id.as_str(), "00000000-0000-4000-8000-000000000000"] {
        let err = alice.start_plaid_link(id.into()).await.unwrap_err();
        assert!(matches!(err, BridgeError::NotFound { .. }), "{id}: {err:?}");
    }

    // A token the backend does not know: 401 after one refresh.
    let mut cfg = BridgeConfig::new(&stack.backend_url, android(), Environment::Sandbox);
    cfg.allow_insecure_http = true;
    let stranger = BridgeClient::new(cfg, Some(Tokens::always("demo-mallory"))).unwrap();
    let err = stranger.start_plaid_link("me".into()).await.unwrap_err();
    assert!(matches!(err, BridgeError::Unauthorized { .. }), "{err:?}");

    // A partner not enabled for the account: 403 from Dwolla, passed through.
    stack.simulator.set_enabled_partners(vec!["MX".into()]);
    let err = alice.start_plaid_link("me".into()).await.unwrap_err();
    assert!(
        matches!(&err, BridgeError::Forbidden { detail, .. } if detail.contains("not enabled for your account")),
        "{err:?}"
    );
    stack
        .simulator
        .set_enabled_partners(vec!["MX".into(), "Plaid".into(), "Checkout.com".into()]);

    // A partner that does not support exchange sessions.
    let err = alice
        .create_exchange_session("me".into(), "Finicity".into())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BridgeError::Forbidden { detail, .. } if detail.contains("does not support this product")),
        "{err:?}"
    );

    // A partner the backend does not offer at all.
    let err = alice
        .create_exchange_session("me".into(), "Yodlee".into())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BridgeError::PartnerUnavailable {
            partner: "Yodlee".into()
        }
    );

    // Missing scope at Dwolla.
    stack.simulator.set_exchange_sessions_scope(false);
    let err = alice.start_plaid_link("me".into()).await.unwrap_err();
    assert!(
        matches!(&err, BridgeError::Unauthorized { code, .. } if code == "InvalidScope"),
        "{err:?}"
    );
    stack.simulator.set_exchange_sessions_scope(true);

    // A used public token.
    let s = alice.start_plaid_link("me".into()).await.unwrap();
    let public = stack
        .simulator
        .complete_plaid_link(&s.link_token())
        .unwrap();
    alice
        .complete_plaid_link("me".into(), public.clone())
        .await
        .unwrap();
    let err = alice
        .complete_plaid_link("me".into(), public.clone())
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(
        matches!(
            err,
            BridgeError::Validation { .. } | BridgeError::Unauthorized { .. }
        ),
        "{text}"
    );
    assert!(!text.contains(&public), "{text}");
}

#[tokio::test]
async fn rate_limits_and_outages_at_dwolla_surface_after_retries() {
    use sample_backend::simulator::Fault;
    let stack = stack().await;
    let client = client_as(&stack, "alice", android());
    client.exchange_partners().await.unwrap();

    let mut fault = Fault::respond("/exchange-sessions", 503);
    fault.count = 1;
    stack.simulator.add_fault(fault);
    // One 503 from Dwolla reaches the app, which retries and succeeds.
    let s = client.start_plaid_link("me".into()).await.unwrap();
    assert!(s.link_token().starts_with("link-sandbox-"));

    let mut fault = Fault::respond("/customers/", 429);
    fault.count = 10;
    fault.retry_after = Some("0".into());
    stack.simulator.add_fault(fault);
    let err = client.start_plaid_link("me".into()).await.unwrap_err();
    assert!(matches!(err, BridgeError::RateLimited { .. }), "{err:?}");
    stack.simulator.clear_faults();
}

#[tokio::test]
async fn sixty_four_flows_share_one_client() {
    let stack = stack().await;
    let client = client_as(&stack, "alice", android());
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            c.start_plaid_link("me".into())
                .await
                .map(|s| s.link_token())
        }));
    }
    let mut tokens = std::collections::HashSet::new();
    for t in tasks {
        tokens.insert(t.await.unwrap().unwrap());
    }
    assert_eq!(tokens.len(), 64);
}
