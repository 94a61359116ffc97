//! The QR code of a pass: error-correction level Q (recovers about 25% damage: creased paper,
//! a scratched screen), alphanumeric mode (all of `HC1:` + base45 is in that set), and a
//! 4-module quiet zone as ISO/IEC 18004 requires.

use qrcode::{EcLevel, QrCode, Version};

use super::png;

/// Modules of white margin around the code.
pub const QUIET_ZONE_MODULES: u32 = 4;

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("the text ({length} characters) does not fit a QR code at error-correction level Q")]
    TooLong { length: usize },
}

/// A QR code's module matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    dark: Vec<bool>,
    width: usize,
    version: u8,
}

impl QrMatrix {
    /// Encodes a pass text at error-correction level Q.
    pub fn for_text(text: &str) -> Result<Self, RenderError> {
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::Q)
            .map_err(|_| RenderError::TooLong { length: text.len() })?;
        let version = match code.version() {
            Version::Normal(version) | Version::Micro(version) => version as u8,
        };
        let dark = code.to_colors().into_iter().map(|color| color == qrcode::Color::Dark).collect();
        Ok(Self { dark, width: code.width(), version })
    }

    /// QR version (1–40): the printed size grows with it; passes stay at or below 24 at Q.
    pub fn version(&self) -> u8 {
        self.version
    }

    /// Modules per side, without the quiet zone.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Whether the module at column `x`, row `y` (quiet zone included) is dark.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.dark.get(y * self.width + x).copied().unwrap_or(false)
    }

    /// A 1-bit PNG, `module_pixels` per module, with the quiet zone.
    pub fn to_png(&self, module_pixels: u32) -> Vec<u8> {
        let module_pixels = module_pixels.max(1) as usize;
        let quiet = QUIET_ZONE_MODULES as usize;
        let side = (self.width + 2 * quiet) * module_pixels;
        let mut black = Vec::with_capacity(side * side);
        for module_y in 0..self.width + 2 * quiet {
            // One pixel row per module row, repeated: identical rows cost nothing after the
            // PNG "Up" filter.
            let start = black.len();
            for module_x in 0..self.width + 2 * quiet {
                let dark = self.is_dark(module_x.wrapping_sub(quiet), module_y.wrapping_sub(quiet));
                black.extend(std::iter::repeat_n(dark, module_pixels));
            }
            for _ in 1..module_pixels {
                black.extend_from_within(start..start + side);
            }
        }
        png::encode_bilevel(&black, side as u32, side as u32)
    }

    /// An SVG path of the dark modules, in module units offset by the quiet zone: one run of
    /// dark modules per `h` segment keeps the file small.
    pub fn svg_path(&self) -> String {
        let mut path = String::new();
        let offset = QUIET_ZONE_MODULES as usize;
        for y in 0..self.width {
            let mut x = 0;
            while x < self.width {
                if self.is_dark(x, y) {
                    let start = x;
                    while x < self.width && self.is_dark(x, y) {
                        x += 1;
                    }
                    path.push_str(&format!("M{} {}h{}v1h-{}z", start + offset, y + offset, x - start, x - start));
                } else {
                    x += 1;
                }
            }
        }
        path
    }

    /// A standalone SVG, `size_mm` millimetres wide (quiet zone included).
    pub fn to_svg(&self, size_mm: f64) -> String {
        let side = self.width + 2 * QUIET_ZONE_MODULES as usize;
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{size_mm}mm\" height=\"{size_mm}mm\" viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\"><rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{}\"/></svg>\n",
            self.svg_path()
        )
    }
}
