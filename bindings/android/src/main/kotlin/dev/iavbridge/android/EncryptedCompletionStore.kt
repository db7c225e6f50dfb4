package dev.iavbridge.android

import android.content.Context
import dev.iavbridge.CompletionStore
import dev.iavbridge.CompletionStoreException
import dev.iavbridge.StoredCompletion
import java.io.File
import java.io.FileOutputStream
import java.security.GeneralSecurityException
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * The [CompletionStore] for Android: each pending completion in its own file under the app's
 * no-backup files directory (`Context.noBackupFilesDir/iav-bridge-completions/`: never in a cloud
 * backup, never restored onto another device), encrypted with AES-256-GCM under a key held in the
 * Android Keystore (alias `dev.iavbridge.completions`), with a random 12-byte IV for each write
 * and the entry's id as associated data (a file renamed to another id does not decrypt). A write
 * goes to a temporary file that is then renamed over the entry's, so a kill mid-write leaves the
 * old entry or the new one, never half of one.
 *
 * Give it to the client with `BridgeClient.withCompletionStore` (or [IavBridgeAndroid.loadClient]'s
 * `completionStore`). Creating it does no I/O, so it may be created on the main thread: the
 * directory and the key are made on the first [put] or [list], which the client calls on its I/O
 * threads. A failure (a full disk, a Keystore error) is thrown as [CompletionStoreException]; the
 * client then goes on from memory and logs a warning. An entry that does not decrypt (tampered,
 * truncated, or written under a key the Keystore no longer has) is listed with empty bytes, which
 * the client reports as `CompletionOutcome.Unreadable` and removes.
 */
public class EncryptedCompletionStore internal constructor(
    location: () -> File,
    private val keys: SecretKeySource,
) : CompletionStore {
    /** A store in [context]'s no-backup files directory, under the Android Keystore's key. */
    public constructor(context: Context) : this(
        context.applicationContext ?: context,
        AndroidKeystoreKeys(KEY_ALIAS),
    )

    private constructor(app: Context, keys: SecretKeySource) : this(
        { File(app.noBackupFilesDir, DIRECTORY) },
        keys,
    )

    private val dir: File by lazy(location)

    /** The key, asked of [keys] once it has been had (one at a time, across stores). */
    @Volatile
    private var cachedKey: SecretKey? = null

    override fun put(id: String, entry: ByteArray) {
        guarded("write") {
            val sealed = seal(id, entry)
            val dir = directory()
            val target = file(dir, id)
            val tmp = File(dir, ".${target.name}.${System.nanoTime()}.tmp")
            try {
                FileOutputStream(tmp).use { out ->
                    out.write(sealed)
                    out.fd.sync()
                }
                if (!tmp.renameTo(target)) throw java.io.IOException("could not rename the entry's temporary file")
            } finally {
                tmp.delete()
            }
        }
    }

    override fun remove(id: String) {
        guarded("remove") {
            val target = file(dir, id)
            if (!target.delete() && target.exists()) throw java.io.IOException("could not delete an entry")
        }
    }

    override fun list(): List<StoredCompletion> = guarded("list") {
        val files = directory().listFiles()?.filter { !it.name.startsWith(".") }.orEmpty()
        if (files.isEmpty()) return@guarded emptyList()
        val key = key()
        files.mapNotNull { f ->
            val id = idOf(f.name) ?: return@mapNotNull null
            val bytes = try {
                f.readBytes()
            } catch (_: java.io.FileNotFoundException) {
                return@mapNotNull null // removed meanwhile (by another store on this directory)
            }
            StoredCompletion(id, open(key, id, bytes) ?: ByteArray(0))
        }
    }

    /** The directory, created if needed. */
    private fun directory(): File {
        if (!dir.isDirectory && !dir.mkdirs() && !dir.isDirectory) {
            throw java.io.IOException("could not create the completions directory")
        }
        return dir
    }

    private fun key(): SecretKey = cachedKey ?: synchronized(keyLock) {
        cachedKey ?: keys.key().also { cachedKey = it }
    }

    /** `VERSION ‖ IV (12 bytes) ‖ AES-GCM(entry, aad = VERSION ‖ id) with its 16-byte tag`. */
    private fun seal(id: String, entry: ByteArray): ByteArray {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        // No IV given: the provider draws a random one (the Keystore refuses a caller's).
        cipher.init(Cipher.ENCRYPT_MODE, key())
        val iv = cipher.iv
        if (iv == null || iv.size != IV_BYTES) throw GeneralSecurityException("unexpected GCM IV length ${iv?.size}")
        cipher.updateAAD(aad(id))
        val body = cipher.doFinal(entry)
        return byteArrayOf(FORMAT_VERSION) + iv + body
    }

    /** The entry in [bytes], or `null` when they do not decrypt under [key] for [id]. */
    private fun open(key: SecretKey, id: String, bytes: ByteArray): ByteArray? {
        if (bytes.size < 1 + IV_BYTES + TAG_BITS / 8 || bytes[0] != FORMAT_VERSION) return null
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(TAG_BITS, bytes, 1, IV_BYTES))
        cipher.updateAAD(aad(id))
        return try {
            cipher.doFinal(bytes, 1 + IV_BYTES, bytes.size - 1 - IV_BYTES)
        } catch (_: AEADBadTagException) {
            null
        }
    }

    /** Runs [body], turning any failure into a [CompletionStoreException] that holds no entry. */
    private inline fun <T> guarded(what: String, body: () -> T): T = try {
        body()
    } catch (e: CompletionStoreException) {
        throw e
    } catch (e: Exception) {
        throw CompletionStoreException.Failed("could not $what a pending completion: ${e.javaClass.simpleName}")
    }

    private companion object {
        const val DIRECTORY = "iav-bridge-completions"
        const val KEY_ALIAS = "dev.iavbridge.completions"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val FORMAT_VERSION: Byte = 1
        const val IV_BYTES = 12
        const val TAG_BITS = 128

        /** One key creation at a time in the process, so two stores never make two keys. */
        val keyLock = Any()

        fun aad(id: String): ByteArray = byteArrayOf(FORMAT_VERSION) + id.toByteArray(Charsets.UTF_8)

        /** The file of [id]: its UTF-8 bytes in hex (an id is a UUID: 72 characters). */
        fun file(dir: File, id: String): File {
            val name = id.toByteArray(Charsets.UTF_8).joinToString("") { "%02x".format(it) }
            if (name.isEmpty() || name.length > 240) throw java.io.IOException("an entry id of ${id.length} characters has no file name")
            return File(dir, name)
        }

        fun idOf(name: String): String? {
            if (name.length % 2 != 0 || name.isEmpty()) return null
            return try {
                String(ByteArray(name.length / 2) { name.substring(2 * it, 2 * it + 2).toInt(16).toByte() }, Charsets.UTF_8)
            } catch (_: NumberFormatException) {
                null
            }
        }
    }
}
