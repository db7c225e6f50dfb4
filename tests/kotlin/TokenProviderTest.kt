package dev.iavbridge.tests

import dev.iavbridge.AccessTokenException
import dev.iavbridge.BridgeClient
import dev.iavbridge.BridgeException
import dev.iavbridge.accessTokenProvider
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import java.util.concurrent.atomic.AtomicInteger

class TokenProviderTest {
    @Test
    fun suspendingProviderIsAskedForEachRequest() = runTest {
        val provider = StaticTokenProvider(Backend.alice.token)
        BridgeClient(config(), provider).use { c ->
            c.startPlaidLink(Backend.alice.customerId)
            val first = provider.calls.get()
            assertTrue("calls: $first", first >= 1)
            c.startPlaidLink(Backend.alice.customerId)
            assertTrue("calls: ${provider.calls.get()}", provider.calls.get() > first)
        }
    }

    @Test
    fun providerFailureBecomesTokenProviderError() = runTest {
        val provider = FailingTokenProvider(AccessTokenException.Failed("user signed out"))
        BridgeClient(config(), provider).use { c ->
            val e = assertThrowsTypeSuspend<BridgeException.TokenProvider> { c.startPlaidLink("me") }
            assertTrue(e.detail, e.detail.contains("user signed out"))
            assertEquals(1, provider.calls.get())
        }
    }

    @Test
    fun anyOtherExceptionFromTheProviderIsATokenProviderErrorToo() = runTest {
        val provider = FailingTokenProvider(IllegalStateException("keystore locked"))
        BridgeClient(config(), provider).use { c ->
            assertThrowsTypeSuspend<BridgeException.TokenProvider> { c.startPlaidLink("me") }
        }
    }

    @Test
    fun refusedTokenIsRefreshedOnceAfter401() = runTest {
        val provider = SequenceTokenProvider("expired-session-token", Backend.alice.token)
        BridgeClient(config(), provider).use { c ->
            val s = c.startPlaidLink(Backend.alice.customerId)
            assertTrue(s.linkToken().startsWith("link-sandbox-"))
            assertTrue("calls: ${provider.calls.get()}", provider.calls.get() >= 2)
        }
    }

    @Test
    fun tokenThatStaysRefusedIsUnauthorized() = runTest {
        val provider = SequenceTokenProvider("wrong-1", "wrong-2", "wrong-3")
        BridgeClient(config(), provider).use { c ->
            val e = assertThrowsTypeSuspend<BridgeException.Unauthorized> { c.startPlaidLink("me") }
            assertNoSecret(e.toString(), listOf("wrong-1", "wrong-2"), "Unauthorized")
            // Asked once, then once more after the 401: not in a loop.
            assertEquals(2, provider.calls.get())
        }
    }

    @Test
    fun noProviderMeansNoCredential() = runTest {
        BridgeClient(config(), null).use { c ->
            assertThrowsTypeSuspend<BridgeException.Unauthorized> { c.startPlaidLink("me") }
        }
    }

    @Test
    fun slowProviderIsCancelledWhenTheCallTimesOut() = runTest {
        val cancelled = java.util.concurrent.CountDownLatch(1)
        val provider = accessTokenProvider {
            try {
                delay(10_000)
                "never"
            } catch (e: kotlinx.coroutines.CancellationException) {
                cancelled.countDown()
                throw e
            }
        }
        BridgeClient(config(timeoutMs = 400uL, maxRetries = 0u), provider).use { c ->
            val started = System.nanoTime()
            val e = assertThrowsTypeSuspend<BridgeException> { c.startPlaidLink("me") }
            assertTrue("$e", e is BridgeException.Timeout || e is BridgeException.TokenProvider)
            assertTrue("took too long", (System.nanoTime() - started) / 1_000_000 < 3_000)
            assertTrue("the provider's coroutine was not cancelled", cancelled.await(3, java.util.concurrent.TimeUnit.SECONDS))
        }
    }

    @Test
    fun lambdaProviderFromTheKotlinLayer() = runTest {
        val calls = AtomicInteger()
        val provider = accessTokenProvider {
            calls.incrementAndGet()
            delay(5)
            Backend.bob.token
        }
        BridgeClient(config(), provider).use { c ->
            assertTrue(c.startPlaidLink(Backend.bob.customerId).linkToken().startsWith("link-sandbox-"))
            assertTrue(calls.get() >= 1)
        }
    }
}
