//! The backend's store (`SqlStore`) on each database it supports: in-memory SQLite, a SQLite
//! file, and PostgreSQL (the test command's server; see `tests/support/postgres.rs`). The same
//! checks run on each; the file and PostgreSQL ones also check what two stores on one database
//! (a restart, two replicas) share.

mod support;

use std::sync::Arc;

use sample_backend::backend::{
    KeyClaim, KeyUse, ResourceKind, SqlStore, Store, StoredUser, Subject, UsersImport,
};

const DAY: i64 = 24 * 60 * 60;

/// How long an attempt counts as in flight in these checks.
const LEASE: i64 = 30;

/// A use of key `hash` by attempt `attempt`, in flight for [`LEASE`] seconds from `now`.
fn key_by<'a>(
    hash: &'a str,
    customer: &'a str,
    fingerprint: &'a str,
    now: i64,
    attempt: &'a str,
) -> KeyUse<'a> {
    KeyUse {
        key_hash: hash,
        customer,
        fingerprint,
        now,
        attempt,
        attempt_until: now + LEASE,
    }
}

/// A use of key `hash` by an attempt of its own.
fn key<'a>(hash: &'a str, customer: &'a str, fingerprint: &'a str, now: i64) -> KeyUse<'a> {
    let attempt: &'a str = Box::leak(uuid::Uuid::new_v4().to_string().into_boxed_str());
    key_by(hash, customer, fingerprint, now, attempt)
}

fn user(name: &str, token_hash: &str, customer: &str) -> StoredUser {
    StoredUser {
        name: name.into(),
        token_hash: token_hash.into(),
        customer_id: customer.into(),
    }
}

/// Every check of one store, on ids of its own (`tag`) so that stores may share a database.
async fn conforms(store: Arc<dyn Store>, tag: &str) {
    let id = |s: &str| format!("{tag}-{s}");
    let (a, b) = (id("alice"), id("bob"));

    // Ownership: the first claim wins; remember replaces; kinds are separate.
    let kind = ResourceKind::ExchangeSession;
    assert_eq!(store.owner(kind, &id("s1")).await.unwrap(), None);
    assert!(store.claim(kind, &id("s1"), &a).await.unwrap());
    assert!(store.claim(kind, &id("s1"), &a).await.unwrap());
    assert!(!store.claim(kind, &id("s1"), &b).await.unwrap());
    assert_eq!(store.owner(kind, &id("s1")).await.unwrap(), Some(a.clone()));
    assert_eq!(
        store
            .owner(ResourceKind::Exchange, &id("s1"))
            .await
            .unwrap(),
        None
    );
    store.remember(kind, &id("s1"), &b).await.unwrap();
    assert_eq!(store.owner(kind, &id("s1")).await.unwrap(), Some(b.clone()));

    // Concurrent claims of one id: exactly one winner.
    let claims: Vec<_> = (0..16)
        .map(|i| {
            let store = Arc::clone(&store);
            let (fs, customer) = (id("fs"), id(&format!("c{i}")));
            tokio::spawn(async move {
                store
                    .claim(ResourceKind::FundingSource, &fs, &customer)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut winners = 0;
    for c in claims {
        winners += usize::from(c.await.unwrap());
    }
    assert_eq!(winners, 1);

    // Idempotency keys.
    let now = 1_900_000_000;
    let k = id("key-1");
    assert_eq!(
        store
            .begin_request(&key_by(&k, &a, "f1", now, "first"))
            .await
            .unwrap(),
        KeyClaim::Send
    );
    // A retry while the first attempt is in flight is told so, and takes nothing over.
    assert_eq!(
        store
            .begin_request(&key(&k, &a, "f1", now + 1))
            .await
            .unwrap(),
        KeyClaim::InProgress
    );
    // Another attempt's release or end changes nothing.
    store.release_request(&k, "other").await.unwrap();
    store.abandon_request(&k, "other").await.unwrap();
    assert_eq!(
        store
            .begin_request(&key(&k, &a, "f1", now + 2))
            .await
            .unwrap(),
        KeyClaim::InProgress
    );
    // Once the first attempt ended without a result, a retry goes ahead (Dwolla replays for
    // the derived key), and is in flight in turn.
    store.abandon_request(&k, "first").await.unwrap();
    assert_eq!(
        store
            .begin_request(&key_by(&k, &a, "f1", now + 3, "second"))
            .await
            .unwrap(),
        KeyClaim::Send
    );
    assert_eq!(
        store
            .begin_request(&key(&k, &a, "f1", now + 4))
            .await
            .unwrap(),
        KeyClaim::InProgress
    );
    // An attempt past its lease (its backend died) is taken over.
    assert_eq!(
        store
            .begin_request(&key(&k, &a, "f1", now + 3 + LEASE))
            .await
            .unwrap(),
        KeyClaim::Send
    );
    assert_eq!(
        store.begin_request(&key(&k, &b, "f1", now)).await.unwrap(),
        KeyClaim::Conflict
    );
    assert_eq!(
        store.begin_request(&key(&k, &a, "f2", now)).await.unwrap(),
        KeyClaim::Conflict
    );
    store
        .finish_request(&k, "https://dwolla.test/exchange-sessions/x")
        .await
        .unwrap();
    assert_eq!(
        store
            .begin_request(&key(&k, &a, "f1", now + 10))
            .await
            .unwrap(),
        KeyClaim::Replay("https://dwolla.test/exchange-sessions/x".into())
    );
    assert_eq!(
        store
            .begin_request(&key(&k, &b, "f1", now + 10))
            .await
            .unwrap(),
        KeyClaim::Conflict
    );
    // A release never forgets an answered key.
    store.release_request(&k, "second").await.unwrap();
    assert_eq!(
        store
            .begin_request(&key(&k, &b, "f1", now + 20))
            .await
            .unwrap(),
        KeyClaim::Conflict
    );
    // After 24 hours the key is free again, for anyone.
    assert_eq!(
        store
            .begin_request(&key(&k, &b, "f9", now + DAY + 1))
            .await
            .unwrap(),
        KeyClaim::Send
    );
    // A refused request's key is released and may carry another request.
    let k2 = id("key-2");
    assert_eq!(
        store
            .begin_request(&key_by(&k2, &a, "f1", now, "refused"))
            .await
            .unwrap(),
        KeyClaim::Send
    );
    store.release_request(&k2, "refused").await.unwrap();
    assert_eq!(
        store.begin_request(&key(&k2, &a, "f2", now)).await.unwrap(),
        KeyClaim::Send
    );

    // Two users racing for one key: exactly one may send.
    let k3 = id("key-3");
    let racers: Vec<_> = (0..16)
        .map(|i| {
            let store = Arc::clone(&store);
            let (k3, customer) = (k3.clone(), id(&format!("c{i}")));
            tokio::spawn(async move {
                store
                    .begin_request(&key(&k3, &customer, "f", now))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut sent = 0;
    for r in racers {
        sent += usize::from(r.await.unwrap() == KeyClaim::Send);
    }
    assert_eq!(sent, 1);

    // The key secret: the same at every call.
    let secret = store.key_secret().await.unwrap();
    assert_eq!(secret.len(), 64);
    assert_eq!(store.key_secret().await.unwrap(), secret);
}

/// Users are one table per database: checked once per database, not per tag. A set is stored
/// as a generation; the current set again changes nothing; an older set is refused; a file's own
/// generation above the current brings an older set back; subjects link once.
async fn users_conform(store: &dyn Store) {
    let first = [user("u1", "h-1", "c1"), user("u2", "h-2", "c2")];
    assert_eq!(
        store.import_users("d-1", None, &first).await.unwrap(),
        UsersImport::Imported {
            generation: 1,
            removed: 0
        }
    );
    assert_eq!(
        store.file_user("h-1").await.unwrap(),
        Some(user("u1", "h-1", "c1"))
    );
    assert_eq!(store.file_user("h-3").await.unwrap(), None);
    assert_eq!(
        store.import_users("d-1", None, &first).await.unwrap(),
        UsersImport::Current { generation: 1 }
    );
    let second = [user("u3", "h-3", "c3")];
    assert_eq!(
        store.import_users("d-2", None, &second).await.unwrap(),
        UsersImport::Imported {
            generation: 2,
            removed: 2
        }
    );
    assert_eq!(store.file_user("h-1").await.unwrap(), None);
    assert_eq!(
        store.file_user("h-3").await.unwrap(),
        Some(user("u3", "h-3", "c3"))
    );
    // The older set does not come back, unless its file says it is generation 3.
    assert_eq!(
        store.import_users("d-1", None, &first).await.unwrap(),
        UsersImport::Superseded {
            generation: 1,
            current: 2
        }
    );
    assert_eq!(
        store.import_users("d-1", Some(2), &first).await.unwrap(),
        UsersImport::Superseded {
            generation: 2,
            current: 2
        }
    );
    assert_eq!(store.file_user("h-1").await.unwrap(), None);
    assert!(matches!(
        store.import_users("d-1", Some(3), &first).await.unwrap(),
        UsersImport::Imported { generation: 3, .. }
    ));
    assert_eq!(
        store.file_user("h-1").await.unwrap(),
        Some(user("u1", "h-1", "c1"))
    );
    assert_eq!(
        store.import_users("d-2", None, &second).await.unwrap(),
        UsersImport::Superseded {
            generation: 2,
            current: 3
        }
    );
    assert!(matches!(
        store.import_users("d-2", Some(4), &second).await.unwrap(),
        UsersImport::Imported { generation: 4, .. }
    ));
    assert_eq!(
        store.file_user("h-3").await.unwrap(),
        Some(user("u3", "h-3", "c3"))
    );

    // Subjects: the first link wins.
    assert_eq!(store.subject("https://id", "s-1").await.unwrap(), None);
    let linked = Subject {
        customer_id: "c1".into(),
        revoked: false,
    };
    assert_eq!(
        store.link_subject("https://id", "s-1", "c1").await.unwrap(),
        linked
    );
    assert_eq!(
        store.link_subject("https://id", "s-1", "c2").await.unwrap(),
        linked
    );
    assert_eq!(
        store.subject("https://id", "s-1").await.unwrap(),
        Some(linked)
    );
    assert_eq!(store.subject("https://other", "s-1").await.unwrap(), None);
    // The users secret: drawn once, not the key secret.
    let secret = store.users_secret().await.unwrap();
    assert_eq!(secret.len(), 64);
    assert_eq!(store.users_secret().await.unwrap(), secret);
    assert_ne!(store.key_secret().await.unwrap(), secret);
}

#[tokio::test]
async fn in_memory_sqlite() {
    let store: Arc<dyn Store> = Arc::new(SqlStore::memory());
    conforms(Arc::clone(&store), "m").await;
    users_conform(store.as_ref()).await;
    // Each in-memory store is a database of its own.
    let other = SqlStore::memory();
    assert_eq!(
        other
            .owner(ResourceKind::ExchangeSession, "m-s1")
            .await
            .unwrap(),
        None
    );
    assert_ne!(
        other.key_secret().await.unwrap(),
        store.key_secret().await.unwrap()
    );
}

#[tokio::test]
async fn sqlite_file_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("iav-store-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}", dir.join("backend.db").display());
    let store: Arc<dyn Store> = Arc::new(SqlStore::open(&url).await.unwrap());
    conforms(Arc::clone(&store), "f").await;
    users_conform(store.as_ref()).await;
    let secret = store.key_secret().await.unwrap();
    drop(store);
    // Reopened (migrations again, nothing lost).
    let again = SqlStore::open(&url).await.unwrap();
    assert_eq!(
        again
            .owner(ResourceKind::ExchangeSession, "f-s1")
            .await
            .unwrap(),
        Some("f-bob".into())
    );
    assert_eq!(again.key_secret().await.unwrap(), secret);
    assert_eq!(
        again
            .begin_request(&key("f-key-1", "f-alice", "f1", 1_900_000_100))
            .await
            .unwrap(),
        KeyClaim::Conflict
    );
    assert!(again.description().starts_with("SQLite file "));
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn postgres_shared_by_two_instances() {
    let Some(url) = support::postgres::fresh_database("postgres_shared_by_two_instances").await
    else {
        return;
    };
    // Two instances starting at once migrate once (the advisory lock) and share everything.
    let (one, two) = tokio::join!(SqlStore::open(&url), SqlStore::open(&url));
    let (one, two): (Arc<dyn Store>, Arc<SqlStore>) =
        (Arc::new(one.unwrap()), Arc::new(two.unwrap()));
    conforms(Arc::clone(&one), "p").await;
    users_conform(one.as_ref()).await;
    assert_eq!(
        two.owner(ResourceKind::ExchangeSession, "p-s1")
            .await
            .unwrap(),
        Some("p-bob".into())
    );
    assert_eq!(
        two.file_user("h-3").await.unwrap(),
        Some(user("u3", "h-3", "c3"))
    );
    assert_eq!(
        two.users_secret().await.unwrap(),
        one.users_secret().await.unwrap()
    );
    assert_eq!(
        two.key_secret().await.unwrap(),
        one.key_secret().await.unwrap()
    );
    // A key claimed through one instance is another user's conflict on the other.
    assert_eq!(
        two.begin_request(&key("p-key-2", "p-bob", "f2", 1_900_000_000))
            .await
            .unwrap(),
        KeyClaim::Conflict
    );
    // Concurrent claims across the two instances: one winner.
    let (x, y) = tokio::join!(
        one.claim(ResourceKind::Exchange, "p-race", "p-alice"),
        two.claim(ResourceKind::Exchange, "p-race", "p-bob")
    );
    assert_ne!(x.unwrap(), y.unwrap());
    // What is printed of the database never has its password.
    let password = url::Url::parse(&url)
        .unwrap()
        .password()
        .unwrap_or("")
        .to_string();
    assert!(!password.is_empty());
    assert!(
        !two.description().contains(&password),
        "{}",
        two.description()
    );
    assert!(!format!("{two:?}").contains(&password));
}

#[tokio::test]
async fn unusable_database_urls_say_what_to_write() {
    for url in ["mysql://x", "sqlite:", "", "postgres://[::1"] {
        let e = SqlStore::open(url).await.unwrap_err().to_string();
        assert!(
            e.contains("sqlite:PATH") || e.contains("not usable"),
            "{url}: {e}"
        );
    }
    // A server that is not there: a StoreError naming what failed, without the password.
    let e = SqlStore::open("postgres://iav:s3cret-pw@127.0.0.1:1/iav")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("connecting to PostgreSQL"), "{e}");
    assert!(!e.contains("s3cret-pw"), "{e}");
}
