//! Sign-in: bearer JWTs of a local OIDC issuer (keys made here at run time, its JWKS and
//! openid-configuration on loopback), every refusal a 401 whose `WWW-Authenticate` says why, key
//! rotation through one JWKS refresh and a flood of unknown key ids costing the issuer one fetch;
//! subjects mapped to customers in the database, revoked there on two instances at once; the
//! users file stored as HMACs with a generation: a user revoked in the database, or removed
//! from the file with a restart of one `serve`, refused on both instances within 5 s, an
//! instance started with the older file refusing to start; short tokens refused at start.

#[path = "support/oidc.rs"]
mod oidc;
mod support;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use oidc::{now, tampered, unsigned, Issuer, SigningKey};
use reqwest::Client;
use sample_backend::backend::{
    start_backend, AppUser, AuthMode, JwtConfig, NewSubjects, RunningBackend, SqlStore,
};
use sample_backend::{start_simulated_dwolla, StackOptions};
use serde_json::{json, Value};
use sqlx::Connection;
use support::backend::{get, post, Answer};
use support::process::{create_customer, start, Proc};
use support::{client, partner_in, session_body};

const BIN: &str = env!("CARGO_BIN_EXE_sample-backend");
const AUDIENCE: &str = "iav-sample-app";

/// Claims of a valid token of `issuer` for subject `sub`, with an email and names.
fn claims(issuer: &str, sub: &str) -> Value {
    let now = now();
    json!({
        "iss": issuer, "aud": AUDIENCE, "sub": sub,
        "iat": now, "nbf": now - 5, "exp": now + 600,
        "email": format!("{sub}@example.com"), "given_name": "Test", "family_name": sub,
    })
}

/// `claims` with `changes` merged in.
fn with(mut claims: Value, changes: Value) -> Value {
    for (k, v) in changes.as_object().unwrap() {
        claims[k] = v.clone();
    }
    claims
}

/// A JWT configuration for `issuer` that creates customers for new subjects and refreshes
/// the JWKS for an unknown key at most once a second.
fn jwt_config(issuer: &Issuer, new_subjects: NewSubjects) -> JwtConfig {
    let mut config = JwtConfig::new(issuer.url.clone(), AUDIENCE);
    config.min_refresh_interval = Duration::from_secs(1);
    config.new_subjects = new_subjects;
    config
}

/// The `WWW-Authenticate` of a 401, asserting the status, the header's form and that neither
/// the header nor the body repeats the token.
fn refusal(a: &Answer, token: &str) -> String {
    assert_eq!(a.status, 401, "{}", a.text);
    assert_eq!(a.body["code"], "InvalidAccessToken", "{}", a.text);
    let value = a.header("www-authenticate").expect("WWW-Authenticate");
    assert!(
        value.starts_with("Bearer error=\"invalid_token\", error_description=\""),
        "{value}"
    );
    for part in token.split('.').filter(|p| p.len() > 8) {
        assert!(!value.contains(part) && !a.text.contains(part), "{value}");
    }
    value
}

async fn exchange_session(c: &Client, base: &str, token: &str, key: &str) -> Answer {
    let partners = get(c, &format!("{base}exchange-partners"), Some(token)).await;
    assert_eq!(partners.status, 200, "{}", partners.text);
    let plaid = partner_in(&partners.body, "Plaid");
    post(
        c,
        &format!("{base}customers/me/exchange-sessions"),
        token,
        &session_body(&plaid, Some("com.example.app")),
        Some(key),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_tokens_sign_in_and_every_bad_token_is_a_401_saying_why() {
    let made = Instant::now();
    let k1 = SigningKey::rsa("k1");
    let ec = SigningKey::ec("ec1");
    let k2 = SigningKey::rsa("k2");
    println!("keys made in {:?}", made.elapsed());
    let issuer = Issuer::start(&[&k1, &ec]).await;
    let config = jwt_config(&issuer, NewSubjects::Create);
    let s = support::backend::custom_stack(
        StackOptions {
            users: Some(Vec::new()),
            ..StackOptions::default()
        },
        |c| c.auth = AuthMode::Jwt(config),
    )
    .await;
    let base = s.url().to_string();
    let c = client();
    assert_eq!(issuer.discovery_fetches(), 1);
    assert_eq!(issuer.jwks_fetches(), 1, "the keys are fetched at start");

    // A valid RS256 token signs in: a customer is created at Dwolla for the new subject, and
    // an exchange session is created for it.
    let alice = k1.sign(&claims(&issuer.url, "alice-sub"));
    let created = exchange_session(&c, &base, &alice, "auth-key-1").await;
    assert_eq!(created.status, 201, "{}", created.text);
    let me = get(
        &c,
        &format!("{base}customers/me/funding-sources"),
        Some(&alice),
    )
    .await;
    assert_eq!(me.status, 200, "{}", me.text);
    // ES256 too, for another subject: another customer.
    let bob = ec.sign(&claims(&issuer.url, "bob-sub"));
    let bobs = exchange_session(&c, &base, &bob, "auth-key-2").await;
    assert_eq!(bobs.status, 201, "{}", bobs.text);
    let session_of_alice = created.header("location").unwrap();
    assert_eq!(get(&c, &session_of_alice, Some(&bob)).await.status, 404);
    assert_eq!(get(&c, &session_of_alice, Some(&alice)).await.status, 200);

    let url = format!("{base}exchange-partners");
    let valid = claims(&issuer.url, "alice-sub");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "expired",
            k1.sign(&with(
                valid.clone(),
                json!({"exp": now() - 120, "iat": now() - 700}),
            )),
            "expired",
        ),
        (
            "not yet valid",
            k1.sign(&with(valid.clone(), json!({"nbf": now() + 300}))),
            "not valid yet",
        ),
        (
            "issued in the future",
            k1.sign(&with(valid.clone(), json!({"iat": now() + 300}))),
            "issued in the future",
        ),
        (
            "wrong issuer",
            k1.sign(&with(
                valid.clone(),
                json!({"iss": "http://127.0.0.1:1/other"}),
            )),
            "issuer",
        ),
        (
            "wrong audience",
            k1.sign(&with(valid.clone(), json!({"aud": "another-app"}))),
            "audience",
        ),
        (
            "unknown key",
            k2.sign(&valid),
            "signing key (kid) is not one of the issuer's keys",
        ),
        (
            "alg none",
            unsigned(&valid, "k1"),
            "algorithm none is not accepted",
        ),
        (
            "HMAC with the public key",
            k1.hmac_with_public_key(&valid),
            "algorithm HS256 is not accepted",
        ),
        (
            "tampered payload",
            tampered(&alice, &claims(&issuer.url, "bob-sub")),
            "signature does not verify",
        ),
        (
            "an RSA key's kid on an ES256 token",
            ec.sign_as(&valid, Some("k1")),
            "signing key (kid) is not one of the issuer's keys",
        ),
        (
            "no exp",
            k1.sign(&json!({"iss": issuer.url, "aud": AUDIENCE, "sub": "x"})),
            "exp",
        ),
        ("garbage", "not-a-jwt".to_string(), "malformed"),
    ];
    for (name, token, why) in &cases {
        let a = get(&c, &url, Some(token)).await;
        let header = refusal(&a, token);
        println!("{name}: 401 WWW-Authenticate: {header}");
        assert!(header.contains(why), "{name}: {header}");
    }

    // A flood of tokens naming made-up key ids: at most one JWKS fetch per refresh interval.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let before = issuer.jwks_fetches();
    let flood: Vec<_> = (0..200)
        .map(|i| {
            let token = k1.sign_as(&valid, Some(&format!("made-up-{i}")));
            let (c, url) = (c.clone(), url.clone());
            tokio::spawn(async move { get(&c, &url, Some(&token)).await.status })
        })
        .collect();
    for t in flood {
        assert_eq!(t.await.unwrap(), 401);
    }
    let flood_fetches = issuer.jwks_fetches() - before;
    println!("200 tokens with unknown key ids: {flood_fetches} JWKS fetches");
    assert!(flood_fetches <= 1, "{flood_fetches}");

    // Rotation: the issuer adds k2 (and drops k1); a token of k2 is accepted after one refresh.
    issuer.set_keys(&[&k2, &ec]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let before = issuer.jwks_fetches();
    let rotated = k2.sign(&claims(&issuer.url, "alice-sub"));
    let a = get(&c, &url, Some(&rotated)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = get(&c, &url, Some(&rotated)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let rotation_fetches = issuer.jwks_fetches() - before;
    println!(
        "key rotation: the new key's token accepted after {rotation_fetches} JWKS fetch \
         ({} in all, {} discovery)",
        issuer.jwks_fetches(),
        issuer.discovery_fetches()
    );
    assert_eq!(rotation_fetches, 1);
    assert_eq!(s.backend.backend.jwks_fetches(), issuer.jwks_fetches());
    // k1 is gone from the JWKS: its tokens are refused once the keys were refreshed.
    let old = get(&c, &url, Some(&alice)).await;
    refusal(&old, &alice);
    // No token: 401 with the plain challenge.
    let none = get(&c, &url, None).await;
    assert_eq!(none.status, 401);
    assert_eq!(none.header("www-authenticate").as_deref(), Some("Bearer"));
}

/// Two backends (as two instances would) on one PostgreSQL database and one simulator.
async fn two_jwt_instances(
    issuer: &Issuer,
    database: &str,
) -> (
    RunningBackend,
    RunningBackend,
    sample_backend::simulator::RunningSimulator,
) {
    let sim_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dwolla = start_simulated_dwolla(
        StackOptions {
            users: Some(Vec::new()),
            ..StackOptions::default()
        },
        sim_listener,
    )
    .await
    .unwrap();
    let mut started = Vec::new();
    for policy in [NewSubjects::Create, NewSubjects::Refuse] {
        let mut config = dwolla.config.clone();
        config.auth = AuthMode::Jwt(jwt_config(issuer, policy));
        config.store = Arc::new(SqlStore::open(database).await.unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        started.push(start_backend(config, listener).await.unwrap());
    }
    let b = started.pop().unwrap();
    let a = started.pop().unwrap();
    (a, b, dwolla.simulator)
}

/// Polls `urls` with `token` until each answers `status`; the time it took.
async fn until_all(c: &Client, urls: &[String], token: &str, status: u16) -> Duration {
    let start = Instant::now();
    let mut pending: Vec<&String> = urls.iter().collect();
    while !pending.is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "still not {status} after 10 s on {pending:?}"
        );
        let mut still = Vec::new();
        for url in pending {
            if get(c, url, Some(token)).await.status.as_u16() != status {
                still.push(url);
            }
        }
        pending = still;
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    start.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subject_revoked_in_the_database_is_refused_by_both_instances() {
    let Some(database) =
        support::postgres::fresh_database("a_subject_revoked_in_the_database").await
    else {
        return;
    };
    let k1 = SigningKey::ec("k1");
    let issuer = Issuer::start(&[&k1]).await;
    // A creates customers for new subjects; B refuses them (403), but knows those A linked.
    let (a, b, _sim) = two_jwt_instances(&issuer, &database).await;
    let c = client();
    let alice = k1.sign(&claims(&issuer.url, "alice-sub"));
    let carol = k1.sign(&claims(&issuer.url, "carol-sub"));
    let urls = [
        format!("{}exchange-partners", a.url),
        format!("{}exchange-partners", b.url),
    ];
    let refused = get(&c, &urls[1], Some(&carol)).await;
    assert_eq!(
        refused.status_and_code(),
        (403, Some("Forbidden")),
        "{}",
        refused.text
    );
    assert_eq!(get(&c, &urls[0], Some(&alice)).await.status, 200);
    assert_eq!(get(&c, &urls[1], Some(&alice)).await.status, 200);
    let created = exchange_session(&c, &b.url, &alice, "rev-key-1").await;
    assert_eq!(created.status, 201, "{}", created.text);

    let mut db = sqlx::PgConnection::connect(&database).await.unwrap();
    let customer: String =
        sqlx::query_scalar("SELECT customer FROM iav_subjects WHERE subject = 'alice-sub'")
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert!(created.text.contains(&customer) || !customer.is_empty());
    sqlx::query("UPDATE iav_subjects SET revoked_at = $1 WHERE subject = 'alice-sub'")
        .bind(now())
        .execute(&mut db)
        .await
        .unwrap();
    let took = until_all(&c, &urls, &alice, 403).await;
    println!("subject revoked in the database: refused (403) by both instances after {took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    let again = exchange_session_status(&c, &a.url, &alice).await;
    assert_eq!(again, 403);
}

async fn exchange_session_status(c: &Client, base: &str, token: &str) -> u16 {
    get(c, &format!("{base}exchange-partners"), Some(token))
        .await
        .status
        .as_u16()
}

const USERS_SECRET: &str = "users-secret-of-the-replicas-0123456789";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_file_revocations_reach_both_instances_and_an_older_file_does_not_come_back() {
    let Some(database) = support::postgres::fresh_database("users_file_revocations").await else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("iav-auth-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let c = client();
    let mut sim_cmd = Command::new(BIN);
    sim_cmd.args(["simulate", "--listen", "127.0.0.1:0"]);
    let sim = start(&dir, "simulator", sim_cmd).await.expect("simulator");
    let sim_url = sim.ready["simulatorUrl"]
        .as_str()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    let alice_customer = sim.ready["demoCustomerId"].as_str().unwrap().to_string();
    let bob_customer = create_customer(&c, &sim, &sim_url, "Bob").await;
    let carol_customer = create_customer(&c, &sim, &sim_url, "Carol").await;
    let (alice, bob, carol) = (
        "alice-token-0123456789abcdef",
        "bob-token-0123456789abcdef",
        "carol-token-0123456789abcdef",
    );
    let old_file = dir.join("users-old.toml");
    std::fs::write(
        &old_file,
        format!(
            "[users]\nalice = {{ token = \"{alice}\", customer = \"{alice_customer}\" }}\n\
             bob = {{ token = \"{bob}\", customer = \"{bob_customer}\" }}\n\
             carol = {{ token = \"{carol}\", customer = \"{carol_customer}\" }}\n"
        ),
    )
    .unwrap();
    let new_file = dir.join("users-new.toml");
    std::fs::write(
        &new_file,
        format!(
            "[users]\nbob = {{ token = \"{bob}\", customer = \"{bob_customer}\" }}\n\
             carol = {{ token = \"{carol}\", customer = \"{carol_customer}\" }}\n"
        ),
    )
    .unwrap();
    let backend = |name: &'static str, users: &Path| {
        let mut cmd = Command::new(BIN);
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--dwolla", &sim_url])
            .args(["--allowed-redirect", "com.example.app", "--users"])
            .arg(users)
            .env("DATABASE_URL", &database)
            .env("IAV_USERS_SECRET", USERS_SECRET)
            .env("DWOLLA_KEY", sim.ready["clientKey"].as_str().unwrap())
            .env("DWOLLA_SECRET", sim.ready["clientSecret"].as_str().unwrap());
        let dir = dir.clone();
        async move { start(&dir, name, cmd).await }
    };
    let url = |p: &Proc| {
        format!(
            "http://{}/exchange-partners",
            p.ready["listenAddr"].as_str().unwrap()
        )
    };
    let a = backend("a", &old_file).await.expect("a starts");
    let b = backend("b", &old_file).await.expect("b starts");
    for token in [alice, bob, carol] {
        assert_eq!(get(&c, &url(&a), Some(token)).await.status, 200);
        assert_eq!(get(&c, &url(&b), Some(token)).await.status, 200);
    }

    // Carol revoked in the database: refused by both, no restart.
    let mut db = sqlx::PgConnection::connect(&database).await.unwrap();
    sqlx::query("UPDATE iav_file_users SET revoked_at = $1 WHERE name = 'carol'")
        .bind(now())
        .execute(&mut db)
        .await
        .unwrap();
    let urls = [url(&a), url(&b)];
    let took = until_all(&c, &urls, carol, 401).await;
    println!("user revoked in the database: refused by both instances after {took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    let refused = get(&c, &urls[0], Some(carol)).await;
    assert!(refusal(&refused, carol).contains("not a known user"));

    // B restarts with alice removed from its file: A refuses her too, at once.
    drop(b);
    let b = backend("b2", &new_file).await.expect("b restarts");
    let urls = [url(&a), url(&b)];
    let took = until_all(&c, &urls, alice, 401).await;
    println!(
        "user removed from the users file, one instance restarted: refused by both after {took:?}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(get(&c, &urls[0], Some(bob)).await.status, 200);
    // The new generation keeps carol's revocation.
    assert_eq!(get(&c, &urls[1], Some(carol)).await.status, 401);

    // A restarts with the older file: it refuses to start, and alice stays refused.
    drop(a);
    let (code, log) = match backend("a2", &old_file).await {
        Ok(_) => panic!("an instance with the older users file started"),
        Err(exited) => exited,
    };
    println!("instance started with the older users file: exit {code}");
    assert_eq!(code, 2, "{log}");
    assert!(log.contains("older than the one in the database"), "{log}");
    assert!(!log.contains(alice) && !log.contains(USERS_SECRET), "{log}");
    assert_eq!(get(&c, &urls[1], Some(alice)).await.status, 401);
    assert_eq!(get(&c, &urls[1], Some(bob)).await.status, 200);
    let generations: i64 = sqlx::query_scalar("SELECT MAX(generation) FROM iav_user_sets")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(generations, 2);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_short_token_is_refused_at_start_naming_its_user() {
    let dir = std::env::temp_dir().join(format!("iav-auth-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    for (text, name) in [
        (
            "[users]\nalice = { token = \"alice-token-0123456789\", customer = \"3f1c2d4e-0000-4000-8000-00000000000a\" }\n\
             bob = { token = \"Sh0rtS3cret\", customer = \"3f1c2d4e-0000-4000-8000-00000000000b\" }\n",
            "user bob",
        ),
        (
            "[users]\n\"x\" = \"3f1c2d4e-0000-4000-8000-00000000000a\"\n",
            "user user-1",
        ),
    ] {
        let users = dir.join("users.toml");
        std::fs::write(&users, text).unwrap();
        let mut cmd = Command::new(BIN);
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--users"])
            .arg(&users);
        match start(&dir, "short", cmd).await {
            Ok(_) => panic!("started with a short token"),
            Err((code, log)) => {
                println!("short token: exit {code}: {}", log.trim());
                assert_eq!(code, 2, "{log}");
                assert!(log.contains(name), "{log}");
                assert!(log.contains("shorter than 16 characters"), "{log}");
                assert!(!log.contains("Sh0rtS3cret"), "{log}");
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn tokens_are_stored_as_hmacs_of_the_server_secret() {
    let dir = std::env::temp_dir().join(format!("iav-auth-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let token = "dave-token-0123456789abcdef";
    let user = || {
        vec![AppUser {
            name: "dave".into(),
            token: token.into(),
            customer_id: "3f1c2d4e-0000-4000-8000-00000000000d".into(),
        }]
    };
    let mut seen = Vec::new();
    for (n, secret) in [None, None, Some(USERS_SECRET.as_bytes())]
        .into_iter()
        .enumerate()
    {
        let db = dir.join(format!("backend-{n}.db"));
        let store = SqlStore::open(&format!("sqlite:{}", db.display()))
            .await
            .unwrap();
        let sim_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut dwolla = start_simulated_dwolla(StackOptions::default(), sim_listener)
            .await
            .unwrap();
        dwolla.config.users = user();
        dwolla.config.users_secret = secret.map(<[u8]>::to_vec);
        dwolla.config.store = Arc::new(store);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let running = start_backend(dwolla.config, listener).await.unwrap();
        let signed_in = get(
            &client(),
            &format!("{}exchange-partners", running.url),
            Some(token),
        )
        .await;
        assert_eq!(signed_in.status, 200, "{}", signed_in.text);
        running.shutdown().await.unwrap();
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", db.display()))
            .await
            .unwrap();
        let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM iav_file_users")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        assert_eq!(stored.len(), 1);
        seen.push(stored[0].clone());
    }
    let sha256 = hex(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref());
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, USERS_SECRET.as_bytes());
    let hmac = hex(ring::hmac::sign(&key, token.as_bytes()).as_ref());
    println!(
        "stored token hashes: two generated secrets {} / {}, a given secret {}; sha256 {}",
        &seen[0][..12],
        &seen[1][..12],
        &seen[2][..12],
        &sha256[..12]
    );
    assert_ne!(seen[0], seen[1], "two databases' secrets give two hashes");
    assert!(seen.iter().all(|h| *h != sha256 && !h.contains(token)));
    assert_eq!(
        seen[2], hmac,
        "HMAC-SHA256 of the token with the given secret"
    );
    std::fs::remove_dir_all(&dir).ok();
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_auth_jwt_signs_in_and_checks_its_options() {
    let k1 = SigningKey::ec("k1");
    let issuer = Issuer::start(&[&k1]).await;
    let dir = std::env::temp_dir().join(format!("iav-auth-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--auth", "jwt"])
        .args(["--jwt-issuer", &issuer.url, "--jwt-audience", AUDIENCE])
        .args(["--jwt-new-users", "create"]);
    let p = start(&dir, "jwt", cmd)
        .await
        .expect("serve --auth jwt starts");
    assert_eq!(p.ready["users"], json!([]));
    let base = p.ready["backendUrl"].as_str().unwrap().to_string();
    let c = client();
    let token = k1.sign(&claims(&issuer.url, "erin-sub"));
    let created = exchange_session(&c, &base, &token, "cli-key-1").await;
    assert_eq!(created.status, 201, "{}", created.text);
    let expired = k1.sign(&with(
        claims(&issuer.url, "erin-sub"),
        json!({"exp": now() - 600, "iat": now() - 1200}),
    ));
    let a = get(&c, &format!("{base}exchange-partners"), Some(&expired)).await;
    assert!(refusal(&a, &expired).contains("expired"));
    drop(p);

    for (args, message) in [
        (
            vec![
                "--auth",
                "jwt",
                "--jwt-issuer",
                "http://id.example.com",
                "--jwt-audience",
                "a",
            ],
            "https URL",
        ),
        (
            vec![
                "--auth",
                "jwt",
                "--jwt-issuer",
                "https://u:pw-SECRET@id.example.com",
                "--jwt-audience",
                "a",
            ],
            "without user info",
        ),
        (
            vec!["--auth", "jwt", "--jwt-issuer", "https://id.example.com"],
            "--jwt-audience",
        ),
        (
            vec!["--jwt-issuer", "https://id.example.com"],
            "need --auth jwt",
        ),
    ] {
        let out = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(!err.contains("pw-SECRET"), "{err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
