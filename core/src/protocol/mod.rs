//! The issuance protocol between a pharmacy device and the central issuer service: what both
//! sides build and check, so the outbox (client) and the service (server) share one reading.
//!
//! A request is `POST /v1/issuances` with a JSON body ([`IssuanceRequest`]), an
//! `Idempotency-Key` (IETF httpapi idempotency-key draft), a `Content-Digest` of the body
//! (RFC 9530) and an HTTP message signature (RFC 9421) by the device key over the method, the
//! path, the digest and the idempotency key, with its creation time and the device id as
//! `keyid`. RFC 9421 was chosen over a signed body (COSE or JWS) so the body stays plain JSON
//! that pharmacy-software vendors read and write with any HTTP library, while the headers carry
//! a standard signature that libraries exist for in every language; the signature binds the
//! idempotency key, so a replayed key cannot carry another body.

mod content_digest;
mod device;
mod fallback;
pub mod hpke;
mod http;
mod http_signature;
mod idempotency;
mod issuance;
pub mod transfer;

pub use content_digest::{ContentDigestError, content_digest, verify_content_digest};
pub use device::{DeviceId, DeviceStatus, EnrolmentRequest, EnrolmentResponse};
pub use fallback::{
    CREDENTIAL_PATH, CredentialResponse, RECONCILIATION_PATH, ReconciliationRequest, reconciliation_key,
};
pub use http::{HttpRequest, HttpResponse, Transport, TransportError};
pub use http_signature::{
    HttpSignatureError, ParsedSignature, RequestSignature, SIGNATURE_ALGORITHM, SignedRequestParts, claimed_device,
    sign_request, verify_request,
};
pub use idempotency::{IdempotencyKey, IdempotencyKeyError};
pub use issuance::{ErrorBody, IssuanceRequest, IssuanceRequestError, IssuanceResponse, TestKind, TestOutcome};
pub use transfer::{TransferCode, TransferCodeError};

/// The path of the issuance endpoint.
pub const ISSUANCE_PATH: &str = "/v1/issuances";
/// The largest request body the service reads (a request is a few hundred bytes).
pub const MAX_REQUEST_BODY_BYTES: usize = 16 * 1024;
