//! A bank link is never lost: the completion journal against the sample-backend and its Dwolla
//! simulator on loopback. The same completion repeated replays the first answer (a timeout
//! after Dwolla acted); the flow cut at each step and resumed by a new client with the same
//! store ends with exactly one exchange and one funding source and no pending entry; expiry,
//! another user's entry, a store that fails to write or to read, and a corrupted entry each end
//! with a typed result.

mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use iav_bridge::{
    BankAccountType, BridgeClient, BridgeConfig, BridgeError, CompletionKind, CompletionOutcome,
    CompletionStore, CompletionStoreError, Environment, Platform, StoredCompletion,
};
use sample_backend::simulator::Fault;
use sample_backend::{start_stack, Stack, StackOptions};
use support::Tokens;

/// How long the simulator holds a late answer: longer than the short client's deadline.
const LATE: Duration = Duration::from_millis(1_500);
/// The backend's time limit for one Dwolla request, and the lease of a key in flight.
const LEASE: Duration = Duration::from_secs(2);
/// The deadline of a client that gives up before the late answer.
const SHORT_TIMEOUT_MS: u64 = 700;

/// The app's store, in memory, shared by the clients of one test (as a file is by two runs of
/// the app); each operation can be made to fail.
#[derive(Default)]
struct MemoryStore {
    entries: Mutex<BTreeMap<String, Vec<u8>>>,
    fail_put: AtomicBool,
    fail_list: AtomicBool,
}

impl MemoryStore {
    fn bytes(&self) -> Vec<Vec<u8>> {
        self.entries.lock().unwrap().values().cloned().collect()
    }

    fn len(&self) -> usize {
        self.entries.lock().unwrap().len()
    }

    /// Edits every entry's JSON (the test knows the format; the store does not).
    fn edit(&self, f: impl Fn(&mut serde_json::Value)) {
        for bytes in self.entries.lock().unwrap().values_mut() {
            let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
            f(&mut v);
            *bytes = serde_json::to_vec(&v).unwrap();
        }
    }
}

fn failed(what: &str) -> CompletionStoreError {
    CompletionStoreError::Failed {
        reason: format!("{what} failed (test)"),
    }
}

impl CompletionStore for MemoryStore {
    fn put(&self, id: String, entry: Vec<u8>) -> Result<(), CompletionStoreError> {
        if self.fail_put.load(Ordering::SeqCst) {
            return Err(failed("write"));
        }
        self.entries.lock().unwrap().insert(id, entry);
        Ok(())
    }

    fn remove(&self, id: String) -> Result<(), CompletionStoreError> {
        self.entries.lock().unwrap().remove(&id);
        Ok(())
    }

    fn list(&self) -> Result<Vec<StoredCompletion>, CompletionStoreError> {
        if self.fail_list.load(Ordering::SeqCst) {
            return Err(failed("read"));
        }
        Ok(self
            .entries
            .lock()
            .unwrap()
            .iter()
            .map(|(id, entry)| StoredCompletion {
                id: id.clone(),
                entry: entry.clone(),
            })
            .collect())
    }
}

fn android() -> Platform {
    Platform::Android {
        package_name: "com.example.app".into(),
    }
}

/// The stack, its backend's Dwolla time limit (and so the lease of a key in flight) short: a
/// first attempt whose client gave up holds its key no longer than that.
async fn stack() -> Stack {
    start_stack(StackOptions {
        dwolla_timeout: LEASE,
        ..StackOptions::default()
    })
    .await
    .unwrap()
}

fn config(url: &str, timeout_ms: u64) -> BridgeConfig {
    let mut cfg = BridgeConfig::new(url, android(), Environment::Sandbox);
    cfg.allow_insecure_http = true;
    cfg.timeout_ms = timeout_ms;
    cfg
}

/// A client of `user` on the stack's backend with `store`, and the given deadline.
fn client(
    stack: &Stack,
    user: &str,
    store: &Arc<MemoryStore>,
    timeout_ms: u64,
) -> Arc<BridgeClient> {
    let token = stack.user(user).unwrap().token.clone();
    BridgeClient::with_completion_store(
        config(&stack.backend_url, timeout_ms),
        Some(Tokens::always(token)),
        store.clone(),
    )
    .unwrap()
}

/// A client of `user` whose backend cannot be reached (a closed port): its requests never leave.
fn offline_client(stack: &Stack, user: &str, store: &Arc<MemoryStore>) -> Arc<BridgeClient> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let token = stack.user(user).unwrap().token.clone();
    let mut cfg = config(&format!("http://127.0.0.1:{port}"), 2_000);
    cfg.max_retries = 0;
    BridgeClient::with_completion_store(cfg, Some(Tokens::always(token)), store.clone()).unwrap()
}

/// A Plaid public token of `user`'s Link session (made through the backend).
async fn public_token(stack: &Stack, user: &str) -> String {
    let c = client(stack, user, &Arc::default(), 10_000);
    let session = c.start_plaid_link("me".into()).await.unwrap();
    stack
        .simulator
        .complete_plaid_link(&session.link_token())
        .unwrap()
}

/// Makes the next POST to `path` late: Dwolla acts, its answer comes after the short deadline.
fn late(stack: &Stack, path: &str) {
    let mut fault = Fault::late(path, LATE);
    fault.method = Some("POST".into());
    stack.simulator.add_fault(fault);
}

/// Waits until the late answer reached the backend and the first attempt's lease is over (the
/// backend counts it in whole seconds: up to a second more).
async fn wait_out_late_answer() {
    tokio::time::sleep(LEASE.max(LATE) + Duration::from_millis(1_300)).await;
}

fn counts(stack: &Stack) -> (usize, usize) {
    (
        stack.simulator.exchange_count(),
        stack.simulator.funding_source_count(),
    )
}

/// Prints what the cut `case` ended with since `before` (the simulator's counts), and asserts
/// it: one exchange, one funding source, no entry left in `store`.
fn ends_with_one_of_each(case: &str, stack: &Stack, before: (usize, usize), store: &MemoryStore) {
    let (x, f) = counts(stack);
    println!(
        "{case}: exchanges {}, funding sources {}, pending {}",
        x - before.0,
        f - before.1,
        store.len()
    );
    assert_eq!((x, f), (before.0 + 1, before.1 + 1));
    assert_eq!(store.len(), 0);
}

async fn fund(c: &BridgeClient, exchange_id: &str) -> iav_bridge::FundingSource {
    c.create_funding_source(
        "me".into(),
        exchange_id.into(),
        BankAccountType::Checking,
        "Checking".into(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_plaid_completion_that_timed_out_after_dwolla_acted_returns_that_exchange_when_called_again(
) {
    let stack = stack().await;
    let store = Arc::new(MemoryStore::default());
    let public = public_token(&stack, "alice").await;
    let c = client(&stack, "alice", &store, SHORT_TIMEOUT_MS);
    let (x0, f0) = counts(&stack);

    late(&stack, "/customers/");
    let err = c
        .complete_plaid_link("me".into(), public.clone())
        .await
        .unwrap_err();
    assert!(matches!(err, BridgeError::Timeout { .. }), "{err:?}");
    assert_eq!(
        stack.simulator.exchange_count(),
        x0 + 1,
        "Dwolla created the exchange"
    );
    wait_out_late_answer().await;

    // The call repeated, as a Timeout invites: the same key, the first answer replayed.
    let exchange = c
        .complete_plaid_link("me".into(), public.clone())
        .await
        .unwrap();
    assert_eq!(exchange.status, "active");
    let fs = fund(&c, &exchange.id).await;
    println!(
        "reviewer's case (Plaid): exchanges created {} (expected 1), funding sources {}, pending after {}",
        stack.simulator.exchange_count() - x0,
        stack.simulator.funding_source_count() - f0,
        c.pending_completions().await.unwrap().len()
    );
    assert_eq!(counts(&stack), (x0 + 1, f0 + 1));
    assert!(!fs.id.is_empty());
    assert!(c.pending_completions().await.unwrap().is_empty());
    assert_eq!(store.len(), 0);
}

#[tokio::test]
async fn an_mx_completion_that_timed_out_after_dwolla_acted_returns_that_exchange_when_called_again(
) {
    let stack = stack().await;
    let store = Arc::new(MemoryStore::default());
    let c = client(&stack, "bob", &store, SHORT_TIMEOUT_MS);
    let setup = client(&stack, "bob", &Arc::default(), 10_000);
    let url = setup
        .create_exchange_session("me".into(), "MX".into())
        .await
        .unwrap();
    stack
        .simulator
        .complete_mx_session(url.rsplit('/').next().unwrap())
        .unwrap();
    let connection = setup.mx_connections("me".into()).await.unwrap()[0].clone();
    let (x0, f0) = counts(&stack);

    late(&stack, "/customers/");
    let err = c
        .complete_mx_connection("me".into(), connection.clone())
        .await
        .unwrap_err();
    assert!(matches!(err, BridgeError::Timeout { .. }), "{err:?}");
    wait_out_late_answer().await;

    let exchange = c
        .complete_mx_connection("me".into(), connection)
        .await
        .unwrap();
    fund(&c, &exchange.id).await;
    println!(
        "reviewer's case (MX): exchanges created {} (expected 1), funding sources {}",
        stack.simulator.exchange_count() - x0,
        stack.simulator.funding_source_count() - f0
    );
    assert_eq!(counts(&stack), (x0 + 1, f0 + 1));
    assert!(c.pending_completions().await.unwrap().is_empty());
}

#[tokio::test]
async fn cut_before_the_request_leaves_a_new_client_resumes_to_one_exchange_and_one_funding_source()
{
    let stack = stack().await;
    let store = Arc::new(MemoryStore::default());
    let public = public_token(&stack, "alice").await;
    let (x0, f0) = counts(&stack);

    let offline = offline_client(&stack, "alice", &store);
    let err = offline
        .complete_plaid_link("me".into(), public.clone())
        .await
        .unwrap_err();
    assert!(matches!(err, BridgeError::Network { .. }), "{err:?}");
    drop(offline);
    assert_eq!(store.len(), 1, "the entry was written before the request");
    assert_eq!(counts(&stack), (x0, f0), "nothing reached Dwolla");

    let c = client(&stack, "alice", &store, 10_000);
    let pending = c.pending_completions().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].kind, CompletionKind::Plaid);
    assert!(pending[0].exchange.is_none());
    let resumed = c.resume_pending().await.unwrap();
    assert_eq!(resumed.len(), 1);
    let CompletionOutcome::Exchanged { exchange } = &resumed[0].outcome else {
        panic!("{resumed:?}");
    };
    // The token is no longer at rest once the exchange is known.
    assert!(store
        .bytes()
        .iter()
        .all(|b| !String::from_utf8_lossy(b).contains(&public)));
    fund(&c, &exchange.id).await;
    ends_with_one_of_each("cut before the request", &stack, (x0, f0), &store);
    assert!(c.resume_pending().await.unwrap().is_empty());
}

#[tokio::test]
async fn cut_after_the_exchange_was_created_a_new_client_resumes_to_one_exchange_and_one_funding_source(
) {
    let stack = stack().await;
    let store = Arc::new(MemoryStore::default());
    let public = public_token(&stack, "alice").await;
    let (x0, f0) = counts(&stack);

    let first = client(&stack, "alice", &store, SHORT_TIMEOUT_MS);
    late(&stack, "/customers/");
    let err = first
        .complete_plaid_link("me".into(), public.clone())
        .await
        .unwrap_err();
    assert!(matches!(err, BridgeError::Timeout { .. }), "{err:?}");
    drop(first);
    wait_out_late_answer().await;

    let c = client(&stack, "alice", &store, 10_000);
    let resumed = c.resume_pending().await.unwrap();
    let [r] = &resumed[..] else {
        panic!("{resumed:?}")
    };
    let CompletionOutcome::Exchanged { exchange } = &r.outcome else {
        panic!("{r:?}");
    };
    assert_eq!(
        c.pending_completions().await.unwrap()[0].exchange.as_ref(),
        Some(exchange)
    );
    fund(&c, &exchange.id).await;
    ends_with_one_of_each(
        "cut after the exchange was created",
        &stack,
        (x0, f0),
        &store,
    );
}

#[tokio::test]
async fn cut_after_the_funding_source_was_created_a_new_client_resumes_to_one_of_each() {
    let stack = stack().await;
    let store = Arc::new(MemoryStore::default());
    let public = public_token(&stack, "alice").await;
    let (x0, f0) = counts(&stack);

    let first = client(&stack, "alice", &store, SHORT_TIMEOUT_MS);
    let exchange = first
        .complete_plaid_link("me".into(), public.clone())
        .await
        .unwrap();
    late(&stack, "/customers/");
    let err = first
        .create_funding_source(
            "me".into(),
            exchange.id.clone(),
            BankAccountType::Checking,
            "Checking".into(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, BridgeError::Timeout { .. }), "{err:?}");
    assert_eq!(
        counts(&stack),
        (x0 + 1, f0 + 1),
        "Dwolla created the funding source"
    );
    drop(first);
    wait_out_late_answer().await;

    let c = client(&stack, "alice", &store, 10_000);
    let resumed = c.resume_pending().await.unwrap();
    let [r] = &resumed[..] else {
        panic!("{resumed:?}")
    };
    let CompletionOutcome::Completed { funding_source } = &r.outcome else {
        panic!("{r:?}");
    };
    assert_eq!(funding_source.name, "Checking");
    ends_with_one_of_each(
        "cut after the funding source was created",
        &stack,
        (x0, f0),
        &store,
    );
    assert!(c.pending_completions().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_entry_past_the_public_tokens_lifetime_is_dropped_as_expired_without_a_request() {
    let stack = stack().await;
    let store = Arc::new(MemoryStore::default());
    let public = public_token(&stack, "alice").await;
    let offline = offline_client(&stack, "alice", &store);
    offline
        .complete_plaid_link("me".into(), public)
        .await
        .unwrap_err();
    // Written 31 minutes ago: Plaid's public token lives 30.
    store.edit(|v| {
        let t = v["created_ms"].as_u64().unwrap();
        v["created_ms"] = (t - 31 * 60 * 1000).into();
    });
    let (x0, _) = counts(&stack);
    let c = client(&stack, "alice", &store, 10_000);
    let resumed = c.resume_pending().await.unwrap();
    assert_eq!(resumed.len(), 1);
    assert_eq!(resumed[0].outcome, CompletionOutcome::Expired);
    assert_eq!(stack.simulator.exchange_count(), x0);
    assert_eq!(store.len(), 0);
}

#[tokio::test]
async fn another_users_entry_is_never_resumed_by_them_and_stays_for_its_user() {
    let stack = stack().await;
    let store = Arc::new(MemoryStore::default());
    let public = public_token(&stack, "alice").await;
    offline_client(&stack, "alice", &store)
        .complete_plaid_link("me".into(), public)
        .await
        .unwrap_err();
    let (x0, _) = counts(&stack);

    let bob = client(&stack, "bob", &store, 10_000);
    assert!(bob.pending_completions().await.unwrap().is_empty());
    let resumed = bob.resume_pending().await.unwrap();
    assert_eq!(resumed.len(), 1);
    assert_eq!(resumed[0].outcome, CompletionOutcome::OtherUser);
    assert_eq!(resumed[0].customer_id, None);
    assert_eq!(stack.simulator.exchange_count(), x0, "bob sent nothing");
    assert_eq!(store.len(), 1, "kept for alice");

    let alice = client(&stack, "alice", &store, 10_000);
    let resumed = alice.resume_pending().await.unwrap();
    assert!(
        matches!(resumed[0].outcome, CompletionOutcome::Exchanged { .. }),
        "{resumed:?}"
    );
    assert_eq!(stack.simulator.exchange_count(), x0 + 1);
}

#[tokio::test]
async fn a_store_that_fails_to_write_never_blocks_and_the_repeat_still_replays() {
    let stack = stack().await;
    let store = Arc::new(MemoryStore::default());
    store.fail_put.store(true, Ordering::SeqCst);
    let public = public_token(&stack, "alice").await;
    let c = client(&stack, "alice", &store, SHORT_TIMEOUT_MS);
    let (x0, f0) = counts(&stack);

    late(&stack, "/customers/");
    let err = c
        .complete_plaid_link("me".into(), public.clone())
        .await
        .unwrap_err();
    assert!(matches!(err, BridgeError::Timeout { .. }), "{err:?}");
    assert_eq!(store.len(), 0, "the store wrote nothing");
    wait_out_late_answer().await;
    // The entry lives on in this client's memory.
    assert_eq!(c.pending_completions().await.unwrap().len(), 1);
    let exchange = c.complete_plaid_link("me".into(), public).await.unwrap();
    fund(&c, &exchange.id).await;
    assert_eq!(counts(&stack), (x0 + 1, f0 + 1));
    assert!(c.pending_completions().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_store_that_fails_to_read_leaves_this_processs_completions_resumable() {
    let stack = stack().await;
    let store = Arc::new(MemoryStore::default());
    let public = public_token(&stack, "alice").await;
    let c = client(&stack, "alice", &store, SHORT_TIMEOUT_MS);
    let (x0, f0) = counts(&stack);
    late(&stack, "/customers/");
    c.complete_plaid_link("me".into(), public)
        .await
        .unwrap_err();
    store.fail_list.store(true, Ordering::SeqCst);
    wait_out_late_answer().await;

    let resumed = c.resume_pending().await.unwrap();
    let [r] = &resumed[..] else {
        panic!("{resumed:?}")
    };
    let CompletionOutcome::Exchanged { exchange } = &r.outcome else {
        panic!("{r:?}");
    };
    fund(&c, &exchange.id).await;
    assert_eq!(counts(&stack), (x0 + 1, f0 + 1));
    // A new client with the unreadable store knows nothing, and says so without failing.
    let fresh = client(&stack, "alice", &store, 10_000);
    assert!(fresh.resume_pending().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_corrupted_entry_is_reported_and_removed_and_the_others_still_complete() {
    let stack = stack().await;
    let store = Arc::new(MemoryStore::default());
    let public = public_token(&stack, "alice").await;
    offline_client(&stack, "alice", &store)
        .complete_plaid_link("me".into(), public)
        .await
        .unwrap_err();
    store
        .entries
        .lock()
        .unwrap()
        .insert("garbage".into(), b"\x00{not an entry".to_vec());

    let c = client(&stack, "alice", &store, 10_000);
    let resumed = c.resume_pending().await.unwrap();
    assert_eq!(resumed.len(), 2, "{resumed:?}");
    let unreadable: Vec<_> = resumed
        .iter()
        .filter(|r| r.outcome == CompletionOutcome::Unreadable)
        .collect();
    assert_eq!(unreadable.len(), 1);
    assert_eq!(unreadable[0].id, "garbage");
    assert!(resumed
        .iter()
        .any(|r| matches!(r.outcome, CompletionOutcome::Exchanged { .. })));
    assert!(!store.entries.lock().unwrap().contains_key("garbage"));
}

#[tokio::test]
async fn a_refused_completion_is_dropped_with_its_typed_refusal() {
    let stack = stack().await;
    let store = Arc::new(MemoryStore::default());
    offline_client(&stack, "alice", &store)
        .complete_plaid_link("me".into(), "public-sandbox-not-a-known-token".into())
        .await
        .unwrap_err();
    let c = client(&stack, "alice", &store, 10_000);
    let resumed = c.resume_pending().await.unwrap();
    let [r] = &resumed[..] else {
        panic!("{resumed:?}")
    };
    let CompletionOutcome::Refused { error } = &r.outcome else {
        panic!("{r:?}");
    };
    let text = format!("{resumed:?} {error}");
    assert!(!text.contains("public-sandbox-not-a-known-token"), "{text}");
    assert_eq!(store.len(), 0);
}
