package androidx.startup

import android.content.Context

/** JVM-only stand-in for androidx.startup's `Initializer` (same two methods). */
interface Initializer<T> {
    fun create(context: Context): T
    fun dependencies(): List<Class<out Initializer<*>>>
}
