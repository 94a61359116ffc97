//! A scanner: decoders and fallbacks tried in order until one reads a code.

use std::sync::Arc;

use super::budget::ScanBudget;
use super::decoder::{CodeDecoder, FoundCode};
use super::frame::LumaFrame;
use super::preprocess;
use super::rxing_decoder::RxingDecoder;

/// A transform applied to the frame before a decoder sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preprocess {
    /// The frame as it is.
    None,
    /// 2x2 box filter down to half size.
    DownscaleHalf,
    /// Global Otsu threshold.
    Otsu,
    /// White border of this many pixels.
    QuietZone(u32),
    /// Pixel replication to double size; only for images up to 1024 px per side.
    UpscaleDouble,
}

impl Preprocess {
    /// A short name for reports.
    pub fn name(self) -> String {
        match self {
            Self::None => "raw".into(),
            Self::DownscaleHalf => "half".into(),
            Self::Otsu => "otsu".into(),
            Self::QuietZone(margin) => format!("pad{margin}"),
            Self::UpscaleDouble => "double".into(),
        }
    }
}

/// One try: a transform, then a decoder.
#[derive(Clone)]
pub struct Attempt {
    /// What is done to the frame first.
    pub preprocess: Preprocess,
    /// What reads it then.
    pub decoder: Arc<dyn CodeDecoder>,
}

impl Attempt {
    /// An attempt running `decoder` after `preprocess`.
    pub fn new(preprocess: Preprocess, decoder: impl CodeDecoder + 'static) -> Self {
        Self { preprocess, decoder: Arc::new(decoder) }
    }

    /// A short name for reports (`rxing+otsu`).
    pub fn name(&self) -> String {
        match self.preprocess {
            Preprocess::None => self.decoder.name().to_owned(),
            other => format!("{}+{}", self.decoder.name(), other.name()),
        }
    }

    /// Runs the attempt within `budget`; corners are mapped back into the original frame's
    /// coordinates.
    pub fn run(&self, frame: &LumaFrame<'_>, budget: &mut ScanBudget) -> Vec<FoundCode> {
        let (transformed, scale, offset) = match self.preprocess {
            Preprocess::None => return self.decoder.decode(frame, budget),
            Preprocess::DownscaleHalf => (preprocess::downscale_half(frame), 2.0, 0.0),
            Preprocess::Otsu => (Some(preprocess::binarize_otsu(frame)), 1.0, 0.0),
            Preprocess::QuietZone(margin) => (preprocess::pad_quiet_zone(frame, margin), 1.0, margin as f32),
            Preprocess::UpscaleDouble => (preprocess::upscale_double(frame), 0.5, 0.0),
        };
        let Some(transformed) = transformed else { return Vec::new() };
        let mut codes = self.decoder.decode(&transformed.view(), budget);
        for code in &mut codes {
            for corner in &mut code.corners {
                *corner = ((corner.0 - offset) * scale, (corner.1 - offset) * scale);
            }
        }
        codes
    }
}

/// Tries its attempts in order and returns the codes of the first that reads any.
#[derive(Clone)]
pub struct Scanner {
    attempts: Vec<Attempt>,
}

impl Scanner {
    /// A scanner trying `attempts` in order.
    pub fn new(attempts: Vec<Attempt>) -> Self {
        Self { attempts }
    }

    /// A scanner with a single decoder and no fallbacks.
    pub fn single(decoder: impl CodeDecoder + 'static) -> Self {
        Self::new(vec![Attempt::new(Preprocess::None, decoder)])
    }

    /// The attempts, in order.
    pub fn attempts(&self) -> &[Attempt] {
        &self.attempts
    }

    /// Every code found by the first attempt that finds any, without duplicates. All attempts
    /// share the frame's [`ScanBudget`]: a frame that exhausts it yields nothing more.
    pub fn scan(&self, frame: &LumaFrame<'_>) -> Vec<FoundCode> {
        self.scan_within(frame, &mut ScanBudget::for_frame(frame.width(), frame.height()))
    }

    /// As [`Scanner::scan`], within a given budget (what is left of it tells what the frame cost).
    pub fn scan_within(&self, frame: &LumaFrame<'_>, budget: &mut ScanBudget) -> Vec<FoundCode> {
        for attempt in &self.attempts {
            if budget.is_exhausted() {
                break;
            }
            let mut codes = attempt.run(frame, budget);
            if !codes.is_empty() {
                let mut seen = Vec::new();
                codes.retain(|code| {
                    let new = !seen.contains(&code.text);
                    seen.push(code.text.clone());
                    new
                });
                return codes;
            }
        }
        Vec::new()
    }
}

impl Default for Scanner {
    /// The default pipeline, chosen by the scan benchmark (`bench/src/bin/scan.rs`, 100 frames
    /// per tier, 1280x720): rxing alone read 100% of the shared PNGs and of the mild and
    /// moderate tiers and 21% of the hard tier; a retry on a global Otsu threshold lifts the
    /// hard tier to 25% for about 4 ms more on frames without a code (median 8.1 ms). rqrr read
    /// 23% / 24% / 1% and as a fallback only added 10 ms per code-less frame; downscaling and
    /// upscaling retries gained nothing.
    ///
    /// DataMatrix (French 2D-DOC) is looked for in the first attempt only: on the benchmark's
    /// DataMatrix tiers the Otsu retry added one frame in 40 to the moderate tier and doubled the
    /// tracer's cost on frames without a code.
    fn default() -> Self {
        Self::new(vec![
            Attempt::new(Preprocess::None, RxingDecoder::default()),
            Attempt::new(Preprocess::Otsu, RxingDecoder { data_matrix: false, ..RxingDecoder::default() }),
        ])
    }
}
