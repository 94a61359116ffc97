//! The work one frame may cost, so a checkpoint never freezes on a hostile picture.
//!
//! Counted in the units that grow with a hostile frame (finder-pattern checks, located finder
//! patterns, sampled finder triples), not in wall-clock time: the same frame costs the same
//! on every run and every device, and nothing has to be interrupted. The budget of a frame is
//! shared by every attempt of the pipeline and grows linearly with its pixels.

/// Pixels of the reference frame (1280x720) the base budget is set for.
pub const REFERENCE_PIXELS: u64 = 1280 * 720;
/// Finder-pattern checks (`LocateConcentricPattern` calls, ~3.5 µs each) per reference frame.
/// A code needs three, but the rows through its data modules and a printed page around it
/// offer many candidates: camera-like frames used up to 2,300.
pub const FINDER_CHECKS_PER_REFERENCE_FRAME: usize = 6_000;
/// Located finder patterns per reference frame before the frame is given up: the most seen
/// in a camera-like frame was 16.
pub const FINDER_PATTERNS_PER_REFERENCE_FRAME: usize = 48;
/// Finder triples sampled and decoded (~65 µs each) per reference frame: the triple that
/// decodes was always among the five most plausible.
pub const SAMPLES_PER_REFERENCE_FRAME: usize = 24;

/// The work a frame may still cost (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanBudget {
    finder_checks: usize,
    pattern_limit: usize,
    samples: usize,
    exhausted: bool,
}

impl ScanBudget {
    /// The budget of a `width` x `height` frame: the reference budget for frames up to
    /// 1280x720, proportionally more for larger ones.
    pub fn for_frame(width: u32, height: u32) -> Self {
        let pixels = u64::from(width) * u64::from(height);
        let scale = usize::try_from(pixels.div_ceil(REFERENCE_PIXELS)).unwrap_or(usize::MAX).max(1);
        Self {
            finder_checks: FINDER_CHECKS_PER_REFERENCE_FRAME.saturating_mul(scale),
            pattern_limit: FINDER_PATTERNS_PER_REFERENCE_FRAME.saturating_mul(scale),
            samples: SAMPLES_PER_REFERENCE_FRAME.saturating_mul(scale),
            exhausted: false,
        }
    }

    /// A budget with explicit limits (benchmarks and tests measure against it).
    pub fn with_limits(finder_checks: usize, pattern_limit: usize, samples: usize) -> Self {
        Self { finder_checks, pattern_limit, samples, exhausted: false }
    }

    /// Finder checks left.
    pub fn finder_checks_left(&self) -> usize {
        self.finder_checks
    }

    /// Sampled triples left.
    pub fn samples_left(&self) -> usize {
        self.samples
    }

    /// A budget that allows nothing beyond what the frame already spent.
    pub fn exhaust(&mut self) {
        self.exhausted = true;
    }

    /// Whether the frame was given up: further attempts on it are skipped.
    pub fn is_exhausted(&self) -> bool {
        self.exhausted
    }

    /// Spends one finder-pattern check; `false` (and exhausted) when none is left.
    pub fn take_finder_check(&mut self) -> bool {
        self.take(|budget| &mut budget.finder_checks)
    }

    /// Spends one sampled finder triple; `false` when none is left.
    pub fn take_sample(&mut self) -> bool {
        self.take(|budget| &mut budget.samples)
    }

    /// Located finder patterns beyond which a frame is given up.
    pub fn pattern_limit(&self) -> usize {
        self.pattern_limit
    }

    fn take(&mut self, counter: impl FnOnce(&mut Self) -> &mut usize) -> bool {
        if self.exhausted {
            return false;
        }
        let left = counter(self);
        if *left == 0 {
            self.exhausted = true;
            return false;
        }
        *left -= 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_with_pixels_and_stops_at_zero() {
        let camera = ScanBudget::for_frame(1280, 720);
        assert_eq!(camera, ScanBudget::for_frame(640, 480));
        let still = ScanBudget::for_frame(4096, 4096);
        assert_eq!(still.pattern_limit(), FINDER_PATTERNS_PER_REFERENCE_FRAME * 19);
        let mut budget = ScanBudget::for_frame(1, 1);
        for _ in 0..SAMPLES_PER_REFERENCE_FRAME {
            assert!(budget.take_sample());
        }
        assert!(!budget.take_sample());
        assert!(budget.is_exhausted());
        assert!(!budget.take_finder_check(), "an exhausted frame allows nothing more");
    }
}
