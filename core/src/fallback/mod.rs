//! The signed paper fallback: when the central issuer does not answer, the pharmacy phone
//! signs a provisional pass itself, under the delegation credential the authority issued it in
//! advance (`trust::delegation`, brief §5). Controllers show it amber, naming the pharmacy;
//! when the service is back, it issues the final pass under the same UVCI.
//!
//! The pass is an ordinary `HC1:` COSE_Sign1: protected `{1: -7, 4: device kid}`, the usual
//! CWT and DCC, and the credential under unprotected label 13. Its UVCI is in the device's
//! namespace (`P<device kid>/<sequence>`), with a sequence number reserved durably in the
//! outbox file before signing, so a number is never used twice, not even after a crash.

use std::sync::Arc;

use crate::codec::cose::{CoseSign1Builder, Signer, SignerError, SignerKey};
use crate::codec::{CwtClaims, PassLimits, cbor, decode_pass_text, wrap_cose};
use crate::dcc::{CertificateType, hcert};
use crate::issue::test_certificate::build_test_dcc;
use crate::issue::{InputError, IssuedPass, IssuingPolicy, TestCertificateRequest};
use crate::outbox::{Outbox, OutboxError};
use crate::protocol::TransferCode;
use crate::time::{UnixMillis, UnixTime};
use crate::trust::delegation::{CREDENTIAL_LABEL, VerifiedCredential, verify_credential};
use crate::trust::{CredentialError, FallbackRoot, Kid};
use crate::verify::provisional::{CLOCK_SKEW_SECONDS, check_provisional, provisional_uvci};

/// Why a provisional pass cannot be issued. None carries a name or a birth date.
#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FallbackError {
    #[error("no delegation credential is stored on this device; it is issued at enrolment and renewed while online")]
    NoCredential,
    #[error(transparent)]
    Credential(#[from] CredentialError),
    #[error("the delegation credential certifies another key than this device's")]
    NotThisDevice,
    #[error(
        "the delegation credential is not in force at {now} (valid {not_before} to {expires_at}); renew it while online"
    )]
    CredentialNotInForce { now: String, not_before: String, expires_at: String },
    #[error("the delegation credential does not allow this: {detail}")]
    OutOfScope { detail: String },
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Signer(#[from] SignerError),
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    #[error("the central issuer answered the request meanwhile: hand over its pass, not a provisional one")]
    AnsweredMeanwhile,
    #[error("the provisional pass failed its own verification: {reasons}")]
    SelfCheckFailed { reasons: String },
}

/// A provisional pass, ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionalPass {
    /// The pass, as any pass.
    pub pass: IssuedPass,
    /// Its sequence number on the device.
    pub sequence: u64,
    /// The pharmacy, as the credential names it (printed on the attestation page).
    pub pharmacy_name: String,
    /// The pharmacy's identifier.
    pub pharmacy_id: String,
    /// How the holder's names are written (compacted only when the QR would exceed its budget).
    pub names: NameForm,
}

/// The largest QR version a provisional pass is printed at (level Q), brief §5.
pub const MAX_PROVISIONAL_QR_VERSION: u8 = 24;

/// The MRZ of a passport (TD3, ICAO 9303 part 4) has 39 characters for the names, with `<<`
/// between the primary and the secondary identifier.
const MRZ_NAME_CHARACTERS: usize = 39;

fn qr_version(text: &str) -> u8 {
    crate::render::QrMatrix::for_text(text).map_or(u8::MAX, |qr| qr.version())
}

/// How a provisional pass writes the holder's names. The schema requires only `fnt`
/// (DCC schema 1.3.0, `nam.required = ["fnt"]`); the controller compares the pass with an
/// identity document, whose machine-readable zone carries the ICAO 9303 form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameForm {
    /// As entered and transliterated (`fn`, `fnt`, `gn`, `gnt`): every pass that fits.
    AsEntered,
    /// The ICAO 9303 form only (`fnt`, `gnt`): the as-entered form is dropped, which saves
    /// most for names in other scripts (Cyrillic, Arabic), written twice otherwise.
    Transliterated,
    /// The ICAO 9303 form cut as a passport's MRZ cuts it (39 characters with `<<`; the given
    /// names cut first, at least one character of them kept): names beyond passport length.
    /// A simplification of Doc 9303's truncation, which cuts name by name.
    MachineReadableZone,
}

impl NameForm {
    fn more_compact(self) -> Option<Self> {
        match self {
            Self::AsEntered => Some(Self::Transliterated),
            Self::Transliterated => Some(Self::MachineReadableZone),
            Self::MachineReadableZone => None,
        }
    }

    fn apply(self, name: &mut crate::dcc::PersonName) {
        match self {
            Self::AsEntered => {}
            Self::Transliterated => {
                name.family_name = None;
                name.given_name = None;
            }
            Self::MachineReadableZone => {
                name.family_name = None;
                name.given_name = None;
                let family = name.family_name_transliterated.take().unwrap_or_default();
                let given = name.given_name_transliterated.take().unwrap_or_default();
                let separator = if given.is_empty() { 0 } else { 2 };
                let room = MRZ_NAME_CHARACTERS - separator;
                let given_kept =
                    if given.is_empty() { 0 } else { room.saturating_sub(family.len()).max(1).min(given.len()) };
                let family_kept = family.len().min(room - given_kept);
                // ICAO 9303 forms are A–Z and '<' only: byte lengths are character counts.
                name.family_name_transliterated =
                    Some(family.get(..family_kept).unwrap_or(&family).trim_end_matches('<').to_owned());
                name.given_name_transliterated = (given_kept > 0)
                    .then(|| given.get(..given_kept).unwrap_or(&given).trim_end_matches('<').to_owned());
            }
        }
    }

    /// `as_entered`, `transliterated`, `machine_readable_zone`.
    pub fn name(self) -> &'static str {
        match self {
            Self::AsEntered => "as_entered",
            Self::Transliterated => "transliterated",
            Self::MachineReadableZone => "machine_readable_zone",
        }
    }
}

/// Signs provisional passes with the device key under its credential.
pub struct ProvisionalIssuer {
    signer: Arc<dyn Signer>,
    credential: Vec<u8>,
    verified: VerifiedCredential,
    policy: IssuingPolicy,
}

impl ProvisionalIssuer {
    /// An issuer for the device whose key `signer` holds, under `credential`, checked against
    /// the fallback roots of the trust bundle the phone holds.
    pub fn new(
        signer: Arc<dyn Signer>,
        credential: Vec<u8>,
        roots: &[FallbackRoot],
        policy: IssuingPolicy,
    ) -> Result<Self, FallbackError> {
        let verified = verify_credential(&credential, roots)?;
        match signer.public_key()? {
            SignerKey::P256(key) if key == verified.claims.device_key => {}
            _ => return Err(FallbackError::NotThisDevice),
        }
        Ok(Self { signer, credential, verified, policy })
    }

    /// The device's kid.
    pub fn device(&self) -> Kid {
        self.verified.claims.device
    }

    /// The credential's claims.
    pub fn credential(&self) -> &VerifiedCredential {
        &self.verified
    }

    /// Issues a provisional test pass numbered `sequence` at `now`, and verifies it as a
    /// controller will before returning it.
    pub fn issue(
        &self,
        request: &TestCertificateRequest,
        sequence: u64,
        now: UnixTime,
    ) -> Result<ProvisionalPass, FallbackError> {
        let claims = &self.verified.claims;
        if now.seconds() < claims.not_before.seconds() || now > claims.expires_at {
            return Err(FallbackError::CredentialNotInForce {
                now: now.to_rfc3339(),
                not_before: claims.not_before.to_rfc3339(),
                expires_at: claims.expires_at.to_rfc3339(),
            });
        }
        let scope = &claims.scope;
        if !scope.certificate_types.contains(&CertificateType::Test) {
            return Err(FallbackError::OutOfScope { detail: "test certificates".into() });
        }
        if !scope.test_types.iter().any(|code| code == request.test_type.code()) {
            return Err(FallbackError::OutOfScope { detail: format!("test type {}", request.test_type.code()) });
        }
        if sequence > scope.max_sequence {
            return Err(FallbackError::OutOfScope {
                detail: format!(
                    "sequence {sequence}: the credential allows up to {}; renew it while online",
                    scope.max_sequence
                ),
            });
        }
        let country = request.country.trim().to_ascii_uppercase();
        let certificate_id = provisional_uvci(&country, claims.device, sequence)
            .ok_or_else(|| InputError::UnknownCountry { code: request.country.clone() })?;
        // The testing centre is the pharmacy the credential certifies, written as it does:
        // true by construction, and compressed against the credential's copy (every byte
        // counts towards the version-24 budget of the printed QR).
        let entry = TestCertificateRequest { centre: claims.pharmacy_name.clone(), ..request.clone() };
        let mut dcc = build_test_dcc(&entry, &self.policy, now, certificate_id.clone())?;
        let expires_at = request
            .sampled_at
            .saturating_add(self.policy.pass_lifetime_seconds)
            .min(now.saturating_add(scope.max_validity_seconds));
        if expires_at <= now {
            return Err(InputError::SampleTooOld {
                hours: (now.seconds() - request.sampled_at.seconds()) / 3600,
                max_hours: self.policy.pass_lifetime_seconds / 3600,
            }
            .into());
        }
        let sign = |dcc: &crate::dcc::Dcc| -> Result<String, FallbackError> {
            let cwt = CwtClaims {
                issuer: Some(country.clone()),
                issued_at: Some(now),
                expires_at: Some(expires_at),
                other: vec![(hcert::CLAIM_HCERT, hcert::container(dcc.to_value()))],
            };
            let cose = CoseSign1Builder::new(claims.device.as_bytes())
                .unprotected(CREDENTIAL_LABEL, ciborium::Value::Bytes(self.credential.clone()))
                .sign(&cbor::encode(&cwt.to_value()), self.signer.as_ref())?;
            Ok(wrap_cose(&cose))
        };
        let mut text = sign(&dcc)?;
        // Brief §5: the printed QR stays at or below version 24 at level Q. The credential
        // takes about 300 of its characters, so long names, and names written twice (as
        // entered and transliterated), are written more compactly, one step at a time.
        let mut names = NameForm::AsEntered;
        while qr_version(&text) > MAX_PROVISIONAL_QR_VERSION {
            let Some(next) = names.more_compact() else { break };
            names = next;
            names.apply(&mut dcc.name);
            text = sign(&dcc)?;
        }
        self.self_check(&text)?;
        Ok(ProvisionalPass {
            names,
            pass: IssuedPass { text, certificate_id, dcc, issued_at: now, expires_at },
            sequence,
            pharmacy_name: claims.pharmacy_name.clone(),
            pharmacy_id: claims.pharmacy_id.clone(),
        })
    }

    /// The pass must verify as a provisional pass of this device (a faulty platform signer, or
    /// a credential swapped meanwhile, is caught here, not at the railway gate).
    fn self_check(&self, text: &str) -> Result<(), FallbackError> {
        let failed = |reasons: String| FallbackError::SelfCheckFailed { reasons };
        let pass = decode_pass_text(text, &PassLimits::default()).map_err(|error| failed(error.to_string()))?;
        let dcc = hcert::dcc_value(&pass.claims).map_err(|error| failed(error.to_string()))?;
        check_provisional(
            &pass,
            dcc,
            self.verified.claims.device,
            std::slice::from_ref(&self.verified.root),
            &[],
            Some(CertificateType::Test),
        )
        .map(|_| ())
        .map_err(|reasons| {
            failed(reasons.iter().map(|reason| format!("{reason} [{}]", reason.code())).collect::<Vec<_>>().join("; "))
        })
    }
}

/// Where a provisional pass goes once signed: the issuer that reconciles it, and the pending
/// request it stands for, if any (withdrawn in the same transaction as the upload is queued).
#[derive(Debug, Clone, Copy)]
pub struct Reconciliation<'a> {
    /// The issuer's base URL.
    pub endpoint: &'a str,
    /// The outbox ticket of the request the pharmacist gave up waiting for.
    pub replacing: Option<&'a str>,
    /// The traveller's transfer code: the final pass is sealed for their wallet.
    pub transfer_code: Option<&'a TransferCode>,
}

/// Issues a provisional pass with the credential kept in `outbox`, numbered by a sequence the
/// outbox reserves durably first, and queues its reconciliation.
pub fn issue_provisional(
    outbox: &Outbox,
    signer: Arc<dyn Signer>,
    roots: &[FallbackRoot],
    policy: IssuingPolicy,
    request: &TestCertificateRequest,
    reconciliation: Reconciliation<'_>,
    now: UnixTime,
) -> Result<ProvisionalPass, FallbackError> {
    let credential = outbox.credential()?.ok_or(FallbackError::NoCredential)?;
    let issuer = ProvisionalIssuer::new(signer, credential, roots, policy)?;
    // Checked before a number is spent, so a refused entry does not burn one.
    let claims = &issuer.verified.claims;
    if now.seconds() < claims.not_before.seconds() - CLOCK_SKEW_SECONDS || now > claims.expires_at {
        return Err(FallbackError::CredentialNotInForce {
            now: now.to_rfc3339(),
            not_before: claims.not_before.to_rfc3339(),
            expires_at: claims.expires_at.to_rfc3339(),
        });
    }
    let sequence = outbox.reserve_sequence()?;
    let provisional = issuer.issue(request, sequence, now)?;
    let queued = outbox.enqueue_reconciliation(
        reconciliation.endpoint,
        &provisional.pass.text,
        &provisional.pass.certificate_id,
        reconciliation.replacing,
        reconciliation.transfer_code,
        UnixMillis::from(now),
    )?;
    if queued.is_none() {
        return Err(FallbackError::AnsweredMeanwhile);
    }
    Ok(provisional)
}
