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

    /**
     * The device key (created once, on first use); signing goes through the JVM-tested
     * JcaSigner, and the public key (for enrolment and the certificate check) comes from the
     * Keystore's certificate for the key.
     */
    fun get(): Signer {
        val keyStore = KeyStore.getInstance("AndroidKeyStore").apply { load(null) }
        if (keyStore.getKey(ALIAS, null) !is PrivateKey) {
            val generator = KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, "AndroidKeyStore")
            generator.initialize(
                KeyGenParameterSpec.Builder(ALIAS, KeyProperties.PURPOSE_SIGN)
                    .setAlgorithmParameterSpec(ECGenParameterSpec("secp256r1"))
                    .setDigests(KeyProperties.DIGEST_SHA256)
                    .build(),
            )
            generator.generateKeyPair()
        }
        val key = keyStore.getKey(ALIAS, null) as PrivateKey
        return JcaSigner(key, keyStore.getCertificate(ALIAS).publicKey)
    }
}
