// The pharmacist's form: a test result in, a signed pass's QR code out.
package org.healthpass.app

import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.os.Bundle
import android.widget.ArrayAdapter
import android.widget.Button
import android.widget.CheckBox
import android.widget.EditText
import android.widget.ImageView
import android.widget.Spinner
import android.widget.TextView
import androidx.appcompat.app.AppCompatActivity
import androidx.lifecycle.lifecycleScope
import java.time.Instant
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import org.healthpass.PharmacyIssuer
import org.healthpass.ffi.HealthpassException
import org.healthpass.ffi.TestPassRequest
import org.healthpass.ffi.TestResult
import org.healthpass.ffi.TestType
import org.healthpass.ffi.rapidTestDevices
import org.healthpass.reason

class IssueActivity : AppCompatActivity() {
    private val devices = rapidTestDevices()

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_issue)
        findViewById<Spinner>(R.id.device).adapter =
            ArrayAdapter(this, android.R.layout.simple_spinner_dropdown_item, devices.map { it.display })
        findViewById<Button>(R.id.submit).setOnClickListener { issue() }
    }

    private fun issue() {
        val problem = findViewById<TextView>(R.id.problem)
        val submit = findViewById<Button>(R.id.submit)
        // Read the form on the UI thread; everything after it runs off the UI thread.
        val request = TestPassRequest(
            familyName = findViewById<EditText>(R.id.family).text.toString(),
            givenName = findViewById<EditText>(R.id.given).text.toString(),
            dateOfBirth = findViewById<EditText>(R.id.dob).text.toString(),
            testType = TestType.RAPID_ANTIGEN,
            device = devices[findViewById<Spinner>(R.id.device).selectedItemPosition].code,
            testName = null,
            sampledAt = Instant.now().epochSecond,
            result = if (findViewById<CheckBox>(R.id.negative).isChecked) TestResult.NEGATIVE else TestResult.POSITIVE,
            centre = "Pharmacie",
            country = "FR",
            issuer = "Pharmacie",
        )
        submit.isEnabled = false
        // The file read, the Keystore lookup, the signature and the rendering all run on
        // Dispatchers.IO (the facade's issueTest and qrCode are main-safe on their own too).
        lifecycleScope.launch {
            val outcome: Result<Bitmap> = withContext(Dispatchers.IO) { try {
                // The certificate the authority issued for this device's key (enrolment is
                // outside this shell); stored as app data.
                val certificate = openFileInput("pharmacy-certificate.pem").use { it.readBytes() }
                PharmacyIssuer(KeystoreSigner.get(), certificate, "FR").use { issuer ->
                    val png = issuer.qrCode(issuer.issueTest(request))
                    Result.success(BitmapFactory.decodeByteArray(png, 0, png.size))
                }
            } catch (error: CancellationException) {
                throw error
            } catch (error: HealthpassException) {
                Result.failure(IllegalStateException(error.reason))
            } catch (error: java.io.FileNotFoundException) {
                Result.failure(IllegalStateException(getString(R.string.no_certificate)))
            } catch (error: java.security.GeneralSecurityException) {
                // Keystore: key invalidated (new lock screen), user not authenticated, hardware.
                Result.failure(IllegalStateException(getString(R.string.keystore_failed, error.javaClass.simpleName)))
            } catch (error: java.io.IOException) {
                Result.failure(error)
            } catch (error: RuntimeException) {
                Result.failure(error)
            } }
            submit.isEnabled = true
            outcome.onSuccess { bitmap ->
                findViewById<ImageView>(R.id.qr).setImageBitmap(bitmap)
                problem.text = ""
            }.onFailure { error -> problem.text = error.message ?: error.toString() }
        }
    }
}
