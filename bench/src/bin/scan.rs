//! Decode rate and time per frame for each decoder and pipeline, on the shared PNGs and on
//! generated camera-like tiers, beside zbar (Debian's zbarimg) in the same run.
//!
//!     cargo run --release --manifest-path bench/Cargo.toml --bin scan [-- FRAMES_PER_TIER]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use healthpass_bench::conformance_dir;
use healthpass_core::scan::{Attempt, OwnedLumaFrame, Preprocess, RqrrDecoder, RxingDecoder, Scanner};
use healthpass_tests::frames::{self, Tier};

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
        ("rxing-fast".into(), Scanner::single(RxingDecoder { try_harder: false })),
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
    Scanner::new(steps.into_iter().map(|(step, try_harder)| Attempt::new(step, RxingDecoder { try_harder })).collect())
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
