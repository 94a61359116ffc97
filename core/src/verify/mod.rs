//! Verification: is this pass authentic, in force and conforming, at this time?
//!
//! Verdicts are data: an invalid pass yields `Ok(Verdict)` with its reasons. `Err` means the
//! input is not a pass at all.

pub mod notice;
pub mod policy;
pub mod provisional;
pub mod reason_texts;
pub mod signature;
pub mod tolerance;
pub mod two_d_doc;
pub mod verdict;
pub mod verifier;

pub use notice::{Notice, NoticeKind};
pub use provisional::{ProvisionalSigner, provisional_uvci};
pub use reason_texts::{Language, REASON_TEXTS, ReasonText, reason_text};
pub use verdict::{Holder, PassFormat, Reason, ReasonCategory, SignerSummary, TwoDDocSummary, Verdict, VerdictStatus};
pub use verifier::{SignerSearch, Verifier, VerifyError, find_signer};
