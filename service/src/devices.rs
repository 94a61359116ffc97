//! The operator's side: enrolling pharmacy devices and suspending, resuming or revoking them.
//! Every call needs the operator token given at start (`Authorization: Bearer <token>`).

use std::sync::Arc;

use base64::Engine as _;
use healthpass_core::issue::p256_public_key;
use healthpass_core::protocol::{DeviceId, DeviceStatus, EnrolmentRequest, EnrolmentResponse};
use healthpass_core::time::UnixTime;
use sha2::{Digest, Sha256};

use crate::api_error::ApiError;
use crate::storage::{DeviceRecord, Enrolment, Store};

/// Text fields of an enrolment are at most this long.
const MAX_FIELD: usize = 200;

/// The operator desk.
pub struct DeviceDesk {
    store: Arc<dyn Store>,
    token_digest: [u8; 32],
}

/// A status change an operator asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    /// `/suspend`.
    Suspend,
    /// `/resume`.
    Resume,
    /// `/revoke` (final).
    Revoke,
}

impl DeviceDesk {
    /// A desk accepting `operator_token`.
    pub fn new(store: Arc<dyn Store>, operator_token: &str) -> Self {
        Self { store, token_digest: Sha256::digest(operator_token.as_bytes()).into() }
    }

    /// Checks an `Authorization` header in constant time (both sides are hashed first).
    pub fn authorize(&self, header: Option<&str>) -> Result<(), ApiError> {
        let presented = header.and_then(|value| value.strip_prefix("Bearer ")).unwrap_or("");
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let difference = digest.iter().zip(self.token_digest).fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if presented.is_empty() || difference != 0 {
            return Err(ApiError::new(
                401,
                "operator_token_invalid",
                "an operator token is required: Authorization: Bearer <token>",
            ));
        }
        Ok(())
    }

    /// Registers a device (201), or returns the one registered under the same key (200).
    pub fn enrol(&self, body: &[u8], now: UnixTime) -> Result<(u16, EnrolmentResponse), ApiError> {
        let request: EnrolmentRequest = serde_json::from_slice(body).map_err(|_| {
            ApiError::new(
                400,
                "body_invalid",
                "expected {\"public_key\": base64, \"pharmacy_id\": text, \"pharmacy_name\": text}",
            )
        })?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(request.public_key.trim())
            .map_err(|_| ApiError::new(400, "public_key_invalid", "public_key must be base64"))?;
        let key =
            p256_public_key(&bytes).map_err(|error| ApiError::new(400, "public_key_invalid", error.to_string()))?;
        for (name, value) in [("pharmacy_id", &request.pharmacy_id), ("pharmacy_name", &request.pharmacy_name)] {
            let value = value.trim();
            if value.is_empty() || value.chars().count() > MAX_FIELD || value.chars().any(char::is_control) {
                return Err(ApiError::new(
                    400,
                    "body_invalid",
                    format!("{name} must be 1 to {MAX_FIELD} characters without control characters"),
                ));
            }
        }
        let record = DeviceRecord {
            id: DeviceId::of_key(&key),
            public_key: key.to_sec1_point(false).as_bytes().to_vec(),
            pharmacy_id: request.pharmacy_id.trim().to_owned(),
            pharmacy_name: request.pharmacy_name.trim().to_owned(),
            status: DeviceStatus::Active,
            enrolled_at: now,
        };
        match self.store.enrol(&record).map_err(ApiError::storage)? {
            Enrolment::Created(device) => Ok((201, response(&device))),
            Enrolment::Existing(device) => Ok((200, response(&device))),
        }
    }

    /// A device's record.
    pub fn get(&self, id: &str) -> Result<EnrolmentResponse, ApiError> {
        let id = parse_id(id)?;
        self.store.device(id).map_err(ApiError::storage)?.map(|device| response(&device)).ok_or_else(not_found)
    }

    /// Suspends, resumes or revokes a device. Revocation is final: resuming a revoked device
    /// is refused with 409.
    pub fn change(&self, id: &str, change: StatusChange) -> Result<EnrolmentResponse, ApiError> {
        let id = parse_id(id)?;
        let current = self.store.device(id).map_err(ApiError::storage)?.ok_or_else(not_found)?;
        if current.status == DeviceStatus::Revoked && change != StatusChange::Revoke {
            return Err(ApiError::new(409, "device_revoked", "a revoked device cannot be suspended or resumed"));
        }
        let status = match change {
            StatusChange::Suspend => DeviceStatus::Suspended,
            StatusChange::Resume => DeviceStatus::Active,
            StatusChange::Revoke => DeviceStatus::Revoked,
        };
        let device = self.store.set_status(id, status).map_err(ApiError::storage)?.ok_or_else(not_found)?;
        Ok(response(&device))
    }
}

fn parse_id(id: &str) -> Result<DeviceId, ApiError> {
    DeviceId::parse(id)
        .ok_or_else(|| ApiError::new(400, "device_id_invalid", "a device id is 11 characters of base64url"))
}

fn not_found() -> ApiError {
    ApiError::new(404, "device_unknown", "no device with this id is enrolled")
}

fn response(device: &DeviceRecord) -> EnrolmentResponse {
    EnrolmentResponse {
        device_id: device.id.to_string(),
        status: device.status,
        pharmacy_id: device.pharmacy_id.clone(),
        pharmacy_name: device.pharmacy_name.clone(),
    }
}
