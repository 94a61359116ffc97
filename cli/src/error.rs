//! What can go wrong in a command, each with its own exit code and wording.
//!
//! Exit codes: 0 valid / success; 1 an invalid pass, or a check that failed; 2 the input is
//! unusable (not a pass, a bad file, a bad option); 3 a file could not be written or the system
//! refused something (disk, randomness); 4 an internal error (a defect: please report it).

use std::fmt;
use std::path::Path;

#[derive(Debug)]
pub enum CliError {
    /// The input or the options are unusable: the message says what was expected.
    Usage(String),
    /// An output could not be written, or the system failed.
    System(String),
    /// A defect in the program.
    Internal(String),
}

impl CliError {
    pub fn usage(message: impl fmt::Display) -> Self {
        Self::Usage(message.to_string())
    }

    /// An unusable file: its path, then what is wrong with it.
    pub fn in_file(path: &Path, message: impl fmt::Display) -> Self {
        Self::Usage(format!("{}: {message}", path.display()))
    }

    /// A file that could not be written.
    pub fn writing(path: &Path, error: impl fmt::Display) -> Self {
        Self::System(format!("could not write {}: {error}", path.display()))
    }

    pub fn internal(message: impl fmt::Display) -> Self {
        Self::Internal(message.to_string())
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => 2,
            Self::System(_) => 3,
            Self::Internal(_) => 4,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(message) | Self::System(message) => f.write_str(message),
            Self::Internal(message) => write!(f, "internal error: {message} (please report this)"),
        }
    }
}

/// Core errors that mean "this input is unusable".
macro_rules! usage_errors {
    ($($error:ty),* $(,)?) => {
        $(impl From<$error> for CliError {
            fn from(error: $error) -> Self {
                Self::Usage(error.to_string())
            }
        })*
    };
}

usage_errors!(
    healthpass_core::trust::DscError,
    healthpass_core::trust::AnchorError,
    healthpass_core::trust::BundleError,
    healthpass_core::trust::TrustListError,
    healthpass_core::issue::SignerError,
    healthpass_core::scan::image_input::ImageError,
    healthpass_core::rules::RuleError,
    healthpass_core::conformance::SuiteError,
    healthpass_core::render::qr::RenderError,
);

impl From<healthpass_core::issue::IssueError> for CliError {
    fn from(error: healthpass_core::issue::IssueError) -> Self {
        use healthpass_core::issue::IssueError;
        match error {
            IssueError::Randomness { .. } => Self::System(error.to_string()),
            // A pass that fails its own verification means the key or the program is broken.
            IssueError::SelfCheckFailed { .. } => Self::Internal(error.to_string()),
            _ => Self::Usage(error.to_string()),
        }
    }
}

impl From<healthpass_core::fallback::FallbackError> for CliError {
    fn from(error: healthpass_core::fallback::FallbackError) -> Self {
        use healthpass_core::fallback::FallbackError;
        match error {
            FallbackError::Outbox(inner) => inner.into(),
            FallbackError::SelfCheckFailed { .. } => Self::Internal(error.to_string()),
            _ => Self::Usage(error.to_string()),
        }
    }
}

impl From<healthpass_core::outbox::OutboxError> for CliError {
    fn from(error: healthpass_core::outbox::OutboxError) -> Self {
        use healthpass_core::outbox::{OutboxError, OutboxStoreError};
        match error {
            // The disk, not the input: the same command may work later.
            OutboxError::Store(OutboxStoreError::Database(_)) => Self::System(error.to_string()),
            _ => Self::Usage(error.to_string()),
        }
    }
}

impl From<healthpass_core::issue::authority::AuthorityError> for CliError {
    fn from(error: healthpass_core::issue::authority::AuthorityError) -> Self {
        Self::Internal(error.to_string())
    }
}
