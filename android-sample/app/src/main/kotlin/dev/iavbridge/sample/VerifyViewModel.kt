package dev.iavbridge.sample

import android.app.Application
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import dev.iavbridge.BillingAddress
import dev.iavbridge.BridgeClient
import dev.iavbridge.BridgeException
import dev.iavbridge.CheckoutPaymentSession
import dev.iavbridge.FundingSource
import dev.iavbridge.MxConnection
import dev.iavbridge.android.IavBridgeAndroid
import dev.iavbridge.android.IavBridgeInitializationException
import dev.iavbridge.sample.flow.BankVerification
import dev.iavbridge.sample.flow.CardLinking
import dev.iavbridge.sample.flow.CardTokenSource
import dev.iavbridge.sample.flow.LinkedAccounts
import dev.iavbridge.sample.flow.MxConnectPage
import dev.iavbridge.sample.flow.MxOutcome
import dev.iavbridge.sample.flow.MxVerification
import dev.iavbridge.sample.flow.PendingCompletions
import dev.iavbridge.sample.flow.PlaidLinkState
import dev.iavbridge.sample.flow.SimulatedPartners
import dev.iavbridge.sample.flow.UnexpectedSessionException
import dev.iavbridge.sample.flow.VerificationState
import kotlinx.coroutines.Deferred
import kotlinx.coroutines.Job
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import java.io.IOException

/** How the user links an account: the menu of the screen. Visa is iOS only (it needs an https redirect URL). */
enum class LinkMethod(val label: String) {
    PLAID("Bank account with Plaid"),
    MX("Bank account with MX"),
    CARD("Debit card (Checkout.com)"),
}

/** The "Linked accounts" list: loading, the funding sources, or why it could not be read. */
sealed interface AccountsState {
    data object Loading : AccountsState
    data class Loaded(val accounts: List<FundingSource>) : AccountsState
    data class Failed(val reason: String) : AccountsState
}

/** Runs the flows and exposes their [VerificationState] and the linked accounts to the screen. */
class VerifyViewModel(application: Application) : AndroidViewModel(application) {
    private val _state = MutableStateFlow<VerificationState>(VerificationState.Idle)
    private val _accounts = MutableStateFlow<AccountsState>(AccountsState.Loading)

    /** What the screen shows. */
    val state: StateFlow<VerificationState> = _state.asStateFlow()

    /** The linked accounts list. */
    val accounts: StateFlow<AccountsState> = _accounts.asStateFlow()

    private val _plaid = MutableStateFlow<PlaidLinkState>(PlaidLinkState.Preparing)

    /** Plaid Link's token for the next Link session, fetched ahead of the tap. */
    val plaid: StateFlow<PlaidLinkState> = _plaid.asStateFlow()
    private var plaidJob: Job? = null

    /** The MX Connect page open in the Custom Tab, until it is closed. */
    private var mxPage: MxConnectPage? = null

    private val _resumed = MutableStateFlow<List<String>>(emptyList())

    /** What became of the bank links pending when the screen opened (one line each). */
    val resumed: StateFlow<List<String>> = _resumed.asStateFlow()

    /** Debug builds with `iavbridge.simulatorUrl` set: the simulator stands in for MX Connect and the card form. */
    private val simulated: SimulatedPartners? =
        BuildConfig.SIMULATOR_URL.takeIf { BuildConfig.DEBUG && it.isNotBlank() }?.let(::SimulatedPartners)

    // region docs:load
    // The verification screen is about to show: load the library in the background now, so that
    // it is ready before the first tap. Nothing here blocks the main thread.
    private val client: Deferred<Result<BridgeClient>> = run {
        IavBridgeAndroid.preload(application)
        viewModelScope.async {
            runCatching { getApplication<SampleApplication>().bridgeClient() }
        }
    }
    // endregion docs:load

    init {
        resumePending()
        prepareLink()
        refreshAccounts()
    }

    /**
     * The screen opened: finish the bank links a kill or a dead network left pending, and show
     * what happened to them; then read the accounts again if one was linked.
     */
    fun resumePending() {
        viewModelScope.launch {
            _resumed.value = try {
                PendingCompletions(client.await().getOrThrow()).resume()
            } catch (error: BridgeException) {
                listOf("Saved bank links could not be resumed: ${BankVerification.describe(error)}")
            } catch (error: IavBridgeInitializationException) {
                emptyList()
            }
            if (_resumed.value.isNotEmpty()) refreshAccounts()
        }
    }

    // region docs:prepare-screen
    /**
     * The screen appeared (init), or the last Link session was used: fetch the token for the next
     * one now, in the background. Once the prepare has finished, this makes no request; the
     * Activity hands the token to Link at once and enables the button on Link's `onLoad`.
     */
    fun prepareLink() {
        plaidJob?.cancel()
        _plaid.value = PlaidLinkState.Preparing
        plaidJob = viewModelScope.launch {
            _plaid.value = try {
                PlaidLinkState.Ready(BankVerification(client.await().getOrThrow()).prepared())
            } catch (error: BridgeException) {
                PlaidLinkState.Unavailable(BankVerification.describe(error))
            } catch (error: IavBridgeInitializationException) {
                PlaidLinkState.Unavailable("The app could not start bank verification: ${error.message}")
            }
        }
    }
    // endregion docs:prepare-screen

    /** An item of the menu other than Plaid was tapped (Plaid's opens Link in the Activity, with no call here). */
    fun link(method: LinkMethod) = when (method) {
        LinkMethod.PLAID -> Unit
        LinkMethod.MX -> step("Preparing MX Connect…") { client ->
            val page = MxVerification(client).start()
            mxPage = page
            VerificationState.MxConnectReady(page)
        }
        LinkMethod.CARD -> step("Preparing the card form…") { VerificationState.CardFormReady(CardLinking(it).start()) }
    }

    /** The Activity has opened Plaid Link (the tap). */
    fun onLinkOpened() {
        _state.value = VerificationState.Working("Waiting for Plaid Link…")
    }

    // region docs:plaid-link-next
    /** Plaid Link succeeded: finish on the backend, and get the next token (the user may link another). */
    fun onLinkSuccess(publicToken: String, institutionName: String?) {
        step("Verifying the account…") { client ->
            val name = institutionName?.let { "$it checking" }?.take(50) ?: "Checking account"
            VerificationState.Verified(BankVerification(client).finish(publicToken, name))
        }
        prepareLink()
    }

    /**
     * The user left Link, or Link failed (an expired or invalid token among the reasons). A link
     * token serves one Link session: get the next one now, in the background, not at the next tap.
     */
    fun onLinkExit(reason: String?) {
        _state.value = VerificationState.LinkClosed(reason ?: "Plaid Link was closed before the account was linked")
        prepareLink()
    }
    // endregion docs:plaid-link-next

    /** The Activity has opened MX Connect in a Custom Tab. */
    fun onMxOpened() {
        _state.value = VerificationState.Working("Waiting for MX Connect… (close it when you are done)")
    }

    // region docs:mx-closed
    /** The Custom Tab with MX Connect was closed: see what the user connected there. */
    fun onMxClosed() = step("Looking for the accounts you connected…") { client ->
        val page = mxPage
        mxPage = null
        if (page != null) simulated?.connectInMx(page)
        val mx = MxVerification(client)
        when (val outcome = mx.connected()) {
            MxOutcome.NothingConnected ->
                VerificationState.LinkClosed("Nothing was connected in MX Connect. Open it again to connect an account.")
            is MxOutcome.One -> VerificationState.Verified(mx.finish(outcome.connection))
            is MxOutcome.Several -> VerificationState.MxPick(outcome.connections)
        }
    }
    // endregion docs:mx-closed

    /** The user picked one of the accounts connected in MX Connect. */
    fun onMxPicked(connection: MxConnection) = step("Verifying the account…") { client ->
        VerificationState.Verified(MxVerification(client).finish(connection))
    }

    /** The card form was submitted with the card's name and billing address. */
    fun onCardSubmitted(session: CheckoutPaymentSession, name: String, address: BillingAddress) =
        step("Linking the card…") { client ->
            val card = CardLinking(client).finish(session, cardTokenSource(), name, address)
            if (card == null) VerificationState.LinkClosed("The card form was closed before a card was added") else VerificationState.Verified(card)
        }

    /** The user left the card form. */
    fun onCardCancelled() {
        _state.value = VerificationState.LinkClosed("The card form was closed before a card was added")
    }

    /**
     * Where the card token comes from. In an app: Checkout.com's Flow component, mounted by the
     * card screen with the payment session, which hands the token back here. This sample does not
     * embed Checkout.com's SDK: against the simulator, the simulator tokenizes a test card.
     */
    private fun cardTokenSource(): CardTokenSource = simulated?.cardForm ?: CardTokenSource {
        throw IOException("Checkout.com's Flow component is not part of this sample: set iavbridge.simulatorUrl to run the card path against the simulator")
    }

    /** Reads the linked accounts again. */
    fun refreshAccounts() = accountsStep { LinkedAccounts(it).list() }

    /** "Remove" was tapped on a linked account. */
    fun remove(fundingSource: FundingSource) = accountsStep { LinkedAccounts(it).remove(fundingSource) }

    /** Shows [working], then what [body] returns, or the failure (of loading or of the call). */
    private fun step(working: String, body: suspend (BridgeClient) -> VerificationState) {
        _state.value = VerificationState.Working(working)
        viewModelScope.launch {
            _state.value = try {
                body(client.await().getOrThrow())
            } catch (error: BridgeException.DuplicateFundingSource) {
                VerificationState.AlreadyLinked(error.existingId)
            } catch (error: BridgeException) {
                VerificationState.Failed(BankVerification.describe(error))
            } catch (error: IavBridgeInitializationException) {
                VerificationState.Failed("The app could not start bank verification: ${error.message}")
            } catch (error: UnexpectedSessionException) {
                VerificationState.Failed(error.message ?: "Unexpected session")
            } catch (error: IOException) {
                VerificationState.Failed(error.message ?: "The partner's page failed")
            }
            if (_state.value is VerificationState.Verified) refreshAccounts()
        }
    }

    private fun accountsStep(body: suspend (BridgeClient) -> List<FundingSource>) {
        _accounts.value = AccountsState.Loading
        viewModelScope.launch {
            _accounts.value = try {
                AccountsState.Loaded(body(client.await().getOrThrow()))
            } catch (error: BridgeException) {
                AccountsState.Failed(BankVerification.describe(error))
            } catch (error: IavBridgeInitializationException) {
                AccountsState.Failed("The app could not start: ${error.message}")
            }
        }
    }
}
