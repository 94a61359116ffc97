//! Frames built to make a code scanner work as hard as possible: the classes an outside review
//! used to freeze a checkpoint (tiled QR finder patterns, which make finder searches and
//! finder-triple combinations explode), and their relatives (alignment-pattern tiles, Aztec
//! bull's-eyes, DataMatrix-like L borders, dense noise, fine checkerboards, huge images).
//!
//! Generated with fixed seeds where randomness is involved; nothing is written to disk.

use healthpass_core::scan::OwnedLumaFrame;

use crate::frames::Rng;

/// A hostile frame and what it is.
pub struct HostileFrame {
    pub name: String,
    pub frame: OwnedLumaFrame,
}

fn frame(name: String, width: u32, height: u32, pixel: impl Fn(u32, u32) -> u8) -> HostileFrame {
    let mut pixels = Vec::with_capacity(width as usize * height as usize);
    for y in 0..height {
        for x in 0..width {
            pixels.push(pixel(x, y));
        }
    }
    let frame = OwnedLumaFrame::new(pixels, width, height).unwrap_or_else(|error| panic!("{name}: {error}"));
    HostileFrame { name, frame }
}

/// Dark (true) or light module of a pattern drawn as concentric squares, `rings` from the
/// outside in (QR finder: dark, light, dark core of 3).
fn concentric(dx: i64, dy: i64, radius: i64, dark_rings: &[bool]) -> bool {
    let ring = radius - dx.abs().max(dy.abs());
    usize::try_from(ring).ok().and_then(|ring| dark_rings.get(ring)).copied().unwrap_or(false)
}

/// QR finder patterns (7x7 modules) tiled with a one-module gap, at `module` pixels per module.
pub fn finder_tiles(width: u32, height: u32, module: u32) -> HostileFrame {
    let rings = [true, false, true, true];
    let period = 8 * module;
    frame(format!("finder tiles {module} px, {width}x{height}"), width, height, |x, y| {
        let (cx, cy) = ((x % period) / module, (y % period) / module);
        if cx >= 7 || cy >= 7 {
            return 255;
        }
        if concentric(i64::from(cx) - 3, i64::from(cy) - 3, 3, &rings) { 0 } else { 255 }
    })
}

/// QR alignment patterns (5x5 modules) tiled with a one-module gap.
pub fn alignment_tiles(width: u32, height: u32, module: u32) -> HostileFrame {
    let rings = [true, false, true];
    let period = 6 * module;
    frame(format!("alignment tiles {module} px, {width}x{height}"), width, height, |x, y| {
        let (cx, cy) = ((x % period) / module, (y % period) / module);
        if cx >= 5 || cy >= 5 {
            return 255;
        }
        if concentric(i64::from(cx) - 2, i64::from(cy) - 2, 2, &rings) { 0 } else { 255 }
    })
}

/// Aztec bull's-eyes (compact core, 11x11 modules) tiled.
pub fn bullseye_tiles(width: u32, height: u32, module: u32) -> HostileFrame {
    let rings = [true, false, true, false, true, true];
    let period = 12 * module;
    frame(format!("bull's-eye tiles {module} px, {width}x{height}"), width, height, |x, y| {
        let (cx, cy) = ((x % period) / module, (y % period) / module);
        if cx >= 11 || cy >= 11 {
            return 255;
        }
        if concentric(i64::from(cx) - 5, i64::from(cy) - 5, 5, &rings) { 0 } else { 255 }
    })
}

/// DataMatrix-like symbols tiled: a solid L on two sides, alternating modules on the others,
/// random modules inside (what a DataMatrix detector follows edge by edge).
pub fn datamatrix_like_tiles(width: u32, height: u32, module: u32, seed: u64) -> HostileFrame {
    let size = 14u32;
    let period = (size + 2) * module;
    let mut rng = Rng::new(seed);
    let noise: Vec<bool> = (0..size * size).map(|_| rng.chance(0.5)).collect();
    frame(format!("L-border tiles {module} px, {width}x{height}"), width, height, |x, y| {
        let (cx, cy) = ((x % period) / module, (y % period) / module);
        if cx >= size || cy >= size {
            return 255;
        }
        let dark = if cx == 0 || cy == size - 1 {
            true
        } else if cy == 0 {
            cx % 2 == 0
        } else if cx == size - 1 {
            cy % 2 == 1
        } else {
            noise.get((cy * size + cx) as usize).copied().unwrap_or(false)
        };
        if dark { 0 } else { 255 }
    })
}

/// Vertical bars 1:1:3:1:1 wide: every row looks like a finder, no column does, so every
/// candidate costs a finder check that fails.
pub fn finder_stripes(width: u32, height: u32, module: u32) -> HostileFrame {
    let widths = [1, 1, 3, 1, 1, 2];
    let period: u32 = widths.iter().sum::<u32>() * module;
    frame(format!("finder stripes {module} px, {width}x{height}"), width, height, |x, _| {
        let mut offset = (x % period) / module;
        for (index, width) in widths.iter().enumerate() {
            if offset < *width {
                return if index.is_multiple_of(2) && index < 5 { 0 } else { 255 };
            }
            offset -= width;
        }
        255
    })
}

/// Independent random black and white pixels (blocks of `block` pixels).
pub fn noise(width: u32, height: u32, block: u32, seed: u64) -> HostileFrame {
    let columns = width.div_ceil(block);
    let rows = height.div_ceil(block);
    let mut rng = Rng::new(seed);
    let cells: Vec<bool> = (0..columns * rows).map(|_| rng.chance(0.5)).collect();
    frame(format!("noise {block} px, {width}x{height}"), width, height, |x, y| {
        if cells.get(((y / block) * columns + x / block) as usize).copied().unwrap_or(false) { 0 } else { 255 }
    })
}

/// A checkerboard of `block`-pixel squares.
pub fn checkerboard(width: u32, height: u32, block: u32) -> HostileFrame {
    frame(format!("checkerboard {block} px, {width}x{height}"), width, height, |x, y| {
        if ((x / block) + (y / block)).is_multiple_of(2) { 0 } else { 255 }
    })
}

/// The corpus the tests run: every class at camera size (1280x720) and several module sizes.
pub fn camera_sized() -> Vec<HostileFrame> {
    let (width, height) = (1280, 720);
    let mut corpus = Vec::new();
    // 16 px modules give 50 patterns: just around the budget's pattern limit.
    for module in [1, 2, 3, 4, 6, 10, 16, 20] {
        corpus.push(finder_tiles(width, height, module));
    }
    for module in [1, 3] {
        corpus.push(finder_stripes(width, height, module));
    }
    for module in [1, 2, 4] {
        corpus.push(alignment_tiles(width, height, module));
        corpus.push(bullseye_tiles(width, height, module));
        corpus.push(datamatrix_like_tiles(width, height, module, 7));
    }
    for block in [1, 2, 3] {
        corpus.push(noise(width, height, block, 11 + u64::from(block)));
    }
    for block in [1, 3] {
        corpus.push(checkerboard(width, height, block));
    }
    corpus
}

/// Larger frames, for the bound proportional to pixels (a 4096x4096 still of finder tiles
/// ran for minutes at 600 MB before the work budget).
pub fn large() -> Vec<HostileFrame> {
    vec![finder_tiles(4096, 4096, 2), finder_tiles(4096, 4096, 4), noise(4096, 4096, 2, 5), finder_tiles(2560, 1440, 3)]
}
