//! `rxing` (the pure-Rust port of ZXing) under a work budget: QR codes through a bounded
//! finder search built from rxing's public detector parts, and Aztec (some early passes were
//! Aztec) through rxing's reader.
//!
//! Why not rxing's own readers: on a frame tiled with QR finder patterns its zxing-cpp port
//! finds ~1,600 finder patterns, forms ~60,000 triples and samples each one (~65 µs), which
//! froze a checkpoint for 4–25 s at 1280x720; its Java port's triple search took 1.6 s on
//! tiled Aztec bull's-eyes. Camera-like frames never need that: over the scan benchmark's 400
//! generated frames the most finder patterns seen in one frame was 16 and the triple that
//! decoded was always among the 5 most plausible. So the search here stops at a budget
//! ([`ScanBudget`]) far above those figures and gives up on the frame beyond it.

use std::collections::HashSet;

use rxing::common::cpp_essentials::{ConcentricPattern, LocateConcentricPattern};
use rxing::common::{BitMatrix, DetectorRXingResult, HybridBinarizer};
use rxing::qrcode::cpp_port::decoder::Decode;
use rxing::qrcode::cpp_port::detector::{GenerateFinderPatternSets, SampleQR};
use rxing::{BarcodeFormat, BinaryBitmap, DecodeHints, Luma8Source, Point, Reader};

use super::budget::ScanBudget;
use super::decoder::{CodeDecoder, FoundCode, Symbology, contain_panics};
use super::frame::LumaFrame;

/// The QR finder pattern, in modules across its centre: dark 1, light 1, dark 3, light 1, dark 1.
const FINDER_PATTERN: [u16; 5] = [1, 1, 3, 1, 1];
/// Codes returned from one frame at most (a pass is one code; a second is a curiosity).
const MAX_CODES_PER_FRAME: usize = 4;

/// Above this many dark-light transitions per pixel (along every fourth row of the binarized
/// frame) the DataMatrix tracer is not run. Its cost grows with the edges it meets and cannot be
/// interrupted: a 1 px checkerboard took 150 ms, alignment tiles 40–50 ms, where the QR path
/// gives up within 17 ms. The camera-like DataMatrix frames of the scan benchmark that read had
/// at most 0.17 (mild and moderate tiers, 40 each; a page of text and sensor noise add edges);
/// a 1 px checkerboard has 1.0, 1–2 px alignment and L tiles 0.24–0.56.
pub const MAX_DATA_MATRIX_TRANSITION_DENSITY: f64 = 0.2;

/// The rxing decoder (QR, Aztec and DataMatrix), within the frame's work budget.
#[derive(Debug, Clone, Copy)]
pub struct RxingDecoder {
    /// Search every third row for finder patterns (ZXing's TRY_HARDER), and trace DataMatrix
    /// borders from lines across the whole frame; otherwise QR rows are spaced by the smallest
    /// finder a version-20 code filling the frame height would have, and DataMatrix borders are
    /// traced from the frame's centre lines only.
    pub try_harder: bool,
    /// Look for DataMatrix codes (French 2D-DOC) when no QR or Aztec code is found.
    pub data_matrix: bool,
}

impl Default for RxingDecoder {
    fn default() -> Self {
        Self { try_harder: true, data_matrix: true }
    }
}

impl CodeDecoder for RxingDecoder {
    fn name(&self) -> &'static str {
        if self.try_harder { "rxing" } else { "rxing-fast" }
    }

    fn decode(&self, frame: &LumaFrame<'_>, budget: &mut ScanBudget) -> Vec<FoundCode> {
        let pixels = frame.packed_pixels();
        let (width, height) = (frame.width(), frame.height());
        contain_panics(|| {
            let Ok(source) = Luma8Source::new_with_slice(&pixels, width, height) else { return Vec::new() };
            let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source));
            let codes = decode_qr(bitmap.get_black_matrix(), self.try_harder, budget);
            if !codes.is_empty() || budget.is_exhausted() {
                return codes;
            }
            let codes = decode_aztec(&mut bitmap);
            if !codes.is_empty() {
                return codes;
            }
            let matrix = bitmap.get_black_matrix();
            if !self.data_matrix || transition_density(matrix) > MAX_DATA_MATRIX_TRANSITION_DENSITY {
                return Vec::new();
            }
            decode_data_matrix(matrix, self.try_harder)
        })
    }
}

fn decode_qr(matrix: &BitMatrix, try_harder: bool, budget: &mut ScanBudget) -> Vec<FoundCode> {
    let Some(mut patterns) = find_finder_patterns(matrix, row_step(matrix.height(), try_harder), budget) else {
        return Vec::new();
    };
    let mut used: Vec<ConcentricPattern> = Vec::new();
    let mut codes: Vec<FoundCode> = Vec::new();
    for set in GenerateFinderPatternSets(&mut patterns) {
        if used.contains(&set.bl) || used.contains(&set.tl) || used.contains(&set.tr) {
            continue;
        }
        if !budget.take_sample() {
            break;
        }
        let Ok(detected) = SampleQR(matrix, &set) else { continue };
        let Ok(decoded) = Decode(detected.getBits()) else { continue };
        if !decoded.isValid() {
            continue;
        }
        used.extend([set.bl, set.tl, set.tr]);
        let corners = detected.getPoints().iter().map(|point| (point.x, point.y)).collect();
        codes.push(FoundCode { text: decoded.text(), symbology: Symbology::Qr, corners });
        if codes.len() == MAX_CODES_PER_FRAME {
            break;
        }
    }
    codes
}

/// Rows between finder searches: 3 when trying hard (a finder's 3-module core is then crossed
/// by at least one row down to 1 px modules), else as ZXing spaces them.
fn row_step(height: u32, try_harder: bool) -> u32 {
    const MODULES_OF_LARGEST_FAST_VERSION: u32 = 20 * 4 + 17;
    if try_harder { 3 } else { ((3 * height) / (4 * MODULES_OF_LARGEST_FAST_VERSION)).max(3) }
}

/// Finder patterns located along rows `row_step` apart, or `None` when the budget ran out
/// (the frame is hostile or hopeless: thousands of finder-like shapes).
fn find_finder_patterns(matrix: &BitMatrix, row_step: u32, budget: &mut ScanBudget) -> Option<Vec<ConcentricPattern>> {
    let (width, height) = (matrix.width(), matrix.height());
    let mut found: Vec<ConcentricPattern> = Vec::new();
    let mut runs: Vec<u32> = Vec::with_capacity(256);
    let mut y = row_step.saturating_sub(1);
    while y < height {
        row_runs(matrix, y, width, &mut runs);
        // runs[0] is light (possibly empty); dark runs sit at odd indices.
        let mut in_front = runs.first().copied().unwrap_or(0);
        let mut index = 1;
        while let Some(window @ &[outer_left, space_left, core, _, _]) = runs.get(index..index + 5) {
            if looks_like_finder(window) {
                let center =
                    Point { x: (in_front + outer_left + space_left) as f32 + core as f32 / 2.0, y: y as f32 + 0.5 };
                // A row through a pattern already located adds nothing.
                if !found.iter().any(|old| Point::distance(center, old.p) < old.size as f32 / 2.0) {
                    if !budget.take_finder_check() {
                        return None;
                    }
                    let range = (window.iter().sum::<u32>() * 3) as i32;
                    if let Some(pattern) = LocateConcentricPattern::<true, 5, 7>(matrix, &FINDER_PATTERN, center, range)
                    {
                        found.push(pattern);
                        if found.len() > budget.pattern_limit() {
                            budget.exhaust();
                            return None;
                        }
                    }
                }
            }
            in_front += outer_left + space_left;
            index += 2;
        }
        y += row_step;
    }
    Some(found)
}

/// Run lengths of row `y`, starting with a light run (empty when the row starts dark).
fn row_runs(matrix: &BitMatrix, y: u32, width: u32, runs: &mut Vec<u32>) {
    runs.clear();
    let mut dark = false;
    let mut length = 0u32;
    for x in 0..width {
        if matrix.get(x, y) == dark {
            length += 1;
        } else {
            runs.push(length);
            dark = !dark;
            length = 1;
        }
    }
    runs.push(length);
}

/// Dark-light-dark-light-dark widths close to 1:1:3:1:1, by the test ZXing-cpp applies to a
/// row before it locates a finder (`FindFinderPatterns` / edge-to-edge `IsPattern`): a core of
/// at least 3 px, twice the outer bars and as wide as the spaces; bar and space modules within
/// a factor 4 of each other; each bar within 0.75 module + 0.5 px of its width, each space
/// within a third of a module + 0.5 px. The same rows rxing would try, no more.
fn looks_like_finder(window: &[u32]) -> bool {
    let &[outer_left, space_left, core, space_right, outer_right] = window else { return false };
    if core < 3 || core < 2 * outer_left.max(outer_right) || core < space_left.max(space_right) {
        return false;
    }
    let bar_module = f64::from(outer_left + core + outer_right) / 5.0;
    let space_module = f64::from(space_left + space_right) / 2.0;
    if bar_module.max(space_module) > 4.0 * bar_module.min(space_module) {
        return false;
    }
    let bar_tolerance = 0.75 * bar_module + 0.5;
    let space_tolerance = space_module / 3.0 + 0.5;
    [(outer_left, 1.0), (core, 3.0), (outer_right, 1.0)]
        .iter()
        .all(|&(width, modules)| (f64::from(width) - modules * bar_module).abs() <= bar_tolerance)
        && [space_left, space_right].iter().all(|&width| (f64::from(width) - space_module).abs() <= space_tolerance)
}

fn decode_aztec(bitmap: &mut BinaryBitmap<HybridBinarizer<Luma8Source<'_>>>) -> Vec<FoundCode> {
    let hints = DecodeHints { PossibleFormats: Some(HashSet::from([BarcodeFormat::AZTEC])), ..DecodeHints::default() };
    match rxing::aztec::AztecReader.decode_with_hints(bitmap, &hints) {
        Ok(result) => {
            let corners = result.getPoints().iter().map(|point| (point.x, point.y)).collect();
            vec![FoundCode { text: result.getText().to_owned(), symbology: Symbology::Aztec, corners }]
        }
        Err(_) => Vec::new(),
    }
}

/// DataMatrix (French 2D-DOC) through rxing's port of zxing-cpp's detector, which traces the
/// symbol's L-shaped border from lines through the frame: with `try_harder`, lines 16 px apart
/// across the whole frame in four directions, remembering where it traced so no edge is
/// traced twice. rxing's reader would go on to the older ZXing detector and a pure-barcode
/// reading when that fails; those are left out (they cost the most on hostile frames and
/// read nothing the tracer misses in the scan tests).
fn decode_data_matrix(matrix: &BitMatrix, try_harder: bool) -> Vec<FoundCode> {
    let Ok(candidates) = rxing::datamatrix::detector::zxing_cpp_detector::detect(matrix, try_harder, true) else {
        return Vec::new();
    };
    let decoder = rxing::datamatrix::decoder::Decoder::new();
    for candidate in candidates {
        if let Ok(decoded) = decoder.decode(candidate.getBits()) {
            let corners = candidate.getPoints().iter().map(|point| (point.x, point.y)).collect();
            return vec![FoundCode { text: decoded.getText().to_owned(), symbology: Symbology::DataMatrix, corners }];
        }
    }
    Vec::new()
}

/// Dark-light transitions per pixel along every fourth row of the binarized frame.
fn transition_density(matrix: &BitMatrix) -> f64 {
    let (width, height) = (matrix.width(), matrix.height());
    let mut transitions = 0u64;
    let mut pixels = 0u64;
    let mut y = 0;
    while y < height {
        let mut previous = matrix.get(0, y);
        for x in 1..width {
            let current = matrix.get(x, y);
            transitions += u64::from(current != previous);
            previous = current;
        }
        pixels += u64::from(width);
        y += 4;
    }
    transitions as f64 / pixels.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finder_windows_near_one_one_three_one_one_pass_and_others_do_not() {
        assert!(looks_like_finder(&[3, 3, 9, 3, 3]));
        assert!(looks_like_finder(&[2, 4, 8, 3, 3]), "blur widens and narrows runs");
        assert!(looks_like_finder(&[4, 3, 10, 3, 4]));
        assert!(looks_like_finder(&[1, 1, 3, 1, 1]));
        assert!(!looks_like_finder(&[3, 3, 3, 3, 3]), "equal runs are a stripe, not a finder");
        assert!(!looks_like_finder(&[9, 3, 9, 3, 9]));
        assert!(!looks_like_finder(&[1, 1, 2, 1, 1]), "a core under 3 px cannot be told apart");
        assert!(!looks_like_finder(&[3, 30, 9, 3, 3]));
    }
}
