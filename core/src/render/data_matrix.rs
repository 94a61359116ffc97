//! A French 2D-DOC's DataMatrix (feature `data-matrix`): square, C40 as the ANTS specification
//! encodes 2D-DOCs. The demo prints these, and the tests scan them back; apps never draw one.

use rxing::datamatrix::DataMatrixWriter;
use rxing::datamatrix::encoder::SymbolShapeHint;
use rxing::{BarcodeFormat, EncodeHints, Writer};

/// A DataMatrix's module matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataMatrix {
    dark: Vec<bool>,
    side: usize,
}

/// Why a text has no DataMatrix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no DataMatrix for this text: {detail}")]
pub struct DataMatrixError {
    /// The encoder's reason.
    pub detail: String,
}

impl DataMatrix {
    /// Encodes `text` (empty, or longer than the largest symbol, is an error). rxing's encoder
    /// panics on a text beyond the largest symbol instead of returning an error: such texts are
    /// refused before it runs, and any other panic inside it becomes an error too.
    pub fn for_text(text: &str) -> Result<Self, DataMatrixError> {
        if text.len() > crate::twoddoc::MAX_TEXT_CHARS {
            return Err(DataMatrixError {
                detail: format!(
                    "{} characters; a DataMatrix holds at most {}",
                    text.len(),
                    crate::twoddoc::MAX_TEXT_CHARS
                ),
            });
        }
        std::panic::catch_unwind(|| Self::encode(text))
            .unwrap_or_else(|_| Err(DataMatrixError { detail: "the encoder found no symbol for this text".into() }))
    }

    fn encode(text: &str) -> Result<Self, DataMatrixError> {
        let hints = EncodeHints {
            DataMatrixShape: Some(SymbolShapeHint::FORCE_SQUARE),
            ForceC40: Some(true),
            Margin: Some("0".into()),
            ..EncodeHints::default()
        };
        let matrix = DataMatrixWriter
            .encode_with_hints(text, &BarcodeFormat::DATA_MATRIX, 0, 0, &hints)
            .map_err(|error| DataMatrixError { detail: error.to_string() })?;
        let side = matrix.width() as usize;
        let dark = (0..matrix.height())
            .flat_map(|y| (0..matrix.width()).map(move |x| (x, y)))
            .map(|(x, y)| matrix.get(x, y))
            .collect();
        Ok(Self { dark, side })
    }

    /// Modules per side.
    pub fn side(&self) -> usize {
        self.side
    }

    /// The modules row by row, `true` for dark.
    pub fn modules(&self) -> &[bool] {
        &self.dark
    }

    /// A luma picture: `module_pixels` per module inside a `quiet_modules` white border.
    pub fn to_luma(&self, module_pixels: usize, quiet_modules: usize) -> (Vec<u8>, usize) {
        let size = (self.side + 2 * quiet_modules) * module_pixels;
        let mut pixels = vec![255u8; size * size];
        for (index, _) in self.dark.iter().enumerate().filter(|(_, dark)| **dark) {
            let (mx, my) = (index % self.side + quiet_modules, index / self.side + quiet_modules);
            for y in my * module_pixels..(my + 1) * module_pixels {
                if let Some(row) = pixels.get_mut(y * size + mx * module_pixels..y * size + (mx + 1) * module_pixels) {
                    row.fill(0);
                }
            }
        }
        (pixels, size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_encodes_into_a_square_symbol_and_nothing_else_does() {
        let symbol = DataMatrix::for_text("DC04FR03AHP1").unwrap();
        assert_eq!(symbol.modules().len(), symbol.side() * symbol.side());
        let (pixels, size) = symbol.to_luma(2, 1);
        assert_eq!(pixels.len(), size * size);
        assert!(DataMatrix::for_text("").is_err());
        assert!(DataMatrix::for_text(&"A".repeat(5_000)).is_err());
        // Within the character limit but beyond the largest symbol (shifted characters take
        // more room): an error, not rxing's panic.
        assert!(DataMatrix::for_text(&"\u{1d}".repeat(2_300)).is_err());
    }
}
