//! The create flow of exchange sessions, exchanges and funding sources: claim the app's
//! `Idempotency-Key` in the store, `POST` to Dwolla with the key derived from it (see
//! `idempotency.rs`), claim the new resource for the caller's customer, record it with the key,
//! read it back, answer 201 with `Location` and body on the backend's URL.
//!
//! A key the same user sent before for the same request replays the first answer (the same
//! resource, read again), on any instance that shares the store. Keys are per user: another
//! user's key of the same text is another key. While an attempt with the key is in flight (on
//! any instance, within its lease), a retry is answered 503 with `Retry-After` and nothing is
//! sent; so is a retry that Dwolla answers 409 (its "already in progress"). The key's record
//! stays through both: it is released only on a refusal of Dwolla that proves nothing was
//! created (a 4xx other than 408 and 409), so that a corrected request may use the key. An
//! attempt that ends without a result (a timeout, a 5xx) keeps the record and frees the key for
//! the retry, which Dwolla answers with its first answer. Once Dwolla has accepted the POST, a
//! failure to read the new resource back is answered 504 (send again with the same key), never
//! a 502 that would say Dwolla was not reached.

use axum::http::{HeaderValue, StatusCode};
use serde_json::Value;

use super::dwolla::DwollaError;
use super::error::ApiError;
use super::idempotency::{fingerprint, key_hash, IdempotencyKey};
use super::passthrough::{hal, Answer};
use super::store::{now_secs, KeyClaim, KeyUse, ResourceKind};
use super::Backend;

/// The answer to a key already used for another request.
fn reused() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "Conflict",
        "This Idempotency-Key was already used for another request.",
    )
}

/// The seconds a retry of a request still in flight is told to wait.
const IN_PROGRESS_RETRY_AFTER_SECS: u64 = 1;

/// 503 `ServiceUnavailable` with `Retry-After`: a request with this key is in flight; nothing
/// was sent for this one, and its retry with the key gets the first request's answer.
fn in_progress() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "ServiceUnavailable",
        "A request with this Idempotency-Key is in progress. Retry with the same Idempotency-Key after the time in Retry-After to get its answer.",
    )
    .with_retry_after(HeaderValue::from(IN_PROGRESS_RETRY_AFTER_SECS))
}

/// Whether Dwolla's refusal proves that nothing was created, so that the key may be reused for
/// a corrected request: a 4xx other than 408 (the request may have been carried out) and 409
/// (a request with the key is in progress).
fn nothing_created(status: StatusCode) -> bool {
    status.is_client_error()
        && status != StatusCode::REQUEST_TIMEOUT
        && status != StatusCode::CONFLICT
}

/// A claimed app key: its hash and this attempt's id.
struct Claimed {
    hash: String,
    attempt: String,
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
                let claimed = Claimed {
                    hash: key_hash(customer, app_key),
                    attempt: uuid::Uuid::new_v4().to_string(),
                };
                let print = fingerprint(path, &body);
                let now = now_secs();
                let claim = self
                    .inner
                    .store
                    .begin_request(&KeyUse {
                        key_hash: &claimed.hash,
                        customer,
                        fingerprint: &print,
                        now,
                        attempt: &claimed.attempt,
                        attempt_until: now.saturating_add(self.inner.key_lease_secs),
                    })
                    .await?;
                match claim {
                    KeyClaim::Conflict => return Err(reused()),
                    KeyClaim::InProgress => return Err(in_progress()),
                    KeyClaim::Replay(location) => {
                        return self.replay_created(&location, kind, customer).await
                    }
                    KeyClaim::Send => Some(claimed),
                }
            }
            None => None,
        };
        let sent = self
            .send_create(path, &body, &dwolla_key, kind, customer, claimed.as_ref())
            .await;
        match (sent, &claimed) {
            (Ok(location), _) => self.read_created(&location, kind).await,
            (Err(e), None) => Err(e),
            (Err(e), Some(claimed)) => {
                // No result: the record stays, and the retry is sent to Dwolla (which replays
                // its first answer, if there was one). A release has happened already.
                self.inner
                    .store
                    .abandon_request(&claimed.hash, &claimed.attempt)
                    .await?;
                Err(e)
            }
        }
    }

    /// The POST of [`Backend::create`] and what follows up to the key's result: the created
    /// resource's Dwolla URL, claimed for `customer` and recorded for the key.
    async fn send_create(
        &self,
        path: &str,
        body: &Value,
        dwolla_key: &HeaderValue,
        kind: ResourceKind,
        customer: &str,
        claimed: Option<&Claimed>,
    ) -> Result<String, ApiError> {
        let resp = self.inner.dwolla.post(path, body, dwolla_key).await?;
        if !resp.status.is_success() {
            if resp.status == StatusCode::CONFLICT && claimed.is_some() {
                // Dwolla's "already in progress": another attempt with the key (on another
                // instance, or one whose lease ran out) is at Dwolla.
                return Err(in_progress());
            }
            if let Some(claimed) = claimed.filter(|_| nothing_created(resp.status)) {
                self.inner
                    .store
                    .release_request(&claimed.hash, &claimed.attempt)
                    .await?;
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
        if let Some(claimed) = claimed {
            self.inner
                .store
                .finish_request(&claimed.hash, &location)
                .await?;
        }
        Ok(location)
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
