// The iOS app shell: a controller's scanner and a pharmacist's issuing form. Thin by design:
// all logic is in the Rust core and the Healthpass facade.
import AVFoundation
import Healthpass
import HealthpassFFI
import SwiftUI

@main
struct HealthpassApp: App {
    var body: some Scene {
        WindowGroup {
            TabView {
                ScannerView().tabItem { Label("Verify", systemImage: "qrcode.viewfinder") }
                IssueView().tabItem { Label("Issue", systemImage: "cross.case") }
            }
        }
    }
}

/// Camera frames in, one verdict per pass out.
final class ScannerModel: NSObject, ObservableObject, AVCaptureVideoDataOutputSampleBufferDelegate {
    @Published var presentation: VerdictPresentation?
    @Published var problem: String?
    let session = AVCaptureSession()
    private let checkpoint = try? Checkpoint.demo()
    // The core's scan loop: each pass verified and shown once while it stays in view.
    private lazy var controller: ControllerSession? = checkpoint.map { ControllerSession(checkpoint: $0) }
    private let queue = DispatchQueue(label: "healthpass.frames")
    private var configured = false

    /// Idempotent: `onAppear` runs again each time the tab is shown; the session is configured
    /// once and only restarted.
    func start() {
        if configured {
            queue.async { if !self.session.isRunning { self.session.startRunning() } }
            return
        }
        guard let device = AVCaptureDevice.default(for: .video), let input = try? AVCaptureDeviceInput(device: device) else {
            problem = "No camera available"
            return
        }
        configured = true
        let output = AVCaptureVideoDataOutput()
        // Bi-planar YUV: plane 0 is the luma the library reads, no RGB conversion.
        output.videoSettings = [kCVPixelBufferPixelFormatTypeKey as String: kCVPixelFormatType_420YpCbCr8BiPlanarFullRange]
        output.setSampleBufferDelegate(self, queue: queue)
        session.addInput(input)
        session.addOutput(output)
        queue.async { self.session.startRunning() }
    }

    func captureOutput(_ output: AVCaptureOutput, didOutput sampleBuffer: CMSampleBuffer, from connection: AVCaptureConnection) {
        guard let pixels = CMSampleBufferGetImageBuffer(sampleBuffer), let controller else { return }
        do {
            for event in try controller.observe(lumaPlaneOf: pixels) {
                switch event {
                case let .verified(_, verdict, _):
                    let shown = verdict.presentation(language: Locale.current.identifier)
                    DispatchQueue.main.async { self.presentation = shown; self.problem = nil }
                case .notAPass:
                    DispatchQueue.main.async { self.problem = "Not a health pass" }
                }
            }
        } catch let error as HealthpassError {
            DispatchQueue.main.async { self.problem = error.reason }
        } catch {
            DispatchQueue.main.async { self.problem = error.localizedDescription }
        }
    }
}

struct ScannerView: View {
    @StateObject private var model = ScannerModel()

    var body: some View {
        VStack(spacing: 16) {
            if let shown = model.presentation {
                Text(shown.headline).font(.largeTitle).bold()
                    .foregroundColor(shown.signal == .green ? .green : shown.signal == .amber ? .orange : .red)
                if let name = shown.name { Text(name).font(.title2) }
                if let dateOfBirth = shown.dateOfBirth { Text("Born \(dateOfBirth)") }
                ForEach(shown.reasonTitles, id: \.self) { Text($0).font(.footnote) }
            } else {
                Text(model.problem ?? "Point the camera at a pass")
            }
        }
        .padding()
        .onAppear { model.start() }
    }
}

struct IssueView: View {
    @State private var familyName = ""
    @State private var givenName = ""
    @State private var dateOfBirth = ""
    @State private var device = "1232"
    @State private var negative = true
    @State private var qr: Data?
    @State private var problem: String?

    var body: some View {
        Form {
            TextField("Family name", text: $familyName)
            TextField("Given name", text: $givenName)
            TextField("Date of birth (YYYY-MM-DD)", text: $dateOfBirth)
            Picker("Test device", selection: $device) {
                ForEach((try? rapidTestDevices()) ?? [], id: \.code) { Text($0.display).tag($0.code) }
            }
            Toggle("Negative", isOn: $negative)
            Button("Issue") { Task { await issue() } }
            if let problem { Text(problem).foregroundColor(.red) }
            if let qr, let image = UIImage(data: qr) { Image(uiImage: image).interpolation(.none).resizable().scaledToFit() }
        }
    }

    @MainActor
    private func issue() async {
        do {
            // The pharmacy's Secure Enclave key and the certificate the authority issued for it
            // (enrolment is outside this shell).
            let signer = try SecKeySigner.secureEnclaveKey(tag: "org.healthpass.pharmacy")
            let certificate = UserDefaults.standard.data(forKey: "pharmacy.certificate") ?? Data()
            let issuer = try PharmacyIssuer(signer: signer, certificate: certificate, issuingCountry: "FR")
            let request = TestPassRequest(
                familyName: familyName, givenName: givenName, dateOfBirth: dateOfBirth, testType: .rapidAntigen,
                device: device, testName: nil, sampledAt: Int64(Date().timeIntervalSince1970), result: negative ? .negative : .positive,
                centre: "Pharmacie", country: "FR", issuer: "Pharmacie")
            qr = try await issuer.qrCode(issuer.issueTest(request))
            problem = nil
        } catch let error as HealthpassError {
            problem = error.reason
        } catch {
            problem = error.localizedDescription
        }
    }
}
