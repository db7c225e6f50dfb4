//! What the backend remembers between requests, behind the [`Store`] trait: which customer owns
//! each exchange session, exchange and funding source; the app's `Idempotency-Key`s (who claimed
//! each, for which request, and the resource it created); the app users: those of a users file
//! (by the HMAC of their token, with the generation of the file they came from) and the subjects
//! of an OIDC issuer (`--auth jwt`), each mapped to its Dwolla customer and revocable; and the
//! secrets that derive the keys sent to Dwolla and hash the users' tokens.
//!
//! Everything a restart must not lose and replicas must share lives here. The implementation is
//! [`super::database::SqlStore`]: SQLite (in memory, or a file) or PostgreSQL.

use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use axum::http::StatusCode;

use super::error::ApiError;

/// How long an `Idempotency-Key` is remembered, as Dwolla does: 24 hours.
pub const IDEMPOTENCY_KEY_LIFETIME_SECS: i64 = 24 * 60 * 60;

/// Now, in seconds since the Unix epoch: the store's clock ([`KeyUse::now`], migration times).
pub(crate) fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The kinds of resources whose owner the backend remembers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// An exchange session (`/exchange-sessions/{id}`).
    ExchangeSession,
    /// An exchange (`/exchanges/{id}`).
    Exchange,
    /// A funding source (`/funding-sources/{id}`).
    FundingSource,
}

impl ResourceKind {
    /// Dwolla's collection of this kind (`exchange-sessions`, `exchanges`, `funding-sources`):
    /// the path segment before an id, and a stable name for a store's key.
    pub fn collection(self) -> &'static str {
        match self {
            ResourceKind::ExchangeSession => "exchange-sessions",
            ResourceKind::Exchange => "exchanges",
            ResourceKind::FundingSource => "funding-sources",
        }
    }
}

/// Why a [`Store`] could not answer (a database down, a failed write, a failed migration). The
/// message is logged and printed; it never carries credentials, tokens or connection strings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the backend's store failed: {0}")]
pub struct StoreError(pub String);

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        log::error!("{e}");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "The backend could not reach its store.",
        )
    }
}

/// One use of an app's `Idempotency-Key`, as recorded by [`Store::begin_request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUse<'a> {
    /// A hash of the app's key in its user's namespace (the key itself is not stored): the same
    /// key sent by two users is two keys.
    pub key_hash: &'a str,
    /// The Dwolla customer of the app user who sent it.
    pub customer: &'a str,
    /// A hash of the request (Dwolla path and body) the key was sent with.
    pub fingerprint: &'a str,
    /// Now, in seconds since the Unix epoch.
    pub now: i64,
    /// This attempt's own id (drawn at random), recorded while it is in flight.
    pub attempt: &'a str,
    /// Until when (seconds since the Unix epoch) this attempt counts as in flight unless it
    /// ends first: past it, a retry takes the key over (the attempt's backend died).
    pub attempt_until: i64,
}

/// What a key's record says about a request, from [`Store::begin_request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyClaim {
    /// The key is this attempt's: send it to Dwolla. Also the answer for a retry whose earlier
    /// attempt ended without a result (a timeout, a 5xx) or outlived its lease (its backend
    /// died): Dwolla itself replays the first answer for the same derived key.
    Send,
    /// Another attempt with the key is in flight (within its lease): answer 503 with
    /// `Retry-After`, send nothing, and leave the record as it is.
    InProgress,
    /// This request was answered before: the Dwolla URL of the resource it created.
    Replay(String),
    /// The key was claimed by another user, or for another request, in the last 24 hours.
    Conflict,
}

/// Where the backend records what must survive a restart and be shared by its replicas.
///
/// Customers are Dwolla customer ids. Implementations are shared by every request at once
/// (`Send + Sync`, behind an `Arc`), and by every instance of the backend that uses the same
/// database: each operation is atomic on its own.
#[async_trait]
pub trait Store: Send + Sync {
    /// The customer recorded as the owner of the resource, if any.
    async fn owner(&self, kind: ResourceKind, id: &str) -> Result<Option<String>, StoreError>;

    /// Records `customer` as the owner of a resource Dwolla just created, unless an owner is
    /// already recorded; true when the owner is (now) `customer`. Exactly one of two concurrent
    /// claims of one id by different customers wins.
    async fn claim(&self, kind: ResourceKind, id: &str, customer: &str)
        -> Result<bool, StoreError>;

    /// Records `customer` as the owner, replacing any owner recorded: for a resource not created
    /// through this backend that Dwolla links to `customer`.
    async fn remember(
        &self,
        kind: ResourceKind,
        id: &str,
        customer: &str,
    ) -> Result<(), StoreError>;

    /// Claims an app's `Idempotency-Key` for a request, or tells how it was used before. A
    /// record older than [`IDEMPOTENCY_KEY_LIFETIME_SECS`] is forgotten first.
    async fn begin_request(&self, key: &KeyUse<'_>) -> Result<KeyClaim, StoreError>;

    /// Records the Dwolla URL of the resource that the request with this key created; the key
    /// is no longer in flight.
    async fn finish_request(&self, key_hash: &str, location: &str) -> Result<(), StoreError>;

    /// Ends the attempt `attempt` with this key without a known result (a timeout, a 5xx,
    /// Dwolla's "already in progress"): the record stays, and the next retry is sent to Dwolla.
    async fn abandon_request(&self, key_hash: &str, attempt: &str) -> Result<(), StoreError>;

    /// Forgets a key whose request, attempt `attempt`, Dwolla refused in a way that proves
    /// nothing was created (a 4xx other than 408 and 409), so that the app may send a
    /// corrected request with it. A record of another attempt, or with a result, stays.
    async fn release_request(&self, key_hash: &str, attempt: &str) -> Result<(), StoreError>;

    /// Makes `users` (a users file, or the demo users) the stored users, unless this set was
    /// stored before. `digest` identifies the set (an HMAC of its users); `generation` is the
    /// file's own `generation`, if it names one. In one transaction:
    /// - a set never stored, with no generation: stored as the next generation;
    /// - a `generation` above the current one: stored as that generation;
    /// - the current set: nothing changes (users revoked in the database stay revoked);
    /// - any other (a set replaced since, or a generation not above the current one): nothing
    ///   changes, [`UsersImport::Superseded`].
    ///
    /// Storing a set removes every user that is not in it; a user revoked in the database stays
    /// revoked when a new set lists it again.
    async fn import_users(
        &self,
        digest: &str,
        generation: Option<i64>,
        users: &[StoredUser],
    ) -> Result<UsersImport, StoreError>;

    /// The stored users-file user whose token has this HMAC, unless revoked.
    async fn file_user(&self, token_hash: &str) -> Result<Option<StoredUser>, StoreError>;

    /// The Dwolla customer of an OIDC issuer's subject, if one is linked.
    async fn subject(&self, issuer: &str, subject: &str) -> Result<Option<Subject>, StoreError>;

    /// Links an issuer's subject to `customer` unless it is linked already; the link as it now
    /// stands (of two concurrent links, the first wins).
    async fn link_subject(
        &self,
        issuer: &str,
        subject: &str,
        customer: &str,
    ) -> Result<Subject, StoreError>;

    /// The secret with which users' tokens are hashed when none is configured: drawn at random
    /// once per database and shared by every instance that uses it (development only: whoever
    /// reads the database reads it too).
    async fn users_secret(&self) -> Result<Vec<u8>, StoreError>;

    /// The secret from which the keys sent to Dwolla are derived: drawn at random once per
    /// database and shared by every instance that uses it.
    async fn key_secret(&self) -> Result<Vec<u8>, StoreError>;
}

/// A user of a users file as stored: the HMAC of its bearer token (never the token), its name
/// and its customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUser {
    /// HMAC-SHA256 of the token with the users secret, in hex.
    pub token_hash: String,
    /// The user's name (`user-1`, ...).
    pub name: String,
    /// The Dwolla customer the user acts as.
    pub customer_id: String,
}

/// What [`Store::import_users`] did with a set of users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsersImport {
    /// The set is now the stored users, as `generation`; `removed` users of the set before
    /// are gone (on every instance, at their next request).
    Imported {
        /// The set's generation.
        generation: i64,
        /// How many stored users it removed.
        removed: u64,
    },
    /// The set is the current one already; nothing changed.
    Current {
        /// The current generation.
        generation: i64,
    },
    /// The set is older than the stored one (replaced since, or a generation not above the
    /// current); nothing changed.
    Superseded {
        /// The set's generation (as stored before, or as its file names it).
        generation: i64,
        /// The current generation.
        current: i64,
    },
}

/// An OIDC subject's link to its Dwolla customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The Dwolla customer.
    pub customer_id: String,
    /// Whether the user is revoked (`revoked_at` set in the database).
    pub revoked: bool,
}
