// JVM tests of the Kotlin facade and the generated bindings, against the host library
// (run by the cargo test `kotlin_bindings_compile_and_pass_on_the_jvm`).
package org.healthpass

import com.sun.net.httpserver.HttpServer
import java.io.ByteArrayInputStream
import java.io.File
import java.net.InetSocketAddress
import java.nio.ByteBuffer
import java.security.KeyFactory
import java.security.KeyPairGenerator
import java.security.cert.CertificateFactory
import java.security.cert.X509Certificate
import java.security.spec.ECGenParameterSpec
import java.security.spec.PKCS8EncodedKeySpec
import java.time.Instant
import java.util.Base64
import javax.imageio.ImageIO
import kotlinx.coroutines.runBlocking
import org.healthpass.ffi.CheckpointEvent
import org.healthpass.ffi.FrameVerification
import org.healthpass.ffi.PassFormat
import org.healthpass.ffi.Symbology
import org.healthpass.ffi.HealthpassException
import org.healthpass.ffi.Signer
import org.healthpass.ffi.TestPassRequest
import org.healthpass.ffi.TestResult
import org.healthpass.ffi.TestType
import org.healthpass.ffi.VerdictStatus
import org.healthpass.ffi.TransferCodeState
import org.healthpass.ffi.WalletExport
import org.healthpass.ffi.WalletPassState
import org.healthpass.ffi.WalletProtection
import org.healthpass.ffi.demoTrustAnchor
import org.healthpass.ffi.demoTrustBundle
import org.healthpass.ffi.qrPng
import org.healthpass.ffi.reasonCatalogue
import org.healthpass.ffi.rapidTestDevices
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

class HealthpassTest {
    private val repository = File(System.getProperty("healthpass.repo") ?: "../../..")
    private val now: Instant = Instant.now()

    /** The demo signer's key and certificate (the demo bundle trusts this signer). */
    private fun demoSignerKey() = KeyFactory.getInstance("EC").generatePrivate(
        PKCS8EncodedKeySpec(pemBody(File(repository, "cli/demo/signer-key.pem").readText())),
    )

    private fun demoCertificate(): ByteArray = File(repository, "cli/demo/signer.pem").readBytes()

    private fun demoPublicKey() = (CertificateFactory.getInstance("X.509")
        .generateCertificate(ByteArrayInputStream(demoCertificate())) as X509Certificate).publicKey

    private fun demoSigner() = JcaSigner(demoSignerKey(), demoPublicKey())

    private fun pemBody(pem: String): ByteArray =
        Base64.getDecoder().decode(pem.lines().filter { !it.startsWith("-----") }.joinToString(""))

    private fun request(result: TestResult = TestResult.NEGATIVE, dateOfBirth: String = "1987-04-12") = TestPassRequest(
        familyName = "Dubois-Lefèvre",
        givenName = "Amélie",
        dateOfBirth = dateOfBirth,
        testType = TestType.RAPID_ANTIGEN,
        device = "1232",
        testName = null,
        sampledAt = now.epochSecond - 1800,
        result = result,
        centre = "Pharmacie du Centre",
        country = "FR",
        issuer = "ARS",
    )

    private fun demoIssuer(signer: Signer = demoSigner()) = PharmacyIssuer(signer, demoCertificate(), "FR")

    /** A luma frame holding [text]'s QR code, in an Android-style direct buffer. */
    private class Frame(val buffer: ByteBuffer, val width: Int, val height: Int, val rowStride: Int)

    private fun frameOf(text: String, padding: Int, stride: Int): Frame {
        val image = ImageIO.read(ByteArrayInputStream(qrPng(text, 4u)))
        val width = image.width + 2 * padding
        val height = image.height + 2 * padding
        val rowStride = width + stride
        // 7 bytes before the plane, as a camera buffer's view may start mid-allocation; the last
        // row carries no padding, as Android guarantees only rowStride * (height - 1) + width.
        val buffer = ByteBuffer.allocateDirect(7 + rowStride * (height - 1) + width)
        for (y in 0 until height) {
            for (x in 0 until width) {
                val inside = x >= padding && y >= padding && x < width - padding && y < height - padding
                val luma = if (inside) image.getRGB(x - padding, y - padding) and 0xff else 255
                buffer.put(7 + y * rowStride + x, luma.toByte())
            }
        }
        buffer.position(7)
        return Frame(buffer.slice(), width, height, rowStride)
    }

    @Test
    fun scansAFramePassedAsADirectBufferSliceWithAWideRowStride(): Unit = runBlocking {
        val pass = demoIssuer().use { it.issueTest(request(), now) }
        val frame = frameOf(pass.text, padding = 40, stride = 64)
        val codes = FrameScanner().use { it.scan(frame.buffer, frame.width, frame.height, frame.rowStride) }
        assertEquals(listOf(pass.text), codes.map { it.text })
        assertEquals(4, codes.single().corners.size)
    }

    @Test
    fun verifiesAValidPassFromAFrameInOneCall(): Unit = runBlocking {
        val pass = demoIssuer().use { it.issueTest(request(), now) }
        val frame = frameOf(pass.text, padding = 24, stride = 16)
        Checkpoint.demo().use { checkpoint ->
            val result = checkpoint.verifyFrame(frame.buffer, frame.width, frame.height, frame.rowStride, now)
            assertTrue(result is FrameVerification.Verified)
            val verdict = (result as FrameVerification.Verified).verdict
            assertEquals(VerdictStatus.VALID, verdict.status)
            assertEquals(3, verdict.ruleOutcomes.size)
            val screen = verdict.presentation()
            assertEquals(Signal.GREEN, screen.signal)
            assertEquals("Valid test certificate", screen.headline)
            assertEquals("Amélie Dubois-Lefèvre", screen.name)
            assertEquals("DUBOIS<LEFEVRE<<AMELIE", screen.machineReadableName)
            assertEquals("1987-04-12", screen.dateOfBirth)
            // A frame without a code.
            val blank = ByteBuffer.allocateDirect(320 * 240).apply { while (hasRemaining()) put(200.toByte()) }
            blank.rewind()
            assertEquals(FrameVerification.NoCode, checkpoint.verifyFrame(blank, 320, 240, 320, now))
        }
    }

    @Test
    fun saysWhyAPassIsInvalid(): Unit = runBlocking {
        val positive = demoIssuer().use { it.issueTest(request(TestResult.POSITIVE), now) }
        Checkpoint.demo().use { checkpoint ->
            val verdict = checkpoint.verify(positive.text, now)
            assertEquals(VerdictStatus.INVALID, verdict.status)
            assertEquals(listOf("test_result_positive", "rule_failed"), verdict.reasons.map { it.code })
            val screen = verdict.presentation()
            assertEquals(Signal.RED, screen.signal)
            assertTrue(screen.reasons.contains("rule TR-FR-0001: The test result must be negative (not detected)."))
            // Expired long after.
            val late = checkpoint.verify(demoIssuer().use { it.issueTest(request(), now) }.text, now.plusSeconds(30L * 24 * 3600))
            assertTrue(late.reasons.map { it.code }.contains("expired"))
        }
    }

    @Test
    fun issuesWithAKotlinSignerReturningDer(): Unit = runBlocking {
        var signatures = 0
        val counting = object : Signer {
            val inner = demoSigner()
            override fun publicKey(): ByteArray = inner.publicKey()
            override fun sign(data: ByteArray): ByteArray = inner.sign(data).also {
                signatures++
                assertEquals(0x30, it[0].toInt()) // an ASN.1 SEQUENCE: DER, as the Keystore returns
            }
        }
        val issuer = demoIssuer(counting)
        val pass = issuer.issueTest(request(), now)
        assertEquals(1, signatures)
        assertTrue(pass.text.startsWith("HC1:"))
        assertTrue(pass.certificateId.startsWith("URN:UVCI:01:FR:"))
        assertEquals(now.epochSecond - 1800 + 72 * 3600, pass.expiresAt)
        val png = issuer.qrCode(pass)
        assertEquals(0x89.toByte(), png[0])
        issuer.close()
        Checkpoint.demo().use { assertEquals(VerdictStatus.VALID, it.verify(pass.text, now).status) }
        assertTrue(rapidTestDevices().any { it.code == "1232" && it.display.contains("Panbio") })
    }

    @Test
    fun aDeviceKeyGivesTheEnrolmentTheIssuerExpects(): Unit = runBlocking {
        val pair = KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }.generateKeyPair()
        val enrolment = JcaSigner(pair.private, pair.public).enrolment(" FINESS-750000001 ", "Pharmacie du Centre")
        // The device id is the key's kid: the first 8 bytes of SHA-256(SubjectPublicKeyInfo DER), base64url.
        val digest = java.security.MessageDigest.getInstance("SHA-256").digest(pair.public.encoded)
        assertEquals(Base64.getUrlEncoder().withoutPadding().encodeToString(digest.copyOf(8)), enrolment.deviceId)
        assertEquals(Base64.getEncoder().encodeToString(pair.public.encoded), enrolment.publicKey)
        assertTrue(enrolment.requestJson, enrolment.requestJson.contains("\"pharmacy_id\":\"FINESS-750000001\""))
        // A key that is not P-256 is the platform's error, said plainly.
        val rsa = KeyPairGenerator.getInstance("RSA").apply { initialize(2048) }.generateKeyPair()
        try {
            JcaSigner(rsa.private, rsa.public).enrolment("FINESS-1", "Pharmacie")
            fail("an RSA key cannot enrol")
        } catch (error: HealthpassException.Platform) {
            assertTrue(error.reason, error.reason.contains("P-256"))
        }
    }

    @Test
    fun aFailingSignerBecomesAPlatformErrorWithoutAStackTrace(): Unit = runBlocking {
        val throwing = object : Signer {
            override fun publicKey(): ByteArray = demoPublicKey().encoded
            override fun sign(data: ByteArray): ByteArray = throw IllegalStateException("user authentication required")
        }
        try {
            demoIssuer(throwing).use { it.issueTest(request(), now) }
            fail("a failing signer must not produce a pass")
        } catch (error: HealthpassException.Platform) {
            assertTrue(error.reason, error.reason.contains("user authentication required"))
            assertFalse(error.reason, error.reason.contains("\tat ") || error.reason.contains("HealthpassTest.kt"))
        }
        val refusing = object : Signer {
            override fun publicKey(): ByteArray = demoPublicKey().encoded
            override fun sign(data: ByteArray): ByteArray = throw HealthpassException.Platform("key permanently invalidated")
        }
        try {
            demoIssuer(refusing).use { it.issueTest(request(), now) }
            fail("a refusing signer must not produce a pass")
        } catch (error: HealthpassException.Platform) {
            assertTrue(error.reason.contains("key permanently invalidated"))
        }
        // A key that is not the certified one: named as such before anything is signed.
        val otherKey = KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }.generateKeyPair()
        try {
            demoIssuer(JcaSigner(otherKey.private, otherKey.public)).use { it.issueTest(request(), now) }
            fail("an issuer with the wrong key must be refused")
        } catch (error: HealthpassException.InvalidInput) {
            assertTrue(error.reason, error.reason.contains("does not belong to the signer certificate"))
        }
        // A platform that reports the certified key but signs with another: the self-check refuses the pass.
        val lying = object : Signer {
            val inner = JcaSigner(otherKey.private, otherKey.public)
            override fun publicKey(): ByteArray = demoPublicKey().encoded
            override fun sign(data: ByteArray): ByteArray = inner.sign(data)
        }
        try {
            demoIssuer(lying).use { it.issueTest(request(), now) }
            fail("a pass signed with the wrong key must be refused")
        } catch (error: HealthpassException.Platform) {
            assertTrue(error.reason, error.reason.contains("signature_invalid"))
        }
    }

    @Test
    fun mapsErrorsToWhatAnAppCanActOn(): Unit = runBlocking {
        demoIssuer().use { issuer ->
            try {
                issuer.issueTest(request(dateOfBirth = "31/12/1980"), now)
                fail("a malformed date of birth is an input error")
            } catch (error: HealthpassException.InvalidInput) {
                assertTrue(error.reason.contains("date of birth"))
                assertFalse(error.reason.contains("31/12/1980"))
            }
        }
        FrameScanner().use { scanner ->
            try {
                scanner.scan(ByteBuffer.allocateDirect(100), 20, 20, 20)
                fail("a short buffer is an input error")
            } catch (error: HealthpassException.InvalidInput) {
                assertTrue(error.reason, error.reason.contains("needs at least 400"))
            }
        }
        Checkpoint.demo().use { checkpoint ->
            try {
                checkpoint.verify("HC1:NOT/A/PASS", now)
                fail("garbage is not a pass")
            } catch (error: HealthpassException.NotAPass) {
                assertTrue(error.reason.startsWith("base45:"))
            }
            val forged = demoTrustBundle().also { it[it.size - 3] = (it[it.size - 3].toInt() xor 1).toByte() }
            try {
                checkpoint.loadBundle(forged)
                fail("a forged bundle is refused")
            } catch (error: HealthpassException.TrustData) {
                assertTrue(error.reason, error.reason.contains("signature"))
            }
            assertEquals(1uL, checkpoint.bundle?.sequence) // the bundle in force stays
            try {
                checkpoint.loadBundle(demoTrustBundle(), Instant.parse("2040-01-01T00:00:00Z"))
                fail("an expired bundle is refused")
            } catch (error: HealthpassException.TrustData) {
                assertTrue(error.reason, error.reason.contains("expired"))
            }
        }
        // After a restart with the persisted mark, an older bundle is a rollback.
        val mark = Checkpoint.demo().use { it.installedMark }
        assertNotNull(mark)
        Checkpoint(listOf(demoTrustAnchor()), mark!!.copy(sequence = 2uL)).use { restarted ->
            try {
                restarted.loadBundle(demoTrustBundle())
                fail("a bundle older than the persisted mark is refused")
            } catch (error: HealthpassException.TrustData) {
                assertTrue(error.reason, error.reason.contains("roll back"))
            }
        }
    }

    @Test
    fun downloadsTheTrustBundleThroughThePlatformTransport(): Unit = runBlocking {
        val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
        server.createContext("/bundle") { exchange ->
            val body = demoTrustBundle()
            exchange.sendResponseHeaders(200, body.size.toLong())
            exchange.responseBody.use { it.write(body) }
        }
        server.start()
        try {
            val base = "http://127.0.0.1:${server.address.port}"
            Checkpoint(listOf(demoTrustAnchor())).use { checkpoint ->
                val info = runBlocking { checkpoint.updateBundle(UrlConnectionTransport(), "$base/bundle") }.bundle
                assertEquals(1uL, info.sequence)
                assertEquals(3u, info.rules)
                assertEquals(1uL, checkpoint.installedMark?.sequence)
                assertEquals(32, checkpoint.installedMark?.digest?.size)
                try {
                    runBlocking { checkpoint.updateBundle(UrlConnectionTransport(), "$base/missing") }
                    fail("a 404 is an error")
                } catch (error: HealthpassException.Platform) {
                    assertTrue(error.reason, error.reason.contains("HTTP 404"))
                }
                assertNotNull(checkpoint.bundle)
            }
        } finally {
            server.stop(0)
        }
    }

    /** A field of the project's tolerance vector, read without a JSON library. */
    private fun vectorField(json: String, name: String): String =
        Regex("\"$name\"\\s*:\\s*\"([^\"]*)\"").find(json)!!.groupValues[1]

    @Test
    fun aPassWrittenOddlyIsGreenWithANoticeAndTheBirthDateAsWritten(): Unit = runBlocking {
        val vector = File(repository, "tests/vectors/dgc/common/2DCode/raw/TOL1.json").readText()
        val at = Instant.parse(vectorField(vector, "VALIDATIONCLOCK"))
        Checkpoint(emptyList()).use { checkpoint ->
            checkpoint.addSignerCertificate(vectorField(vector, "CERTIFICATE").toByteArray())
            val verdict = checkpoint.verify(vectorField(vector, "PREFIX"), at)
            assertEquals(VerdictStatus.VALID, verdict.status)
            assertEquals(listOf("date_as_written"), verdict.notices.map { it.code })
            assertEquals("/dob", verdict.notices.single().field)
            val screen = verdict.presentation()
            assertEquals(Signal.GREEN, screen.signal)
            assertEquals(1, screen.notices.size)
            assertEquals("1989-00-20", screen.dateOfBirth)
        }
    }

    /** The real issuer service (`healthpass-issuer`, SQLite) on loopback, as the harness built it. */
    private inner class IssuerProcess(private val work: File, val port: Int) {
        private var process: Process? = null

        fun start() {
            val binary = System.getProperty("healthpass.issuer") ?: error("-Dhealthpass.issuer is not set")
            process = ProcessBuilder(
                binary, "--db", File(work, "issuer.sqlite").path, "--dsc-key", File(work, "dsc-key.pem").path,
                "--dsc-cert", File(work, "dsc.der").path, "--listen", "127.0.0.1:$port",
                "--operator-token-file", File(work, "operator.token").path,
                "--fallback-key", File(work, "fallback-key.pem").path,
            ).redirectErrorStream(true).redirectOutput(File(work, "issuer.log")).start()
            val deadline = System.nanoTime() + 20_000_000_000L
            while (System.nanoTime() < deadline) {
                try {
                    java.net.Socket("127.0.0.1", port).close()
                    return
                } catch (_: java.io.IOException) {
                    Thread.sleep(50)
                }
            }
            fail("the issuer did not start: " + File(work, "issuer.log").readText())
        }

        /** SIGKILL, as a crashed server or a pulled plug. */
        fun kill() {
            process?.destroyForcibly()?.waitFor()
        }

        fun post(path: String, body: String, token: String): Pair<Int, String> {
            val connection = java.net.URI("http://127.0.0.1:$port$path").toURL().openConnection() as java.net.HttpURLConnection
            connection.requestMethod = "POST"
            connection.doOutput = true
            connection.setRequestProperty("Authorization", "Bearer $token")
            connection.setRequestProperty("Content-Type", "application/json")
            connection.outputStream.use { it.write(body.toByteArray()) }
            val status = connection.responseCode
            val text = (if (status >= 400) connection.errorStream else connection.inputStream)?.use { String(it.readBytes()) } ?: ""
            return status to text
        }

        fun metric(name: String): Long {
            val text = java.net.URI("http://127.0.0.1:$port/metrics").toURL().readText()
            return text.lines().first { it.startsWith("$name ") }.substringAfter(' ').trim().toLong()
        }
    }

    @Test
    fun theOutboxDeliversEveryRequestOnceAcrossAnIssuerCrashAndRestartWithAProvisionalPass(): Unit = runBlocking {
        val work = File(System.getProperty("healthpass.work") ?: error("-Dhealthpass.work is not set"))
        val port = java.net.ServerSocket(0).use { it.localPort }
        val issuer = IssuerProcess(work, port)
        issuer.start()
        val keys = KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }.generateKeyPair()
        val signer = JcaSigner(keys.private, keys.public)
        val enrolment = signer.enrolment("FINESS-690000001", "Pharmacie du Centre")
        val token = File(work, "operator.token").readText().trim()
        assertEquals(201, issuer.post("/v1/devices", enrolment.requestJson, token).first)

        val endpoint = "http://127.0.0.1:$port"
        val transport = UrlConnectionTransport(timeoutMillis = 5_000)
        PharmacyOutbox(File(work, "outbox.sqlite"), signer).use { outbox ->
            assertEquals(enrolment.deviceId, outbox.deviceId)
            assertTrue(outbox.renewCredential(endpoint, transport).isNotEmpty())
            val trust = Checkpoint(listOf(File(work, "fallback-anchor.pem").readBytes()))
            trust.loadBundle(File(work, "fallback-bundle-now.cbor").readBytes())
            val first = (0 until 5).map { outbox.enqueue(endpoint, request(), interactive = false) }
            assertEquals(5u, outbox.drain(transport).issued)
            assertEquals(5L, issuer.metric("healthpass_issued_total"))

            // The issuer crashes; the pharmacist keeps entering results.
            issuer.kill()
            val second = (0 until 5).map { outbox.enqueue(endpoint, request(), interactive = true) }
            val waiting = outbox.send(second[0], transport)
            assertEquals(org.healthpass.ffi.OutboxState.PENDING, waiting.state)
            assertTrue(waiting.lastError!!.contains("network"))
            val down = outbox.drain(transport)
            assertEquals(0u, down.issued)
            assertEquals(5u, outbox.summary.pending)
            // The pharmacist hands over a provisional pass for the first of them: amber.
            val provisional = outbox.issueProvisional(request(), trust, endpoint, replacing = second[0])
            assertEquals(VerdictStatus.PROVISIONAL, trust.verify(provisional.text).status)
            assertEquals("Pharmacie du Centre", provisional.pharmacyName)
            assertEquals("as_entered", provisional.nameForm)

            // Back: "retry now" delivers the backlog, each signed once.
            issuer.start()
            try {
                outbox.retryNow()
                val up = outbox.drain(transport)
                // Four requests and the reconciliation; the withdrawn request is never sent.
                assertEquals(5u, up.issued)
                assertEquals(null, up.nextAttemptAtMs)
                assertEquals(5L, issuer.metric("healthpass_issued_total"))
                val summary = outbox.summary
                assertEquals(10u, summary.issued)
                assertEquals(0u, summary.pending)
                val checkpoint = Checkpoint(listOf(demoTrustAnchor()))
                checkpoint.addSignerCertificate(File(work, "dsc.der").readBytes())
                val uvcis = (first + second.drop(1)).map { ticket ->
                    val pass = outbox.pass(ticket)!!
                    assertEquals(VerdictStatus.VALID, checkpoint.verify(pass.text).status)
                    pass.uvci
                }
                // The provisional pass's final pass: same UVCI, green.
                val reconciled = outbox.entries().single { it.uvci == provisional.certificateId }
                val finalPass = outbox.pass(reconciled.ticket)!!
                assertEquals(VerdictStatus.VALID, trust.verify(finalPass.text).status)
                assertEquals(10, (uvcis + finalPass.uvci).toSet().size)
                // Nothing personal in what a status screen lists.
                assertFalse(outbox.entries().toString().contains("Dubois"))
            } finally {
                issuer.kill()
            }
        }
    }

    @Test
    fun aTravellersSealedWalletReceivesItsPassThroughATransferCodeFromTheRealIssuer(): Unit = runBlocking {
        val work = File(System.getProperty("healthpass.work") ?: error("-Dhealthpass.work is not set"))
        val port = java.net.ServerSocket(0).use { it.localPort }
        val issuer = IssuerProcess(work, port)
        issuer.start()
        try {
            val keys = KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }.generateKeyPair()
            val signer = JcaSigner(keys.private, keys.public)
            val token = File(work, "operator.token").readText().trim()
            assertEquals(201, issuer.post("/v1/devices", signer.enrolment("FINESS-690000009", "Pharmacie de la Gare").requestJson, token).first)
            val endpoint = "http://127.0.0.1:$port"
            val transport = UrlConnectionTransport(timeoutMillis = 5_000)
            val file = File(work, "wallet.sqlite").also { it.delete() }
            val aes = javax.crypto.KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
            TravellerWallet(file, AesGcmWalletKey(aes)).use { wallet ->
                assertEquals(WalletProtection.SEALED, wallet.protection)
                val code = wallet.newTransferCode(endpoint)
                assertEquals(13, code.length)
                // Registered, nothing yet.
                assertEquals(0, wallet.fetch(transport).received.size)
                assertEquals(TransferCodeState.WAITING, wallet.transfers.single().state)
                // The pharmacist types the code; the pass is sealed for this wallet.
                PharmacyOutbox(File(work, "wallet-outbox.sqlite").also { it.delete() }, signer).use { outbox ->
                    outbox.enqueue(endpoint, request().copy(transferCode = code.lowercase()), interactive = false)
                    assertEquals(1u, outbox.drain(transport).issued)
                    try {
                        val mistyped = code.dropLast(1) + (if (code.last() == 'A') 'B' else 'A')
                        outbox.enqueue(endpoint, request().copy(transferCode = mistyped))
                        fail("a mistyped transfer code is caught at the counter")
                    } catch (error: HealthpassException.InvalidInput) {
                        assertTrue(error.reason, error.reason.contains("transfer code"))
                    }
                }
                val fetched = wallet.fetch(transport, force = true)
                assertEquals(1, fetched.received.size)
                assertEquals(TransferCodeState.COLLECTED, wallet.transfers.single().state)
                val checkpoint = Checkpoint(listOf(demoTrustAnchor()))
                checkpoint.addSignerCertificate(File(work, "dsc.der").readBytes())
                val pass = wallet.passes(trust = checkpoint).single()
                assertEquals(WalletPassState.VALID, pass.state)
                assertEquals("transfer", pass.source)
                assertTrue(pass.checked)
                assertEquals(VerdictStatus.VALID, checkpoint.verify(wallet.passText(pass.id)).status)
                val png = wallet.export(pass.id, WalletExport.QR_PNG)
                assertNotNull(ImageIO.read(ByteArrayInputStream(png)))
                // Offline in the tunnel: the same list without a network.
                issuer.kill()
                assertEquals(WalletPassState.VALID, wallet.passes(trust = checkpoint).single().state)
                // Garbage is a clear error; the wallet keeps what it had.
                try {
                    wallet.addText("HC1:\u001b[2Jnot a pass")
                    fail("garbage was added")
                } catch (error: HealthpassException.NotAPass) {
                    assertFalse(error.reason.contains("\u001b"))
                }
                assertEquals(1, wallet.passes().size)
            }
            // Sealed at rest: no pass text in the file; another key does not open it.
            val onDisk = file.readBytes() + (File(work, "wallet.sqlite-wal").takeIf { it.exists() }?.readBytes() ?: ByteArray(0))
            assertFalse(String(onDisk, Charsets.ISO_8859_1).contains("HC1:"))
            val otherKey = javax.crypto.KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
            try {
                TravellerWallet(file, AesGcmWalletKey(otherKey)).close()
                fail("another key opened the wallet")
            } catch (error: HealthpassException.InvalidInput) {
                assertTrue(error.reason, error.reason.contains("does not open this wallet"))
            }
        } finally {
            issuer.kill()
        }
    }

    @Test
    fun aProvisionalPassIsAmberAndNamesThePharmacy(): Unit = runBlocking {
        val work = File(System.getProperty("healthpass.work") ?: error("-Dhealthpass.work is not set"))
        val at = Instant.ofEpochSecond(File(work, "provisional-at.txt").readText().trim().toLong())
        val checkpoint = Checkpoint(listOf(File(work, "fallback-anchor.pem").readBytes()))
        checkpoint.loadBundle(File(work, "fallback-bundle.cbor").readBytes(), at)
        val verdict = checkpoint.verify(File(work, "provisional.txt").readText().trim(), at)
        assertEquals(VerdictStatus.PROVISIONAL, verdict.status)
        assertTrue(verdict.reasons.isEmpty())
        assertEquals("Pharmacie du Centre, Lyon", verdict.provisional?.pharmacyName)
        val presentation = verdict.presentation()
        assertEquals(Signal.AMBER, presentation.signal)
        assertTrue(presentation.headline, presentation.headline.contains("Pharmacie du Centre, Lyon"))
        // Without the fallback root (the demo bundle), the same pass is red.
        val red = Checkpoint.demo().verify(File(work, "provisional.txt").readText().trim(), at)
        assertEquals(Signal.RED, red.presentation().signal)
    }

    @Test
    fun readsAFrench2dDocAsTextAndFromADataMatrixFrame(): Unit = runBlocking {
        val work = File(System.getProperty("healthpass.work") ?: error("-Dhealthpass.work is not set"))
        val june2021 = Instant.parse("2021-06-01T10:00:00Z")
        // No bundle: 2D-DOCs are checked against the built-in French signers.
        Checkpoint(emptyList()).use { checkpoint ->
            val verdict = checkpoint.verify(File(work, "twoddoc.txt").readText(), june2021)
            assertEquals(listOf<String>(), verdict.reasons.map { it.code })
            assertEquals(VerdictStatus.VALID, verdict.status)
            assertEquals(PassFormat.TWO_D_DOC, verdict.format)
            assertEquals("DHI0", verdict.twoDDoc?.authority)
            assertEquals("TST1", verdict.twoDDoc?.certificate)
            assertEquals("B2", verdict.twoDDoc?.documentType)
            assertEquals("DUPOND", verdict.holder?.familyName)
            val screen = verdict.presentation()
            assertEquals(Signal.GREEN, screen.signal)
            assertEquals("French 2D-DOC", screen.codeFormat)
            assertEquals(null, screen.machineReadableName)

            val bytes = File(work, "twoddoc-frame.bin").readBytes()
            val header = String(bytes, 0, bytes.indexOf('\n'.code.toByte()))
            val (width, height) = header.split(" ").map { it.toInt() }
            val plane = ByteBuffer.allocateDirect(width * height)
            plane.put(bytes, header.length + 1, width * height).flip()
            val result = checkpoint.verifyFrame(plane, width, height, width, june2021)
            assertTrue(result.toString(), result is FrameVerification.Verified)
            val scanned = result as FrameVerification.Verified
            assertEquals(Symbology.DATA_MATRIX, scanned.code.symbology)
            assertEquals(VerdictStatus.VALID, scanned.verdict.status)
            // A forged result (the signed part changed) is red, with the reason named.
            val forged = checkpoint.verify(File(work, "twoddoc.txt").readText().replace("F5N", "F5P"), june2021)
            assertEquals(listOf("signature_invalid", "test_result_positive"), forged.reasons.map { it.code })
        }
    }

    @Test
    fun everyReasonHasFrenchAndEnglishTextsAndACategory(): Unit = runBlocking {
        val catalogue = reasonCatalogue()
        assertTrue(catalogue.size >= 42)
        assertEquals(catalogue.size, catalogue.map { it.code }.toSet().size)
        val categories = setOf("signature", "validity", "key_usage", "schema", "content", "trust_data", "revocation", "rules")
        for (text in catalogue) {
            assertTrue(text.code, text.english.isNotBlank() && text.french.isNotBlank())
            assertTrue(text.code, text.english != text.french)
            assertTrue(text.code, text.category in categories)
        }
        // A verdict's reasons carry the same texts, and the presentation shows them in French.
        val positive = demoIssuer().use { it.issueTest(request(TestResult.POSITIVE), now) }
        Checkpoint.demo().use { checkpoint ->
            val verdict = checkpoint.verify(positive.text, now)
            val reason = verdict.reasons.first()
            assertEquals("test_result_positive", reason.code)
            assertEquals("content", reason.category)
            assertEquals(catalogue.single { it.code == reason.code }.french, reason.titleFrench)
            val screen = verdict.presentation("fr-FR")
            assertEquals("Non valide", screen.headline)
            assertEquals("Le résultat du test est positif.", screen.reasonTitles.first())
            assertEquals("The test result is positive.", verdict.presentation().reasonTitles.first())
            val valid = checkpoint.verify(demoIssuer().use { it.issueTest(request(), now) }.text, now)
            assertEquals("Certificat de test valide", valid.presentation("fr").headline)
        }
    }

    @Test
    fun theSessionVerifiesAPassOnceWhileItStaysInView(): Unit = runBlocking {
        val pass = demoIssuer().use { it.issueTest(request(), now) }
        val frame = frameOf(pass.text, padding = 24, stride = 8)
        Checkpoint.demo().use { checkpoint ->
            checkpoint.session(repeatWindowMillis = 5_000).use { session ->
                val first = session.observe(frame.buffer, frame.width, frame.height, frame.rowStride, 1_000, now)
                assertEquals(1, first.size)
                val event = first.single() as CheckpointEvent.Verified
                assertEquals(VerdictStatus.VALID, event.verdict.status)
                // Held in front of the camera: nothing new for 5 seconds after it was last seen.
                assertTrue(session.observe(frame.buffer, frame.width, frame.height, frame.rowStride, 3_000, now).isEmpty())
                assertTrue(session.observe(frame.buffer, frame.width, frame.height, frame.rowStride, 7_900, now).isEmpty())
                // Gone for longer than the window: shown again.
                assertEquals(1, session.observe(frame.buffer, frame.width, frame.height, frame.rowStride, 13_000, now).size)
                // A hand-held scanner's text goes through the same window.
                assertEquals(null, session.observeText(pass.text, 13_500, now))
                assertTrue(session.observeText("HC1:NOT*A*PASS", 13_600, now) is CheckpointEvent.NotAPass)
                val stats = session.stats
                assertEquals(6UL, stats.frames)
                assertEquals(2UL, stats.verified)
                assertEquals(3UL, stats.repeatsIgnored)
                assertEquals(1UL, stats.notAPass)
            }
        }
    }

    @Test
    fun aBundleUpdateSurvivesARestartAndIsDownloadedOnlyWhenChanged(): Unit = runBlocking {
        val dir = java.nio.file.Files.createTempDirectory("healthpass-bundle").toFile()
        val file = File(dir, "bundle.cbor")
        val conditional = mutableListOf<String?>()
        val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
        server.createContext("/bundle") { exchange ->
            val asked = exchange.requestHeaders.getFirst("If-None-Match")
            conditional.add(asked)
            if (asked == "\"demo-1\"") {
                exchange.sendResponseHeaders(304, -1)
                exchange.close()
            } else {
                val body = demoTrustBundle()
                exchange.responseHeaders.add("ETag", "\"demo-1\"")
                exchange.sendResponseHeaders(200, body.size.toLong())
                exchange.responseBody.use { it.write(body) }
            }
        }
        server.start()
        val url = "http://127.0.0.1:${server.address.port}/bundle"
        val pass = demoIssuer().use { it.issueTest(request(), now) }
        try {
            val mark = Checkpoint(listOf(demoTrustAnchor())).use { checkpoint ->
                assertEquals(null, runBlocking { checkpoint.keepBundleAt(file, now) })
                val first = runBlocking { checkpoint.updateBundle(UrlConnectionTransport(), url, now) }
                assertTrue(first.changed)
                val again = runBlocking { checkpoint.updateBundle(UrlConnectionTransport(), url, now) }
                assertFalse("304: nothing new", again.changed)
                assertEquals(1uL, again.bundle.sequence)
                checkpoint.installedMark
            }
            assertTrue(file.isFile)
            // Restarted offline: a new instance reads the kept bundle and verifies with it.
            Checkpoint(listOf(demoTrustAnchor()), mark).use { restarted ->
                val kept = runBlocking { restarted.keepBundleAt(file, now) }
                assertEquals(1uL, kept?.sequence)
                restarted.setArrivalCountry("FR")
                assertEquals(VerdictStatus.VALID, restarted.verify(pass.text, now).status)
                // Back online: the first update after the restart is conditional too.
                assertFalse(runBlocking { restarted.updateBundle(UrlConnectionTransport(), url, now) }.changed)
            }
            assertEquals(listOf(null, "\"demo-1\"", "\"demo-1\""), conditional)
            // A corrupted file is refused with a clear error and replaced by the next update.
            file.writeBytes(byteArrayOf(1, 2, 3))
            Checkpoint(listOf(demoTrustAnchor())).use { checkpoint ->
                try {
                    runBlocking { checkpoint.keepBundleAt(file, now) }
                    fail("a corrupted stored bundle is refused")
                } catch (error: HealthpassException.TrustData) {
                    assertTrue(error.reason, error.reason.contains("trust bundle"))
                }
                assertEquals(null, checkpoint.bundle)
                assertTrue(runBlocking { checkpoint.updateBundle(UrlConnectionTransport(), url, now) }.changed)
            }
            assertTrue(java.util.Arrays.equals(demoTrustBundle(), file.readBytes()))
        } finally {
            server.stop(0)
            dir.deleteRecursively()
        }
    }

    @Test
    fun aPaddedCameraPlaneIsPackedInTheOneCopyTheFacadeMakes(): Unit = runBlocking {
        val (width, height, stride) = Triple(40, 3, 64)
        // As Android guarantees: rowStride * (height - 1) + width bytes, the last row unpadded.
        val buffer = ByteBuffer.allocateDirect(stride * (height - 1) + width)
        for (row in 0 until height) for (x in 0 until stride) {
            if (row * stride + x < buffer.capacity()) buffer.put(row * stride + x, (if (x < width) row * 10 + x % 7 else 255).toByte())
        }
        val packed = buffer.packedLuma(width, height, stride)
        assertEquals(width, packed.rowStride)
        assertEquals(width * height, packed.bytes.size)
        for (row in 0 until height) for (x in 0 until width) {
            assertEquals((row * 10 + x % 7).toByte(), packed.bytes[row * width + x])
        }
        // A buffer too short for its geometry goes through as it is: the library names the problem.
        val short = ByteBuffer.allocateDirect(10)
        assertEquals(64, short.packedLuma(width, height, stride).rowStride)
        try {
            FrameScanner().use { it.scan(short, width, height, stride) }
            fail("a short plane is refused")
        } catch (error: HealthpassException.InvalidInput) {
            assertTrue(error.reason, error.reason.isNotBlank())
        }
    }
}
