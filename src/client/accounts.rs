//! The customer's funding sources: an exchange's bank account attached
//! (`create_funding_source`), the list for a "linked accounts" screen (`funding_sources`), and
//! removal (`remove_funding_source`).

use serde_json::json;

use super::completions::{check_funding_ids, check_name};
use super::requests::{check_id, is_blank};
use super::BridgeClient;
use crate::error::BridgeError;
use crate::hal::{parse, BankAccountType, FundingSource};

#[uniffi::export]
impl BridgeClient {
    /// Attaches the verified bank account of an exchange to the customer as a funding source.
    /// `name` is shown to the user (1 to 50 characters).
    ///
    /// For an exchange of a journaled completion (`complete_plaid_link`,
    /// `complete_mx_connection`), the details are written to its entry first and the key is
    /// derived from the completion's: a repeat replays the first answer, `resume_pending`
    /// finishes it after a restart, and the entry is removed with the funding source.
    pub async fn create_funding_source(
        &self,
        customer_id: String,
        exchange_id: String,
        bank_account_type: BankAccountType,
        name: String,
    ) -> Result<FundingSource, BridgeError> {
        self.call("create_funding_source", move |inner, deadline| async move {
            check_funding_ids(&customer_id, &exchange_id)?;
            check_name(&name)?;
            inner
                .complete_funding_source(
                    &customer_id,
                    &exchange_id,
                    bank_account_type,
                    &name,
                    deadline,
                )
                .await
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
