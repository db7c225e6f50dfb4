// JMH microbenchmark of the cost of crossing from Kotlin into the core (run by
// scripts/bench-bindings.sh --jmh; prints JMH's table, asserts no timing). In one run, next to
// each other:
//   rawJnaDirectCall  a raw JNA direct-mapped call of a C function of the same library (uniffi's
//                     contract-version symbol: no arguments, an int back): the floor;
//   syncCall          validateAndroidPackageName: a string lowered into a RustBuffer, the call with
//                     its RustCallStatus, the string lifted back;
//   asyncCall         BridgeClient.exchangePartners on the client's warm cache (no request): a
//                     suspend call through uniffi's RustFuture (poll, continuation callback,
//                     complete, free) and a list of records lifted;
//   runBlockingAlone  runBlocking with nothing to wait for: what asyncCall and flowCrossings spend
//                     in the JVM's own coroutine entry, to subtract;
//   recordRoundTrip   an Exchange record lowered into a RustBuffer allocated by the core and
//                     lifted back (two crossings: alloc and free);
//   flowCrossings     the crossings of one Plaid flow with the network taken away: the app's three
//                     suspend calls (startPlaidLink, completePlaidLink, createFundingSource; each
//                     stands here as the cached exchangePartners, which crosses the same way), two
//                     sync calls (the redirect check, the session's linkToken getter) and three
//                     records back.
package dev.iavbridge.bench.jmh

import com.sun.jna.Native
import dev.iavbridge.BridgeClient
import dev.iavbridge.Exchange
import dev.iavbridge.ExchangePartner
import dev.iavbridge.FfiConverterTypeExchange
import dev.iavbridge.tests.Backend
import dev.iavbridge.tests.PACKAGE_NAME
import dev.iavbridge.tests.StaticTokenProvider
import dev.iavbridge.tests.config
import dev.iavbridge.validateAndroidPackageName
import kotlinx.coroutines.runBlocking
import org.openjdk.jmh.annotations.Benchmark
import org.openjdk.jmh.annotations.BenchmarkMode
import org.openjdk.jmh.annotations.Fork
import org.openjdk.jmh.annotations.Measurement
import org.openjdk.jmh.annotations.Mode
import org.openjdk.jmh.annotations.OutputTimeUnit
import org.openjdk.jmh.annotations.Scope
import org.openjdk.jmh.annotations.Setup
import org.openjdk.jmh.annotations.State
import org.openjdk.jmh.annotations.TearDown
import org.openjdk.jmh.annotations.Warmup
import java.util.concurrent.TimeUnit

/** A JNA direct mapping of one C function of libiav_bridge, as uniffi maps its own. */
object RawJna {
    init {
        Native.register(RawJna::class.java, "iav_bridge")
    }

    /** uniffi's contract version of the library (an integer constant). */
    @JvmStatic
    external fun ffi_iav_bridge_uniffi_contract_version(): Int
}

/** The benchmarks; the client and its partner cache are made once per fork. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(1)
open class Crossings {
    private lateinit var client: BridgeClient
    private lateinit var provider: StaticTokenProvider
    private val exchange = Exchange(
        id = "2c6d2f5e-7d7b-4c1b-9a57-5d1f4d0d7c11",
        url = "http://127.0.0.1:8080/exchanges/2c6d2f5e-7d7b-4c1b-9a57-5d1f4d0d7c11",
        status = "active",
    )
    private var providerCallsAfterSetup = 0

    /** One client against the sample-backend; its partner list is fetched here, once. */
    @Setup
    fun setUp() {
        provider = StaticTokenProvider(Backend.alice.token)
        client = BridgeClient(config(), provider)
        val partners = runBlocking { client.exchangePartners() }
        check(partners.any { it.name == "Plaid" }) { "the backend offers no Plaid partner" }
        check(RawJna.ffi_iav_bridge_uniffi_contract_version() > 0)
        providerCallsAfterSetup = provider.calls.get()
    }

    /** Says that the timed calls made no request (the token provider was never asked again). */
    @TearDown
    fun tearDown() {
        val extra = provider.calls.get() - providerCallsAfterSetup
        System.err.println("token provider calls during the timed runs: $extra (0: no request was made)")
        client.close()
    }

    @Benchmark
    fun rawJnaDirectCall(): Int = RawJna.ffi_iav_bridge_uniffi_contract_version()

    @Benchmark
    fun syncCall(): String = validateAndroidPackageName(PACKAGE_NAME)

    @Benchmark
    fun asyncCall(): List<ExchangePartner> = runBlocking { client.exchangePartners() }

    /** What asyncCall spends in runBlocking itself (its event loop), to subtract. */
    @Benchmark
    fun runBlockingAlone(): Int = runBlocking { PACKAGE_NAME.length }

    @Benchmark
    fun recordRoundTrip(): Exchange = FfiConverterTypeExchange.lift(FfiConverterTypeExchange.lower(exchange))

    @Benchmark
    fun flowCrossings(): Int {
        var n = validateAndroidPackageName(PACKAGE_NAME).length
        runBlocking {
            repeat(3) { n += client.exchangePartners().size }
        }
        n += validateAndroidPackageName(PACKAGE_NAME).length
        repeat(3) { n += FfiConverterTypeExchange.lift(FfiConverterTypeExchange.lower(exchange)).id.length }
        return n
    }
}
