package dev.iavbridge.tests

import com.sun.net.httpserver.HttpServer
import dev.iavbridge.BridgeClient
import dev.iavbridge.BridgeException
import dev.iavbridge.Platform
import kotlinx.coroutines.runBlocking
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import java.net.InetSocketAddress
import java.net.ServerSocket

/** Server errors (injected into the simulated Dwolla, passed through by the backend) as typed exceptions. */
class ErrorsTest {
    @After
    fun cleanUp() {
        Sim.clearFaults()
        Sim.resetAccount()
    }

    private fun failOnCreate(vararg fields: Pair<String, Any?>) {
        Sim.fault("method" to "POST", "path" to "/customers/", *fields)
    }

    private inline fun <reified T : BridgeException> startFails(maxRetries: UInt = 0u, timeoutMs: ULong = 15_000uL): T = runBlocking {
        client(maxRetries = maxRetries, timeoutMs = timeoutMs).use { c ->
            val e = assertThrowsTypeSuspend<T> { c.startPlaidLink(Backend.alice.customerId) }
            assertNoSecret(e.message ?: "", listOf(Backend.alice.token), "error message")
            e
        }
    }

    @Test
    fun validationError() {
        failOnCreate("status" to 400, "code" to "ValidationError", "message" to "Validation error(s) present. See embedded errors list for more details.")
        val e = startFails<BridgeException.Validation>()
        assertEquals("ValidationError", e.code)
        assertTrue(e.detail, e.detail.contains("Validation error(s) present"))
    }

    @Test
    fun refusedPartnerHrefRefreshesThePartnerListOnce() = runTest {
        // A stale partner href is refused once: the client reloads the partners and succeeds.
        failOnCreate("status" to 400, "code" to "ValidationError", "message" to "/_links/exchange-partner/href is invalid")
        client(maxRetries = 0u).use { c ->
            assertTrue(c.startPlaidLink(Backend.alice.customerId).linkToken().startsWith("link-sandbox-"))
        }
        // Refused every time: the error surfaces, typed, after one refresh.
        failOnCreate("status" to 400, "code" to "ValidationError", "message" to "/_links/exchange-partner/href is invalid", "count" to 10)
        client(maxRetries = 0u).use { c ->
            val e = assertThrowsTypeSuspend<BridgeException.Validation> { c.startPlaidLink(Backend.alice.customerId) }
            assertTrue(e.detail, e.detail.contains("exchange-partner/href is invalid"))
        }
    }

    @Test
    fun redirectValueNotAllowed() = runTest {
        // Valid by the Android rules, but not on the backend's allow-list.
        client(Platform.Android("com.other.app"), maxRetries = 0u).use { c ->
            val e = assertThrowsTypeSuspend<BridgeException.RedirectUrlNotAllowed> { c.startPlaidLink(Backend.alice.customerId) }
            assertTrue(e.detail, e.detail.contains("configured URLs"))
        }
    }

    @Test
    fun unauthorized() {
        failOnCreate("status" to 401, "code" to "InvalidScope", "message" to "Missing or invalid scopes for requested endpoint", "count" to 5)
        val e = startFails<BridgeException.Unauthorized>()
        assertEquals("InvalidScope", e.code)
        assertTrue(e.detail, e.detail.contains("scopes"))
    }

    @Test
    fun forbidden() {
        failOnCreate("status" to 403, "code" to "forbidden", "message" to "The exchange partner specified does not support this product")
        val e = startFails<BridgeException.Forbidden>()
        assertEquals("forbidden", e.code)
        assertTrue(e.detail, e.detail.contains("does not support"))
    }

    @Test
    fun notFound() {
        failOnCreate("status" to 404, "code" to "NotFound", "message" to "The requested resource was not found.")
        val e = startFails<BridgeException.NotFound>()
        assertTrue(e.detail, e.detail.contains("not found"))
    }

    @Test
    fun rateLimitedWithRetryAfter() {
        failOnCreate("status" to 429, "code" to "TooManyRequests", "retryAfter" to "7")
        val e = startFails<BridgeException.RateLimited>()
        assertEquals(7_000uL, e.retryAfterMs)
    }

    @Test
    fun serverErrorWithStatusCodeAndDetail() {
        failOnCreate("status" to 500, "code" to "ServerError", "message" to "Something broke")
        val e = startFails<BridgeException.Server>()
        assertEquals(500.toUShort(), e.status)
        assertEquals("ServerError", e.code)
        assertTrue(e.detail, e.detail.contains("Something broke"))
    }

    @Test
    fun serverErrorThenSuccessIsRetried() = runTest {
        failOnCreate("status" to 503, "code" to "ServiceUnavailable", "count" to 2)
        client(maxRetries = 2u).use { c ->
            assertTrue(c.startPlaidLink(Backend.alice.customerId).linkToken().startsWith("link-sandbox-"))
        }
    }

    @Test
    fun partnerNotEnabled() = runTest {
        Sim.putAccount(Json.obj("enabledPartners" to listOf("MX", "Checkout.com")))
        client(maxRetries = 0u).use { c ->
            val e = assertThrowsTypeSuspend<BridgeException> { c.startPlaidLink(Backend.alice.customerId) }
            when (e) {
                is BridgeException.Forbidden -> assertTrue(e.detail, e.detail.contains("not enabled"))
                is BridgeException.PartnerUnavailable -> assertEquals("Plaid", e.partner)
                else -> throw AssertionError("expected Forbidden or PartnerUnavailable, got $e")
            }
        }
    }

    @Test
    fun timeoutWhenTheServerIsSlow() {
        failOnCreate("delayMs" to 3_000)
        val started = System.nanoTime()
        val e = startFails<BridgeException.Timeout>(timeoutMs = 700uL)
        val tookMs = (System.nanoTime() - started) / 1_000_000
        assertEquals(700uL, e.afterMs)
        assertTrue("took $tookMs ms", tookMs < 2_500)
    }

    @Test
    fun connectionRefusedIsANetworkError() = runTest {
        val port = ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()).use { it.localPort }
        val cfg = config(backendUrl = "http://127.0.0.1:$port/", maxRetries = 0u)
        BridgeClient(cfg, StaticTokenProvider(Backend.alice.token)).use { c ->
            assertThrowsTypeSuspend<BridgeException.Network> { c.startPlaidLink("me") }
        }
    }

    @Test
    fun nonJsonAnswerIsAnInvalidResponse() = runTest {
        // A purpose-built loopback server answering 200 with a body that is not JSON.
        val server = HttpServer.create(InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0)
        server.createContext("/") { ex ->
            val body = "<html>not json</html>".toByteArray()
            ex.responseHeaders.add("Content-Type", "application/vnd.dwolla.v1.hal+json")
            ex.sendResponseHeaders(200, body.size.toLong())
            ex.responseBody.use { it.write(body) }
        }
        server.start()
        try {
            val cfg = config(backendUrl = "http://127.0.0.1:${server.address.port}/", maxRetries = 0u)
            BridgeClient(cfg, StaticTokenProvider(Backend.alice.token)).use { c ->
                val e = assertThrowsTypeSuspend<BridgeException.InvalidResponse> { c.exchangePartners() }
                assertTrue(e.detail.isNotEmpty())
            }
        } finally {
            server.stop(0)
        }
    }

    @Test
    fun everyErrorIsOneSealedHierarchy() {
        val e: BridgeException = BridgeException.NotFound("x")
        val kind = when (e) {
            is BridgeException.InvalidConfiguration, is BridgeException.InvalidArgument,
            is BridgeException.InvalidRedirectUrl, is BridgeException.PartnerUnavailable,
            is BridgeException.Validation, is BridgeException.DuplicateFundingSource,
            is BridgeException.RedirectUrlNotAllowed,
            is BridgeException.ReauthRequired, is BridgeException.Unauthorized,
            is BridgeException.Forbidden, is BridgeException.RateLimited, is BridgeException.Server,
            is BridgeException.Network, is BridgeException.Timeout, is BridgeException.InvalidResponse,
            is BridgeException.TokenProvider, is BridgeException.Internal -> "other"
            is BridgeException.NotFound -> "not found"
        }
        assertEquals("not found", kind)
    }
}
