package dev.iavbridge.tests

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import java.util.concurrent.atomic.AtomicReference

class ConcurrencyTest {
    @After
    fun cleanUp() {
        Sim.clearFaults()
    }

    @Test
    fun cancellingTheCoroutineReturnsPromptlyAndTheClientStillWorks() = runTest {
        client().use { c ->
            c.exchangePartners() // warm the partner cache so the delayed request is the session's
            Sim.fault("method" to "POST", "path" to "/customers/", "delayMs" to 5_000)
            val outcome = AtomicReference<Throwable?>(null)
            val job = launch(Dispatchers.Default) {
                try {
                    c.startPlaidLink(Backend.alice.customerId)
                } catch (e: Throwable) {
                    outcome.set(e)
                    throw e
                }
            }
            delay(300)
            val started = System.nanoTime()
            job.cancel()
            withTimeout(3_000) { job.join() }
            val tookMs = (System.nanoTime() - started) / 1_000_000
            assertTrue("cancellation took $tookMs ms", tookMs < 3_000)
            assertTrue("expected a CancellationException, got ${outcome.get()}", outcome.get() is CancellationException)

            Sim.clearFaults()
            val s = c.startPlaidLink(Backend.alice.customerId)
            assertTrue(s.linkToken().startsWith("link-sandbox-"))
        }
    }

    @Test
    fun twoHundredConcurrentFlowsShareOneClient() = runTest {
        client().use { c ->
            val results = (1..200).map { i ->
                async(Dispatchers.Default) {
                    val customer = if (i % 2 == 0) Backend.alice.customerId else "me"
                    val s = c.startPlaidLink(customer)
                    s.linkToken() to s.sessionUrl()
                }
            }.awaitAll()
            assertEquals(200, results.size)
            assertTrue(results.all { it.first.startsWith("link-sandbox-") })
            assertEquals("link tokens must all differ", 200, results.map { it.first }.toSet().size)
            assertEquals("sessions must all differ", 200, results.map { it.second }.toSet().size)
        }
    }
}
