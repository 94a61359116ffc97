//! `healthpass demo`, chapter 11: the French paper certificates of 2021 beside the EU passes.
//! Real 2D-DOCs from `../shared/2ddoc/samples` (TousAntiCovid's test vector, a specimen of the
//! government's event-control kit) are rendered as DataMatrix pictures, scanned back and
//! verified offline against the built-in French signers.

use std::path::{Path, PathBuf};
use std::time::Instant;

use healthpass_core::render::data_matrix::DataMatrix;
use healthpass_core::scan::Scanner;
use healthpass_core::scan::image_input::decode_image;
use healthpass_core::time::UnixTime;
use healthpass_core::verify::Verifier;

use crate::error::CliError;
use crate::inputs::read_file;
use crate::outln;
use crate::output::{self, safe};

/// Pixels per DataMatrix module in the demo's pictures.
const MODULE_PIXELS: usize = 5;

/// Where the 2D-DOC material is: `HEALTHPASS_2DDOC_DIR`, else `../shared/2ddoc` beside the
/// source tree this binary was built from, else beside the working directory.
fn material_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("HEALTHPASS_2DDOC_DIR").map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/2ddoc")),
        Some(PathBuf::from("../shared/2ddoc")),
    ];
    candidates.into_iter().flatten().find(|dir| dir.join("samples").is_dir())
}

pub fn run(out: &Path, now: UnixTime) -> Result<(), CliError> {
    let Some(dir) = material_dir() else {
        outln!("11. French 2D-DOC paper certificates: skipped (../shared/2ddoc not found; set HEALTHPASS_2DDOC_DIR)");
        return Ok(());
    };
    outln!("11. A controller scans French paper certificates of 2021 (2D-DOC, DataMatrix), offline:");
    let verifier = Verifier::default();
    for (file, label) in [
        ("02_tac_android_B2_TST1.txt", "TousAntiCovid's test vector, a negative test"),
        ("07_kit_L1_AV01_valid.txt", "a vaccination specimen of the event-control kit"),
    ] {
        let path = dir.join("samples").join(file);
        let text = String::from_utf8(read_file(&path)?)
            .map_err(|_| CliError::in_file(&path, "is not text"))?
            .trim_end_matches(['\n', '\r'])
            .to_owned();
        let picture = out.join(file.replace(".txt", ".png"));
        let started = Instant::now();
        write_data_matrix(&text, &picture)?;
        let frame = decode_image(&read_file(&picture)?)?;
        let codes = Scanner::default().scan(&frame.view());
        let Some(code) = codes.iter().find(|code| code.text == text) else {
            return Err(CliError::internal(format!("the rendered DataMatrix of {file} did not scan back")));
        };
        let verdict = verifier.verify_text(&code.text, now).map_err(CliError::internal)?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let outcome = if verdict.is_valid() {
            "VALID (green)".to_owned()
        } else {
            let codes: Vec<&str> = verdict.reasons.iter().map(|reason| reason.code()).collect();
            format!("INVALID (red): {}", codes.join(", "))
        };
        outln!(
            "   {label}: {} {} read and verified in {ms:.1} ms: {outcome}",
            code.symbology.name(),
            picture.display()
        );
        if let Some(first) = verdict.reasons.first() {
            outln!("     {}", safe(&first.to_string()));
        }
        if verdict.is_valid() {
            for line in output::verdict_text(&verdict).lines().skip(1).take(3) {
                outln!("     {}", line.trim_start());
            }
        }
    }
    Ok(())
}

/// The DataMatrix of `text` as a PNG at `path`.
fn write_data_matrix(text: &str, path: &Path) -> Result<(), CliError> {
    let symbol = DataMatrix::for_text(text).map_err(CliError::internal)?;
    let (pixels, size) = symbol.to_luma(MODULE_PIXELS, 4);
    let side = u32::try_from(size).map_err(CliError::internal)?;
    let image = image::GrayImage::from_raw(side, side, pixels)
        .ok_or_else(|| CliError::internal("a DataMatrix picture of the wrong size"))?;
    image.save(path).map_err(|error| CliError::System(format!("could not write {}: {error}", path.display())))
}
