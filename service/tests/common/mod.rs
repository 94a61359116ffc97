//! What the service's tests share: a pharmacy device that signs requests, an HTTP client, and
//! a service on loopback with the demo authority's signer.
#![allow(dead_code, reason = "each test file uses its own part of the helpers")]

use healthpass_tests::scratch::ScratchDir;
use std::time::Duration;

use healthpass_core::codec::cose::SoftwareSigner;
use healthpass_core::protocol::{
    DeviceId, ISSUANCE_PATH, IdempotencyKey, IssuanceRequest, SignedRequestParts, TestKind, TestOutcome,
    content_digest, sign_request,
};
use healthpass_core::time::UnixTime;
use healthpass_service::{Database, RunningService, ServiceConfig};
use p256::pkcs8::EncodePrivateKey;

pub const OPERATOR_TOKEN: &str = "operator-token-for-tests-0123456789";

/// A scratch directory for this test, removed when dropped.
pub fn scratch(name: &str) -> ScratchDir {
    ScratchDir::new(&format!("service-{name}"))
}

/// The demo authority's document signer: its key (PKCS#8 PEM) and certificate (DER).
pub fn signer_files() -> (Vec<u8>, Vec<u8>) {
    let authority = healthpass_tests::vectors::demo_authority();
    let key = authority.dsc.key.to_pkcs8_pem(p256::pkcs8::LineEnding::LF).unwrap().as_bytes().to_vec();
    (key, authority.dsc.certificate_der.clone())
}

pub fn config(database: Database) -> ServiceConfig {
    let (key, certificate) = signer_files();
    ServiceConfig::new("127.0.0.1:0".parse().unwrap(), database, key, certificate, OPERATOR_TOKEN.into())
}

pub fn start_sqlite(dir: &std::path::Path) -> RunningService {
    healthpass_service::start(&config(Database::Sqlite(dir.join("issuer.sqlite")))).unwrap()
}

/// A pharmacy device: its key and id.
pub struct Device {
    pub key: p256::ecdsa::SigningKey,
    pub id: DeviceId,
}

impl Device {
    /// A device with a fixed key from `seed`.
    pub fn new(seed: u8) -> Self {
        let key = healthpass_tests::vectors::fixed_key(seed);
        let id = DeviceId::of_key(key.verifying_key());
        Self { key, id }
    }

    /// The JSON body of an enrolment.
    pub fn enrolment(&self, pharmacy: &str) -> String {
        use base64::Engine as _;
        use p256::pkcs8::EncodePublicKey;
        let spki = self.key.verifying_key().to_public_key_der().unwrap();
        serde_json::json!({
            "public_key": base64::engine::general_purpose::STANDARD.encode(spki.as_bytes()),
            "pharmacy_id": format!("FINESS-{}", self.id),
            "pharmacy_name": pharmacy,
        })
        .to_string()
    }

    /// A signed issuance request for `body` under `key`, signed at `created`.
    pub fn sign(&self, body: &[u8], key: &str, created: UnixTime) -> SignedRequest {
        self.sign_for(ISSUANCE_PATH, body, key, created)
    }

    /// A request to the device-signed route at `path`.
    pub fn sign_for(&self, path: &str, body: &[u8], key: &str, created: UnixTime) -> SignedRequest {
        let digest = content_digest(body);
        let parts = SignedRequestParts { method: "POST", path, content_digest: &digest, idempotency_key: key };
        let signature = sign_request(&parts, self.id, created, &SoftwareSigner::new(self.key.clone())).unwrap();
        SignedRequest {
            headers: vec![
                ("Idempotency-Key".into(), key.into()),
                ("Content-Digest".into(), digest),
                ("Signature-Input".into(), signature.signature_input),
                ("Signature".into(), signature.signature),
                ("Content-Type".into(), "application/json".into()),
            ],
            body: body.to_vec(),
        }
    }
}

/// The headers and body of a request to send.
#[derive(Clone)]
pub struct SignedRequest {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A negative rapid antigen test sampled an hour before `now`, for holder `family_name`.
pub fn entry(family_name: &str, now: UnixTime) -> IssuanceRequest {
    IssuanceRequest {
        family_name: family_name.into(),
        given_name: "Amélie".into(),
        date_of_birth: "1987-04-12".into(),
        test_type: TestKind::RapidAntigen,
        device: Some("1232".into()),
        test_name: None,
        sampled_at: now.saturating_sub(3600).to_rfc3339(),
        result: TestOutcome::Negative,
        centre: "Pharmacie du Centre".into(),
        country: "FR".into(),
        transfer_code: None,
    }
}

pub fn fresh_key(n: u64) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&n.to_be_bytes());
    bytes[8..].copy_from_slice(&std::process::id().to_be_bytes().repeat(2));
    IdempotencyKey::random(bytes).to_string()
}

/// An answer: status, headers (lower-case names), body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .new_agent()
}

/// Sends a request; `Err` only when no HTTP answer came.
pub fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Answer, String> {
    let mut builder = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let request = builder.body(body.to_vec()).map_err(|error| error.to_string())?;
    let mut response = agent.run(request).map_err(|error| error.to_string())?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap_or("").to_owned()))
        .collect();
    let body = response.body_mut().read_to_vec().map_err(|error| error.to_string())?;
    Ok(Answer { status, headers, body })
}

pub fn post_issuance(agent: &ureq::Agent, base: &str, request: &SignedRequest) -> Result<Answer, String> {
    send(agent, "POST", &format!("{base}{ISSUANCE_PATH}"), &request.headers, &request.body)
}

pub fn operator_headers() -> Vec<(String, String)> {
    vec![
        ("Authorization".into(), format!("Bearer {OPERATOR_TOKEN}")),
        ("Content-Type".into(), "application/json".into()),
    ]
}

pub fn enrol(agent: &ureq::Agent, base: &str, device: &Device) -> Answer {
    send(
        agent,
        "POST",
        &format!("{base}/v1/devices"),
        &operator_headers(),
        device.enrolment("Pharmacie du Centre").as_bytes(),
    )
    .unwrap()
}

pub fn now() -> UnixTime {
    healthpass_service::system_now()
}

/// The URL of a fresh, empty PostgreSQL database for `name`: from the cluster at
/// `HEALTHPASS_TEST_POSTGRES_URL` (set by `scripts/test`), or from the one
/// `scripts/start-test-postgres` starts (installed by `scripts/install-test-tools`).
pub fn postgres_database(name: &str) -> String {
    let base = match std::env::var("HEALTHPASS_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/start-test-postgres");
            let output = std::process::Command::new(&script).output().expect("run scripts/start-test-postgres");
            assert!(
                output.status.success(),
                "PostgreSQL could not be started for the tests: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            String::from_utf8(output.stdout).unwrap().trim().to_owned()
        }
    };
    // One database per test name, dropped and made afresh at each run: named per process, they
    // piled up in the cluster that every run on a machine shares (66 after a week).
    let database = format!("hp_{name}");
    let mut admin = postgres::Client::connect(&base, postgres::NoTls).expect("connect to the test PostgreSQL");
    // One statement each: PostgreSQL creates and drops databases outside transactions only.
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)")).unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {database}")).unwrap();
    let (server, _) = base.rsplit_once('/').expect("a URL with a database name");
    format!("{server}/{database}")
}

/// A family name of letters only, distinct for every `n` (names hold no digits).
pub fn family_name(n: u64) -> String {
    let mut name = String::from("Martin");
    let mut rest = n;
    loop {
        name.push(char::from(b'a' + u8::try_from(rest % 26).unwrap()));
        rest /= 26;
        if rest == 0 {
            break name;
        }
    }
}

/// The outbox's requests over real HTTP.
pub struct Http(pub ureq::Agent);

impl healthpass_core::outbox::Transport for Http {
    fn send(
        &self,
        request: &healthpass_core::outbox::HttpRequest,
    ) -> Result<healthpass_core::outbox::HttpResponse, healthpass_core::outbox::TransportError> {
        send(&self.0, &request.method, &request.url, &request.headers, &request.body)
            .map(|answer| healthpass_core::outbox::HttpResponse {
                status: answer.status,
                headers: answer.headers,
                body: answer.body,
            })
            .map_err(healthpass_core::outbox::TransportError)
    }
}

pub fn start_with_fallback(dir: &std::path::Path) -> RunningService {
    start_with_fallback_on(Database::Sqlite(dir.join("issuer.sqlite")))
}

/// The service on `database` with the test fallback key (credentials, reconciliations).
pub fn start_with_fallback_on(database: Database) -> RunningService {
    let mut config = config(database);
    let key = p256::pkcs8::EncodePrivateKey::to_pkcs8_der(&healthpass_tests::fallback_kit::root_key()).unwrap();
    config.fallback_key = Some(key.as_bytes().to_vec());
    healthpass_service::start(&config).unwrap()
}

/// A device enrolled with `seed`'s key, its outbox at `outbox_path`, holding a fresh
/// delegation credential from the service.
pub fn credentialed_device(
    service: &RunningService,
    seed: u8,
    outbox_path: &std::path::Path,
) -> (
    std::sync::Arc<dyn healthpass_core::codec::cose::Signer>,
    healthpass_core::outbox::DeviceCredentials,
    healthpass_core::outbox::Outbox,
) {
    use healthpass_core::outbox::Transport as _;
    let (signer, device) = enrol_device(service, seed);
    let outbox = healthpass_core::outbox::Outbox::open(outbox_path).unwrap();
    let now = healthpass_core::time::UnixMillis::from(now());
    let answer = Http(agent()).send(&outbox.credential_request(&service.url(), &device, now).unwrap()).unwrap();
    outbox.record_credential(&answer).unwrap();
    (signer, device, outbox)
}

pub fn enrol_device(
    service: &RunningService,
    seed: u8,
) -> (std::sync::Arc<dyn healthpass_core::codec::cose::Signer>, healthpass_core::outbox::DeviceCredentials) {
    let key = healthpass_tests::fallback_kit::device_key(seed);
    service
        .store
        .enrol(&healthpass_service::storage::DeviceRecord {
            id: DeviceId::of_key(key.verifying_key()),
            public_key: key.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            pharmacy_id: "FINESS-690000001".into(),
            pharmacy_name: "Pharmacie du Centre, Lyon".into(),
            status: healthpass_core::protocol::DeviceStatus::Active,
            enrolled_at: now(),
        })
        .unwrap();
    let signer: std::sync::Arc<dyn healthpass_core::codec::cose::Signer> =
        std::sync::Arc::new(SoftwareSigner::new(key));
    let device = healthpass_core::outbox::DeviceCredentials::new(signer.clone()).unwrap();
    (signer, device)
}

/// A controller's verifier trusting the service's signer and its fallback root (a bundle in
/// force a day either side of now, signed by a test anchor).
pub fn gate_of(service: &RunningService) -> healthpass_core::verify::Verifier {
    let root = service.service.issuance.fallback.as_ref().unwrap().root().clone();
    let contents = healthpass_core::trust::TrustBundleContents {
        two_d_doc: None,
        fallback_roots: vec![root],
        ..healthpass_tests::vectors::bundle_contents(
            &signer_files().1,
            now().saturating_sub(86_400),
            now().saturating_add(86_400),
        )
    };
    let anchor = healthpass_tests::vectors::fixed_key(0x61);
    let bundle = contents.sign(&SoftwareSigner::new(anchor.clone())).unwrap();
    let bundle = healthpass_core::trust::TrustBundle::load(
        &bundle,
        &[healthpass_core::trust::TrustAnchor::new(*anchor.verifying_key())],
    )
    .unwrap();
    healthpass_core::verify::Verifier::with_bundle(std::sync::Arc::new(bundle), None).unwrap()
}
