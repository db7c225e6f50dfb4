package dev.iavbridge.sample.flow

import dev.iavbridge.CheckoutPaymentSession
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import java.io.IOException
import java.net.HttpURLConnection
import java.net.URL

/**
 * Debug builds against the sample-backend's simulated Dwolla only: stands in for what the user does
 * in the partners' own pages, through the simulator's `/sim/` controls (docs/backend-contract.md).
 * The simulated MX Connect page does not load, and the sample does not embed Checkout.com's Flow
 * component; with this, both paths run to their end on the simulator. An app has no such thing.
 *
 * [simulatorUrl] is the "Dwolla simulator:" URL that `cargo run -p sample-backend -- serve` prints
 * (on the emulator with 10.0.2.2 instead of 127.0.0.1).
 */
class SimulatedPartners(private val simulatorUrl: String) {
    /** What the user does in MX Connect: connects a bank account to the session. */
    suspend fun connectInMx(page: MxConnectPage) {
        val sessionId = page.sessionUrl.trimEnd('/').substringAfterLast('/')
        post("/sim/mx/complete-session", "exchangeSessionId", sessionId)
    }

    /** What Checkout.com's Flow component does: tokenizes a test card for the payment session. */
    val cardForm = CardTokenSource { session: CheckoutPaymentSession ->
        val answer = post("/sim/checkout/complete-payment-session", "paymentSessionId", session.id())
        Regex("\"cardToken\"\\s*:\\s*\"([^\"]+)\"").find(answer)?.groupValues?.get(1)
            ?: throw IOException("the simulator answered without a card token")
    }

    /** POSTs `{"<key>": "<value>"}`; the answer's body. Errors never repeat the answer (it may hold a token). */
    private suspend fun post(path: String, key: String, value: String): String = withContext(Dispatchers.IO) {
        require(value.all { it.isLetterOrDigit() || it == '-' || it == '_' }) { "unexpected $key" }
        val connection = URL(simulatorUrl.trimEnd('/') + path).openConnection() as HttpURLConnection
        try {
            connection.requestMethod = "POST"
            connection.doOutput = true
            connection.connectTimeout = 5_000
            connection.readTimeout = 5_000
            connection.setRequestProperty("Content-Type", "application/json")
            connection.outputStream.use { it.write("{\"$key\":\"$value\"}".toByteArray()) }
            val status = connection.responseCode
            if (status != 200) throw IOException("the simulator answered $status to $path")
            connection.inputStream.use { it.readBytes().decodeToString() }
        } finally {
            connection.disconnect()
        }
    }
}
