//! Regenerates the committed tables from ../shared/conformance (see `healthpass_tests::tables`).

fn main() {
    let result = healthpass_tests::shared_data::conformance_dir().and_then(|conformance| {
        let files =
            healthpass_tests::tables::generate_all(&conformance, &healthpass_tests::shared_data::repository_root())?;
        for file in files {
            std::fs::write(&file.path, file.expected_bytes()).map_err(|e| format!("{}: {e}", file.path.display()))?;
            println!("wrote {}", file.path.display());
        }
        Ok(())
    });
    if let Err(message) = result {
        eprintln!("generate-tables: {message}");
        std::process::exit(1);
    }
}
