package dev.iavbridge.android

import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import java.security.KeyStore
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey

/**
 * Where [EncryptedCompletionStore] gets its AES key: the Android Keystore on a device; a
 * software key in tests (Robolectric has no `AndroidKeyStore` provider). Every Keystore call of
 * the library is in this file.
 */
internal fun interface SecretKeySource {
    /** The key, created on the first call; throws when the key cannot be had. */
    fun key(): SecretKey
}

/**
 * A 256-bit AES-GCM key in the Android Keystore under [alias], created on first use: its
 * material never leaves the Keystore (in hardware where the device has it), and it is usable for
 * encryption and decryption only, with GCM and no padding.
 */
internal class AndroidKeystoreKeys(private val alias: String) : SecretKeySource {
    override fun key(): SecretKey {
        val keyStore = KeyStore.getInstance(PROVIDER).apply { load(null) }
        (keyStore.getKey(alias, null) as? SecretKey)?.let { return it }
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, PROVIDER)
        generator.init(
            KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                // The Keystore draws a random IV for each encryption; a caller's IV is refused.
                .setRandomizedEncryptionRequired(true)
                .build(),
        )
        return generator.generateKey()
    }

    private companion object {
        const val PROVIDER = "AndroidKeyStore"
    }
}
