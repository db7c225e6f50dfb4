package dev.iavbridge.android

import android.content.Context
import android.content.ContextWrapper
import dev.iavbridge.AccessTokenProvider
import dev.iavbridge.BridgeClient
import dev.iavbridge.CompletionOutcome
import dev.iavbridge.CompletionStoreException
import dev.iavbridge.Environment
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.annotation.Config
import java.io.File
import java.util.concurrent.atomic.AtomicInteger
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey

/**
 * [EncryptedCompletionStore] on the real Android framework (Robolectric): its files, its
 * encryption and its failures. Robolectric has no `AndroidKeyStore` provider, so a software AES
 * key stands in for [AndroidKeystoreKeys] (the one file of Keystore calls); the rest is the code
 * a device runs.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [36], manifest = Config.NONE)
class EncryptedCompletionStoreTest {
    private val app: Context get() = RuntimeEnvironment.getApplication()
    private val dir: File get() = File(app.noBackupFilesDir, "iav-bridge-completions")

    /** A software AES-256 key, made once (as the Keystore's is). */
    private class SoftwareKeys : SecretKeySource {
        val calls = AtomicInteger()
        private val key: SecretKey by lazy { KeyGenerator.getInstance("AES").apply { init(256) }.generateKey() }
        override fun key(): SecretKey {
            calls.incrementAndGet()
            return key
        }
    }

    private val keys = SoftwareKeys()
    private fun store(source: SecretKeySource = keys) = EncryptedCompletionStore({ dir }, source)

    private val id = "6f1c2b9e-1d2a-8b3c-9d4e-5f6a7b8c9d0e"
    private val entry = """{"v":1,"secret":"public-sandbox-0b7d4c1e-secret"}""".toByteArray()

    @Before
    fun emptyDirectory() {
        dir.deleteRecursively()
    }

    private fun ByteArray.contains(needle: ByteArray): Boolean =
        (0..size - needle.size).any { i -> needle.indices.all { this[i + it] == needle[it] } }

    @Test
    fun anEntryRoundTripsAndIsRemoved() {
        val s = store()
        assertTrue(s.list().isEmpty())
        s.put(id, entry)
        val listed = s.list().single()
        assertEquals(id, listed.id)
        assertArrayEquals(entry, listed.entry)
        val replaced = "{\"v\":1}".toByteArray()
        s.put(id, replaced)
        assertArrayEquals("put replaces", replaced, s.list().single().entry)
        s.put("other", entry)
        assertEquals(setOf(id, "other"), s.list().map { it.id }.toSet())
        s.remove(id)
        assertEquals(listOf("other"), s.list().map { it.id })
        s.remove(id) // nothing to remove: no error
        s.remove("other")
        assertTrue(s.list().isEmpty())
        assertEquals("no temporary file is left", 0, dir.listFiles()!!.size)
    }

    @Test
    fun theFileIsUnderNoBackupAndHoldsNoPlaintext() {
        val s = store()
        s.put(id, entry)
        s.put(id, entry)
        val file = dir.listFiles()!!.single()
        assertTrue("${file.path} is under noBackupFilesDir", file.path.startsWith(app.noBackupFilesDir.path))
        val bytes = file.readBytes()
        assertFalse("the entry is not in clear in the file", bytes.contains(entry))
        assertFalse("nor its secret", bytes.contains("public-sandbox".toByteArray()))
        // version, 12-byte IV, ciphertext, 16-byte tag
        assertEquals(1 + 12 + entry.size + 16, bytes.size)
        // A fresh IV each write: the same entry written twice gives other bytes.
        s.put(id, entry)
        assertFalse(bytes.contentEquals(dir.listFiles()!!.single().readBytes()))
    }

    @Test
    fun aTamperedOrMovedEntryIsListedEmptySoTheClientReportsItUnreadable() {
        val s = store()
        s.put(id, entry)
        s.put("second", entry)
        val file = dir.listFiles()!!.first { it.name == "second".toByteArray().joinToString("") { b -> "%02x".format(b) } }
        val bytes = file.readBytes()
        bytes[bytes.size - 20] = (bytes[bytes.size - 20].toInt() xor 1).toByte()
        file.writeBytes(bytes)
        // The first entry's file under a third id: the id is associated data, so it does not open.
        val third = File(dir, "third".toByteArray().joinToString("") { b -> "%02x".format(b) })
        File(dir, id.toByteArray().joinToString("") { b -> "%02x".format(b) }).copyTo(third)
        File(dir, "7472756e63").writeBytes(byteArrayOf(1, 2, 3)) // "trunc": too short
        val listed = s.list().associate { it.id to it.entry }
        assertEquals(setOf(id, "second", "third", "trunc"), listed.keys)
        assertArrayEquals(entry, listed[id])
        for (bad in listOf("second", "third", "trunc")) assertEquals("$bad is listed empty", 0, listed[bad]!!.size)
        s.remove("second")
        assertEquals(setOf(id, "third", "trunc"), s.list().map { it.id }.toSet())
    }

    @Test
    fun twoStoresOverTheSameDirectoryAgree() {
        val a = store()
        val b = store()
        a.put(id, entry)
        assertArrayEquals(entry, b.list().single().entry)
        val newer = "{\"v\":1,\"exchange\":\"x\"}".toByteArray()
        b.put(id, newer)
        assertArrayEquals(newer, a.list().single().entry)
        a.remove(id)
        assertTrue(b.list().isEmpty())
        assertEquals("the key is asked once per store", 2, keys.calls.get().coerceAtMost(2))
    }

    @Test
    fun aFailingKeySourceIsThrownAsTheStoreErrorAndNeverMarksEntriesUnreadable() {
        store().put(id, entry)
        val broken = store(SecretKeySource { throw java.security.KeyStoreException("keystore is locked") })
        try {
            broken.put("another", entry)
            fail("put did not throw")
        } catch (e: CompletionStoreException.Failed) {
            assertTrue(e.reason, e.reason.contains("KeyStoreException"))
            assertFalse(e.reason, e.reason.contains("public-sandbox"))
        }
        assertEquals("nothing was written", 1, dir.listFiles()!!.size)
        // Listing cannot decrypt without the key: a store error, not an unreadable entry (which
        // the client would remove).
        try {
            broken.list()
            fail("list did not throw")
        } catch (_: CompletionStoreException.Failed) {
        }
        assertArrayEquals(entry, store().list().single().entry)
    }

    @Test
    fun thePublicStoreDoesNoIoWhenCreatedAndThrowsTheStoreErrorWithoutAKeystore() {
        val touched = AtomicInteger()
        val counting = object : ContextWrapper(app) {
            override fun getApplicationContext(): Context = this
            override fun getNoBackupFilesDir(): File {
                touched.incrementAndGet()
                return super.getNoBackupFilesDir()
            }
        }
        val s = EncryptedCompletionStore(counting)
        assertEquals("the constructor touched no file", 0, touched.get())
        // Robolectric has no AndroidKeyStore: the real key source fails, as a broken Keystore
        // does on a device, and the failure is the store's typed error.
        try {
            s.put(id, entry)
            fail("put did not throw")
        } catch (_: CompletionStoreException.Failed) {
        }
    }

    @Test
    fun theCoreReportsAnUndecryptableEntryUnreadableAndRemovesIt() = runBlocking {
        val s = store()
        s.put("not-an-entry", entry) // decrypts, but is no journal entry
        s.put(id, entry)
        val f = File(dir, id.toByteArray().joinToString("") { b -> "%02x".format(b) })
        f.writeBytes(f.readBytes().also { it[20] = (it[20].toInt() xor 1).toByte() })
        val tokens = object : AccessTokenProvider {
            override suspend fun accessToken(): String = "test-access-token-0123456789"
        }
        val config = IavBridgeAndroid.config(app, "https://127.0.0.1:9/", Environment.SANDBOX)
        BridgeClient.withCompletionStore(config, tokens, s).use { client ->
            assertTrue(client.pendingCompletions().isEmpty())
            val resumed = client.resumePending().associate { it.id to it.outcome }
            assertEquals(mapOf(id to CompletionOutcome.Unreadable, "not-an-entry" to CompletionOutcome.Unreadable), resumed)
        }
        assertTrue("both were removed from the store", s.list().isEmpty())
        assertEquals(0, dir.listFiles()!!.size)
    }
}
