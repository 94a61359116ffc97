//! `CheckpointSession`: a controller's scan loop with the core's de-duplication — each distinct
//! pass verified once while it stays in view — so the apps do not each re-implement it.
//!
//! Threading: `observe_frame` scans and may verify (milliseconds to tens of milliseconds): call
//! it from the camera's analysis thread, never the UI thread. The session takes the verifier's
//! current state for every frame, so a trust bundle update applies to the next frame.

use std::sync::{Arc, Mutex, MutexGuard};

use healthpass_core::checkpoint::{
    CheckpointEvent as CoreEvent, CheckpointSession as CoreSession, CheckpointStats as CoreStats,
};
use healthpass_core::scan::{LumaFrame, Scanner};
use healthpass_core::time::UnixTime;
use healthpass_core::verify::Verifier;

use crate::error::{HealthpassError, guard};
use crate::types::Verdict;
use crate::verifier::PassVerifier;

/// What a frame (or a text) produced.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
#[allow(
    clippy::large_enum_variant,
    reason = "lowered to a byte buffer right after it is built; UniFFI enum fields cannot be boxed"
)]
pub enum CheckpointEvent {
    /// A pass not seen within the repeat window, and its verdict: show it.
    Verified {
        /// The pass text.
        text: String,
        /// Its verdict.
        verdict: Verdict,
        /// When the frame was captured (milliseconds, the caller's clock).
        captured_at_ms: u64,
    },
    /// A code that is not a pass, with the stage that refused it.
    NotAPass {
        /// Why it is not a pass.
        reason: String,
        /// When the frame was captured.
        captured_at_ms: u64,
    },
}

/// Counts over a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct CheckpointStats {
    /// Frames (and texts) observed.
    pub frames: u64,
    /// Frames in which at least one code was read.
    pub frames_with_codes: u64,
    /// Passes verified (each distinct pass once per window).
    pub verified: u64,
    /// Codes ignored because the same pass was verified within the window.
    pub repeats_ignored: u64,
    /// Codes that were not passes.
    pub not_a_pass: u64,
}

impl From<CoreEvent> for CheckpointEvent {
    fn from(event: CoreEvent) -> Self {
        match event {
            CoreEvent::Verified { text, verdict, captured_at_ms } => {
                Self::Verified { text, verdict: (*verdict).into(), captured_at_ms }
            }
            CoreEvent::NotAPass { reason, captured_at_ms } => Self::NotAPass { reason, captured_at_ms },
        }
    }
}

impl From<CoreStats> for CheckpointStats {
    fn from(stats: CoreStats) -> Self {
        Self {
            frames: stats.frames,
            frames_with_codes: stats.frames_with_codes,
            verified: stats.verified,
            repeats_ignored: stats.repeats_ignored,
            not_a_pass: stats.not_a_pass,
        }
    }
}

/// A controller's scan loop over a [`PassVerifier`].
#[derive(uniffi::Object)]
pub struct CheckpointSession {
    verifier: Arc<PassVerifier>,
    session: Mutex<CoreSession>,
}

impl CheckpointSession {
    fn session(&self) -> MutexGuard<'_, CoreSession> {
        // The session's state is a list of recent texts and counters, each change complete.
        self.session.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[uniffi::export]
impl CheckpointSession {
    /// A session verifying with `verifier`, ignoring a pass for `repeat_window_ms` after it
    /// was last seen (5,000 is what a door or a train gate wants).
    #[uniffi::constructor]
    pub fn new(verifier: Arc<PassVerifier>, repeat_window_ms: u64) -> Self {
        let session = CoreSession::new(Scanner::default(), Verifier::default()).with_repeat_window_ms(repeat_window_ms);
        Self { verifier, session: Mutex::new(session) }
    }

    /// Scans a luma frame (row stride ≥ width; the last row may be unpadded) captured at
    /// `captured_at_ms` and verifies each pass not seen within the window, at `at` (seconds).
    pub fn observe_frame(
        &self,
        data: Vec<u8>,
        width: u32,
        height: u32,
        row_stride: u32,
        captured_at_ms: u64,
        at: i64,
    ) -> Result<Vec<CheckpointEvent>, HealthpassError> {
        guard(|| {
            let frame = LumaFrame::new(&data, width, height, row_stride)?;
            let verifier = self.verifier.current();
            let events = self.session().observe_with(&frame, captured_at_ms, UnixTime::from_seconds(at), &verifier);
            Ok(events.into_iter().map(Into::into).collect())
        })
    }

    /// A code read without a frame (a hand-held scanner typing its text), under the same window:
    /// `None` when the same text was seen within it.
    pub fn observe_text(
        &self,
        text: String,
        captured_at_ms: u64,
        at: i64,
    ) -> Result<Option<CheckpointEvent>, HealthpassError> {
        guard(|| {
            let verifier = self.verifier.current();
            let event = self.session().observe_text(&text, captured_at_ms, UnixTime::from_seconds(at), Some(&verifier));
            Ok(event.map(Into::into))
        })
    }

    /// What the session has observed so far.
    pub fn stats(&self) -> CheckpointStats {
        self.session().stats().into()
    }
}
