//! The one error an app sees: a few variants it can act on, each with a message for people.
//! Core errors are converted here and nowhere else.

use healthpass_core::issue::IssueError;
use healthpass_core::rules::RuleError;
use healthpass_core::scan::FrameError;
use healthpass_core::trust::BundleError;
use healthpass_core::verify::VerifyError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum HealthpassError {
    /// The input is unusable (a frame of the wrong size, a field the pharmacist must fix):
    /// show the message and let the user correct it.
    #[error("{reason}")]
    InvalidInput { reason: String },
    /// The code read is not a health pass at all.
    #[error("{reason}")]
    NotAPass { reason: String },
    /// Trust data (a bundle, an anchor, a certificate) was refused; what was in force still is.
    #[error("{reason}")]
    TrustData { reason: String },
    /// The platform failed: the key store, a signer, or the network. Retry or report.
    #[error("{reason}")]
    Platform { reason: String },
    /// A defect in the library; it did not crash the app.
    #[error("{reason}")]
    Internal { reason: String },
}

impl HealthpassError {
    pub fn invalid_input(error: impl std::fmt::Display) -> Self {
        Self::InvalidInput { reason: error.to_string() }
    }
    pub fn trust_data(error: impl std::fmt::Display) -> Self {
        Self::TrustData { reason: error.to_string() }
    }
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
