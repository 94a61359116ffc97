//! Building the FFI library, generating its Kotlin and Swift bindings in library mode, and
//! comparing them with the committed copies (android/ and ios/ hold the generated files so that
//! app builds need no Rust toolchain for the bindings, and a review sees every API change).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::shared_data::repository_root;

/// A generated file and where the repository keeps it.
pub struct CommittedBinding {
    /// Path relative to the generator's output directory.
    pub generated: &'static str,
    /// Path relative to the repository root.
    pub committed: &'static str,
}

pub const KOTLIN_BINDINGS: [CommittedBinding; 1] = [CommittedBinding {
    generated: "org/healthpass/ffi/healthpass_ffi.kt",
    committed: "android/healthpass/src/main/kotlin/org/healthpass/ffi/healthpass_ffi.kt",
}];

/// Swift Package Manager wants the C module's map named `module.modulemap` inside the target's
/// include directory, so the generated `healthpass_ffiFFI.modulemap` is renamed there.
pub const SWIFT_BINDINGS: [CommittedBinding; 3] = [
    CommittedBinding { generated: "HealthpassFFI.swift", committed: "ios/Sources/HealthpassFFI/HealthpassFFI.swift" },
    CommittedBinding {
        generated: "healthpass_ffiFFI.h",
        committed: "ios/Sources/HealthpassFFIC/include/healthpass_ffiFFI.h",
    },
    CommittedBinding {
        generated: "healthpass_ffiFFI.modulemap",
        committed: "ios/Sources/HealthpassFFIC/include/module.modulemap",
    },
];

/// Which bindings to generate.
#[derive(Clone, Copy, Debug)]
pub enum Language {
    Kotlin,
    Swift,
}

impl Language {
    pub fn name(self) -> &'static str {
        match self {
            Language::Kotlin => "kotlin",
            Language::Swift => "swift",
        }
    }

    pub fn committed(self) -> &'static [CommittedBinding] {
        match self {
            Language::Kotlin => &KOTLIN_BINDINGS,
            Language::Swift => &SWIFT_BINDINGS,
        }
    }
}

/// The cargo target directory the workspace builds into.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repository_root().join("target"))
}

/// The debug build directory holding `libhealthpass_ffi.so` and `uniffi-bindgen`.
pub fn library_dir() -> PathBuf {
    target_dir().join("debug")
}

/// The host cdylib apps would load (a `.so` on Linux, where these tests run).
pub fn host_library() -> PathBuf {
    library_dir().join(format!("{}healthpass_ffi{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX))
}

/// Builds the FFI library and the bindings generator. Uses the same command as `scripts/test`
/// (the whole workspace with all features) so that, inside `cargo test`, this finds everything
/// fresh instead of rebuilding the core with another feature set.
pub fn build_library_and_generator() -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(repository_root())
        .args(["build", "--workspace", "--all-features", "--locked", "--quiet"])
        .output()
        .map_err(|error| format!("cannot run cargo: {error}"))?;
    if !output.status.success() {
        return Err(format!("cargo build failed:\n{}", String::from_utf8_lossy(&output.stderr)));
    }
    Ok(())
}

/// Generates the bindings for `language` from the built library into `out_dir` (emptied first).
pub fn generate(language: Language, out_dir: &Path) -> Result<(), String> {
    if out_dir.exists() {
        std::fs::remove_dir_all(out_dir).map_err(|error| format!("cannot empty {}: {error}", out_dir.display()))?;
    }
    let generator = library_dir().join("uniffi-bindgen");
    let output = Command::new(&generator)
        .current_dir(repository_root())
        .args(["generate", "--no-format", "--library"])
        .arg(host_library())
        .args(["--language", language.name(), "--out-dir"])
        .arg(out_dir)
        .output()
        .map_err(|error| format!("cannot run {}: {error}", generator.display()))?;
    if !output.status.success() {
        return Err(format!("uniffi-bindgen failed:\n{}", String::from_utf8_lossy(&output.stderr)));
    }
    Ok(())
}

/// The committed files that differ from freshly generated ones, each with its first differing
/// line, so a failure says what changed and how to fix it.
pub fn drift(language: Language, out_dir: &Path) -> Vec<String> {
    let root = repository_root();
    let mut problems = Vec::new();
    for binding in language.committed() {
        let generated = std::fs::read_to_string(out_dir.join(binding.generated));
        let committed = std::fs::read_to_string(root.join(binding.committed));
        match (generated, committed) {
            (Err(error), _) => problems.push(format!("{} was not generated: {error}", binding.generated)),
            (_, Err(error)) => problems.push(format!("{} is missing: {error}", binding.committed)),
            (Ok(generated), Ok(committed)) if generated != committed => {
                let line = generated
                    .lines()
                    .zip(committed.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or_else(|| generated.lines().count().min(committed.lines().count()));
                problems.push(format!(
                    "{} differs from the generated bindings from line {} on",
                    binding.committed,
                    line + 1
                ));
            }
            _ => {}
        }
    }
    problems
}

/// Copies freshly generated bindings over the committed ones (`scripts/generate-bindings`).
pub fn commit(language: Language, out_dir: &Path) -> Result<(), String> {
    let root = repository_root();
    for binding in language.committed() {
        let destination = root.join(binding.committed);
        if let Some(parent) = destination.parent() {
            std::fs::create_dir_all(parent).map_err(|error| format!("{}: {error}", parent.display()))?;
        }
        std::fs::copy(out_dir.join(binding.generated), &destination)
            .map_err(|error| format!("{} -> {}: {error}", binding.generated, destination.display()))?;
    }
    Ok(())
}
