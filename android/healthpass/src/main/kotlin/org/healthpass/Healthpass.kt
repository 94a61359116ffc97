// The idiomatic Kotlin face of healthpass: camera planes in, verdicts and passes out.
// Everything here runs on the JVM and on Android; the app shell only adds CameraX, the
// Android Keystore and screens.
package org.healthpass

import java.net.HttpURLConnection
import java.net.URI
import java.nio.ByteBuffer
import java.security.PrivateKey
import java.security.PublicKey
import java.security.Signature
import java.time.Instant
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import org.healthpass.ffi.BundleInfo
import org.healthpass.ffi.BundleMark
import org.healthpass.ffi.BundleUpdate
import org.healthpass.ffi.CertificateType
import org.healthpass.ffi.CheckpointEvent
import org.healthpass.ffi.CheckpointSession
import org.healthpass.ffi.CheckpointStats
import org.healthpass.ffi.DeviceEnrolment
import org.healthpass.ffi.FrameVerification
import org.healthpass.ffi.HealthpassException
import org.healthpass.ffi.HttpHeader
import org.healthpass.ffi.HttpRequest
import org.healthpass.ffi.HttpResponse
import org.healthpass.ffi.IssuedPass
import org.healthpass.ffi.OutboxDrain
import org.healthpass.ffi.OutboxEntry
import org.healthpass.ffi.OutboxSummary
import org.healthpass.ffi.PassFormat
import org.healthpass.ffi.PassIssuer
import org.healthpass.ffi.PassOutbox
import org.healthpass.ffi.PassScanner
import org.healthpass.ffi.PassVerifier
import org.healthpass.ffi.ProvisionalPass
import org.healthpass.ffi.ReceivedPass
import org.healthpass.ffi.ScannedCode
import org.healthpass.ffi.Signer
import org.healthpass.ffi.TestPassRequest
import org.healthpass.ffi.Transport
import org.healthpass.ffi.Verdict
import org.healthpass.ffi.VerdictStatus
import org.healthpass.ffi.demoTrustAnchor
import org.healthpass.ffi.deviceEnrolment
import org.healthpass.ffi.demoTrustBundle
import org.healthpass.ffi.qrPng
import org.healthpass.ffi.AddedPass
import org.healthpass.ffi.PassWallet
import org.healthpass.ffi.TransferInfo
import org.healthpass.ffi.WalletEntry
import org.healthpass.ffi.WalletExport
import org.healthpass.ffi.WalletFetch
import org.healthpass.ffi.WalletKey
import org.healthpass.ffi.WalletProtection

/**
 * The bytes of a luma plane from the buffer's current position: pass `plane.buffer.slice()`
 * (CameraX) or any view of a direct buffer. Android only guarantees
 * `rowStride * (height - 1) + width` bytes; that is enough.
 */
fun ByteBuffer.lumaBytes(): ByteArray {
    val view = slice()
    val bytes = ByteArray(view.remaining())
    view.get(bytes)
    return bytes
}

/**
 * A camera plane as the library wants it: the frame's bytes with their row stride, packed
 * (rows without padding) while they are copied out of the direct buffer, so the library does
 * not copy the frame again to pack it. A buffer too short for its geometry is passed as it is,
 * and the library says what was expected.
 */
internal class PackedPlane(val bytes: ByteArray, val rowStride: Int)

internal fun ByteBuffer.packedLuma(width: Int, height: Int, rowStride: Int): PackedPlane {
    val view = slice()
    val needed = if (height > 0) rowStride.toLong() * (height - 1) + width else 0L
    if (width <= 0 || height <= 0 || rowStride < width || view.remaining() < needed) {
        return PackedPlane(lumaBytes(), rowStride)
    }
    if (rowStride == width) {
        val bytes = ByteArray(width * height)
        view.get(bytes)
        return PackedPlane(bytes, width)
    }
    val bytes = ByteArray(width * height)
    for (row in 0 until height) {
        view.position(row * rowStride)
        view.get(bytes, row * width, width)
    }
    return PackedPlane(bytes, width)
}

/** Reads codes from camera frames. */
class FrameScanner : AutoCloseable {
    private val scanner = PassScanner()

    fun scan(plane: ByteBuffer, width: Int, height: Int, rowStride: Int): List<ScannedCode> =
        plane.packedLuma(width, height, rowStride).let {
            scanner.scan(it.bytes, width.toUInt(), height.toUInt(), it.rowStride.toUInt())
        }

    override fun close() = scanner.close()
}

/**
 * A controller's checkpoint: verifies passes offline against the trust bundle in force.
 * [anchors] are the pinned bundle-signing keys; [installed] is the mark of the bundle
 * installed before the restart (persist [installedMark] after each update): older bundles,
 * and a different bundle under the same sequence, are refused.
 */
class Checkpoint(anchors: List<ByteArray>, installed: BundleMark? = null) : AutoCloseable {
    /** The verifier; a pharmacy's outbox checks its provisional passes with its bundle. */
    val verifier = PassVerifier(anchors, installed)

    /** Installs a bundle; a refused one (bad signature, older, expired) leaves the bundle in force. */
    suspend fun loadBundle(bundle: ByteArray, at: Instant = Instant.now()): BundleInfo =
        withContext(Dispatchers.Default) { verifier.loadBundle(bundle, at.epochSecond) }

    /**
     * Keeps each verified bundle in [file] (app-private storage, written atomically) and
     * installs the one stored there: call it at start, before verifying, so a controller that
     * restarts offline keeps its last update. Null when nothing is stored yet; a stored bundle
     * that is refused (corrupted, expired) throws, and the next update replaces it.
     * Blocks for the signature check (main-safe: it runs on [Dispatchers.Default]).
     */
    suspend fun keepBundleAt(file: java.io.File, at: Instant = Instant.now()): BundleInfo? =
        withContext(Dispatchers.Default) { verifier.keepBundleAt(file.path, at.epochSecond) }

    /**
     * Downloads and installs a bundle through [transport], conditionally (`If-None-Match`):
     * `changed` is false when the server answered 304. Main-safe.
     */
    suspend fun updateBundle(transport: Transport, url: String, at: Instant = Instant.now()): BundleUpdate =
        withContext(Dispatchers.Default) { verifier.updateBundle(transport, url, at.epochSecond) }

    val bundle: BundleInfo? get() = verifier.bundleInfo()

    /** What identifies the installed bundle; persist it and give it back after a restart. */
    val installedMark: BundleMark? get() = verifier.installedMark()

    /** The country of arrival whose acceptance rules apply. */
    fun setArrivalCountry(country: String?) = verifier.setArrivalCountry(country)

    /** Trusts a signer certificate (DER, PEM or base64) beside the bundle's. */
    fun addSignerCertificate(certificate: ByteArray) = verifier.addSignerCertificate(certificate)

    fun verify(text: String, at: Instant = Instant.now()): Verdict = verifier.verifyText(text, at.epochSecond)

    fun verifyFrame(plane: ByteBuffer, width: Int, height: Int, rowStride: Int, at: Instant = Instant.now()): FrameVerification =
        plane.packedLuma(width, height, rowStride).let {
            verifier.verifyFrame(it.bytes, width.toUInt(), height.toUInt(), it.rowStride.toUInt(), at.epochSecond)
        }

    /** A scan loop over this checkpoint that shows each pass once while it stays in view. */
    fun session(repeatWindowMillis: Long = 5_000): ControllerSession = ControllerSession(this, repeatWindowMillis)

    override fun close() = verifier.close()

    companion object {
        /** A checkpoint on the demo trust bundle (demo signer, French demo rules). Demos only. */
        fun demo(arrivalCountry: String? = "FR"): Checkpoint =
            Checkpoint(listOf(demoTrustAnchor())).also {
                // The small demo bundle, installed synchronously (about 1 ms).
                it.verifier.loadBundle(demoTrustBundle(), Instant.now().epochSecond)
                it.setArrivalCountry(arrivalCountry)
            }
    }
}

/**
 * A controller's scan loop, with the core's de-duplication: each distinct pass is verified once,
 * then ignored while it stays in view ([repeatWindowMillis] after it was last seen). Call
 * [observe] from the camera's analysis thread (it scans and verifies: milliseconds to tens of
 * milliseconds); a bundle update of the [Checkpoint] applies from the next frame.
 */
class ControllerSession(checkpoint: Checkpoint, repeatWindowMillis: Long = 5_000) : AutoCloseable {
    private val session = CheckpointSession(checkpoint.verifier, repeatWindowMillis.toULong())

    /** The events of one frame: empty while the same pass stays in view. */
    fun observe(
        plane: ByteBuffer,
        width: Int,
        height: Int,
        rowStride: Int,
        capturedAtMillis: Long = System.currentTimeMillis(),
        at: Instant = Instant.now(),
    ): List<CheckpointEvent> = plane.packedLuma(width, height, rowStride).let {
        session.observeFrame(it.bytes, width.toUInt(), height.toUInt(), it.rowStride.toUInt(), capturedAtMillis.toULong(), at.epochSecond)
    }

    /** A text from a hand-held scanner, under the same window; null when seen just before. */
    fun observeText(text: String, capturedAtMillis: Long = System.currentTimeMillis(), at: Instant = Instant.now()): CheckpointEvent? =
        session.observeText(text, capturedAtMillis.toULong(), at.epochSecond)

    val stats: CheckpointStats get() = session.stats()

    override fun close() = session.close()
}

/**
 * Signs with a Java security key: on Android an Android Keystore key
 * (`KeyStore.getInstance("AndroidKeyStore")`, its certificate's public key beside it), on the
 * JVM any EC P-256 key pair. The signature is DER, which the library normalises.
 */
class JcaSigner(private val key: PrivateKey, private val publicKey: PublicKey) : Signer {
    /** SubjectPublicKeyInfo DER, as `PublicKey.getEncoded()` gives it. */
    override fun publicKey(): ByteArray = publicKey.encoded

    override fun sign(data: ByteArray): ByteArray =
        Signature.getInstance("SHA256withECDSA").run {
            initSign(key)
            update(data)
            sign()
        }

    /**
     * What the operator needs to enrol this device with the central issuer: its device id,
     * public key and the enrolment body. The private key never leaves the key store.
     */
    fun enrolment(pharmacyId: String, pharmacyName: String): DeviceEnrolment =
        deviceEnrolment(this, pharmacyId, pharmacyName)
}

/** Issues test passes at a pharmacy, signing with the platform key. */
class PharmacyIssuer(signer: Signer, certificate: ByteArray, issuingCountry: String, passLifetimeHours: Int = 72) :
    AutoCloseable {
    private val issuer = PassIssuer(signer, certificate, issuingCountry, passLifetimeHours.toUInt())

    /** Main-safe: the signature (a Keystore operation) runs on [Dispatchers.Default]. */
    suspend fun issueTest(request: TestPassRequest, at: Instant = Instant.now()): IssuedPass =
        withContext(Dispatchers.Default) { issuer.issueTest(request, at.epochSecond) }

    /** The pass's QR code as PNG, [modulePixels] per module. */
    suspend fun qrCode(pass: IssuedPass, modulePixels: Int = 8): ByteArray =
        withContext(Dispatchers.Default) { qrPng(pass.text, modulePixels.toUInt()) }

    override fun close() = issuer.close()
}

/** HTTP through `java.net` (no third-party client needed; OkHttp works the same way). */
/**
 * The pharmacy device's outbox: every entry is written to [file] before it is sent, and kept
 * until its pass arrives. Call [drain] when the network returns and at
 * [OutboxDrain.nextAttemptAtMs] (a WorkManager job); [send] while the pharmacist waits.
 */
class PharmacyOutbox(file: java.io.File, signer: Signer) : AutoCloseable {
    private val outbox = PassOutbox.open(file.path, signer)

    val deviceId: String get() = outbox.deviceId()

    /** Main-safe: one SQLite transaction (an fsync) on [Dispatchers.IO]. */
    suspend fun enqueue(endpoint: String, request: TestPassRequest, interactive: Boolean = true, at: Instant = Instant.now()): String =
        withContext(Dispatchers.IO) { outbox.enqueue(endpoint, request, interactive, at.toEpochMilli()) }

    suspend fun send(ticket: String, transport: Transport, at: Instant = Instant.now()): OutboxEntry =
        outbox.send(ticket, transport, at.toEpochMilli())

    suspend fun drain(transport: Transport, at: Instant = Instant.now()): OutboxDrain = outbox.drain(transport, at.toEpochMilli())

    fun retryNow(at: Instant = Instant.now()): Int = outbox.retryNow(at.toEpochMilli()).toInt()

    val summary: OutboxSummary get() = outbox.summary()

    fun entries(at: Instant = Instant.now()): List<OutboxEntry> = outbox.entries(at.toEpochMilli())

    fun pass(ticket: String): ReceivedPass? = outbox.pass(ticket)

    /** Fetches a fresh delegation credential (at enrolment, then whenever online). */
    suspend fun renewCredential(endpoint: String, transport: Transport, at: Instant = Instant.now()): String =
        outbox.renewCredential(endpoint, transport, at.toEpochMilli())

    /**
     * The signed paper fallback: a provisional pass signed on this device, checked against
     * [trust]'s bundle, standing for the request [replacing] (withdrawn); its reconciliation is
     * queued and sent by [drain] when the issuer is back.
     */
    suspend fun issueProvisional(
        request: TestPassRequest,
        trust: Checkpoint,
        endpoint: String,
        replacing: String? = null,
        at: Instant = Instant.now(),
    ): ProvisionalPass = withContext(Dispatchers.Default) { outbox.issueProvisional(request, trust.verifier, endpoint, replacing, at.toEpochMilli()) }

    override fun close() = outbox.close()
}

/**
 * Seals wallet rows with AES-256-GCM under a key the platform keeps: on Android an Android
 * Keystore key (`KeyGenParameterSpec` with `PURPOSE_ENCRYPT or PURPOSE_DECRYPT`,
 * `BLOCK_MODE_GCM`, `ENCRYPTION_PADDING_NONE`; the key store picks each IV), on the JVM any AES
 * key. The sealed value is the 12-byte IV, then the ciphertext and its tag; [context] is bound
 * in as associated data.
 */
class AesGcmWalletKey(private val key: javax.crypto.SecretKey) : WalletKey {
    override fun seal(plaintext: ByteArray, context: ByteArray): ByteArray {
        val cipher = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(javax.crypto.Cipher.ENCRYPT_MODE, key)
        cipher.updateAAD(context)
        val sealed = cipher.doFinal(plaintext)
        return cipher.iv + sealed
    }

    override fun unseal(sealed: ByteArray, context: ByteArray): ByteArray {
        if (sealed.size < 12 + 16) throw HealthpassException.Platform("a sealed wallet value is too short")
        return try {
            val cipher = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding")
            cipher.init(javax.crypto.Cipher.DECRYPT_MODE, key, javax.crypto.spec.GCMParameterSpec(128, sealed, 0, 12))
            cipher.updateAAD(context)
            cipher.doFinal(sealed, 12, sealed.size - 12)
        } catch (error: java.security.GeneralSecurityException) {
            throw HealthpassException.Platform("a wallet value does not open with this key (${error.javaClass.simpleName})")
        }
    }
}

/**
 * The traveller's wallet in [file] (app-private storage), sealed with [key] (null: plain
 * storage, which [protection] reports). Passes are read offline; [fetch] registers transfer
 * codes and collects final passes (a WorkManager job at the earliest `nextPollAt`).
 */
class TravellerWallet(file: java.io.File, key: WalletKey?) : AutoCloseable {
    private val wallet = PassWallet.open(file.path, key)

    val protection: WalletProtection get() = wallet.protection()

    /** Main-safe: one SQLite transaction on [Dispatchers.IO]. */
    suspend fun addText(text: String, at: Instant = Instant.now()): AddedPass =
        withContext(Dispatchers.IO) { wallet.addText(text, at.epochSecond) }

    /** A camera frame's luma plane (rows packed), read by the scanner. */
    suspend fun addFrame(luma: ByteArray, width: Int, height: Int, at: Instant = Instant.now()): AddedPass =
        withContext(Dispatchers.Default) { wallet.addFrame(luma, width.toUInt(), height.toUInt(), at.epochSecond) }

    /** A shared file: a picture of the code or its text. */
    suspend fun addFile(bytes: ByteArray, at: Instant = Instant.now()): AddedPass =
        withContext(Dispatchers.Default) { wallet.addFile(bytes, at.epochSecond) }

    /** The passes in force and their state at [at]; checked against [trust] when given. */
    suspend fun passes(at: Instant = Instant.now(), trust: Checkpoint? = null): List<WalletEntry> =
        withContext(Dispatchers.Default) { wallet.list(at.epochSecond, trust?.verifier) }

    /** Every pass, replaced provisional passes included. */
    suspend fun history(at: Instant = Instant.now(), trust: Checkpoint? = null): List<WalletEntry> =
        withContext(Dispatchers.Default) { wallet.history(at.epochSecond, trust?.verifier) }

    fun passText(id: Long): String = wallet.passText(id)

    suspend fun remove(id: Long): Boolean = withContext(Dispatchers.IO) { wallet.remove(id) }

    suspend fun export(id: Long, format: WalletExport): ByteArray =
        withContext(Dispatchers.Default) { wallet.export(id, format) }

    /** A transfer code for the pharmacist; [fetch] registers it with the issuer at [endpoint]. */
    suspend fun newTransferCode(endpoint: String, at: Instant = Instant.now()): String =
        withContext(Dispatchers.IO) { wallet.createTransfer(endpoint, at.epochSecond) }

    val transfers: List<TransferInfo> get() = wallet.transfers()

    suspend fun fetch(transport: Transport, force: Boolean = false, at: Instant = Instant.now()): WalletFetch =
        wallet.fetch(transport, force, at.epochSecond)

    override fun close() = wallet.close()
}

class UrlConnectionTransport(private val timeoutMillis: Int = 15_000) : Transport {
    override suspend fun send(request: HttpRequest): HttpResponse =
        withContext(Dispatchers.IO) {
            val connection = URI(request.url).toURL().openConnection() as HttpURLConnection
            try {
                connection.requestMethod = request.method
                connection.connectTimeout = timeoutMillis
                connection.readTimeout = timeoutMillis
                request.headers.forEach { connection.setRequestProperty(it.name, it.value) }
                if (request.body.isNotEmpty()) {
                    connection.doOutput = true
                    connection.outputStream.use { it.write(request.body) }
                }
                val status = connection.responseCode
                val stream = if (status >= 400) connection.errorStream else connection.inputStream
                val body = stream?.use { it.readBytes() } ?: ByteArray(0)
                val headers = connection.headerFields.filterKeys { it != null }
                    .flatMap { (name, values) -> values.map { HttpHeader(name, it) } }
                HttpResponse(status.toUShort(), headers, body)
            } catch (error: java.io.IOException) {
                throw HealthpassException.Platform("network: ${error.javaClass.simpleName}: ${error.message}")
            } finally {
                connection.disconnect()
            }
        }
}

/** What went wrong, for people: the library's message without the variant's field name. */
val HealthpassException.reason: String
    get() = when (this) {
        is HealthpassException.InvalidInput -> reason
        is HealthpassException.NotAPass -> reason
        is HealthpassException.TrustData -> reason
        is HealthpassException.Platform -> reason
        is HealthpassException.Internal -> reason
    }

/** What a controller's screen shows. */
/** GREEN: valid. AMBER: provisional (signed by a certified pharmacy during an outage; accept it). RED: not valid. */
enum class Signal { GREEN, AMBER, RED }

data class VerdictPresentation(
    val signal: Signal,
    val headline: String,
    /** Why not, in the order found (empty when valid), in English with details. */
    val reasons: List<String>,
    /** Why not, short, in the presentation's language (French or English): what a screen shows. */
    val reasonTitles: List<String>,
    /**
     * What the issuer wrote oddly without changing the decision (a valid pass with notices is
     * still green): show them small, below the verdict.
     */
    val notices: List<String>,
    /** For the identity check: the name as printed, then its machine-readable form. */
    val name: String?,
    val machineReadableName: String?,
    val dateOfBirth: String?,
    /** "EU DCC" or "French 2D-DOC": which kind of code was read. */
    val codeFormat: String,
)

private fun frenchHeadline(verdict: Verdict): String {
    val kind = when (verdict.certificateType) {
        CertificateType.TEST -> "de test"
        CertificateType.VACCINATION -> "de vaccination"
        CertificateType.RECOVERY -> "de rétablissement"
        null -> "sanitaire"
    }
    return when (verdict.status) {
        VerdictStatus.VALID -> "Certificat $kind valide"
        VerdictStatus.PROVISIONAL ->
            "Certificat $kind provisoire de ${verdict.provisional?.pharmacyName ?: "une pharmacie habilitée"}"
        VerdictStatus.INVALID -> "Non valide"
    }
}

/**
 * The result screen's content for a verdict: green, amber or red, the reasons, name and birth
 * date. [language] is a locale tag: French for `fr…` (as `Locale.getDefault().language` gives
 * it), English otherwise.
 */
fun Verdict.presentation(language: String = "en"): VerdictPresentation {
    val french = language.lowercase().startsWith("fr")
    val holder = holder
    val printedName = listOfNotNull(holder?.givenName, holder?.familyName).joinToString(" ").ifBlank { null }
    // A 2D-DOC has no machine-readable (ICAO) name: its names are already upper-case ASCII.
    val machineName = holder
        ?.takeIf { it.familyNameTransliterated != null || it.givenNameTransliterated != null }
        ?.let { "${it.familyNameTransliterated.orEmpty()}<<${it.givenNameTransliterated.orEmpty()}" }
    val kind = certificateType?.name?.lowercase() ?: "health"
    return VerdictPresentation(
        signal = when (status) {
            VerdictStatus.VALID -> Signal.GREEN
            VerdictStatus.PROVISIONAL -> Signal.AMBER
            VerdictStatus.INVALID -> Signal.RED
        },
        headline = if (french) frenchHeadline(this) else when (status) {
            VerdictStatus.VALID -> "Valid $kind certificate"
            VerdictStatus.PROVISIONAL ->
                "Provisional $kind certificate from ${provisional?.pharmacyName ?: "a certified pharmacy"}"
            VerdictStatus.INVALID -> "Not valid"
        },
        reasons = reasons.map { it.message },
        reasonTitles = reasons.map { if (french) it.titleFrench else it.titleEnglish },
        notices = notices.map { it.message },
        name = printedName,
        machineReadableName = machineName,
        dateOfBirth = holder?.dateOfBirth?.ifBlank { "unknown" },
        codeFormat = when (format) {
            PassFormat.HC1 -> "EU DCC"
            PassFormat.TWO_D_DOC -> "French 2D-DOC"
        },
    )
}
