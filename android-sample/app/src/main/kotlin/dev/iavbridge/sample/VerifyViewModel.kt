package dev.iavbridge.sample

import android.app.Application
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import dev.iavbridge.BridgeException
import dev.iavbridge.android.IavBridgeAndroid
import dev.iavbridge.android.IavBridgeInitializationException
import dev.iavbridge.sample.flow.BankVerification
import dev.iavbridge.sample.flow.VerificationState
import kotlinx.coroutines.Deferred
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch

/** Runs [BankVerification] and exposes its [VerificationState] to the screen. */
class VerifyViewModel(application: Application) : AndroidViewModel(application) {
    private val _state = MutableStateFlow<VerificationState>(VerificationState.Idle)

    /** What the screen shows. */
    val state: StateFlow<VerificationState> = _state.asStateFlow()

    // region docs:load
    // The verification screen is about to show: load the library in the background now, so that
    // it is ready before the first tap. Nothing here blocks the main thread.
    private val flow: Deferred<Result<BankVerification>> = run {
        IavBridgeAndroid.preload(application)
        viewModelScope.async {
            runCatching { BankVerification(getApplication<SampleApplication>().bridgeClient()) }
        }
    }
    // endregion docs:load

    /** "Verify bank account" was tapped. */
    fun verify() = step("Preparing Plaid Link…") { flow ->
        VerificationState.LinkReady(flow.start())
    }

    /** The Activity has handed the link token to Plaid Link. */
    fun onLinkOpened() {
        _state.value = VerificationState.Working("Waiting for Plaid Link…")
    }

    /** Plaid Link succeeded: finish on the backend. */
    fun onLinkSuccess(publicToken: String, institutionName: String?) = step("Verifying the account…") { flow ->
        val name = institutionName?.let { "$it checking" }?.take(50) ?: "Checking account"
        VerificationState.Verified(flow.finish(publicToken, name))
    }

    /** The user left Link, or Link failed. */
    fun onLinkExit(reason: String?) {
        _state.value = VerificationState.LinkClosed(reason ?: "Plaid Link was closed before the account was linked")
    }

    /** Shows [working], then what [body] returns, or the failure (of loading or of the call). */
    private fun step(working: String, body: suspend (BankVerification) -> VerificationState) {
        _state.value = VerificationState.Working(working)
        viewModelScope.launch {
            _state.value = try {
                body(flow.await().getOrThrow())
            } catch (error: BridgeException) {
                VerificationState.Failed(BankVerification.describe(error))
            } catch (error: IavBridgeInitializationException) {
                VerificationState.Failed("The app could not start bank verification: ${error.message}")
            }
        }
    }
}
