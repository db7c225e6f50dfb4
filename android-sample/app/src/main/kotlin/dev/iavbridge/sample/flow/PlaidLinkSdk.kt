package dev.iavbridge.sample.flow

import android.content.Context
import com.plaid.link.Plaid
import com.plaid.link.PlaidSession
import com.plaid.link.configuration.linkTokenConfiguration
import com.plaid.link.result.LinkExit
import com.plaid.link.result.LinkResult
import com.plaid.link.result.LinkSuccess
import dev.iavbridge.PlaidLinkSession

/**
 * The sample's calls into Plaid Link for Android (`com.plaid.link:sdk-core` 6): creating a Link
 * session from the bridge's link token, and reading Link's result. The Activity registers
 * `OpenPlaidLink` and launches the session; everything that touches Plaid's classes besides that
 * is here, compiled by the packaging check against the real SDK and the Android framework.
 */
object PlaidLinkSdk {
    // region docs:plaid-link-session
    /**
     * A Link session for the bridge's [session], created now so that Link loads before the tap.
     * [onLoad] runs when Link has loaded (the moment to enable the button). One Link session per
     * link token: a used or destroyed one cannot be opened again.
     */
    fun createLinkSession(context: Context, session: PlaidLinkSession, onLoad: () -> Unit): PlaidSession =
        Plaid.createPlaidLinkSession(
            context,
            linkTokenConfiguration {
                token = session.linkToken()
                this.onLoad = { onLoad() }
            },
        )
    // endregion docs:plaid-link-session

    // region docs:plaid-link-outcome
    /**
     * Routes Link's [result]: on success the public token (single use, valid 30 minutes; never
     * logged) and the institution's name to [onSuccess], on exit Plaid's message for the user
     * (null when the user closed Link) to [onExit].
     */
    fun deliver(
        result: LinkResult,
        onSuccess: (publicToken: String, institutionName: String?) -> Unit,
        onExit: (message: String?) -> Unit,
    ) {
        when (result) {
            is LinkSuccess -> onSuccess(result.publicToken, result.metadata.institution?.name)
            is LinkExit -> onExit(result.error?.let { it.displayMessage ?: it.errorMessage })
        }
    }
    // endregion docs:plaid-link-outcome
}
