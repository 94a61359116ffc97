//! The committed OpenAPI 3.1 document (`service/openapi.json`) is what the running service
//! does: every documented route, method and status is produced by a real request here, and
//! every answer (status, media type, body schema, required headers, error code) matches the
//! document. The requests sent match the document's request schemas too, so a vendor who
//! follows the document gets the answers it describes.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use healthpass_core::dcc::json::json_to_cbor;
use healthpass_core::dcc::schema::CompiledSchema;
use healthpass_service::{AdmissionConfig, Database, RateLimit};
use serde_json::Value;

struct Contract {
    document: Value,
    observed: BTreeSet<(String, String, u16)>,
}

impl Contract {
    fn load() -> Self {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json")).unwrap();
        let document: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(document["openapi"], "3.1.0");
        Self { document, observed: BTreeSet::new() }
    }

    /// Follows a `$ref` to its target in the document.
    fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => self.resolve(self.document.pointer(reference.trim_start_matches('#')).unwrap()),
            None => value,
        }
    }

    /// A validator for a schema of the document; its `$ref`s resolve inside the document.
    fn validator(&self, schema: &Value) -> CompiledSchema {
        let wrapped = serde_json::json!({ "$defs": { "openapi": self.document }, "allOf": [schema] });
        let text = wrapped.to_string().replace("\"#/components/", "\"#/$defs/openapi/components/");
        CompiledSchema::compile(&serde_json::from_str(&text).unwrap()).unwrap()
    }

    fn conforms(&self, schema: &Value, value: &Value, what: &str) {
        let violations = self.validator(schema).validate(&json_to_cbor(value));
        assert!(violations.is_empty(), "{what}: {violations:?}\n{value}");
    }

    fn operation(&self, method: &str, template: &str) -> &Value {
        let operation = &self.document["paths"][template][method.to_ascii_lowercase()];
        assert!(operation.is_object(), "{method} {template} is not in the document");
        operation
    }

    /// Checks a request a client sends against the operation's parameters and body schema.
    fn check_request(&self, method: &str, template: &str, headers: &[(String, String)], body: &[u8]) {
        let operation = self.operation(method, template);
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let parameter = self.resolve(parameter);
            if parameter["in"] != "header" {
                continue;
            }
            let name = parameter["name"].as_str().unwrap();
            let value = headers.iter().find(|(header, _)| header.eq_ignore_ascii_case(name)).map(|(_, value)| value);
            match value {
                Some(value) => self.conforms(&parameter["schema"], &Value::String(value.clone()), name),
                None => assert_ne!(parameter["required"], true, "the request lacks the required header {name}"),
            }
        }
        if let Some(schema) = operation.pointer("/requestBody/content/application~1json/schema") {
            self.conforms(schema, &serde_json::from_slice(body).unwrap(), "request body");
        }
    }

    /// Checks an answer against the document and records the status as seen.
    fn check(&mut self, method: &str, template: &str, answer: &Answer) {
        let operation = self.operation(method, template);
        let documented = operation["responses"].get(answer.status.to_string());
        let response = self.resolve(documented.unwrap_or_else(|| {
            panic!(
                "{method} {template} answered {} (undocumented): {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
            )
        }));
        let content = response["content"].as_object().expect("every response has a body");
        let (media_type, media) = content.iter().next().unwrap();
        assert_eq!(answer.header("content-type"), Some(media_type.as_str()), "{method} {template} {}", answer.status);
        let body = if media_type == "application/json" {
            serde_json::from_slice(&answer.body).expect("a JSON body")
        } else {
            Value::String(String::from_utf8(answer.body.clone()).unwrap())
        };
        self.conforms(&media["schema"], &body, &format!("{method} {template} {}", answer.status));
        for (name, header) in response["headers"].as_object().into_iter().flatten() {
            let header = self.resolve(header);
            match answer.header(name) {
                Some(value) => self.conforms(&header["schema"], &Value::String(value.to_owned()), name),
                None => assert_ne!(header["required"], true, "{method} {template} {}: no {name}", answer.status),
            }
        }
        if let Some(codes) = response["x-error-codes"].as_array() {
            assert!(
                codes.contains(&body["error"]),
                "{method} {template} {}: code {} is not documented",
                answer.status,
                body["error"]
            );
        }
        self.observed.insert((template.to_owned(), method.to_owned(), answer.status));
    }

    fn documented(&self) -> BTreeSet<(String, String, u16)> {
        let mut all = BTreeSet::new();
        for (template, item) in self.document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                for status in operation["responses"].as_object().unwrap().keys() {
                    all.insert((template.clone(), method.to_ascii_uppercase(), status.parse().unwrap()));
                }
            }
        }
        all
    }
}

/// One raw HTTP/1.1 exchange whose body arrives too slowly (the client stops sending).
fn slow_body(address: SocketAddr, path: &str, headers: &str) -> Answer {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(stream, "POST {path} HTTP/1.1\r\nHost: x\r\n{headers}Content-Length: 100\r\n\r\n{{").unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(": "))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
        .collect();
    Answer { status, headers, body: body.as_bytes().to_vec() }
}

#[test]
fn the_running_service_does_what_the_openapi_document_says() {
    let mut contract = Contract::load();
    let dir = scratch("openapi");
    let mut config = config(Database::Sqlite(dir.join("issuer.sqlite")));
    config.http.body_timeout = Duration::from_millis(300);
    config.device_rate = RateLimit { burst: 8.0, per_second: 0.001 };
    config.admission = Some(AdmissionConfig { workers: 2, max_queue: 0, queue_timeout: Duration::from_secs(1) });
    let fallback_key =
        p256::pkcs8::EncodePrivateKey::to_pkcs8_der(&healthpass_tests::fallback_kit::root_key()).unwrap();
    config.fallback_key = Some(fallback_key.as_bytes().to_vec());
    let service = healthpass_service::start(&config).unwrap();
    let without_fallback_dir = scratch("openapi-plain");
    let without_fallback = start_sqlite(&without_fallback_dir);
    let base = service.url();
    let agent = agent();
    let now = now();
    let (device, noisy, retired) = (Device::new(0x80), Device::new(0x81), Device::new(0x82));
    let devices_url = format!("{base}/v1/devices");
    let device_url = |device: &Device, action: &str| format!("{base}/v1/devices/{}{action}", device.id);
    let wrong_token = vec![("Authorization".to_owned(), "Bearer wrong-token-0000000000".to_owned())];

    // Operators: enrol (201, then 200), refusals.
    for (who, expected) in [(&device, 201), (&device, 200), (&noisy, 201), (&retired, 201)] {
        let body = who.enrolment("Pharmacie du Centre");
        contract.check_request("POST", "/v1/devices", &operator_headers(), body.as_bytes());
        let answer = send(&agent, "POST", &devices_url, &operator_headers(), body.as_bytes()).unwrap();
        assert_eq!(answer.status, expected);
        contract.check("POST", "/v1/devices", &answer);
    }
    for (headers, body) in [
        (operator_headers(), b"{\"public_key\":1}".to_vec()),
        (wrong_token.clone(), device.enrolment("x").into_bytes()),
        (operator_headers(), vec![b' '; 20_000]),
    ] {
        let answer = send(&agent, "POST", &devices_url, &headers, &body).unwrap();
        contract.check("POST", "/v1/devices", &answer);
    }
    let slow = slow_body(service.address, "/v1/devices", &format!("Authorization: Bearer {OPERATOR_TOKEN}\r\n"));
    contract.check("POST", "/v1/devices", &slow);

    // Device routes: 200, 400, 401, 404 for each; 409 for a revoked device.
    for (template, method, action) in [
        ("/v1/devices/{device_id}", "GET", ""),
        ("/v1/devices/{device_id}/suspend", "POST", "/suspend"),
        ("/v1/devices/{device_id}/resume", "POST", "/resume"),
        ("/v1/devices/{device_id}/revoke", "POST", "/revoke"),
    ] {
        let target = if action == "/revoke" { &retired } else { &device };
        for (url, headers) in [
            (device_url(target, action), operator_headers()),
            (format!("{base}/v1/devices/not!an!id{action}"), operator_headers()),
            (device_url(target, action), wrong_token.clone()),
            (format!("{base}/v1/devices/AAAAAAAAAAA{action}"), operator_headers()),
        ] {
            contract.check(method, template, &send(&agent, method, &url, &headers, b"").unwrap());
        }
    }
    for (template, action) in
        [("/v1/devices/{device_id}/suspend", "/suspend"), ("/v1/devices/{device_id}/resume", "/resume")]
    {
        let answer = send(&agent, "POST", &device_url(&retired, action), &operator_headers(), b"").unwrap();
        assert_eq!(answer.status, 409);
        contract.check("POST", template, &answer);
    }

    // Issuance: 201 and its replay.
    let issuances = "/v1/issuances";
    let body = entry("Martin", now).to_json();
    let good = device.sign(&body, &fresh_key(4000), now);
    contract.check_request("POST", issuances, &good.headers, &good.body);
    for _ in 0..2 {
        contract.check("POST", issuances, &post_issuance(&agent, &base, &good).unwrap());
    }
    let mut unkeyed = good.clone();
    unkeyed.headers.retain(|(name, _)| name != "Idempotency-Key");
    let mut unsigned = good.clone();
    unsigned.headers.retain(|(name, _)| name != "Signature");
    let mut bad_entry = entry("Martin", now);
    bad_entry.date_of_birth = "12/04/1987".into();
    let held_body = entry("Petit", now).to_json();
    let held_key = fresh_key(4002);
    let digest = healthpass_core::protocol::verify_content_digest(
        &healthpass_core::protocol::content_digest(&held_body),
        &held_body,
    )
    .unwrap();
    service.store.claim(device.id, &held_key, digest, now, Duration::from_secs(30)).unwrap();
    for request in [
        unkeyed,
        unsigned,
        device.sign(&bad_entry.to_json(), &fresh_key(4001), now),
        device.sign(&entry("Bernard", now).to_json(), &fresh_key(4000), now),
        device.sign(&held_body, &held_key, now),
        device.sign(&vec![b' '; 20_000], &fresh_key(4003), now),
    ] {
        contract.check("POST", issuances, &post_issuance(&agent, &base, &request).unwrap());
    }
    contract.check("POST", issuances, &slow_body(service.address, issuances, ""));
    // The signed paper fallback: credentials and reconciliations.
    let pharmacy = Device::new(0x84);
    send(&agent, "POST", &devices_url, &operator_headers(), pharmacy.enrolment("Pharmacie du Marché").as_bytes())
        .unwrap();
    let credentials = "/v1/credentials";
    let credential_request = pharmacy.sign_for(credentials, b"{}", &fresh_key(4400), now);
    contract.check_request("POST", credentials, &credential_request.headers, &credential_request.body);
    let issued =
        send(&agent, "POST", &format!("{base}{credentials}"), &credential_request.headers, &credential_request.body)
            .unwrap();
    assert_eq!(issued.status, 201);
    contract.check("POST", credentials, &issued);
    let mut unsigned_credential = credential_request.clone();
    unsigned_credential.headers.retain(|(name, _)| name != "Signature");
    for (url, request) in [
        (format!("{base}{credentials}"), pharmacy.sign_for(credentials, b"[]", &fresh_key(4401), now)),
        (format!("{base}{credentials}"), unsigned_credential),
        (
            format!("{}{credentials}", without_fallback.url()),
            pharmacy.sign_for(credentials, b"{}", &fresh_key(4402), now),
        ),
    ] {
        contract.check("POST", credentials, &send(&agent, "POST", &url, &request.headers, &request.body).unwrap());
    }
    let credential = {
        use base64::Engine as _;
        let body: Value = serde_json::from_slice(&issued.body).unwrap();
        base64::engine::general_purpose::STANDARD.decode(body["credential"].as_str().unwrap()).unwrap()
    };
    let root = service.service.issuance.fallback.as_ref().unwrap().root().clone();
    let signer = std::sync::Arc::new(healthpass_core::codec::cose::SoftwareSigner::new(pharmacy.key.clone()));
    let provisional_issuer = healthpass_core::fallback::ProvisionalIssuer::new(
        signer,
        credential,
        &[root],
        healthpass_core::issue::IssuingPolicy::default(),
    )
    .unwrap();
    let entry_request = entry("Moreau", now).to_test_request("Healthpass").unwrap();
    let provisional = provisional_issuer.issue(&entry_request, 1, now).unwrap();
    let reconciliations = "/v1/reconciliations";
    let uvci = provisional.pass.certificate_id.clone();
    let upload = |text: &str| {
        healthpass_core::protocol::ReconciliationRequest {
            provisional_pass: text.to_owned(),
            replaces: None,
            transfer_code: None,
        }
        .to_json()
    };
    let derived = healthpass_core::protocol::reconciliation_key(&uvci).to_string();
    let good_upload = pharmacy.sign_for(reconciliations, &upload(&provisional.pass.text), &derived, now);
    contract.check_request("POST", reconciliations, &good_upload.headers, &good_upload.body);
    for _ in 0..2 {
        let answer =
            send(&agent, "POST", &format!("{base}{reconciliations}"), &good_upload.headers, &good_upload.body).unwrap();
        assert_eq!(answer.status, 201);
        contract.check("POST", reconciliations, &answer);
    }
    let mut tampered = provisional.pass.text.clone();
    tampered.truncate(tampered.len() - 6);
    tampered.push_str("000000");
    let mut unsigned_upload = good_upload.clone();
    unsigned_upload.headers.retain(|(name, _)| name != "Signature");
    let stranger = Device::new(0x85);
    send(&agent, "POST", &devices_url, &operator_headers(), stranger.enrolment("Pharmacie du Port").as_bytes())
        .unwrap();
    for (url, request) in [
        (format!("{base}{reconciliations}"), pharmacy.sign_for(reconciliations, b"{}", &fresh_key(4403), now)),
        (format!("{base}{reconciliations}"), unsigned_upload),
        (
            format!("{base}{reconciliations}"),
            stranger.sign_for(reconciliations, &upload(&provisional.pass.text), &derived, now),
        ),
        (format!("{base}{reconciliations}"), pharmacy.sign_for(reconciliations, &upload(&tampered), &derived, now)),
        (
            format!("{base}{reconciliations}"),
            pharmacy.sign_for(reconciliations, &upload(&provisional.pass.text), &fresh_key(4404), now),
        ),
        (format!("{}{reconciliations}", without_fallback.url()), good_upload.clone()),
    ] {
        contract.check("POST", reconciliations, &send(&agent, "POST", &url, &request.headers, &request.body).unwrap());
    }

    // 429: a device over its allowance.
    for n in 0..9 {
        let answer = post_issuance(&agent, &base, &noisy.sign(&body, &fresh_key(4100 + n), now)).unwrap();
        contract.check("POST", issuances, &answer);
    }
    // 503: every worker busy and no queue.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let held: Vec<_> = (0..2).map(|_| runtime.block_on(service.service.admission.admit(None)).unwrap()).collect();
    contract.check(
        "POST",
        issuances,
        &post_issuance(&agent, &base, &device.sign(&body, &fresh_key(4200), now)).unwrap(),
    );
    drop(held);
    // 403: a suspended device.
    send(&agent, "POST", &device_url(&device, "/suspend"), &operator_headers(), b"").unwrap();
    let suspended_credential = device.sign_for(credentials, b"{}", &fresh_key(4500), now);
    contract.check(
        "POST",
        credentials,
        &send(
            &agent,
            "POST",
            &format!("{base}{credentials}"),
            &suspended_credential.headers,
            &suspended_credential.body,
        )
        .unwrap(),
    );
    contract.check(
        "POST",
        issuances,
        &post_issuance(&agent, &base, &device.sign(&body, &fresh_key(4300), now)).unwrap(),
    );

    // Transfer codes: a wallet registers, polls, collects; every refusal.
    let wallet_key = p256::SecretKey::from_slice(&[0x71; 32]).unwrap();
    let stranger_key = p256::SecretKey::from_slice(&[0x72; 32]).unwrap();
    let registration = |key: &p256::SecretKey| {
        use p256::elliptic_curve::sec1::ToSec1Point;
        let public = key.public_key().to_sec1_point(false);
        serde_json::json!({ "public_key": healthpass_core::protocol::transfer::encode_base64url(public.as_bytes()) })
            .to_string()
    };
    let transfers = format!("{base}/v1/transfers");
    contract.check_request("POST", "/v1/transfers", &[], registration(&wallet_key).as_bytes());
    let mut code = String::new();
    for expected in [201, 200] {
        let answer = send(&agent, "POST", &transfers, &[], registration(&wallet_key).as_bytes()).unwrap();
        assert_eq!(answer.status, expected);
        code = answer.json()["code"].as_str().unwrap().to_owned();
        contract.check("POST", "/v1/transfers", &answer);
    }
    for body in [b"{\"public_key\":\"AAAA\"}".to_vec(), vec![b' '; 20_000]] {
        contract.check("POST", "/v1/transfers", &send(&agent, "POST", &transfers, &[], &body).unwrap());
    }
    let signed = |key: &p256::SecretKey, method: &str, code: &str, created: i64| {
        use p256::ecdsa::signature::Signer as _;
        let base = healthpass_core::protocol::transfer::transfer_signature_base(
            method,
            &format!("/v1/transfers/{code}"),
            created,
        );
        let signature: p256::ecdsa::Signature = p256::ecdsa::SigningKey::from(key).sign(base.as_bytes());
        vec![
            ("Transfer-Created".to_owned(), created.to_string()),
            (
                "Transfer-Signature".to_owned(),
                healthpass_core::protocol::transfer::encode_base64url(&signature.to_bytes()),
            ),
        ]
    };
    // A mistyped code in an issuance: 422 before anything is signed.
    let courier = Device::new(0x86);
    send(&agent, "POST", &devices_url, &operator_headers(), courier.enrolment("Pharmacie du Quai").as_bytes()).unwrap();
    let mut with_code = entry("Lambert", now);
    with_code.transfer_code = Some(format!("{}{}", &code[..10], if code.ends_with('0') { '1' } else { '0' }));
    let mistyped = courier.sign(&with_code.to_json(), &fresh_key(4600), now);
    contract.check_request("POST", issuances, &mistyped.headers, &mistyped.body);
    let answer = post_issuance(&agent, &base, &mistyped).unwrap();
    assert_eq!(answer.json()["error"], "transfer_code_invalid");
    contract.check("POST", issuances, &answer);
    with_code.transfer_code = Some(code.clone());
    assert_eq!(
        post_issuance(&agent, &base, &courier.sign(&with_code.to_json(), &fresh_key(4601), now)).unwrap().status,
        201
    );
    let code_url = format!("{transfers}/{code}");
    for method in ["GET", "DELETE"] {
        let template = "/v1/transfers/{code}";
        let owner = signed(&wallet_key, method, &code, now.seconds());
        contract.check_request(method, template, &owner, b"");
        for (url, headers) in [
            (format!("{transfers}/ABC"), owner.clone()),
            (code_url.clone(), Vec::new()),
            (code_url.clone(), signed(&wallet_key, method, &code, now.seconds() - 3_600)),
            (code_url.clone(), signed(&stranger_key, method, &code, now.seconds())),
        ] {
            contract.check(method, template, &send(&agent, method, &url, &headers, b"").unwrap());
        }
        let answer = send(&agent, method, &code_url, &owner, b"").unwrap();
        assert_eq!(answer.status, 200);
        if method == "GET" {
            assert_eq!(answer.json()["deliveries"].as_array().unwrap().len(), 1);
        }
        contract.check(method, template, &answer);
    }
    for method in ["GET", "DELETE"] {
        let gone = send(&agent, method, &code_url, &signed(&wallet_key, method, &code, now.seconds()), b"").unwrap();
        assert_eq!(gone.status, 410);
        contract.check(method, "/v1/transfers/{code}", &gone);
    }
    // Guessing at speed: every transfer route answers 429 to the address.
    for _ in 0..40 {
        send(&agent, "GET", &format!("{transfers}/ABC"), &[], b"").unwrap();
    }
    for (method, url, template) in [
        ("POST", transfers.clone(), "/v1/transfers"),
        ("GET", code_url.clone(), "/v1/transfers/{code}"),
        ("DELETE", code_url.clone(), "/v1/transfers/{code}"),
    ] {
        let answer = send(&agent, method, &url, &[], registration(&wallet_key).as_bytes()).unwrap();
        assert_eq!(answer.status, 429);
        contract.check(method, template, &answer);
    }

    for template in ["/healthz", "/metrics"] {
        contract.check("GET", template, &send(&agent, "GET", &format!("{base}{template}"), &[], b"").unwrap());
    }

    let missing: Vec<_> = contract.documented().difference(&contract.observed).cloned().collect();
    assert!(missing.is_empty(), "documented but never produced: {missing:?}");
}
