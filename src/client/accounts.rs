//! The customer's funding sources: an exchange's bank account attached
//! (`create_funding_source`), the list for a "linked accounts" screen (`funding_sources`), and
//! removal (`remove_funding_source`).

use serde_json::json;

use super::requests::{check_id, is_blank};
use super::BridgeClient;
use crate::error::BridgeError;
use crate::hal::{parse, BankAccountType, FundingSource};

#[uniffi::export]
impl BridgeClient {
    /// Attaches the verified bank account of an exchange to the customer as a funding source.
    /// `name` is shown to the user (1 to 50 characters).
    pub async fn create_funding_source(
        &self,
        customer_id: String,
        exchange_id: String,
        bank_account_type: BankAccountType,
        name: String,
    ) -> Result<FundingSource, BridgeError> {
        self.call("create_funding_source", move |inner, deadline| async move {
            check_id("customer_id", &customer_id)?;
            check_id("exchange_id", &exchange_id)?;
            let chars = name.chars().count();
            if name.trim().is_empty() || chars > 50 {
                return Err(BridgeError::InvalidArgument {
                    reason: format!(
                        "name must be 1 to 50 characters and not blank (it has {chars})"
                    ),
                });
            }
            let exchange = inner.transport.path_url(&["exchanges", &exchange_id]);
            let body = json!({
                "_links": {"exchange": {"href": exchange.as_str()}},
                "bankAccountType": bank_account_type.as_str(),
                "name": name,
            });
            let url = inner
                .transport
                .path_url(&["customers", &customer_id, "funding-sources"]);
            let resp = inner.transport.post(&url, &body, deadline).await?;
            let v = inner.created_body(resp, "funding source", deadline).await?;
            inner.funding_source(&v)
        })
        .await
    }

    /// The customer's bank accounts and debit cards, for a "linked accounts" screen
    /// (`GET customers/{id}/funding-sources`). Removed ones are left out, and so are Dwolla's
    /// other kinds (the balance of a verified customer, virtual accounts).
    pub async fn funding_sources(
        &self,
        customer_id: String,
    ) -> Result<Vec<FundingSource>, BridgeError> {
        self.call("funding_sources", move |inner, deadline| async move {
            check_id("customer_id", &customer_id)?;
            let mut url = inner
                .transport
                .path_url(&["customers", &customer_id, "funding-sources"]);
            url.set_query(Some("removed=false"));
            let resp = inner.transport.get(&url, deadline).await?;
            let mut list = parse::funding_sources(&resp.body)?;
            for fs in &mut list {
                fs.url = inner.transport.resolve_backend_href(&fs.url)?.to_string();
            }
            Ok(list)
        })
        .await
    }

    /// Removes a funding source (`POST funding-sources/{id}` with `{"removed": true}`): Dwolla
    /// keeps it, marked `removed`, and returns it. Another user's funding source is `NotFound`.
    pub async fn remove_funding_source(
        &self,
        funding_source_id: String,
    ) -> Result<FundingSource, BridgeError> {
        self.call("remove_funding_source", move |inner, deadline| async move {
            check_id("funding_source_id", &funding_source_id)?;
            let url = inner
                .transport
                .path_url(&["funding-sources", &funding_source_id]);
            let resp = inner
                .transport
                .post(&url, &json!({"removed": true}), deadline)
                .await?;
            let body = if is_blank(&resp.body) {
                inner.transport.get(&url, deadline).await?.body
            } else {
                resp.body
            };
            inner.funding_source(&parse::json("funding source", &body)?)
        })
        .await
    }
}
