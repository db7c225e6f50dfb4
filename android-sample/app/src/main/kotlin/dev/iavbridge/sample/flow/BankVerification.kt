package dev.iavbridge.sample.flow

import dev.iavbridge.AccessTokenException
import dev.iavbridge.AccessTokenProvider
import dev.iavbridge.BankAccountType
import dev.iavbridge.BridgeClient
import dev.iavbridge.BridgeException
import dev.iavbridge.FundingSource
import dev.iavbridge.PlaidLinkSession

// The sample's verification flow, free of Android types so that it can be compiled (and reused)
// anywhere: the ViewModel drives it, the Activity opens Plaid Link in between.

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

    /** The Plaid Link token is ready: the Activity opens Link with it. */
    class LinkReady(val session: PlaidLinkSession) : VerificationState

    /** The bank account is verified: the new funding source. */
    data class Verified(val fundingSource: FundingSource) : VerificationState

    /** The user closed Link, or Link reported an error. */
    data class LinkClosed(val reason: String) : VerificationState

    /** A call failed; [reason] is shown to the user as is. */
    data class Failed(val reason: String) : VerificationState
}

/**
 * Verify bank account: `startPlaidLink` -> (Plaid Link in the app) -> `completePlaidLink` ->
 * `createFundingSource`. [customerId] `me` lets the backend pick the signed-in user's customer.
 */
class BankVerification(
    private val client: BridgeClient,
    private val customerId: String = "me",
) {
    // region docs:flow
    /** Creates the exchange session and returns the Plaid Link session to open. */
    suspend fun start(): PlaidLinkSession = client.startPlaidLink(customerId)

    /** After Link's success: exchanges the public token and creates the funding source. */
    suspend fun finish(publicToken: String, accountName: String): FundingSource {
        val exchange = client.completePlaidLink(customerId, publicToken)
        return client.createFundingSource(customerId, exchange.id, BankAccountType.CHECKING, accountName)
    }
    // endregion docs:flow

    companion object {
        /** A sentence for the user for each error the library can raise, with its reason. */
        fun describe(error: BridgeException): String = when (error) {
            is BridgeException.InvalidConfiguration -> "The app is misconfigured: ${error.reason}"
            is BridgeException.InvalidArgument -> "Invalid request: ${error.reason}"
            is BridgeException.InvalidRedirectUrl -> "Invalid package name for Plaid: ${error.reason}"
            is BridgeException.PartnerUnavailable -> "${error.partner} is not available for this account"
            is BridgeException.Validation ->
                "Request refused (${error.code}): ${error.detail}" + (error.path?.let { " at $it" } ?: "")
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
