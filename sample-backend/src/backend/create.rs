//! The create flow of exchange sessions, exchanges and funding sources: claim the app's
//! `Idempotency-Key` in the store, `POST` to Dwolla with the key derived from it (see
//! `idempotency.rs`), claim the new resource for the caller's customer, record it with the key,
//! read it back, answer 201 with `Location` and body on the backend's URL.
//!
//! A key the same user sent before for the same request replays the first answer (the same
//! resource, read again), on any instance that shares the store. Once Dwolla has accepted the
//! POST, a failure to read the new resource back is answered 504 (send again with the same
//! key), never a 502 that would say Dwolla was not reached.

use axum::http::{HeaderValue, StatusCode};
use serde_json::Value;

use super::dwolla::DwollaError;
use super::error::ApiError;
use super::idempotency::{fingerprint, key_hash, IdempotencyKey};
use super::passthrough::{hal, Answer};
use super::store::{now_secs, KeyClaim, KeyUse, ResourceKind};
use super::Backend;

/// The answer to a key already used by another user or for another request.
fn reused() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "Conflict",
        "This Idempotency-Key was already used for another request.",
    )
}

impl Backend {
    /// The key sent to Dwolla for `customer`'s request to `dwolla_path`.
    pub(crate) async fn dwolla_key(
        &self,
        key: &IdempotencyKey,
        customer: &str,
        dwolla_path: &str,
    ) -> Result<HeaderValue, ApiError> {
        let secret = self.inner.store.key_secret().await?;
        Ok(key.for_dwolla(&secret, customer, dwolla_path))
    }

    /// POSTs `body` (built for Dwolla) to Dwolla, reads the created resource and answers
    /// 201 + Location + body.
    pub(crate) async fn create(
        &self,
        path: &str,
        body: Value,
        key: &IdempotencyKey,
        kind: ResourceKind,
        customer: &str,
    ) -> Answer {
        let dwolla_key = self.dwolla_key(key, customer, path).await?;
        let claimed = match key.app_key() {
            Some(app_key) => {
                let hash = key_hash(app_key);
                let print = fingerprint(path, &body);
                let claim = self
                    .inner
                    .store
                    .begin_request(&KeyUse {
                        key_hash: &hash,
                        customer,
                        fingerprint: &print,
                        now: now_secs(),
                    })
                    .await?;
                match claim {
                    KeyClaim::Conflict => return Err(reused()),
                    KeyClaim::Replay(location) => {
                        return self.replay_created(&location, kind, customer).await
                    }
                    KeyClaim::Send => Some(hash),
                }
            }
            None => None,
        };
        let resp = self.inner.dwolla.post(path, &body, &dwolla_key).await?;
        if !resp.status.is_success() {
            // Refused (4xx): nothing was created, the key may carry a corrected request.
            if let Some(hash) = claimed.as_deref().filter(|_| resp.status.is_client_error()) {
                self.inner.store.release_request(hash).await?;
            }
            return Err(self.pass_error(resp));
        }
        let location = resp
            .location
            .ok_or(DwollaError::Protocol("created without Location"))?;
        let Some(id) = self.inner.rw.id_in(&location, kind.collection()) else {
            return Err(DwollaError::Protocol("Location of an unexpected shape").into());
        };
        // The derived key makes one customer's answers unreachable to another; the ownership
        // record stays the authority on who may read the resource.
        if !self.inner.store.claim(kind, &id, customer).await? {
            return Err(reused());
        }
        if let Some(hash) = &claimed {
            self.inner.store.finish_request(hash, &location).await?;
        }
        self.read_created(&location, kind).await
    }

    /// Answers a replayed request: the resource its first answer created, read again, when it
    /// is (still) recorded as `customer`'s.
    async fn replay_created(&self, location: &str, kind: ResourceKind, customer: &str) -> Answer {
        let id = self
            .inner
            .rw
            .id_in(location, kind.collection())
            .ok_or_else(reused)?;
        if self.inner.store.owner(kind, &id).await?.as_deref() != Some(customer) {
            return Err(reused());
        }
        self.read_created(location, kind).await
    }

    /// Reads back a resource created at Dwolla's `location` (its owner checked by the caller)
    /// and answers 201.
    async fn read_created(&self, location: &str, kind: ResourceKind) -> Answer {
        // Dwolla has acted: a failed read-back must not look like Dwolla was not reached.
        let created = self.inner.dwolla.get(location).await.map_err(|e| {
            log::warn!("reading back a created {} failed: {e}", kind.collection());
            ApiError::unconfirmed()
        })?;
        if !created.status.is_success() {
            return Err(self.pass_error(created));
        }
        let mut created_body = created
            .body
            .ok_or(DwollaError::Protocol("created resource without a body"))?;
        self.inner.rw.json_to_public(&mut created_body);
        let public_location = self.inner.rw.to_public(location);
        Ok(hal(StatusCode::CREATED, public_location, created_body))
    }
}
