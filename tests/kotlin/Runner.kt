// Runs the JUnit 4 classes named on the command line and prints one line per failure and,
// last, "N passed, N failed". Exits 1 when a test failed or none ran.
package dev.iavbridge.tests

import org.junit.runner.Description
import org.junit.runner.JUnitCore
import org.junit.runner.notification.Failure
import org.junit.runner.notification.RunListener
import kotlin.system.exitProcess

fun main(args: Array<String>) {
    require(args.isNotEmpty()) { "usage: Runner TEST_CLASS..." }
    // The versions this run is made of, each next to the one the AAR declares
    // (bindings/android/gradle/libs.versions.toml, passed in by scripts/test-kotlin.sh as
    // iavbridge.declared.*): a difference fails the run before any test.
    val ran = listOf(
        Triple("Kotlin", KotlinVersion.CURRENT.toString(), "kotlin"),
        Triple("kotlinx-coroutines", coroutinesVersion(), "coroutines"),
        Triple("JNA", com.sun.jna.Native.VERSION, "jna"),
    )
    var mismatched = 0
    for ((name, version, key) in ran) {
        val declared = System.getProperty("iavbridge.declared.$key")
        println("$name $version (declared: ${declared ?: "not given"})")
        if (declared != version) mismatched++
    }
    if (mismatched > 0) {
        println("the suite does not run on the declared versions")
        println("0 passed, $mismatched failed")
        exitProcess(1)
    }
    val classes = args.map { Class.forName(it) }
    val core = JUnitCore()
    var started = 0
    val failed = mutableSetOf<Description>()
    core.addListener(object : RunListener() {
        override fun testStarted(description: Description) {
            started++
        }

        override fun testFinished(description: Description) {
            val mark = if (description in failed) "FAIL" else "ok  "
            println("$mark ${description.className.substringAfterLast('.')}.${description.methodName}")
        }

        override fun testFailure(failure: Failure) {
            failed += failure.description
            System.out.println("---- ${failure.testHeader}\n${failure.trace.lines().take(25).joinToString("\n")}")
        }
    })
    val result = core.run(*classes.toTypedArray())
    val failedCount = result.failureCount
    val passed = result.runCount - failed.size
    println("kotlin: ${result.runCount} tests in ${classes.size} classes, ${result.runTime} ms")
    println("$passed passed, $failedCount failed")
    exitProcess(if (failedCount == 0 && result.runCount > 0) 0 else 1)
}

/** The version kotlinx-coroutines' jar records in META-INF/kotlinx_coroutines_core.version. */
private fun coroutinesVersion(): String =
    kotlinx.coroutines.Job::class.java.classLoader
        .getResource("META-INF/kotlinx_coroutines_core.version")?.readText()?.trim() ?: "unknown"
