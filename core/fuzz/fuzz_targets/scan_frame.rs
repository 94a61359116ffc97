//! Small frames of any content through the default scanner pipeline: first two bytes are the
//! width and height (each 1–255), then the pixels (repeated to fill the frame). A frame must
//! never panic, and must return within its work budget: the target aborts (a finding) when one
//! frame takes over 200 ms, forty times the worst hostile frame of the scan benchmark.
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use healthpass_core::scan::{LumaFrame, Scanner};
use libfuzzer_sys::fuzz_target;

const FRAME_TIME_LIMIT: Duration = Duration::from_millis(200);

fn scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(Scanner::default)
}

fuzz_target!(|data: &[u8]| {
    let (&[width, height], pixels) = data.split_at(2.min(data.len())) else { return };
    if width == 0 || height == 0 || pixels.is_empty() {
        return;
    }
    let (width, height) = (u32::from(width), u32::from(height));
    let frame: Vec<u8> = pixels.iter().copied().cycle().take((width * height) as usize).collect();
    let Ok(view) = LumaFrame::packed(&frame, width, height) else { return };
    let start = Instant::now();
    let _ = scanner().scan(&view);
    let elapsed = start.elapsed();
    assert!(elapsed < FRAME_TIME_LIMIT, "a {width}x{height} frame took {elapsed:?}");
});
