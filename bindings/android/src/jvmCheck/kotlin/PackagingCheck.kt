package dev.iavbridge.android

import android.content.Context
import android.util.Log
import dev.iavbridge.Environment
import dev.iavbridge.LogLevel
import dev.iavbridge.LogRecord
import dev.iavbridge.Platform

/**
 * Runs the AAR's hand-written layer on the JVM with a fake native initializer: status-code
 * mapping, idempotence, the auto-initializer's logging, the Logcat sink's level mapping and the
 * Android configuration helper. Prints one line per check and a closing "N passed, N failed".
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
    val field = IavBridgeAndroid::class.java.getDeclaredField("initialized")
    field.isAccessible = true
    field.setBoolean(IavBridgeAndroid, false)
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

    check("the startup initializer logs a failure instead of crashing the app") {
        IavBridgeAndroid.native = NativeInitializer { 2 }
        IavBridgeInitializer().create(context)
        expect(!IavBridgeAndroid.isInitialized, "initialized after a failure")
        expect(Log.calls.any { it.first == 'E' && it.third.contains("panicked") }, "no error logged: ${Log.calls}")
        expect(IavBridgeInitializer().dependencies().isEmpty(), "unexpected dependencies")
    }

    check("the startup initializer initializes on success") {
        IavBridgeAndroid.native = NativeInitializer { 0 }
        IavBridgeInitializer().create(context)
        expect(IavBridgeAndroid.isInitialized, "not initialized")
        expect(Log.calls.none { it.first == 'E' }, "logged an error on success: ${Log.calls}")
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
