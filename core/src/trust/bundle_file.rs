//! The trust bundle on the device's storage, so a controller that restarts offline keeps the
//! last bundle it verified: written atomically (a temporary file in the same directory, synced,
//! then renamed over the old one), with the server's entity tag beside it for conditional
//! downloads (`If-None-Match`, RFC 9110 §13.1.2). The file is read back through the same
//! signature check as a download: storage is not trusted.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// A bundle read back from storage, not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBundle {
    /// The bundle's bytes as they were verified when written.
    pub bytes: Vec<u8>,
    /// The entity tag the server sent with it, if any.
    pub etag: Option<String>,
}

/// Why the stored bundle cannot be read or written.
#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleFileError {
    #[error("the stored trust bundle {path} could not be {action}: {detail}")]
    Io { path: String, action: &'static str, detail: String },
    #[error("the stored trust bundle {path} is {size} bytes; at most {limit} are read")]
    TooLarge { path: String, size: u64, limit: usize },
}

/// An entity tag is one line of visible ASCII (RFC 9110 §8.8.3); anything else is not kept.
const MAX_ETAG_BYTES: usize = 256;

/// Where an app keeps its trust bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    path: PathBuf,
}

impl BundleFile {
    /// The bundle at `path`; its entity tag goes to `path` + `.etag`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The bundle's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn etag_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".etag");
        PathBuf::from(name)
    }

    fn error(&self, action: &'static str, error: impl std::fmt::Display) -> BundleFileError {
        BundleFileError::Io { path: self.path.display().to_string(), action, detail: error.to_string() }
    }

    /// The stored bundle, `None` when there is none yet; files larger than `max_bytes` are
    /// refused before they are read.
    pub fn read(&self, max_bytes: usize) -> Result<Option<StoredBundle>, BundleFileError> {
        let size = match fs::metadata(&self.path) {
            Ok(metadata) => metadata.len(),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(self.error("read", error)),
        };
        if size > max_bytes as u64 {
            return Err(BundleFileError::TooLarge { path: self.path.display().to_string(), size, limit: max_bytes });
        }
        let bytes = fs::read(&self.path).map_err(|error| self.error("read", error))?;
        let etag = fs::read_to_string(self.etag_path()).ok().and_then(|text| valid_etag(text.trim()));
        Ok(Some(StoredBundle { bytes, etag }))
    }

    /// Replaces the stored bundle with `bytes` (already verified) and its entity tag. The old
    /// tag goes first, so an interrupted write leaves at worst a bundle without a tag (the next
    /// download is then unconditional), never a tag naming another bundle.
    pub fn write(&self, bytes: &[u8], etag: Option<&str>) -> Result<(), BundleFileError> {
        match fs::remove_file(self.etag_path()) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(self.error("written", error)),
        }
        write_atomically(&self.path, bytes).map_err(|error| self.error("written", error))?;
        if let Some(etag) = etag.and_then(valid_etag) {
            write_atomically(&self.etag_path(), etag.as_bytes()).map_err(|error| self.error("written", error))?;
        }
        Ok(())
    }
}

fn valid_etag(text: &str) -> Option<String> {
    let visible = |byte: u8| (0x21..=0x7e).contains(&byte);
    (!text.is_empty() && text.len() <= MAX_ETAG_BYTES && text.bytes().all(visible)).then(|| text.to_owned())
}

/// Writes a sibling temporary file, syncs it, renames it over `path`, and syncs the directory
/// (POSIX: the rename is atomic; without the directory sync it may not survive power loss).
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let directory = path.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut name = path.file_name().map(|name| name.to_owned()).unwrap_or_default();
    name.push(format!(".{}.tmp", std::process::id()));
    let temporary = directory.join(name);
    let result = (|| {
        let mut file = fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temporary, path)?;
        if let Ok(directory) = fs::File::open(directory) {
            let _ = directory.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory, removed when the guard drops.
    fn scratch(name: &str) -> tempfile::TempDir {
        tempfile::Builder::new().prefix(&format!("healthpass-bundle-file-{name}-")).tempdir().unwrap()
    }

    #[test]
    fn a_written_bundle_reads_back_with_its_tag() {
        let dir = scratch("round-trip");
        let file = BundleFile::new(dir.path().join("bundle.cbor"));
        assert_eq!(file.read(1024).unwrap(), None);
        file.write(b"first", Some("\"v1\"")).unwrap();
        assert_eq!(
            file.read(1024).unwrap(),
            Some(StoredBundle { bytes: b"first".to_vec(), etag: Some("\"v1\"".into()) })
        );
        file.write(b"second", None).unwrap();
        assert_eq!(file.read(1024).unwrap(), Some(StoredBundle { bytes: b"second".to_vec(), etag: None }));
    }

    #[test]
    fn oversized_files_and_odd_tags_are_not_taken() {
        let dir = scratch("limits");
        let file = BundleFile::new(dir.path().join("bundle.cbor"));
        file.write(&[0; 2048], Some("bad\ntag")).unwrap();
        assert!(matches!(file.read(1024), Err(BundleFileError::TooLarge { size: 2048, .. })));
        assert_eq!(file.read(4096).unwrap().unwrap().etag, None);
    }

    #[test]
    fn an_unwritable_place_is_a_clear_error_and_no_temporary_is_left() {
        let dir = scratch("unwritable");
        let file = BundleFile::new(dir.path().join("missing-directory").join("bundle.cbor"));
        let error = file.write(b"bytes", None).unwrap_err();
        assert!(error.to_string().contains("could not be written"), "{error}");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
    }
}
