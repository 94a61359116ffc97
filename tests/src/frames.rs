//! A camera-like frame corpus generated from the shared QR PNGs, with fixed seeds.
//!
//! Each frame is 1280x720 luma: the code resampled to small modules (2.5–5 px), rotated,
//! tilted in perspective, on a plain, gradient or printed-page background, then degraded by
//! contrast loss, glare, blur, sensor noise and JPEG compression. Tiers set how hard:
//! `Mild` (a steady phone over a screen), `Moderate` (a hurried controller, a printout),
//! `Hard` (crumpled paper, glare, dusk), and `NoCode` (the same scenes without a code).
//! Nothing is written to the repository: frames are generated where they are needed.

use std::f64::consts::PI;
use std::path::Path;

use base64::Engine as _;
use healthpass_core::scan::OwnedLumaFrame;

pub const FRAME_WIDTH: u32 = 1280;
pub const FRAME_HEIGHT: u32 = 720;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    Mild,
    Moderate,
    Hard,
    NoCode,
}

impl Tier {
    pub const ALL: [Tier; 4] = [Tier::Mild, Tier::Moderate, Tier::Hard, Tier::NoCode];

    pub fn name(self) -> &'static str {
        match self {
            Self::Mild => "mild",
            Self::Moderate => "moderate",
            Self::Hard => "hard",
            Self::NoCode => "no-code",
        }
    }
}

/// A code image from the shared data and the text it holds.
#[derive(Clone)]
pub struct CodeSource {
    pub name: String,
    pub text: String,
    /// The code cropped to its modules, with a 4-module white quiet zone, grey levels.
    pixels: Vec<u8>,
    side: usize,
    module: f64,
}

/// One generated frame and the text it should yield (None for `NoCode`).
pub struct GeneratedFrame {
    pub name: String,
    pub tier: Tier,
    pub expected: Option<String>,
    pub frame: OwnedLumaFrame,
}

/// The QR sources: every dgc-testdata vector with a `2DCODE` PNG whose picture check is
/// expected to succeed, and whose code is a QR (its finder pattern measures the module size).
pub fn load_sources(dgc_testdata: &Path) -> Vec<CodeSource> {
    let mut files = Vec::new();
    collect_json(dgc_testdata, &mut files);
    files.sort();
    let mut sources = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else { continue };
        // Only a vector that claims its picture holds its PREFIX is a source of known truth:
        // ES/501-503 do not claim it, and their PNGs hold other passes.
        if json["EXPECTEDRESULTS"]["EXPECTEDPICTUREDECODE"] != serde_json::Value::Bool(true) {
            continue;
        }
        let (Some(png), Some(prefix)) = (json["2DCODE"].as_str(), json["PREFIX"].as_str()) else { continue };
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(png) else { continue };
        let Ok(image) = image::load_from_memory(&bytes) else { continue };
        let luma = image.into_luma8();
        let name = file.strip_prefix(dgc_testdata).unwrap_or(&file).to_string_lossy().into_owned();
        if let Some(source) = crop_code(&name, prefix, luma.width() as usize, luma.height() as usize, luma.as_raw()) {
            sources.push(source);
        }
    }
    sources
}

fn collect_json(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_json(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "json")
            && path.parent().and_then(Path::file_name).is_some_and(|name| name == "raw")
        {
            files.push(path);
        }
    }
}

/// Finds the code's bounding box and module size (the top-left finder pattern is 7 modules
/// wide), and re-frames it with a 4-module quiet zone.
fn crop_code(name: &str, text: &str, width: usize, height: usize, pixels: &[u8]) -> Option<CodeSource> {
    let dark = |x: usize, y: usize| pixels.get(y * width + x).is_some_and(|&p| p < 128);
    let (mut left, mut top, mut right, mut bottom) = (width, height, 0, 0);
    for y in 0..height {
        for x in 0..width {
            if dark(x, y) {
                left = left.min(x);
                right = right.max(x);
                top = top.min(y);
                bottom = bottom.max(y);
            }
        }
    }
    if right <= left || bottom <= top {
        return None;
    }
    let run = (left..=right).take_while(|&x| dark(x, top)).count();
    let module = run as f64 / 7.0;
    let code_side = (right - left + 1).max(bottom - top + 1);
    let modules = code_side as f64 / module;
    // A QR has 21 + 4k modules; anything else is not a QR we can measure.
    let k = ((modules - 21.0) / 4.0).round();
    if module < 1.0 || k < 0.0 || (modules - (21.0 + 4.0 * k)).abs() > 0.6 {
        return None;
    }
    let quiet = (4.0 * module).round() as usize;
    let side = code_side + 2 * quiet;
    let mut cropped = vec![255u8; side * side];
    for y in 0..code_side {
        for x in 0..code_side {
            let value = pixels.get((top + y) * width + left + x).copied().unwrap_or(255);
            cropped[(y + quiet) * side + x + quiet] = value;
        }
    }
    Some(CodeSource { name: name.to_owned(), text: text.to_owned(), pixels: cropped, side, module })
}

impl CodeSource {
    /// A source drawn from a square grid of modules (`dark[y * side + x]`), 8 px per module
    /// with a 4-module quiet zone: how the tests place codes they render themselves
    /// (DataMatrix 2D-DOCs) into camera-like frames.
    pub fn from_modules(name: &str, text: &str, dark: &[bool], side_modules: usize) -> Self {
        const MODULE_PX: usize = 8;
        let side = (side_modules + 8) * MODULE_PX;
        let mut pixels = vec![255u8; side * side];
        for (index, &is_dark) in dark.iter().enumerate() {
            if !is_dark {
                continue;
            }
            let (mx, my) = (index % side_modules + 4, index / side_modules + 4);
            for y in my * MODULE_PX..(my + 1) * MODULE_PX {
                for x in mx * MODULE_PX..(mx + 1) * MODULE_PX {
                    pixels[y * side + x] = 0;
                }
            }
        }
        Self { name: name.to_owned(), text: text.to_owned(), pixels, side, module: MODULE_PX as f64 }
    }
}

/// splitmix64: fixed seeds, reproducible corpora.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }
    pub fn chance(&mut self, probability: f64) -> bool {
        self.unit() < probability
    }
    pub fn gaussian(&mut self) -> f64 {
        let (u, v) = (self.unit().max(1e-12), self.unit());
        (-2.0 * u.ln()).sqrt() * (2.0 * PI * v).cos()
    }
}

/// The degradations of one tier, as ranges the generator draws from.
struct Profile {
    module_px: (f64, f64),
    rotation_deg: f64,
    perspective: f64,
    blur_sigma: (f64, f64),
    noise_sigma: (f64, f64),
    contrast: (f64, f64),
    glare: (f64, f64),
    glare_chance: f64,
    jpeg_quality: (f64, f64),
    page_chance: f64,
}

fn profile(tier: Tier) -> Profile {
    match tier {
        Tier::Mild => Profile {
            module_px: (3.5, 5.0),
            rotation_deg: 10.0,
            perspective: 0.02,
            blur_sigma: (0.0, 0.6),
            noise_sigma: (0.0, 3.0),
            contrast: (0.8, 1.0),
            glare: (0.0, 0.0),
            glare_chance: 0.0,
            jpeg_quality: (80.0, 95.0),
            page_chance: 0.2,
        },
        Tier::Moderate => Profile {
            module_px: (3.0, 4.5),
            rotation_deg: 30.0,
            perspective: 0.06,
            blur_sigma: (0.4, 1.0),
            noise_sigma: (2.0, 6.0),
            contrast: (0.5, 0.85),
            glare: (40.0, 110.0),
            glare_chance: 0.4,
            jpeg_quality: (50.0, 80.0),
            page_chance: 0.5,
        },
        Tier::Hard | Tier::NoCode => Profile {
            module_px: (2.5, 3.5),
            rotation_deg: 45.0,
            perspective: 0.12,
            blur_sigma: (0.8, 1.5),
            noise_sigma: (5.0, 12.0),
            contrast: (0.3, 0.6),
            glare: (80.0, 170.0),
            glare_chance: 0.6,
            jpeg_quality: (30.0, 60.0),
            page_chance: 0.5,
        },
    }
}

/// Generates `count` frames of a tier; frame `i` of a tier is the same on every run.
pub fn generate(sources: &[CodeSource], tier: Tier, count: usize) -> Vec<GeneratedFrame> {
    (0..count)
        .filter_map(|index| {
            let source = sources.get(index % sources.len().max(1))?;
            let seed = 0x5eed_0000_0000 ^ ((tier as u64) << 32) ^ index as u64;
            Some(generate_one(source, tier, index, &mut Rng::new(seed)))
        })
        .collect()
}

fn generate_one(source: &CodeSource, tier: Tier, index: usize, rng: &mut Rng) -> GeneratedFrame {
    let profile = profile(tier);
    let (width, height) = (FRAME_WIDTH as usize, FRAME_HEIGHT as usize);
    let page = rng.chance(profile.page_chance);
    let mut canvas = background(rng, page, width, height);
    let expected = if tier == Tier::NoCode {
        None
    } else {
        place_code(&mut canvas, width, height, source, &profile, page, rng);
        Some(source.text.clone())
    };
    let contrast = rng.range(profile.contrast.0, profile.contrast.1);
    let floor = rng.range(0.0, (1.0 - contrast) * 255.0);
    for pixel in &mut canvas {
        *pixel = floor + *pixel * contrast;
    }
    if rng.chance(profile.glare_chance) {
        add_glare(&mut canvas, width, height, rng.range(profile.glare.0, profile.glare.1), rng);
    }
    let sigma = rng.range(profile.blur_sigma.0, profile.blur_sigma.1);
    if sigma > 0.05 {
        gaussian_blur(&mut canvas, width, height, sigma);
    }
    let noise = rng.range(profile.noise_sigma.0, profile.noise_sigma.1);
    let mut pixels: Vec<u8> =
        canvas.iter().map(|&value| (value + noise * rng.gaussian()).round().clamp(0.0, 255.0) as u8).collect();
    pixels =
        jpeg_round_trip(pixels, width as u32, height as u32, rng.range(profile.jpeg_quality.0, profile.jpeg_quality.1));
    let frame = OwnedLumaFrame::new(pixels, FRAME_WIDTH, FRAME_HEIGHT)
        .unwrap_or_else(|error| unreachable!("a generated frame is valid: {error}"));
    GeneratedFrame { name: format!("{}-{index:03}", tier.name()), tier, expected, frame }
}

/// A plain or gradient scene (a screen, a desk), or a printed page with lines of "text".
fn background(rng: &mut Rng, page: bool, width: usize, height: usize) -> Vec<f64> {
    let mut canvas = vec![0.0; width * height];
    let base = if page { rng.range(205.0, 245.0) } else { rng.range(60.0, 200.0) };
    let (gx, gy) = (rng.range(-0.06, 0.06), rng.range(-0.06, 0.06));
    for y in 0..height {
        for x in 0..width {
            canvas[y * width + x] = (base + gx * x as f64 + gy * y as f64).clamp(0.0, 255.0);
        }
    }
    if page {
        // Lines of words: short dark bars, as a printed attestation has around its code.
        let line_height = rng.range(14.0, 22.0) as usize;
        let mut y = rng.range(10.0, 30.0) as usize;
        while y + 10 < height {
            let mut x = rng.range(20.0, 80.0) as usize;
            let end = width - rng.range(20.0, 200.0) as usize;
            while x < end {
                let word = rng.range(15.0, 70.0) as usize;
                let ink = rng.range(20.0, 80.0);
                for yy in y..(y + line_height / 2).min(height) {
                    for xx in x..(x + word).min(width) {
                        if rng.chance(0.7) {
                            canvas[yy * width + xx] = ink;
                        }
                    }
                }
                x += word + rng.range(6.0, 14.0) as usize;
            }
            y += line_height;
        }
    }
    canvas
}

/// Resamples the code into the frame through a homography: scale to the module size, rotate,
/// tilt the corners, and place it anywhere it fits. A page gets a white margin behind it.
fn place_code(
    canvas: &mut [f64],
    width: usize,
    height: usize,
    source: &CodeSource,
    profile: &Profile,
    page: bool,
    rng: &mut Rng,
) {
    let module = rng.range(profile.module_px.0, profile.module_px.1);
    let side = source.side as f64 * module / source.module;
    let angle = rng.range(-profile.rotation_deg, profile.rotation_deg).to_radians();
    let reach = side * std::f64::consts::FRAC_1_SQRT_2 * (1.0 + profile.perspective * 2.0);
    let cx = rng.range(reach + 4.0, width as f64 - reach - 4.0);
    let cy = rng.range(reach + 4.0, height as f64 - reach - 4.0);
    let (sin, cos) = angle.sin_cos();
    let half = side / 2.0;
    let corners_src =
        [(0.0, 0.0), (source.side as f64, 0.0), (source.side as f64, source.side as f64), (0.0, source.side as f64)];
    let unit = [(-half, -half), (half, -half), (half, half), (-half, half)];
    let corners_dst: Vec<(f64, f64)> = unit
        .iter()
        .map(|&(x, y)| {
            let (jx, jy) =
                (rng.range(-1.0, 1.0) * profile.perspective * side, rng.range(-1.0, 1.0) * profile.perspective * side);
            (cx + (x + jx) * cos - (y + jy) * sin, cy + (x + jx) * sin + (y + jy) * cos)
        })
        .collect();
    let Some(h) = homography(&corners_dst, &corners_src) else { return };
    let ink = rng.range(0.0, 40.0);
    let paper = if page { rng.range(235.0, 255.0) } else { rng.range(215.0, 255.0) };
    let (min_x, max_x) = bounds(corners_dst.iter().map(|c| c.0), width);
    let (min_y, max_y) = bounds(corners_dst.iter().map(|c| c.1), height);
    for y in min_y..max_y {
        for x in min_x..max_x {
            let (px, py) = (x as f64 + 0.5, y as f64 + 0.5);
            let w = h[6] * px + h[7] * py + 1.0;
            let (sx, sy) = ((h[0] * px + h[1] * py + h[2]) / w, (h[3] * px + h[4] * py + h[5]) / w);
            if sx < 0.0 || sy < 0.0 || sx >= source.side as f64 || sy >= source.side as f64 {
                continue;
            }
            let value = bilinear(&source.pixels, source.side, sx - 0.5, sy - 0.5) / 255.0;
            canvas[y * width + x] = ink + (paper - ink) * value;
        }
    }
}

fn bounds(values: impl Iterator<Item = f64>, limit: usize) -> (usize, usize) {
    let (mut low, mut high) = (f64::MAX, f64::MIN);
    for value in values {
        low = low.min(value);
        high = high.max(value);
    }
    (low.floor().max(0.0) as usize, (high.ceil().max(0.0) as usize).min(limit))
}

fn bilinear(pixels: &[u8], side: usize, x: f64, y: f64) -> f64 {
    let clamp = |v: f64| v.clamp(0.0, (side - 1) as f64);
    let (x, y) = (clamp(x), clamp(y));
    let (x0, y0) = (x.floor() as usize, y.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(side - 1), (y0 + 1).min(side - 1));
    let (fx, fy) = (x - x0 as f64, y - y0 as f64);
    let at = |xx: usize, yy: usize| f64::from(pixels[yy * side + xx]);
    let top = at(x0, y0) * (1.0 - fx) + at(x1, y0) * fx;
    let bottom = at(x0, y1) * (1.0 - fx) + at(x1, y1) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// The homography mapping four points `from` onto four points `to` (8x8 linear solve).
fn homography(from: &[(f64, f64)], to: &[(f64, f64)]) -> Option<[f64; 8]> {
    let mut matrix = [[0.0f64; 9]; 8];
    for i in 0..4 {
        let ((x, y), (u, v)) = (from[i], to[i]);
        matrix[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
        matrix[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
    }
    for column in 0..8 {
        let pivot = (column..8).max_by(|&a, &b| matrix[a][column].abs().total_cmp(&matrix[b][column].abs()))?;
        if matrix[pivot][column].abs() < 1e-12 {
            return None;
        }
        matrix.swap(column, pivot);
        let pivot_row = matrix[column];
        for (row, values) in matrix.iter_mut().enumerate() {
            if row != column {
                let factor = values[column] / pivot_row[column];
                for (value, pivot_value) in values.iter_mut().zip(pivot_row.iter()).skip(column) {
                    *value -= factor * pivot_value;
                }
            }
        }
    }
    let mut solution = [0.0; 8];
    for (i, value) in solution.iter_mut().enumerate() {
        *value = matrix[i][8] / matrix[i][i];
    }
    Some(solution)
}

/// A bright elliptical reflection, as from a lamp on glossy paper or a phone screen.
fn add_glare(canvas: &mut [f64], width: usize, height: usize, strength: f64, rng: &mut Rng) {
    let (cx, cy) = (rng.range(0.2, 0.8) * width as f64, rng.range(0.2, 0.8) * height as f64);
    let (rx, ry) = (rng.range(80.0, 300.0), rng.range(60.0, 200.0));
    for y in 0..height {
        for x in 0..width {
            let d = ((x as f64 - cx) / rx).powi(2) + ((y as f64 - cy) / ry).powi(2);
            if d < 9.0 {
                let pixel = &mut canvas[y * width + x];
                *pixel = (*pixel + strength * (-d).exp()).min(255.0);
            }
        }
    }
}

fn gaussian_blur(canvas: &mut [f64], width: usize, height: usize, sigma: f64) {
    let radius = (sigma * 3.0).ceil() as isize;
    let kernel: Vec<f64> = (-radius..=radius).map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp()).collect();
    let total: f64 = kernel.iter().sum();
    let kernel: Vec<f64> = kernel.iter().map(|k| k / total).collect();
    let mut temp = vec![0.0; canvas.len()];
    for y in 0..height {
        for x in 0..width {
            let mut sum = 0.0;
            for (k, weight) in kernel.iter().enumerate() {
                let xx = (x as isize + k as isize - radius).clamp(0, width as isize - 1) as usize;
                sum += weight * canvas[y * width + xx];
            }
            temp[y * width + x] = sum;
        }
    }
    for y in 0..height {
        for x in 0..width {
            let mut sum = 0.0;
            for (k, weight) in kernel.iter().enumerate() {
                let yy = (y as isize + k as isize - radius).clamp(0, height as isize - 1) as usize;
                sum += weight * temp[yy * width + x];
            }
            canvas[y * width + x] = sum;
        }
    }
}

fn jpeg_round_trip(pixels: Vec<u8>, width: u32, height: u32, quality: f64) -> Vec<u8> {
    let mut encoded = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut encoded, quality.round() as u8);
    if image::ImageEncoder::write_image(encoder, &pixels, width, height, image::ExtendedColorType::L8).is_err() {
        return pixels;
    }
    match image::load_from_memory_with_format(&encoded, image::ImageFormat::Jpeg) {
        Ok(decoded) => decoded.into_luma8().into_raw(),
        Err(_) => pixels,
    }
}

/// Writes frames as PNG files (for zbar and for looking at them).
pub fn write_png(frame: &OwnedLumaFrame, path: &Path) -> Result<(), String> {
    image::save_buffer(path, frame.pixels(), frame.width(), frame.height(), image::ExtendedColorType::L8)
        .map_err(|error| format!("{}: {error}", path.display()))
}

/// What a shared picture should yield.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PictureExpectation {
    /// The vector's `PREFIX`.
    Text(String),
    /// Any `HC1:` text: a PNG file beside the vectors (its vector is not named), or a
    /// vector's picture that the vector does not claim holds its PREFIX.
    AnyPass,
}

/// A shared picture: a vector's `2DCODE` (written to `work` so outside tools can read it) or a
/// PNG file from the suite's `png/` folders.
pub struct SharedPicture {
    pub name: String,
    pub expected: PictureExpectation,
    pub frame: OwnedLumaFrame,
    pub path: std::path::PathBuf,
}

/// Every shared picture that should hold a code (vectors expecting PICTUREDECODE to fail,
/// like common/Q1, are left out).
pub fn load_all_pictures(dgc_testdata: &Path, work: &Path) -> Vec<SharedPicture> {
    let mut pictures = Vec::new();
    let mut files = Vec::new();
    collect_json(dgc_testdata, &mut files);
    files.sort();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else { continue };
        let claim = &json["EXPECTEDRESULTS"]["EXPECTEDPICTUREDECODE"];
        if *claim == serde_json::Value::Bool(false) {
            continue;
        }
        let (Some(png), Some(prefix)) = (json["2DCODE"].as_str(), json["PREFIX"].as_str()) else { continue };
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(png) else { continue };
        let Ok(frame) = healthpass_core::scan::image_input::decode_image(&bytes) else { continue };
        // Held to PREFIX only where the vector claims it (ES/501-503 hold other passes).
        let expected = if *claim == serde_json::Value::Bool(true) {
            PictureExpectation::Text(prefix.to_owned())
        } else {
            PictureExpectation::AnyPass
        };
        let name = file.strip_prefix(dgc_testdata).unwrap_or(&file).to_string_lossy().into_owned();
        let path = work.join(name.replace('/', "_").replace(".json", ".png"));
        if std::fs::write(&path, &bytes).is_err() {
            continue;
        }
        pictures.push(SharedPicture { name, expected, frame, path });
    }
    let mut pngs = Vec::new();
    collect_png(dgc_testdata, &mut pngs);
    pngs.sort();
    for path in pngs {
        let Ok(bytes) = std::fs::read(&path) else { continue };
        let Ok(frame) = healthpass_core::scan::image_input::decode_image(&bytes) else { continue };
        let name = path.strip_prefix(dgc_testdata).unwrap_or(&path).to_string_lossy().into_owned();
        pictures.push(SharedPicture { name, expected: PictureExpectation::AnyPass, frame, path });
    }
    pictures
}

fn collect_png(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_png(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "png") {
            files.push(path);
        }
    }
}
