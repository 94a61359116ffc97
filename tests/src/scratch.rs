//! Scratch directories for tests: unique, and removed when dropped (also when a test fails, as
//! unwinding drops them), so that runs of the test command do not pile databases and pictures
//! up in the temporary folder until the disk is full (a CI run failed that way: the linker got
//! SIGBUS writing to a full disk).

use std::ffi::OsStr;
use std::ops::Deref;
use std::path::Path;

/// A fresh, empty directory named after the test, removed with everything in it on drop.
/// Bind it to a variable for as long as the test uses it: a temporary is removed at the end of
/// its statement.
#[derive(Debug)]
pub struct ScratchDir(tempfile::TempDir);

impl ScratchDir {
    /// A new directory `healthpass-{name}-XXXXXX` in the system's temporary folder.
    #[must_use]
    pub fn new(name: &str) -> Self {
        let directory = tempfile::Builder::new()
            .prefix(&format!("healthpass-{name}-"))
            .tempdir()
            .unwrap_or_else(|error| panic!("create a scratch directory for {name}: {error}"));
        Self(directory)
    }
}

impl Deref for ScratchDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<Path> for ScratchDir {
    fn as_ref(&self) -> &Path {
        self.0.path()
    }
}

/// So that a command line takes the directory as an argument (`Command::arg(&dir)`).
impl AsRef<OsStr> for ScratchDir {
    fn as_ref(&self) -> &OsStr {
        self.0.path().as_os_str()
    }
}
