//! Platform services the apps implement: the signing key (Android Keystore, Secure Enclave)
//! and HTTP (OkHttp, URLSession).

use crate::error::HealthpassError;
use crate::types::{HttpRequest, HttpResponse};

/// A P-256 key in the platform's key store that signs passes (ES256). The private key never
/// leaves the key store.
#[uniffi::export(with_foreign)]
pub trait Signer: Send + Sync {
    /// The public key: a SEC1 point (iOS `SecKeyCopyExternalRepresentation`) or a
    /// SubjectPublicKeyInfo DER (Android `PublicKey.getEncoded()`). An issuer compares it with
    /// its certificate; a pharmacy device enrols with it.
    fn public_key(&self) -> Result<Vec<u8>, HealthpassError>;
    /// Signs `data`; the signature may be DER-encoded, as Android Keystore and the Secure
    /// Enclave return it, or raw r||s.
    fn sign(&self, data: Vec<u8>) -> Result<Vec<u8>, HealthpassError>;
}

/// The platform's HTTP client.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait Transport: Send + Sync {
    /// Sends `request` and returns the response; network failures are `Platform` errors.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HealthpassError>;
}
