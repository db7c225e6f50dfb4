package dev.iavbridge.tests

import dev.iavbridge.BankAccountType
import dev.iavbridge.BridgeClient
import dev.iavbridge.BridgeException
import dev.iavbridge.ExchangeSession
import dev.iavbridge.LogLevel
import dev.iavbridge.LogRecord
import dev.iavbridge.logSink
import dev.iavbridge.toAndroidPriority
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test

class LoggingTest {
    @Test
    fun sinkReceivesRecordsWithoutSecrets() = runTest {
        CapturedLogs.install()
        CapturedLogs.records.clear()
        val secrets = mutableListOf(Backend.alice.token)
        client().use { c ->
            val alice = Backend.alice
            val s = c.startPlaidLink(alice.customerId)
            secrets += s.linkToken()
            val publicToken = Sim.completeLink(s.linkToken())
            secrets += publicToken
            val exchange = c.completePlaidLink(alice.customerId, publicToken)
            c.createFundingSource(alice.customerId, exchange.id, BankAccountType.CHECKING, "Logged checking")
            val checkout = c.exchangeSession(c.createExchangeSession(alice.customerId, "Checkout.com"))
            if (checkout is ExchangeSession.CheckoutPayment) {
                secrets += checkout.session.paymentSessionSecret()
                secrets += checkout.session.paymentSessionToken()
            }
            // A failing call logs too.
            try {
                c.completePlaidLink(alice.customerId, publicToken)
            } catch (e: BridgeException) {
                assertNoSecret(e.toString(), secrets, "error")
            }
        }
        val records = CapturedLogs.records.toList()
        assertTrue("no log records received", records.isNotEmpty())
        assertTrue("no record at INFO or above", records.any { it.level <= LogLevel.INFO })
        assertTrue(records.all { it.target.isNotEmpty() })
        for (r in records) {
            assertNoSecret(r.message, secrets, "log record ${r.level} ${r.target}")
            assertNoSecret(r.target, secrets, "log target")
        }
    }

    @Test
    fun lambdaSinkAndAndroidPriorities() {
        val seen = mutableListOf<LogRecord>()
        val sink = logSink { seen += it }
        sink.log(LogRecord(LogLevel.WARN, "t", "m"))
        assertEquals(listOf(LogRecord(LogLevel.WARN, "t", "m")), seen)
        assertEquals(listOf(6, 5, 4, 3, 2), LogLevel.entries.map { it.toAndroidPriority() })
    }

    @Test
    fun recordsFromAConstructorFailureStillCarryNoSecret() {
        CapturedLogs.install()
        CapturedLogs.records.clear()
        try {
            BridgeClient(config(backendUrl = "http://user:hunter2@127.0.0.1:1/"), null).close()
        } catch (e: BridgeException) {
            assertNoSecret(e.toString(), listOf("hunter2"), "error")
        }
        for (r in CapturedLogs.records) assertNoSecret(r.message, listOf("hunter2"), "log")
    }
}
