//! Walking suite folders.

use std::path::{Path, PathBuf};

use super::report::SuiteError;

/// Every `*.json` file below `dir` whose path `keep` accepts.
pub fn collect_json(dir: &Path, files: &mut Vec<PathBuf>, keep: &dyn Fn(&Path) -> bool) -> Result<(), SuiteError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|error| SuiteError::Unreadable { path: dir.display().to_string(), detail: error.to_string() })?;
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            collect_json(&path, files, keep)?;
        } else if path.extension().is_some_and(|ext| ext == "json") && keep(&path) {
            files.push(path);
        }
    }
    Ok(())
}
