package android.util

/** JVM-only stand-in for Android's `Log`; records every call so the check can inspect them. */
object Log {
    /** (priority letter, tag, message) of each call, oldest first. */
    val calls: MutableList<Triple<Char, String?, String>> = mutableListOf()

    @JvmStatic fun v(tag: String?, msg: String): Int = record('V', tag, msg)
    @JvmStatic fun d(tag: String?, msg: String): Int = record('D', tag, msg)
    @JvmStatic fun i(tag: String?, msg: String): Int = record('I', tag, msg)
    @JvmStatic fun w(tag: String?, msg: String): Int = record('W', tag, msg)
    @JvmStatic fun e(tag: String?, msg: String): Int = record('E', tag, msg)
    @JvmStatic fun e(tag: String?, msg: String, tr: Throwable?): Int = record('E', tag, msg)

    private fun record(priority: Char, tag: String?, msg: String): Int {
        synchronized(calls) { calls.add(Triple(priority, tag, msg)) }
        return msg.length
    }
}
