//! `rxing`: the pure-Rust port of ZXing, reading QR and Aztec (some early passes were Aztec).

use std::collections::HashSet;

use rxing::{BarcodeFormat, DecodeHints};

use super::decoder::{CodeDecoder, FoundCode, Symbology, contain_panics};
use super::frame::LumaFrame;

#[derive(Debug, Clone, Copy)]
pub struct RxingDecoder {
    /// ZXing's TRY_HARDER: more rows sampled, rotations tried; slower on frames with no code.
    pub try_harder: bool,
}

impl Default for RxingDecoder {
    fn default() -> Self {
        Self { try_harder: true }
    }
}

impl CodeDecoder for RxingDecoder {
    fn name(&self) -> &'static str {
        if self.try_harder { "rxing" } else { "rxing-fast" }
    }

    fn decode(&self, frame: &LumaFrame<'_>) -> Vec<FoundCode> {
        let pixels = frame.packed_pixels();
        let (width, height) = (frame.width(), frame.height());
        contain_panics(|| {
            let mut hints = DecodeHints {
                PossibleFormats: Some(HashSet::from([BarcodeFormat::QR_CODE, BarcodeFormat::AZTEC])),
                TryHarder: Some(self.try_harder),
                ..DecodeHints::default()
            };
            let Ok(result) = rxing::helpers::detect_in_luma_slice_with_hints(&pixels, width, height, None, &mut hints)
            else {
                return Vec::new();
            };
            let symbology = match result.getBarcodeFormat() {
                BarcodeFormat::AZTEC => Symbology::Aztec,
                _ => Symbology::Qr,
            };
            let corners = result.getPoints().iter().map(|point| (point.x, point.y)).collect();
            vec![FoundCode { text: result.getText().to_owned(), symbology, corners }]
        })
    }
}
