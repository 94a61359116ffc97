//! What the provisional-pass tests share: a fallback root, pharmacy devices, their delegation
//! credentials, a trust bundle carrying the root, and a way to assemble passes by hand (with
//! the credential or the kid where no honest device puts them).

use std::sync::Arc;

use ciborium::Value;
use healthpass_core::codec::cbor;
use healthpass_core::codec::cose::{Signer, SoftwareSigner, sig_structure};
use healthpass_core::dcc::CertificateType;
use healthpass_core::fallback::ProvisionalIssuer;
use healthpass_core::issue::IssuingPolicy;
use healthpass_core::time::UnixTime;
use healthpass_core::trust::anchor::key_kid;
use healthpass_core::trust::{
    DelegationClaims, DelegationScope, DeviceRevocation, FallbackRoot, Kid, TrustAnchor, TrustBundle,
    TrustBundleContents,
};
use healthpass_core::verify::Verifier;
use p256::ecdsa::SigningKey;

use crate::vectors::{bundle_contents, demo_authority, fixed_key};

/// The tests' clock.
pub fn now() -> UnixTime {
    UnixTime::parse_rfc3339("2027-02-01T09:00:00Z").unwrap_or(UnixTime::from_seconds(0))
}

/// The authority's fallback key (distinct from every document signer and anchor key).
pub fn root_key() -> SigningKey {
    fixed_key(0x71)
}

/// The fallback root a bundle carries for `key`.
pub fn root_of(key: &SigningKey, name: &str) -> FallbackRoot {
    FallbackRoot {
        kid: key_kid(key.verifying_key()),
        public_key: key.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
        country: "FR".into(),
        name: name.into(),
    }
}

/// The authority's fallback root.
pub fn root() -> FallbackRoot {
    root_of(&root_key(), "Agence du Numérique en Santé (test)")
}

/// A pharmacy device's key.
pub fn device_key(seed: u8) -> SigningKey {
    fixed_key(0x80 | (seed & 0x3f))
}

/// The device's kid (its id in the issuance protocol).
pub fn device_kid(key: &SigningKey) -> Kid {
    key_kid(key.verifying_key())
}

/// Two weeks of delegation around [`now`] for `device`: tests only (both test types), passes
/// of at most 48 h, sequence numbers up to 10,000.
pub fn claims(device: &SigningKey) -> DelegationClaims {
    DelegationClaims {
        issuer: "FR".into(),
        device: device_kid(device),
        device_key: *device.verifying_key(),
        not_before: now().saturating_sub(86_400),
        expires_at: now().saturating_add(13 * 86_400),
        pharmacy_id: "FINESS-690000001".into(),
        pharmacy_name: "Pharmacie du Centre, Lyon".into(),
        scope: DelegationScope {
            certificate_types: vec![CertificateType::Test],
            test_types: vec!["LP217198-3".into(), "LP6464-4".into()],
            max_validity_seconds: 48 * 3600,
            max_sequence: 10_000,
        },
    }
}

/// `claims` signed by `authority` (the root's key, or a forger's).
pub fn credential(claims: &DelegationClaims, authority: &SigningKey) -> Vec<u8> {
    claims.sign(key_kid(authority.verifying_key()), &SoftwareSigner::new(authority.clone())).unwrap_or_default()
}

/// The signed bytes of a bundle trusting the demo document signer, `roots` and `revocations`,
/// and the PEM of the tests' anchor that signed it; in force for 30 days around [`now`].
pub fn signed_bundle(roots: Vec<FallbackRoot>, revocations: Vec<DeviceRevocation>) -> (Vec<u8>, String) {
    signed_bundle_around(roots, revocations, now())
}

/// As [`signed_bundle`], in force for 30 days around `center`.
pub fn signed_bundle_around(
    roots: Vec<FallbackRoot>,
    revocations: Vec<DeviceRevocation>,
    center: UnixTime,
) -> (Vec<u8>, String) {
    let contents = TrustBundleContents {
        two_d_doc: None,
        fallback_roots: roots,
        device_revocations: revocations,
        ..bundle_contents(
            &demo_authority().dsc.certificate_der,
            center.saturating_sub(30 * 86_400),
            center.saturating_add(30 * 86_400),
        )
    };
    let anchor_key = fixed_key(0x61);
    let signed = contents.sign(&SoftwareSigner::new(anchor_key.clone())).unwrap_or_default();
    (signed, TrustAnchor::new(*anchor_key.verifying_key()).to_pem())
}

/// The bundle of [`signed_bundle`], loaded.
pub fn bundle(roots: Vec<FallbackRoot>, revocations: Vec<DeviceRevocation>) -> Arc<TrustBundle> {
    let (signed, _) = signed_bundle(roots, revocations);
    let anchor = TrustAnchor::new(*fixed_key(0x61).verifying_key());
    Arc::new(TrustBundle::load(&signed, &[anchor]).unwrap_or_else(|error| panic!("{error}")))
}

/// A controller's verifier with a bundle carrying the fallback root.
pub fn controller(revocations: Vec<DeviceRevocation>) -> Verifier {
    Verifier::with_bundle(bundle(vec![root()], revocations), None).unwrap_or_else(|error| panic!("{error}"))
}

/// The provisional issuer of device `seed` under an honest credential.
pub fn issuer(seed: u8) -> ProvisionalIssuer {
    let key = device_key(seed);
    let signer: Arc<dyn Signer> = Arc::new(SoftwareSigner::new(key.clone()));
    ProvisionalIssuer::new(signer, credential(&claims(&key), &root_key()), &[root()], IssuingPolicy::default())
        .unwrap_or_else(|error| panic!("{error}"))
}

/// Where a hand-assembled pass puts the credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialPlacement {
    /// Unprotected label 13, as brief §5 says.
    Unprotected,
    /// In the protected header (signed over, but not where verifiers look).
    Protected,
    /// Nowhere.
    Stripped,
}

/// A pass over `claims` signed by `key` (ES256) under `kid`, the protected header naming
/// `algorithm`, with `credential` placed as told.
pub fn assemble(
    claims: &Value,
    key: &SigningKey,
    kid: Kid,
    algorithm: i64,
    credential: &[u8],
    placement: CredentialPlacement,
) -> String {
    let int = |n: i64| Value::Integer(n.into());
    let mut protected = vec![(int(1), int(algorithm)), (int(4), Value::Bytes(kid.as_bytes().to_vec()))];
    let mut unprotected = Vec::new();
    match placement {
        CredentialPlacement::Unprotected => unprotected.push((int(13), Value::Bytes(credential.to_vec()))),
        CredentialPlacement::Protected => protected.push((int(13), Value::Bytes(credential.to_vec()))),
        CredentialPlacement::Stripped => {}
    }
    let protected = cbor::encode(&Value::Map(protected));
    let payload = cbor::encode(claims);
    let signature: p256::ecdsa::Signature =
        p256::ecdsa::signature::Signer::sign(key, &sig_structure(&protected, &payload));
    let cose = cbor::encode(&Value::Tag(
        18,
        Box::new(Value::Array(vec![
            Value::Bytes(protected),
            Value::Map(unprotected),
            Value::Bytes(payload),
            Value::Bytes(signature.to_bytes().to_vec()),
        ])),
    ));
    healthpass_core::codec::wrap_cose(&cose)
}
