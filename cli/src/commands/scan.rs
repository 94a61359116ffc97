//! `healthpass scan`: read codes from a folder of pictures, or watch a camera.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use healthpass_core::checkpoint::{CheckpointEvent, CheckpointSession};
use healthpass_core::scan::Scanner;
use healthpass_core::scan::image_input::decode_image;
use healthpass_core::verify::Verifier;
use serde_json::json;

use super::verify::{TrustArgs, load_trust, system_now, warn_if_no_trust};
use crate::UsageError;
use crate::output;

#[derive(Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["images", "camera"])))]
pub struct ScanArgs {
    /// Scan every PNG and JPEG in this folder; print each one's texts and time.
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,
    /// Watch a camera (V4L2 device index, default 0): each new pass is verified and shown
    /// once; the same pass within 5 seconds is ignored. Needs the `camera` build feature.
    #[arg(long, value_name = "INDEX", num_args = 0..=1, default_missing_value = "0")]
    pub camera: Option<u32>,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &ScanArgs) -> Result<ExitCode, UsageError> {
    if let Some(dir) = &args.images {
        return scan_folder(dir, args.json);
    }
    let index = args.camera.unwrap_or(0);
    let mut source = crate::camera::open(index)?;
    let trust = load_trust(&args.trust)?;
    warn_if_no_trust(&trust);
    let mut session = CheckpointSession::new(Scanner::default(), Verifier::new(trust));
    eprintln!("healthpass: watching camera {index}; show a pass (Ctrl-C to stop)");
    let json = args.json;
    let stats = session
        .run(source.as_mut(), &mut system_now, &mut |event| print_event(event, json))
        .map_err(|error| UsageError(error.to_string()))?;
    eprintln!(
        "healthpass: {} frames, {} passes verified, {} repeats ignored",
        stats.frames, stats.verified, stats.repeats_ignored
    );
    Ok(ExitCode::SUCCESS)
}

pub fn print_event(event: &CheckpointEvent, json: bool) {
    match (event, json) {
        (CheckpointEvent::Verified { verdict, .. }, false) => print!("{}", output::verdict_text(verdict)),
        (CheckpointEvent::Verified { verdict, captured_at_ms, .. }, true) => {
            println!("{}", json!({"captured_at_ms": captured_at_ms, "verdict": output::verdict_json(verdict)}))
        }
        (CheckpointEvent::NotAPass { reason, .. }, false) => println!("NOT A PASS  {reason}"),
        (CheckpointEvent::NotAPass { reason, captured_at_ms }, true) => {
            println!("{}", json!({"captured_at_ms": captured_at_ms, "not_a_pass": reason}))
        }
    }
}

fn scan_folder(dir: &Path, json: bool) -> Result<ExitCode, UsageError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|error| UsageError(format!("{}: {error}", dir.display())))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .and_then(|ext| ext.to_str())
                .is_some_and(|ext| matches!(ext.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
        })
        .collect();
    files.sort();
    let scanner = Scanner::default();
    let (mut decoded, mut not_decoded) = (0usize, 0usize);
    let mut images = Vec::new();
    for path in &files {
        let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        let start = Instant::now();
        let result = std::fs::read(path)
            .map_err(|error| error.to_string())
            .and_then(|bytes| decode_image(&bytes).map_err(|error| error.to_string()))
            .map(|frame| scanner.scan(&frame.view()));
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        let (texts, error) = match result {
            Ok(codes) => (codes.into_iter().map(|code| code.text).collect::<Vec<_>>(), None),
            Err(error) => (Vec::new(), Some(error)),
        };
        if texts.is_empty() {
            not_decoded += 1
        } else {
            decoded += 1
        }
        if !json {
            match (&error, texts.as_slice()) {
                (Some(error), _) => println!("{name}  ({ms:.1} ms)  unreadable image: {error}"),
                (None, []) => println!("{name}  ({ms:.1} ms)  no code found"),
                (None, texts) => {
                    println!("{name}  ({ms:.1} ms)");
                    for text in texts {
                        println!("  {text}");
                    }
                }
            }
        }
        let mut entry = json!({"file": name, "texts": texts, "ms": (ms * 100.0).round() / 100.0});
        if let Some(error) = error {
            entry["error"] = json!(error);
        }
        images.push(entry);
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"decoded": decoded, "not_decoded": not_decoded, "images": images}))
                .unwrap_or_default()
        );
    } else {
        println!("{decoded} decoded, {not_decoded} not decoded");
    }
    Ok(ExitCode::SUCCESS)
}
