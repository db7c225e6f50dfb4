package dev.iavbridge.sample.flow

import dev.iavbridge.BillingAddress
import dev.iavbridge.BridgeClient
import dev.iavbridge.CheckoutPaymentSession
import dev.iavbridge.ExchangeSession
import dev.iavbridge.FundingSource

// region docs:card-token-source
/**
 * Where the card token comes from. In an app it is Checkout.com's Flow component: create it with
 * the payment session's `id()`, `paymentSessionSecret()` and `paymentSessionToken()`, let it take
 * the card, and hand back the token (`src_...`) it tokenizes the card into. The token and the
 * secrets are credentials: pass them on, never log or show them.
 */
fun interface CardTokenSource {
    /** The card token for [session], or null when the user left the card form. */
    suspend fun cardToken(session: CheckoutPaymentSession): String?
}
// endregion docs:card-token-source

/**
 * Link a debit card (Push to Card): `createExchangeSession("Checkout.com")` + `exchangeSession`
 * -> (the card form gives a card token) -> `createCardFundingSource` with the billing address.
 */
class CardLinking(
    private val client: BridgeClient,
    private val customerId: String = "me",
) {
    // region docs:card-flow
    /** Creates a Checkout.com exchange session: the payment session for the card form. */
    suspend fun start(): CheckoutPaymentSession {
        val sessionUrl = client.createExchangeSession(customerId, "Checkout.com")
        return when (val session = client.exchangeSession(sessionUrl)) {
            is ExchangeSession.CheckoutPayment -> session.session
            else -> throw UnexpectedSessionException("Checkout.com", session)
        }
    }

    /**
     * Gets the card token from [cards] and links the card. Null when the user left the card form.
     * The library checks the name and the address before any request (`InvalidArgument` lists
     * every field to fix).
     */
    suspend fun finish(
        session: CheckoutPaymentSession,
        cards: CardTokenSource,
        name: String,
        billingAddress: BillingAddress,
    ): FundingSource? {
        val cardToken = cards.cardToken(session) ?: return null
        return client.createCardFundingSource(customerId, cardToken, name, billingAddress)
    }
    // endregion docs:card-flow

    companion object {
        // region docs:billing-address
        /** The billing address the user typed (two-letter state, ISO 3166-1 alpha-2 country). */
        fun billingAddress(street: String, apartment: String, city: String, state: String, postalCode: String) =
            BillingAddress(
                address1 = street.trim(),
                address2 = apartment.trim().ifEmpty { null },
                city = city.trim(),
                stateProvinceRegion = state.trim().uppercase(),
                country = "US",
                postalCode = postalCode.trim(),
            )
        // endregion docs:billing-address
    }
}
