package dev.iavbridge.android

import android.util.Log
import dev.iavbridge.LogLevel
import dev.iavbridge.LogRecord
import dev.iavbridge.LogSink
import dev.iavbridge.setLogSink

/**
 * Sends the core's log records to Logcat under [tag], with the record's module in front of the
 * text. The core never logs a token or a secret. Install it with [install].
 */
public class LogcatLogSink(
    private val tag: String = DEFAULT_TAG,
) : LogSink {
    override fun log(record: LogRecord) {
        val text = "${record.target}: ${record.message}"
        when (record.level) {
            LogLevel.ERROR -> Log.e(tag, text)
            LogLevel.WARN -> Log.w(tag, text)
            LogLevel.INFO -> Log.i(tag, text)
            LogLevel.DEBUG -> Log.d(tag, text)
            LogLevel.TRACE -> Log.v(tag, text)
        }
    }

    public companion object {
        /** The Logcat tag used when none is given. */
        public const val DEFAULT_TAG: String = "IavBridge"

        /**
         * Routes the core's records at [maxLevel] and above to Logcat. Call once at app start
         * (for example `LogcatLogSink.install(if (BuildConfig.DEBUG) LogLevel.DEBUG else LogLevel.WARN)`).
         */
        @JvmStatic
        @JvmOverloads
        public fun install(maxLevel: LogLevel = LogLevel.INFO, tag: String = DEFAULT_TAG): LogcatLogSink {
            val sink = LogcatLogSink(tag)
            setLogSink(sink, maxLevel)
            return sink
        }
    }
}
