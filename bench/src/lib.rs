//! Shared measurement helpers for the benchmark binaries.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The conformance data directory (`HEALTHPASS_CONFORMANCE_DIR` or `../shared/conformance`).
pub fn conformance_dir() -> PathBuf {
    std::env::var_os("HEALTHPASS_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance"))
}

/// Time per call of `work`: the median over `rounds` rounds of batches lasting about
/// `round_time` each, after a warm-up. The median resists the noise of a shared machine.
pub fn measure<T>(mut work: impl FnMut() -> T) -> Duration {
    measure_with(&mut work, 15, Duration::from_millis(60))
}

pub fn measure_with<T>(work: &mut impl FnMut() -> T, rounds: usize, round_time: Duration) -> Duration {
    // Warm up and size a batch to roughly round_time.
    let mut batch = 1u64;
    loop {
        let start = Instant::now();
        for _ in 0..batch {
            black_box(work());
        }
        let elapsed = start.elapsed();
        if elapsed >= round_time / 4 || batch > 1 << 30 {
            let per_call = elapsed.as_secs_f64() / batch as f64;
            batch = ((round_time.as_secs_f64() / per_call.max(1e-9)) as u64).max(1);
            break;
        }
        batch *= 4;
    }
    let mut samples: Vec<f64> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..batch {
                black_box(work());
            }
            start.elapsed().as_secs_f64() / batch as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    Duration::from_secs_f64(samples[samples.len() / 2])
}

pub fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}
