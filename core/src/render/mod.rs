//! Output for people: the pass's QR code (PNG, SVG) and the printable attestation page.

pub mod attestation;
#[cfg(feature = "data-matrix")]
pub mod data_matrix;
pub mod png;
pub mod qr;

pub use attestation::{attestation_svg, provisional_attestation_svg};
pub use qr::{QrMatrix, RenderError};
