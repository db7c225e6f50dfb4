//! The create flow of exchange sessions, exchanges and funding sources: `POST` to Dwolla with an
//! `Idempotency-Key`, claim the new resource for the caller's customer, read it back, answer 201
//! with `Location` and body on the backend's URL.
//!
//! Once Dwolla has accepted the POST, a failure to read the new resource back is answered 504
//! (send again with the same key), never a 502 that would say Dwolla was not reached.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::Value;

use super::dwolla::DwollaError;
use super::error::ApiError;
use super::passthrough::{hal, Answer};
use super::store::ResourceKind;
use super::Backend;

/// The `Idempotency-Key` of a create: the app's, or a fresh one when the app sent none.
pub(crate) struct IdempotencyKey {
    value: HeaderValue,
    from_app: bool,
}

impl IdempotencyKey {
    /// The key as it is sent to Dwolla.
    pub(crate) fn header(&self) -> &HeaderValue {
        &self.value
    }
}

/// What an app's `Idempotency-Key` must be.
pub(crate) const IDEMPOTENCY_KEY_RULE: &str =
    "An Idempotency-Key must be 1 to 255 printable ASCII characters (a UUID is recommended), sent once.";

/// The app's `Idempotency-Key`: 1 to 255 printable ASCII characters, one header. A key that does
/// not fit (empty, too long, not ASCII, repeated) is 400 `ValidationError`; no key is a fresh UUID.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<IdempotencyKey, ApiError> {
    let mut sent = headers.get_all("idempotency-key").iter();
    let Some(value) = sent.next() else {
        let fresh = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
            .map_err(|_| ApiError::bad_gateway("The backend could not make an Idempotency-Key."))?;
        return Ok(IdempotencyKey {
            value: fresh,
            from_app: false,
        });
    };
    let usable = sent.next().is_none()
        && !value.is_empty()
        && value.len() <= 255
        && value.as_bytes().iter().all(|b| (0x20..=0x7e).contains(b));
    if !usable {
        return Err(ApiError::validation(
            IDEMPOTENCY_KEY_RULE,
            "Idempotency-Key",
        ));
    }
    Ok(IdempotencyKey {
        value: value.clone(),
        from_app: true,
    })
}

impl Backend {
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
        let resp = self.inner.dwolla.post(path, &body, &key.value).await?;
        if !resp.status.is_success() {
            return Err(self.pass_error(resp));
        }
        let location = resp
            .location
            .ok_or(DwollaError::Protocol("created without Location"))?;
        // Dwolla replays the first answer for a reused Idempotency-Key whatever the request: a
        // key already used for another kind of resource, or by another user, must not hand
        // that resource over.
        let reused = || {
            ApiError::new(
                StatusCode::CONFLICT,
                "Conflict",
                "This Idempotency-Key was already used for another request.",
            )
        };
        let id = match self.inner.rw.id_in(&location, kind.collection()) {
            Some(id) => id,
            None if key.from_app => return Err(reused()),
            None => return Err(DwollaError::Protocol("Location of an unexpected shape").into()),
        };
        if !self.inner.owners.claim(kind, &id, customer).await? {
            return Err(reused());
        }
        // Dwolla has acted: a failed read-back must not look like Dwolla was not reached.
        let created = self.inner.dwolla.get(&location).await.map_err(|e| {
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
        let public_location = self.inner.rw.to_public(&location);
        Ok(hal(StatusCode::CREATED, public_location, created_body))
    }
}
