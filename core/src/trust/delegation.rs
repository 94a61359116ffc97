//! The delegation credential (brief §5): the authority's fallback key certifies a pharmacy
//! device's P-256 key for provisional passes, in advance, for about two weeks.
//!
//! A COSE_Sign1 signed by a fallback root (kid = the root's kid) over a CWT (RFC 8392):
//! `{1 iss, 2 sub = device id, 4 exp, 5 nbf, 8 cnf {1: COSE_Key}}` (no `iat`: `nbf` is the issue time) (RFC 8747 proof of
//! possession; the key compressed, RFC 9053 §7.1.1, to keep the printed QR small) and private
//! claims below −65536 (RFC 8392 §4: the private-use range): the pharmacy's identifier and
//! name, and the scope (certificate types, test types, longest pass validity, highest
//! sequence number). A provisional pass carries it under unprotected label 13 ("kcwt", RFC 9528
//! §3.5.1), so an ordinary EU verifier, which knows neither the device kid nor label 13,
//! refuses the pass (fail-closed).

use ciborium::Value;

use super::Kid;
use super::bundle::FallbackRoot;
use crate::codec::cbor::{self, CborLimits};
use crate::codec::cose::{CoseSign1Builder, SignatureAlgorithm, SignedMessage, Signer, SignerError, SignerKey};
use crate::codec::{AlgorithmHeader, CwtClaims};
use crate::dcc::CertificateType;
use crate::time::UnixTime;

/// The unprotected header label of the credential in a provisional pass ("kcwt", RFC 9528).
pub const CREDENTIAL_LABEL: i64 = 13;
/// The CWT `cnf` claim (RFC 8747).
const CLAIM_CNF: i64 = 8;
/// `cnf` member: a COSE_Key.
const CNF_COSE_KEY: i64 = 1;
/// Private claim: the pharmacy's identifier (e.g. its FINESS number).
pub const CLAIM_PHARMACY_ID: i64 = -65_537;
/// Private claim: the pharmacy's name, as a controller sees it.
pub const CLAIM_PHARMACY_NAME: i64 = -65_538;
/// Private claim: the scope.
pub const CLAIM_SCOPE: i64 = -65_539;
/// The test types a scope names, by position (1, 2, ...): their value-set codes, rapid antigen
/// (`LP217198-3`) and NAAT (`LP6464-4`).
pub const TEST_TYPE_CODES: [&str; 2] = ["LP217198-3", "LP6464-4"];

/// The largest credential read (a real one is about 250 bytes).
pub const MAX_CREDENTIAL_BYTES: usize = 2_048;

/// What the device may sign provisionally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegationScope {
    /// Certificate types (test only, in practice).
    pub certificate_types: Vec<CertificateType>,
    /// Test types by their value-set code (`LP217198-3` rapid antigen, `LP6464-4` NAAT).
    pub test_types: Vec<String>,
    /// The longest validity of a provisional pass, from its issuance.
    pub max_validity_seconds: i64,
    /// The highest sequence number the device may use.
    pub max_sequence: u64,
}

/// The claims of a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegationClaims {
    /// The authority (its country code).
    pub issuer: String,
    /// The device certified: its kid (the device id of the issuance protocol).
    pub device: Kid,
    /// The device's key.
    pub device_key: p256::ecdsa::VerifyingKey,
    /// Not before (it is issued then too: no `iat`, to keep the QR code small).
    pub not_before: UnixTime,
    /// Expires at.
    pub expires_at: UnixTime,
    /// The pharmacy's identifier.
    pub pharmacy_id: String,
    /// The pharmacy's name.
    pub pharmacy_name: String,
    /// What the device may sign.
    pub scope: DelegationScope,
}

/// Why a credential is refused. Each says which check failed; none carries personal data.
#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("the delegation credential is not readable: {detail}")]
    Malformed { detail: String },
    #[error("the delegation credential is signed by {kid}, which is not a fallback root of the trust bundle")]
    UnknownRoot { kid: String },
    #[error("the delegation credential must be ES256 (P-256)")]
    Algorithm,
    #[error("the delegation credential's signature does not verify with its fallback root")]
    Signature,
}

impl DelegationClaims {
    /// The CWT payload.
    fn to_value(&self) -> Value {
        let int = |n: i64| Value::Integer(n.into());
        let point = self.device_key.to_sec1_point(true);
        let bytes = point.as_bytes();
        let (prefix, x) = bytes.split_first().map_or((0, &[][..]), |(prefix, x)| (*prefix, x));
        let cose_key = Value::Map(vec![
            (int(1), int(2)),                       // kty: EC2
            (int(-1), int(1)),                      // crv: P-256
            (int(-2), Value::Bytes(x.to_vec())),    // x
            (int(-3), Value::Bool(prefix == 0x03)), // y: its sign bit (compressed point)
        ]);
        let scope = Value::Map(vec![
            (
                int(1),
                Value::Array(self.scope.certificate_types.iter().map(|kind| Value::Text(kind.key().into())).collect()),
            ),
            // Small integers, not the LOINC texts: the credential rides in every provisional QR
            // code (brief §5: at most version 24 at level Q).
            (
                int(2),
                Value::Array(
                    self.scope
                        .test_types
                        .iter()
                        .filter_map(|code| TEST_TYPE_CODES.iter().position(|known| *known == code.as_str()))
                        .map(|index| int(i64::try_from(index).unwrap_or(0) + 1))
                        .collect(),
                ),
            ),
            (int(3), int(self.scope.max_validity_seconds)),
            (int(4), Value::Integer(self.scope.max_sequence.into())),
        ]);
        Value::Map(vec![
            (int(1), Value::Text(self.issuer.clone())),
            (int(2), Value::Text(device_text(self.device))),
            (int(4), int(self.expires_at.seconds())),
            (int(5), int(self.not_before.seconds())),
            (int(CLAIM_CNF), Value::Map(vec![(int(CNF_COSE_KEY), cose_key)])),
            (int(CLAIM_PHARMACY_ID), Value::Text(self.pharmacy_id.clone())),
            (int(CLAIM_PHARMACY_NAME), Value::Text(self.pharmacy_name.clone())),
            (int(CLAIM_SCOPE), scope),
        ])
    }

    /// Signs the credential with the authority's fallback key (`root_kid` names it).
    pub fn sign(&self, root_kid: Kid, authority: &dyn Signer) -> Result<Vec<u8>, SignerError> {
        CoseSign1Builder::new(root_kid.as_bytes()).sign(&cbor::encode(&self.to_value()), authority)
    }

    fn from_value(value: Value) -> Result<Self, String> {
        let claims = CwtClaims::from_value(value).map_err(|error| error.to_string())?;
        let text = |key: i64, name: &str| match claims.claim(key) {
            Some(Value::Text(text)) if !text.is_empty() && text.len() <= 200 => Ok(text.clone()),
            _ => Err(format!("{name} must be a text of 1 to 200 characters")),
        };
        let issuer = claims.issuer.clone().ok_or("iss is missing")?;
        let device = parse_device(&text(2, "sub")?).ok_or("sub must be a device id (11 characters, base64url)")?;
        let Some(expires_at) = claims.expires_at else { return Err("exp is required".into()) };
        let not_before = match claims.claim(5) {
            Some(value) => crate::codec::cwt::numeric_date(value, "nbf").map_err(|error| error.to_string())?,
            None => return Err("nbf is required".into()),
        };
        let device_key = cnf_key(claims.claim(CLAIM_CNF))?;
        let scope = scope(claims.claim(CLAIM_SCOPE))?;
        Ok(Self {
            issuer,
            device,
            device_key,
            not_before,
            expires_at,
            pharmacy_id: text(CLAIM_PHARMACY_ID, "the pharmacy identifier")?,
            pharmacy_name: text(CLAIM_PHARMACY_NAME, "the pharmacy name")?,
            scope,
        })
    }
}

/// A device kid as `sub` writes it: base64url without padding (the issuance protocol's device id).
pub fn device_text(kid: Kid) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(kid.as_bytes())
}

fn parse_device(text: &str) -> Option<Kid> {
    use base64::Engine as _;
    Kid::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).ok()?)
}

fn map_get(entries: &[(Value, Value)], key: i64) -> Option<&Value> {
    entries
        .iter()
        .find(|(label, _)| label.as_integer().is_some_and(|label| i128::from(label) == i128::from(key)))
        .map(|(_, value)| value)
}

fn cnf_key(value: Option<&Value>) -> Result<p256::ecdsa::VerifyingKey, String> {
    let Some(Value::Map(cnf)) = value else { return Err("cnf is missing".into()) };
    let Some(Value::Map(key)) = map_get(cnf, CNF_COSE_KEY) else { return Err("cnf holds no COSE_Key".into()) };
    let integer = |label| map_get(key, label).and_then(Value::as_integer).map(i128::from);
    if integer(1) != Some(2) || integer(-1) != Some(1) {
        return Err("the device key must be an EC2 P-256 COSE_Key".into());
    }
    let Some(Value::Bytes(x)) = map_get(key, -2) else { return Err("the device key has no x coordinate".into()) };
    let mut sec1 = match map_get(key, -3) {
        Some(Value::Bool(odd)) if x.len() == 32 => vec![if *odd { 0x03 } else { 0x02 }],
        Some(Value::Bytes(y)) if x.len() == 32 && y.len() == 32 => vec![0x04],
        _ => return Err("the device key's y must be a sign bit or 32 bytes".into()),
    };
    sec1.extend_from_slice(x);
    if let Some(Value::Bytes(y)) = map_get(key, -3) {
        sec1.extend_from_slice(y);
    }
    p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).map_err(|_| "the device key is not a P-256 point".to_owned())
}

fn scope(value: Option<&Value>) -> Result<DelegationScope, String> {
    let Some(Value::Map(scope)) = value else { return Err("the scope is missing".into()) };
    let test_types = match map_get(scope, 2) {
        Some(Value::Array(items)) if items.len() <= 16 => items
            .iter()
            .map(|item| {
                item.as_integer()
                    .and_then(|n| usize::try_from(i128::from(n) - 1).ok())
                    .and_then(|index| TEST_TYPE_CODES.get(index))
                    .map(|code| (*code).to_owned())
                    .ok_or_else(|| "the scope's test types must be 1 (rapid antigen) or 2 (NAAT)".to_owned())
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err("the scope's test types must be a list".into()),
    };
    let texts = |label, name: &str| match map_get(scope, label) {
        Some(Value::Array(items)) if items.len() <= 16 => items
            .iter()
            .map(|item| item.as_text().map(str::to_owned).ok_or_else(|| format!("{name} must be texts")))
            .collect::<Result<Vec<_>, _>>(),
        _ => Err(format!("{name} must be a list")),
    };
    let certificate_types = texts(1, "the scope's certificate types")?
        .iter()
        .map(|key| {
            CertificateType::from_key(key)
                .ok_or_else(|| format!("unknown certificate type {:?}", key.chars().take(8).collect::<String>()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let number = |label, name: &str| {
        map_get(scope, label)
            .and_then(Value::as_integer)
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| format!("{name} must be a natural number"))
    };
    Ok(DelegationScope {
        certificate_types,
        test_types,
        max_validity_seconds: i64::try_from(number(3, "the scope's longest validity")?)
            .map_err(|_| "the scope's longest validity is too large")?,
        max_sequence: number(4, "the scope's highest sequence")?,
    })
}

/// A credential whose signature a fallback root verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCredential {
    /// Its claims.
    pub claims: DelegationClaims,
    /// The root that signed it.
    pub root: FallbackRoot,
}

/// Reads a credential and checks its signature against `roots` (the bundle's fallback roots,
/// never signer certificates). Validity in time and scope are the verifier's, against the pass.
pub fn verify_credential(bytes: &[u8], roots: &[FallbackRoot]) -> Result<VerifiedCredential, CredentialError> {
    let malformed = |detail: String| CredentialError::Malformed { detail };
    if bytes.len() > MAX_CREDENTIAL_BYTES {
        return Err(malformed(format!("over {MAX_CREDENTIAL_BYTES} bytes")));
    }
    let message =
        SignedMessage::from_bytes(bytes, CborLimits::default()).map_err(|error| malformed(error.to_string()))?;
    if message.protected_algorithm() != AlgorithmHeader::Supported(SignatureAlgorithm::Es256) {
        return Err(CredentialError::Algorithm);
    }
    let kid = message
        .key_id()
        .and_then(|(bytes, _)| Kid::from_slice(bytes))
        .ok_or_else(|| malformed("no 8-byte kid".into()))?;
    let root = roots
        .iter()
        .find(|root| root.kid == kid)
        .ok_or_else(|| CredentialError::UnknownRoot { kid: kid.to_base64() })?;
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&root.public_key).map_err(|_| CredentialError::Signature)?;
    SignerKey::P256(key)
        .verify(SignatureAlgorithm::Es256, &message.signed_data(), message.signature())
        .map_err(|_| CredentialError::Signature)?;
    let payload =
        cbor::decode(message.payload(), CborLimits::default()).map_err(|error| malformed(error.to_string()))?;
    let claims = DelegationClaims::from_value(payload).map_err(malformed)?;
    Ok(VerifiedCredential { claims, root: root.clone() })
}

/// The pharmacy named in a credential, read **without** checking its signature: for the
/// holder's own attestation page, which prints what the pass says (controllers verify).
pub fn unverified_pharmacy_name(bytes: &[u8]) -> Option<String> {
    if bytes.len() > MAX_CREDENTIAL_BYTES {
        return None;
    }
    let message = SignedMessage::from_bytes(bytes, CborLimits::default()).ok()?;
    let payload = cbor::decode(message.payload(), CborLimits::default()).ok()?;
    DelegationClaims::from_value(payload).ok().map(|claims| claims.pharmacy_name)
}
