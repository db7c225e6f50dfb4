// Start-up cost of the Android layer on the JVM, on the real Android framework (Robolectric, the
// android-all jar of the AAR's compileSdk), run by `scripts/bench-bindings.sh --startup`, one
// fresh JVM per sample; prints numbers, asserts no timing. The sandbox is made before the sample
// starts: its cost is not in the figures.
//
// One sample: a "main thread" (a single-thread dispatcher, as Android's) asks for a client with
// the suspend factory IavBridgeAndroid.loadClient, as a ViewModel would. Measured:
//  - caller blocked: the time the main thread spends inside the call (until it suspends, plus the
//    resumption that hands back the client), including loading IavBridgeAndroid's class;
//  - first use: from the call until the client is in the caller's hands, split into
//      JNA: JNA's own initialization (com.sun.jna.Native),
//      library load: System.loadLibrary of libiav_bridge (what Android's loader does),
//      bindings: the rest (uniffi's registration of the native functions, its checks, the
//      client's construction, the dispatch back).
// The app's own coroutine machinery is warmed first: an Android app has it loaded long before.
package dev.iavbridge.bench

import android.content.Context
import dev.iavbridge.Environment
import dev.iavbridge.android.IavBridgeAndroid
import dev.iavbridge.android.NativeInitializer
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.annotation.Config
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors

private fun ms(nanos: Long): String = "%.3f".format(nanos / 1e6)

/**
 * One sample, run by JUnit under Robolectric. With the system property
 * `iavbridge.startup.variant=blocking`: the same through the blocking IavBridgeAndroid.createClient.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [36], manifest = Config.NONE)
class StartupSample {
    @Test
    fun sample() = startupSample(System.getProperty("iavbridge.startup.variant") == "blocking")
}

private fun startupSample(blocking: Boolean) {
    val mainThread = Executors.newSingleThreadExecutor { r -> Thread(r, "main") }
    val main = mainThread.asCoroutineDispatcher()
    // Warm the app's coroutine machinery (not the library's cost).
    runBlocking(main) {
        kotlinx.coroutines.GlobalScope.launch(main, start = CoroutineStart.UNDISPATCHED) {
            withContext(Dispatchers.IO) { }
        }.join()
    }

    var jnaNs = 0L
    var loadNs = 0L
    var registerNs = 0L
    val context: Context = RuntimeEnvironment.getApplication()
    val done = CountDownLatch(1)
    var startedAt = 0L
    var blockedNs = 0L
    var firstUseNs = 0L

    var setupNs = 0L
    mainThread.execute {
        // What the app does first on its main thread: IavBridgeAndroid's class and config() (pure
        // Kotlin), reported apart from the call. The stand-in replaces the Android initializer:
        // the same System.loadLibrary; the verifier's JNI entry point exists on Android only.
        val setupAt = System.nanoTime()
        IavBridgeAndroid.native = NativeInitializer {
            val t0 = System.nanoTime()
            System.loadLibrary("iav_bridge")
            val t1 = System.nanoTime()
            // JNA's initialization, which the bindings would otherwise start right after.
            com.sun.jna.Native.POINTER_SIZE
            val t2 = System.nanoTime()
            // The bindings' registration (the load would do it next): timed on its own.
            dev.iavbridge.uniffiEnsureInitialized()
            val t3 = System.nanoTime()
            loadNs = t1 - t0
            jnaNs = t2 - t1
            registerNs = t3 - t2
            0
        }
        val config = IavBridgeAndroid.config(context, "https://api.example.com/dwolla/", Environment.SANDBOX)
        // The caller's coroutine (the app's code, created before the clock starts).
        val call: suspend kotlinx.coroutines.CoroutineScope.() -> Unit = {
            val client = if (blocking) {
                IavBridgeAndroid.createClient(context, config)
            } else {
                IavBridgeAndroid.loadClient(context, config)
            }
            val resumedAt = System.nanoTime()
            firstUseNs = resumedAt - startedAt
            blockedNs += System.nanoTime() - resumedAt
            client.close()
            done.countDown()
        }
        startedAt = System.nanoTime()
        setupNs = startedAt - setupAt
        // The call as a ViewModel's coroutine makes it: started on the main thread.
        kotlinx.coroutines.GlobalScope.launch(main, start = CoroutineStart.UNDISPATCHED, block = call)
        // The coroutine has suspended (or, blocking, finished): the main thread is free again.
        blockedNs += System.nanoTime() - startedAt
    }
    done.await()
    val bindingsNs = firstUseNs - jnaNs - loadNs
    println("startup-sample setup_ms=${ms(setupNs)} blocked_ms=${ms(blockedNs)} first_use_ms=${ms(firstUseNs)} jna_ms=${ms(jnaNs)} load_ms=${ms(loadNs)} bindings_ms=${ms(bindingsNs)} register_ms=${ms(registerNs)} client_ms=${ms(bindingsNs - registerNs)}")
    mainThread.shutdown()
}
