//! Scanning as controllers depend on it: shared pictures, camera-like frames, Android's
//! strided buffers, and the continuous checkpoint loop fed from replayed frames.

use healthpass_core::checkpoint::{CheckpointEvent, CheckpointSession, ReplaySource};
use healthpass_core::scan::image_input::decode_image;
use healthpass_core::scan::{FrameError, LumaFrame, OwnedLumaFrame, Scanner};
use healthpass_core::time::UnixTime;
use healthpass_core::trust::TrustStore;
use healthpass_core::verify::Verifier;
use healthpass_tests::frames::{self, PictureExpectation, Tier};
use healthpass_tests::scratch::ScratchDir;
use healthpass_tests::shared_data::require_conformance_dir;

fn scratch_dir(name: &str) -> ScratchDir {
    ScratchDir::new(&format!("test-{name}"))
}

fn sources() -> Vec<frames::CodeSource> {
    frames::load_sources(&require_conformance_dir().join("dgc-testdata"))
}

fn read_rate(tier: Tier, count: usize) -> (usize, usize) {
    let scanner = Scanner::default();
    let generated = frames::generate(&sources(), tier, count);
    let read = generated
        .iter()
        .filter(|frame| {
            scanner.scan(&frame.frame.view()).iter().any(|code| Some(&code.text) == frame.expected.as_ref())
        })
        .count();
    (read, generated.len())
}

#[test]
fn every_shared_picture_yields_its_pass() {
    let scanner = Scanner::default();
    let work = scratch_dir("pictures");
    let pictures = frames::load_all_pictures(&require_conformance_dir().join("dgc-testdata"), &work);
    assert!(pictures.len() >= 290, "{} pictures", pictures.len());
    let mut misses = Vec::new();
    for picture in &pictures {
        let texts: Vec<String> = scanner.scan(&picture.frame.view()).into_iter().map(|code| code.text).collect();
        let ok = match &picture.expected {
            PictureExpectation::Text(expected) => texts.contains(expected),
            PictureExpectation::AnyPass => texts.iter().any(|text| text.starts_with("HC1:")),
        };
        if !ok {
            misses.push(picture.name.clone());
        }
    }
    assert!(misses.is_empty(), "not read: {misses:?}");
}

#[test]
fn mild_frames_read_at_least_95_percent() {
    let (read, total) = read_rate(Tier::Mild, 20);
    assert!(read * 100 >= total * 95, "{read}/{total}");
}

#[test]
fn moderate_frames_read_at_least_60_percent() {
    let (read, total) = read_rate(Tier::Moderate, 20);
    assert!(read * 100 >= total * 60, "{read}/{total}");
}

#[test]
fn frames_without_a_code_yield_nothing() {
    let scanner = Scanner::default();
    for frame in frames::generate(&sources(), Tier::NoCode, 10) {
        assert!(scanner.scan(&frame.frame.view()).is_empty(), "{} yielded a code", frame.name);
    }
}

/// Copies a frame into an Android-style buffer: rows `stride` apart, the last row unpadded.
fn android_buffer(frame: &OwnedLumaFrame, stride: u32) -> Vec<u8> {
    let (width, height) = (frame.width() as usize, frame.height() as usize);
    let mut buffer = vec![0xAB; stride as usize * (height - 1) + width];
    for y in 0..height {
        buffer[y * stride as usize..y * stride as usize + width]
            .copy_from_slice(&frame.pixels()[y * width..(y + 1) * width]);
    }
    buffer
}

#[test]
fn a_strided_buffer_with_an_unpadded_last_row_scans_like_a_packed_one() {
    let generated = frames::generate(&sources(), Tier::Mild, 1).remove(0);
    let stride = generated.frame.width() + 96;
    let buffer = android_buffer(&generated.frame, stride);
    let frame = LumaFrame::new(&buffer, generated.frame.width(), generated.frame.height(), stride).unwrap();
    let codes = Scanner::default().scan(&frame);
    assert_eq!(codes.first().map(|code| &code.text), generated.expected.as_ref());
    let short = &buffer[..buffer.len() - 1];
    assert!(matches!(
        LumaFrame::new(short, generated.frame.width(), generated.frame.height(), stride),
        Err(FrameError::BufferTooShort { .. })
    ));
}

#[test]
fn the_checkpoint_verifies_each_pass_once_and_again_after_the_window() {
    let sources = sources();
    let mild = frames::generate(&sources, Tier::Mild, 3);
    let nothing = frames::generate(&sources, Tier::NoCode, 1).remove(0);
    // Replay through files, as recorded camera footage would be.
    let dir = scratch_dir("replay");
    let mut sequence = Vec::new();
    let plan = [
        (&nothing.frame, 0u64),
        (&mild[0].frame, 100),
        (&mild[0].frame, 400),   // same pass while the verdict shows: ignored
        (&mild[1].frame, 900),   // another pass
        (&mild[0].frame, 3_000), // still within 5 s of its last sighting: ignored
        (&mild[0].frame, 9_000), // back after the window: verified again
    ];
    for (index, (frame, at)) in plan.iter().enumerate() {
        let path = dir.join(format!("{index}.png"));
        frames::write_png(frame, &path).unwrap();
        let replayed = decode_image(&std::fs::read(&path).unwrap()).unwrap();
        sequence.push(healthpass_core::checkpoint::CapturedFrame { frame: replayed, captured_at_ms: *at });
    }
    let mut session = CheckpointSession::new(Scanner::default(), Verifier::new(TrustStore::new()));
    let mut events = Vec::new();
    let now = UnixTime::parse_rfc3339("2021-06-01T00:00:00Z").unwrap();
    let stats =
        session.run(&mut ReplaySource::new(sequence), &mut || now, &mut |event| events.push(event.clone())).unwrap();
    let verified: Vec<(&str, u64)> = events
        .iter()
        .map(|event| match event {
            CheckpointEvent::Verified { text, captured_at_ms, .. } => (text.as_str(), *captured_at_ms),
            CheckpointEvent::NotAPass { reason, .. } => panic!("unexpected: {reason}"),
        })
        .collect();
    let (first, second) = (mild[0].expected.as_deref().unwrap(), mild[1].expected.as_deref().unwrap());
    assert_eq!(verified, [(first, 100), (second, 900), (first, 9_000)]);
    assert_eq!(stats.frames, 6);
    assert_eq!(stats.repeats_ignored, 2);
    // With no trust, every verdict names the unknown signer rather than passing anyone.
    for event in &events {
        if let CheckpointEvent::Verified { verdict, .. } = event {
            assert!(!verdict.is_valid());
            assert!(verdict.reasons.iter().any(|reason| reason.code() == "kid_unknown"));
        }
    }
}

/// The frame classes that froze a checkpoint for seconds to minutes (tiled finder patterns,
/// bull's-eyes) and their relatives: each returns nothing, within its frame's work budget.
/// The budget is counted, not timed; a watchdog only catches a hang (its limit is hundreds of
/// times what the corpus takes).
#[test]
fn hostile_frames_return_within_their_work_budget() {
    use healthpass_core::scan::ScanBudget;
    use healthpass_core::scan::budget::{FINDER_CHECKS_PER_REFERENCE_FRAME, SAMPLES_PER_REFERENCE_FRAME};
    use healthpass_tests::hostile_frames;

    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let scanner = Scanner::default();
        let mut report = Vec::new();
        for hostile in hostile_frames::camera_sized().into_iter().chain(hostile_frames::large()) {
            let view = hostile.frame.view();
            let mut budget = ScanBudget::for_frame(view.width(), view.height());
            let allowance = budget.clone();
            let codes = scanner.scan_within(&view, &mut budget);
            report.push((hostile.name, codes.len(), allowance, budget));
        }
        let _ = done.send(report);
    });
    let report = finished
        .recv_timeout(std::time::Duration::from_secs(300))
        .expect("scanning the hostile corpus hung (it takes well under a second when bounded)");
    for (name, codes, allowance, left) in &report {
        assert_eq!(*codes, 0, "{name}: a code was read from a hostile frame");
        assert!(left.finder_checks_left() <= allowance.finder_checks_left(), "{name}");
        assert!(left.samples_left() <= allowance.samples_left(), "{name}");
    }
    // A camera-sized hostile frame gets the reference budget, no more.
    let (_, _, camera, _) = &report[0];
    assert_eq!(camera.finder_checks_left(), FINDER_CHECKS_PER_REFERENCE_FRAME);
    assert_eq!(camera.samples_left(), SAMPLES_PER_REFERENCE_FRAME);
    // The finder tiles that used to cost 4-25 s exhaust the budget: the frame is given up.
    assert!(
        report.iter().filter(|(name, ..)| name.starts_with("finder tiles")).all(|(_, _, _, left)| left.is_exhausted())
    );
}

/// The budget never costs a readable code: frames from the benchmark's mild tier decode
/// within the reference budget, and spend a fraction of it.
#[test]
fn readable_frames_decode_well_within_the_budget() {
    use healthpass_core::scan::ScanBudget;
    let scanner = Scanner::default();
    for frame in frames::generate(&sources(), Tier::Mild, 12) {
        let view = frame.frame.view();
        let mut budget = ScanBudget::for_frame(view.width(), view.height());
        let codes = scanner.scan_within(&view, &mut budget);
        assert!(codes.iter().any(|code| Some(&code.text) == frame.expected.as_ref()), "{}", frame.name);
        assert!(!budget.is_exhausted(), "{}", frame.name);
    }
}
