//! Importer for the EU DCC gateway trust list (`GET /trustList/DSC`): a JSON array of
//! `{kid, country, certificateType, rawData, signature, thumbprint, timestamp}`.

use base64::Engine as _;
use serde::Deserialize;

use super::dsc::{DocumentSignerCertificate, DscError};
use super::kid::Kid;

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustListError {
    #[error("the trust list is not JSON of the expected shape: {detail}")]
    Malformed { detail: String },
    #[error("the trust list is {size} bytes; at most {limit} are accepted")]
    TooLarge { size: usize, limit: usize },
}

/// A trust list entry that could not be used, and why. Entries are independent: one bad
/// certificate does not discard the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedEntry {
    /// Position in the list.
    pub index: usize,
    /// The entry's kid, as written.
    pub kid: Option<String>,
    /// The entry's country, as written.
    pub country: Option<String>,
    /// Why it was skipped.
    pub reason: String,
}

/// The certificates read from a trust list.
#[derive(Debug, Clone, Default)]
pub struct TrustListImport {
    /// The usable signer certificates.
    pub certificates: Vec<DocumentSignerCertificate>,
    /// The entries that could not be used.
    pub skipped: Vec<SkippedEntry>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Document {
    List(Vec<serde_json::Value>),
    Wrapped { certificates: Vec<serde_json::Value> },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    kid: Option<String>,
    country: Option<String>,
    certificate_type: Option<String>,
    raw_data: String,
}

/// The EU gateway list of every member state is a few MB; 64 MB is far beyond it.
const MAX_TRUST_LIST_BYTES: usize = 64 * 1024 * 1024;

/// Reads a gateway trust list. Entries whose `certificateType` is not `DSC` (CSCA, UPLOAD,
/// AUTHENTICATION) are not signers and are left out silently.
pub fn import_trust_list(json: &[u8]) -> Result<TrustListImport, TrustListError> {
    if json.len() > MAX_TRUST_LIST_BYTES {
        return Err(TrustListError::TooLarge { size: json.len(), limit: MAX_TRUST_LIST_BYTES });
    }
    let document: Document =
        serde_json::from_slice(json).map_err(|error| TrustListError::Malformed { detail: error.to_string() })?;
    let entries = match document {
        Document::List(entries) | Document::Wrapped { certificates: entries } => entries,
    };
    let mut import = TrustListImport::default();
    for (index, value) in entries.into_iter().enumerate() {
        let entry: Entry = match serde_json::from_value(value) {
            Ok(entry) => entry,
            Err(error) => {
                import.skipped.push(SkippedEntry { index, kid: None, country: None, reason: error.to_string() });
                continue;
            }
        };
        if entry.certificate_type.as_deref().is_some_and(|kind| !kind.eq_ignore_ascii_case("DSC")) {
            continue;
        }
        match read_entry(&entry) {
            Ok(certificate) => import.certificates.push(certificate),
            Err(error) => import.skipped.push(SkippedEntry {
                index,
                kid: entry.kid.clone(),
                country: entry.country.clone(),
                reason: error.to_string(),
            }),
        }
    }
    Ok(import)
}

fn read_entry(entry: &Entry) -> Result<DocumentSignerCertificate, DscError> {
    let der = base64::engine::general_purpose::STANDARD
        .decode(entry.raw_data.trim())
        .map_err(|_| DscError::NotACertificate { detail: "rawData is not base64".into() })?;
    let certificate = DocumentSignerCertificate::from_der(&der)?;
    Ok(match entry.kid.as_deref().and_then(Kid::from_base64) {
        Some(kid) => certificate.with_kid(kid),
        None => certificate,
    })
}
