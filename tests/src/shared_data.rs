//! Where the shared conformance data lives: `HEALTHPASS_CONFORMANCE_DIR`, or
//! `../shared/conformance` beside the repository.

use std::path::PathBuf;

/// The repository root (the workspace directory).
pub fn repository_root() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    root.canonicalize().unwrap_or(root)
}

/// The conformance data directory, or a message saying where it comes from.
pub fn conformance_dir() -> Result<PathBuf, String> {
    let candidate = match std::env::var_os("HEALTHPASS_CONFORMANCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => repository_root().join("../shared/conformance"),
    };
    if candidate.join("dgc-testdata").is_dir() {
        Ok(candidate)
    } else {
        Err(format!(
            "conformance data not found at {}: check out the project with ../shared beside it \
             (it holds dgc-testdata, the DCC schema, CertLogic and business-rule suites), or set \
             HEALTHPASS_CONFORMANCE_DIR to a directory holding them",
            candidate.display()
        ))
    }
}

/// The conformance data directory; panics with the explanation when it is missing, which is
/// how a test that needs the data fails.
pub fn require_conformance_dir() -> PathBuf {
    match conformance_dir() {
        Ok(dir) => dir,
        Err(message) => panic!("{message}"),
    }
}

/// The French 2D-DOC material (`FORMAT.md`, `keys/`, `samples/`): `HEALTHPASS_2DDOC_DIR`, or
/// `../shared/2ddoc` beside the repository; panics with where it was looked for.
pub fn require_two_d_doc_dir() -> PathBuf {
    let candidate = match std::env::var_os("HEALTHPASS_2DDOC_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => repository_root().join("../shared/2ddoc"),
    };
    assert!(
        candidate.join("samples/MANIFEST.json").is_file(),
        "2D-DOC material not found at {}: check out the project with ../shared beside it, or set \
         HEALTHPASS_2DDOC_DIR to a directory holding samples/MANIFEST.json and keys/",
        candidate.display()
    );
    candidate
}
