//! Decode rate and time per frame for each decoder and pipeline, on the shared PNGs and on
//! generated camera-like tiers (QR passes, and French 2D-DOC DataMatrix codes), beside zbar (Debian's zbarimg) in the same run; then the
//! hostile-frame corpus: time, extra peak memory and budget spent per frame for the default
//! pipeline, beside rxing's own unbounded readers (what the pipeline used before its budget).
//!
//!     cargo run --release --manifest-path bench/Cargo.toml --bin scan [-- FRAMES_PER_TIER [--skip-unbounded]]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use healthpass_bench::conformance_dir;
use healthpass_core::scan::{Attempt, OwnedLumaFrame, Preprocess, RqrrDecoder, RxingDecoder, ScanBudget, Scanner};
use healthpass_tests::frames::{self, Tier};
use healthpass_tests::hostile_frames::{self, HostileFrame};

enum Expect {
    Text(String),
    AnyPass,
    NoCode,
}

impl Expect {
    fn met_by<'a>(&self, mut texts: impl Iterator<Item = &'a str>) -> bool {
        match self {
            Self::Text(expected) => texts.any(|text| text == expected),
            Self::AnyPass => texts.any(|text| text.starts_with("HC1:")),
            Self::NoCode => texts.next().is_none(),
        }
    }
}

struct Sample {
    name: String,
    expected: Expect,
    frame: OwnedLumaFrame,
    png: PathBuf,
}

struct Tally {
    hits: usize,
    total: usize,
    times: Vec<Duration>,
    misses: Vec<String>,
}

fn candidates() -> Vec<(String, Scanner)> {
    vec![
        ("rqrr".into(), Scanner::single(RqrrDecoder)),
        ("rxing".into(), Scanner::single(RxingDecoder::default())),
        ("rxing-fast".into(), Scanner::single(RxingDecoder { try_harder: false, ..RxingDecoder::default() })),
        ("rxing+half".into(), Scanner::new(vec![Attempt::new(Preprocess::DownscaleHalf, RxingDecoder::default())])),
        ("rxing+otsu".into(), Scanner::new(vec![Attempt::new(Preprocess::Otsu, RxingDecoder::default())])),
        ("rxing>half".into(), chain(vec![(Preprocess::None, true), (Preprocess::DownscaleHalf, true)])),
        ("rxing>otsu".into(), chain(vec![(Preprocess::None, true), (Preprocess::Otsu, true)])),
        (
            "rxing>half>otsu".into(),
            chain(vec![(Preprocess::None, true), (Preprocess::DownscaleHalf, true), (Preprocess::Otsu, true)]),
        ),
        ("rxing>double".into(), chain(vec![(Preprocess::None, true), (Preprocess::UpscaleDouble, true)])),
        ("default pipeline".into(), Scanner::default()),
    ]
}

fn chain(steps: Vec<(Preprocess, bool)>) -> Scanner {
    Scanner::new(
        steps
            .into_iter()
            .map(|(step, try_harder)| Attempt::new(step, RxingDecoder { try_harder, ..RxingDecoder::default() }))
            .collect(),
    )
}

fn run(scanner: &Scanner, samples: &[Sample]) -> Tally {
    let mut tally = Tally { hits: 0, total: samples.len(), times: Vec::new(), misses: Vec::new() };
    for sample in samples {
        let start = Instant::now();
        let codes = scanner.scan(&sample.frame.view());
        tally.times.push(start.elapsed());
        let ok = sample.expected.met_by(codes.iter().map(|code| code.text.as_str()));
        if ok { tally.hits += 1 } else { tally.misses.push(sample.name.clone()) }
    }
    tally
}

fn zbar(samples: &[Sample]) -> Option<Tally> {
    Command::new("zbarimg").arg("--version").output().ok()?;
    let mut tally = Tally { hits: 0, total: samples.len(), times: Vec::new(), misses: Vec::new() };
    for sample in samples {
        let start = Instant::now();
        let output = Command::new("zbarimg").args(["--quiet", "--raw"]).arg(&sample.png).output().ok()?;
        tally.times.push(start.elapsed());
        let text = String::from_utf8_lossy(&output.stdout);
        let ok = sample.expected.met_by(text.lines().filter(|line| !line.trim().is_empty()));
        if ok { tally.hits += 1 } else { tally.misses.push(sample.name.clone()) }
    }
    Some(tally)
}

/// zbar's own time per frame, without process start-up: one zbarimg call over all frames.
fn zbar_batch_time(samples: &[Sample]) -> Option<Duration> {
    let empty_dir = std::env::temp_dir();
    let start = Instant::now();
    Command::new("zbarimg")
        .args(["--quiet", "--raw"])
        .arg(empty_dir.join("healthpass-scan-bench/none.png"))
        .output()
        .ok()?;
    let startup = start.elapsed();
    let start = Instant::now();
    Command::new("zbarimg").args(["--quiet", "--raw"]).args(samples.iter().map(|s| &s.png)).output().ok()?;
    Some(start.elapsed().saturating_sub(startup) / samples.len().max(1) as u32)
}

fn median(times: &mut [Duration]) -> f64 {
    times.sort();
    times.get(times.len() / 2).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn main() {
    let per_tier: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(100);
    let dgc = conformance_dir().join("dgc-testdata");
    let work = std::env::temp_dir().join("healthpass-scan-bench");
    std::fs::create_dir_all(&work).expect("work dir");

    let mut sets: Vec<(String, Vec<Sample>)> = Vec::new();
    sets.push(("shared PNGs".into(), shared_pngs(&dgc, &work)));
    let sources = frames::load_sources(&dgc);
    eprintln!("{} QR sources; generating {per_tier} frames per tier in {}", sources.len(), work.display());
    for tier in Tier::ALL {
        let samples = frames::generate(&sources, tier, per_tier)
            .into_iter()
            .map(|generated| {
                let png = work.join(format!("{}.png", generated.name));
                frames::write_png(&generated.frame, &png).expect("png");
                let expected = generated.expected.map_or(Expect::NoCode, Expect::Text);
                Sample { name: generated.name, expected, frame: generated.frame, png }
            })
            .collect();
        sets.push((tier.name().into(), samples));
    }
    // French 2D-DOCs: the real samples of ../shared/2ddoc rendered as DataMatrix, placed and
    // degraded as the QR tiers are.
    let data_matrix_sources: Vec<frames::CodeSource> = healthpass_tests::two_d_doc_codes::samples()
        .iter()
        .map(|sample| {
            let (modules, side) = healthpass_tests::two_d_doc_codes::data_matrix(&sample.text);
            frames::CodeSource::from_modules(&sample.file, &sample.text, &modules, side)
        })
        .collect();
    for tier in [Tier::Mild, Tier::Moderate, Tier::Hard] {
        let samples = frames::generate(&data_matrix_sources, tier, per_tier)
            .into_iter()
            .map(|generated| {
                let name = format!("dm-{}", generated.name);
                let png = work.join(format!("{name}.png"));
                frames::write_png(&generated.frame, &png).expect("png");
                let expected = generated.expected.map_or(Expect::NoCode, Expect::Text);
                Sample { name, expected, frame: generated.frame, png }
            })
            .collect();
        sets.push((format!("DM {}", tier.name()), samples));
    }

    println!("decode rate (and median ms per frame); no-code: rate of frames correctly left empty");
    print!("{:<18}", "decoder");
    for (name, samples) in &sets {
        print!(" {:>22}", format!("{name} ({})", samples.len()));
    }
    println!();
    let mut all_misses = Vec::new();
    for (name, scanner) in candidates() {
        print!("{name:<18}");
        for (set, samples) in &sets {
            let mut tally = run(&scanner, samples);
            print!(" {:>13.1}% {:>6.2}ms", 100.0 * tally.hits as f64 / tally.total as f64, median(&mut tally.times));
            if name == "default pipeline" && !tally.misses.is_empty() {
                all_misses.push(format!("{set}: {}", tally.misses.join(", ")));
            }
        }
        println!();
    }
    print!("{:<18}", "zbar (zbarimg)");
    for (_, samples) in &sets {
        match zbar(samples) {
            Some(tally) => print!(
                " {:>13.1}% {:>6.2}ms",
                100.0 * tally.hits as f64 / tally.total as f64,
                zbar_batch_time(samples).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
            ),
            None => print!(" {:>22}", "zbarimg missing"),
        }
    }
    println!("\n\nzbar time: one zbarimg run over the set, minus its start-up, per frame (includes PNG decoding).");
    println!("\ndefault pipeline misses:");
    for line in all_misses {
        println!("  {line}");
    }
    hostile(!std::env::args().any(|arg| arg == "--skip-unbounded"));
}

#[global_allocator]
static ALLOCATOR: healthpass_bench::CountingAllocator = healthpass_bench::CountingAllocator;

fn hostile(with_unbounded: bool) {
    let scanner = Scanner::default();
    let mut corpus: Vec<HostileFrame> = hostile_frames::camera_sized();
    let camera_sized = corpus.len();
    corpus.extend(hostile_frames::large());
    println!("\nhostile frames: default pipeline (work budget) beside rxing's own readers (unbounded, TRY_HARDER)");
    println!(
        "{:<40} {:>9} {:>10} {:>13} {:>9} {:>16}",
        "frame", "ms", "peak +MB", "finder checks", "samples", "rxing unbounded"
    );
    let (mut worst_camera, mut worst_large) = (0.0f64, 0.0f64);
    for (index, hostile) in corpus.iter().enumerate() {
        let view = hostile.frame.view();
        let allowance = ScanBudget::for_frame(view.width(), view.height());
        let mut budget = allowance.clone();
        let before = healthpass_bench::reset_peak_allocation();
        let start = Instant::now();
        let codes = scanner.scan_within(&view, &mut budget);
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        let peak = healthpass_bench::peak_allocation().saturating_sub(before);
        assert!(codes.is_empty(), "{}: a code in a hostile frame", hostile.name);
        if index < camera_sized {
            worst_camera = worst_camera.max(ms)
        } else {
            worst_large = worst_large.max(ms)
        }
        // rxing's own readers run for seconds to minutes on these; only camera-sized frames.
        let unbounded = if with_unbounded && index < camera_sized {
            let pixels = view.packed_pixels();
            let start = Instant::now();
            let mut hints = rxing::DecodeHints { TryHarder: Some(true), ..rxing::DecodeHints::default() };
            let _ =
                rxing::helpers::detect_in_luma_slice_with_hints(&pixels, view.width(), view.height(), None, &mut hints);
            format!("{:.0} ms", start.elapsed().as_secs_f64() * 1000.0)
        } else {
            "-".into()
        };
        println!(
            "{:<40} {:>9.1} {:>10.1} {:>6}/{:<6} {:>3}/{:<5} {:>16}",
            hostile.name,
            ms,
            peak as f64 / (1024.0 * 1024.0),
            allowance.finder_checks_left() - budget.finder_checks_left(),
            allowance.finder_checks_left(),
            allowance.samples_left() - budget.samples_left(),
            allowance.samples_left(),
            unbounded
        );
    }
    println!("worst: {worst_camera:.1} ms at 1280x720 (target 50 ms), {worst_large:.1} ms for the larger frames");
    println!("peak +MB: bytes allocated at the peak of the frame's scan, beyond those live before it");
}

fn shared_pngs(dgc: &Path, work: &Path) -> Vec<Sample> {
    frames::load_all_pictures(dgc, work)
        .into_iter()
        .map(|picture| Sample {
            name: picture.name,
            expected: match picture.expected {
                frames::PictureExpectation::Text(text) => Expect::Text(text),
                frames::PictureExpectation::AnyPass => Expect::AnyPass,
            },
            frame: picture.frame,
            png: picture.path,
        })
        .collect()
}
