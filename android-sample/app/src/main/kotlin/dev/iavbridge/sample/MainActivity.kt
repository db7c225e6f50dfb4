package dev.iavbridge.sample

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.result.ActivityResultLauncher
import androidx.activity.viewModels
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import com.plaid.link.OpenPlaidLink
import com.plaid.link.Plaid
import com.plaid.link.PlaidSession
import com.plaid.link.configuration.linkTokenConfiguration
import com.plaid.link.result.LinkExit
import com.plaid.link.result.LinkSuccess
import dev.iavbridge.sample.flow.VerificationState

/** One screen: "Verify bank account" -> Plaid Link -> the new funding source. */
class MainActivity : ComponentActivity() {
    private val viewModel: VerifyViewModel by viewModels()

    // Registered before the Activity starts, so a result delivered after the Activity was
    // recreated (for example after an OAuth bank's app) still arrives here.
    // region docs:plaid-link-result
    private val openLink: ActivityResultLauncher<PlaidSession> =
        registerForActivityResult(OpenPlaidLink()) { result ->
            when (result) {
                is LinkSuccess -> viewModel.onLinkSuccess(result.publicToken, result.metadata.institution?.name)
                is LinkExit -> viewModel.onLinkExit(result.error?.let { it.displayMessage ?: it.errorMessage })
            }
        }
    // endregion docs:plaid-link-result

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContent {
            MaterialTheme {
                val state by viewModel.state.collectAsStateWithLifecycle()
                LaunchedEffect(state) {
                    val ready = state as? VerificationState.LinkReady ?: return@LaunchedEffect
                    // A Plaid session is single-use: one per link token.
                    // region docs:plaid-link-open
                    val session = Plaid.createPlaidLinkSession(
                        this@MainActivity,
                        linkTokenConfiguration { token = ready.session.linkToken() },
                    )
                    viewModel.onLinkOpened()
                    openLink.launch(session)
                    // endregion docs:plaid-link-open
                }
                VerifyScreen(state = state, onVerify = viewModel::verify)
            }
        }
    }
}

@Composable
private fun VerifyScreen(state: VerificationState, onVerify: () -> Unit) {
    Scaffold { padding ->
        Column(
            modifier = Modifier.fillMaxSize().padding(padding).padding(24.dp),
            verticalArrangement = Arrangement.spacedBy(16.dp),
            horizontalAlignment = Alignment.CenterHorizontally,
        ) {
            Text("Link your bank account", style = MaterialTheme.typography.headlineSmall)
            val busy = state is VerificationState.Working || state is VerificationState.LinkReady
            Button(onClick = onVerify, enabled = !busy, modifier = Modifier.fillMaxWidth()) {
                Text("Verify bank account")
            }
            when (state) {
                VerificationState.Idle -> Text("You will pick your bank in Plaid Link.")
                is VerificationState.Working -> {
                    CircularProgressIndicator()
                    Text(state.step)
                }
                is VerificationState.LinkReady -> CircularProgressIndicator()
                is VerificationState.Verified -> Card(modifier = Modifier.fillMaxWidth()) {
                    Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
                        Text("Bank account verified", style = MaterialTheme.typography.titleMedium)
                        Text("Funding source: ${state.fundingSource.name}")
                        Text("Id: ${state.fundingSource.id}", style = MaterialTheme.typography.bodySmall)
                    }
                }
                is VerificationState.LinkClosed -> Text(state.reason)
                is VerificationState.Failed -> Text(state.reason, color = MaterialTheme.colorScheme.error)
            }
        }
    }
}
