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

/// A global allocator that counts the bytes live and their peak, so a benchmark can report the
/// memory one call needed (the process's resident size cannot: freed heap is reused).
pub struct CountingAllocator;

static LIVE_BYTES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static PEAK_BYTES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; only counters are added.
unsafe impl std::alloc::GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: the caller's contract is passed on to the system allocator as is.
        let pointer = unsafe { std::alloc::System.alloc(layout) };
        if !pointer.is_null() {
            let live = LIVE_BYTES.fetch_add(layout.size(), std::sync::atomic::Ordering::Relaxed) + layout.size();
            PEAK_BYTES.fetch_max(live, std::sync::atomic::Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: as for `alloc`.
        unsafe { std::alloc::System.dealloc(pointer, layout) };
        LIVE_BYTES.fetch_sub(layout.size(), std::sync::atomic::Ordering::Relaxed);
    }
}

/// Starts a new peak measurement from the bytes live now; returns them.
pub fn reset_peak_allocation() -> usize {
    let live = LIVE_BYTES.load(std::sync::atomic::Ordering::Relaxed);
    PEAK_BYTES.store(live, std::sync::atomic::Ordering::Relaxed);
    live
}

/// The most bytes live since the last reset.
pub fn peak_allocation() -> usize {
    PEAK_BYTES.load(std::sync::atomic::Ordering::Relaxed)
}
