// The controller's screen: CameraX frames in, a green or red verdict with the reason, name
// and date of birth out. All decisions are made by the tested library module.
package org.healthpass.app

import android.Manifest
import android.content.Intent
import android.content.pm.PackageManager
import android.graphics.Color
import android.os.Bundle
import android.widget.Button
import android.widget.TextView
import androidx.appcompat.app.AppCompatActivity
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.Preview
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.core.content.ContextCompat
import java.util.Locale
import java.util.concurrent.Executors
import org.healthpass.Checkpoint
import org.healthpass.Signal
import org.healthpass.VerdictPresentation
import org.healthpass.ffi.CheckpointEvent
import org.healthpass.ffi.HealthpassException
import org.healthpass.presentation
import org.healthpass.reason

class ControllerActivity : AppCompatActivity() {
    private val analysis = Executors.newSingleThreadExecutor()
    private val checkpoint by lazy { Checkpoint.demo() }
    // The core's scan loop: each pass is verified and shown once while it stays in view.
    private val session by lazy { checkpoint.session() }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_controller)
        findViewById<Button>(R.id.issue).setOnClickListener { startActivity(Intent(this, IssueActivity::class.java)) }
        if (checkSelfPermission(Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED) startCamera()
        else requestPermissions(arrayOf(Manifest.permission.CAMERA), 1)
    }

    override fun onRequestPermissionsResult(requestCode: Int, permissions: Array<out String>, grantResults: IntArray) {
        super.onRequestPermissionsResult(requestCode, permissions, grantResults)
        if (grantResults.firstOrNull() == PackageManager.PERMISSION_GRANTED) startCamera()
    }

    private fun startCamera() {
        val future = ProcessCameraProvider.getInstance(this)
        future.addListener({
            val provider = future.get()
            val preview = Preview.Builder().build().also {
                it.surfaceProvider = findViewById<PreviewView>(R.id.preview).surfaceProvider
            }
            val imageAnalysis = ImageAnalysis.Builder()
                .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
                .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_YUV_420_888)
                .build()
            imageAnalysis.setAnalyzer(analysis) { image ->
                image.use {
                    // An exception escaping the analyzer would kill the process inside CameraX:
                    // every failure is caught and shown instead.
                    try {
                        val plane = it.planes[0]
                        // The Y plane as CameraX gives it: a slice of the buffer, rows rowStride apart.
                        for (event in session.observe(plane.buffer.slice(), it.width, it.height, plane.rowStride)) {
                            when (event) {
                                is CheckpointEvent.Verified -> show(event.verdict.presentation(Locale.getDefault().language))
                                is CheckpointEvent.NotAPass -> showProblem(getString(R.string.not_a_pass))
                            }
                        }
                    } catch (error: HealthpassException) {
                        showProblem(error.reason)
                    } catch (error: RuntimeException) {
                        showProblem(error.toString())
                    }
                }
            }
            provider.unbindAll()
            provider.bindToLifecycle(this, CameraSelector.DEFAULT_BACK_CAMERA, preview, imageAnalysis)
        }, ContextCompat.getMainExecutor(this)) // Activity.mainExecutor needs API 28; minSdk is 26.
    }

    private fun showProblem(message: String) = runOnUiThread {
        findViewById<TextView>(R.id.reasons).text = message
    }

    private fun show(presentation: VerdictPresentation) {
        runOnUiThread {
            findViewById<TextView>(R.id.headline).apply {
                this.text = presentation.headline
                setTextColor(if (presentation.signal == Signal.GREEN) Color.rgb(46, 125, 50) else Color.rgb(198, 40, 40))
            }
            findViewById<TextView>(R.id.name).text = presentation.name ?: presentation.machineReadableName ?: ""
            findViewById<TextView>(R.id.birth).text = presentation.dateOfBirth?.let { "Born $it" } ?: ""
            findViewById<TextView>(R.id.reasons).text = presentation.reasonTitles.joinToString("\n")
        }
    }

    override fun onDestroy() {
        analysis.shutdown()
        session.close()
        checkpoint.close()
        super.onDestroy()
    }
}
