//! The 2D-DOC header (FORMAT.md "Header"): marker, version, signer ids, dates, document type,
//! and from version 03 the perimeter, from 04 the country.

use std::fmt;

use crate::time::CivilDate;

/// The header versions read; each has its own length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `DC01`: 22 characters; its signature is binary, not after a US.
    V01,
    /// `DC02`: 22 characters.
    V02,
    /// `DC03`: 24 characters, adds the perimeter.
    V03,
    /// `DC04`: 26 characters, adds the issuing country.
    V04,
}

impl Version {
    /// The header's length in characters (lib2ddoc `headers.rs`, spyrosap `header.py`).
    pub fn header_length(self) -> usize {
        match self {
            Self::V01 | Self::V02 => 22,
            Self::V03 => 24,
            Self::V04 => 26,
        }
    }

    /// `01` … `04`.
    pub fn number(self) -> &'static str {
        match self {
            Self::V01 => "01",
            Self::V02 => "02",
            Self::V03 => "03",
            Self::V04 => "04",
        }
    }
}

/// What the document certifies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentType {
    /// `B2`: a test result (SI-DEP).
    TestResult,
    /// `L1`: a vaccination certificate.
    Vaccination,
    /// Any other type (proofs of address, tax notices…): signed, but not a health certificate.
    Other(String),
}

impl DocumentType {
    fn from_code(code: &str) -> Self {
        match code {
            "B2" => Self::TestResult,
            "L1" => Self::Vaccination,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The two-character code.
    pub fn code(&self) -> &str {
        match self {
            Self::TestResult => "B2",
            Self::Vaccination => "L1",
            Self::Other(code) => code,
        }
    }
}

impl fmt::Display for DocumentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TestResult => write!(f, "B2 (test result)"),
            Self::Vaccination => write!(f, "L1 (vaccination)"),
            Self::Other(code) => write!(f, "{code}"),
        }
    }
}

/// A parsed header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The header version.
    pub version: Version,
    /// The certificate authority's id (`FR03`).
    pub authority: String,
    /// The signer certificate's id under that authority (`AHP1`).
    pub certificate: String,
    /// The document's emission date; `None` when written `FFFF`.
    pub emitted: Option<CivilDate>,
    /// The signature date; `None` when written `FFFF`.
    pub signed: Option<CivilDate>,
    /// The document type.
    pub document_type: DocumentType,
    /// The perimeter (versions 03 and 04).
    pub perimeter: Option<String>,
    /// The issuing country, ISO 3166 alpha-2 (version 04).
    pub country: Option<String>,
}

/// Why a header cannot be read.
#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("a 2D-DOC starts with DC and a two-digit version")]
    NotTwoDDoc,
    #[error("version {0} is not one of 01, 02, 03, 04")]
    UnsupportedVersion(String),
    #[error("the version {version} header has {expected} characters; the text has {found}")]
    Truncated { version: &'static str, expected: usize, found: usize },
    #[error("{field} must be {expected}")]
    Field { field: &'static str, expected: &'static str },
}

/// Day 0 of the header's dates.
fn date_origin() -> i64 {
    CivilDate::new(2000, 1, 1).map(CivilDate::days_since_epoch).unwrap_or(10_957)
}

/// Whether `text` begins like a 2D-DOC header: `DC` and two digits.
pub fn starts_like_header(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.starts_with(b"DC") && bytes.get(2..4).is_some_and(|version| version.iter().all(u8::is_ascii_digit))
}

impl Header {
    /// Reads the header at the start of `text`.
    pub fn parse(text: &str) -> Result<Self, HeaderError> {
        if !starts_like_header(text) {
            return Err(HeaderError::NotTwoDDoc);
        }
        let version = match text.get(2..4) {
            Some("01") => Version::V01,
            Some("02") => Version::V02,
            Some("03") => Version::V03,
            Some("04") => Version::V04,
            Some(other) => return Err(HeaderError::UnsupportedVersion(other.to_owned())),
            None => return Err(HeaderError::NotTwoDDoc),
        };
        let expected = version.header_length();
        // Only whole ASCII characters reach here (input.rs), so byte offsets are characters.
        let header = text.get(..expected).ok_or(HeaderError::Truncated {
            version: version.number(),
            expected,
            found: text.len(),
        })?;
        let part = |range: std::ops::Range<usize>| header.get(range).unwrap_or_default();
        let id = |range, field| {
            let value: &str = part(range);
            if value.bytes().all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit()) {
                Ok(value.to_owned())
            } else {
                Err(HeaderError::Field { field, expected: "4 upper-case letters or digits" })
            }
        };
        let authority = id(4..8, "the certificate authority id")?;
        let certificate = id(8..12, "the certificate id")?;
        let emitted = header_date(part(12..16), "the emission date")?;
        let signed = header_date(part(16..20), "the signature date")?;
        let type_code = part(20..22);
        if !type_code.bytes().all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit()) {
            return Err(HeaderError::Field { field: "the document type", expected: "2 upper-case letters or digits" });
        }
        let perimeter = match version {
            Version::V03 | Version::V04 => {
                let perimeter = part(22..24);
                if !perimeter.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
                    return Err(HeaderError::Field { field: "the perimeter", expected: "2 letters or digits" });
                }
                Some(perimeter.to_owned())
            }
            Version::V01 | Version::V02 => None,
        };
        let country = match version {
            Version::V04 => {
                let country = part(24..26);
                if !country.bytes().all(|byte| byte.is_ascii_uppercase()) {
                    return Err(HeaderError::Field {
                        field: "the issuing country",
                        expected: "2 upper-case letters (ISO 3166 alpha-2)",
                    });
                }
                Some(country.to_owned())
            }
            _ => None,
        };
        Ok(Self {
            version,
            authority,
            certificate,
            emitted,
            signed,
            document_type: DocumentType::from_code(type_code),
            perimeter,
            country,
        })
    }
}

/// A header date: four hex digits counting days since 2000-01-01, `FFFF` for none
/// (sanipasse `2ddoc.ts`; the ANTS example `1E6D` is 2021-04-29).
fn header_date(text: &str, field: &'static str) -> Result<Option<CivilDate>, HeaderError> {
    let expected = "4 hexadecimal digits (days since 2000-01-01) or FFFF";
    if text.len() != 4 || !text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Err(HeaderError::Field { field, expected });
    }
    if text.eq_ignore_ascii_case("FFFF") {
        return Ok(None);
    }
    let days = i64::from_str_radix(text, 16).map_err(|_| HeaderError::Field { field, expected })?;
    Ok(Some(CivilDate::from_days_since_epoch(date_origin() + days)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Option<CivilDate> {
        Some(CivilDate::parse(text).unwrap())
    }

    #[test]
    fn version_04_has_perimeter_and_country() {
        let header = Header::parse("DC04FR0000011E6D1E6DL101FRL0").unwrap();
        assert_eq!(header.version, Version::V04);
        assert_eq!((header.authority.as_str(), header.certificate.as_str()), ("FR00", "0001"));
        assert_eq!(header.emitted, date("2021-04-29"));
        assert_eq!(header.signed, date("2021-04-29"));
        assert_eq!(header.document_type, DocumentType::Vaccination);
        assert_eq!(header.perimeter.as_deref(), Some("01"));
        assert_eq!(header.country.as_deref(), Some("FR"));
    }

    #[test]
    fn version_03_has_a_perimeter_and_no_country() {
        let header = Header::parse("DC03FR03AHP11E5C1E5CB201F0").unwrap();
        assert_eq!(header.version.header_length(), 24);
        assert_eq!(header.perimeter.as_deref(), Some("01"));
        assert_eq!(header.country, None);
    }

    #[test]
    fn versions_01_and_02_are_22_characters() {
        for version in ["01", "02"] {
            let header = Header::parse(&format!("DC{version}FR03AHP10000FFFFB2F0")).unwrap();
            assert_eq!(header.version.header_length(), 22);
            assert_eq!(header.emitted, date("2000-01-01"));
            assert_eq!(header.signed, None, "FFFF is no date");
            assert_eq!(header.perimeter, None);
            assert_eq!(header.document_type, DocumentType::TestResult);
        }
    }

    #[test]
    fn bad_headers_say_what_was_expected() {
        assert_eq!(Header::parse("HC1:ABC"), Err(HeaderError::NotTwoDDoc));
        assert_eq!(Header::parse("DC07FR03"), Err(HeaderError::UnsupportedVersion("07".into())));
        assert!(matches!(Header::parse("DC04FR03AHP1"), Err(HeaderError::Truncated { expected: 26, found: 12, .. })));
        let error = Header::parse("DC04FR03AHP11E5G1E5CB201FR").unwrap_err();
        assert_eq!(error.to_string(), "the emission date must be 4 hexadecimal digits (days since 2000-01-01) or FFFF");
        assert!(matches!(Header::parse("DC04fr03AHP11E5C1E5CB201FR"), Err(HeaderError::Field { .. })));
        assert!(matches!(Header::parse("DC04FR03AHP11E5C1E5CB201F1"), Err(HeaderError::Field { .. })));
    }

    #[test]
    fn the_ants_example_dates_read_as_published() {
        // ANTS specification example (sample 03): 1337 hex = 4919 days = 2013-06-20.
        let header = Header::parse("DC04FR00000113371337B201FR").unwrap();
        assert_eq!(header.signed, date("2013-06-20"));
    }
}
