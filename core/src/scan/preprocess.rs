//! Cheap image transforms that rescue codes a decoder misses on the raw frame.

use super::frame::{LumaFrame, OwnedLumaFrame};

/// Halves both sides with a 2x2 box filter: averages away sensor noise and JPEG blocking
/// and quarters the work, at the cost of very small modules.
pub fn downscale_half(frame: &LumaFrame<'_>) -> Option<OwnedLumaFrame> {
    let (width, height) = (frame.width() / 2, frame.height() / 2);
    if width < 21 || height < 21 {
        return None;
    }
    let mut pixels = Vec::with_capacity(width as usize * height as usize);
    for y in 0..height {
        let (upper, lower) = (frame.row(2 * y), frame.row(2 * y + 1));
        for x in 0..width as usize {
            let sum: u32 = [upper.get(2 * x), upper.get(2 * x + 1), lower.get(2 * x), lower.get(2 * x + 1)]
                .into_iter()
                .map(|pixel| u32::from(pixel.copied().unwrap_or(255)))
                .sum();
            pixels.push(((sum + 2) / 4) as u8);
        }
    }
    Some(OwnedLumaFrame::derived(pixels, width, height))
}

/// Images up to this side are small enough to upscale: stills (PNG files, crops), never a
/// full camera frame, whose no-code case must stay fast.
pub const UPSCALE_MAX_SIDE: u32 = 1024;

/// Doubles both sides by pixel replication. Codes rendered at 2 px per module (dgc-testdata
/// ES/501–503: version 20 in a 300 px PNG) are below what finder-pattern detectors resolve.
pub fn upscale_double(frame: &LumaFrame<'_>) -> Option<OwnedLumaFrame> {
    if frame.width().max(frame.height()) > UPSCALE_MAX_SIDE {
        return None;
    }
    let (width, height) = (frame.width() * 2, frame.height() * 2);
    let mut pixels = Vec::with_capacity(width as usize * height as usize);
    for y in 0..frame.height() {
        let start = pixels.len();
        for &pixel in frame.row(y) {
            pixels.extend([pixel, pixel]);
        }
        pixels.extend_from_within(start..);
    }
    Some(OwnedLumaFrame::derived(pixels, width, height))
}

/// Otsu's threshold: the grey level that best separates the histogram into two classes.
pub fn otsu_threshold(frame: &LumaFrame<'_>) -> u8 {
    let mut histogram = [0u64; 256];
    for y in 0..frame.height() {
        for &pixel in frame.row(y) {
            if let Some(count) = histogram.get_mut(usize::from(pixel)) {
                *count += 1;
            }
        }
    }
    let total: u64 = histogram.iter().sum();
    let weighted_total: f64 = histogram.iter().enumerate().map(|(level, &count)| level as f64 * count as f64).sum();
    let (mut background_count, mut background_sum) = (0u64, 0f64);
    let (mut best_threshold, mut best_variance) = (128u8, -1f64);
    for (level, &count) in histogram.iter().enumerate() {
        background_count += count;
        if background_count == 0 {
            continue;
        }
        let foreground_count = total - background_count;
        if foreground_count == 0 {
            break;
        }
        background_sum += level as f64 * count as f64;
        let background_mean = background_sum / background_count as f64;
        let foreground_mean = (weighted_total - background_sum) / foreground_count as f64;
        let variance = background_count as f64 * foreground_count as f64 * (background_mean - foreground_mean).powi(2);
        if variance > best_variance {
            best_variance = variance;
            best_threshold = level as u8;
        }
    }
    best_threshold
}

/// A black-and-white copy at Otsu's threshold: rescues low-contrast and washed-out frames
/// that defeat local (hybrid) binarisation.
pub fn binarize_otsu(frame: &LumaFrame<'_>) -> OwnedLumaFrame {
    let threshold = otsu_threshold(frame);
    let mut pixels = Vec::with_capacity(frame.width() as usize * frame.height() as usize);
    for y in 0..frame.height() {
        pixels.extend(frame.row(y).iter().map(|&pixel| if pixel > threshold { 255 } else { 0 }));
    }
    OwnedLumaFrame::derived(pixels, frame.width(), frame.height())
}

/// A copy with a white border of `margin` pixels: codes cropped to their edge (no quiet zone)
/// are otherwise invisible to finder-pattern detectors.
pub fn pad_quiet_zone(frame: &LumaFrame<'_>, margin: u32) -> Option<OwnedLumaFrame> {
    let width = frame.width().checked_add(margin.checked_mul(2)?)?;
    let height = frame.height().checked_add(margin.checked_mul(2)?)?;
    let mut pixels = vec![255u8; width as usize * height as usize];
    for y in 0..frame.height() {
        let start = ((y + margin) * width + margin) as usize;
        if let Some(target) = pixels.get_mut(start..start + frame.width() as usize) {
            target.copy_from_slice(frame.row(y));
        }
    }
    OwnedLumaFrame::new(pixels, width, height).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otsu_splits_two_levels_and_binarizes() {
        let mut pixels = vec![40u8; 50];
        pixels.extend(vec![200u8; 50]);
        let frame = LumaFrame::packed(&pixels, 10, 10).unwrap();
        let threshold = otsu_threshold(&frame);
        assert!((40..200).contains(&threshold));
        let binary = binarize_otsu(&frame);
        assert_eq!(binary.pixels()[0], 0);
        assert_eq!(binary.pixels()[99], 255);
    }

    #[test]
    fn padding_and_downscaling_keep_content_where_expected() {
        let pixels: Vec<u8> = (0..100).map(|i| i as u8).collect();
        let frame = LumaFrame::packed(&pixels, 10, 10).unwrap();
        let padded = pad_quiet_zone(&frame, 2).unwrap();
        assert_eq!((padded.width(), padded.height()), (14, 14));
        assert_eq!(padded.pixels()[2 * 14 + 2], 0);
        assert_eq!(padded.pixels()[0], 255);
        let big: Vec<u8> = vec![100; 64 * 64];
        let half = downscale_half(&LumaFrame::packed(&big, 64, 64).unwrap()).unwrap();
        assert_eq!((half.width(), half.height()), (32, 32));
        assert!(half.pixels().iter().all(|&p| p == 100));
        assert!(downscale_half(&frame).is_none());
        let doubled = upscale_double(&frame).unwrap();
        assert_eq!((doubled.width(), doubled.height()), (20, 20));
        assert_eq!(&doubled.pixels()[..4], &[0, 0, 1, 1]);
        assert_eq!(&doubled.pixels()[20..24], &[0, 0, 1, 1]);
        assert!(upscale_double(&LumaFrame::packed(&vec![0; 1100], 1100, 1).unwrap()).is_none());
    }
}
