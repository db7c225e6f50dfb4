//! The completion journal: a bank link the app handed over (a Plaid public token, an MX
//! connection, a card token) is written down before its request leaves, and crossed out only
//! when its funding source, or a typed final refusal, comes back; after a kill, a crash or a
//! dead network, `BridgeClient::resume_pending` finishes it.
//!
//! The rules:
//! - every completion's `Idempotency-Key` is derived from what it completes ([`completion_key`]:
//!   the customer and the secret, through an HMAC), and the funding source's from that key
//!   and its details ([`funding_key`]), so the same call repeated, by the app or by a
//!   resumption, replays the backend's first answer: one exchange and one funding source
//!   whatever happens;
//! - an entry is kept by the app's [`CompletionStore`] (encrypted, on the device) and in this
//!   client's memory; a store that fails to write, read or remove makes the
//!   client go on from memory and log a warning record: it never blocks a completion;
//! - an entry belongs to the access token it was written with (an HMAC of the token under a
//!   random salt of the entry, never the token): another user never resumes it;
//! - an entry whose secret is still needed expires with the partner's token (Plaid's public
//!   token lives 30 minutes); one waiting only for its funding source after 24 hours (Dwolla's
//!   idempotency keys' lifetime): it is then dropped with a typed reason, never retried forever;
//! - the secret is dropped from the entry as soon as the exchange is known; nothing of an entry
//!   shows in a `Debug` or a log line.
//!
//! The entry's bytes are versioned JSON ([`ENTRY_VERSION`]); a store sees them as opaque.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ring::hmac;
use serde::{Deserialize, Serialize};

use crate::hal::{BankAccountType, BillingAddress, Exchange};

/// The version of the entries' format.
pub(crate) const ENTRY_VERSION: u32 = 1;
/// Plaid's public token lives 30 minutes.
pub(crate) const PLAID_TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// An MX connection token: Dwolla states no lifetime; the journal gives it Plaid's.
pub(crate) const MX_TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// A Checkout.com card token lives 15 minutes.
pub(crate) const CARD_TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// An entry that waits only for its funding source (the exchange exists) is kept 24 hours,
/// the lifetime of Dwolla's idempotency keys.
pub(crate) const EXCHANGED_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// Where a client keeps its pending completions so that they survive the process: implement
/// it in Kotlin or Swift (for example a file encrypted with AES-GCM under an Android Keystore
/// key, or Keychain items with `kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly`), or on another
/// platform in any language uniffi serves.
///
/// The entries are opaque bytes that hold a single-use secret (a Plaid public token, an MX
/// connection or card token) until the exchange is known: keep them encrypted at rest, on this
/// device only, and never log them. Calls come from the library's I/O threads, one at a time
/// for a given id; each should return quickly. A call that throws is logged and the client goes
/// on with its copy in memory: a failing store never blocks a completion.
#[uniffi::export(foreign)]
pub trait CompletionStore: Send + Sync {
    /// Stores `entry` under `id`, replacing what `id` held.
    fn put(&self, id: String, entry: Vec<u8>) -> Result<(), CompletionStoreError>;
    /// Removes the entry `id` (nothing when there is none).
    fn remove(&self, id: String) -> Result<(), CompletionStoreError>;
    /// Every entry stored, in any order.
    fn list(&self) -> Result<Vec<StoredCompletion>, CompletionStoreError>;
}

/// One entry of a [`CompletionStore`]: its id and its opaque bytes.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct StoredCompletion {
    /// The entry's id (the completion's id).
    pub id: String,
    /// The entry: opaque bytes that may hold a secret.
    pub entry: Vec<u8>,
}

impl std::fmt::Debug for StoredCompletion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredCompletion")
            .field("id", &self.id)
            .field("entry_bytes", &self.entry.len())
            .finish()
    }
}

/// What a [`CompletionStore`] throws when it cannot do what it was asked (a full disk, a
/// Keystore or Keychain error). Any other exception of a Kotlin or Swift store becomes `Failed`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum CompletionStoreError {
    /// The store failed.
    #[error("the completion store failed: {reason}")]
    Failed {
        /// Why, in the store's words. Must not contain an entry's bytes.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for CompletionStoreError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        CompletionStoreError::Failed { reason: e.reason }
    }
}

/// What a pending completion completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
pub enum CompletionKind {
    /// A Plaid Link success (`complete_plaid_link`), then its funding source.
    Plaid,
    /// An MX connection (`complete_mx_connection`), then its funding source.
    Mx,
    /// A debit card (`create_card_funding_source`).
    Card,
}

/// Whose an entry is: an HMAC-SHA256 of the access token under the entry's random salt.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OwnerMark {
    pub salt: String,
    pub mac: Option<String>,
}

/// The funding source an exchange is to become.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FundingPlan {
    pub bank_account_type: BankAccountType,
    pub name: String,
    pub key: String,
}

/// A debit card's details besides its token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CardPlan {
    pub name: String,
    pub billing_address: BillingAddress,
}

/// The exchange, once the backend answered it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ExchangeRecord {
    pub id: String,
    pub url: String,
    pub status: String,
}

impl From<&Exchange> for ExchangeRecord {
    fn from(e: &Exchange) -> Self {
        ExchangeRecord {
            id: e.id.clone(),
            url: e.url.clone(),
            status: e.status.clone(),
        }
    }
}

impl From<&ExchangeRecord> for Exchange {
    fn from(e: &ExchangeRecord) -> Self {
        Exchange {
            id: e.id.clone(),
            url: e.url.clone(),
            status: e.status.clone(),
        }
    }
}

/// One pending completion.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub v: u32,
    /// The entry's id: the completion's `Idempotency-Key`.
    pub id: String,
    pub kind: CompletionKind,
    pub customer_id: String,
    /// The single-use token, until the exchange is known (a card's until its funding source).
    pub secret: Option<String>,
    /// When it was written, in milliseconds since the Unix epoch.
    pub created_ms: u64,
    pub owner: OwnerMark,
    pub exchange: Option<ExchangeRecord>,
    pub funding: Option<FundingPlan>,
    pub card: Option<CardPlan>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("kind", &self.kind)
            .field("has_secret", &self.secret.is_some())
            .field("exchanged", &self.exchange.is_some())
            .field("funding_planned", &self.funding.is_some())
            .finish_non_exhaustive()
    }
}

impl Entry {
    /// A new entry for `secret` of `customer_id`, written now.
    /// `details` are the request's other parts that go into its key (a card's name and
    /// address), so that a repeat with other details is another request.
    pub(crate) fn new(
        kind: CompletionKind,
        customer_id: &str,
        secret: &str,
        details: &[&str],
        owner: OwnerMark,
    ) -> Entry {
        Entry {
            v: ENTRY_VERSION,
            id: completion_key(kind, customer_id, secret, details),
            kind,
            customer_id: customer_id.to_string(),
            secret: Some(secret.to_string()),
            created_ms: now_ms(),
            owner,
            exchange: None,
            funding: None,
            card: None,
        }
    }

    /// When the entry can no longer be completed, in milliseconds since the Unix epoch: the
    /// secret's lifetime while it is needed, else [`EXCHANGED_LIFETIME`].
    pub(crate) fn expires_ms(&self) -> u64 {
        let lifetime = if self.exchange.is_some() {
            EXCHANGED_LIFETIME
        } else {
            match self.kind {
                CompletionKind::Plaid => PLAID_TOKEN_LIFETIME,
                CompletionKind::Mx => MX_TOKEN_LIFETIME,
                CompletionKind::Card => CARD_TOKEN_LIFETIME,
            }
        };
        self.created_ms
            .saturating_add(u64::try_from(lifetime.as_millis()).unwrap_or(u64::MAX))
    }

    pub(crate) fn is_expired(&self, now_ms: u64) -> bool {
        now_ms >= self.expires_ms()
    }

    fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// An entry from a store's bytes, `None` when they are not one.
    pub(crate) fn decode(id: &str, bytes: &[u8]) -> Option<Entry> {
        let entry: Entry = serde_json::from_slice(bytes).ok()?;
        (entry.v == ENTRY_VERSION && entry.id == id).then_some(entry)
    }
}

/// Milliseconds since the Unix epoch on the wall clock (the journal outlives the process, so
/// the monotonic clock cannot serve).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// An HMAC-SHA256, under a fixed key naming the purpose, of the parts (each ended by a zero
/// byte), as a UUID (version 8: custom) so that the backend's key rule (a UUID is
/// recommended) holds.
fn derived_uuid(purpose: &str, parts: &[&str]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, purpose.as_bytes());
    let mut ctx = hmac::Context::with_key(&key);
    for part in parts {
        ctx.update(part.as_bytes());
        ctx.update(&[0]);
    }
    let tag = ctx.sign();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&tag.as_ref()[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The `Idempotency-Key` of a completion (and its entry's id): derived from the customer and
/// the secret it completes, so every attempt sends the same key. The secret cannot be read
/// back from it.
pub(crate) fn completion_key(
    kind: CompletionKind,
    customer_id: &str,
    secret: &str,
    details: &[&str],
) -> String {
    let kind = match kind {
        CompletionKind::Plaid => "plaid",
        CompletionKind::Mx => "mx",
        CompletionKind::Card => "card",
    };
    let mut parts = vec![kind, customer_id, secret];
    parts.extend_from_slice(details);
    derived_uuid("iav-bridge completion key v1", &parts)
}

/// The `Idempotency-Key` of the funding source an entry's exchange becomes: derived from the
/// completion's key and the funding source's details (the same details replay, others are a
/// new request).
pub(crate) fn funding_key(completion: &str, kind: BankAccountType, name: &str) -> String {
    derived_uuid(
        "iav-bridge funding source key v1",
        &[completion, kind.as_str(), name],
    )
}

/// A random salt for an entry's owner mark, hex.
pub(crate) fn new_salt() -> String {
    hex(uuid::Uuid::new_v4().as_bytes())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// What the journal holds under one id.
pub(crate) enum Listed {
    Entry(Box<Entry>),
    /// Bytes that are not an entry of this version (corrupted, or of another format).
    Unreadable(String),
}

/// The journal of one client: the app's store (if any) and the copy in memory.
pub(crate) struct Journal {
    store: Option<Arc<dyn CompletionStore>>,
    memory: Mutex<BTreeMap<String, Entry>>,
    /// Ids removed by this client whose removal from the store failed: never listed again.
    removed: Mutex<HashSet<String>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Journal {
    pub(crate) fn new(store: Option<Arc<dyn CompletionStore>>) -> Journal {
        Journal {
            store,
            memory: Mutex::new(BTreeMap::new()),
            removed: Mutex::new(HashSet::new()),
        }
    }

    /// Writes `entry` to memory and to the store; a store that fails is logged, and the entry
    /// lives on in memory.
    pub(crate) fn put(&self, entry: &Entry) {
        lock(&self.removed).remove(&entry.id);
        lock(&self.memory).insert(entry.id.clone(), entry.clone());
        if let Some(store) = &self.store {
            if let Err(e) = store.put(entry.id.clone(), entry.encode()) {
                log::warn!(target: "iav_bridge::journal", "the completion store could not write a pending {:?} completion ({e}); it is kept in memory only, so it will not survive the process", entry.kind);
            }
        }
    }

    /// Crosses out the entry `id`.
    pub(crate) fn remove(&self, id: &str) {
        lock(&self.memory).remove(id);
        if let Some(store) = &self.store {
            if let Err(e) = store.remove(id.to_string()) {
                lock(&self.removed).insert(id.to_string());
                log::warn!(target: "iav_bridge::journal", "the completion store could not remove a finished completion ({e}); this client ignores it from now on");
            }
        }
    }

    /// The entry `id`, from memory or the store.
    pub(crate) fn get(&self, id: &str) -> Option<Entry> {
        self.list().into_iter().find_map(|l| match l {
            Listed::Entry(e) if e.id == id => Some(*e),
            _ => None,
        })
    }

    /// Every entry: the store's, with this client's copy in memory over it (newer, or the only
    /// one when the store failed to write). A store that fails to list is logged and the
    /// entries in memory are listed.
    pub(crate) fn list(&self) -> Vec<Listed> {
        let mut out: BTreeMap<String, Listed> = BTreeMap::new();
        if let Some(store) = &self.store {
            match store.list() {
                Ok(stored) => {
                    for s in stored {
                        let listed = match Entry::decode(&s.id, &s.entry) {
                            Some(e) => Listed::Entry(Box::new(e)),
                            None => Listed::Unreadable(s.id.clone()),
                        };
                        out.insert(s.id, listed);
                    }
                }
                Err(e) => {
                    log::warn!(target: "iav_bridge::journal", "the completion store could not list its entries ({e}); only the completions of this process are known");
                }
            }
        }
        for (id, e) in lock(&self.memory).iter() {
            out.insert(id.clone(), Listed::Entry(Box::new(e.clone())));
        }
        let removed = lock(&self.removed);
        out.into_iter()
            .filter(|(id, _)| !removed.contains(id))
            .map(|(_, l)| l)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> OwnerMark {
        OwnerMark {
            salt: new_salt(),
            mac: None,
        }
    }

    #[test]
    fn keys_are_derived_from_what_they_complete_and_hide_the_secret() {
        let a = completion_key(CompletionKind::Plaid, "me", "public-sandbox-1", &[]);
        assert_eq!(
            a,
            completion_key(CompletionKind::Plaid, "me", "public-sandbox-1", &[])
        );
        assert_ne!(
            a,
            completion_key(CompletionKind::Plaid, "me", "public-sandbox-2", &[])
        );
        assert_ne!(
            a,
            completion_key(CompletionKind::Mx, "me", "public-sandbox-1", &[])
        );
        assert_ne!(
            a,
            completion_key(CompletionKind::Plaid, "c2", "public-sandbox-1", &[])
        );
        assert!(uuid::Uuid::parse_str(&a).is_ok(), "{a}");
        assert!(!a.contains("sandbox"));
        let f = funding_key(&a, BankAccountType::Checking, "My bank");
        assert_eq!(f, funding_key(&a, BankAccountType::Checking, "My bank"));
        assert_ne!(f, funding_key(&a, BankAccountType::Savings, "My bank"));
    }

    #[test]
    fn an_entry_round_trips_and_prints_no_secret() {
        let e = Entry::new(
            CompletionKind::Plaid,
            "me",
            "public-sandbox-secret-1",
            &[],
            owner(),
        );
        let back = Entry::decode(&e.id, &e.encode()).unwrap();
        assert_eq!(back, e);
        assert!(Entry::decode("another-id", &e.encode()).is_none());
        assert!(Entry::decode(&e.id, b"{not json").is_none());
        let printed = format!("{e:?} {e:#?}");
        assert!(!printed.contains("public-sandbox-secret-1"), "{printed}");
        assert!(!printed.contains(&e.owner.salt), "{printed}");
    }

    #[test]
    fn a_token_expires_with_the_partner_and_an_exchange_after_a_day() {
        let mut e = Entry::new(
            CompletionKind::Plaid,
            "me",
            "public-sandbox-1",
            &[],
            owner(),
        );
        let t0 = e.created_ms;
        assert!(!e.is_expired(t0 + 29 * 60 * 1000));
        assert!(e.is_expired(t0 + 30 * 60 * 1000));
        e.exchange = Some(ExchangeRecord {
            id: "x".into(),
            url: "u".into(),
            status: "active".into(),
        });
        assert!(!e.is_expired(t0 + 30 * 60 * 1000));
        assert!(e.is_expired(t0 + 24 * 60 * 60 * 1000));
        let card = Entry::new(CompletionKind::Card, "me", "tok_1", &[], owner());
        assert!(card.is_expired(card.created_ms + 15 * 60 * 1000));
    }

    struct Failing;
    impl CompletionStore for Failing {
        fn put(&self, _: String, _: Vec<u8>) -> Result<(), CompletionStoreError> {
            Err(CompletionStoreError::Failed {
                reason: "disk full".into(),
            })
        }
        fn remove(&self, _: String) -> Result<(), CompletionStoreError> {
            Err(CompletionStoreError::Failed {
                reason: "disk full".into(),
            })
        }
        fn list(&self) -> Result<Vec<StoredCompletion>, CompletionStoreError> {
            Err(CompletionStoreError::Failed {
                reason: "unreadable".into(),
            })
        }
    }

    #[test]
    fn a_failing_store_leaves_the_entries_in_memory() {
        let j = Journal::new(Some(Arc::new(Failing)));
        let e = Entry::new(CompletionKind::Mx, "me", "mx-token-1", &[], owner());
        j.put(&e);
        assert_eq!(j.get(&e.id), Some(e.clone()));
        j.remove(&e.id);
        assert!(j.get(&e.id).is_none());
        assert!(j.list().is_empty());
    }
}
