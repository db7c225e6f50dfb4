package dev.iavbridge.android

import android.content.Context
import dev.iavbridge.AccessTokenProvider
import dev.iavbridge.BridgeClient
import dev.iavbridge.BridgeConfig
import dev.iavbridge.CompletionStore
import dev.iavbridge.Environment
import dev.iavbridge.Platform
import dev.iavbridge.uniffiEnsureInitialized
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import kotlin.concurrent.thread

/**
 * Android entry points of iav-bridge.
 *
 * Nothing of the library runs when the app starts: the AAR declares no startup initializer. The
 * native work (loading `libiav_bridge.so`, handing the application [Context] to the core's
 * certificate verifier, JNA's own initialization and the registration of the generated bindings)
 * happens once per process, the first time the app asks for it, and takes tens of milliseconds
 * on a phone, so it belongs off the main thread:
 *
 * - [loadClient] (suspend) does all of it on a background dispatcher and returns the client:
 *   the way to create a client from a ViewModel or any coroutine;
 * - [preload] starts the same work on a background thread and returns at once, so that it is done
 *   before the user's first tap (call it when the verification screen is about to show);
 * - [createClient] and [initialize] do the same work on the calling thread (blocking): for
 *   background threads and Java callers only, never on the main thread.
 */
public object IavBridgeAndroid {
    private const val LIBRARY_NAME = "iav_bridge"

    /** Status codes of the native entry point (`src/android.rs` in the core). */
    private const val INIT_OK = 0
    private const val INIT_JNI_ERROR = 1
    private const val INIT_PANICKED = 2
    private const val INIT_NULL_CONTEXT = 3

    /** Held for the whole native initialization ([initialize]). */
    private val lock = Any()

    /**
     * Guards [loading] only, and is never held while native work runs: claiming a load (what
     * [preload] does on the caller's thread) never waits for a load in flight.
     */
    private val loadLock = Any()

    @Volatile
    private var initialized = false

    /** The load started by [preload] or [load]; `null` before the first one and after a failure. */
    private var loading: CompletableDeferred<Unit>? = null

    /** Starts [preload]'s thread; replaced in JVM-only checks (to fail as Android can). */
    internal var startThread: (String, () -> Unit) -> Unit = defaultThreadStarter

    /** A daemon thread of the given name. */
    internal val defaultThreadStarter: (String, () -> Unit) -> Unit
        get() = { name, body -> thread(name = name, isDaemon = true) { body() } }

    /** Loads the native library and calls the JNI entry point; replaced in JVM-only checks. */
    internal var native: NativeInitializer = SystemLibrary

    /** The real initializer (an object, so that loading this class spins up no lambda). */
    private object SystemLibrary : NativeInitializer {
        override fun initialize(context: Context): Int {
            // JNI needs System.loadLibrary: JNA's own loading does not register JNI symbols.
            System.loadLibrary(LIBRARY_NAME)
            return nativeInitialize(context)
        }
    }

    /** Where [load] and [loadClient] run the native work; replaced in JVM-only checks. */
    internal var backgroundDispatcher: CoroutineDispatcher = Dispatchers.IO

    /** `true` once [initialize] (or [load], [preload], [loadClient]) has succeeded in this process. */
    @JvmStatic
    public val isInitialized: Boolean
        get() = initialized

    /**
     * Starts loading and initializing the library on a background thread and returns at once.
     * Call it when the verification screen is about to show, so that [loadClient] finds the work
     * done. Calling it again, or while a load runs, does nothing; after a failed load it tries
     * again. A failure is not thrown here: [load] and [loadClient] report it.
     */
    @JvmStatic
    public fun preload(context: Context) {
        val appContext = context.applicationContext ?: context
        val (pending, mine) = claimLoad()
        if (!mine) return
        try {
            startThread("iav-bridge-preload") { runLoad(pending, appContext) }
        } catch (error: Throwable) {
            // No thread (on Android an OutOfMemoryError "pthread_create failed"): the claim
            // fails with that error and is forgotten, so the next load runs its own.
            failLoad(pending, error)
        }
    }

    /**
     * Loads and initializes the library (what [initialize] does, plus JNA and the generated
     * bindings) on a background dispatcher; returns when it is done. Safe to call more than once
     * and from any thread; concurrent calls and a running [preload] share one load.
     *
     * @throws IavBridgeInitializationException when the native library cannot be loaded or the
     *   verifier refuses the context. A later call tries again.
     */
    @JvmStatic
    public suspend fun load(context: Context): Unit = withContext(backgroundDispatcher) { awaitLoad(context) }

    /** Runs the load, or awaits the one in flight; on the background dispatcher. */
    private suspend fun awaitLoad(context: Context) {
        val appContext = context.applicationContext ?: context
        val (pending, mine) = claimLoad()
        if (mine) runLoad(pending, appContext)
        pending.await()
    }

    /**
     * Creates the app's [BridgeClient] with all native work on a background dispatcher: the
     * calling thread (the main thread, typically) is never blocked. Loads the library first if
     * [preload] or an earlier call has not. Keep one client per app (it holds a connection pool
     * and the partner cache). With a [completionStore] (an [EncryptedCompletionStore]), the
     * client's pending completions survive the process (`BridgeClient.withCompletionStore`).
     *
     * @throws IavBridgeInitializationException when the library cannot be loaded.
     * @throws dev.iavbridge.BridgeException.InvalidConfiguration and the other
     *   [dev.iavbridge.BridgeException] cases that [BridgeClient]'s constructor raises.
     */
    @JvmStatic
    @JvmOverloads
    public suspend fun loadClient(
        context: Context,
        config: BridgeConfig,
        tokenProvider: AccessTokenProvider? = null,
        completionStore: CompletionStore? = null,
    ): BridgeClient = withContext(backgroundDispatcher) {
        // Everything from here on runs on the background dispatcher.
        awaitLoad(context)
        if (completionStore == null) {
            BridgeClient(config, tokenProvider)
        } else {
            BridgeClient.withCompletionStore(config, tokenProvider, completionStore)
        }
    }

    /**
     * Loads the native library and hands the application context to the core's certificate
     * verifier, on the calling thread (blocking: it can take tens of milliseconds, so never call
     * it on the main thread; prefer [load] or [preload]). Safe to call more than once and from any
     * thread; only the first successful call does any work.
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
     * keep their defaults; use `copy()` to change them. Pure Kotlin: no native code runs.
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
     * Initializes the library if needed, then creates the app's [BridgeClient], on the calling
     * thread (blocking: never call it on the main thread; prefer [loadClient]). Keep one client
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
     * The load to await: the running or finished one, or a new one that the caller must run
     * (`second == true`). A failed load is forgotten, so the next call starts a new one.
     */
    private fun claimLoad(): Pair<CompletableDeferred<Unit>, Boolean> = synchronized(loadLock) {
        loading?.let { return it to false }
        val started = CompletableDeferred<Unit>()
        loading = started
        started to true
    }

    /** The whole native start-up, on the current (background) thread; completes [started]. */
    private fun runLoad(started: CompletableDeferred<Unit>, appContext: Context) {
        try {
            initialize(appContext)
            // JNA's initialization and the registration of the generated bindings.
            uniffiEnsureInitialized()
            started.complete(Unit)
        } catch (error: Throwable) {
            failLoad(started, error)
        }
    }

    /** Completes [started] with [error] and forgets it, so that the next call tries again. */
    private fun failLoad(started: CompletableDeferred<Unit>, error: Throwable) {
        synchronized(loadLock) { if (loading === started) loading = null }
        val reported = error as? IavBridgeInitializationException
            ?: IavBridgeInitializationException("loading the iav-bridge library failed: $error", error)
        started.completeExceptionally(reported)
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
