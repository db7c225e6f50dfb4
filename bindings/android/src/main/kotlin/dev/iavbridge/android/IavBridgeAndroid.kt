package dev.iavbridge.android

import android.content.Context
import dev.iavbridge.AccessTokenProvider
import dev.iavbridge.BridgeClient
import dev.iavbridge.BridgeConfig
import dev.iavbridge.Environment
import dev.iavbridge.Platform

/**
 * Android entry points of iav-bridge.
 *
 * The core verifies TLS certificates with Android's trust store (rustls-platform-verifier), which
 * needs the application [Context] once per process before the first request. [IavBridgeInitializer]
 * does that at app start through androidx.startup, so most apps never call [initialize]. Apps that
 * disable automatic initialization call [initialize] themselves (for example in
 * `Application.onCreate`), or create their client with [createClient], which initializes first.
 */
public object IavBridgeAndroid {
    private const val LIBRARY_NAME = "iav_bridge"

    /** Status codes of the native entry point (`src/android.rs` in the core). */
    private const val INIT_OK = 0
    private const val INIT_JNI_ERROR = 1
    private const val INIT_PANICKED = 2
    private const val INIT_NULL_CONTEXT = 3

    private val lock = Any()

    @Volatile
    private var initialized = false

    /** Loads the native library and calls the JNI entry point; replaced in JVM-only checks. */
    internal var native: NativeInitializer = NativeInitializer { appContext ->
        // JNI needs System.loadLibrary: JNA's own loading does not register JNI symbols.
        System.loadLibrary(LIBRARY_NAME)
        nativeInitialize(appContext)
    }

    /** `true` once [initialize] has succeeded in this process. */
    @JvmStatic
    public val isInitialized: Boolean
        get() = initialized

    /**
     * Hands the application context to the core's certificate verifier. Safe to call more than
     * once and from any thread; only the first successful call does any work.
     *
     * @throws IavBridgeInitializationException when the native library cannot be loaded or the
     *   verifier refuses the context. Network calls would fail after that, so report it.
     */
    @JvmStatic
    public fun initialize(context: Context) {
        if (initialized) return
        synchronized(lock) {
            if (initialized) return
            val appContext = context.applicationContext ?: context
            val status = try {
                native.initialize(appContext)
            } catch (error: UnsatisfiedLinkError) {
                throw IavBridgeInitializationException(
                    "could not load lib$LIBRARY_NAME.so for this device's ABI; check that the AAR " +
                        "contains it (scripts/build-android.sh prints the ABIs it built)",
                    error,
                )
            }
            when (status) {
                INIT_OK -> initialized = true
                INIT_NULL_CONTEXT -> throw IavBridgeInitializationException(
                    "the Context passed to IavBridgeAndroid.initialize was null",
                )
                INIT_JNI_ERROR -> throw IavBridgeInitializationException(
                    "the platform certificate verifier could not be initialized (a JNI call " +
                        "failed); check that org.rustls.platformverifier classes are kept by R8",
                )
                INIT_PANICKED -> throw IavBridgeInitializationException(
                    "the platform certificate verifier panicked during initialization",
                )
                else -> throw IavBridgeInitializationException(
                    "unexpected status $status from the native initialization",
                )
            }
        }
    }

    /**
     * A [BridgeConfig] for this app: the platform is Android with the app's package name
     * (`context.packageName`), which Dwolla and Plaid use as the redirect value. Other settings
     * keep their defaults; use `copy()` to change them.
     */
    @JvmStatic
    public fun config(
        context: Context,
        backendUrl: String,
        environment: Environment,
    ): BridgeConfig = BridgeConfig(
        backendUrl = backendUrl,
        platform = Platform.Android(packageName = context.packageName),
        environment = environment,
    )

    /**
     * Initializes the verifier if needed, then creates the app's [BridgeClient]. Keep one client
     * per app (it holds a connection pool and the partner cache).
     *
     * @throws IavBridgeInitializationException when initialization fails.
     * @throws dev.iavbridge.BridgeException.InvalidConfiguration and the other
     *   [dev.iavbridge.BridgeException] cases that [BridgeClient]'s constructor raises.
     */
    @JvmStatic
    @JvmOverloads
    public fun createClient(
        context: Context,
        config: BridgeConfig,
        tokenProvider: AccessTokenProvider? = null,
    ): BridgeClient {
        initialize(context)
        return BridgeClient(config, tokenProvider)
    }

    /**
     * `Java_dev_iavbridge_android_IavBridgeAndroid_nativeInitialize` in the core: returns one of
     * the INIT_ status codes above and never throws.
     */
    @JvmStatic
    private external fun nativeInitialize(context: Context): Int
}

/** Calls the core's JNI entry point; an interface so that JVM-only checks can replace it. */
internal fun interface NativeInitializer {
    /** Returns the native status code (0 = initialized). */
    fun initialize(context: Context): Int
}

/** The core could not be initialized for Android; the message says what to check. */
public class IavBridgeInitializationException(
    reason: String,
    error: Throwable? = null,
) : IllegalStateException(reason, error)
