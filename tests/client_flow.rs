//! The whole flow against the sample-backend and its Dwolla simulator on loopback: Plaid on
//! each platform, MX and Checkout.com sessions, completing Link, funding sources, re-auth, and
//! the server's errors as typed errors; MX, Checkout.com cards and Visa to their end, and the
//! customer's funding sources (list, removal, duplicates).

mod support;

use std::sync::Arc;

use iav_bridge::{
    BankAccountType, BillingAddress, BridgeClient, BridgeConfig, BridgeError, Environment,
    ExchangeSession, FundingSourceKind, Platform,
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
        assert_eq!(
            dup,
            BridgeError::DuplicateFundingSource {
                existing_id: Some(fs.id.clone())
            }
        );
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
    let first = alice
        .complete_plaid_link("me".into(), public.clone())
        .await
        .unwrap();
    // The same completion repeated replays its first answer (its key is derived from it)...
    let again = alice
        .complete_plaid_link("me".into(), public.clone())
        .await
        .unwrap();
    assert_eq!(again, first);
    // ... another request with the used token (another key: the customer named by its id) is
    // refused.
    let alice_id = stack.user("alice").unwrap().customer_id.clone();
    let err = alice
        .complete_plaid_link(alice_id, public.clone())
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
    use dwolla_simulator::Fault;
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

/// The last path segment of a URL (a session's id).
fn last_segment(url: &str) -> &str {
    url.rsplit('/').next().unwrap()
}

fn billing_address() -> BillingAddress {
    BillingAddress {
        address1: "552 Test St".into(),
        address2: None,
        address3: None,
        city: "Des Moines".into(),
        state_province_region: "IA".into(),
        country: "US".into(),
        postal_code: "50310".into(),
    }
}

#[tokio::test]
async fn mx_from_connect_to_a_funding_source() {
    let stack = stack().await;
    let client = client_as(&stack, "bob", android());
    // Nothing connected yet: an empty list, not an error.
    assert!(client.mx_connections("me".into()).await.unwrap().is_empty());

    let url = client
        .create_exchange_session("me".into(), "MX".into())
        .await
        .unwrap();
    assert!(matches!(
        client.exchange_session(url.clone()).await.unwrap(),
        ExchangeSession::WebRedirect { .. }
    ));
    let token = stack
        .simulator
        .complete_mx_session(last_segment(&url))
        .expect("a known MX session");

    let connections = client.mx_connections("me".into()).await.unwrap();
    assert_eq!(connections.len(), 1);
    let connection = connections[0].clone();
    assert_eq!(connection.available_connection_token(), token);
    assert!(!connection.name().is_empty());
    assert!(!format!("{connection} {connection:?}").contains(&token));

    let exchange = client
        .complete_mx_connection("me".into(), connection.clone())
        .await
        .unwrap();
    assert_eq!(exchange.status, "active");
    assert!(exchange.url.starts_with(&stack.backend_url));
    // The token is used: no longer listed; the same completion repeated replays its first
    // answer, and another request with the token (another key: the customer named by its id)
    // is refused.
    assert!(client.mx_connections("me".into()).await.unwrap().is_empty());
    let again = client
        .complete_mx_connection("me".into(), connection.clone())
        .await
        .unwrap();
    assert_eq!(again, exchange);
    let bob_id = stack.user("bob").unwrap().customer_id.clone();
    let err = client
        .complete_mx_connection(bob_id, connection)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BridgeError::Validation { code, .. } if code == "InvalidExchangeToken"),
        "{err:?}"
    );
    assert!(!format!("{err} {err:?}").contains(&token));

    let fs = client
        .create_funding_source(
            "me".into(),
            exchange.id,
            BankAccountType::Savings,
            "MX savings".into(),
        )
        .await
        .unwrap();
    assert_eq!(fs.kind, FundingSourceKind::Bank);
    assert_eq!(fs.name, "MX savings");
    assert!(fs.card.is_none());
}

#[tokio::test]
async fn checkout_card_token_to_a_card_funding_source() {
    let stack = stack().await;
    let client = client_as(&stack, "alice", ios());
    let url = client
        .create_exchange_session("me".into(), "Checkout.com".into())
        .await
        .unwrap();
    let ExchangeSession::CheckoutPayment { session } = client.exchange_session(url).await.unwrap()
    else {
        panic!("not a Checkout.com session")
    };
    let card_token = stack
        .simulator
        .complete_checkout_payment(&session.id())
        .expect("a known payment session");
    assert!(card_token.starts_with("src_"), "{card_token}");

    let fs = client
        .create_card_funding_source(
            "me".into(),
            card_token.clone(),
            "My debit card".into(),
            billing_address(),
        )
        .await
        .unwrap();
    assert_eq!(fs.kind, FundingSourceKind::Card);
    assert_eq!(fs.name, "My debit card");
    assert!(fs.bank_name.is_none());
    let card = fs.card.clone().expect("a card summary");
    assert_eq!(card.last_four.len(), 4);
    assert!((1..=12).contains(&card.expiration_month));
    assert!(card.expiration_year >= 2025);
    assert!(!card.brand.is_empty());
    assert!(fs.url.starts_with(&stack.backend_url));

    // A used card token: Dwolla's "The card data is invalid.", without the token.
    let err = client
        .create_card_funding_source(
            "me".into(),
            card_token.clone(),
            "Again".into(),
            billing_address(),
        )
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(
        matches!(&err, BridgeError::Validation { path: Some(p), .. } if p == "/cardToken"),
        "{text}"
    );
    assert!(!text.contains(&card_token), "{text}");
}

#[tokio::test]
async fn visa_on_ios_only() {
    let stack = stack().await;
    stack.simulator.set_partners(
        ["Finicity", "MX", "Plaid", "Flinks", "Checkout.com", "Visa"]
            .map(String::from)
            .to_vec(),
    );
    stack.simulator.set_enabled_partners(
        ["MX", "Plaid", "Checkout.com", "Visa"]
            .map(String::from)
            .to_vec(),
    );
    let client = client_as(&stack, "alice", ios());
    let url = client
        .create_exchange_session("me".into(), "Visa".into())
        .await
        .unwrap();
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
    for platform in [android(), Platform::Web] {
        let err = client_as(&stack, "alice", platform.clone())
            .create_exchange_session("me".into(), "Visa".into())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, BridgeError::InvalidRedirectUrl { reason } if reason.contains("Visa needs an https redirect URL, which only the iOS platform carries")),
            "{platform:?}: {err:?}"
        );
    }
}

#[tokio::test]
async fn the_customers_accounts_listed_removed_and_duplicates_typed() {
    let stack = stack().await;
    let alice = client_as(&stack, "alice", android());
    assert!(alice.funding_sources("me".into()).await.unwrap().is_empty());

    // A bank account, linked through Plaid with a named account.
    let s = alice.start_plaid_link("me".into()).await.unwrap();
    let public = stack
        .simulator
        .complete_plaid_link_with_account(&s.link_token(), Some("acct-1"))
        .unwrap();
    let x = alice
        .complete_plaid_link("me".into(), public)
        .await
        .unwrap();
    let bank = alice
        .create_funding_source("me".into(), x.id, BankAccountType::Checking, "Main".into())
        .await
        .unwrap();

    // The same bank account again, through a new exchange: Dwolla's DuplicateResource.
    let s = alice.start_plaid_link("me".into()).await.unwrap();
    let public = stack
        .simulator
        .complete_plaid_link_with_account(&s.link_token(), Some("acct-1"))
        .unwrap();
    let x2 = alice
        .complete_plaid_link("me".into(), public)
        .await
        .unwrap();
    let err = alice
        .create_funding_source(
            "me".into(),
            x2.id.clone(),
            BankAccountType::Checking,
            "Main again".into(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BridgeError::DuplicateFundingSource {
            existing_id: Some(bank.id.clone())
        }
    );

    // A debit card.
    let url = alice
        .create_exchange_session("me".into(), "Checkout.com".into())
        .await
        .unwrap();
    let ExchangeSession::CheckoutPayment { session } = alice.exchange_session(url).await.unwrap()
    else {
        panic!("not a Checkout.com session")
    };
    let card_token = stack
        .simulator
        .complete_checkout_payment(&session.id())
        .unwrap();
    let card = alice
        .create_card_funding_source("me".into(), card_token, "Card".into(), billing_address())
        .await
        .unwrap();

    let list = alice.funding_sources("me".into()).await.unwrap();
    let mut seen: Vec<_> = list
        .iter()
        .map(|f| (f.id.clone(), f.kind, f.status.clone()))
        .collect();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    let mut want = vec![
        (
            bank.id.clone(),
            FundingSourceKind::Bank,
            bank.status.clone(),
        ),
        (
            card.id.clone(),
            FundingSourceKind::Card,
            card.status.clone(),
        ),
    ];
    want.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(seen, want);
    for f in &list {
        assert!(
            ["verified", "unverified"].contains(&f.status.as_str()),
            "{f:?}"
        );
        assert!(!f.removed && !f.created.is_empty());
        assert!(f.url.starts_with(&stack.backend_url), "{}", f.url);
        assert_eq!(f.card.is_some(), f.kind == FundingSourceKind::Card);
    }
    let listed_bank = list.iter().find(|f| f.id == bank.id).unwrap();
    assert_eq!(listed_bank.bank_name, bank.bank_name);

    // Another user may neither see nor remove alice's.
    let bob = client_as(&stack, "bob", android());
    assert!(bob.funding_sources("me".into()).await.unwrap().is_empty());
    let err = bob
        .remove_funding_source(bank.id.clone())
        .await
        .unwrap_err();
    assert!(matches!(err, BridgeError::NotFound { .. }), "{err:?}");
    let alice_id = stack.user("alice").unwrap().customer_id.clone();
    let err = bob.funding_sources(alice_id).await.unwrap_err();
    assert!(matches!(err, BridgeError::NotFound { .. }), "{err:?}");

    let removed = alice.remove_funding_source(bank.id.clone()).await.unwrap();
    assert!(removed.removed);
    assert_eq!(removed.id, bank.id);
    let ids: Vec<_> = alice
        .funding_sources("me".into())
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(ids, vec![card.id]);
    // Removing it again: Dwolla's InvalidResourceState.
    let err = alice.remove_funding_source(bank.id).await.unwrap_err();
    assert!(matches!(err, BridgeError::Forbidden { .. }), "{err:?}");

    // A removed funding source is no duplicate: the account links again.
    let again = alice
        .create_funding_source(
            "me".into(),
            x2.id,
            BankAccountType::Checking,
            "Main again".into(),
        )
        .await
        .unwrap();
    assert_eq!(again.kind, FundingSourceKind::Bank);
}
