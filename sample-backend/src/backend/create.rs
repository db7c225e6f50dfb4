//! The create flow of exchange sessions, exchanges and funding sources: `POST` to Dwolla with an
//! `Idempotency-Key`, claim the new resource for the caller's customer, read it back, answer 201
//! with `Location` and body on the backend's URL.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::Value;

use super::dwolla::DwollaError;
use super::error::ApiError;
use super::passthrough::{hal, Answer};
use super::store::ResourceKind;
use super::Backend;

/// The app's `Idempotency-Key` when it is usable (1 to 255 visible ASCII characters), else a new
/// random one.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> HeaderValue {
    headers
        .get("idempotency-key")
        .filter(|v| !v.is_empty() && v.len() <= 255 && v.to_str().is_ok())
        .cloned()
        .unwrap_or_else(|| {
            HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
                .unwrap_or_else(|_| HeaderValue::from_static("invalid"))
        })
}

impl Backend {
    /// POSTs `body` to Dwolla, reads the created resource and answers 201 + Location + body.
    pub(crate) async fn create(
        &self,
        path: &str,
        mut body: Value,
        headers: &HeaderMap,
        kind: ResourceKind,
        customer: &str,
    ) -> Answer {
        self.inner.rw.json_to_dwolla(&mut body);
        let app_key = headers.contains_key("idempotency-key");
        let key = idempotency_key(headers);
        let resp = self.inner.dwolla.post(path, &body, &key).await?;
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
            None if app_key => return Err(reused()),
            None => return Err(DwollaError::Protocol("Location of an unexpected shape").into()),
        };
        if !self.inner.owners.claim(kind, &id, customer).await? {
            return Err(reused());
        }
        let created = self.inner.dwolla.get(&location).await?;
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
