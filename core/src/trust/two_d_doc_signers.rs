//! Who may sign 2D-DOC health certificates: signers named by certificate authority id and
//! certificate id (`FR03` + `AHP1`), each with a P-256 key, the validity of its certificate and
//! the document types it may sign, and the blocklist of codes by the SHA-256 of their signed
//! part. Built in are the keys TousAntiCovid's configuration shipped (`app.walletPubKeys`),
//! as `../shared/2ddoc/keys` holds them; a trust bundle can replace the whole set.

use std::fmt;

use p256::pkcs8::DecodePublicKey as _;

use crate::codec::cose::SignerKey;
use crate::time::UnixTime;

/// A 2D-DOC signer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoDDocSigner {
    /// The certificate authority id (`FR03`).
    pub authority: String,
    /// The certificate id under that authority (`AHP1`).
    pub certificate: String,
    /// Who holds the key, as a controller reads it.
    pub name: String,
    /// The P-256 public key, SEC1 uncompressed.
    pub public_key: Vec<u8>,
    /// Start of the certificate's validity, when known.
    pub not_before: Option<UnixTime>,
    /// End of the certificate's validity, when known.
    pub not_after: Option<UnixTime>,
    /// The document types it may sign (`B2`, `L1`); `None` means any health document type.
    pub document_types: Option<Vec<String>>,
}

impl TwoDDocSigner {
    /// The key, ready to verify.
    pub fn key(&self) -> Option<SignerKey> {
        p256::ecdsa::VerifyingKey::from_sec1_bytes(&self.public_key).ok().map(SignerKey::P256)
    }
}

/// The 2D-DOC trust set: signers and blocklist.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct TwoDDocTrust {
    signers: Vec<TwoDDocSigner>,
    /// SHA-256 of the signed part of each blocked code, sorted.
    revoked: Vec<[u8; 32]>,
}

impl fmt::Debug for TwoDDocTrust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TwoDDocTrust({} signers, {} revoked)", self.signers.len(), self.revoked.len())
    }
}

/// A built-in signer: authority, certificate, holder, SPKI (base64 DER), validity.
struct BuiltIn {
    authority: &'static str,
    certificate: &'static str,
    name: &'static str,
    spki: &'static str,
    validity: Option<(&'static str, &'static str)>,
}

/// The keys of `../shared/2ddoc/keys` (TousAntiCovid `app.walletPubKeys`); validity from the
/// X.509 leaf certificates of `keys/x509` (nipo/tdd `tdd/chains/`, the ANTS trust list). TST1
/// has no certificate: its validity is unknown, so none is enforced.
const BUILT_IN: [BuiltIn; 7] = [
    BuiltIn {
        authority: "FR03",
        certificate: "AHP1",
        name: "Assistance Publique - Hôpitaux de Paris (SI-DEP)",
        spki: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEPnxJntwNwme9uHSasmGFFwdC0FWNEpucgzhjr+/AZ6UuTm3kL3ogEUAwKU0tShEVmZNK4/lM05h+0ZvtboJM/A==",
        validity: Some(("2021-03-25T23:00:00Z", "2024-03-24T22:59:59Z")),
    },
    BuiltIn {
        authority: "FR03",
        certificate: "AHP2",
        name: "Assistance Publique - Hôpitaux de Paris (SI-DEP)",
        spki: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEOYUgmx8pKu0UbyqQ/kt4+PXSpUprkO2YLHmzzoN66XjDW0AnSzXorFPe556p73Vawqaoy3qQKDIDB62IBYWBuA==",
        validity: Some(("2021-03-25T23:00:00Z", "2024-03-24T22:59:59Z")),
    },
    BuiltIn {
        authority: "FR03",
        certificate: "AV01",
        name: "Caisse Nationale d'Assurance Maladie",
        spki: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE1T9uG2bEP7uWND6RT/lJs2y787BkEJoRMMLXvqPKFFC3ckqFAPnFjbiv/odlWH04a1P9CvaCRxG31FMEOFZyXA==",
        validity: Some(("2021-04-22T22:00:00Z", "2024-04-21T21:59:59Z")),
    },
    BuiltIn {
        authority: "FR03",
        certificate: "AV02",
        name: "Caisse Nationale d'Assurance Maladie",
        spki: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE3jL6zQ0aQj9eJHUw4VDHB9sMoviLVIlADnoBwC43Md8p9w655z2bDhYEEajQ2amQzt+eU7HdWrvqY23Do91Izg==",
        validity: Some(("2021-04-22T22:00:00Z", "2024-04-21T21:59:59Z")),
    },
    BuiltIn {
        authority: "FR03",
        certificate: "ING1",
        name: "Imprimerie Nationale",
        spki: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEaMOVmK4FAlYeU8tUGpQgtpuLgwSn/arX/4ltKt/wYCole7rB4ECRLtSH4domHU/Z1cjUmVfyGH6NcboWrys9ww==",
        validity: Some(("2021-06-13T22:00:00Z", "2024-06-12T21:59:59Z")),
    },
    BuiltIn {
        authority: "FR00",
        certificate: "0001",
        name: "ANTS specification test key (CERTIFICAT DE TEST)",
        spki: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqY8NfM1igIiTvsTUNuedGDSh1uAB1w8cTNzNnZ4v4in3JAUU6N3AypjQx0QMnMSShJoPvac/w5L02grgf4TCPA==",
        validity: Some(("2012-11-01T13:47:46Z", "2015-11-01T13:47:46Z")),
    },
    BuiltIn {
        authority: "DHI0",
        certificate: "TST1",
        name: "TousAntiCovid test key",
        spki: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE6lPsrLPPis5Wl9u8Y7THfNIIfeEyq3q72MpzUm3gvr6ctYk4d3OQhn76GKSjSYX/0ZRC/cYO9479K0SUzYZ9yg==",
        validity: None,
    },
];

/// Codes on the French verifier's 2D-DOC blocklist that can be cited (SHA-256 of the signed
/// part, from sanipasse `src/assets/blacklist_text.json` as `../shared/2ddoc/samples/MANIFEST.json`
/// records it): the two specimens of the government's event-control kit, signed with the
/// production key AV01 and circulated publicly.
const BUILT_IN_REVOKED: [&str; 2] = [
    "7459877044d92cea191246d36b84de1c357dc583d7b499be16eb291a4eb317f1",
    "b3c08d702e1a580db02ab3cffdf4177e32f634bc40a3dc8423dadf99c1db74d6",
];

/// Why a 2D-DOC trust set cannot be built.
#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TwoDDocTrustError {
    #[error("2D-DOC signer {authority}/{certificate}: {problem}")]
    Signer { authority: String, certificate: String, problem: String },
    #[error("2D-DOC blocklist entry {index}: {problem}")]
    Revocation { index: usize, problem: String },
}

/// Decodes a SubjectPublicKeyInfo (DER) or a SEC1 point into an uncompressed SEC1 P-256 key.
pub fn p256_sec1_from_spki_or_sec1(bytes: &[u8]) -> Option<Vec<u8>> {
    let key = p256::ecdsa::VerifyingKey::from_public_key_der(bytes)
        .or_else(|_| p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes))
        .ok()?;
    Some(key.to_sec1_point(false).as_bytes().to_vec())
}

impl TwoDDocTrust {
    /// A set of `signers` and blocked fingerprints; each signer's key must be P-256 and each
    /// (authority, certificate) pair unique.
    pub fn new(signers: Vec<TwoDDocSigner>, revoked: Vec<[u8; 32]>) -> Result<Self, TwoDDocTrustError> {
        for (index, signer) in signers.iter().enumerate() {
            let problem = |problem: &str| TwoDDocTrustError::Signer {
                authority: signer.authority.clone(),
                certificate: signer.certificate.clone(),
                problem: problem.to_owned(),
            };
            let id_ok = |id: &str| id.len() == 4 && id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
            if !id_ok(&signer.authority) || !id_ok(&signer.certificate) {
                return Err(problem("ids are 4 upper-case letters or digits"));
            }
            if signer.key().is_none() {
                return Err(problem("the key is not a P-256 public key"));
            }
            if let (Some(start), Some(end)) = (signer.not_before, signer.not_after)
                && end < start
            {
                return Err(problem("its validity ends before it starts"));
            }
            let earlier = signers.get(..index).unwrap_or_default();
            if earlier
                .iter()
                .any(|other| other.authority == signer.authority && other.certificate == signer.certificate)
            {
                return Err(problem("appears twice"));
            }
        }
        let mut revoked = revoked;
        revoked.sort_unstable();
        revoked.dedup();
        Ok(Self { signers, revoked })
    }

    /// The signers TousAntiCovid shipped, and the citable blocklist entries.
    pub fn built_in() -> Self {
        let signers = BUILT_IN
            .iter()
            .filter_map(|entry| {
                let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, entry.spki).ok()?;
                let time = |text| UnixTime::parse_rfc3339(text).ok();
                Some(TwoDDocSigner {
                    authority: entry.authority.to_owned(),
                    certificate: entry.certificate.to_owned(),
                    name: entry.name.to_owned(),
                    public_key: p256_sec1_from_spki_or_sec1(&der)?,
                    not_before: entry.validity.and_then(|(start, _)| time(start)),
                    not_after: entry.validity.and_then(|(_, end)| time(end)),
                    document_types: None,
                })
            })
            .collect();
        let revoked = BUILT_IN_REVOKED.iter().filter_map(|hex| parse_fingerprint(hex)).collect();
        Self::new(signers, revoked).unwrap_or_default()
    }

    /// The signer named `authority`/`certificate`.
    pub fn signer(&self, authority: &str, certificate: &str) -> Option<&TwoDDocSigner> {
        self.signers.iter().find(|signer| signer.authority == authority && signer.certificate == certificate)
    }

    /// Every signer.
    pub fn signers(&self) -> &[TwoDDocSigner] {
        &self.signers
    }

    /// The blocked fingerprints, sorted.
    pub fn revoked(&self) -> &[[u8; 32]] {
        &self.revoked
    }

    /// Whether the code whose signed part hashes to `fingerprint` is blocked.
    pub fn is_revoked(&self, fingerprint: &[u8; 32]) -> bool {
        self.revoked.binary_search(fingerprint).is_ok()
    }
}

/// 64 hex digits into a fingerprint.
pub fn parse_fingerprint(hex: &str) -> Option<[u8; 32]> {
    let bytes = crate::codec::hex::decode_hex(hex)?;
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_set_has_every_published_key() {
        let trust = TwoDDocTrust::built_in();
        assert_eq!(trust.signers().len(), 7);
        let ahp1 = trust.signer("FR03", "AHP1").unwrap();
        assert!(ahp1.key().is_some());
        assert_eq!(ahp1.not_before, Some(UnixTime::parse_rfc3339("2021-03-25T23:00:00Z").unwrap()));
        assert!(trust.signer("DHI0", "TST1").unwrap().not_after.is_none());
        assert!(trust.signer("FR03", "XXXX").is_none());
        assert_eq!(trust.revoked().len(), 2);
    }

    #[test]
    fn duplicate_or_malformed_signers_are_refused() {
        let signer = TwoDDocTrust::built_in().signer("FR03", "AV01").unwrap().clone();
        let error = TwoDDocTrust::new(vec![signer.clone(), signer.clone()], Vec::new()).unwrap_err();
        assert!(error.to_string().contains("appears twice"), "{error}");
        let mut broken = signer.clone();
        broken.public_key = vec![4; 65];
        assert!(TwoDDocTrust::new(vec![broken], Vec::new()).is_err());
        let mut lower = signer;
        lower.authority = "fr03".into();
        assert!(TwoDDocTrust::new(vec![lower], Vec::new()).is_err());
    }
}
