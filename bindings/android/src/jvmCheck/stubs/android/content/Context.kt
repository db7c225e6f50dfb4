package android.content

/** JVM-only stand-in for Android's `Context` (see ../../README.md). */
abstract class Context {
    abstract val packageName: String
    abstract val applicationContext: Context?
}
