//! Checkout.com cards: a debit card attached to the customer as a funding source
//! (`create_card_funding_source`), its arguments checked first (`crate::card`) and its token
//! kept out of every error.

use super::requests::check_id;
use super::BridgeClient;
use crate::card;
use crate::error::BridgeError;
use crate::hal::{BillingAddress, FundingSource};
use crate::journal::CardPlan;

#[uniffi::export]
impl BridgeClient {
    /// Attaches a debit card to the customer as a funding source (Dwolla's "Create Debit Card
    /// Funding Source", for Push to Card). `card_token` is what Checkout.com's Flow component
    /// returned for the `CheckoutPaymentSession`: a secret, never repeated in an error or a log.
    /// `name` is shown to the user (1 to 50 characters).
    ///
    /// Everything is checked before any request, and one `InvalidArgument` names every field to
    /// fix (see `BillingAddress`). A card that is already a funding source of the customer is
    /// `DuplicateFundingSource`.
    ///
    /// The card is journaled before the request leaves, under a key derived from the customer
    /// and the token: a repeat replays the first answer, and `resume_pending` finishes it
    /// after a restart (within the token's 15 minutes).
    pub async fn create_card_funding_source(
        &self,
        customer_id: String,
        card_token: String,
        name: String,
        billing_address: BillingAddress,
    ) -> Result<FundingSource, BridgeError> {
        let secret = card_token.clone();
        self.call(
            "create_card_funding_source",
            move |inner, deadline| async move {
                let run = async {
                    check_id("customer_id", &customer_id)?;
                    card::check(&card_token, &name, &billing_address)?;
                    let plan = CardPlan {
                        name: name.clone(),
                        billing_address: billing_address.clone(),
                    };
                    inner
                        .complete_card(&customer_id, &card_token, plan, deadline)
                        .await
                };
                run.await.map_err(|e| e.without(&secret))
            },
        )
        .await
    }
}
