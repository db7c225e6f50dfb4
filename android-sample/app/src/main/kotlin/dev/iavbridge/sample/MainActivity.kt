package dev.iavbridge.sample

import android.content.Intent
import android.net.Uri
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.result.ActivityResultLauncher
import androidx.activity.result.contract.ActivityResultContracts
import androidx.activity.viewModels
import androidx.browser.customtabs.CustomTabsIntent
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.DropdownMenu
import androidx.compose.material3.DropdownMenuItem
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import com.plaid.link.OpenPlaidLink
import com.plaid.link.PlaidSession
import dev.iavbridge.BillingAddress
import dev.iavbridge.CheckoutPaymentSession
import dev.iavbridge.FundingSource
import dev.iavbridge.MxConnection
import dev.iavbridge.sample.flow.CardLinking
import dev.iavbridge.sample.flow.LinkedAccounts
import dev.iavbridge.sample.flow.PlaidLinkSdk
import dev.iavbridge.sample.flow.PlaidLinkState
import dev.iavbridge.sample.flow.VerificationState

/**
 * One screen: a menu to link a bank account (Plaid Link or MX Connect) or a debit card
 * (Checkout.com), the outcome, and the customer's linked accounts.
 */
class MainActivity : ComponentActivity() {
    private val viewModel: VerifyViewModel by viewModels()

    // Registered before the Activity starts, so a result delivered after the Activity was
    // recreated (for example after an OAuth bank's app) still arrives here.
    // region docs:plaid-link-result
    private val openLink: ActivityResultLauncher<PlaidSession> =
        registerForActivityResult(OpenPlaidLink()) { result ->
            PlaidLinkSdk.deliver(result, viewModel::onLinkSuccess, viewModel::onLinkExit)
        }
    // endregion docs:plaid-link-result

    // region docs:mx-custom-tab-result
    // MX Connect runs in a Custom Tab, started for a result: the result arrives when the user
    // closes the tab (its close button or Back). Neither the tab nor Dwolla says whether MX
    // Connect finished, so closing is the signal to ask the backend (VerifyViewModel.onMxClosed).
    private val openMx: ActivityResultLauncher<Intent> =
        registerForActivityResult(ActivityResultContracts.StartActivityForResult()) { viewModel.onMxClosed() }
    // endregion docs:mx-custom-tab-result

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContent {
            MaterialTheme {
                val state by viewModel.state.collectAsStateWithLifecycle()
                val accounts by viewModel.accounts.collectAsStateWithLifecycle()
                val plaid by viewModel.plaid.collectAsStateWithLifecycle()
                val resumed by viewModel.resumed.collectAsStateWithLifecycle()
                // region docs:plaid-link-preload
                // The token the ViewModel fetched when the screen appeared goes to Link at once, so
                // that Link loads before the tap; its menu item is enabled when Link's onLoad fires.
                // One Link session per token: a used one is gone, the ViewModel fetches the next.
                var linkSession by remember { mutableStateOf<PlaidSession?>(null) }
                var linkLoaded by remember { mutableStateOf(false) }
                LaunchedEffect(plaid) {
                    linkSession = null
                    linkLoaded = false
                    val ready = plaid as? PlaidLinkState.Ready ?: return@LaunchedEffect
                    linkSession = PlaidLinkSdk.createLinkSession(this@MainActivity, ready.session) {
                        if (viewModel.plaid.value === ready) linkLoaded = true
                    }
                }
                // endregion docs:plaid-link-preload
                LaunchedEffect(state) {
                    when (val ready = state) {
                        is VerificationState.MxConnectReady -> {
                            // region docs:mx-custom-tab-open
                            // The page's URL is single-use: it is opened, never logged.
                            val tab = CustomTabsIntent.Builder().setShowTitle(true).build()
                            tab.intent.data = Uri.parse(ready.page.url)
                            viewModel.onMxOpened()
                            openMx.launch(tab.intent)
                            // endregion docs:mx-custom-tab-open
                        }
                        else -> Unit
                    }
                }
                VerifyScreen(
                    state = state,
                    plaid = plaid,
                    plaidLoaded = linkSession != null && linkLoaded,
                    accounts = accounts,
                    resumed = resumed,
                    onLink = { method ->
                        when {
                            method != LinkMethod.PLAID -> viewModel.link(method)
                            plaid is PlaidLinkState.Unavailable -> viewModel.prepareLink()
                            else -> {
                                // region docs:plaid-link-open
                                // The tap opens Link, loaded already: no call to the backend here.
                                val session = linkSession
                                if (session != null && linkLoaded) {
                                    linkSession = null
                                    linkLoaded = false
                                    viewModel.onLinkOpened()
                                    openLink.launch(session)
                                }
                                // endregion docs:plaid-link-open
                            }
                        }
                    },
                    onMxPicked = viewModel::onMxPicked,
                    onCardSubmitted = viewModel::onCardSubmitted,
                    onCardCancelled = viewModel::onCardCancelled,
                    onRefreshAccounts = viewModel::refreshAccounts,
                    onRemove = viewModel::remove,
                )
            }
        }
    }
}

@Composable
private fun VerifyScreen(
    state: VerificationState,
    plaid: PlaidLinkState,
    plaidLoaded: Boolean,
    accounts: AccountsState,
    resumed: List<String>,
    onLink: (LinkMethod) -> Unit,
    onMxPicked: (MxConnection) -> Unit,
    onCardSubmitted: (CheckoutPaymentSession, String, BillingAddress) -> Unit,
    onCardCancelled: () -> Unit,
    onRefreshAccounts: () -> Unit,
    onRemove: (FundingSource) -> Unit,
) {
    Scaffold { padding ->
        Column(
            modifier = Modifier.fillMaxSize().padding(padding).verticalScroll(rememberScrollState()).padding(24.dp),
            verticalArrangement = Arrangement.spacedBy(16.dp),
            horizontalAlignment = Alignment.CenterHorizontally,
        ) {
            Text("Link an account", style = MaterialTheme.typography.headlineSmall)
            // The bank links a kill or a dead network left pending, resumed when the screen opened.
            resumed.forEach { Text(it, style = MaterialTheme.typography.bodyMedium) }
            val busy = state is VerificationState.Working ||
                state is VerificationState.MxConnectReady || state is VerificationState.CardFormReady
            LinkMenu(enabled = !busy, plaid = plaid, plaidLoaded = plaidLoaded, onLink = onLink)
            if (plaid is PlaidLinkState.Unavailable) {
                Text("Plaid Link: ${plaid.reason}", color = MaterialTheme.colorScheme.error)
            }
            when (state) {
                VerificationState.Idle -> Text("Pick how to link: your bank in Plaid Link or MX Connect, or a debit card.")
                is VerificationState.Working -> {
                    CircularProgressIndicator()
                    Text(state.step)
                }
                is VerificationState.MxConnectReady -> CircularProgressIndicator()
                is VerificationState.MxPick -> MxPicker(state.connections, onMxPicked)
                is VerificationState.CardFormReady -> CardForm(state.session, onCardSubmitted, onCardCancelled)
                is VerificationState.Verified -> Card(modifier = Modifier.fillMaxWidth()) {
                    Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
                        Text("Linked", style = MaterialTheme.typography.titleMedium)
                        Text(state.fundingSource.name)
                        Text(LinkedAccounts.describe(state.fundingSource))
                        Text("Id: ${state.fundingSource.id}", style = MaterialTheme.typography.bodySmall)
                    }
                }
                is VerificationState.AlreadyLinked -> Text(
                    "Already linked" + (state.existingId?.let { " (funding source $it)" } ?: "") +
                        ". Remove it below to link it again.",
                )
                is VerificationState.LinkClosed -> Text(state.reason)
                is VerificationState.Failed -> Text(state.reason, color = MaterialTheme.colorScheme.error)
            }
            HorizontalDivider()
            LinkedAccountsList(accounts, onRefreshAccounts, onRemove)
        }
    }
}

/**
 * "Link an account" and its menu of methods. Plaid's item is enabled once Link has loaded (or, when
 * its token could not be fetched, to try again).
 */
@Composable
private fun LinkMenu(enabled: Boolean, plaid: PlaidLinkState, plaidLoaded: Boolean, onLink: (LinkMethod) -> Unit) {
    var open by remember { mutableStateOf(false) }
    Box {
        Button(onClick = { open = true }, enabled = enabled, modifier = Modifier.fillMaxWidth()) {
            Text("Link an account…")
        }
        DropdownMenu(expanded = open, onDismissRequest = { open = false }) {
            LinkMethod.entries.forEach { method ->
                val label = when {
                    method != LinkMethod.PLAID || plaidLoaded -> method.label
                    plaid is PlaidLinkState.Unavailable -> "${method.label} (try again)"
                    else -> "${method.label} (loading…)"
                }
                DropdownMenuItem(
                    text = { Text(label) },
                    enabled = method != LinkMethod.PLAID || plaidLoaded || plaid is PlaidLinkState.Unavailable,
                    onClick = {
                        open = false
                        onLink(method)
                    },
                )
            }
        }
    }
}

/** The accounts connected in MX Connect: the user picks one (by its name; the token stays hidden). */
@Composable
private fun MxPicker(connections: List<MxConnection>, onPicked: (MxConnection) -> Unit) {
    Text("You connected several accounts. Which one should be linked?")
    connections.forEach { connection ->
        OutlinedButton(onClick = { onPicked(connection) }, modifier = Modifier.fillMaxWidth()) {
            Text(connection.name())
        }
    }
}

/**
 * The card form. In an app, Checkout.com's Flow component (Flow for mobile) takes the card number,
 * expiry and security code here: it is created with the payment session's id(),
 * paymentSessionToken() and paymentSessionSecret() (secrets: passed to the component, never logged
 * or shown) and tokenizes the card; its token reaches CardLinking.finish through the view model's
 * CardTokenSource. This sample does not embed Checkout.com's SDK; the billing address is the app's.
 */
@Composable
private fun CardForm(
    session: CheckoutPaymentSession,
    onSubmit: (CheckoutPaymentSession, String, BillingAddress) -> Unit,
    onCancel: () -> Unit,
) {
    var name by rememberSaveable { mutableStateOf("My debit card") }
    var street by rememberSaveable { mutableStateOf("") }
    var apartment by rememberSaveable { mutableStateOf("") }
    var city by rememberSaveable { mutableStateOf("") }
    var region by rememberSaveable { mutableStateOf("") }
    var postalCode by rememberSaveable { mutableStateOf("") }
    Card(modifier = Modifier.fillMaxWidth()) {
        Text(
            "Checkout.com's card form (Flow component) goes here.",
            modifier = Modifier.padding(16.dp),
            style = MaterialTheme.typography.bodyMedium,
        )
    }
    OutlinedTextField(name, { name = it }, label = { Text("Name of the card in the app") }, modifier = Modifier.fillMaxWidth())
    OutlinedTextField(street, { street = it }, label = { Text("Street address") }, modifier = Modifier.fillMaxWidth())
    OutlinedTextField(apartment, { apartment = it }, label = { Text("Apartment, suite (optional)") }, modifier = Modifier.fillMaxWidth())
    OutlinedTextField(city, { city = it }, label = { Text("City") }, modifier = Modifier.fillMaxWidth())
    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        OutlinedTextField(region, { region = it }, label = { Text("State (IA)") }, modifier = Modifier.weight(1f))
        OutlinedTextField(postalCode, { postalCode = it }, label = { Text("ZIP code") }, modifier = Modifier.weight(1f))
    }
    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        TextButton(onClick = onCancel) { Text("Cancel") }
        Button(onClick = {
            onSubmit(session, name, CardLinking.billingAddress(street, apartment, city, region, postalCode))
        }) { Text("Add card") }
    }
}

/** The customer's funding sources: kind, status, and Remove. */
@Composable
private fun LinkedAccountsList(accounts: AccountsState, onRefresh: () -> Unit, onRemove: (FundingSource) -> Unit) {
    Row(modifier = Modifier.fillMaxWidth(), verticalAlignment = Alignment.CenterVertically) {
        Text("Linked accounts", style = MaterialTheme.typography.titleMedium, modifier = Modifier.weight(1f))
        TextButton(onClick = onRefresh) { Text("Refresh") }
    }
    when (accounts) {
        AccountsState.Loading -> CircularProgressIndicator()
        is AccountsState.Failed -> Text(accounts.reason, color = MaterialTheme.colorScheme.error)
        is AccountsState.Loaded ->
            if (accounts.accounts.isEmpty()) {
                Text("No linked accounts yet.")
            } else {
                accounts.accounts.forEach { account ->
                    Row(modifier = Modifier.fillMaxWidth(), verticalAlignment = Alignment.CenterVertically) {
                        Column(Modifier.weight(1f)) {
                            Text(account.name)
                            Text(LinkedAccounts.describe(account), style = MaterialTheme.typography.bodySmall)
                        }
                        TextButton(onClick = { onRemove(account) }) { Text("Remove") }
                    }
                }
            }
    }
}
