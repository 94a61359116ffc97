//! A COSE signature check as a verdict sees it: the check itself is the COSE layer's
//! ([`SignerKey::verify`]); this names the reason a signature does not count.

use super::verdict::Reason;
use crate::codec::cose::{SignatureAlgorithm, SignatureError, SignerKey};

/// Verifies `signature` over `signed_data`; the error is the reason it does not verify.
pub fn check_signature(
    algorithm: SignatureAlgorithm,
    key: &SignerKey,
    signed_data: &[u8],
    signature: &[u8],
) -> Result<(), Reason> {
    key.verify(algorithm, signed_data, signature).map_err(|error| match error {
        SignatureError::Malformed { length } => Reason::SignatureMalformed { length },
        SignatureError::Invalid => Reason::SignatureInvalid,
        SignatureError::AlgorithmKeyMismatch { algorithm, key } => Reason::AlgorithmKeyMismatch { algorithm, key },
    })
}
