// Kotlin benchmarks of the bindings (run by scripts/bench-bindings.sh; prints numbers, asserts no
// timing):
//  1. startPlaidLink through the bridge vs the same flow in plain Kotlin with the JDK's
//     java.net.http.HttpClient, against the same sample-backend, in the same run, alternating
//     which side goes first on each round;
//  2. one sync call (validateAndroidPackageName) through the bridge vs the same rule in plain Kotlin.
package dev.iavbridge.bench

import dev.iavbridge.BridgeClient
import dev.iavbridge.RedirectUrlException
import dev.iavbridge.tests.Backend
import dev.iavbridge.tests.Json
import dev.iavbridge.tests.PACKAGE_NAME
import dev.iavbridge.tests.StaticTokenProvider
import dev.iavbridge.tests.config
import dev.iavbridge.validateAndroidPackageName
import kotlinx.coroutines.runBlocking
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.UUID

private const val HAL = "application/vnd.dwolla.v1.hal+json"

/** The same flow as BridgeClient.startPlaidLink, written with the JDK's HttpClient. */
class PlainKotlinFlow(private val backendUrl: String, private val token: String, private val redirect: String) {
    private val http: HttpClient = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(15))
        .build()

    // Cached like the bridge caches its partner list (fetched on the first flow only).
    private var plaidHref: String? = null

    private fun plaidPartnerHref(): String {
        plaidHref?.let { return it }
        val req = HttpRequest.newBuilder(URI.create(backendUrl + "exchange-partners"))
            .header("Accept", HAL).header("Authorization", "Bearer $token")
            .timeout(Duration.ofSeconds(15)).GET().build()
        val resp = http.send(req, HttpResponse.BodyHandlers.ofString())
        check(resp.statusCode() == 200) { "exchange-partners: ${resp.statusCode()}" }
        @Suppress("UNCHECKED_CAST")
        val partners = ((Json.parse(resp.body()) as Map<String, Any?>)["_embedded"] as Map<String, Any?>)["exchange-partners"] as List<Map<String, Any?>>
        val plaid = partners.first { it["name"] == "Plaid" }
        @Suppress("UNCHECKED_CAST")
        val href = ((plaid["_links"] as Map<String, Any?>)["self"] as Map<String, Any?>)["href"] as String
        plaidHref = href
        return href
    }

    /** Returns the Plaid link token. */
    fun startPlaidLink(customerId: String): String {
        val body = Json.obj(
            "_links" to mapOf(
                "exchange-partner" to mapOf("href" to plaidPartnerHref()),
                "redirect-url" to mapOf("href" to redirect),
            ),
        )
        val req = HttpRequest.newBuilder(URI.create(backendUrl + "customers/$customerId/exchange-sessions"))
            .header("Accept", HAL).header("Content-Type", HAL)
            .header("Authorization", "Bearer $token")
            .header("Idempotency-Key", UUID.randomUUID().toString())
            .timeout(Duration.ofSeconds(15))
            .POST(HttpRequest.BodyPublishers.ofString(body)).build()
        val resp = http.send(req, HttpResponse.BodyHandlers.ofString())
        check(resp.statusCode() == 201) { "exchange-sessions: ${resp.statusCode()} ${resp.body()}" }
        @Suppress("UNCHECKED_CAST")
        val session = Json.parse(resp.body()) as Map<String, Any?>
        val token = session["externalProviderSessionToken"] as? String
        check(token != null && token.startsWith("link-")) { "no link token in the 201 body" }
        return token
    }
}

/** The Android package-name rule, written in plain Kotlin (same rule as the core's validator). */
fun plainValidateAndroidPackageName(name: String): String {
    require(name.isNotEmpty()) { "is empty" }
    require(name.length <= 223) { "too long" }
    require(name.first() != ' ' && name.last() != ' ') { "whitespace" }
    var segments = 0
    var start = true
    for (c in name) {
        if (c == '.') {
            require(!start) { "empty segment" }
            start = true
            continue
        }
        if (start) {
            require(c in 'a'..'z' || c in 'A'..'Z') { "segment must start with a letter" }
            segments++
            start = false
        } else {
            require(c in 'a'..'z' || c in 'A'..'Z' || c in '0'..'9' || c == '_') { "bad character" }
        }
    }
    require(!start && segments >= 2) { "needs two segments" }
    return name
}

data class Stats(val n: Int, val medianUs: Double, val p99Us: Double, val meanUs: Double)

fun stats(nanos: LongArray): Stats {
    val sorted = nanos.sortedArray()
    fun pct(p: Double) = sorted[((sorted.size - 1) * p).toInt()] / 1000.0
    return Stats(sorted.size, pct(0.5), pct(0.99), sorted.average() / 1000.0)
}

fun fmt(s: Stats) = "median %8.1f us   p99 %8.1f us   mean %8.1f us   (n=%d)".format(s.medianUs, s.p99Us, s.meanUs, s.n)

fun main(args: Array<String>) {
    val flows = args.getOrNull(0)?.toInt() ?: 2000
    val alice = Backend.alice
    val customer = "me"
    println("kotlin bench: startPlaidLink, $flows flows per side, backend ${Backend.backendUrl}")
    println("  both sides: Android package name '$PACKAGE_NAME', partner list fetched once and cached, HTTP/1.1 keep-alive;")
    println("  each round runs one bridge flow and one plain flow, the side going first alternating.")

    val client = BridgeClient(config(), StaticTokenProvider(alice.token))
    val plain = PlainKotlinFlow(Backend.backendUrl, alice.token, PACKAGE_NAME)
    runBlocking {
        // Warm-up: JIT, connections, partner caches.
        repeat(200) {
            client.startPlaidLink(customer)
            plain.startPlaidLink(customer)
        }
        val bridge = LongArray(flows)
        val jdk = LongArray(flows)
        for (i in 0 until flows) {
            suspend fun runBridge() {
                val t = System.nanoTime()
                val s = client.startPlaidLink(customer)
                bridge[i] = System.nanoTime() - t
                check(s.linkToken().startsWith("link-"))
            }
            fun runPlain() {
                val t = System.nanoTime()
                plain.startPlaidLink(customer)
                jdk[i] = System.nanoTime() - t
            }
            if (i % 2 == 0) { runBridge(); runPlain() } else { runPlain(); runBridge() }
        }
        val b = stats(bridge)
        val p = stats(jdk)
        println("  bridge (uniffi + JNA + Rust reqwest)   ${fmt(b)}")
        println("  plain Kotlin (java.net.http)           ${fmt(p)}")
        println("  ratio bridge/plain: median %.2fx, p99 %.2fx".format(b.medianUs / p.medianUs, b.p99Us / p.p99Us))
    }
    client.close()

    // Sync call: the validator through the bridge vs plain Kotlin.
    val name = "com.example.app123"
    fun timeCalls(calls: Int, f: () -> Unit): Double {
        val t = System.nanoTime()
        repeat(calls) { f() }
        return (System.nanoTime() - t).toDouble() / calls
    }
    repeat(20_000) { validateAndroidPackageName(name); plainValidateAndroidPackageName(name) }
    val bridgeNs = (0 until 5).map { timeCalls(40_000) { validateAndroidPackageName(name) } }.sorted()[2]
    val plainNs = (0 until 5).map { timeCalls(2_000_000) { plainValidateAndroidPackageName(name) } }.sorted()[2]
    // The refusing path too (throws a typed exception across the FFI).
    val bridgeErrNs = (0 until 5).map {
        timeCalls(20_000) { try { validateAndroidPackageName("com.1app") } catch (e: RedirectUrlException) { } }
    }.sorted()[2]
    println("kotlin bench: validateAndroidPackageName('$name'), median of 5 batches")
    println("  bridge           %10.1f ns/call".format(bridgeNs))
    println("  plain Kotlin     %10.1f ns/call".format(plainNs))
    println("  ratio bridge/plain: %.0fx (bridge refusing 'com.1app' with a typed exception: %.1f ns/call)".format(bridgeNs / plainNs, bridgeErrNs))
}
