//! The one error an app sees: a few variants it can act on, each with a message for people.
//! Core errors are converted here and nowhere else.

use healthpass_core::codec::DecodeError;
use healthpass_core::dcc::{DccError, HcertError};
use healthpass_core::issue::{IssueError, SignerError};
use healthpass_core::render::RenderError;
use healthpass_core::rules::RuleError;
use healthpass_core::scan::FrameError;
use healthpass_core::trust::BundleError;
use healthpass_core::trust::{AnchorError, DscError};
use healthpass_core::verify::VerifyError;

/// The one error type every exported call may return.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum HealthpassError {
    /// The input is unusable (a frame of the wrong size, a field the pharmacist must fix):
    /// show the message and let the user correct it.
    #[error("{reason}")]
    InvalidInput {
        /// What the user must correct.
        reason: String,
    },
    /// The code read is not a health pass at all.
    #[error("{reason}")]
    NotAPass {
        /// What the decoder found instead (no personal data).
        reason: String,
    },
    /// Trust data (a bundle, an anchor, a certificate) was refused; what was in force still is.
    #[error("{reason}")]
    TrustData {
        /// Why it was refused.
        reason: String,
    },
    /// The platform failed: the key store, a signer, or the network. Retry or report.
    #[error("{reason}")]
    Platform {
        /// What the platform said (first line only).
        reason: String,
    },
    /// A defect in the library; it did not crash the app.
    #[error("{reason}")]
    Internal {
        /// A summary; the defect is in the library.
        reason: String,
    },
}

impl From<IssueError> for HealthpassError {
    fn from(error: IssueError) -> Self {
        let reason = error.to_string();
        match error {
            IssueError::Input(_)
            | IssueError::Certificate(_)
            | IssueError::KeyCertificateMismatch { .. }
            | IssueError::CertificateNotForTests => Self::InvalidInput { reason },
            // A platform signer that fails, or signs with the wrong key (caught by the self-check).
            IssueError::Signer(_) | IssueError::SelfCheckFailed { .. } | IssueError::Randomness { .. } => {
                Self::Platform { reason }
            }
        }
    }
}

impl From<healthpass_core::fallback::FallbackError> for HealthpassError {
    fn from(error: healthpass_core::fallback::FallbackError) -> Self {
        use healthpass_core::fallback::FallbackError;
        let reason = error.to_string();
        match error {
            FallbackError::Outbox(inner) => inner.into(),
            FallbackError::Signer(_) | FallbackError::SelfCheckFailed { .. } => Self::Platform { reason },
            FallbackError::Credential(_)
            | FallbackError::NoCredential
            | FallbackError::NotThisDevice
            | FallbackError::CredentialNotInForce { .. } => Self::TrustData { reason },
            FallbackError::OutOfScope { .. } | FallbackError::Input(_) | FallbackError::AnsweredMeanwhile => {
                Self::InvalidInput { reason }
            }
        }
    }
}

impl From<healthpass_core::outbox::OutboxError> for HealthpassError {
    fn from(error: healthpass_core::outbox::OutboxError) -> Self {
        use healthpass_core::outbox::{OutboxError, OutboxStoreError};
        let reason = error.to_string();
        match error {
            // The app's storage failed (disk full, I/O): the platform's side.
            OutboxError::Store(OutboxStoreError::Database(_)) | OutboxError::Device(_) => Self::Platform { reason },
            OutboxError::Store(OutboxStoreError::NotAnOutbox { .. })
            | OutboxError::Endpoint(_)
            | OutboxError::Entry(_)
            | OutboxError::UnknownTicket(_) => Self::InvalidInput { reason },
        }
    }
}

impl From<SignerError> for HealthpassError {
    /// The platform key failed or gave a key that is not P-256: the platform's side.
    fn from(error: SignerError) -> Self {
        Self::Platform { reason: error.to_string() }
    }
}

impl From<DscError> for HealthpassError {
    /// A certificate (a signer's, or the issuer's own) is trust data.
    fn from(error: DscError) -> Self {
        Self::TrustData { reason: error.to_string() }
    }
}

impl From<AnchorError> for HealthpassError {
    fn from(error: AnchorError) -> Self {
        Self::TrustData { reason: error.to_string() }
    }
}

/// A text too long for a QR code is the caller's input.
impl From<RenderError> for HealthpassError {
    fn from(error: RenderError) -> Self {
        Self::InvalidInput { reason: error.to_string() }
    }
}

impl From<DecodeError> for HealthpassError {
    fn from(error: DecodeError) -> Self {
        Self::NotAPass { reason: error.to_string() }
    }
}

impl From<HcertError> for HealthpassError {
    fn from(error: HcertError) -> Self {
        Self::NotAPass { reason: error.to_string() }
    }
}

impl From<DccError> for HealthpassError {
    fn from(error: DccError) -> Self {
        Self::NotAPass { reason: error.to_string() }
    }
}

/// A foreign signer's failure, seen from the core: the platform failed.
impl From<HealthpassError> for SignerError {
    fn from(error: HealthpassError) -> Self {
        Self::Platform { message: error.to_string() }
    }
}

impl From<VerifyError> for HealthpassError {
    fn from(error: VerifyError) -> Self {
        Self::NotAPass { reason: error.to_string() }
    }
}

impl From<FrameError> for HealthpassError {
    fn from(error: FrameError) -> Self {
        Self::InvalidInput { reason: error.to_string() }
    }
}

impl From<BundleError> for HealthpassError {
    fn from(error: BundleError) -> Self {
        Self::TrustData { reason: error.to_string() }
    }
}

/// A bundle's rule that cannot run: the bundle is refused as trust data.
impl From<RuleError> for HealthpassError {
    fn from(error: RuleError) -> Self {
        Self::TrustData { reason: error.to_string() }
    }
}

impl From<uniffi::UnexpectedUniFFICallbackError> for HealthpassError {
    /// A foreign callback threw something other than a `HealthpassError`: keep its first line
    /// only, so no stack trace (and nothing else the platform appended) reaches users or logs.
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Platform { reason: scrub(&error.reason) }
    }
}

/// The first line of a foreign error description, without stack frames, at most 200 characters.
pub fn scrub(reason: &str) -> String {
    let first_line =
        reason.lines().map(str::trim).find(|line| !line.is_empty() && !line.starts_with("at ")).unwrap_or("");
    let mut message: String = first_line.chars().take(200).collect();
    if message.is_empty() {
        message = "the platform callback failed".into();
    }
    message
}

/// Runs a call so a panic in the library becomes an `Internal` error, never an unwinding
/// across the FFI boundary.
pub fn guard<T>(call: impl FnOnce() -> Result<T, HealthpassError>) -> Result<T, HealthpassError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)).unwrap_or_else(|_| {
        Err(HealthpassError::Internal { reason: "internal error in healthpass; please report it".into() })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubbing_keeps_the_first_line_only() {
        assert_eq!(
            scrub(
                "java.lang.IllegalStateException: key invalidated\n\tat com.example.Signer.sign(Signer.kt:12)\n\tat ..."
            ),
            "java.lang.IllegalStateException: key invalidated"
        );
        assert_eq!(scrub("\n"), "the platform callback failed");
        assert_eq!(scrub(&"x".repeat(500)).len(), 200);
    }

    #[test]
    fn panics_become_internal_errors() {
        let result: Result<(), HealthpassError> = guard(|| panic!("boom"));
        assert!(matches!(result, Err(HealthpassError::Internal { .. })));
    }
}
