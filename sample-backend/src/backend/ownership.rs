//! The ownership check: an app user reaches only its own customer and the resources of that
//! customer; any other customer or resource answers 404 `NotFound`, exactly like one that does
//! not exist. Owners are recorded in the [`super::store::Store`].

use serde_json::Value;

use super::dwolla::DwollaResponse;
use super::error::ApiError;
use super::passthrough::Answer;
use super::store::ResourceKind;
use super::{AppUser, Backend};

impl Backend {
    /// The customer a path's customer id names for `caller`: `me` or the caller's own id; any
    /// other id is 404.
    pub(crate) fn customer(&self, caller: &AppUser, id: &str) -> Result<String, ApiError> {
        if id == "me" || id == caller.customer_id {
            Ok(caller.customer_id.clone())
        } else {
            Err(ApiError::not_found())
        }
    }

    /// Whether a resource Dwolla returned belongs to `customer` by its `_links.customer`.
    fn links_to(&self, body: &Option<Value>, customer: &str) -> bool {
        body.as_ref()
            .and_then(|b| b.pointer("/_links/customer/href"))
            .and_then(Value::as_str)
            .and_then(|h| self.inner.rw.id_in(h, "customers"))
            .is_some_and(|id| id == customer)
    }

    /// Fetches a resource of `kind` for `caller`, answering 404 for another customer's.
    pub(crate) async fn fetch_owned(
        &self,
        kind: ResourceKind,
        id: &str,
        caller: &AppUser,
    ) -> Result<DwollaResponse, ApiError> {
        let path = format!("/{}/{id}", kind.collection());
        match self.inner.store.owner(kind, id).await? {
            Some(owner) if owner == caller.customer_id => Ok(self.inner.dwolla.get(&path).await?),
            Some(_) => Err(ApiError::not_found()),
            None => {
                // Not created through this backend (or before a restart): own it only when
                // Dwolla links it to the caller's customer.
                let resp = self.inner.dwolla.get(&path).await?;
                if !resp.status.is_success() {
                    return match resp.status.as_u16() {
                        403 | 404 => Err(ApiError::not_found()),
                        _ => Err(self.pass_error(resp)),
                    };
                }
                if self.links_to(&resp.body, &caller.customer_id) {
                    self.inner
                        .store
                        .remember(kind, id, &caller.customer_id)
                        .await?;
                    Ok(resp)
                } else {
                    Err(ApiError::not_found())
                }
            }
        }
    }

    /// Answers `GET` of a resource of `kind` for `caller` (404 for another customer's).
    pub(crate) async fn get_owned(&self, kind: ResourceKind, id: &str, caller: &AppUser) -> Answer {
        let resp = self.fetch_owned(kind, id, caller).await?;
        self.answer(resp)
    }
}
