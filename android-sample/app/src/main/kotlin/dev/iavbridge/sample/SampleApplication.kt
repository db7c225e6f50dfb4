package dev.iavbridge.sample

import android.app.Application
import android.net.Uri
import dev.iavbridge.BridgeClient
import dev.iavbridge.Environment
import dev.iavbridge.LogLevel
import dev.iavbridge.android.IavBridgeAndroid
import dev.iavbridge.android.LogcatLogSink
import dev.iavbridge.sample.flow.DemoUserTokenProvider

/**
 * Holds the app's one [BridgeClient]. The AAR's startup initializer has already set up the
 * platform certificate verifier; [IavBridgeAndroid.createClient] makes sure of it anyway.
 */
class SampleApplication : Application() {
    /** Created on first use, so that a configuration error surfaces on the screen, not at launch. */
    val bridgeClient: BridgeClient by lazy { createBridgeClient() }

    override fun onCreate() {
        super.onCreate()
        // The library's logs (no tokens, ever) go to Logcat under the tag "IavBridge".
        LogcatLogSink.install(if (BuildConfig.DEBUG) LogLevel.DEBUG else LogLevel.WARN)
    }

    private fun createBridgeClient(): BridgeClient {
        // region docs:client
        val backendUrl = BuildConfig.BACKEND_URL
        val config = IavBridgeAndroid.config(this, backendUrl, Environment.SANDBOX).copy(
            // Cleartext only in debug builds and only to the emulator's alias of the host machine
            // (where `cargo run -p sample-backend` listens); everything else must be https.
            allowInsecureHttp = BuildConfig.DEBUG && Uri.parse(backendUrl).host == "10.0.2.2",
        )
        val client = IavBridgeAndroid.createClient(this, config, DemoUserTokenProvider(BuildConfig.DEMO_USER_TOKEN))
        // Fetch the partner list and open the connection now, so the first tap is quick.
        client.prewarm()
        // endregion docs:client
        return client
    }
}
