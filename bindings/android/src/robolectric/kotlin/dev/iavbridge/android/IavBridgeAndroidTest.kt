package dev.iavbridge.android

import android.content.Context
import android.content.ContextWrapper
import android.os.Looper
import android.util.Log
import dev.iavbridge.BridgeConfig
import dev.iavbridge.BridgeException
import dev.iavbridge.Environment
import dev.iavbridge.LogLevel
import dev.iavbridge.LogRecord
import dev.iavbridge.LogSink
import dev.iavbridge.Platform
import dev.iavbridge.setLogSink
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.runBlocking
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertSame
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.annotation.Config
import org.robolectric.shadows.ShadowLog
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.ThreadFactory
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger

/**
 * The AAR's hand-written layer on the real Android framework (Robolectric, the android-all jar of
 * the AAR's compileSdk), against the host build of the core (through JNA): status-code mapping,
 * idempotence, the suspend factory and preload (native work off the main thread, shared, retried
 * after a failure, never blocking its caller), the Logcat sink's records as `android.util.Log`
 * receives them, and the configuration helper. The JNI entry point exists on Android only, so
 * [IavBridgeAndroid.native] loads the host library as `System.loadLibrary` would and returns the
 * entry point's status.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [36], manifest = Config.NONE)
class IavBridgeAndroidTest {
    private val app: Context get() = RuntimeEnvironment.getApplication()

    private val config: BridgeConfig
        get() = IavBridgeAndroid.config(app, "https://api.example.com/dwolla/", Environment.SANDBOX)

    @Before
    fun uninitialized() {
        // Every test starts from an uninitialized process state.
        for ((name, value) in listOf("initialized" to false, "loading" to null)) {
            val field = IavBridgeAndroid::class.java.getDeclaredField(name)
            field.isAccessible = true
            field.set(IavBridgeAndroid, value)
        }
        IavBridgeAndroid.backgroundDispatcher = background
        IavBridgeAndroid.startThread = IavBridgeAndroid.defaultThreadStarter
        ShadowLog.clear()
    }

    @After
    fun quietSink() {
        // The core keeps one sink per process: leave one that drops everything.
        setLogSink(object : LogSink { override fun log(record: LogRecord) {} }, LogLevel.ERROR)
    }

    @Test
    fun theTestsRunOnTheMainLooperOfTheRealFramework() {
        assertTrue("the test thread is the main looper's", Looper.getMainLooper().isCurrentThread)
        assertEquals(36, android.os.Build.VERSION.SDK_INT)
    }

    @Test
    fun initializeSucceedsOnStatusZeroAndIsIdempotent() {
        val calls = AtomicInteger()
        IavBridgeAndroid.native = NativeInitializer { calls.incrementAndGet(); 0 }
        IavBridgeAndroid.initialize(app)
        IavBridgeAndroid.initialize(app)
        assertTrue(IavBridgeAndroid.isInitialized)
        assertEquals("native initializer calls", 1, calls.get())
    }

    @Test
    fun initializePassesTheApplicationContextToTheNativeSide() {
        var seen: Context? = null
        val activityLike = ContextWrapper(app)
        IavBridgeAndroid.native = NativeInitializer { seen = it; 0 }
        IavBridgeAndroid.initialize(activityLike)
        assertSame(app.applicationContext, seen)
    }

    @Test
    fun eachFailureStatusBecomesAnInitializationExceptionThatSaysWhy() {
        for ((status, words) in listOf(1 to "JNI call failed", 2 to "panicked", 3 to "null", 42 to "unexpected status 42")) {
            uninitialized()
            IavBridgeAndroid.native = NativeInitializer { status }
            val error = runCatching { IavBridgeAndroid.initialize(app) }.exceptionOrNull()
            assertTrue("status $status: $error", error is IavBridgeInitializationException)
            assertTrue("status $status: '${error!!.message}'", error.message!!.contains(words))
            assertFalse(IavBridgeAndroid.isInitialized)
        }
    }

    @Test
    fun aMissingNativeLibraryBecomesAnInitializationException() {
        IavBridgeAndroid.native = NativeInitializer { throw UnsatisfiedLinkError("no iav_bridge in java.library.path") }
        val error = runCatching { IavBridgeAndroid.initialize(app) }.exceptionOrNull()
        assertTrue("$error", error is IavBridgeInitializationException)
        assertTrue(error!!.cause is UnsatisfiedLinkError)
    }

    @Test
    fun aFailedInitializationCanBeRetried() {
        var status = 1
        IavBridgeAndroid.native = NativeInitializer { status }
        runCatching { IavBridgeAndroid.initialize(app) }
        status = 0
        IavBridgeAndroid.initialize(app)
        assertTrue(IavBridgeAndroid.isInitialized)
    }

    @Test
    fun loadClientFromTheMainThreadDoesTheNativeWorkOnTheBackgroundDispatcher() {
        val nativeThreads = mutableListOf<Thread>()
        IavBridgeAndroid.native = NativeInitializer {
            synchronized(nativeThreads) { nativeThreads += Thread.currentThread() }
            loadHostLibrary()
        }
        val client = runBlocking { IavBridgeAndroid.loadClient(app, config) }
        assertEquals(1, nativeThreads.size)
        assertFalse("native work on the main thread", nativeThreads[0] === Looper.getMainLooper().thread)
        assertTrue("native work on ${nativeThreads[0].name}", nativeThreads[0].name.startsWith("bg-"))
        assertTrue(IavBridgeAndroid.isInitialized)
        client.close()
    }

    @Test
    fun preloadReturnsBeforeTheNativeWorkAndLoadClientSharesIt() {
        val release = CountDownLatch(1)
        val calls = AtomicInteger()
        var nativeThread: Thread? = null
        IavBridgeAndroid.native = NativeInitializer {
            nativeThread = Thread.currentThread()
            calls.incrementAndGet()
            release.await()
            loadHostLibrary()
        }
        IavBridgeAndroid.preload(app) // on the main thread
        assertFalse("preload waited for the native work", IavBridgeAndroid.isInitialized)
        val clients = runBlocking {
            val waiting = (1..8).map { async(Dispatchers.Default) { IavBridgeAndroid.loadClient(app, config) } }
            release.countDown()
            waiting.awaitAll()
        }
        assertEquals("native initializations", 1, calls.get())
        assertEquals("iav-bridge-preload", nativeThread?.name)
        assertFalse(nativeThread === Looper.getMainLooper().thread)
        clients.forEach { it.close() }
    }

    @Test
    fun preloadOnTheMainThreadReturnsAtOnceWhileAnotherLoadHoldsTheNativeWork() {
        val entered = CountDownLatch(1)
        val release = CountDownLatch(1)
        IavBridgeAndroid.native = NativeInitializer {
            entered.countDown()
            release.await()
            loadHostLibrary()
        }
        val loader = Thread { runBlocking { IavBridgeAndroid.load(app) } }.apply { isDaemon = true; start() }
        assertTrue("the load reached the native work", entered.await(10, TimeUnit.SECONDS))
        // On the main thread, while load() is inside the native initialization; the native work
        // is released only after preload has returned, so a preload that waits never returns.
        val preloaded = Thread { IavBridgeAndroid.preload(app) }.apply { isDaemon = true; start() }
        preloaded.join(10_000)
        val blocked = preloaded.isAlive
        release.countDown()
        loader.join(10_000)
        assertFalse("preload waited for the load in flight", blocked)
        assertTrue(IavBridgeAndroid.isInitialized)
    }

    @Test
    fun aPreloadWhoseThreadCannotStartFailsItsClaimAndTheNextLoadRuns() {
        val calls = AtomicInteger()
        IavBridgeAndroid.native = NativeInitializer { calls.incrementAndGet(); loadHostLibrary() }
        IavBridgeAndroid.startThread = { _, _ -> throw OutOfMemoryError("pthread_create (1040KB stack) failed: Try again") }
        IavBridgeAndroid.preload(app) // returns; nothing runs
        IavBridgeAndroid.startThread = IavBridgeAndroid.defaultThreadStarter
        assertEquals("native work without its thread", 0, calls.get())
        val loaded = Thread { runBlocking { IavBridgeAndroid.load(app) } }.apply { isDaemon = true; start() }
        loaded.join(10_000)
        assertFalse("load waited for the preload that never started", loaded.isAlive)
        assertTrue(IavBridgeAndroid.isInitialized)
        assertEquals(1, calls.get())
    }

    @Test
    fun aFailedLoadIsThrownByLoadNotByPreloadAndTheNextCallTriesAgain() {
        var status = 2
        IavBridgeAndroid.native = NativeInitializer { status }
        IavBridgeAndroid.preload(app)
        val error = runCatching { runBlocking { IavBridgeAndroid.load(app) } }.exceptionOrNull()
        assertTrue("$error", error is IavBridgeInitializationException)
        assertTrue(error!!.message!!.contains("panicked"))
        assertFalse(IavBridgeAndroid.isInitialized)
        status = 0
        IavBridgeAndroid.native = NativeInitializer { loadHostLibrary() }
        runBlocking { IavBridgeAndroid.load(app) }
        assertTrue(IavBridgeAndroid.isInitialized)
    }

    @Test
    fun theLogcatSinkWritesEachLevelWithItsPriorityAndTag() {
        val sink = LogcatLogSink("Tag")
        val levels = listOf(
            LogLevel.ERROR to Log.ERROR, LogLevel.WARN to Log.WARN, LogLevel.INFO to Log.INFO,
            LogLevel.DEBUG to Log.DEBUG, LogLevel.TRACE to Log.VERBOSE,
        )
        for ((level, _) in levels) {
            sink.log(LogRecord(level = level, target = "iav_bridge::transport", message = "GET exchange-partners -> 200"))
        }
        val logs = ShadowLog.getLogsForTag("Tag")
        assertEquals(levels.map { it.second }, logs.map { it.type })
        assertTrue(logs.all { it.msg == "iav_bridge::transport: GET exchange-partners -> 200" })
    }

    @Test
    fun theCoresOwnRecordsReachLogcatWithoutTheBearerToken() {
        IavBridgeAndroid.native = NativeInitializer { loadHostLibrary() }
        val token = "bearer-Zq81xK2mP0vTn4Ls"
        val client = runBlocking {
            IavBridgeAndroid.loadClient(
                app,
                // A loopback port nothing listens on: the call fails after its retries, logging.
                BridgeConfig(
                    backendUrl = "http://127.0.0.1:9/api/",
                    platform = Platform.Android(packageName = "com.example.verify"),
                    environment = Environment.SANDBOX,
                    allowInsecureHttp = true,
                    timeoutMs = 2_000uL,
                ),
                StaticToken(token),
            )
        }
        LogcatLogSink.install(LogLevel.TRACE)
        val error = runCatching { runBlocking { client.exchangePartners() } }.exceptionOrNull()
        client.close()
        assertTrue("$error", error is BridgeException)
        val logs = ShadowLog.getLogsForTag(LogcatLogSink.DEFAULT_TAG)
        assertTrue("the core logged nothing", logs.isNotEmpty())
        assertTrue(logs.any { it.type == Log.DEBUG || it.type == Log.VERBOSE || it.type == Log.WARN })
        assertTrue(logs.none { it.msg.contains(token) || it.msg.contains(token.takeLast(12)) })
    }

    @Test
    fun configUsesTheAppsPackageNameAsTheAndroidPlatformValue() {
        assertEquals(Platform.Android(packageName = app.packageName), config.platform)
        assertNotNull(app.packageName)
        assertEquals("https://api.example.com/dwolla/", config.backendUrl)
        assertEquals(Environment.SANDBOX, config.environment)
    }

    private class StaticToken(private val token: String) : dev.iavbridge.AccessTokenProvider {
        override suspend fun accessToken(): String = token
    }

    private companion object {
        /** The background dispatcher of the tests: its threads are named "bg-N". */
        val background = Executors.newFixedThreadPool(2, object : ThreadFactory {
            private val n = AtomicInteger()
            override fun newThread(r: Runnable) = Thread(r, "bg-${n.incrementAndGet()}").apply { isDaemon = true }
        }).asCoroutineDispatcher()

        /** Android's System.loadLibrary of the host build (java.library.path); status 0. */
        fun loadHostLibrary(): Int {
            System.loadLibrary("iav_bridge")
            return 0
        }
    }
}
