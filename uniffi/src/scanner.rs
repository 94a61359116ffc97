//! `PassScanner`: codes from camera frames.

use healthpass_core::scan::{LumaFrame, Scanner};

use crate::error::{HealthpassError, guard};
use crate::types::ScannedCode;

/// Reads codes from camera frames (QR and Aztec), within each frame's work budget.
#[derive(uniffi::Object)]
pub struct PassScanner {
    scanner: Scanner,
}

#[uniffi::export]
impl PassScanner {
    /// A scanner with the default pipeline.
    #[uniffi::constructor]
    pub fn new() -> Result<Self, HealthpassError> {
        guard(|| Ok(Self { scanner: Scanner::default() }))
    }

    /// Every code in a luma frame. `data` may be as short as Android guarantees:
    /// `row_stride * (height - 1) + width` bytes.
    pub fn scan(
        &self,
        data: Vec<u8>,
        width: u32,
        height: u32,
        row_stride: u32,
    ) -> Result<Vec<ScannedCode>, HealthpassError> {
        guard(|| {
            let frame = LumaFrame::new(&data, width, height, row_stride)?;
            Ok(self.scanner.scan(&frame).into_iter().map(Into::into).collect())
        })
    }
}
