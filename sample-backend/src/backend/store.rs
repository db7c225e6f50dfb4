//! What the backend remembers between requests, behind the [`OwnershipStore`] trait: which
//! customer created (or was found to own) each exchange session, exchange and funding source.
//!
//! [`MemoryOwnership`], the default, keeps it in memory: after a restart a resource is owned again
//! by the customer Dwolla links it to (see `ownership.rs`). A persistent store (SQLite,
//! PostgreSQL) implements the same trait and is set in [`super::BackendConfig::ownership`]; such
//! a store is also the natural home for what a restart loses today besides ownership: the
//! `Idempotency-Key`s whose resources [`OwnershipStore::claim`] protects, and the app users'
//! bearer tokens and customers.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use async_trait::async_trait;
use axum::http::StatusCode;

use super::error::ApiError;

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

/// Why an [`OwnershipStore`] could not answer (a database down, a failed write). The message is
/// logged; it must not carry credentials or tokens. [`MemoryOwnership`] never fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the ownership store failed: {0}")]
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

/// Where the backend records which Dwolla customer owns a resource, by kind and Dwolla id.
///
/// Customers are Dwolla customer ids. Implementations are shared by every request at once
/// (`Send + Sync`, behind an `Arc`).
#[async_trait]
pub trait OwnershipStore: Send + Sync {
    /// The customer recorded as the owner of the resource, if any.
    async fn owner(&self, kind: ResourceKind, id: &str) -> Result<Option<String>, StoreError>;

    /// Records `customer` as the owner of a resource Dwolla just created, unless an owner is
    /// already recorded; true when the owner is (now) `customer`.
    ///
    /// Must be atomic: Dwolla replays the first answer for a reused `Idempotency-Key`, so two
    /// customers can be handed the same new id, and exactly one of them may win (in SQL: an
    /// `INSERT ... ON CONFLICT DO NOTHING`, then a read of the owner).
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
}

/// The in-memory [`OwnershipStore`]: a map behind a mutex, empty at start, lost on restart.
#[derive(Default)]
pub struct MemoryOwnership {
    owners: Mutex<HashMap<(ResourceKind, String), String>>,
}

impl MemoryOwnership {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn owners(&self) -> std::sync::MutexGuard<'_, HashMap<(ResourceKind, String), String>> {
        self.owners.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl fmt::Debug for MemoryOwnership {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryOwnership")
            .field("resources", &self.owners().len())
            .finish()
    }
}

#[async_trait]
impl OwnershipStore for MemoryOwnership {
    async fn owner(&self, kind: ResourceKind, id: &str) -> Result<Option<String>, StoreError> {
        Ok(self.owners().get(&(kind, id.to_string())).cloned())
    }

    async fn claim(
        &self,
        kind: ResourceKind,
        id: &str,
        customer: &str,
    ) -> Result<bool, StoreError> {
        let mut owners = self.owners();
        let owner = owners
            .entry((kind, id.to_string()))
            .or_insert_with(|| customer.to_string());
        Ok(owner == customer)
    }

    async fn remember(
        &self,
        kind: ResourceKind,
        id: &str,
        customer: &str,
    ) -> Result<(), StoreError> {
        self.owners()
            .insert((kind, id.to_string()), customer.to_string());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn the_first_claim_wins_and_a_later_one_is_refused() {
        let store = MemoryOwnership::new();
        let kind = ResourceKind::ExchangeSession;
        assert_eq!(store.owner(kind, "s1").await.unwrap(), None);
        assert!(store.claim(kind, "s1", "alice").await.unwrap());
        // Claiming again as the owner is true (a replayed answer to the same customer).
        assert!(store.claim(kind, "s1", "alice").await.unwrap());
        assert!(!store.claim(kind, "s1", "bob").await.unwrap());
        assert_eq!(
            store.owner(kind, "s1").await.unwrap().as_deref(),
            Some("alice")
        );
    }

    #[tokio::test]
    async fn kinds_are_separate_and_remember_replaces_the_owner() {
        let store = MemoryOwnership::new();
        assert!(store
            .claim(ResourceKind::Exchange, "x", "alice")
            .await
            .unwrap());
        assert_eq!(
            store.owner(ResourceKind::FundingSource, "x").await.unwrap(),
            None
        );
        store
            .remember(ResourceKind::Exchange, "x", "bob")
            .await
            .unwrap();
        assert_eq!(
            store
                .owner(ResourceKind::Exchange, "x")
                .await
                .unwrap()
                .as_deref(),
            Some("bob")
        );
        assert_eq!(format!("{store:?}"), "MemoryOwnership { resources: 1 }");
    }

    #[tokio::test]
    async fn concurrent_claims_of_one_id_have_exactly_one_winner() {
        let store = Arc::new(MemoryOwnership::new());
        let claims = (0..32).map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .claim(ResourceKind::FundingSource, "fs", &format!("customer-{i}"))
                    .await
                    .unwrap()
            })
        });
        let mut winners = 0;
        for claim in claims {
            winners += usize::from(claim.await.unwrap());
        }
        assert_eq!(winners, 1);
    }
}
