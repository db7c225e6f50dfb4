package dev.iavbridge.android

import android.content.Context
import android.util.Log
import dev.iavbridge.Environment
import dev.iavbridge.LogLevel
import dev.iavbridge.LogRecord
import dev.iavbridge.Platform
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.runBlocking
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.ThreadFactory
import java.util.concurrent.atomic.AtomicInteger

/**
 * Runs the AAR's hand-written layer on the JVM with a stand-in for the JNI initializer, against
 * the host build of the core (through JNA): status-code mapping, idempotence, the suspend factory
 * and preload (native work off the calling thread, shared, retried after a failure), the Logcat
 * sink's level mapping and the Android configuration helper. Prints one line per check and a
 * closing "N passed, N failed".
 */
private class FakeContext(override val packageName: String) : Context() {
    override val applicationContext: Context? get() = this
}

private var passed = 0
private var failed = 0

private fun check(name: String, body: () -> Unit) {
    // Every check starts from an uninitialized state.
    resetInitialization()
    Log.calls.clear()
    try {
        body()
        passed++
        println("ok   $name")
    } catch (error: Throwable) {
        failed++
        println("FAIL $name: $error")
    }
}

private fun expect(condition: Boolean, what: String) {
    if (!condition) throw AssertionError(what)
}

private fun resetInitialization() {
    val initialized = IavBridgeAndroid::class.java.getDeclaredField("initialized")
    initialized.isAccessible = true
    initialized.setBoolean(IavBridgeAndroid, false)
    val loading = IavBridgeAndroid::class.java.getDeclaredField("loading")
    loading.isAccessible = true
    loading.set(IavBridgeAndroid, null)
    IavBridgeAndroid.backgroundDispatcher = background
}

/** The background dispatcher of the checks: its threads are named "bg-N". */
private val background = Executors.newFixedThreadPool(2, object : ThreadFactory {
    private val n = AtomicInteger()
    override fun newThread(r: Runnable) = Thread(r, "bg-${n.incrementAndGet()}").apply { isDaemon = true }
}).asCoroutineDispatcher()

/**
 * The JVM stand-in of the Android native initializer: loads the host build of the core
 * (java.library.path) as Android's System.loadLibrary would; the verifier's JNI entry point exists
 * on Android only.
 */
private fun loadHostLibrary(): Int {
    System.loadLibrary("iav_bridge")
    return 0
}

fun main() {
    val context = FakeContext("com.example.verify")

    check("initialize succeeds on status 0 and is idempotent") {
        var calls = 0
        IavBridgeAndroid.native = NativeInitializer { calls++; 0 }
        IavBridgeAndroid.initialize(context)
        IavBridgeAndroid.initialize(context)
        expect(IavBridgeAndroid.isInitialized, "not initialized after status 0")
        expect(calls == 1, "native initializer called $calls times, expected once")
    }

    check("initialize passes the application context to the native side") {
        var seen: Context? = null
        val app = FakeContext("com.example.app")
        val activity = object : Context() {
            override val packageName = "com.example.app"
            override val applicationContext: Context? = app
        }
        IavBridgeAndroid.native = NativeInitializer { seen = it; 0 }
        IavBridgeAndroid.initialize(activity)
        expect(seen === app, "native side got $seen instead of the application context")
    }

    for ((status, words) in listOf(1 to "JNI call failed", 2 to "panicked", 3 to "null", 42 to "unexpected status 42")) {
        check("status $status throws IavBridgeInitializationException naming '$words'") {
            IavBridgeAndroid.native = NativeInitializer { status }
            val error = runCatching { IavBridgeAndroid.initialize(context) }.exceptionOrNull()
            expect(error is IavBridgeInitializationException, "expected IavBridgeInitializationException, got $error")
            expect(error!!.message!!.contains(words), "message '${error.message}' does not name '$words'")
            expect(!IavBridgeAndroid.isInitialized, "initialized after a failure")
        }
    }

    check("a missing native library becomes IavBridgeInitializationException") {
        IavBridgeAndroid.native = NativeInitializer { throw UnsatisfiedLinkError("no iav_bridge in java.library.path") }
        val error = runCatching { IavBridgeAndroid.initialize(context) }.exceptionOrNull()
        expect(error is IavBridgeInitializationException, "expected IavBridgeInitializationException, got $error")
        expect(error!!.cause is UnsatisfiedLinkError, "cause not kept")
    }

    check("a failed initialization can be retried") {
        var status = 1
        IavBridgeAndroid.native = NativeInitializer { status }
        runCatching { IavBridgeAndroid.initialize(context) }
        status = 0
        IavBridgeAndroid.initialize(context)
        expect(IavBridgeAndroid.isInitialized, "retry after failure did not initialize")
    }

    check("loadClient runs the native work off the calling thread and returns a client") {
        val caller = Thread.currentThread()
        var nativeThread: Thread? = null
        IavBridgeAndroid.native = NativeInitializer { nativeThread = Thread.currentThread(); loadHostLibrary() }
        val config = IavBridgeAndroid.config(context, "https://api.example.com/dwolla/", Environment.SANDBOX)
        val client = runBlocking { IavBridgeAndroid.loadClient(context, config) }
        expect(nativeThread != null && nativeThread !== caller, "native work ran on the caller's thread")
        expect(nativeThread!!.name.startsWith("bg-"), "native work ran on ${nativeThread!!.name}, not the background dispatcher")
        expect(IavBridgeAndroid.isInitialized, "not initialized")
        client.close()
    }

    check("preload returns before the native work and loadClient shares it") {
        val release = CountDownLatch(1)
        val calls = AtomicInteger()
        var nativeThread: Thread? = null
        IavBridgeAndroid.native = NativeInitializer {
            nativeThread = Thread.currentThread()
            calls.incrementAndGet()
            release.await()
            loadHostLibrary()
        }
        IavBridgeAndroid.preload(context)
        // preload has returned although the native work is still held back.
        expect(!IavBridgeAndroid.isInitialized, "preload waited for the native work")
        val config = IavBridgeAndroid.config(context, "https://api.example.com/dwolla/", Environment.SANDBOX)
        val clients = runBlocking {
            val waiting = (1..8).map { async(Dispatchers.Default) { IavBridgeAndroid.loadClient(context, config) } }
            release.countDown()
            waiting.awaitAll()
        }
        expect(calls.get() == 1, "native initialization ran ${calls.get()} times, expected once")
        expect(nativeThread?.name == "iav-bridge-preload", "native work ran on ${nativeThread?.name}")
        clients.forEach { it.close() }
    }

    check("a failed load is thrown by load, not by preload, and the next call tries again") {
        var status = 2
        IavBridgeAndroid.native = NativeInitializer { status }
        IavBridgeAndroid.preload(context) // returns; the failure is reported by the next load
        // Whether it shares the failing preload or starts its own, this load fails the same way.
        val error = runCatching { runBlocking { IavBridgeAndroid.load(context) } }.exceptionOrNull()
        expect(error is IavBridgeInitializationException, "expected IavBridgeInitializationException, got $error")
        expect(error!!.message!!.contains("panicked"), "message '${error.message}'")
        expect(!IavBridgeAndroid.isInitialized, "initialized after a failure")
        status = 0
        IavBridgeAndroid.native = NativeInitializer { loadHostLibrary() }
        runBlocking { IavBridgeAndroid.load(context) }
        expect(IavBridgeAndroid.isInitialized, "the retry did not initialize")
    }

    check("preload returns at once while another load holds the native work") {
        val entered = CountDownLatch(1)
        val release = CountDownLatch(1)
        IavBridgeAndroid.native = NativeInitializer {
            entered.countDown()
            release.await()
            loadHostLibrary()
        }
        val loader = Thread { runBlocking { IavBridgeAndroid.load(context) } }.apply { isDaemon = true; start() }
        expect(entered.await(10, java.util.concurrent.TimeUnit.SECONDS), "the load never reached the native work")
        // The "main" thread calls preload while load() is inside the native initialization: it
        // must return without waiting for it (it is only released once preload has returned).
        val main = Thread { IavBridgeAndroid.preload(context) }.apply { isDaemon = true; start() }
        main.join(10_000)
        val blocked = main.isAlive
        release.countDown()
        loader.join(10_000)
        expect(!blocked, "preload waited for the load in flight")
        expect(IavBridgeAndroid.isInitialized, "the load did not finish")
    }

    check("a preload whose thread cannot start fails its claim, and the next load runs") {
        val calls = AtomicInteger()
        IavBridgeAndroid.native = NativeInitializer { calls.incrementAndGet(); loadHostLibrary() }
        IavBridgeAndroid.startThread = { _, _ -> throw OutOfMemoryError("pthread_create (1040KB stack) failed: Try again") }
        try {
            IavBridgeAndroid.preload(context) // returns; nothing runs
        } finally {
            IavBridgeAndroid.startThread = IavBridgeAndroid.defaultThreadStarter
        }
        expect(calls.get() == 0, "the native work ran without its thread")
        val loaded = Thread { runBlocking { IavBridgeAndroid.load(context) } }.apply { isDaemon = true; start() }
        loaded.join(10_000)
        expect(!loaded.isAlive, "load waited for the preload that never started")
        expect(IavBridgeAndroid.isInitialized && calls.get() == 1, "initialized ${IavBridgeAndroid.isInitialized}, calls ${calls.get()}")
    }

    check("the Logcat sink maps every level and keeps the record's target") {
        val sink = LogcatLogSink("Tag")
        val levels = listOf(LogLevel.ERROR to 'E', LogLevel.WARN to 'W', LogLevel.INFO to 'I', LogLevel.DEBUG to 'D', LogLevel.TRACE to 'V')
        for ((level, _) in levels) {
            sink.log(LogRecord(level = level, target = "iav_bridge::transport", message = "GET exchange-partners -> 200"))
        }
        expect(Log.calls.map { it.first } == levels.map { it.second }, "priorities ${Log.calls.map { it.first }}")
        expect(Log.calls.all { it.second == "Tag" && it.third == "iav_bridge::transport: GET exchange-partners -> 200" }, "calls ${Log.calls}")
    }

    check("config() uses the app's package name as the Android platform value") {
        val config = IavBridgeAndroid.config(context, "https://api.example.com/dwolla/", Environment.SANDBOX)
        expect(config.platform == Platform.Android(packageName = "com.example.verify"), "platform ${config.platform}")
        expect(config.backendUrl == "https://api.example.com/dwolla/", "backend ${config.backendUrl}")
        expect(config.environment == Environment.SANDBOX, "environment ${config.environment}")
    }

    println("$passed passed, $failed failed")
    if (failed > 0) kotlin.system.exitProcess(1)
}
