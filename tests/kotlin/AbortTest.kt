package dev.iavbridge.tests

import dev.iavbridge.BridgeClient
import dev.iavbridge.BridgeException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeout
import org.junit.Assert.assertTrue
import org.junit.Test
import java.net.InetAddress
import java.net.ServerSocket
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicLong

/**
 * Cancelling a coroutine aborts the request in flight, seen from the server: a purpose-built
 * loopback server that reads the request, never answers, and records when the client closes
 * the connection.
 */
class AbortTest {
    private class SilentServer : AutoCloseable {
        val socket = ServerSocket(0, 50, InetAddress.getLoopbackAddress())
        val requestSeen = CountDownLatch(1)
        val closedAt = AtomicLong(0)
        val closed = CountDownLatch(1)
        private val thread = Thread {
            try {
                socket.accept().use { conn ->
                    val input = conn.getInputStream()
                    val buf = ByteArray(4096)
                    val head = StringBuilder()
                    while (!head.contains("\r\n\r\n")) {
                        val n = input.read(buf)
                        if (n < 0) break
                        head.append(String(buf, 0, n, Charsets.ISO_8859_1))
                    }
                    requestSeen.countDown()
                    while (input.read(buf) >= 0) { /* the client sends nothing more; wait for its close */ }
                    closedAt.set(System.nanoTime())
                    closed.countDown()
                }
            } catch (_: Exception) {
            }
        }.apply { isDaemon = true; start() }

        val url get() = "http://127.0.0.1:${socket.localPort}/"
        override fun close() = socket.close()
    }

    @Test
    fun cancellingTheCoroutineClosesTheConnection() = runTest {
        SilentServer().use { server ->
            BridgeClient(config(backendUrl = server.url, maxRetries = 0u, timeoutMs = 30_000uL), StaticTokenProvider("t")).use { c ->
                val job = launch(Dispatchers.Default) { c.exchangePartners() }
                assertTrue("the request never reached the server", server.requestSeen.await(10, TimeUnit.SECONDS))
                delay(100)
                val cancelledAt = System.nanoTime()
                job.cancel()
                withTimeout(3_000) { job.join() }
                assertTrue("the connection stayed open after cancellation", server.closed.await(3, TimeUnit.SECONDS))
                val ms = (server.closedAt.get() - cancelledAt) / 1_000_000
                assertTrue("closed $ms ms after cancellation (the server would wait 30 s)", ms < 3_000)
            }
        }
    }

    @Test
    fun aSilentServerTimesOut() = runTest {
        SilentServer().use { server ->
            BridgeClient(config(backendUrl = server.url, maxRetries = 0u, timeoutMs = 500uL), StaticTokenProvider("t")).use { c ->
                val e = assertThrowsTypeSuspend<BridgeException.Timeout> { c.exchangePartners() }
                assertTrue(e.afterMs == 500uL)
                assertTrue("the connection stayed open after the timeout", server.closed.await(3, TimeUnit.SECONDS))
            }
        }
    }
}
