// Hand-written conveniences over the generated bindings (iav_bridge.kt). The generated foreign
// interfaces are plain interfaces, so Kotlin lambdas cannot be passed for them; these helpers
// build them from lambdas. Everything else is used as generated.
package dev.iavbridge

/**
 * Creates an [AccessTokenProvider] from a suspending function returning the signed-in user's
 * token for the app's backend.
 *
 * Throw [AccessTokenException.Failed] when there is no token (the user signed out); the call in
 * progress then fails with [BridgeException.TokenProvider]. Cancellation of the caller's
 * coroutine is propagated to [block].
 *
 * ```
 * val client = BridgeClient(config, accessTokenProvider { session.currentToken() })
 * ```
 */
fun accessTokenProvider(block: suspend () -> String): AccessTokenProvider =
    object : AccessTokenProvider {
        override suspend fun accessToken(): String = block()
    }

/**
 * Creates a [LogSink] from a function; pass it to [setLogSink] to route the library's records
 * to Logcat, Timber or any logger. The function is called on the library's threads and must not
 * block for long.
 *
 * ```
 * setLogSink(logSink { r -> Log.println(r.level.toAndroidPriority(), r.target, r.message) }, LogLevel.INFO)
 * ```
 */
fun logSink(block: (LogRecord) -> Unit): LogSink =
    object : LogSink {
        override fun log(record: LogRecord) = block(record)
    }

/**
 * The Android `android.util.Log` priority for this level (VERBOSE 2 .. ERROR 6), without
 * depending on the Android SDK.
 */
fun LogLevel.toAndroidPriority(): Int = when (this) {
    LogLevel.TRACE -> 2
    LogLevel.DEBUG -> 3
    LogLevel.INFO -> 4
    LogLevel.WARN -> 5
    LogLevel.ERROR -> 6
}
