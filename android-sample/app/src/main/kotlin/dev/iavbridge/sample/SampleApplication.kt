package dev.iavbridge.sample

import android.app.Application
import android.content.Context
import android.net.Uri
import dev.iavbridge.BridgeClient
import dev.iavbridge.Environment
import dev.iavbridge.LogLevel
import dev.iavbridge.android.EncryptedCompletionStore
import dev.iavbridge.android.IavBridgeAndroid
import dev.iavbridge.android.LogcatLogSink
import dev.iavbridge.sample.flow.DemoUserTokenProvider
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock

/**
 * The app. It does no native work at start-up: most launches never verify a bank account, so the
 * library is loaded (off the main thread) only when the verification screen appears, through
 * [bridgeClient].
 */
class SampleApplication : Application() {
    private val clientLock = Mutex()
    private var client: BridgeClient? = null

    /**
     * The app's one [BridgeClient], created on first use with all native work on a background
     * dispatcher. A configuration error is thrown here, so that it shows on the screen.
     */
    suspend fun bridgeClient(): BridgeClient = clientLock.withLock {
        client ?: createBridgeClient(this).also { client = it }
    }
}

private suspend fun createBridgeClient(context: Context): BridgeClient {
    // region docs:client
    val backendUrl = BuildConfig.BACKEND_URL
    // Pure Kotlin: building the configuration runs no native code.
    val config = IavBridgeAndroid.config(context, backendUrl, Environment.SANDBOX).copy(
        // Cleartext only in debug builds and only to the emulator's alias of the host machine
        // (where `cargo run -p sample-backend` listens); everything else must be https.
        allowInsecureHttp = BuildConfig.DEBUG && Uri.parse(backendUrl).host == "10.0.2.2",
    )
    // Loads the library and creates the client on a background dispatcher: the caller's thread
    // (the main thread here) is not blocked. The completion store keeps a Link success that is
    // not finished yet, encrypted under an Android Keystore key, so that a kill does not lose it.
    val client = IavBridgeAndroid.loadClient(
        context,
        config,
        DemoUserTokenProvider(BuildConfig.DEMO_USER_TOKEN),
        EncryptedCompletionStore(context),
    )
    // The library's logs (no tokens, ever) go to Logcat under the tag "IavBridge".
    LogcatLogSink.install(if (BuildConfig.DEBUG) LogLevel.DEBUG else LogLevel.WARN)
    // Fetch the partner list and open the connection now, so the first tap is quick.
    client.prewarm()
    // endregion docs:client
    return client
}
