//! The controller's continuous loop: scan every frame, verify each distinct pass once, and
//! ignore the same pass shown again within a few seconds (a holder keeps it in front of the
//! camera while the verdict is on screen).

use super::frame_source::{FrameSource, FrameSourceError};
use crate::scan::{LumaFrame, Scanner};
use crate::time::UnixTime;
use crate::verify::{Verdict, Verifier};

/// How long the same pass is ignored after it was last seen, by default.
pub const DEFAULT_REPEAT_WINDOW_MS: u64 = 5_000;

/// What a frame produced.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckpointEvent {
    /// A pass not seen within the repeat window, and its verdict.
    Verified {
        /// The pass text.
        text: String,
        /// Its verdict.
        verdict: Box<Verdict>,
        /// When the frame was captured.
        captured_at_ms: u64,
    },
    /// A code that is not a pass (e.g. a URL, a damaged code), with the reason.
    NotAPass {
        /// Why it is not a pass (which decoding stage refused it).
        reason: String,
        /// When the frame was captured.
        captured_at_ms: u64,
    },
}

/// Counts over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckpointStats {
    /// Frames observed.
    pub frames: u64,
    /// Frames in which at least one code was read.
    pub frames_with_codes: u64,
    /// Passes verified (each distinct pass once per window).
    pub verified: u64,
    /// Codes ignored because the same pass was verified within the repeat window.
    pub repeats_ignored: u64,
    /// Codes that were not passes.
    pub not_a_pass: u64,
}

/// The controller's loop: a scanner, a verifier and the passes seen recently.
pub struct CheckpointSession {
    scanner: Scanner,
    verifier: Verifier,
    repeat_window_ms: u64,
    /// Texts seen recently and when last; pruned as frames go by, so it stays small.
    recent: Vec<(String, u64)>,
    stats: CheckpointStats,
}

impl CheckpointSession {
    /// A session verifying what `scanner` reads with `verifier`.
    pub fn new(scanner: Scanner, verifier: Verifier) -> Self {
        Self {
            scanner,
            verifier,
            repeat_window_ms: DEFAULT_REPEAT_WINDOW_MS,
            recent: Vec::new(),
            stats: CheckpointStats::default(),
        }
    }

    /// Ignores a pass for this long after it was last seen (default [`DEFAULT_REPEAT_WINDOW_MS`]).
    pub fn with_repeat_window_ms(mut self, window: u64) -> Self {
        self.repeat_window_ms = window;
        self
    }

    /// What the session has observed so far.
    pub fn stats(&self) -> CheckpointStats {
        self.stats
    }

    /// Scans one frame and verifies what is new; `now` is the wall-clock time for verdicts.
    pub fn observe(&mut self, frame: &LumaFrame<'_>, captured_at_ms: u64, now: UnixTime) -> Vec<CheckpointEvent> {
        let codes = self.scan(frame, captured_at_ms);
        let mut events = Vec::new();
        for text in codes {
            events.extend(self.recent_or_verified(text, captured_at_ms, now, None));
        }
        events
    }

    /// As [`CheckpointSession::observe`], verifying with `verifier` instead of the session's
    /// own: an app whose verifier is replaced on each trust bundle update keeps one session.
    pub fn observe_with(
        &mut self,
        frame: &LumaFrame<'_>,
        captured_at_ms: u64,
        now: UnixTime,
        verifier: &Verifier,
    ) -> Vec<CheckpointEvent> {
        let codes = self.scan(frame, captured_at_ms);
        let mut events = Vec::new();
        for text in codes {
            events.extend(self.recent_or_verified(text, captured_at_ms, now, Some(verifier)));
        }
        events
    }

    /// A code read without a frame (a keyboard-wedge scanner, a pasted text), under the same
    /// repeat window: the event, or `None` when the same text was seen within the window.
    pub fn observe_text(
        &mut self,
        text: &str,
        captured_at_ms: u64,
        now: UnixTime,
        verifier: Option<&Verifier>,
    ) -> Option<CheckpointEvent> {
        self.stats.frames += 1;
        self.forget_older_than(captured_at_ms);
        self.stats.frames_with_codes += 1;
        self.recent_or_verified(text.to_owned(), captured_at_ms, now, verifier)
    }

    fn forget_older_than(&mut self, captured_at_ms: u64) {
        let window = self.repeat_window_ms;
        self.recent.retain(|(_, last_seen)| captured_at_ms.saturating_sub(*last_seen) <= window);
    }

    /// The texts of the codes in a frame, counted.
    fn scan(&mut self, frame: &LumaFrame<'_>, captured_at_ms: u64) -> Vec<String> {
        self.stats.frames += 1;
        self.forget_older_than(captured_at_ms);
        let codes = self.scanner.scan(frame);
        if !codes.is_empty() {
            self.stats.frames_with_codes += 1;
        }
        codes.into_iter().map(|code| code.text).collect()
    }

    /// Nothing when `text` was seen within the window (its last sighting moves on); else its
    /// verdict or why it is not a pass.
    fn recent_or_verified(
        &mut self,
        text: String,
        captured_at_ms: u64,
        now: UnixTime,
        verifier: Option<&Verifier>,
    ) -> Option<CheckpointEvent> {
        if let Some(entry) = self.recent.iter_mut().find(|(seen, _)| *seen == text) {
            entry.1 = captured_at_ms;
            self.stats.repeats_ignored += 1;
            return None;
        }
        self.recent.push((text.clone(), captured_at_ms));
        match verifier.unwrap_or(&self.verifier).verify_text(&text, now) {
            Ok(verdict) => {
                self.stats.verified += 1;
                Some(CheckpointEvent::Verified { text, verdict: Box::new(verdict), captured_at_ms })
            }
            Err(error) => {
                self.stats.not_a_pass += 1;
                Some(CheckpointEvent::NotAPass { reason: error.to_string(), captured_at_ms })
            }
        }
    }

    /// Runs until the source ends, handing each event to `on_event`; `clock` gives the
    /// wall-clock time for each frame's verdicts.
    pub fn run(
        &mut self,
        source: &mut dyn FrameSource,
        clock: &mut dyn FnMut() -> UnixTime,
        on_event: &mut dyn FnMut(&CheckpointEvent),
    ) -> Result<CheckpointStats, FrameSourceError> {
        while let Some(captured) = source.next_frame()? {
            let now = clock();
            for event in self.observe(&captured.frame.view(), captured.captured_at_ms, now) {
                on_event(&event);
            }
        }
        Ok(self.stats)
    }
}
