package dev.iavbridge.tests

import dev.iavbridge.BridgeClient
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeout
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertTrue
import org.junit.Test

/**
 * prepareLinkSession/preparePlaidLink: the session made when the screen appears, handed out at
 * the tap. Requests are counted by the token provider, which the library asks before every
 * request; at a tap that finds a prepared session it asks it once more, with no request, to
 * check that the session belongs to the user signed in now. So a tap served from the prepared
 * session adds exactly one call, a tap that had to make its own session at least two.
 */
class PrepareTest {
    @After
    fun cleanUp() {
        Sim.clearFaults()
    }

    private fun readyCount(): Int =
        CapturedLogs.records.count { it.message.startsWith("prepare_plaid_link: session ready") }

    /** Waits until one more prepare than `before` has logged its session ready. */
    private suspend fun awaitReady(before: Int) {
        withTimeout(10_000) {
            while (readyCount() <= before) delay(5)
        }
    }

    private fun clientWith(tokens: StaticTokenProvider, maxAgeMs: ULong? = null): BridgeClient {
        CapturedLogs.install()
        return BridgeClient(config().copy(preparedMaxAgeMs = maxAgeMs), tokens)
    }

    @Test
    fun prepareThenStartMakesNoRequest() = runTest {
        val tokens = StaticTokenProvider(Backend.alice.token)
        clientWith(tokens).use { c ->
            val before = readyCount()
            c.preparePlaidLink("me")
            awaitReady(before)
            val asked = tokens.calls.get()
            assertEquals("partner list and session creation", 2, asked)
            val session = c.startPlaidLink("me")
            assertEquals("no request at the tap, only the check of whose session it is", asked + 1, tokens.calls.get())
            assertTrue(session.linkToken().startsWith("link-sandbox-"))
            // The prepared token is a real one: Link completes with it.
            val exchange = c.completePlaidLink("me", Sim.completeLink(session.linkToken()))
            assertEquals("active", exchange.status)
        }
    }

    @Test
    fun aPreparedSessionIsHandedOutOnce() = runTest {
        val tokens = StaticTokenProvider(Backend.alice.token)
        clientWith(tokens).use { c ->
            val before = readyCount()
            c.preparePlaidLink("me")
            awaitReady(before)
            val first = c.startPlaidLink("me")
            val asked = tokens.calls.get()
            val second = c.startPlaidLink("me")
            assertEquals("the second start creates its own", asked + 1, tokens.calls.get())
            assertNotEquals(first.linkToken(), second.linkToken())
        }
    }

    @Test
    fun anExpiredPreparedSessionIsReplacedNotHandedOut() = runTest {
        val tokens = StaticTokenProvider(Backend.alice.token)
        clientWith(tokens, maxAgeMs = 1uL).use { c ->
            val before = readyCount()
            c.preparePlaidLink("me")
            awaitReady(before)
            delay(20)
            val asked = tokens.calls.get()
            val replaced = CapturedLogs.records.size
            val session = c.startPlaidLink("me")
            assertEquals("a new session was created (the check, then the request)", asked + 2, tokens.calls.get())
            assertTrue(session.linkToken().startsWith("link-sandbox-"))
            assertTrue(CapturedLogs.records.drop(replaced).any { it.message.contains("replaced by a new one") })
        }
    }

    @Test
    fun aPrepareInFlightIsAwaitedAndOneSessionCreated() = runTest {
        val tokens = StaticTokenProvider(Backend.alice.token)
        clientWith(tokens).use { c ->
            Sim.fault("method" to "POST", "path" to "/customers/", "delayMs" to 500, "count" to 1)
            c.preparePlaidLink("me")
            delay(100)
            val session = c.startPlaidLink("me")
            assertEquals("one partner list, one session, the check at the tap: nothing duplicated", 3, tokens.calls.get())
            assertTrue(session.linkToken().startsWith("link-sandbox-"))
        }
    }

    @Test
    fun aFailedPrepareLeavesTheStartToTryItself() = runTest {
        val tokens = StaticTokenProvider(Backend.alice.token)
        clientWith(tokens).use { c ->
            Sim.fault("method" to "POST", "path" to "/customers/", "status" to 403, "count" to 1)
            val failures = CapturedLogs.records.count { it.message.startsWith("prepare_plaid_link failed") }
            c.preparePlaidLink("me")
            withTimeout(10_000) {
                while (CapturedLogs.records.count { it.message.startsWith("prepare_plaid_link failed") } <= failures) delay(5)
            }
            val session = c.startPlaidLink("me")
            assertTrue(session.linkToken().startsWith("link-sandbox-"))
        }
    }

    @Test
    fun cancellingTheStartKeepsThePreparedSessionAndClosingCancelsThePrepare() = runTest {
        val tokens = StaticTokenProvider(Backend.alice.token)
        clientWith(tokens).use { c ->
            Sim.fault("method" to "POST", "path" to "/customers/", "delayMs" to 600, "count" to 1)
            val before = readyCount()
            c.preparePlaidLink("me")
            val job = launch(Dispatchers.Default) { c.startPlaidLink("me") }
            delay(150)
            job.cancel()
            withTimeout(3_000) { job.join() }
            awaitReady(before)
            val asked = tokens.calls.get()
            c.startPlaidLink("me")
            assertEquals("the prepared session survived the cancelled start (only the check at the tap)", asked + 1, tokens.calls.get())
        }
        // Closing the client while a prepare is in flight: the prepare is aborted, nothing is
        // logged as ready for it.
        Sim.fault("method" to "POST", "path" to "/customers/", "delayMs" to 600, "count" to 1)
        val before = readyCount()
        val c = clientWith(tokens)
        c.preparePlaidLink("me")
        delay(150)
        c.close()
        delay(900)
        assertEquals("an aborted prepare never became ready", before, readyCount())
        // clearPrepared does the same on a live client.
        Sim.clearFaults()
        Sim.fault("method" to "POST", "path" to "/customers/", "delayMs" to 600, "count" to 1)
        clientWith(tokens).use { d ->
            d.preparePlaidLink("me")
            delay(150)
            d.clearPrepared()
            val start = async { d.startPlaidLink("me") }
            assertTrue(start.await().linkToken().startsWith("link-sandbox-"))
            delay(700)
            assertEquals(before, readyCount())
        }
    }
}
