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

use crate::error::CliError;
use crate::inputs::{self, BundleArgs, TrustArgs};
use crate::outln;
use crate::output::{self, safe};

#[derive(Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["images", "camera"])))]
pub struct ScanArgs {
    /// Scan every PNG and JPEG in this folder and print each one's codes and time; with
    /// trust (--dsc, --trust-list, --bundle, --demo) verify each pass too. Exit 0 when every
    /// picture held a code (and every pass was valid), 1 when some did not, 2 when a file
    /// was not a readable picture.
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,
    /// Watch a camera (V4L2 device index, default 0): each new pass is verified and shown
    /// once; the same pass within 5 seconds is ignored. Needs the `camera` build feature.
    #[arg(long, value_name = "INDEX", num_args = 0..=1, default_missing_value = "0")]
    pub camera: Option<u32>,
    /// Trust the demo material (see `healthpass verify --help`).
    #[arg(long, conflicts_with_all = ["dsc", "trust_list", "anchors"])]
    pub demo: bool,
    #[command(flatten)]
    pub trust: TrustArgs,
    #[command(flatten)]
    pub bundle: BundleArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

impl ScanArgs {
    fn has_trust(&self) -> bool {
        self.demo || !self.trust.dsc.is_empty() || !self.trust.trust_list.is_empty() || self.bundle.bundle.is_some()
    }
}

pub fn run(args: &ScanArgs) -> Result<ExitCode, CliError> {
    let verifier = if args.has_trust() || args.images.is_none() {
        Some(super::verify::build_verifier(args.demo, &args.trust, &args.bundle)?)
    } else {
        None
    };
    if let Some(dir) = &args.images {
        return scan_folder(dir, verifier.as_ref(), args.json);
    }
    let index = args.camera.unwrap_or(0);
    let mut source = crate::camera::open(index)?;
    let mut session = CheckpointSession::new(Scanner::default(), verifier.unwrap_or_default());
    eprintln!("healthpass: watching camera {index}; show a pass (Ctrl-C to stop)");
    let json = args.json;
    let stats = session
        .run(source.as_mut(), &mut inputs::system_now, &mut |event| print_event(event, json))
        .map_err(CliError::usage)?;
    eprintln!(
        "healthpass: {} frames, {} passes verified, {} repeats ignored",
        stats.frames, stats.verified, stats.repeats_ignored
    );
    Ok(ExitCode::SUCCESS)
}

pub fn print_event(event: &CheckpointEvent, json: bool) {
    match (event, json) {
        (CheckpointEvent::Verified { verdict, .. }, false) => output::write_stdout(&output::verdict_text(verdict)),
        (CheckpointEvent::Verified { verdict, captured_at_ms, .. }, true) => {
            outln!("{}", json!({"captured_at_ms": captured_at_ms, "verdict": output::verdict_json(verdict)}))
        }
        (CheckpointEvent::NotAPass { reason, .. }, false) => outln!("NOT A PASS  {}", safe(reason)),
        (CheckpointEvent::NotAPass { reason, captured_at_ms }, true) => {
            outln!("{}", json!({"captured_at_ms": captured_at_ms, "not_a_pass": reason}))
        }
    }
}

/// What became of one picture.
#[derive(Default)]
struct Tally {
    decoded: usize,
    no_code: usize,
    unreadable: usize,
    invalid_passes: usize,
}

fn scan_folder(dir: &Path, verifier: Option<&Verifier>, json: bool) -> Result<ExitCode, CliError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|error| CliError::in_file(dir, error))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .and_then(|ext| ext.to_str())
                .is_some_and(|ext| matches!(ext.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(CliError::in_file(dir, "holds no PNG or JPEG pictures"));
    }
    let scanner = Scanner::default();
    let now = inputs::system_now();
    let mut tally = Tally::default();
    let mut images = Vec::new();
    for path in &files {
        let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        let start = Instant::now();
        let result = inputs::read_file(path)
            .map_err(|error| error.to_string())
            .and_then(|bytes| decode_image(&bytes).map_err(|error| error.to_string()))
            .map(|frame| scanner.scan(&frame.view()));
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        let (found, error) = match result {
            Ok(codes) => (codes, None),
            Err(error) => (Vec::new(), Some(error)),
        };
        let texts: Vec<String> = found.iter().map(|code| code.text.clone()).collect();
        match (&error, texts.is_empty()) {
            (Some(_), _) => tally.unreadable += 1,
            (None, true) => tally.no_code += 1,
            (None, false) => tally.decoded += 1,
        }
        if !json {
            match (&error, texts.as_slice()) {
                (Some(error), _) => outln!("{}  ({ms:.1} ms)  unreadable picture: {}", safe(&name), safe(error)),
                (None, []) => outln!("{}  ({ms:.1} ms)  no code found", safe(&name)),
                (None, _) => outln!("{}  ({ms:.1} ms)", safe(&name)),
            }
        }
        let mut codes = Vec::new();
        for code in &found {
            let text = &code.text;
            let symbology = code.symbology.name();
            let verdict = verifier.map(|verifier| verifier.verify_text(text, now));
            if matches!(&verdict, Some(Ok(verdict)) if !verdict.is_accepted()) || matches!(verdict, Some(Err(_))) {
                tally.invalid_passes += 1;
            }
            if !json {
                outln!("  {}  ({symbology})", safe(text));
                match &verdict {
                    Some(Ok(verdict)) => {
                        for line in output::verdict_text(verdict).lines() {
                            outln!("    {line}");
                        }
                    }
                    Some(Err(error)) => outln!("    NOT A PASS  {}", safe(&error.to_string())),
                    None => {}
                }
            }
            codes.push(match verdict {
                Some(Ok(verdict)) => {
                    json!({"text": text, "symbology": symbology, "verdict": output::verdict_json(&verdict)})
                }
                Some(Err(error)) => json!({"text": text, "symbology": symbology, "not_a_pass": error.to_string()}),
                None => json!({"text": text, "symbology": symbology}),
            });
        }
        let mut entry = json!({"file": name, "texts": texts, "codes": codes, "ms": (ms * 100.0).round() / 100.0});
        if let Some(error) = error {
            entry["error"] = json!(error);
        }
        images.push(entry);
    }
    if json {
        output::print_json(&json!({
            "decoded": tally.decoded,
            "not_decoded": tally.no_code,
            "unreadable": tally.unreadable,
            "invalid_passes": tally.invalid_passes,
            "images": images,
        }));
    } else {
        outln!(
            "{} decoded, {} without a code, {} unreadable{}",
            tally.decoded,
            tally.no_code,
            tally.unreadable,
            if verifier.is_some() { format!(", {} passes not valid", tally.invalid_passes) } else { String::new() }
        );
    }
    Ok(ExitCode::from(if tally.unreadable > 0 {
        2
    } else if tally.no_code > 0 || tally.invalid_passes > 0 {
        1
    } else {
        0
    }))
}
