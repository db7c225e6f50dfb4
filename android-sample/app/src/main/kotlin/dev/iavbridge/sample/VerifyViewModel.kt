package dev.iavbridge.sample

import android.app.Application
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import dev.iavbridge.BridgeException
import dev.iavbridge.sample.flow.BankVerification
import dev.iavbridge.sample.flow.VerificationState
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch

/** Runs [BankVerification] and exposes its [VerificationState] to the screen. */
class VerifyViewModel(application: Application) : AndroidViewModel(application) {
    private val _state = MutableStateFlow<VerificationState>(VerificationState.Idle)

    /** What the screen shows. */
    val state: StateFlow<VerificationState> = _state.asStateFlow()

    private val flow: BankVerification? by lazy {
        try {
            BankVerification(getApplication<SampleApplication>().bridgeClient)
        } catch (error: BridgeException) {
            _state.value = VerificationState.Failed(BankVerification.describe(error))
            null
        }
    }

    /** "Verify bank account" was tapped. */
    fun verify() {
        val flow = flow ?: return
        _state.value = VerificationState.Working("Preparing Plaid Link…")
        viewModelScope.launch {
            _state.value = try {
                VerificationState.LinkReady(flow.start())
            } catch (error: BridgeException) {
                VerificationState.Failed(BankVerification.describe(error))
            }
        }
    }

    /** The Activity has handed the link token to Plaid Link. */
    fun onLinkOpened() {
        _state.value = VerificationState.Working("Waiting for Plaid Link…")
    }

    /** Plaid Link succeeded: finish on the backend. */
    fun onLinkSuccess(publicToken: String, institutionName: String?) {
        val flow = flow ?: return
        _state.value = VerificationState.Working("Verifying the account…")
        viewModelScope.launch {
            _state.value = try {
                val name = institutionName?.let { "$it checking" }?.take(50) ?: "Checking account"
                VerificationState.Verified(flow.finish(publicToken, name))
            } catch (error: BridgeException) {
                VerificationState.Failed(BankVerification.describe(error))
            }
        }
    }

    /** The user left Link, or Link failed. */
    fun onLinkExit(reason: String?) {
        _state.value = VerificationState.LinkClosed(reason ?: "Plaid Link was closed before the account was linked")
    }
}
