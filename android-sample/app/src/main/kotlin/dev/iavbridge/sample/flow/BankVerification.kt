package dev.iavbridge.sample.flow

import dev.iavbridge.AccessTokenException
import dev.iavbridge.AccessTokenProvider
import dev.iavbridge.BankAccountType
import dev.iavbridge.BridgeClient
import dev.iavbridge.BridgeException
import dev.iavbridge.CheckoutPaymentSession
import dev.iavbridge.FundingSource
import dev.iavbridge.MxConnection
import dev.iavbridge.PlaidLinkSession

// The sample's verification flows, free of Android types so that they can be compiled (and reused)
// anywhere: the ViewModel drives them, the Activity opens Plaid Link, MX Connect (a Custom Tab) or
// the card form in between. Plaid (and its re-authentication) is here; MX, the debit card and the
// linked accounts are in the files next to this one.

/** The app's credential for its backend. The sample uses a fixed demo user token. */
class DemoUserTokenProvider(private val token: String) : AccessTokenProvider {
    override suspend fun accessToken(): String {
        if (token.isBlank()) {
            throw AccessTokenException.Failed("no demo user token: set iavbridge.demoUserToken in gradle.properties")
        }
        return token
    }
}

/** What the screen shows. */
sealed interface VerificationState {
    /** Nothing started yet. */
    data object Idle : VerificationState

    /** A call to the backend is in flight (progress indicator). */
    data class Working(val step: String) : VerificationState

    /**
     * MX Connect's page is ready: the Activity opens it in a Custom Tab. Not a data class: the
     * page's URL is single-use and stays out of `toString()`.
     */
    class MxConnectReady(val page: MxConnectPage) : VerificationState

    /** The user connected several accounts in MX Connect: they pick the one to link. */
    class MxPick(val connections: List<MxConnection>) : VerificationState

    /**
     * Checkout.com's payment session is ready: the card form (Checkout.com's Flow component)
     * takes the card and hands back a card token. Not a data class: the session holds secrets.
     */
    class CardFormReady(val session: CheckoutPaymentSession) : VerificationState

    /** The account (or card) is verified and linked: the new funding source. */
    data class Verified(val fundingSource: FundingSource) : VerificationState

    /** It is already a funding source of the customer (its id, where the server named it). */
    data class AlreadyLinked(val existingId: String?) : VerificationState

    /** The user closed Link or MX Connect without linking, or Link reported an error. */
    data class LinkClosed(val reason: String) : VerificationState

    /** A call failed; [reason] is shown to the user as is. */
    data class Failed(val reason: String) : VerificationState
}

/**
 * Plaid Link ahead of the tap, apart from [VerificationState] (the other methods stay usable while
 * it prepares): the screen creates Link's session as soon as the token is [Ready] and enables its
 * button when Link's `onLoad` fires; the tap only opens Link.
 */
sealed interface PlaidLinkState {
    /** The link token is being fetched (the prepared session, or a new one). */
    data object Preparing : PlaidLinkState

    /**
     * The token for the next Link session. Not a data class: each value is its own Link session
     * (the Activity creates one per value; a used one is gone), and the token stays out of
     * `toString()`.
     */
    class Ready(val session: PlaidLinkSession) : PlaidLinkState

    /** No token: [reason] is shown next to the disabled button, which tries again. */
    data class Unavailable(val reason: String) : PlaidLinkState
}

/**
 * Verify bank account: `preparePlaidLink` when the screen appears, `startPlaidLink` -> (Plaid Link in the app) -> `completePlaidLink` ->
 * `createFundingSource`. [customerId] `me` lets the backend pick the signed-in user's customer.
 */
class BankVerification(
    private val client: BridgeClient,
    private val customerId: String = "me",
) {
    // region docs:prepare
    /**
     * The verification screen appeared: create the Plaid session in the background, kept in the
     * client's memory for this customer (returns at once; errors are logged, and [start] then
     * reports its own). Then take it with [start] at once, to hand its token to Link ahead of the
     * tap: once the prepare has finished that makes no request, and one still in flight is
     * awaited, not duplicated.
     */
    suspend fun prepared(): PlaidLinkSession {
        client.preparePlaidLink(customerId)
        return start()
    }
    // endregion docs:prepare

    // region docs:flow
    /**
     * The Plaid Link session to open: the prepared one (no request; handed out once, and one older
     * than 3 hours is replaced), else a new exchange session.
     */
    suspend fun start(): PlaidLinkSession = client.startPlaidLink(customerId)

    /** After Link's success: exchanges the public token and creates the funding source. */
    suspend fun finish(publicToken: String, accountName: String): FundingSource {
        val exchange = client.completePlaidLink(customerId, publicToken)
        return client.createFundingSource(customerId, exchange.id, BankAccountType.CHECKING, accountName)
    }
    // endregion docs:flow

    companion object {
        // region docs:sign-out
        /**
         * The user signs out: drop the sessions prepared for them (memory only; cancels a prepare
         * in flight), so that the next user never gets one. Call it before closing the client, or
         * when the same client serves the next user.
         */
        fun signedOut(client: BridgeClient) = client.clearPrepared()
        // endregion docs:sign-out

        /** A sentence for the user for each error the library can raise, with its reason. */
        fun describe(error: BridgeException): String = when (error) {
            is BridgeException.InvalidConfiguration -> "The app is misconfigured: ${error.reason}"
            is BridgeException.InvalidArgument -> "Invalid request: ${error.reason}"
            // region docs:visa-refused
            // A Plaid redirect value the library refuses (the package name), or a partner that
            // needs what Android cannot carry: Visa needs an https redirect URL, so on Android the
            // library refuses its session before any request, with a reason that says so.
            is BridgeException.InvalidRedirectUrl -> "Redirect value refused: ${error.reason}"
            // endregion docs:visa-refused
            is BridgeException.PartnerUnavailable -> "${error.partner} is not available for this account"
            is BridgeException.Validation ->
                "Request refused (${error.code}): ${error.detail}" + (error.path?.let { " at $it" } ?: "")
            // region docs:duplicate
            is BridgeException.DuplicateFundingSource ->
                "Already linked" + (error.existingId?.let { " (funding source $it)" } ?: "") +
                    ": remove it under Linked accounts to link it again"
            // endregion docs:duplicate
            is BridgeException.RedirectUrlNotAllowed -> "This app is not allowed by the Dwolla account: ${error.detail}"
            is BridgeException.ReauthRequired -> "Your bank connection needs to be renewed"
            is BridgeException.Unauthorized -> "Please sign in again (${error.code}): ${error.detail}"
            is BridgeException.Forbidden -> "Not allowed (${error.code}): ${error.detail}"
            is BridgeException.NotFound -> "Not found: ${error.detail}"
            is BridgeException.RateLimited -> "Too many attempts; try again in ${(error.retryAfterMs + 999u) / 1000u} s"
            is BridgeException.Server -> "The server failed (${error.status} ${error.code}): ${error.detail}"
            is BridgeException.Network -> "No connection to the server: ${error.detail}"
            is BridgeException.Timeout -> "The server did not answer within ${error.afterMs} ms"
            is BridgeException.InvalidResponse -> "Unexpected answer from the server: ${error.detail}"
            is BridgeException.TokenProvider -> "Could not get your session token: ${error.detail}"
            is BridgeException.Internal -> "Internal error: ${error.detail}"
        }
    }
}

/**
 * Renew a bank connection (`BridgeException.ReauthRequired`): the same preload with the exchange
 * that needs it. The screen that asks the user to reconnect calls [prepared] when it appears and
 * hands the token to Link (update mode) at once, as the Plaid screen does; the sample has no such
 * screen (nothing in the simulator asks for re-authentication), so this is the flow alone.
 */
class PlaidReauth(
    private val client: BridgeClient,
    private val exchangeId: String,
) {
    // region docs:reauth
    /**
     * The re-authentication screen appeared: prepare the update-mode session in the background and
     * take it at once (no request once the prepare has finished). A prepared one older than
     * 20 minutes is replaced; each is handed out once.
     */
    suspend fun prepared(): PlaidLinkSession {
        client.prepareReauth(exchangeId)
        return client.startReauth(exchangeId)
    }
    // endregion docs:reauth
}
