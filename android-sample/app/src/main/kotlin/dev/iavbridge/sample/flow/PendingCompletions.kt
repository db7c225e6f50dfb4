package dev.iavbridge.sample.flow

import dev.iavbridge.BankAccountType
import dev.iavbridge.BridgeClient
import dev.iavbridge.BridgeException
import dev.iavbridge.CompletionKind
import dev.iavbridge.CompletionOutcome

/**
 * What became of the bank links that were pending when the screen opened (a Link success the app
 * was killed, or lost the network, before finishing): one line per entry, for the screen.
 */
class PendingCompletions(private val client: BridgeClient) {
    // region docs:resume
    /**
     * Finishes what is pending (call it when the screen opens and when the network returns) and
     * says what happened to each. An exchange that waits for its funding source is attached as a
     * checking account (what the sample's Link flow does); the entry is removed once it is.
     */
    suspend fun resume(): List<String> = client.resumePending().map { r ->
        val what = when (r.kind) {
            CompletionKind.PLAID -> "A Plaid bank link"
            CompletionKind.MX -> "An MX bank link"
            CompletionKind.CARD -> "A debit card"
            null -> "A saved bank link"
        }
        when (val o = r.outcome) {
            is CompletionOutcome.Completed -> "$what was finished: ${o.fundingSource.name} is linked."
            is CompletionOutcome.Exchanged -> try {
                val fs = client.createFundingSource(r.customerId ?: "me", o.exchange.id, BankAccountType.CHECKING, "Checking account")
                "$what was finished: ${fs.name} is linked."
            } catch (error: BridgeException) {
                "$what is verified but not attached yet (${BankVerification.describe(error)}); it is kept."
            }
            is CompletionOutcome.Retry -> "$what could not be finished yet (${BankVerification.describe(o.error)}); it is kept."
            CompletionOutcome.Expired -> "$what expired before it could be finished: link the account again."
            is CompletionOutcome.Refused -> "$what was refused (${BankVerification.describe(o.error)}): link the account again."
            CompletionOutcome.OtherUser -> "$what belongs to another user and is left for them."
            CompletionOutcome.Unreadable -> "$what could not be read and was removed: link the account again."
        }
    }
    // endregion docs:resume
}
