//! Pharmacy devices as the issuer service knows them: an id derived from the device's public
//! key, and what an operator registers.

use std::fmt;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::trust::Kid;

/// A device id: its key's kid (first 8 bytes of the SHA-256 of the SubjectPublicKeyInfo DER),
/// base64url without padding (11 characters). The same kid names the device in delegation
/// credentials and device revocations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeviceId(Kid);

impl DeviceId {
    /// The id of a device key.
    pub fn of_key(key: &p256::ecdsa::VerifyingKey) -> Self {
        Self(crate::trust::anchor::key_kid(key))
    }

    /// The id from its text form.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text.trim()).ok()?;
        Kid::from_slice(&bytes).map(Self)
    }

    /// The kid the device signs under.
    pub fn kid(self) -> Kid {
        self.0
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.0.as_bytes()))
    }
}

/// Whether a device may issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    /// May issue.
    Active,
    /// Temporarily may not issue (an operator can resume it).
    Suspended,
    /// May never issue again.
    Revoked,
}

impl DeviceStatus {
    /// `active`, `suspended` or `revoked`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Revoked => "revoked",
        }
    }

    /// The status of its name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(Self::Active),
            "suspended" => Some(Self::Suspended),
            "revoked" => Some(Self::Revoked),
            _ => None,
        }
    }
}

/// What an operator registers for a pharmacy device (`POST /v1/devices`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentRequest {
    /// The device's P-256 public key, base64: SubjectPublicKeyInfo DER (Android) or a SEC1
    /// point (iOS). The private key never leaves the device.
    pub public_key: String,
    /// The pharmacy's identifier in the national register (e.g. its FINESS number).
    pub pharmacy_id: String,
    /// The pharmacy's name, as controllers will see it on provisional passes.
    pub pharmacy_name: String,
}

impl EnrolmentRequest {
    /// The enrolment of a device key: its SubjectPublicKeyInfo DER in base64, whatever form
    /// the platform gave the key in.
    pub fn for_key(key: &p256::ecdsa::VerifyingKey, pharmacy_id: &str, pharmacy_name: &str) -> Self {
        use p256::pkcs8::EncodePublicKey as _;
        let spki = key.to_public_key_der().map(|der| der.as_bytes().to_vec()).unwrap_or_default();
        Self {
            public_key: base64::engine::general_purpose::STANDARD.encode(spki),
            pharmacy_id: pharmacy_id.trim().to_owned(),
            pharmacy_name: pharmacy_name.trim().to_owned(),
        }
    }

    /// The JSON body of `POST /v1/devices`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// What the service answers to an enrolment or a status change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolmentResponse {
    /// The device id (its key's kid, base64url).
    pub device_id: String,
    /// The device's status.
    pub status: DeviceStatus,
    /// The pharmacy's identifier.
    pub pharmacy_id: String,
    /// The pharmacy's name.
    pub pharmacy_name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_id_is_its_key_kid_in_base64url() {
        let key = p256::ecdsa::SigningKey::from_slice(&[5u8; 32]).unwrap();
        let id = DeviceId::of_key(key.verifying_key());
        assert_eq!(id.to_string().len(), 11);
        assert_eq!(DeviceId::parse(&id.to_string()), Some(id));
        assert_eq!(DeviceId::parse("not an id"), None);
        assert_eq!(DeviceStatus::parse("revoked"), Some(DeviceStatus::Revoked));
    }

    #[test]
    fn an_enrolment_carries_the_key_as_spki_and_names_the_same_device() {
        use p256::pkcs8::DecodePublicKey as _;
        let key = p256::ecdsa::SigningKey::from_slice(&[6u8; 32]).unwrap();
        let request = EnrolmentRequest::for_key(key.verifying_key(), " FINESS-750000001 ", "Pharmacie du Centre");
        let spki = base64::engine::general_purpose::STANDARD.decode(&request.public_key).unwrap();
        let decoded = p256::ecdsa::VerifyingKey::from_public_key_der(&spki).unwrap();
        assert_eq!(DeviceId::of_key(&decoded), DeviceId::of_key(key.verifying_key()));
        assert_eq!(request.pharmacy_id, "FINESS-750000001");
        let json: serde_json::Value = serde_json::from_str(&request.to_json()).unwrap();
        assert_eq!(json["pharmacy_name"], "Pharmacie du Centre");
    }
}
