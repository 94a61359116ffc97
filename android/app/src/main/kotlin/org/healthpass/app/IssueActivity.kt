// The pharmacist's form: a test result in, a signed pass's QR code out.
package org.healthpass.app

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
import java.time.Instant
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
        try {
            // The certificate the authority issued for this device's key (enrolment is outside
            // this shell); stored as app data.
            val certificate = openFileInput("pharmacy-certificate.pem").use { it.readBytes() }
            PharmacyIssuer(KeystoreSigner.get(), certificate, "FR").use { issuer ->
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
                val png = issuer.qrCode(issuer.issueTest(request))
                findViewById<ImageView>(R.id.qr).setImageBitmap(BitmapFactory.decodeByteArray(png, 0, png.size))
                problem.text = ""
            }
        } catch (error: HealthpassException) {
            problem.text = error.reason
        } catch (error: java.io.FileNotFoundException) {
            problem.text = "This device has no pharmacy certificate yet."
        }
    }
}
