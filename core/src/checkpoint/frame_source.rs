//! Where frames come from: a camera on a gate or phone, or frames replayed from files or
//! generated, which is how the loop is tested on machines without a camera.

use std::collections::VecDeque;

use crate::scan::OwnedLumaFrame;

/// A frame and when it was captured, in milliseconds on the source's monotonic clock.
#[derive(Debug, Clone)]
pub struct CapturedFrame {
    /// The frame's luma plane.
    pub frame: OwnedLumaFrame,
    /// When the frame was captured, on the source's monotonic clock.
    pub captured_at_ms: u64,
}

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameSourceError {
    #[error("no camera: {detail}")]
    NoCamera { detail: String },
    #[error("the camera failed: {detail}")]
    Device { detail: String },
    #[error("the camera delivered a frame format this program cannot read: {format}")]
    UnsupportedFormat { format: String },
}

/// A stream of frames; `Ok(None)` when it has ended.
pub trait FrameSource {
    /// The next frame, or `None` when the source has ended.
    fn next_frame(&mut self) -> Result<Option<CapturedFrame>, FrameSourceError>;
}

/// Replays a fixed sequence of frames.
#[derive(Debug, Clone, Default)]
pub struct ReplaySource {
    frames: VecDeque<CapturedFrame>,
}

impl ReplaySource {
    /// Replays `frames` in order.
    pub fn new(frames: impl IntoIterator<Item = CapturedFrame>) -> Self {
        Self { frames: frames.into_iter().collect() }
    }

    /// Frames spaced `interval_ms` apart, starting at 0.
    pub fn at_interval(frames: impl IntoIterator<Item = OwnedLumaFrame>, interval_ms: u64) -> Self {
        Self::new(
            frames
                .into_iter()
                .enumerate()
                .map(|(index, frame)| CapturedFrame { frame, captured_at_ms: index as u64 * interval_ms }),
        )
    }
}

impl FrameSource for ReplaySource {
    fn next_frame(&mut self) -> Result<Option<CapturedFrame>, FrameSourceError> {
        Ok(self.frames.pop_front())
    }
}
