package dev.iavbridge.sample.flow

import dev.iavbridge.BridgeClient
import dev.iavbridge.FundingSource
import dev.iavbridge.FundingSourceKind

/** The "Linked accounts" list: the customer's bank accounts and debit cards, and their removal. */
class LinkedAccounts(
    private val client: BridgeClient,
    private val customerId: String = "me",
) {
    // region docs:linked-accounts
    /** The customer's funding sources (removed ones are left out by the library). */
    suspend fun list(): List<FundingSource> = client.fundingSources(customerId)

    /** Removes one; Dwolla keeps it, marked removed. Then the list is read again. */
    suspend fun remove(fundingSource: FundingSource): List<FundingSource> {
        client.removeFundingSource(fundingSource.id)
        return list()
    }
    // endregion docs:linked-accounts

    companion object {
        // region docs:linked-account-row
        /** One row of the list: what it is and its status; of a card, never more than the last four. */
        fun describe(fundingSource: FundingSource): String {
            val what = when (fundingSource.kind) {
                FundingSourceKind.BANK -> fundingSource.bankName ?: "Bank account"
                FundingSourceKind.CARD -> fundingSource.card?.let { card ->
                    "${card.brand} •••• ${card.lastFour}, expires " +
                        "${card.expirationMonth.toString().padStart(2, '0')}/${card.expirationYear}"
                } ?: "Debit card"
            }
            return "$what · ${fundingSource.status}"
        }
        // endregion docs:linked-account-row
    }
}
