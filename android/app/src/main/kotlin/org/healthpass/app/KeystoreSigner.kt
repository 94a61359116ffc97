// The pharmacy device's signing key in the Android Keystore (hardware-backed where available).
package org.healthpass.app

import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import java.security.KeyPairGenerator
import java.security.KeyStore
import java.security.PrivateKey
import java.security.spec.ECGenParameterSpec
import org.healthpass.JcaSigner
import org.healthpass.ffi.Signer

object KeystoreSigner {
    private const val ALIAS = "org.healthpass.pharmacy"

    /** The device key (created on first use); signing goes through the JVM-tested JcaSigner. */
    fun get(): Signer = JcaSigner(privateKey())

    private fun privateKey(): PrivateKey {
        val keyStore = KeyStore.getInstance("AndroidKeyStore").apply { load(null) }
        (keyStore.getKey(ALIAS, null) as? PrivateKey)?.let { return it }
        val generator = KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, "AndroidKeyStore")
        generator.initialize(
            KeyGenParameterSpec.Builder(ALIAS, KeyProperties.PURPOSE_SIGN)
                .setAlgorithmParameterSpec(ECGenParameterSpec("secp256r1"))
                .setDigests(KeyProperties.DIGEST_SHA256)
                .build(),
        )
        return generator.generateKeyPair().private
    }
}
