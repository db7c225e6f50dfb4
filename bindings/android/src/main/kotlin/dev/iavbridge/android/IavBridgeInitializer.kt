package dev.iavbridge.android

import android.content.Context
import android.util.Log
import androidx.startup.Initializer

/**
 * Runs [IavBridgeAndroid.initialize] at app start through androidx.startup (declared in the AAR's
 * manifest, merged into the app's). An app that removes it from the manifest (to start it lazily)
 * calls [IavBridgeAndroid.initialize] or [IavBridgeAndroid.createClient] itself.
 *
 * A failure is logged, not thrown: the app keeps starting, and the explicit [IavBridgeAndroid.initialize]
 * (which [IavBridgeAndroid.createClient] calls) retries and throws with the reason.
 */
public class IavBridgeInitializer : Initializer<Unit> {
    override fun create(context: Context) {
        try {
            IavBridgeAndroid.initialize(context)
        } catch (error: IavBridgeInitializationException) {
            Log.e(TAG, "iav-bridge initialization failed: ${error.message}", error)
        }
    }

    override fun dependencies(): List<Class<out Initializer<*>>> = emptyList()

    private companion object {
        const val TAG = "IavBridge"
    }
}
