// First use under contention, in fresh JVMs: the moment an app's first calls race through JNA's
// and uniffi's initialization (structure field ordering, callback registration, the first foreign
// future of a suspend AccessTokenProvider). JNA 5.17.0 crashed here (java-native-access/jna#1686).
package dev.iavbridge.tests

import dev.iavbridge.BridgeClient
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import java.io.File
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import kotlin.system.exitProcess

/** Fresh JVM processes per run, each with [FLOWS] first flows on [THREADS] threads. */
private const val PROCESSES = 20
private const val FLOWS = 64
private const val THREADS = 16

/** Processes started at once (the machine's cores, at least 2). */
private val PARALLEL = maxOf(2, Runtime.getRuntime().availableProcessors())

class FirstUseStressTest {
    @Test
    fun twentyFreshJvmsRaceTheirFirstFlowsWithoutACrash() {
        val java = ProcessHandle.current().info().command().orElse("java")
        val classpath = System.getProperty("java.class.path")
        val libraryPath = System.getProperty("jna.library.path")
            ?: error("jna.library.path is not set: run the suite through scripts/test-kotlin.sh")
        val logs = File(System.getProperty("java.io.tmpdir"), "iav-first-use-${ProcessHandle.current().pid()}")
        logs.mkdirs()

        val outcomes = (1..PROCESSES).chunked(PARALLEL).flatMap { batch ->
            batch.map { n ->
                val log = File(logs, "jvm-$n.log")
                val process = ProcessBuilder(
                    java, "-Djna.library.path=$libraryPath", "-cp", classpath,
                    "dev.iavbridge.tests.FirstUseStressTestKt",
                ).redirectErrorStream(true).redirectOutput(log).also {
                    it.environment()["IAV_READY_FILE"] = System.getenv("IAV_READY_FILE")
                }.start()
                Triple(n, process, log)
            }.map { (n, process, log) ->
                val finished = process.waitFor(90, TimeUnit.SECONDS)
                if (!finished) process.destroyForcibly().waitFor()
                Outcome(n, if (finished) process.exitValue() else null, log.readText())
            }
        }

        val bad = outcomes.filter { it.exit != 0 || !it.output.contains("first use: $FLOWS of $FLOWS flows") }
        val report = bad.joinToString("\n") { o ->
            "jvm ${o.n}: exit ${o.exit ?: "timeout (90 s)"}\n" + o.output.lines().takeLast(20).joinToString("\n")
        }
        println("first-use stress: $PROCESSES JVMs x $FLOWS flows on $THREADS threads: ${PROCESSES - bad.size} clean, ${bad.size} failed")
        assertTrue("failed JVMs:\n$report", bad.isEmpty())
        assertEquals(PROCESSES, outcomes.size)
        logs.deleteRecursively()
    }

    private class Outcome(val n: Int, val exit: Int?, val output: String)
}

/**
 * One fresh JVM: [FLOWS] coroutines on [THREADS] threads wait at one gate, then each creates its
 * client and calls startPlaidLink at the same instant, with a suspend AccessTokenProvider. Nothing
 * of the library has been touched before the gate opens. Exit 0 only when every flow succeeded.
 */
fun main() {
    val threads = Executors.newFixedThreadPool(THREADS)
    val dispatcher = threads.asCoroutineDispatcher()
    val gate = CompletableDeferred<Unit>()
    val failures = java.util.concurrent.ConcurrentLinkedQueue<String>()
    val ok = runBlocking {
        val flows = (1..FLOWS).map { i ->
            async(dispatcher) {
                gate.await()
                try {
                    val user = if (i % 2 == 0) Backend.alice else Backend.bob
                    BridgeClient(config(), StaticTokenProvider(user.token)).use { client ->
                        val session = client.startPlaidLink(user.customerId)
                        check(session.linkToken().startsWith("link-sandbox-")) { "unexpected link token shape" }
                    }
                    true
                } catch (error: Throwable) {
                    failures += "flow $i: $error"
                    false
                }
            }
        }
        gate.complete(Unit)
        withTimeout(60_000) { flows.awaitAll() }.count { it }
    }
    failures.forEach(::println)
    println("first use: $ok of $FLOWS flows")
    threads.shutdown()
    exitProcess(if (ok == FLOWS) 0 else 1)
}
