package dev.iavbridge.sample.flow

import dev.iavbridge.BankAccountType
import dev.iavbridge.BridgeClient
import dev.iavbridge.ExchangeSession
import dev.iavbridge.FundingSource
import dev.iavbridge.MxConnection

/** MX Connect's page for one exchange session. Its [url] is single-use: never log it. */
class MxConnectPage(
    /** The exchange session's URL on the backend (its last segment is the session's id). */
    val sessionUrl: String,
    /** The MX Connect page to open in a Custom Tab. */
    val url: String,
) {
    override fun toString(): String = "MxConnectPage(sessionUrl=$sessionUrl)"
}

/** What the user left behind in MX Connect, read once its page was closed. */
sealed interface MxOutcome {
    /** Nothing connected (yet): the user closed the page early, or MX Connect is not done. */
    data object NothingConnected : MxOutcome

    /** One account: link it without asking. */
    class One(val connection: MxConnection) : MxOutcome

    /** Several accounts: the user picks one. */
    class Several(val connections: List<MxConnection>) : MxOutcome
}

/**
 * Verify a bank account with MX: `createExchangeSession("MX")` + `exchangeSession` -> (MX Connect
 * in a Custom Tab) -> `mxConnections` once the tab is closed -> `completeMxConnection` ->
 * `createFundingSource`.
 */
class MxVerification(
    private val client: BridgeClient,
    private val customerId: String = "me",
) {
    // region docs:mx-flow
    /** Creates an MX exchange session and returns the MX Connect page to open. */
    suspend fun start(): MxConnectPage {
        val sessionUrl = client.createExchangeSession(customerId, "MX")
        return when (val session = client.exchangeSession(sessionUrl)) {
            is ExchangeSession.WebRedirect -> MxConnectPage(session.sessionUrl, session.url)
            else -> throw UnexpectedSessionException("MX", session)
        }
    }

    /**
     * Once MX Connect's page is closed: what the user connected there. Nothing from Dwolla says
     * when MX Connect is done, so the list is the answer; an empty one means nothing yet.
     */
    suspend fun connected(): MxOutcome {
        val connections = client.mxConnections(customerId)
        return when (connections.size) {
            0 -> MxOutcome.NothingConnected
            1 -> MxOutcome.One(connections.single())
            else -> MxOutcome.Several(connections)
        }
    }

    /** Exchanges the connection the user picked and links it as a funding source. */
    suspend fun finish(connection: MxConnection, bankAccountType: BankAccountType = BankAccountType.CHECKING): FundingSource {
        val exchange = client.completeMxConnection(customerId, connection)
        return client.createFundingSource(customerId, exchange.id, bankAccountType, connection.name().take(50))
    }
    // endregion docs:mx-flow
}

/**
 * The backend handed back another kind of session than the partner's (a backend or library
 * mismatch). The message names the kind only, never the session's tokens.
 */
class UnexpectedSessionException(partner: String, session: ExchangeSession) : Exception(
    "$partner answered with a session this sample cannot open (${session::class.simpleName})",
)
