//! A controller's checkpoint (railway staff, venue, a gate with a USB camera): frames in,
//! one verdict per pass shown.

pub mod frame_source;
pub mod session;

pub use frame_source::{CapturedFrame, FrameSource, FrameSourceError, ReplaySource};
pub use session::{CheckpointEvent, CheckpointSession, CheckpointStats, DEFAULT_REPEAT_WINDOW_MS};
