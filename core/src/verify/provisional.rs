//! Provisional passes (brief §5, the signed paper fallback): signed by a pharmacy device whose
//! key a fallback root of the trust bundle certified in advance, with the delegation
//! credential under unprotected label 13.
//!
//! Checked here, each failure with its own reason: the credential verifies with a fallback
//! root (never a signer certificate: fallback roots live only in the bundle, and a fallback
//! root never verifies an ordinary pass, since it is not in the trust store); its `sub` is the
//! pass's kid; its `cnf` key verifies the pass; the pass was issued while the credential was in
//! force (with [`CLOCK_SKEW_SECONDS`]); the scope holds (certificate type, test type, validity,
//! sequence); the device was not revoked when it signed (a device revoked at T keeps the passes
//! it signed before T).

use ciborium::Value;

use super::verdict::Reason;
use crate::codec::cose::SignerKey;
use crate::codec::{AlgorithmHeader, DecodedPass, HeaderPlacement, SignatureAlgorithm};
use crate::dcc::CertificateType;
use crate::time::UnixTime;
use crate::trust::delegation::{CREDENTIAL_LABEL, VerifiedCredential, verify_credential};
use crate::trust::{DeviceRevocation, FallbackRoot, Kid};

/// How far a pharmacy phone's clock may be off when it dates a pass against its credential.
pub const CLOCK_SKEW_SECONDS: i64 = 300;

/// Who signed a provisional pass, as a controller sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionalSigner {
    /// The pharmacy's identifier.
    pub pharmacy_id: String,
    /// The pharmacy's name.
    pub pharmacy_name: String,
    /// The authority whose fallback root certified the device.
    pub authority: String,
    /// Its country.
    pub authority_country: String,
    /// The device's kid.
    pub device: Kid,
    /// The pass's sequence number on the device.
    pub sequence: u64,
    /// When the device's credential expires.
    pub credential_expires_at: UnixTime,
}

/// Whether `pass` carries a delegation credential (in either header).
pub fn carries_credential(pass: &DecodedPass) -> bool {
    pass.message.unprotected_parameter(CREDENTIAL_LABEL).is_some()
        || pass.message.protected_parameter(CREDENTIAL_LABEL).is_some()
}

/// The UVCI of a provisional pass: `URN:UVCI:01:<country>:P<kid, 16 hex digits>/<sequence>#<check>`
/// — the device's namespace, so two devices can never issue the same one.
pub fn provisional_uvci(country: &str, device: Kid, sequence: u64) -> Option<String> {
    let hex: String = device.as_bytes().iter().map(|byte| format!("{byte:02X}")).collect();
    let body = format!("URN:UVCI:01:{country}:P{hex}/{sequence}");
    let check = crate::dcc::uvci::check_character(&body).ok()?;
    Some(format!("{body}#{check}"))
}

/// The sequence number a provisional UVCI gives for `device`, if it is one of the device's.
fn uvci_sequence(uvci: &str, device: Kid) -> Option<u64> {
    let hex: String = device.as_bytes().iter().map(|byte| format!("{byte:02X}")).collect();
    let (body, _) = uvci.rsplit_once('#')?;
    let rest = body.strip_prefix("URN:UVCI:01:")?;
    let (_, namespace) = rest.split_once(':')?;
    let sequence = namespace.strip_prefix('P')?.strip_prefix(hex.as_str())?.strip_prefix('/')?;
    if sequence.is_empty() || sequence.len() > 19 || !sequence.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    crate::dcc::uvci::validate(uvci).ok()?;
    sequence.parse().ok()
}

/// Field `key` of the first entry of the first of `kinds` present (`v`, `t`, `r`), as text.
fn entry_field<'a>(dcc: &'a Value, kinds: &[&str], key: &str) -> Option<&'a str> {
    let Value::Map(entries) = dcc else { return None };
    let (_, list) = entries.iter().find(|(name, _)| name.as_text().is_some_and(|name| kinds.contains(&name)))?;
    let Value::Array(list) = list else { return None };
    let Some(Value::Map(entry)) = list.first() else { return None };
    entry.iter().find(|(name, _)| name.as_text() == Some(key)).and_then(|(_, value)| value.as_text())
}

/// Checks a provisional pass; the signer, or every reason it fails for.
pub fn check_provisional(
    pass: &DecodedPass,
    dcc: &Value,
    kid: Kid,
    roots: &[FallbackRoot],
    revocations: &[DeviceRevocation],
    certificate_type: Option<CertificateType>,
) -> Result<ProvisionalSigner, Vec<Reason>> {
    // The credential is outside the signature by design (RFC 9528 kcwt); moved into the
    // protected header it would not be where verifiers look, so it is refused rather than read.
    if pass.message.protected_parameter(CREDENTIAL_LABEL).is_some() {
        return Err(vec![Reason::ProvisionalCredentialMisplaced]);
    }
    let Some(Value::Bytes(credential)) = pass.message.unprotected_parameter(CREDENTIAL_LABEL) else {
        return Err(vec![Reason::ProvisionalCredentialInvalid {
            detail: "label 13 must hold the credential's bytes".into(),
        }]);
    };
    if !matches!(pass.message.key_id(), Some((_, HeaderPlacement::Protected))) {
        return Err(vec![Reason::ProvisionalCredentialInvalid {
            detail: "the device kid must be in the protected header".into(),
        }]);
    }
    let VerifiedCredential { claims, root } = verify_credential(credential, roots)
        .map_err(|error| vec![Reason::ProvisionalCredentialInvalid { detail: error.to_string() }])?;
    if claims.device != kid {
        return Err(vec![Reason::ProvisionalSubjectMismatch]);
    }
    // ES256 only, named in the protected header: a credential certifies a P-256 key, and an
    // algorithm taken from the unprotected header could be swapped.
    if pass.message.protected_algorithm() != AlgorithmHeader::Supported(SignatureAlgorithm::Es256) {
        return Err(vec![Reason::ProvisionalSignatureInvalid]);
    }
    SignerKey::P256(claims.device_key)
        .verify(SignatureAlgorithm::Es256, &pass.message.signed_data(), pass.message.signature())
        .map_err(|_| vec![Reason::ProvisionalSignatureInvalid])?;

    let mut reasons = Vec::new();
    let issued_at = pass.claims.issued_at;
    if let Some(issued_at) = issued_at {
        if issued_at.seconds() < claims.not_before.seconds() - CLOCK_SKEW_SECONDS
            || issued_at.seconds() > claims.expires_at.seconds() + CLOCK_SKEW_SECONDS
        {
            reasons.push(Reason::ProvisionalOutsideCredential {
                issued_at,
                not_before: claims.not_before,
                expires_at: claims.expires_at,
            });
        }
        if let Some(revocation) =
            revocations.iter().find(|revocation| revocation.device_kid == kid && revocation.revoked_since <= issued_at)
        {
            reasons.push(Reason::ProvisionalDeviceRevoked { since: revocation.revoked_since });
        }
    }
    let scope = &claims.scope;
    match certificate_type {
        Some(kind) if scope.certificate_types.contains(&kind) => {}
        _ => reasons
            .push(Reason::ProvisionalOutOfScope { detail: "a certificate type the credential does not allow".into() }),
    }
    if certificate_type == Some(CertificateType::Test)
        && !entry_field(dcc, &["t"], "tt").is_some_and(|code| scope.test_types.iter().any(|allowed| allowed == code))
    {
        reasons.push(Reason::ProvisionalOutOfScope { detail: "a test type the credential does not allow".into() });
    }
    if let (Some(issued_at), Some(expires_at)) = (issued_at, pass.claims.expires_at)
        && expires_at.seconds() - issued_at.seconds() > scope.max_validity_seconds
    {
        reasons.push(Reason::ProvisionalOutOfScope {
            detail: format!("valid for longer than the credential's {} hours", scope.max_validity_seconds / 3600),
        });
    }
    let sequence = entry_field(dcc, &["v", "t", "r"], "ci").and_then(|uvci| uvci_sequence(uvci, kid));
    match sequence {
        Some(sequence) if sequence <= scope.max_sequence => {}
        Some(_) => reasons.push(Reason::ProvisionalOutOfScope {
            detail: format!("a sequence number beyond the credential's {}", scope.max_sequence),
        }),
        None => reasons.push(Reason::ProvisionalOutOfScope {
            detail: "a certificate identifier outside the device's namespace".into(),
        }),
    }
    if !reasons.is_empty() {
        return Err(reasons);
    }
    Ok(ProvisionalSigner {
        pharmacy_id: claims.pharmacy_id,
        pharmacy_name: claims.pharmacy_name,
        authority: root.name,
        authority_country: root.country,
        device: kid,
        sequence: sequence.unwrap_or_default(),
        credential_expires_at: claims.expires_at,
    })
}
