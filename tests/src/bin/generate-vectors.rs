//! Regenerates the self-made test vectors and demo files (see `healthpass_tests::vectors`).

fn main() {
    for file in healthpass_tests::vectors::generate_all(&healthpass_tests::shared_data::repository_root()) {
        if let Some(parent) = file.path.parent()
            && let Err(error) = std::fs::create_dir_all(parent)
        {
            eprintln!("generate-vectors: {}: {error}", parent.display());
            std::process::exit(1);
        }
        if let Err(error) = std::fs::write(&file.path, file.expected_bytes()) {
            eprintln!("generate-vectors: {}: {error}", file.path.display());
            std::process::exit(1);
        }
        println!("wrote {}", file.path.display());
    }
}
