//! One interface for every 2D-code decoder, so they can be measured on the same frames and
//! chained.

use super::budget::ScanBudget;
use super::frame::LumaFrame;

/// The kind of symbol a code was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Symbology {
    /// A QR code.
    Qr,
    /// An Aztec code.
    Aztec,
    /// A DataMatrix (French 2D-DOC).
    DataMatrix,
}

impl Symbology {
    /// `QR` or `Aztec`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Qr => "QR",
            Self::Aztec => "Aztec",
            Self::DataMatrix => "DataMatrix",
        }
    }
}

/// A code found in a frame: its text and where it was (corner points in frame pixels).
#[derive(Debug, Clone, PartialEq)]
pub struct FoundCode {
    /// The text the code holds.
    pub text: String,
    /// QR, Aztec or DataMatrix.
    pub symbology: Symbology,
    /// Corner points, in frame pixels.
    pub corners: Vec<(f32, f32)>,
}

/// The code to verify among those found in one picture: the first that carries a pass prefix
/// or is a 2D-DOC, else the first code (whose "not a pass" error then names what it is).
pub fn choose_pass_code(codes: &[FoundCode]) -> Option<&FoundCode> {
    codes
        .iter()
        .find(|code| {
            code.text.starts_with(crate::codec::HC1_PREFIX) || crate::twoddoc::looks_like_two_d_doc(&code.text)
        })
        .or(codes.first())
}

/// A 2D-code decoder.
pub trait CodeDecoder: Send + Sync {
    /// A short name for reports (`rxing`, `rqrr`).
    fn name(&self) -> &'static str;
    /// Every code the decoder reads in `frame`, spending at most `budget`; empty when it finds
    /// none or the budget runs out.
    fn decode(&self, frame: &LumaFrame<'_>, budget: &mut ScanBudget) -> Vec<FoundCode>;
}

/// Runs third-party decoding code so that a panic inside it becomes "nothing found" instead
/// of tearing down the app (panics must never cross the FFI).
pub(crate) fn contain_panics(decode: impl FnOnce() -> Vec<FoundCode>) -> Vec<FoundCode> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode)).unwrap_or_default()
}
