package dev.iavbridge.tests

import org.junit.Assert.assertTrue
import org.junit.Test
import java.io.File

/** The Rust doc comments reach the generated Kotlin (uniffi carries them): every public API item has KDoc. */
class DocsTest {
    private val lines = File("bindings/kotlin/dev/iavbridge/iav_bridge.kt").readLines()

    private fun documented(declaration: Regex): Boolean {
        val i = lines.indexOfFirst { declaration.containsMatchIn(it) }
        assertTrue("declaration $declaration not found", i >= 0)
        // The KDoc ends right above the declaration, or above its annotations.
        var j = i - 1
        while (j >= 0 && (lines[j].isBlank() || lines[j].trim().startsWith("@"))) j--
        val kdocEnd = lines[i].contains("*/") || (j >= 0 && lines[j].trim().endsWith("*/"))
        val kdocText = (maxOf(0, j - 30)..maxOf(0, j)).map { lines[it] }.joinToString("\n")
        return kdocEnd && kdocText.contains("/**") && kdocText.lines().any { it.trim().startsWith("*") && it.trim().length > 3 }
    }

    @Test
    fun everyPublicApiItemHasItsDocComment() {
        val items = listOf(
            "fun `validateAndroidPackageName`", "fun `validateIosRedirectUrl`", "fun `setLogSink`",
            "^data class BridgeConfig", "^sealed class Platform", "^enum class Environment",
            "^public interface AccessTokenProvider", "^public interface LogSink", "^data class LogRecord",
            "^enum class LogLevel", "^open class BridgeClient", "suspend fun `startPlaidLink`",
            "suspend fun `startReauth`", "suspend fun `completePlaidLink`", "suspend fun `createFundingSource`",
            "suspend fun `exchangePartners`", "suspend fun `createExchangeSession`", "suspend fun `exchangeSession`",
            "fun `prewarm`", "^open class PlaidLinkSession", "fun `linkToken`", "^open class CheckoutPaymentSession",
            "fun `paymentSessionSecret`", "^sealed class ExchangeSession", "^data class ExchangePartner",
            "^data class Exchange ", "^data class FundingSource", "^enum class BankAccountType",
            "^sealed class BridgeException", "^sealed class RedirectUrlException", "^sealed class AccessTokenException",
            "suspend fun `mxConnections`", "suspend fun `completeMxConnection`", "suspend fun `createCardFundingSource`",
            "suspend fun `fundingSources`", "suspend fun `removeFundingSource`", "^open class MxConnection",
            "fun `availableConnectionToken`", "^data class BillingAddress", "^data class CardSummary",
            "^enum class FundingSourceKind", "class DuplicateFundingSource\\(",
            "fun `preparePlaidLink`", "fun `prepareReauth`", "fun `clearPrepared`", "val `preparedMaxAgeMs`",
        )
        val missing = items.filterNot { documented(Regex(it)) }
        assertTrue("without doc comment in the generated Kotlin: $missing", missing.isEmpty())
    }
}
