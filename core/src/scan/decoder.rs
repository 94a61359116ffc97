//! One interface for every 2D-code decoder, so they can be measured on the same frames and
//! chained.

use super::frame::LumaFrame;

/// The kind of symbol a code was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Symbology {
    Qr,
    Aztec,
}

impl Symbology {
    pub fn name(self) -> &'static str {
        match self {
            Self::Qr => "QR",
            Self::Aztec => "Aztec",
        }
    }
}

/// A code found in a frame: its text and where it was (corner points in frame pixels).
#[derive(Debug, Clone, PartialEq)]
pub struct FoundCode {
    pub text: String,
    pub symbology: Symbology,
    pub corners: Vec<(f32, f32)>,
}

/// A 2D-code decoder.
pub trait CodeDecoder: Send + Sync {
    fn name(&self) -> &'static str;
    /// Every code the decoder reads in `frame`; empty when it finds none.
    fn decode(&self, frame: &LumaFrame<'_>) -> Vec<FoundCode>;
}

/// Runs third-party decoding code so that a panic inside it becomes "nothing found" instead
/// of tearing down the app (panics must never cross the FFI).
pub(crate) fn contain_panics(decode: impl FnOnce() -> Vec<FoundCode>) -> Vec<FoundCode> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode)).unwrap_or_default()
}
