// Shared helpers of the Kotlin suite: the running sample-backend, the simulator's control
// surface, token providers and a capturing log sink. Only the generated API is used to reach the
// core; the JDK's HttpClient talks to the simulator's /sim/ controls.
package dev.iavbridge.tests

import dev.iavbridge.AccessTokenException
import dev.iavbridge.AccessTokenProvider
import dev.iavbridge.BridgeClient
import dev.iavbridge.BridgeConfig
import dev.iavbridge.Environment
import dev.iavbridge.LogLevel
import dev.iavbridge.LogRecord
import dev.iavbridge.LogSink
import dev.iavbridge.Platform
import dev.iavbridge.setLogSink
import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.atomic.AtomicInteger

/** The Android package name and iOS universal link the sample-backend allows by default. */
const val PACKAGE_NAME = "com.example.app"
const val IOS_REDIRECT = "https://example.com/app"

/** A demo user of the sample-backend. */
data class DemoUser(val name: String, val token: String, val customerId: String)

/** The sample-backend started by scripts/test-kotlin.sh (its --ready-file, named by IAV_READY_FILE). */
object Backend {
    private val ready: Map<String, Any?> by lazy {
        val path = System.getenv("IAV_READY_FILE")
            ?: error("IAV_READY_FILE is not set: run the suite through scripts/test-kotlin.sh")
        @Suppress("UNCHECKED_CAST")
        Json.parse(File(path).readText()) as Map<String, Any?>
    }
    val backendUrl: String get() = ready["backendUrl"] as String
    val simulatorUrl: String get() = (ready["simulatorUrl"] as String).trimEnd('/')

    fun user(name: String): DemoUser {
        @Suppress("UNCHECKED_CAST")
        val users = ready["users"] as List<Map<String, Any?>>
        val u = users.first { it["name"] == name }
        return DemoUser(u["name"] as String, u["token"] as String, u["customerId"] as String)
    }

    val alice: DemoUser get() = user("alice")
    val bob: DemoUser get() = user("bob")
}

/** An AccessTokenProvider that suspends briefly, then returns a fixed token; counts its calls. */
class StaticTokenProvider(private val token: String) : AccessTokenProvider {
    val calls = AtomicInteger()
    override suspend fun accessToken(): String {
        calls.incrementAndGet()
        kotlinx.coroutines.yield()
        return token
    }
}

/** Returns the given tokens in order, then the last one again; counts its calls. */
class SequenceTokenProvider(private vararg val tokens: String) : AccessTokenProvider {
    val calls = AtomicInteger()
    override suspend fun accessToken(): String {
        val n = calls.getAndIncrement()
        kotlinx.coroutines.delay(1)
        return tokens[minOf(n, tokens.size - 1)]
    }
}

/** An AccessTokenProvider that always fails with the given exception. */
class FailingTokenProvider(private val error: Exception) : AccessTokenProvider {
    val calls = AtomicInteger()
    override suspend fun accessToken(): String {
        calls.incrementAndGet()
        throw error
    }
}

/** The process-wide log sink of the suite: keeps every record it receives. */
object CapturedLogs : LogSink {
    val records = CopyOnWriteArrayList<LogRecord>()
    private var installed = false

    override fun log(record: LogRecord) {
        records.add(record)
    }

    @Synchronized
    fun install() {
        if (!installed) {
            setLogSink(this, LogLevel.TRACE)
            installed = true
        }
    }
}

fun config(
    platform: Platform = Platform.Android(PACKAGE_NAME),
    backendUrl: String = Backend.backendUrl,
    maxRetries: UInt = 2u,
    timeoutMs: ULong = 15_000uL,
): BridgeConfig = BridgeConfig(
    backendUrl = backendUrl,
    platform = platform,
    environment = Environment.SANDBOX,
    timeoutMs = timeoutMs,
    maxRetries = maxRetries,
    allowInsecureHttp = true,
)

/** A client for the sample-backend acting as `user` (alice by default). */
fun client(
    platform: Platform = Platform.Android(PACKAGE_NAME),
    user: DemoUser = Backend.alice,
    maxRetries: UInt = 2u,
    timeoutMs: ULong = 15_000uL,
): BridgeClient {
    CapturedLogs.install()
    return BridgeClient(config(platform, maxRetries = maxRetries, timeoutMs = timeoutMs), StaticTokenProvider(user.token))
}

/** The simulator's /sim/ control surface. */
object Sim {
    private val http: HttpClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()

    private fun send(method: String, path: String, body: String?): Pair<Int, String> {
        val req = HttpRequest.newBuilder(URI.create(Backend.simulatorUrl + path))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .method(method, if (body == null) HttpRequest.BodyPublishers.noBody() else HttpRequest.BodyPublishers.ofString(body))
            .build()
        val resp = http.send(req, HttpResponse.BodyHandlers.ofString())
        return resp.statusCode() to resp.body()
    }

    private fun expect(status: Int, result: Pair<Int, String>, what: String): String {
        check(result.first == status) { "$what: simulator answered ${result.first}: ${result.second}" }
        return result.second
    }

    /**
     * Completes Plaid Link for a link token, as the Link SDK would; returns the public token.
     * `account` names the bank account the user picked (the same one twice: the same bank account).
     */
    fun completeLink(linkToken: String, account: String? = null): String {
        val fields = mutableListOf<Pair<String, Any?>>("linkToken" to linkToken)
        if (account != null) fields += "account" to account
        val body = expect(200, send("POST", "/sim/plaid/complete-link", Json.obj(*fields.toTypedArray())), "complete-link")
        @Suppress("UNCHECKED_CAST")
        return (Json.parse(body) as Map<String, Any?>)["publicToken"] as String
    }

    /** Completes MX Connect for an MX exchange session (its id); returns the available connection token. */
    fun completeMxSession(exchangeSessionId: String): String {
        val body = expect(200, send("POST", "/sim/mx/complete-session", Json.obj("exchangeSessionId" to exchangeSessionId)), "mx complete-session")
        @Suppress("UNCHECKED_CAST")
        return (Json.parse(body) as Map<String, Any?>)["availableConnectionToken"] as String
    }

    /** Completes a Checkout.com payment session (its `ps_...` id), as the Flow component would; returns the card token. */
    fun completePaymentSession(paymentSessionId: String): String {
        val body = expect(200, send("POST", "/sim/checkout/complete-payment-session", Json.obj("paymentSessionId" to paymentSessionId)), "checkout complete-payment-session")
        @Suppress("UNCHECKED_CAST")
        return (Json.parse(body) as Map<String, Any?>)["cardToken"] as String
    }

    fun requireReauth(exchangeId: String) {
        expect(204, send("POST", "/sim/exchanges/${exchangeId}/require-reauth", null), "require-reauth")
    }

    private val initialAccount: String by lazy { expect(200, send("GET", "/sim/account", null), "account") }

    /** Changes the simulated Dwolla account (a JSON object of redirectUrls, enabledPartners, scopes). */
    fun putAccount(json: String) {
        initialAccount // remember the settings to restore before the first change
        expect(200, send("PUT", "/sim/account", json), "account")
    }

    fun resetAccount() {
        expect(200, send("PUT", "/sim/account", initialAccount), "account")
    }

    /** Adds a fault (see the simulator's documentation); fields as JSON values. */
    fun fault(vararg fields: Pair<String, Any?>) {
        expect(201, send("POST", "/sim/faults", Json.obj(*fields)), "fault")
    }

    fun clearFaults() {
        expect(204, send("DELETE", "/sim/faults", null), "clear faults")
    }

    /** How many exchanges and funding sources the simulator holds (every customer's). */
    fun exchangesAndFundingSources(): Pair<Int, Int> {
        @Suppress("UNCHECKED_CAST")
        val stats = Json.parse(expect(200, send("GET", "/sim/stats", null), "stats")) as Map<String, Any?>
        return (stats["exchanges"] as Double).toInt() to (stats["fundingSources"] as Double).toInt()
    }
}

/** The secrets that must never appear in logs, messages or printed objects. */
fun assertNoSecret(text: String, secrets: Collection<String>, where: String) {
    for (s in secrets) {
        if (s.isNotEmpty() && text.contains(s)) {
            throw AssertionError("$where contains a secret (${s.take(6)}...): ${text.replace(s, "<SECRET>")}")
        }
    }
}

/** A minimal JSON reader and writer for the simulator's answers and the ready file. */
object Json {
    fun parse(text: String): Any? {
        val p = Parser(text)
        val v = p.value()
        p.ws()
        require(p.i == text.length) { "trailing characters in JSON at ${p.i}" }
        return v
    }

    fun quote(s: String): String = buildString {
        append('"')
        for (c in s) {
            when {
                c == '"' -> append("\\\"")
                c == '\\' -> append("\\\\")
                c < ' ' -> append(String.format("\\u%04x", c.code))
                else -> append(c)
            }
        }
        append('"')
    }

    fun value(v: Any?): String = when (v) {
        null -> "null"
        is String -> quote(v)
        is Number, is Boolean -> v.toString()
        is RawJson -> v.text
        is Map<*, *> -> v.entries.joinToString(",", "{", "}") { quote(it.key as String) + ":" + value(it.value) }
        is List<*> -> v.joinToString(",", "[", "]") { value(it) }
        else -> error("not JSON: $v")
    }

    fun obj(vararg fields: Pair<String, Any?>): String = value(fields.toMap())

    class RawJson(val text: String)

    private class Parser(val s: String) {
        var i = 0
        fun ws() { while (i < s.length && s[i].isWhitespace()) i++ }
        fun value(): Any? {
            ws()
            require(i < s.length) { "unexpected end of JSON" }
            return when (s[i]) {
                '{' -> {
                    i++
                    val m = LinkedHashMap<String, Any?>()
                    ws()
                    if (s[i] == '}') { i++; return m }
                    while (true) {
                        ws()
                        val k = string()
                        ws(); require(s[i] == ':') { "expected ':' at $i" }; i++
                        m[k] = value()
                        ws()
                        if (s[i] == ',') { i++; continue }
                        require(s[i] == '}') { "expected '}' at $i" }; i++
                        return m
                    }
                    @Suppress("UNREACHABLE_CODE") m
                }
                '[' -> {
                    i++
                    val l = ArrayList<Any?>()
                    ws()
                    if (s[i] == ']') { i++; return l }
                    while (true) {
                        l.add(value())
                        ws()
                        if (s[i] == ',') { i++; continue }
                        require(s[i] == ']') { "expected ']' at $i" }; i++
                        return l
                    }
                    @Suppress("UNREACHABLE_CODE") l
                }
                '"' -> string()
                't' -> { require(s.startsWith("true", i)); i += 4; true }
                'f' -> { require(s.startsWith("false", i)); i += 5; false }
                'n' -> { require(s.startsWith("null", i)); i += 4; null }
                else -> {
                    val start = i
                    while (i < s.length && (s[i].isDigit() || s[i] in "+-.eE")) i++
                    require(i > start) { "unexpected character '${s[start]}' at $start" }
                    s.substring(start, i).toDouble()
                }
            }
        }

        fun string(): String {
            require(s[i] == '"') { "expected a string at $i" }
            i++
            val b = StringBuilder()
            while (true) {
                val c = s[i++]
                when (c) {
                    '"' -> return b.toString()
                    '\\' -> {
                        val e = s[i++]
                        when (e) {
                            'n' -> b.append('\n'); 't' -> b.append('\t'); 'r' -> b.append('\r')
                            'b' -> b.append('\b'); 'f' -> b.append('\u000c')
                            'u' -> { b.append(s.substring(i, i + 4).toInt(16).toChar()); i += 4 }
                            else -> b.append(e)
                        }
                    }
                    else -> b.append(c)
                }
            }
        }
    }
}

/** Runs `block`, failing unless it throws exactly a `T`; returns the exception. */
inline fun <reified T : Throwable> assertThrowsType(block: () -> Unit): T {
    try {
        block()
    } catch (e: Throwable) {
        if (e is T) return e
        throw AssertionError("expected ${T::class.qualifiedName}, got ${e::class.qualifiedName}: ${e.message}", e)
    }
    throw AssertionError("expected ${T::class.qualifiedName}, nothing was thrown")
}

/** Same for suspending code. */
suspend inline fun <reified T : Throwable> assertThrowsTypeSuspend(crossinline block: suspend () -> Unit): T {
    try {
        block()
    } catch (e: Throwable) {
        if (e is T) return e
        throw AssertionError("expected ${T::class.qualifiedName}, got ${e::class.qualifiedName}: ${e.message}", e)
    }
    throw AssertionError("expected ${T::class.qualifiedName}, nothing was thrown")
}

/** AccessTokenException for the providers' failures. */
fun tokenFailure(reason: String) = AccessTokenException.Failed(reason)

/** Runs a suspending test body; returns Unit whatever the body's last expression is (JUnit 4 needs void). */
fun runTest(block: suspend kotlinx.coroutines.CoroutineScope.() -> Unit) {
    kotlinx.coroutines.runBlocking { block() }
}
