package dev.iavbridge.android.test

import android.os.Bundle
import android.system.Os
import android.util.Base64
import androidx.test.runner.AndroidJUnitRunner
import dev.iavbridge.android.IavBridgeAndroid
import java.io.File

/**
 * Runs the Kotlin suite (tests/kotlin, its device-capable part) as instrumented tests against
 * the sample-backend on the machine that runs the emulator (scripts/test-android-device.sh).
 *
 * The instrumentation argument `iavReadyJson` is the backend's ready file in base64; its
 * loopback URLs become 10.0.2.2 (the emulator's name for that machine), it is written to the
 * cache directory and named by IAV_READY_FILE, which the suite reads as it does on the JVM
 * (Android's System.getenv reads the live environment). The Android layer is initialized
 * first, as an app does before its first client.
 */
class BackendRunner : AndroidJUnitRunner() {
    override fun onCreate(arguments: Bundle) {
        val encoded = arguments.getString("iavReadyJson")
        if (encoded != null) {
            val json = String(Base64.decode(encoded, Base64.NO_WRAP), Charsets.UTF_8)
                .replace("127.0.0.1", "10.0.2.2")
            val file = File(targetContext.cacheDir, "iav-ready.json")
            file.writeText(json)
            Os.setenv("IAV_READY_FILE", file.path, true)
        }
        IavBridgeAndroid.initialize(targetContext)
        super.onCreate(arguments)
    }
}
