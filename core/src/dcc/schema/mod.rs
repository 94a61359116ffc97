//! The DCC JSON schema of every release, and the check of a payload against the schema of
//! the version it declares (`ver`).
//!
//! The schemas are compiled into the library from tables generated out of the upstream
//! eu-dcc-schema releases (Apache-2.0; annotations such as descriptions stripped), see
//! `releases.rs`. Each release is compiled on first use.

mod releases;
pub mod validator;

use std::sync::OnceLock;

use ciborium::Value;

pub use validator::{CompiledSchema, SchemaCompileError, SchemaViolation};

/// A `major.minor.patch` version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SchemaVersion {
    /// The major version.
    pub major: u32,
    /// The minor version.
    pub minor: u32,
    /// The patch version.
    pub patch: u32,
}

impl SchemaVersion {
    /// Reads `major.minor.patch` (digits only, at most 6 per part).
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('.').map(|part| {
            (!part.is_empty() && part.len() <= 6 && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse().ok())
                .flatten()
        });
        let version = Self { major: parts.next()??, minor: parts.next()??, patch: parts.next()?? };
        parts.next().is_none().then_some(version)
    }
}

impl std::fmt::Display for SchemaVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaSelectionError {
    #[error("the DCC declares no schema version (ver)")]
    NoVersion,
    #[error("the declared schema version is not of the form major.minor.patch")]
    MalformedVersion,
    #[error("no schema release {declared} or earlier of major version {major} is known")]
    UnknownVersion { declared: SchemaVersion, major: u32 },
    #[error("the bundled schema {release} does not compile: {error}")]
    Broken { release: SchemaVersion, error: SchemaCompileError },
}

/// The outcome of checking a DCC against its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaCheck {
    /// The release the DCC was checked against.
    pub release: SchemaVersion,
    /// What the payload breaks, at most 32 violations.
    pub violations: Vec<SchemaViolation>,
}

struct Release {
    version: SchemaVersion,
    json: &'static str,
    compiled: OnceLock<Result<CompiledSchema, SchemaCompileError>>,
}

fn releases() -> &'static [Release] {
    static RELEASES: OnceLock<Vec<Release>> = OnceLock::new();
    RELEASES.get_or_init(|| {
        let mut list: Vec<Release> = releases::RELEASES
            .iter()
            .filter_map(|(version, json)| {
                SchemaVersion::parse(version).map(|version| Release { version, json, compiled: OnceLock::new() })
            })
            .collect();
        list.sort_by_key(|release| release.version);
        list
    })
}

/// Every schema release compiled into the library.
pub fn known_releases() -> Vec<SchemaVersion> {
    releases().iter().map(|release| release.version).collect()
}

/// The schema for a declared version: that release, or else the latest earlier release of the
/// same major version (a patch or minor release the library does not know yet is checked
/// against the newest rules it does know).
pub fn schema_for(declared: SchemaVersion) -> Result<(SchemaVersion, &'static CompiledSchema), SchemaSelectionError> {
    let release = releases()
        .iter()
        .rev()
        .find(|release| release.version.major == declared.major && release.version <= declared)
        .ok_or(SchemaSelectionError::UnknownVersion { declared, major: declared.major })?;
    let compiled = release.compiled.get_or_init(|| {
        serde_json::from_str(release.json)
            .map_err(|error| SchemaCompileError::Malformed { path: "#".into(), detail: error.to_string() })
            .and_then(|document| CompiledSchema::compile(&document))
    });
    match compiled {
        Ok(schema) => Ok((release.version, schema)),
        Err(error) => Err(SchemaSelectionError::Broken { release: release.version, error: error.clone() }),
    }
}

/// Checks a DCC map against the schema of the version it declares.
pub fn check_dcc(dcc: &Value) -> Result<SchemaCheck, SchemaSelectionError> {
    let declared = declared_version(dcc)?;
    let (release, schema) = schema_for(declared)?;
    Ok(SchemaCheck { release, violations: schema.validate(dcc) })
}

fn declared_version(dcc: &Value) -> Result<SchemaVersion, SchemaSelectionError> {
    let Value::Map(entries) = dcc else { return Err(SchemaSelectionError::NoVersion) };
    let version = entries
        .iter()
        .find(|(key, _)| matches!(key, Value::Text(text) if text == "ver"))
        .map(|(_, value)| value)
        .ok_or(SchemaSelectionError::NoVersion)?;
    match version {
        Value::Text(text) => SchemaVersion::parse(text).ok_or(SchemaSelectionError::MalformedVersion),
        _ => Err(SchemaSelectionError::MalformedVersion),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_release_compiles() {
        assert!(known_releases().len() >= 9);
        for release in known_releases() {
            schema_for(release).unwrap();
        }
    }

    #[test]
    fn picks_the_latest_release_not_after_the_declared_one() {
        let pick = |text: &str| schema_for(SchemaVersion::parse(text).unwrap()).map(|(release, _)| release.to_string());
        assert_eq!(pick("1.3.0").unwrap(), "1.3.0");
        assert_eq!(pick("1.3.9").unwrap(), "1.3.3");
        assert_eq!(pick("1.2.9").unwrap(), "1.2.1");
        assert!(matches!(pick("2.0.0"), Err(SchemaSelectionError::UnknownVersion { .. })));
        assert!(matches!(pick("0.9.0"), Err(SchemaSelectionError::UnknownVersion { .. })));
        assert_eq!(SchemaVersion::parse("1.3"), None);
        assert_eq!(SchemaVersion::parse("1.3.0.1"), None);
        assert_eq!(SchemaVersion::parse("1.x.0"), None);
    }
}
