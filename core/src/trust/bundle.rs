//! The signed trust bundle: one file that gives a verifier everything it needs offline.
//!
//! A COSE_Sign1 (tag 18, ES256) by a trust anchor pinned in the app, whose payload is a CBOR
//! map: format version, a monotonic sequence number, issue / not-before / expiry times, signer
//! certificates with the certificate types each may sign, fallback roots and device revocations
//! (for provisional passes), business rules and value sets (JSON text), and the revocation hash
//! lists. The signature is checked over a streamed digest, so a bundle of a million revocation
//! hashes is never copied into a Sig_structure.

use ciborium::Value;
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use sha2::{Digest, Sha256};

use super::anchor::TrustAnchor;
use super::dsc::{DocumentSignerCertificate, DscError};
use super::key_usage::KeyUsage;
use super::kid::Kid;
use super::revocation::{HashList, RevocationListError, RevocationLists};
use super::store::TrustStore;
use crate::codec::cbor::kind_of;
use crate::codec::cbor::{self, CborError, CborLimits};
use crate::dcc::CertificateType;
use crate::time::UnixTime;

pub const BUNDLE_FORMAT: u64 = 1;
/// A bundle with every EU signer and a few million revocation hashes stays far below this.
pub const MAX_BUNDLE_BYTES: usize = 256 * 1024 * 1024;
const TAG_COSE_SIGN1: u64 = 18;

/// CBOR limits for bundles: many items (thousands of signers, rules), shallow nesting.
fn bundle_limits() -> CborLimits {
    CborLimits { max_depth: 16, max_items: 2_000_000 }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("the trust bundle is {size} bytes; at most {limit} are accepted")]
    TooLarge { size: usize, limit: usize },
    #[error("the trust bundle is not a signed bundle: {0}")]
    Cbor(#[from] CborError),
    #[error("the trust bundle is not a COSE_Sign1 structure ({detail})")]
    NotSigned { detail: String },
    #[error("the trust bundle is signed by key {kid}, which is not a pinned trust anchor")]
    UnknownAnchor { kid: String },
    #[error("the trust bundle's signature does not verify with the pinned anchor {kid}")]
    BadSignature { kid: String },
    #[error("the trust bundle uses format {found}; this app reads format {BUNDLE_FORMAT}")]
    UnsupportedFormat { found: u64 },
    #[error("the trust bundle's field {field:?} {problem}")]
    Malformed { field: &'static str, problem: String },
    #[error("signer certificate {index} in the trust bundle: {error}")]
    Certificate { index: usize, error: DscError },
    #[error("the trust bundle's {list} revocation list: {error}")]
    Revocations { list: &'static str, error: RevocationListError },
    #[error("trust bundle {offered} is older than the installed bundle {installed}; refusing to roll back")]
    Rollback { offered: u64, installed: u64 },
    #[error("trust bundle {sequence} differs from the installed bundle with the same sequence number")]
    ConflictingSequence { sequence: u64 },
    #[error("trust bundle {sequence} expired at {expired_at}; install a current one")]
    Expired { sequence: u64, expired_at: UnixTime },
    #[error("the trust bundle could not be written: {detail}")]
    Encode { detail: String },
}

/// A signer certificate in a bundle, with the certificate types the bundle lets it sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleSigner {
    pub certificate_der: Vec<u8>,
    /// The kid to file it under; the certificate's own when absent.
    pub kid: Option<Kid>,
    /// Narrows the certificate's own key usage; absent means as the certificate says.
    pub allowed_types: Option<Vec<CertificateType>>,
}

/// A root the authority certifies pharmacy devices with, for provisional passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FallbackRoot {
    pub kid: Kid,
    /// SEC1-encoded P-256 public key.
    pub public_key: Vec<u8>,
    pub country: String,
    pub name: String,
}

/// A pharmacy device whose delegation is withdrawn from a moment on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRevocation {
    pub device_kid: Kid,
    pub revoked_since: UnixTime,
}

/// What a bundle holds.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustBundleContents {
    pub sequence: u64,
    pub issued_at: UnixTime,
    pub not_before: UnixTime,
    pub expires_at: UnixTime,
    pub signers: Vec<BundleSigner>,
    pub fallback_roots: Vec<FallbackRoot>,
    pub device_revocations: Vec<DeviceRevocation>,
    /// Business rules as the gateway's rule JSON.
    pub rules: Vec<serde_json::Value>,
    /// Value sets: an object from value-set id to the array of its codes.
    pub value_sets: serde_json::Value,
    pub revocations: RevocationLists,
}

/// A verified, decoded bundle.
#[derive(Debug, Clone)]
pub struct TrustBundle {
    contents: TrustBundleContents,
    anchor_kid: Kid,
    digest: [u8; 32],
    trust: TrustStore,
}

impl TrustBundle {
    /// Checks the signature against the pinned anchors and decodes the contents.
    pub fn load(bytes: &[u8], anchors: &[TrustAnchor]) -> Result<Self, BundleError> {
        Self::load_with_limit(bytes, anchors, MAX_BUNDLE_BYTES)
    }

    /// As [`TrustBundle::load`], refusing files larger than `max_bytes`.
    pub fn load_with_limit(bytes: &[u8], anchors: &[TrustAnchor], max_bytes: usize) -> Result<Self, BundleError> {
        if bytes.len() > max_bytes {
            return Err(BundleError::TooLarge { size: bytes.len(), limit: max_bytes });
        }
        let (protected_bytes, payload, signature) = split_sign1(cbor::decode(bytes, bundle_limits())?)?;
        let protected = cbor::decode(&protected_bytes, CborLimits::default())?;
        let (algorithm, kid) = protected_header(&protected)?;
        if algorithm != -7 {
            return Err(BundleError::NotSigned {
                detail: format!("algorithm {algorithm}; bundles are signed with ES256 (-7)"),
            });
        }
        let anchor = anchors
            .iter()
            .find(|anchor| anchor.kid() == kid)
            .ok_or(BundleError::UnknownAnchor { kid: kid.to_base64() })?;
        let digest = sig_structure_digest(&protected_bytes, &payload);
        let signature = p256::ecdsa::Signature::from_slice(&signature)
            .map_err(|_| BundleError::BadSignature { kid: kid.to_base64() })?;
        anchor
            .key()
            .verify_prehash(&digest, &signature)
            .map_err(|_| BundleError::BadSignature { kid: kid.to_base64() })?;
        let contents = decode_contents(cbor::decode(&payload, bundle_limits())?)?;
        drop(payload);
        let trust = build_trust_store(&contents)?;
        Ok(Self { contents, anchor_kid: kid, digest, trust })
    }

    pub fn contents(&self) -> &TrustBundleContents {
        &self.contents
    }

    pub fn sequence(&self) -> u64 {
        self.contents.sequence
    }

    pub fn anchor_kid(&self) -> Kid {
        self.anchor_kid
    }

    /// SHA-256 of the signed data: identifies the exact bundle.
    pub fn digest(&self) -> [u8; 32] {
        self.digest
    }

    /// The signers, each narrowed to the types the bundle allows.
    pub fn trust_store(&self) -> &TrustStore {
        &self.trust
    }

    pub fn revocations(&self) -> &RevocationLists {
        &self.contents.revocations
    }

    /// Whether the bundle is in force at `now`.
    pub fn is_current(&self, now: UnixTime) -> bool {
        self.contents.not_before <= now && now <= self.contents.expires_at
    }
}

fn build_trust_store(contents: &TrustBundleContents) -> Result<TrustStore, BundleError> {
    let mut store = TrustStore::new();
    for (index, signer) in contents.signers.iter().enumerate() {
        let mut certificate = DocumentSignerCertificate::from_der(&signer.certificate_der)
            .map_err(|error| BundleError::Certificate { index, error })?;
        if let Some(kid) = signer.kid {
            certificate = certificate.with_kid(kid);
        }
        if let Some(types) = &signer.allowed_types {
            // The bundle can only narrow what the certificate itself allows.
            let own = certificate.key_usage();
            let allowed: Vec<CertificateType> = types.iter().copied().filter(|kind| own.allows(*kind)).collect();
            certificate = certificate.with_key_usage(KeyUsage::only(&allowed));
        }
        store.add(certificate);
    }
    Ok(store)
}

/// The protected header bytes, payload and signature of a COSE_Sign1.
type Sign1Parts = (Vec<u8>, Vec<u8>, Vec<u8>);

fn split_sign1(value: Value) -> Result<Sign1Parts, BundleError> {
    let not_signed = |detail: &str| BundleError::NotSigned { detail: detail.into() };
    let Value::Tag(TAG_COSE_SIGN1, inner) = value else { return Err(not_signed("expected tag 18")) };
    let Value::Array(items) = *inner else { return Err(not_signed("expected an array")) };
    let mut items = items.into_iter();
    match (items.next(), items.next(), items.next(), items.next(), items.next()) {
        (
            Some(Value::Bytes(protected)),
            Some(Value::Map(_)),
            Some(Value::Bytes(payload)),
            Some(Value::Bytes(signature)),
            None,
        ) => Ok((protected, payload, signature)),
        _ => Err(not_signed("expected [protected bstr, unprotected map, payload bstr, signature bstr]")),
    }
}

fn protected_header(value: &Value) -> Result<(i64, Kid), BundleError> {
    let Value::Map(entries) = value else {
        return Err(BundleError::NotSigned { detail: "the protected header is not a map".into() });
    };
    let mut algorithm = None;
    let mut kid = None;
    for (key, value) in entries {
        match (cbor::as_i64(key), value) {
            (Some(1), value) => algorithm = cbor::as_i64(value),
            (Some(4), Value::Bytes(bytes)) => kid = Kid::from_slice(bytes),
            _ => {}
        }
    }
    match (algorithm, kid) {
        (Some(algorithm), Some(kid)) => Ok((algorithm, kid)),
        _ => Err(BundleError::NotSigned { detail: "the protected header needs an algorithm and an 8-byte kid".into() }),
    }
}

/// SHA-256 of `Sig_structure = ["Signature1", protected, h'', payload]`, streamed.
pub fn sig_structure_digest(protected: &[u8], payload: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update([0x84]);
    hasher.update(cbor_header(3, 10));
    hasher.update(b"Signature1");
    hasher.update(cbor_header(2, protected.len() as u64));
    hasher.update(protected);
    hasher.update([0x40]);
    hasher.update(cbor_header(2, payload.len() as u64));
    hasher.update(payload);
    hasher.finalize().into()
}

/// The head of a CBOR item of major type `major` with argument `length` (RFC 8949 §3).
fn cbor_header(major: u8, length: u64) -> Vec<u8> {
    let major = major << 5;
    match length {
        0..=23 => vec![major | length as u8],
        24..=0xff => vec![major | 24, length as u8],
        0x100..=0xffff => {
            let mut head = vec![major | 25];
            head.extend_from_slice(&(length as u16).to_be_bytes());
            head
        }
        0x1_0000..=0xffff_ffff => {
            let mut head = vec![major | 26];
            head.extend_from_slice(&(length as u32).to_be_bytes());
            head
        }
        _ => {
            let mut head = vec![major | 27];
            head.extend_from_slice(&length.to_be_bytes());
            head
        }
    }
}

/// Looks up text keys of a CBOR map, moving values out.
struct Fields(Vec<(Value, Value)>);

impl Fields {
    fn of(value: Value, field: &'static str) -> Result<Self, BundleError> {
        match value {
            Value::Map(entries) => Ok(Self(entries)),
            other => {
                Err(BundleError::Malformed { field, problem: format!("must be a map, found {}", kind_of(&other)) })
            }
        }
    }

    fn take(&mut self, key: &str) -> Option<Value> {
        let position =
            self.0.iter().position(|(entry_key, _)| matches!(entry_key, Value::Text(text) if text == key))?;
        Some(self.0.swap_remove(position).1)
    }

    fn required(&mut self, key: &'static str) -> Result<Value, BundleError> {
        self.take(key).ok_or(BundleError::Malformed { field: key, problem: "is missing".into() })
    }

    fn integer(&mut self, key: &'static str) -> Result<i64, BundleError> {
        let value = self.required(key)?;
        cbor::as_i64(&value).ok_or(BundleError::Malformed {
            field: key,
            problem: format!("must be an integer, found {}", kind_of(&value)),
        })
    }

    fn time(&mut self, key: &'static str) -> Result<UnixTime, BundleError> {
        self.integer(key).map(UnixTime::from_seconds)
    }

    fn bytes(&mut self, key: &'static str) -> Result<Vec<u8>, BundleError> {
        match self.required(key)? {
            Value::Bytes(bytes) => Ok(bytes),
            other => Err(BundleError::Malformed {
                field: key,
                problem: format!("must be a byte string, found {}", kind_of(&other)),
            }),
        }
    }

    fn text(&mut self, key: &'static str) -> Result<String, BundleError> {
        match self.required(key)? {
            Value::Text(text) => Ok(text),
            other => Err(BundleError::Malformed {
                field: key,
                problem: format!("must be a text string, found {}", kind_of(&other)),
            }),
        }
    }

    fn array(&mut self, key: &'static str) -> Result<Vec<Value>, BundleError> {
        match self.take(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(BundleError::Malformed {
                field: key,
                problem: format!("must be an array, found {}", kind_of(&other)),
            }),
        }
    }

    fn json(&mut self, key: &'static str) -> Result<Option<serde_json::Value>, BundleError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Bytes(bytes)) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|error| BundleError::Malformed { field: key, problem: format!("is not JSON: {error}") }),
            Some(other) => Err(BundleError::Malformed {
                field: key,
                problem: format!("must be JSON bytes, found {}", kind_of(&other)),
            }),
        }
    }
}

fn kid_of(bytes: &[u8], field: &'static str) -> Result<Kid, BundleError> {
    Kid::from_slice(bytes)
        .ok_or(BundleError::Malformed { field, problem: format!("must be 8 bytes, found {}", bytes.len()) })
}

fn decode_contents(value: Value) -> Result<TrustBundleContents, BundleError> {
    let mut fields = Fields::of(value, "payload")?;
    let format = fields.integer("format")?;
    if format != BUNDLE_FORMAT as i64 {
        return Err(BundleError::UnsupportedFormat { found: u64::try_from(format).unwrap_or(0) });
    }
    let sequence = u64::try_from(fields.integer("sequence")?)
        .map_err(|_| BundleError::Malformed { field: "sequence", problem: "must not be negative".into() })?;
    let issued_at = fields.time("issued_at")?;
    let not_before = fields.time("not_before")?;
    let expires_at = fields.time("expires_at")?;
    if expires_at <= not_before {
        return Err(BundleError::Malformed { field: "expires_at", problem: "is not after not_before".into() });
    }
    let mut signers = Vec::new();
    for entry in fields.array("signers")? {
        let mut signer = Fields::of(entry, "signers")?;
        let certificate_der = signer.bytes("der")?;
        let kid = match signer.take("kid") {
            Some(Value::Bytes(bytes)) => Some(kid_of(&bytes, "signers.kid")?),
            _ => None,
        };
        let allowed_types = match signer.take("types") {
            None => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|item| match item {
                        Value::Text(key) => CertificateType::from_key(key),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()
                    .ok_or(BundleError::Malformed {
                        field: "signers.types",
                        problem: "must hold \"t\", \"v\" or \"r\"".into(),
                    })?,
            ),
            Some(_) => {
                return Err(BundleError::Malformed { field: "signers.types", problem: "must be an array".into() });
            }
        };
        signers.push(BundleSigner { certificate_der, kid, allowed_types });
    }
    let mut fallback_roots = Vec::new();
    for entry in fields.array("fallback_roots")? {
        let mut root = Fields::of(entry, "fallback_roots")?;
        let kid = kid_of(&root.bytes("kid")?, "fallback_roots.kid")?;
        let public_key = root.bytes("key")?;
        if p256::ecdsa::VerifyingKey::from_sec1_bytes(&public_key).is_err() {
            return Err(BundleError::Malformed {
                field: "fallback_roots.key",
                problem: "is not a P-256 public key".into(),
            });
        }
        fallback_roots.push(FallbackRoot { kid, public_key, country: root.text("country")?, name: root.text("name")? });
    }
    let mut device_revocations = Vec::new();
    for entry in fields.array("device_revocations")? {
        let mut revocation = Fields::of(entry, "device_revocations")?;
        device_revocations.push(DeviceRevocation {
            device_kid: kid_of(&revocation.bytes("kid")?, "device_revocations.kid")?,
            revoked_since: revocation.time("since")?,
        });
    }
    let rules = match fields.json("rules")? {
        None => Vec::new(),
        Some(serde_json::Value::Array(rules)) => rules,
        Some(_) => return Err(BundleError::Malformed { field: "rules", problem: "must be a JSON array".into() }),
    };
    let value_sets = match fields.json("value_sets")? {
        None => serde_json::Value::Object(serde_json::Map::new()),
        Some(value_sets @ serde_json::Value::Object(_)) => value_sets,
        Some(_) => return Err(BundleError::Malformed { field: "value_sets", problem: "must be a JSON object".into() }),
    };
    let mut revocations = RevocationLists::default();
    if let Some(value) = fields.take("revocations") {
        let mut lists = Fields::of(value, "revocations")?;
        for (key, slot) in [
            ("uci", &mut revocations.uci),
            ("country_code_uci", &mut revocations.country_code_uci),
            ("signature", &mut revocations.signature),
        ] {
            if let Some(value) = lists.take(key) {
                let Value::Bytes(bytes) = value else {
                    return Err(BundleError::Malformed {
                        field: "revocations",
                        problem: format!("{key} must be a byte string"),
                    });
                };
                *slot = HashList::from_sorted_bytes(bytes)
                    .map_err(|error| BundleError::Revocations { list: list_name(key), error })?;
            }
        }
    }
    Ok(TrustBundleContents {
        sequence,
        issued_at,
        not_before,
        expires_at,
        signers,
        fallback_roots,
        device_revocations,
        rules,
        value_sets,
        revocations,
    })
}

fn list_name(key: &str) -> &'static str {
    match key {
        "uci" => "UCI",
        "country_code_uci" => "country code + UCI",
        _ => "signature",
    }
}

impl TrustBundleContents {
    /// The payload as CBOR bytes.
    pub fn encode(&self) -> Result<Vec<u8>, BundleError> {
        let text = |value: &str| Value::Text(value.to_owned());
        let entry = |key: &str, value: Value| (text(key), value);
        let signers = self
            .signers
            .iter()
            .map(|signer| {
                let mut fields = vec![entry("der", Value::Bytes(signer.certificate_der.clone()))];
                if let Some(kid) = signer.kid {
                    fields.push(entry("kid", Value::Bytes(kid.as_bytes().to_vec())));
                }
                if let Some(types) = &signer.allowed_types {
                    fields.push(entry("types", Value::Array(types.iter().map(|kind| text(kind.key())).collect())));
                }
                Value::Map(fields)
            })
            .collect();
        let fallback_roots = self
            .fallback_roots
            .iter()
            .map(|root| {
                Value::Map(vec![
                    entry("kid", Value::Bytes(root.kid.as_bytes().to_vec())),
                    entry("key", Value::Bytes(root.public_key.clone())),
                    entry("country", text(&root.country)),
                    entry("name", text(&root.name)),
                ])
            })
            .collect();
        let device_revocations = self
            .device_revocations
            .iter()
            .map(|revocation| {
                Value::Map(vec![
                    entry("kid", Value::Bytes(revocation.device_kid.as_bytes().to_vec())),
                    entry("since", Value::Integer(revocation.revoked_since.seconds().into())),
                ])
            })
            .collect();
        let json = |value: &serde_json::Value| {
            serde_json::to_vec(value)
                .map(Value::Bytes)
                .map_err(|error| BundleError::Encode { detail: format!("rules or value sets: {error}") })
        };
        Ok(cbor::encode(&Value::Map(vec![
            entry("format", Value::Integer(BUNDLE_FORMAT.into())),
            entry("sequence", Value::Integer(self.sequence.into())),
            entry("issued_at", Value::Integer(self.issued_at.seconds().into())),
            entry("not_before", Value::Integer(self.not_before.seconds().into())),
            entry("expires_at", Value::Integer(self.expires_at.seconds().into())),
            entry("signers", Value::Array(signers)),
            entry("fallback_roots", Value::Array(fallback_roots)),
            entry("device_revocations", Value::Array(device_revocations)),
            entry("rules", json(&serde_json::Value::Array(self.rules.clone()))?),
            entry("value_sets", json(&self.value_sets)?),
            entry(
                "revocations",
                Value::Map(vec![
                    entry("uci", Value::Bytes(self.revocations.uci.as_bytes().to_vec())),
                    entry("country_code_uci", Value::Bytes(self.revocations.country_code_uci.as_bytes().to_vec())),
                    entry("signature", Value::Bytes(self.revocations.signature.as_bytes().to_vec())),
                ]),
            ),
        ])))
    }

    /// Signs the contents with an anchor key (ES256), producing the bundle file.
    pub fn sign(&self, anchor_key: &p256::ecdsa::SigningKey) -> Result<Vec<u8>, BundleError> {
        use p256::ecdsa::signature::hazmat::PrehashSigner;
        let kid = super::anchor::key_kid(anchor_key.verifying_key());
        let protected = cbor::encode(&Value::Map(vec![
            (Value::Integer(1.into()), Value::Integer((-7).into())),
            (Value::Integer(4.into()), Value::Bytes(kid.as_bytes().to_vec())),
        ]));
        let payload = self.encode()?;
        let digest = sig_structure_digest(&protected, &payload);
        let signature: p256::ecdsa::Signature = anchor_key
            .sign_prehash(&digest)
            .map_err(|error| BundleError::Encode { detail: format!("signing failed: {error}") })?;
        Ok(cbor::encode(&Value::Tag(
            TAG_COSE_SIGN1,
            Box::new(Value::Array(vec![
                Value::Bytes(protected),
                Value::Map(Vec::new()),
                Value::Bytes(payload),
                Value::Bytes(signature.to_bytes().to_vec()),
            ])),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_streamed_digest_equals_the_digest_of_the_sig_structure() {
        for length in [0usize, 23, 24, 255, 256, 70_000] {
            let payload = vec![7u8; length];
            let expected: [u8; 32] =
                Sha256::digest(crate::codec::cose::sig_structure(b"\xa1\x01\x26", &payload)).into();
            assert_eq!(sig_structure_digest(b"\xa1\x01\x26", &payload), expected, "length {length}");
        }
    }
}
