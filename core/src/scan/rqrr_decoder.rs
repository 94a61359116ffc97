//! `rqrr`: a small pure-Rust QR decoder (quirc port), named by the product design. Measured
//! beside rxing in the scan benchmark; not in the default pipeline, and it does not take part
//! in the work budget (its grid search has no bound a caller can set).

use super::budget::ScanBudget;
use super::decoder::{CodeDecoder, FoundCode, Symbology, contain_panics};
use super::frame::LumaFrame;

/// The rqrr decoder (QR only).
#[derive(Debug, Default, Clone, Copy)]
pub struct RqrrDecoder;

impl CodeDecoder for RqrrDecoder {
    fn name(&self) -> &'static str {
        "rqrr"
    }

    fn decode(&self, frame: &LumaFrame<'_>, _budget: &mut ScanBudget) -> Vec<FoundCode> {
        contain_panics(|| {
            let mut prepared =
                rqrr::PreparedImage::prepare_from_greyscale(frame.width() as usize, frame.height() as usize, |x, y| {
                    frame.row(y as u32).get(x).copied().unwrap_or(255)
                });
            prepared
                .detect_grids()
                .into_iter()
                .filter_map(|grid| {
                    let (_, text) = grid.decode().ok()?;
                    let corners = grid.bounds.iter().map(|point| (point.x as f32, point.y as f32)).collect();
                    Some(FoundCode { text, symbology: Symbology::Qr, corners })
                })
                .collect()
        })
    }
}
