//! Scanning: finding and reading QR and Aztec codes in camera frames and images.
//!
//! Frames arrive as luma planes with a row stride ([`LumaFrame`]). Decoders sit behind one
//! interface ([`CodeDecoder`]) and are chained with cheap fallbacks by a [`Scanner`]; the
//! default chain is the one the scan benchmark measured best.

pub mod budget;
pub mod decoder;
pub mod frame;
#[cfg(feature = "images")]
pub mod image_input;
pub mod pipeline;
pub mod preprocess;
pub mod rqrr_decoder;
pub mod rxing_decoder;

pub use budget::ScanBudget;
pub use decoder::{CodeDecoder, FoundCode, Symbology, choose_pass_code};
pub use frame::{FrameError, LumaFrame, OwnedLumaFrame, luma_from_yuyv};
pub use pipeline::{Attempt, Preprocess, Scanner};
pub use rqrr_decoder::RqrrDecoder;
pub use rxing_decoder::RxingDecoder;
