// The idiomatic Swift face of healthpass: camera planes in, verdicts and passes out.
// (Not compiled on the project's Linux machines: no Swift toolchain. The generated bindings
// it wraps are drift-checked there, and their C header is compiled and exercised.)
import CoreVideo
import CryptoKit
import Foundation
import HealthpassFFI
import Security

/// A controller's checkpoint: verifies passes offline against the trust bundle in force.
public final class Checkpoint {
    /// The verifier; a pharmacy's outbox checks its provisional passes with its bundle.
    public let verifier: PassVerifier

    /// `anchors`: the pinned bundle-signing keys. `installed`: the mark of the bundle installed
    /// before the restart (persist `installedMark` after each update): older bundles, and a
    /// different bundle under the same sequence, are refused.
    public init(anchors: [Data], installed: BundleMark? = nil) throws {
        verifier = try PassVerifier(anchors: anchors, installed: installed)
    }

    /// A checkpoint on the demo trust bundle (demo signer, French demo rules). Demos only.
    public static func demo(arrivalCountry: String? = "FR") throws -> Checkpoint {
        let checkpoint = try Checkpoint(anchors: [demoTrustAnchor()])
        // The small demo bundle, installed synchronously (about 1 ms).
        _ = try checkpoint.verifier.loadBundle(bundle: demoTrustBundle(), at: Int64(Date().timeIntervalSince1970))
        try checkpoint.setArrivalCountry(arrivalCountry)
        return checkpoint
    }

    /// Installs a bundle; a refused one (bad signature, older, expired) leaves the bundle in force.
    /// Slow (a signature check, rules, a file sync when kept): `async`, off the main actor.
    public func loadBundle(_ bundle: Data, at date: Date = Date()) async throws -> BundleInfo {
        let verifier = self.verifier
        return try await Task.detached { try verifier.loadBundle(bundle: bundle, at: Int64(date.timeIntervalSince1970)) }.value
    }

    /// Keeps each verified bundle at `file` (the app's Application Support directory; written
    /// atomically) and installs the one stored there: call it at start, before verifying, so a
    /// controller that restarts offline keeps its last update. Nil when nothing is stored yet.
    /// Slow (a signature check): `async`, run off the main actor.
    public func keepBundle(at file: URL, date: Date = Date()) async throws -> BundleInfo? {
        let verifier = self.verifier
        return try await Task.detached {
            try verifier.keepBundleAt(path: file.path, at: Int64(date.timeIntervalSince1970))
        }.value
    }

    /// Downloads and installs a bundle, conditionally (`If-None-Match`): `changed` is false
    /// when the server answered 304 Not Modified.
    public func updateBundle(from url: URL, transport: Transport = URLSessionTransport(), at date: Date = Date()) async throws -> BundleUpdate {
        try await verifier.updateBundle(transport: transport, url: url.absoluteString, at: Int64(date.timeIntervalSince1970))
    }

    /// What identifies the installed bundle; persist it and give it back after a restart.
    public func installedMark() throws -> BundleMark? { try verifier.installedMark() }

    public func setArrivalCountry(_ country: String?) throws { try verifier.setArrivalCountry(country: country) }

    public func verify(_ text: String, at date: Date = Date()) throws -> Verdict {
        try verifier.verifyText(text: text, at: Int64(date.timeIntervalSince1970))
    }

    /// Verifies the pass in a camera frame's luma (Y) plane, in one call.
    public func verify(lumaPlaneOf pixelBuffer: CVPixelBuffer, at date: Date = Date()) throws -> FrameVerification {
        let plane = LumaPlane(pixelBuffer)
        return try verifier.verifyFrame(
            data: plane.bytes, width: plane.width, height: plane.height, rowStride: plane.rowStride,
            at: Int64(date.timeIntervalSince1970))
    }
}

/// The Y plane of a bi-planar (420f / 420v) camera buffer, without conversion.
struct LumaPlane {
    let bytes: Data
    let width: UInt32
    let height: UInt32
    let rowStride: UInt32

    init(_ pixelBuffer: CVPixelBuffer) {
        CVPixelBufferLockBaseAddress(pixelBuffer, .readOnly)
        defer { CVPixelBufferUnlockBaseAddress(pixelBuffer, .readOnly) }
        let width = CVPixelBufferGetWidthOfPlane(pixelBuffer, 0)
        let height = CVPixelBufferGetHeightOfPlane(pixelBuffer, 0)
        let stride = CVPixelBufferGetBytesPerRowOfPlane(pixelBuffer, 0)
        let base = CVPixelBufferGetBaseAddressOfPlane(pixelBuffer, 0)
        // Copied out packed (rows without their padding), so the library does not copy the
        // frame again to pack it; only rowStride * (height - 1) + width bytes are guaranteed,
        // and only those are read.
        var packed = Data(capacity: width * height)
        if let base {
            for row in 0..<height {
                packed.append(base.advanced(by: row * stride).assumingMemoryBound(to: UInt8.self), count: width)
            }
        }
        bytes = packed
        self.width = UInt32(width)
        self.height = UInt32(height)
        rowStride = UInt32(width)
    }
}

/// Signs with a P-256 key in the Secure Enclave (or any `SecKey`); the signature is DER,
/// which the library normalises.
public final class SecKeySigner: Signer, @unchecked Sendable {
    private let key: SecKey

    public init(key: SecKey) { self.key = key }

    /// The Secure Enclave key stored under `tag`, created the first time. The authority
    /// certifies one key per device: creating a new key on every use would never match it.
    public static func secureEnclaveKey(tag: String) throws -> SecKeySigner {
        let query: [String: Any] = [
            kSecClass as String: kSecClassKey,
            kSecAttrApplicationTag as String: Data(tag.utf8),
            kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
            kSecReturnRef as String: true,
        ]
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        if status == errSecSuccess, let item, CFGetTypeID(item) == SecKeyGetTypeID() {
            return SecKeySigner(key: item as! SecKey)
        }
        guard status == errSecItemNotFound else {
            throw HealthpassError.Platform(reason: "keychain lookup failed (OSStatus \(status))")
        }
        return try newSecureEnclaveKey(tag: tag)
    }

    /// A new Secure Enclave key, usable only on this device, after unlock.
    public static func newSecureEnclaveKey(tag: String) throws -> SecKeySigner {
        var error: Unmanaged<CFError>?
        guard let access = SecAccessControlCreateWithFlags(
            nil, kSecAttrAccessibleWhenUnlockedThisDeviceOnly, .privateKeyUsage, &error)
        else { throw HealthpassError.Platform(reason: "access control: \(String(describing: error))") }
        let attributes: [String: Any] = [
            kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
            kSecAttrKeySizeInBits as String: 256,
            kSecAttrTokenID as String: kSecAttrTokenIDSecureEnclave,
            kSecPrivateKeyAttrs as String: [
                kSecAttrIsPermanent as String: true,
                kSecAttrApplicationTag as String: Data(tag.utf8),
                kSecAttrAccessControl as String: access,
            ],
        ]
        guard let key = SecKeyCreateRandomKey(attributes as CFDictionary, &error) else {
            throw HealthpassError.Platform(reason: "Secure Enclave key: \(String(describing: error?.takeRetainedValue()))")
        }
        return SecKeySigner(key: key)
    }

    /// The public key as a SEC1 point (`SecKeyCopyExternalRepresentation` of the public key).
    public func publicKey() throws -> Data {
        var error: Unmanaged<CFError>?
        guard let publicKey = SecKeyCopyPublicKey(key),
              let bytes = SecKeyCopyExternalRepresentation(publicKey, &error)
        else { throw HealthpassError.Platform(reason: "public key: \(String(describing: error?.takeRetainedValue()))") }
        return bytes as Data
    }

    public func sign(data: Data) throws -> Data {
        var error: Unmanaged<CFError>?
        guard let signature = SecKeyCreateSignature(key, .ecdsaSignatureMessageX962SHA256, data as CFData, &error) else {
            throw HealthpassError.Platform(reason: "signing failed: \(error?.takeRetainedValue().localizedDescription ?? "unknown")")
        }
        return signature as Data
    }

    /// What the operator needs to enrol this device with the central issuer: its device id,
    /// public key and the enrolment body. The private key never leaves the Secure Enclave.
    public func enrolment(pharmacyId: String, pharmacyName: String) throws -> DeviceEnrolment {
        try deviceEnrolment(signer: self, pharmacyId: pharmacyId, pharmacyName: pharmacyName)
    }
}

/// A controller's scan loop, with the core's de-duplication: each distinct pass is verified
/// once, then ignored while it stays in view (`repeatWindow` after it was last seen). Call
/// `observe` on the capture queue, never the main thread (it scans and verifies: milliseconds
/// to tens of milliseconds); a bundle update of the checkpoint applies from the next frame.
public final class ControllerSession {
    private let session: CheckpointSession

    public init(checkpoint: Checkpoint, repeatWindow: TimeInterval = 5) {
        session = CheckpointSession(verifier: checkpoint.verifier, repeatWindowMs: UInt64(repeatWindow * 1000))
    }

    /// The events of one camera frame: empty while the same pass stays in view.
    public func observe(lumaPlaneOf pixelBuffer: CVPixelBuffer, capturedAt: Date = Date(), at date: Date = Date()) throws -> [CheckpointEvent] {
        let plane = LumaPlane(pixelBuffer)
        return try session.observeFrame(
            data: plane.bytes, width: plane.width, height: plane.height, rowStride: plane.rowStride,
            capturedAtMs: UInt64(capturedAt.timeIntervalSince1970 * 1000), at: Int64(date.timeIntervalSince1970))
    }

    /// A text from a hand-held scanner, under the same window; nil when seen just before.
    public func observe(text: String, capturedAt: Date = Date(), at date: Date = Date()) throws -> CheckpointEvent? {
        try session.observeText(
            text: text, capturedAtMs: UInt64(capturedAt.timeIntervalSince1970 * 1000), at: Int64(date.timeIntervalSince1970))
    }

    public var stats: CheckpointStats { session.stats() }
}

extension HealthpassError {
    /// The message to show, without the case name (`"\(error)"` would print
    /// `Platform(reason: …)`); as Kotlin's `HealthpassException.reason`.
    public var reason: String {
        switch self {
        case let .InvalidInput(reason), let .NotAPass(reason), let .TrustData(reason), let .Platform(reason), let .Internal(reason):
            return reason
        }
    }
}

/// Issues test passes at a pharmacy, signing with the platform key.
public final class PharmacyIssuer {
    private let issuer: PassIssuer

    public init(signer: Signer, certificate: Data, issuingCountry: String, passLifetimeHours: UInt32 = 72) throws {
        issuer = try PassIssuer(signer: signer, certificate: certificate, issuingCountry: issuingCountry, passLifetimeHours: passLifetimeHours)
    }

    /// Slow (the Secure Enclave signs): `async`, off the main actor.
    public func issueTest(_ request: TestPassRequest, at date: Date = Date()) async throws -> IssuedPass {
        let issuer = self.issuer
        return try await Task.detached { try issuer.issueTest(request: request, at: Int64(date.timeIntervalSince1970)) }.value
    }

    /// A few milliseconds of rendering: `async`, off the main actor.
    public func qrCode(_ pass: IssuedPass, modulePixels: UInt32 = 8) async throws -> Data {
        try await Task.detached { try qrPng(text: pass.text, modulePixels: modulePixels) }.value
    }
}

/// HTTP through URLSession.
/// What the result screen shows: green (valid), amber (provisional: signed by a certified
/// pharmacy while the central service was down; accept it and show the pharmacy), red.
public enum Signal { case green, amber, red }

public extension Verdict {
    var signal: Signal {
        switch status {
        case .valid: return .green
        case .provisional: return .amber
        case .invalid: return .red
        }
    }
}

/// The pharmacy device's outbox: every entry is written to `file` before it is sent and kept
/// until its pass arrives. Call `drain` when the network returns and at `nextAttemptAtMs`
/// (a BGTaskScheduler task); `send` while the pharmacist waits.
public final class PharmacyOutbox {
    private let outbox: PassOutbox

    public init(file: URL, signer: Signer) throws {
        outbox = try PassOutbox.open(path: file.path, signer: signer)
    }

    public var deviceId: String { outbox.deviceId() }

    public func enqueue(endpoint: String, request: TestPassRequest, interactive: Bool = true, at date: Date = Date()) throws -> String {
        try outbox.enqueue(endpoint: endpoint, request: request, interactive: interactive, nowMs: Self.millis(date))
    }

    public func send(_ ticket: String, transport: Transport = URLSessionTransport(), at date: Date = Date()) async throws -> OutboxEntry {
        try await outbox.send(ticket: ticket, transport: transport, nowMs: Self.millis(date))
    }

    public func drain(transport: Transport = URLSessionTransport(), at date: Date = Date()) async throws -> OutboxDrain {
        try await outbox.drain(transport: transport, nowMs: Self.millis(date))
    }

    public func retryNow(at date: Date = Date()) throws -> UInt32 { try outbox.retryNow(nowMs: Self.millis(date)) }

    public func summary() throws -> OutboxSummary { try outbox.summary() }

    public func entries(at date: Date = Date()) throws -> [OutboxEntry] { try outbox.entries(nowMs: Self.millis(date)) }

    public func pass(_ ticket: String) throws -> ReceivedPass? { try outbox.pass(ticket: ticket) }

    /// Fetches a fresh delegation credential (at enrolment, then whenever online).
    public func renewCredential(endpoint: String, transport: Transport = URLSessionTransport(), at date: Date = Date()) async throws -> String {
        try await outbox.renewCredential(endpoint: endpoint, transport: transport, nowMs: Self.millis(date))
    }

    /// The signed paper fallback: a provisional pass signed on this device, checked against the
    /// checkpoint's bundle, standing for the request `replacing` (withdrawn); `drain` sends its
    /// reconciliation when the issuer is back.
    public func issueProvisional(_ request: TestPassRequest, trust: Checkpoint, endpoint: String, replacing: String? = nil, at date: Date = Date()) throws -> ProvisionalPass {
        try outbox.issueProvisional(request: request, verifier: trust.verifier, endpoint: endpoint, replacing: replacing, nowMs: Self.millis(date))
    }

    private static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }
}

public final class URLSessionTransport: Transport, @unchecked Sendable {
    private let session: URLSession

    public init(session: URLSession = .shared) { self.session = session }

    public func send(request: HttpRequest) async throws -> HttpResponse {
        guard let url = URL(string: request.url) else { throw HealthpassError.InvalidInput(reason: "not a URL") }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method
        request.headers.forEach { urlRequest.setValue($0.value, forHTTPHeaderField: $0.name) }
        if !request.body.isEmpty { urlRequest.httpBody = request.body }
        do {
            let (body, response) = try await session.data(for: urlRequest)
            let http = response as? HTTPURLResponse
            let headers = (http?.allHeaderFields ?? [:]).map { HttpHeader(name: "\($0.key)", value: "\($0.value)") }
            return HttpResponse(status: UInt16(http?.statusCode ?? 0), headers: headers, body: body)
        } catch {
            throw HealthpassError.Platform(reason: "network: \(error.localizedDescription)")
        }
    }
}

/// What a controller's screen shows.
public struct VerdictPresentation {
    public let valid: Bool
    /// Green, amber (provisional) or red, as Kotlin's `VerdictPresentation.signal`.
    public let signal: Signal
    public let headline: String
    public let reasons: [String]
    /// Why not, short, in the presentation's language (French or English): what a screen shows.
    public let reasonTitles: [String]
    /// What the issuer wrote oddly without changing the decision (still green when valid).
    public let notices: [String]
    public let name: String?
    /// The ICAO 9303 form (`FAMILY<<GIVEN`); nil for a 2D-DOC, whose names are already ASCII.
    public let machineReadableName: String?
    public let dateOfBirth: String?
    /// "EU DCC" or "French 2D-DOC": which kind of code was read.
    public let codeFormat: String
}

extension Verdict {
    public var presentation: VerdictPresentation { presentation(language: "en") }

    /// The screen's content in French for a `fr…` locale tag (`Locale.current.identifier`),
    /// English otherwise.
    public func presentation(language: String) -> VerdictPresentation {
        let valid = status == .valid
        let french = language.lowercased().hasPrefix("fr")
        let name = [holder?.givenName, holder?.familyName].compactMap { $0 }.joined(separator: " ")
        var machineName: String?
        if let holder, holder.familyNameTransliterated != nil || holder.givenNameTransliterated != nil {
            machineName = "\(holder.familyNameTransliterated ?? "")<<\(holder.givenNameTransliterated ?? "")"
        }
        let headline: String
        switch status {
        case .valid: headline = french ? "Certificat valide" : "Valid certificate"
        case .provisional:
            let pharmacy = provisional?.pharmacyName ?? (french ? "une pharmacie habilitée" : "a certified pharmacy")
            headline = french ? "Certificat provisoire de \(pharmacy)" : "Provisional certificate from \(pharmacy)"
        case .invalid: headline = french ? "Non valide" : "Not valid"
        }
        return VerdictPresentation(
            valid: valid,
            signal: signal,
            headline: headline,
            reasons: reasons.map(\.message),
            reasonTitles: reasons.map { french ? $0.titleFrench : $0.titleEnglish },
            notices: notices.map(\.message),
            name: name.isEmpty ? nil : name,
            machineReadableName: machineName,
            dateOfBirth: holder?.dateOfBirth,
            codeFormat: format == .twoDDoc ? "French 2D-DOC" : "EU DCC")
    }
}

/// Seals wallet rows with AES-256-GCM (CryptoKit) under a key the Keychain keeps: the sealed
/// value is CryptoKit's combined form (12-byte nonce, ciphertext, 16-byte tag), `context` bound
/// in as associated data.
public final class KeychainWalletKey: WalletKey, @unchecked Sendable {
    private let key: SymmetricKey

    public init(key: SymmetricKey) { self.key = key }

    /// The wallet key kept in the Keychain under `account` (this device only, readable after
    /// the first unlock, so a background fetch can store a pass), created on first use.
    public static func stored(account: String = "org.healthpass.wallet") throws -> KeychainWalletKey {
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrAccount as String: account,
            kSecReturnData as String: true,
        ]
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        if status == errSecSuccess, let data = item as? Data, data.count == 32 {
            return KeychainWalletKey(key: SymmetricKey(data: data))
        }
        guard status == errSecItemNotFound else {
            throw HealthpassError.Platform(reason: "Keychain: status \(status)")
        }
        let key = SymmetricKey(size: .bits256)
        let data = key.withUnsafeBytes { Data($0) }
        let add: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrAccount as String: account,
            kSecValueData as String: data,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
        ]
        let added = SecItemAdd(add as CFDictionary, nil)
        guard added == errSecSuccess else { throw HealthpassError.Platform(reason: "Keychain: status \(added)") }
        return KeychainWalletKey(key: key)
    }

    public func seal(plaintext: Data, context: Data) throws -> Data {
        guard let combined = try? AES.GCM.seal(plaintext, using: key, authenticating: context).combined else {
            throw HealthpassError.Platform(reason: "a wallet value could not be sealed")
        }
        return combined
    }

    public func unseal(sealed: Data, context: Data) throws -> Data {
        guard let box = try? AES.GCM.SealedBox(combined: sealed),
              let opened = try? AES.GCM.open(box, using: key, authenticating: context)
        else {
            throw HealthpassError.Platform(reason: "a wallet value does not open with this key")
        }
        return opened
    }
}

/// The traveller's wallet in `file` (app-private storage), sealed with `key` (nil: plain
/// storage, which `protection` reports). Passes are read offline; `fetch` registers transfer
/// codes and collects final passes (a BGTaskScheduler task at the earliest `nextPollAt`).
public final class TravellerWallet {
    private let wallet: PassWallet

    public init(file: URL, key: WalletKey?) throws {
        wallet = try PassWallet.open(path: file.path, key: key)
    }

    public var protection: WalletProtection { wallet.protection() }

    public func addText(_ text: String, at date: Date = Date()) throws -> AddedPass {
        try wallet.addText(text: text, now: Self.seconds(date))
    }

    /// A camera frame's luma plane (rows packed), read by the scanner.
    public func addFrame(luma: Data, width: UInt32, height: UInt32, at date: Date = Date()) throws -> AddedPass {
        try wallet.addFrame(luma: luma, width: width, height: height, now: Self.seconds(date))
    }

    /// A shared file: a picture of the code or its text.
    public func addFile(_ bytes: Data, at date: Date = Date()) throws -> AddedPass {
        try wallet.addFile(bytes: bytes, now: Self.seconds(date))
    }

    /// The passes in force and their state at `date`; checked against `trust` when given.
    public func passes(at date: Date = Date(), trust: Checkpoint? = nil) throws -> [WalletEntry] {
        try wallet.list(now: Self.seconds(date), verifier: trust?.verifier)
    }

    /// Every pass, replaced provisional passes included.
    public func history(at date: Date = Date(), trust: Checkpoint? = nil) throws -> [WalletEntry] {
        try wallet.history(now: Self.seconds(date), verifier: trust?.verifier)
    }

    public func passText(_ id: Int64) throws -> String { try wallet.passText(id: id) }

    public func remove(_ id: Int64) throws -> Bool { try wallet.remove(id: id) }

    public func export(_ id: Int64, format: WalletExport) throws -> Data { try wallet.export(id: id, format: format) }

    /// A transfer code for the pharmacist; `fetch` registers it with the issuer at `endpoint`.
    public func newTransferCode(endpoint: String, at date: Date = Date()) throws -> String {
        try wallet.createTransfer(endpoint: endpoint, now: Self.seconds(date))
    }

    public func transfers() throws -> [TransferInfo] { try wallet.transfers() }

    public func fetch(transport: Transport = URLSessionTransport(), force: Bool = false, at date: Date = Date()) async throws -> WalletFetch {
        try await wallet.fetch(transport: transport, force: force, now: Self.seconds(date))
    }

    private static func seconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }
}
