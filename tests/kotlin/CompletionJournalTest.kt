package dev.iavbridge.tests

import dev.iavbridge.BankAccountType
import dev.iavbridge.BridgeClient
import dev.iavbridge.BridgeException
import dev.iavbridge.CompletionKind
import dev.iavbridge.CompletionOutcome
import dev.iavbridge.CompletionStore
import dev.iavbridge.CompletionStoreException
import dev.iavbridge.StoredCompletion
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test
import java.io.File
import java.net.ServerSocket
import java.nio.file.Files
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.TimeUnit

/** The app's completion store in Kotlin memory: what an app's own store does, without the disk. */
class MemoryCompletionStore : CompletionStore {
    val entries = ConcurrentHashMap<String, ByteArray>()
    @Volatile var failPut = false

    override fun put(id: String, entry: ByteArray) {
        if (failPut) throw CompletionStoreException.Failed("disk full (test)")
        entries[id] = entry.copyOf()
    }

    override fun remove(id: String) {
        entries.remove(id)
    }

    override fun list(): List<StoredCompletion> = entries.map { (id, e) -> StoredCompletion(id, e.copyOf()) }
}

/** A store of one file per entry in a directory (not encrypted: a test stand-in for a process that dies). */
class DirCompletionStore(private val dir: File) : CompletionStore {
    private fun file(id: String) = File(dir, id.toByteArray().joinToString("") { "%02x".format(it) })

    override fun put(id: String, entry: ByteArray) {
        val tmp = File(dir, ".tmp-${System.nanoTime()}")
        tmp.writeBytes(entry)
        Files.move(tmp.toPath(), file(id).toPath(), java.nio.file.StandardCopyOption.ATOMIC_MOVE)
    }

    override fun remove(id: String) {
        file(id).delete()
    }

    override fun list(): List<StoredCompletion> = dir.listFiles().orEmpty().filter { !it.name.startsWith(".") }.map {
        val id = String(it.name.chunked(2).map { h -> h.toInt(16).toByte() }.toByteArray())
        StoredCompletion(id, it.readBytes())
    }
}

/**
 * The child JVM of [CompletionJournalTest.aProcessKilledMidFlowIsResumedByAFreshJvm]: completes
 * a Plaid Link success against the backend with a [DirCompletionStore] and is killed meanwhile.
 * Args: store directory, backend URL, access token, public token.
 */
object CompletionChild {
    @JvmStatic
    fun main(args: Array<String>) {
        val (dir, url, token, publicToken) = args
        val client = BridgeClient.withCompletionStore(
            config(backendUrl = url, timeoutMs = 30_000uL),
            StaticTokenProvider(token),
            DirCompletionStore(File(dir)),
        )
        runBlocking {
            println("child: completing")
            client.completePlaidLink("me", publicToken)
            println("child: completed (the kill came too late)")
        }
    }
}

class CompletionJournalTest {
    @After
    fun cleanUp() {
        Sim.clearFaults()
    }

    private fun storeClient(store: CompletionStore, user: DemoUser = Backend.alice, url: String = Backend.backendUrl) =
        BridgeClient.withCompletionStore(config(backendUrl = url, maxRetries = 0u, timeoutMs = 15_000uL), StaticTokenProvider(user.token), store)

    private suspend fun publicToken(user: DemoUser = Backend.alice): String =
        client(user = user).use { Sim.completeLink(it.startPlaidLink("me").linkToken()) }

    private fun closedPortUrl(): String = ServerSocket(0).use { "http://127.0.0.1:${it.localPort}" }

    @Test
    fun aSuccessCutBeforeItsRequestIsResumedFromAKotlinStoreToOneFundingSource() = runTest {
        val store = MemoryCompletionStore()
        val public = publicToken()
        storeClient(store, url = closedPortUrl()).use { offline ->
            assertThrowsTypeSuspend<BridgeException.Network> { offline.completePlaidLink("me", public) }
        }
        assertEquals("the entry was written before the request", 1, store.entries.size)

        storeClient(store).use { c ->
            val pending = c.pendingCompletions()
            assertEquals(1, pending.size)
            assertEquals(CompletionKind.PLAID, pending[0].kind)
            val resumed = c.resumePending()
            val outcome = resumed.single().outcome
            assertTrue("$outcome", outcome is CompletionOutcome.Exchanged)
            val exchange = (outcome as CompletionOutcome.Exchanged).exchange
            // Once the exchange is known the token is no longer at rest, nor in any printed form.
            assertFalse(store.entries.values.any { String(it).contains(public) })
            assertNoSecret("$resumed $pending", listOf(public), "resumePending's answer")
            val fs = c.createFundingSource("me", exchange.id, BankAccountType.CHECKING, "Resumed checking")
            assertEquals("Resumed checking", fs.name)
            assertTrue(c.pendingCompletions().isEmpty())
            assertTrue(store.entries.isEmpty())
        }
    }

    @Test
    fun anotherUsersEntryIsReportedAndKeptAndAFailingStoreNeverBlocks() = runTest {
        val store = MemoryCompletionStore()
        val public = publicToken()
        storeClient(store, url = closedPortUrl()).use { offline ->
            assertThrowsTypeSuspend<BridgeException.Network> { offline.completePlaidLink("me", public) }
        }
        storeClient(store, user = Backend.bob).use { bob ->
            assertTrue(bob.pendingCompletions().isEmpty())
            assertEquals(CompletionOutcome.OtherUser, bob.resumePending().single().outcome)
        }
        assertEquals(1, store.entries.size)

        // A store that cannot write: the completion goes on from memory.
        val failing = MemoryCompletionStore().apply { failPut = true }
        storeClient(failing).use { c ->
            val exchange = c.completePlaidLink("me", publicToken())
            c.createFundingSource("me", exchange.id, BankAccountType.SAVINGS, "Savings")
            assertTrue(c.pendingCompletions().isEmpty())
        }
        assertTrue(CapturedLogs.records.any { it.target == "iav_bridge::journal" && it.message.contains("kept in memory only") })
    }

    /**
     * `kill -9` mid-flow: a child JVM completes a Link success while Dwolla's answer is held
     * (a late fault), and is killed (SIGKILL) once its entry is on disk; this JVM, with a fresh
     * client on the same directory, resumes it: one exchange, the same one whatever the retry.
     */
    @Test
    fun aProcessKilledMidFlowIsResumedByAFreshJvm() = runTest {
        val dir = Files.createTempDirectory("iav-journal").toFile()
        val public = publicToken()
        val before = Sim.exchangesAndFundingSources()
        Sim.fault("method" to "POST", "path" to "/customers/", "action" to "late", "delayMs" to 3_000)
        val java = File(System.getProperty("java.home"), "bin/java").path
        val child = ProcessBuilder(
            java, "-cp", System.getProperty("java.class.path"),
            "-Djna.library.path=${System.getProperty("jna.library.path")}",
            "dev.iavbridge.tests.CompletionChild", dir.path, Backend.backendUrl, Backend.alice.token, public,
        ).redirectErrorStream(true).start()
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20)
        while (dir.listFiles().orEmpty().none { !it.name.startsWith(".") } && System.nanoTime() < deadline) delay(20)
        assertTrue("the child wrote its entry", dir.listFiles().orEmpty().any { !it.name.startsWith(".") })
        delay(1_000) // its request is at Dwolla, whose answer is held
        child.destroyForcibly() // SIGKILL on Linux: kill -9
        assertTrue(child.waitFor(10, TimeUnit.SECONDS))
        assertEquals("killed by SIGKILL", 137, child.exitValue())

        storeClient(DirCompletionStore(dir)).use { c ->
            // The dead process's key is held by the backend until its lease ends: resume again
            // while it says Retry, as an app does when the network returns.
            var outcome: CompletionOutcome = c.resumePending().single().outcome
            val until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30)
            while (outcome is CompletionOutcome.Retry && System.nanoTime() < until) {
                delay(1_000)
                outcome = c.resumePending().single().outcome
            }
            assertTrue("$outcome", outcome is CompletionOutcome.Exchanged)
            val exchange = (outcome as CompletionOutcome.Exchanged).exchange
            c.createFundingSource("me", exchange.id, BankAccountType.CHECKING, "After a kill")
            assertTrue(c.pendingCompletions().isEmpty())
        }
        val (exchanges, fundingSources) = Sim.exchangesAndFundingSources()
        println("kill -9 (Kotlin): exchanges ${exchanges - before.first}, funding sources ${fundingSources - before.second}")
        assertEquals("one exchange and one funding source", before.first + 1 to before.second + 1, exchanges to fundingSources)
        assertTrue(dir.listFiles().orEmpty().none { !it.name.startsWith(".") })
        dir.deleteRecursively()
    }
}
