// Runs Dokka's engine (dokka-core, from Maven Central) on a JSON configuration, as Dokka's own
// command-line runner does: Dokka publishes that runner (dokka-cli) outside Maven Central.
// scripts/toolchains.sh compiles this file into the Dokka directory of the cache; scripts/docs.sh
// runs it with dokka-base and analysis-kotlin-symbols on the classpath (Dokka finds its plugins
// there) for the site's Kotlin API reference.
//
//     java -cp "$DOKKA_CP" dev.iavbridge.docs.DokkaRunnerKt CONFIG.json
//
// Exit status 1 when Dokka reports an error (a warning is printed and passes).
package dev.iavbridge.docs

import java.io.File
import kotlin.system.exitProcess
import org.jetbrains.dokka.DokkaConfigurationImpl
import org.jetbrains.dokka.DokkaGenerator
import org.jetbrains.dokka.utilities.DokkaConsoleLogger
import org.jetbrains.dokka.utilities.LoggingLevel

fun main(args: Array<String>) {
    if (args.size != 1) {
        System.err.println("usage: DokkaRunnerKt CONFIG.json")
        exitProcess(2)
    }
    val configuration = DokkaConfigurationImpl(File(args[0]).readText())
    val logger = DokkaConsoleLogger(LoggingLevel.WARN)
    DokkaGenerator(configuration, logger).generate()
    if (logger.errorsCount > 0) {
        System.err.println("dokka: ${logger.errorsCount} errors")
        exitProcess(1)
    }
}
