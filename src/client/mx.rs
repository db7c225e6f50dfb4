//! MX: the bank accounts the user connected in MX Connect (`mx_connections`) and the exchange
//! of the one the user picks (`complete_mx_connection`), its single-use token kept out of every
//! error.

use std::sync::Arc;

use super::requests::check_id;
use super::BridgeClient;
use crate::error::BridgeError;
use crate::hal::{parse, Exchange};
use crate::journal::CompletionKind;
use crate::session::MxConnection;

#[uniffi::export]
impl BridgeClient {
    /// The bank accounts the user connected in MX Connect and that are not exchanged yet
    /// (`GET customers/{id}/available-exchange-connections`). An empty list is an answer: the
    /// user connected nothing (yet).
    ///
    /// MX Connect runs as a web page (`ExchangeSession::WebRedirect`) that Dwolla builds; it does
    /// not tell the app reliably when it is done. Call this once the page is closed (or has
    /// navigated away), then `complete_mx_connection` with the account the user picks.
    pub async fn mx_connections(
        &self,
        customer_id: String,
    ) -> Result<Vec<Arc<MxConnection>>, BridgeError> {
        self.call("mx_connections", move |inner, deadline| async move {
            check_id("customer_id", &customer_id)?;
            let url = inner.transport.path_url(&[
                "customers",
                &customer_id,
                "available-exchange-connections",
            ]);
            let resp = inner.transport.get(&url, deadline).await?;
            Ok(parse::available_connections(&resp.body)?
                .into_iter()
                .map(|c| Arc::new(MxConnection::new(c.name, c.token)))
                .collect())
        })
        .await
    }

    /// Exchanges an MX connection (from `mx_connections`) for a Dwolla exchange, as
    /// `complete_plaid_link` does for Plaid; then attach it with `create_funding_source`.
    /// The connection's token is single-use: the completion is journaled and keyed as
    /// `complete_plaid_link`'s is, so a repeat replays the first answer.
    pub async fn complete_mx_connection(
        &self,
        customer_id: String,
        connection: Arc<MxConnection>,
    ) -> Result<Exchange, BridgeError> {
        let token = connection.available_connection_token();
        let secret = token.clone();
        self.call(
            "complete_mx_connection",
            move |inner, deadline| async move {
                let run = async {
                    check_id("customer_id", &customer_id)?;
                    inner
                        .complete_exchange(CompletionKind::Mx, &customer_id, &token, deadline)
                        .await
                };
                run.await.map_err(|e| e.without(&secret))
            },
        )
        .await
    }
}
