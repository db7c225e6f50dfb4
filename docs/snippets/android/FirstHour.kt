// The code of docs/first-hour-android.md and of the guide's token provider section: compiled by
// `scripts/docs.sh --check` against the generated bindings, the Android layer and the Android
// framework jar, and quoted by the pages region by region (scripts/lib/check_doc_snippets.py).
package dev.iavbridge.docs.firsthour

import android.content.Context
import dev.iavbridge.AccessTokenException
import dev.iavbridge.AccessTokenProvider
import dev.iavbridge.BankAccountType
import dev.iavbridge.BridgeClient
import dev.iavbridge.BridgeException
import dev.iavbridge.Environment
import dev.iavbridge.FundingSource
import dev.iavbridge.PlaidLinkSession
import dev.iavbridge.android.IavBridgeAndroid

// region docs:app-session
/** Your app's sign-in: whatever holds the signed-in user's credential for your backend. */
interface AppSession {
    /** The user's current access token for your backend, or null when nobody is signed in. */
    suspend fun currentAccessToken(): String?

    /** A new token (refresh token, re-sign-in), or null when that is not possible. */
    suspend fun refreshedAccessToken(): String?
}
// endregion docs:app-session

// region docs:token-provider
/**
 * The library asks for a token before each request to your backend, and once more (after
 * [forceRefresh] is set) when the backend answered 401: return a fresh one then.
 */
class SessionTokenProvider(private val session: AppSession) : AccessTokenProvider {
    @Volatile
    private var forceRefresh = false

    override suspend fun accessToken(): String {
        val token = if (forceRefresh) session.refreshedAccessToken() else session.currentAccessToken()
        forceRefresh = true // a second call before a success means the last token was refused
        // Failing: throw AccessTokenException.Failed with a reason (never the token). The call
        // then fails with BridgeException.TokenProvider carrying that reason; nothing is sent.
        return token?.also { forceRefresh = false }
            ?: throw AccessTokenException.Failed("nobody is signed in: sign in, then try again")
    }
}
// endregion docs:token-provider

// region docs:create-client
/** One client for the app, created when the verification screen first needs it. */
suspend fun createClient(context: Context, session: AppSession, backendUrl: String): BridgeClient {
    val config = IavBridgeAndroid.config(context, backendUrl, Environment.SANDBOX)
    return IavBridgeAndroid.loadClient(context, config, SessionTokenProvider(session))
}
// endregion docs:create-client

// region docs:verify
/**
 * "me": the signed-in user's own Dwolla customer, which the backend looks up from the access
 * token. A Dwolla customer id works too, but only the user's own one (any other answers 404).
 */
suspend fun linkToken(client: BridgeClient): PlaidLinkSession = client.startPlaidLink("me")

/** After Plaid Link's success: the public token Link returned becomes a verified funding source. */
suspend fun verified(client: BridgeClient, publicToken: String): FundingSource {
    val exchange = client.completePlaidLink("me", publicToken)
    return client.createFundingSource("me", exchange.id, BankAccountType.CHECKING, "Checking account")
}
// endregion docs:verify

// region docs:errors
/** What to tell the user, and what to do, for the errors a first integration meets. */
fun whatToDo(error: BridgeException): String = when (error) {
    is BridgeException.TokenProvider -> "Sign in again (${error.detail})"
    is BridgeException.Unauthorized -> "Your backend refused the token: sign in again"
    is BridgeException.Network -> "No connection to the server: check the backend URL and the network"
    is BridgeException.InvalidConfiguration -> "Fix the configuration: ${error.reason}"
    is BridgeException.RedirectUrlNotAllowed -> "Add the redirect value to the Dwolla account: ${error.detail}"
    is BridgeException.DuplicateFundingSource -> "Already linked (${error.existingId ?: "id not given"})"
    is BridgeException.ReauthRequired -> "Reconnect the bank (start a re-auth session for the exchange)"
    is BridgeException.RateLimited -> "Too many attempts: wait ${error.retryAfterMs} ms"
    else -> "Something went wrong: ${error.message}"
}
// endregion docs:errors
